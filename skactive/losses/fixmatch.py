"""FixMatch's loss: cross-entropy on labels plus confident pseudo-labels."""

from __future__ import annotations

from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import (
    Interval,
    InvalidParameterError,
    parameter_constraints,
    validate_parameter_constraints,
    validate_params,
)

__all__ = ["FixMatchLoss", "confidence_mask"]

_NONNEGATIVE = Interval(Real, 0, None, closed="left")


@validate_params({"probs": ["tensor"], "threshold": [Real, "tensor"]})
def confidence_mask(
    probs: torch.Tensor, threshold: float | torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Hard pseudo-labels and which of them pass a confidence threshold.

    For every row ``b`` of ``probs``: ``\hat y_b = \arg\max_c p_{bc}`` and
    ``m_b = [\max_c p_{bc} \ge \tau_{\hat y_b}]`` -- FixMatch's rule with one
    threshold ``tau`` for every class, or FlexMatch's with a threshold per
    class (a tensor of shape ``(C,)`` indexed by the pseudo-label).

    Parameters
    ----------
    probs : torch.Tensor of shape (N, C)
        Class probabilities (e.g. of weakly augmented unlabeled rows).
    threshold : float or torch.Tensor of shape (C,)
        The confidence threshold ``tau``, or one per class.

    Returns
    -------
    pseudo_labels : torch.Tensor of int64 of shape (N,)
    mask : torch.Tensor of bool of shape (N,)

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import confidence_mask
    >>> p = torch.tensor([[0.97, 0.03], [0.6, 0.4], [0.2, 0.8]])
    >>> confidence_mask(p, 0.95)
    (tensor([0, 0, 1]), tensor([ True, False, False]))
    >>> confidence_mask(p, torch.tensor([0.95, 0.5]))
    (tensor([0, 0, 1]), tensor([ True, False,  True]))
    """
    if probs.dim() != 2:
        raise InvalidParameterError(
            f"confidence_mask: probs must be a 2-D tensor (rows, classes), got shape "
            f"{tuple(probs.shape)}."
        )
    conf, pseudo = probs.max(dim=1)
    if isinstance(threshold, torch.Tensor):
        if threshold.shape != (probs.shape[1],):
            raise InvalidParameterError(
                "confidence_mask: a threshold tensor must have one value per class, "
                f"shape ({probs.shape[1]},); got {tuple(threshold.shape)}."
            )
        tau = threshold.to(device=probs.device, dtype=probs.dtype)[pseudo]
    else:
        tau = float(threshold)
    return pseudo, conf >= tau


class FixMatchLoss(nn.Module):
    r"""FixMatch loss (Sohn et al., NeurIPS 2020, eqs. 2-4).

    .. math::

        \ell_s = \frac{1}{B} \sum_{b=1}^{B} H(y_b, p(y | \alpha(x_b))), \qquad
        \ell_u = \frac{1}{\mu B} \sum_{b=1}^{\mu B} m_b \,
                 H(\hat y_b, p(y | \mathcal{A}(u_b))),

    .. math:: L = \ell_s + \lambda_u \, \ell_u ,

    with ``H`` the cross-entropy, ``\hat y_b`` the pseudo-label of the weakly
    augmented row and ``m_b`` its confidence mask
    (:func:`confidence_mask`). ``\ell_u`` is averaged over **all** ``\mu B``
    unlabeled rows, masked ones included, as in the paper and the reference
    code.

    Parameters
    ----------
    lambda_u : float, default=1.0
        Weight of the unlabeled term, ``>= 0``.

    References
    ----------
    K. Sohn, D. Berthelot, C.-L. Li, Z. Zhang, N. Carlini, E. D. Cubuk,
    A. Kurakin, H. Zhang and C. Raffel, "FixMatch: Simplifying Semi-Supervised
    Learning with Consistency and Confidence", NeurIPS 2020.

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import FixMatchLoss
    >>> logits_x = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    >>> logits_s = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    >>> loss = FixMatchLoss(lambda_u=1.0)(
    ...     logits_x, torch.tensor([0, 1]), logits_s,
    ...     torch.tensor([0, 1]), torch.tensor([True, False]))
    >>> round(float(loss), 4)
    0.3767
    """

    _parameter_constraints = {"lambda_u": [_NONNEGATIVE]}

    def __init__(self, lambda_u: float = 1.0):
        super().__init__()
        validate_parameter_constraints(
            parameter_constraints(self), {"lambda_u": lambda_u}, type(self).__name__
        )
        self.lambda_u = float(lambda_u)

    def extra_repr(self) -> str:
        """The loss's settings, shown in its ``repr``.

        Returns
        -------
        str
            ``name=value`` pairs of the constructor arguments.
        """
        return f"lambda_u={self.lambda_u}"

    def forward(
        self,
        logits_x: torch.Tensor,
        y_x: torch.Tensor,
        logits_u_strong: torch.Tensor,
        pseudo_labels: torch.Tensor,
        mask: torch.Tensor,
        lambda_u_scale: float = 1.0,
    ) -> torch.Tensor:
        """Combined FixMatch loss.

        Parameters
        ----------
        logits_x : torch.Tensor of shape (B, C)
            Logits of the (weakly augmented) labeled rows.
        y_x : torch.Tensor of int64 of shape (B,)
            Their labels.
        logits_u_strong : torch.Tensor of shape (muB, C)
            Logits of the strongly augmented unlabeled rows.
        pseudo_labels : torch.Tensor of int64 of shape (muB,)
            Pseudo-labels from the weakly augmented rows.
        mask : torch.Tensor of shape (muB,)
            Which pseudo-labels count (bool or 0/1 weights).
        lambda_u_scale : float, default=1.0
            Multiplier of ``lambda_u`` (a ramp or a back-off factor).

        Returns
        -------
        torch.Tensor
            Scalar loss; an empty unlabeled part contributes 0.
        """
        if logits_x.dim() != 2 or logits_u_strong.dim() != 2:
            raise InvalidParameterError(
                "FixMatchLoss: logits_x and logits_u_strong must be 2-D (rows, "
                f"classes), got shapes {tuple(logits_x.shape)} and "
                f"{tuple(logits_u_strong.shape)}."
            )
        n_u = logits_u_strong.shape[0]
        if pseudo_labels.shape != (n_u,) or mask.shape != (n_u,):
            raise InvalidParameterError(
                "FixMatchLoss: pseudo_labels and mask must have one entry per row "
                f"of logits_u_strong ({n_u}), got shapes "
                f"{tuple(pseudo_labels.shape)} and {tuple(mask.shape)}."
            )
        loss_s = F.cross_entropy(logits_x, y_x.long())
        if n_u == 0:
            return loss_s + logits_u_strong.sum() * 0.0
        per_row = F.cross_entropy(
            logits_u_strong, pseudo_labels.long(), reduction="none"
        )
        loss_u = (per_row * mask.to(per_row.dtype)).mean()
        return loss_s + self.lambda_u * float(lambda_u_scale) * loss_u
