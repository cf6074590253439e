"""The entropy of the minimax game of MME and MAL on unlabeled rows."""

from __future__ import annotations

from numbers import Real

import torch
from torch import nn

from .._validation import (
    Interval,
    InvalidParameterError,
    parameter_constraints,
    validate_parameter_constraints,
)

__all__ = ["MinimaxEntropyLoss"]


class MinimaxEntropyLoss(nn.Module):
    r"""Minus the weighted mean entropy of the predictions on unlabeled rows.

    For logits :math:`s_i` of ``b`` unlabeled rows and
    :math:`p_i = \mathrm{softmax}(s_i)`,

    .. math::

        L = -\lambda\,\frac1b \sum_{i=1}^{b} H(p_i), \qquad
        H(p) = -\sum_{k=1}^{K} p_k \log p_k .

    The loss of the minimax entropy game (Saito et al. 2019, eq. 5; MAL,
    Ebrahimi et al. 2021): the classifier :math:`C` maximises
    :math:`H`, the feature encoder :math:`F` minimises it. Computed on
    logits of :math:`C(\mathrm{GRL}(F(u)))` -- a
    :class:`~skactive.losses.GradientReversal` between the two -- one
    backward pass of :math:`L` makes :math:`C` descend :math:`-\lambda H`
    (ascend the entropy) and :math:`F` descend :math:`\lambda H`.
    :math:`H` is computed from ``log_softmax`` (no ``log 0``).

    Parameters
    ----------
    weight : float, default=0.1
        :math:`\lambda` (MME's 0.1), ``>= 0``.

    References
    ----------
    K. Saito, D. Kim, S. Sclaroff, T. Darrell and K. Saenko, "Semi-supervised
    Domain Adaptation via Minimax Entropy", ICCV 2019.

    S. Ebrahimi, W. Gan, D. Chen, G. Biamby, K. Salahi, M. Laielli, S. Zhu
    and T. Darrell, "Minimax Active Learning", arXiv:2012.10467, 2021.

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import MinimaxEntropyLoss
    >>> uniform = torch.zeros(4, 2)  # H = log 2 for every row
    >>> round(MinimaxEntropyLoss(weight=1.0)(uniform).item(), 4)
    -0.6931
    """

    _parameter_constraints = {"weight": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, weight: float = 0.1):
        super().__init__()
        validate_parameter_constraints(
            parameter_constraints(self), {"weight": weight}, type(self).__name__
        )
        self.weight = float(weight)

    def extra_repr(self) -> str:
        """The loss's setting, shown in its ``repr``.

        Returns
        -------
        str
            ``weight=value``.
        """
        return f"weight={self.weight}"

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        """The loss of a batch of logits.

        Parameters
        ----------
        logits : torch.Tensor of shape (b, K)

        Returns
        -------
        torch.Tensor
            A scalar; zero for an empty batch.
        """
        if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
            raise InvalidParameterError(
                "MinimaxEntropyLoss: logits must be a 2-D tensor (batch, classes), "
                f"got shape {tuple(getattr(logits, 'shape', ()))}."
            )
        if logits.shape[0] == 0:
            return logits.sum() * 0.0
        log_p = torch.log_softmax(logits, dim=1)
        entropy = -(log_p.exp() * log_p).sum(dim=1)
        return -self.weight * entropy.mean()
