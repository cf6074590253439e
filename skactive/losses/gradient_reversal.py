"""The gradient-reversal layer: identity forward, ``-coeff * grad`` backward."""

from __future__ import annotations

from numbers import Real

import torch
from torch import nn

from .._validation import (
    Interval,
    parameter_constraints,
    validate_parameter_constraints,
    validate_params,
)

__all__ = ["GradientReversal", "grad_reverse"]


class _ReverseGrad(torch.autograd.Function):
    """``y = x``; ``dL/dx = -coeff * dL/dy``."""

    @staticmethod
    def forward(ctx, x, coeff):
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.coeff * grad_output, None


def _reverse(x, coeff):
    """The worker: no validation."""
    return _ReverseGrad.apply(x, float(coeff))


@validate_params({"x": ["tensor"], "coeff": [Interval(Real, 0, None, closed="left")]})
def grad_reverse(x, coeff=1.0):
    r"""Reverse (and scale) the gradient through ``x``.

    The forward pass is the identity; the backward pass multiplies the
    incoming gradient by :math:`-\text{coeff}` (Ganin & Lempitsky 2015).
    Placed between a feature extractor and a head, one backward pass of a
    loss makes the head *descend* the loss and the extractor *ascend* it
    (scaled by ``coeff``): a minimax game in a single step, as Minimax
    Entropy (Saito et al. 2019) and MAL (Ebrahimi et al. 2021) train.

    Parameters
    ----------
    x : torch.Tensor
        Any tensor.
    coeff : float, default=1.0
        The scale :math:`\lambda \ge 0` of the reversed gradient.

    Returns
    -------
    torch.Tensor
        ``x`` unchanged (a view), with the reversed gradient.

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import grad_reverse
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> (3 * grad_reverse(x, 0.5)).sum().backward()
    >>> x.grad
    tensor([-1.5000, -1.5000])
    """
    return _reverse(x, coeff)


class GradientReversal(nn.Module):
    r"""A gradient-reversal layer (Ganin & Lempitsky, ICML 2015).

    ``forward(x) = x``; backward, the gradient is multiplied by
    :math:`-\text{coeff}` (see :func:`grad_reverse`).

    Parameters
    ----------
    coeff : float, default=1.0
        The scale :math:`\lambda \ge 0` of the reversed gradient.

    References
    ----------
    Y. Ganin and V. Lempitsky, "Unsupervised Domain Adaptation by
    Backpropagation", ICML 2015.

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import GradientReversal
    >>> x = torch.ones(2, requires_grad=True)
    >>> GradientReversal(2.0)(x).sum().backward()
    >>> x.grad
    tensor([-2., -2.])
    """

    _parameter_constraints = {"coeff": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, coeff: float = 1.0):
        super().__init__()
        validate_parameter_constraints(
            parameter_constraints(self), {"coeff": coeff}, type(self).__name__
        )
        self.coeff = float(coeff)

    def extra_repr(self) -> str:
        """The layer's setting, shown in its ``repr``.

        Returns
        -------
        str
            ``coeff=value``.
        """
        return f"coeff={self.coeff}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Identity, with the reversed gradient.

        Parameters
        ----------
        x : torch.Tensor

        Returns
        -------
        torch.Tensor
        """
        return _reverse(x, self.coeff)
