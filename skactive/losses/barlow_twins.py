"""Barlow Twins redundancy-reduction loss."""

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
from ._checks import check_views

__all__ = ["BarlowTwinsLoss"]


class BarlowTwinsLoss(nn.Module):
    r"""Barlow Twins loss (Zbontar et al., ICML 2021; DALBT eq. 2).

    Each embedding is standardised along the batch,
    ``z <- (z - mean_b z) / sqrt(var_b z + eps)``, and the cross-correlation
    matrix between the two views is

    .. math::

        C_{ij} = \frac{\sum_b z^1_{b,i} z^2_{b,j}}
            {\sqrt{\sum_b (z^1_{b,i})^2} \sqrt{\sum_b (z^2_{b,j})^2}},

    (a Pearson correlation, so the standard-deviation convention of the
    standardisation does not matter; the denominators are clamped below at
    ``eps`` so that constant features give ``C_ij = 0`` instead of NaN). The
    loss is

    .. math::

        L = \sum_i (1 - C_{ii})^2 + \lambda \sum_i \sum_{j \ne i} C_{ij}^2 .

    Parameters
    ----------
    lambda_offdiag : float, default=5e-3
        Weight ``lambda`` of the redundancy-reduction (off-diagonal) term.
    eps : float, default=1e-5
        Numerical safety constant (see above).

    References
    ----------
    J. Zbontar, L. Jing, I. Misra, Y. LeCun and S. Deny, "Barlow Twins:
    Self-Supervised Learning via Redundancy Reduction", ICML 2021.

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import BarlowTwinsLoss
    >>> g = torch.Generator().manual_seed(0)
    >>> z1 = torch.randn(32, 8, generator=g, requires_grad=True)
    >>> z2 = z1.detach() + 0.1 * torch.randn(32, 8, generator=g)
    >>> loss = BarlowTwinsLoss()(z1, z2)
    >>> loss.backward()
    >>> loss.item() < 1.0
    True
    """

    _parameter_constraints = {
        "lambda_offdiag": [Interval(Real, 0, None, closed="left")],
        "eps": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, lambda_offdiag: float = 5e-3, eps: float = 1e-5):
        super().__init__()
        validate_parameter_constraints(
            parameter_constraints(self),
            {"lambda_offdiag": lambda_offdiag, "eps": eps},
            type(self).__name__,
        )
        self.lambda_offdiag = float(lambda_offdiag)
        self.eps = float(eps)

    def extra_repr(self) -> str:
        """The loss's settings, shown in its ``repr``.

        Returns
        -------
        str
            ``name=value`` pairs of the constructor arguments.
        """
        return f"lambda_offdiag={self.lambda_offdiag}, eps={self.eps}"

    @staticmethod
    def _check(z1, z2):
        check_views(z1, z2, "BarlowTwinsLoss")
        if z1.shape[0] < 2:
            raise InvalidParameterError(
                "BarlowTwinsLoss: z1 and z2 must have a batch size >= 2 to "
                f"standardise along the batch, got {z1.shape[0]}."
            )

    def cross_correlation(self, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        """Cross-correlation matrix ``C`` of shape ``(D, D)``.

        Parameters
        ----------
        z1, z2 : torch.Tensor of shape (B, D)
            Embeddings of the two views.
        """
        self._check(z1, z2)

        def standardise(z):
            z = z - z.mean(dim=0, keepdim=True)
            return z / torch.sqrt(z.square().mean(dim=0, keepdim=True) + self.eps)

        a, b = standardise(z1), standardise(z2)
        norm_a = a.square().sum(dim=0).sqrt().clamp(min=self.eps)
        norm_b = b.square().sum(dim=0).sqrt().clamp(min=self.eps)
        return (a.T @ b) / (norm_a[:, None] * norm_b[None, :])

    def forward(self, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        """Barlow Twins loss of two views.

        Parameters
        ----------
        z1, z2 : torch.Tensor of shape (B, D)
            Embeddings of the two augmented views, ``B >= 2``.

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        c = self.cross_correlation(z1, z2)
        diag = torch.diagonal(c)
        on_diag = (1.0 - diag).square().sum()
        off_diag = c.square().sum() - diag.square().sum()
        return on_diag + self.lambda_offdiag * off_diag
