"""MixMatch building blocks: sharpening, MixUp and the combined loss."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import betaincinv
from torch import nn

from .._validation import (
    Interval,
    InvalidParameterError,
    parameter_constraints,
    validate_parameter,
    validate_parameter_constraints,
    validate_params,
)

_POSITIVE = Interval(Real, 0, None, closed="neither")
_NONNEGATIVE = Interval(Real, 0, None, closed="left")
#: Any real number but NaN.
_REAL = Interval(Real, None, None, closed="neither")

__all__ = ["MixMatchLoss", "linear_rampup", "mixup", "sharpen"]


@validate_params(
    {
        "p": ["tensor"],
        "T": [_POSITIVE],
        "dim": [Interval(Integral, None, None, closed="neither")],
    }
)
def sharpen(p: torch.Tensor, T: float = 0.5, dim: int = -1) -> torch.Tensor:
    r"""Temperature sharpening of a categorical distribution (MixMatch eq. 7).

    .. math:: \mathrm{Sharpen}(p, T)_i = p_i^{1/T} \big/ \sum_j p_j^{1/T}

    computed stably as ``softmax(log(p) / T)`` (zero probabilities stay
    zero).

    Parameters
    ----------
    p : torch.Tensor
        Probabilities (non-negative, summing to a positive value along
        ``dim``).
    T : float, default=0.5
        Temperature ``> 0``; ``T = 1`` returns the normalised input and
        ``T -> 0`` approaches the one-hot argmax.
    dim : int, default=-1
        Class dimension.

    Returns
    -------
    torch.Tensor
        Same shape as ``p``.

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import sharpen
    >>> sharpen(torch.tensor([[0.6, 0.4]]), T=0.5)
    tensor([[0.6923, 0.3077]])
    """
    if not p.is_floating_point():
        raise InvalidParameterError(
            f"sharpen: p must be a floating point tensor of probabilities, got "
            f"dtype {p.dtype}."
        )
    tiny = torch.finfo(p.dtype).tiny
    log_p = torch.where(
        p > 0, torch.log(p.clamp(min=tiny)), torch.full_like(p, float("-inf"))
    )
    return torch.softmax(log_p / T, dim=dim)


@validate_params(
    {
        "x": ["tensor"],
        "y": ["tensor"],
        "alpha": [_POSITIVE],
        "generator": [torch.Generator, None],
    }
)
def mixup(
    x: torch.Tensor,
    y: torch.Tensor,
    alpha: float = 0.75,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""MixUp as modified by MixMatch (Berthelot et al., 2019, eqs. 8-11).

    Draws, for **every row** ``b``, ``lambda_b ~ Beta(alpha, alpha)``, sets
    ``lambda'_b = max(lambda_b, 1 - lambda_b)``, draws one random permutation
    ``pi`` of the batch, and returns

    .. math::

        x'_b = \lambda'_b x_b + (1 - \lambda'_b) x_{\pi(b)}, \qquad
        y'_b = \lambda'_b y_b + (1 - \lambda'_b) y_{\pi(b)} .

    As in the MixMatch reference implementation (``Beta(beta, beta)`` sampled
    with shape ``[batch, 1, 1, 1]``), ``lambda`` is drawn per example and
    broadcast over the other dimensions of ``x``. ``lambda' >= 0.5`` keeps
    every mixed sample closer to its original. Both the ``lambda``\ s (by
    inverse-CDF sampling of one uniform number per row) and then the
    permutation are drawn from ``generator``, so a seeded generator makes the
    result reproducible on any device.

    Parameters
    ----------
    x : torch.Tensor of shape (N, ...)
        Inputs.
    y : torch.Tensor of shape (N, C)
        Soft / one-hot targets (floating point).
    alpha : float, default=0.75
        Beta distribution parameter ``> 0``.
    generator : torch.Generator or None
        Source of randomness; ``None`` uses the global CPU generator.

    Returns
    -------
    mixed_x : torch.Tensor
        Same shape as ``x``.
    mixed_y : torch.Tensor
        Same shape as ``y``.
    lam : torch.Tensor of shape (N,)
        The ``lambda'`` of every row, in ``[0.5, 1]`` (float64, on ``x``'s
        device).

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import mixup
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(8, 3, 4, 4)
    >>> y = torch.eye(4)[torch.arange(8) % 4]
    >>> mx, my, lam = mixup(x, y, alpha=0.75, generator=g)
    >>> mx.shape, my.shape, lam.shape, bool((lam >= 0.5).all())
    (torch.Size([8, 3, 4, 4]), torch.Size([8, 4]), torch.Size([8]), True)
    """
    if x.dim() < 1 or y.dim() < 1 or x.shape[0] != y.shape[0]:
        raise InvalidParameterError(
            f"mixup: x and y must have the same number of rows, got shapes "
            f"{tuple(x.shape)} and {tuple(y.shape)}."
        )
    if not y.is_floating_point():
        raise InvalidParameterError(
            "mixup: y must be floating point soft targets; one-hot encode integer "
            "labels first."
        )
    n = x.shape[0]
    gen_device = generator.device if generator is not None else torch.device("cpu")
    u = torch.rand(n, generator=generator, device=gen_device, dtype=torch.float64)
    lam = betaincinv(float(alpha), float(alpha), u.cpu().numpy())
    lam = torch.from_numpy(np.maximum(lam, 1.0 - lam)).to(x.device)
    perm = torch.randperm(n, generator=generator, device=gen_device)
    perm_x = perm.to(x.device)
    perm_y = perm.to(y.device)
    lam_x = lam.to(x.dtype).view((n,) + (1,) * (x.dim() - 1))
    lam_y = lam.to(device=y.device, dtype=y.dtype).view((n,) + (1,) * (y.dim() - 1))
    mixed_x = lam_x * x + (1.0 - lam_x) * x[perm_x]
    mixed_y = lam_y * y + (1.0 - lam_y) * y[perm_y]
    return mixed_x, mixed_y, lam


