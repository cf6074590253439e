"""The pairwise ranking loss of Learning Loss for Active Learning."""

from __future__ import annotations

from numbers import Real

import torch
from torch import nn

from .._validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    parameter_constraints,
    validate_parameter_constraints,
)

__all__ = ["LossRankingLoss"]


class LossRankingLoss(nn.Module):
    r"""Pairwise ranking loss of a loss-prediction module (Yoo & Kweon 2019, eq. 2).

    A batch of ``b`` predicted losses :math:`\hat l` and true losses
    :math:`l` is split into the ``b/2`` pairs ``(i, b - 1 - i)``, the first
    half against the reversed second half (the pairing of the authors'
    code; an odd row out is dropped), and every pair ``p = (i, j)`` costs

    .. math::

        L(p) = \max\bigl(0,\; -\mathbb{1}(l_i, l_j)\,(\hat l_i - \hat l_j)
            + \xi\bigr), \qquad
        \mathbb{1}(l_i, l_j) = \begin{cases} +1 & l_i > l_j \\
            -1 & \text{otherwise,} \end{cases}

    so the predicted losses must order each pair as the true losses do, by at
    least the margin :math:`\xi`. The loss is the mean over the pairs (or
    their sum). The true losses are treated as constants (detached).

    Parameters
    ----------
    margin : float, default=1.0
        The margin :math:`\xi` (the paper's :math:`\xi = 1`), ``>= 0``.
    reduction : {"mean", "sum"}, default="mean"
        Mean or sum over the ``b/2`` pairs.

    References
    ----------
    D. Yoo and I. S. Kweon, "Learning Loss for Active Learning", CVPR 2019.

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import LossRankingLoss
    >>> predicted = torch.tensor([0.1, 2.0, 0.5, 0.0])
    >>> true = torch.tensor([0.2, 3.0, 1.0, 0.1])
    >>> LossRankingLoss()(predicted, true)  # pairs (0, 3) and (1, 2)
    tensor(0.4500)
    >>> LossRankingLoss()(-predicted, true)  # both pairs ordered the wrong way
    tensor(1.8000)
    """

    _parameter_constraints = {
        "margin": [Interval(Real, 0, None, closed="left")],
        "reduction": [StrOptions({"mean", "sum"})],
    }

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__()
        validate_parameter_constraints(
            parameter_constraints(self),
            {"margin": margin, "reduction": reduction},
            type(self).__name__,
        )
        self.margin = float(margin)
        self.reduction = reduction

    def extra_repr(self) -> str:
        """The loss's settings, shown in its ``repr``.

        Returns
        -------
        str
            ``name=value`` pairs of the constructor arguments.
        """
        return f"margin={self.margin}, reduction={self.reduction!r}"

    def forward(self, predicted: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
        """The ranking loss of a batch.

        Parameters
        ----------
        predicted : torch.Tensor of shape (b,) or (b, 1)
            Predicted losses :math:`\\hat l`.
        true : torch.Tensor of shape (b,) or (b, 1)
            True per-sample losses :math:`l` (detached here).

        Returns
        -------
        torch.Tensor
            A scalar; zero for a batch of fewer than two rows.
        """
        predicted = predicted.reshape(-1)
        true = true.detach().reshape(-1).to(predicted.dtype)
        if predicted.shape != true.shape:
            raise InvalidParameterError(
                f"LossRankingLoss: predicted and true must hold one loss per row, "
                f"got {tuple(predicted.shape)} and {tuple(true.shape)}."
            )
        half = predicted.shape[0] // 2
        if half == 0:
            return predicted.sum() * 0.0
        diff_hat = predicted[:half] - predicted.flip(0)[:half]
        diff = true[:half] - true.flip(0)[:half]
        sign = torch.where(diff > 0, 1.0, -1.0).to(predicted.dtype)
        per_pair = torch.clamp(self.margin - sign * diff_hat, min=0)
        return per_pair.mean() if self.reduction == "mean" else per_pair.sum()