@validate_params({"step": [_REAL], "rampup_length": [_NONNEGATIVE]})
def linear_rampup(step: float, rampup_length: float) -> float:
    """Linear ramp ``clip(step / rampup_length, 0, 1)``.

    Used to ramp up the unsupervised weight of MixMatch; ``rampup_length=0``
    gives ``1.0`` immediately.

    Parameters
    ----------
    step : float
        Current step or (fractional) epoch.
    rampup_length : float
        Length of the ramp, ``>= 0``.

    Returns
    -------
    float

    Examples
    --------
    >>> from skactive.losses import linear_rampup
    >>> linear_rampup(5, 20), linear_rampup(40, 20), linear_rampup(3, 0)
    (0.25, 1.0, 1.0)
    """
    if rampup_length == 0:
        return 1.0
    return float(min(max(float(step) / float(rampup_length), 0.0), 1.0))


class MixMatchLoss(nn.Module):
    r"""MixMatch loss (Berthelot et al., NeurIPS 2019, eqs. 2-5).

    .. math::

        L_X = -\frac{1}{|X'|} \sum_{b \in X'} \sum_c t_{bc}
              \log \mathrm{softmax}(z_b)_c, \qquad
        L_U = \frac{1}{|U'| \, C} \sum_{b \in U'} \sum_c
              (\mathrm{softmax}(z_b)_c - q_{bc})^2,

    .. math:: L = L_X + \lambda_U \cdot s \cdot L_U .

    ``L_U`` is the mean squared error averaged over **both** rows and classes
    (``torch.mean`` over all elements, as in the widely used reference
    implementation), so it is ``1/C`` times the paper's per-sample squared L2
    distance; the default ``lambda_u=75`` is tuned for this convention. ``s``
    (``lambda_u_scale``) is typically :func:`linear_rampup` of the training
    progress.

    Parameters
    ----------
    lambda_u : float, default=75.0
        Weight of the unlabeled (consistency) term, ``>= 0``.

    References
    ----------
    D. Berthelot, N. Carlini, I. Goodfellow, N. Papernot, A. Oliver and
    C. Raffel, "MixMatch: A Holistic Approach to Semi-Supervised Learning",
    NeurIPS 2019.

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import MixMatchLoss
    >>> g = torch.Generator().manual_seed(0)
    >>> logits_x = torch.randn(4, 3, generator=g, requires_grad=True)
    >>> targets_x = torch.eye(3)[[0, 1, 2, 0]]
    >>> logits_u = torch.randn(6, 3, generator=g, requires_grad=True)
    >>> targets_u = torch.softmax(torch.randn(6, 3, generator=g), dim=1)
    >>> loss = MixMatchLoss(lambda_u=75.0)(logits_x, targets_x, logits_u,
    ...                                    targets_u, lambda_u_scale=0.5)
    >>> loss.backward()
    >>> loss.shape
    torch.Size([])
    """

    _parameter_constraints = {"lambda_u": [_NONNEGATIVE]}

    def __init__(self, lambda_u: float = 75.0):
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

    @staticmethod
    def _check_pair(logits, targets, name):
        if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
            raise InvalidParameterError(
                f"MixMatchLoss: logits_{name} must be a 2-D tensor (batch, classes), "
                f"got {type(logits).__name__} of shape "
                f"{tuple(getattr(logits, 'shape', ()))}."
            )
        if not isinstance(targets, torch.Tensor) or targets.shape != logits.shape:
            raise InvalidParameterError(
                f"MixMatchLoss: targets_{name} must have the shape of logits_{name} "
                f"{tuple(logits.shape)}, got {tuple(getattr(targets, 'shape', ()))}."
            )

    def forward(
        self,
        logits_x: torch.Tensor,
        targets_x: torch.Tensor,
        logits_u: torch.Tensor,
        targets_u: torch.Tensor,
        lambda_u_scale: float = 1.0,
    ) -> torch.Tensor:
        """Combined MixMatch loss.

        Parameters
        ----------
        logits_x : torch.Tensor of shape (Bx, C)
            Logits of the mixed labeled batch.
        targets_x : torch.Tensor of shape (Bx, C)
            Mixed soft targets of the labeled batch.
        logits_u : torch.Tensor of shape (Bu, C)
            Logits of the mixed unlabeled batch.
        targets_u : torch.Tensor of shape (Bu, C)
            Mixed (sharpened) guessed targets of the unlabeled batch.
        lambda_u_scale : float, default=1.0
            Multiplier ``s`` of ``lambda_u`` (e.g. a ramp-up factor).

        Returns
        -------
        torch.Tensor
            Scalar loss. An empty part contributes 0.
        """
        self._check_pair(logits_x, targets_x, "x")
        self._check_pair(logits_u, targets_u, "u")
        validate_parameter(lambda_u_scale, "lambda_u_scale", [_REAL], "MixMatchLoss")
        if logits_x.shape[0]:
            loss_x = -(targets_x * F.log_softmax(logits_x, dim=1)).sum(dim=1).mean()
        else:
            loss_x = logits_x.sum() * 0.0
        if logits_u.shape[0]:
            loss_u = (torch.softmax(logits_u, dim=1) - targets_u).square().mean()
        else:
            loss_u = logits_u.sum() * 0.0
        return loss_x + self.lambda_u * float(lambda_u_scale) * loss_u
