"""Implicit semantic data augmentation (ISDA) loss."""

from __future__ import annotations

from numbers import Integral, Real

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    parameter_constraints,
    validate_parameter,
    validate_parameter_constraints,
    validate_params,
)

_NONNEGATIVE = Interval(Real, 0, None, closed="left")

__all__ = ["ISDALoss", "isda_lambda"]


@validate_params(
    {
        "epoch": [_NONNEGATIVE],
        "max_epochs": [Interval(Real, 0, None, closed="neither")],
        "lambda0": [_NONNEGATIVE],
    }
)
def isda_lambda(epoch: float, max_epochs: float, lambda0: float = 0.5) -> float:
    """Linear ISDA strength schedule ``lambda = lambda0 * epoch / max_epochs``.

    Parameters
    ----------
    epoch : float
        Current epoch (``>= 0``).
    max_epochs : float
        Total number of epochs (``> 0``).
    lambda0 : float, default=0.5
        Final strength (``>= 0``).

    Returns
    -------
    float

    Examples
    --------
    >>> from skactive.losses import isda_lambda
    >>> isda_lambda(50, 200, lambda0=0.5)
    0.125
    """
    return float(lambda0) * float(epoch) / float(max_epochs)


#: ``lambda_`` of ``forward`` / ``augmented_logits``.
_LAMBDA = [_NONNEGATIVE, None]


class ISDALoss(nn.Module):
    r"""Implicit semantic data augmentation loss (Wang et al., TPAMI 2021).

    ISDA (used by DAST-AL) augments deep features implicitly along directions
    drawn from a class-conditional Gaussian ``N(0, lambda * Sigma_y)``. For a
    linear classifier ``z = W a + b`` the expected cross-entropy over the
    augmented features is upper-bounded by the cross-entropy of the
    *augmented logits*

    .. math::

        \tilde z_j = z_j + \frac{\lambda}{2}
            (w_j - w_y)^\top \Sigma_y (w_j - w_y),

    where ``y`` is the true class of the sample (the true-class logit is
    unchanged). ``Sigma_y`` is estimated online from the features seen in
    training. For class ``c`` with ``n_c`` previous samples, mean ``mu`` and
    covariance ``Sigma`` and a new batch of ``m_c`` samples with mean
    ``mu_b`` and biased covariance ``Sigma_b``:

    .. math::

        \mu' = \frac{n_c \mu + m_c \mu_b}{n_c + m_c}, \quad
        \Sigma' = \frac{n_c \Sigma + m_c \Sigma_b}{n_c + m_c}
            + \frac{n_c m_c (\mu - \mu_b)(\mu - \mu_b)^\top}{(n_c + m_c)^2},

    so the running estimates equal the mean and the biased (``1/n``)
    covariance of all features seen so far.

    Parameters
    ----------
    n_features : int
        Feature dimension ``d`` (input size of the final linear layer).
    n_classes : int
        Number of classes ``C``.
    lambda0 : float, default=0.5
        Default strength, used when ``forward`` gets ``lambda_=None``; in
        training it is usually annealed with :func:`isda_lambda`.
    diagonal : bool, default=False
        Keep only per-class variances (``C x d`` instead of ``C x d x d``).
        The full covariance needs ``C * d**2`` floats (4 bytes each in
        float32): e.g. 100 classes with 512 features is 26 M floats (~105
        MB), 1000 classes with 2048 features is 4.2 G floats (~17 GB). Use
        ``diagonal=True`` when ``C * d**2`` floats exceed a few hundred MB or
        when there are too few samples per class for a stable ``d x d``
        estimate.
    reduction : {"mean", "sum", "none"}, default="mean"
        Reduction of the per-sample cross-entropy.

    Attributes
    ----------
    class_means : torch.Tensor of shape (C, d)
        Running per-class feature means (buffer).
    class_covariances : torch.Tensor of shape (C, d, d) or (C, d)
        Running biased per-class covariances, or variances when
        ``diagonal=True`` (buffer).
    class_counts : torch.Tensor of shape (C,), int64
        Number of samples seen per class (buffer).

    Notes
    -----
    The buffers move with ``.to(device)`` and are saved in ``state_dict``.
    The statistics are updated from ``features.detach()`` before the
    augmented logits are computed (as in the reference implementation); the
    covariance term is not differentiated.

    References
    ----------
    Y. Wang, G. Huang, S. Song, X. Pan, Y. Xia and C. Wu, "Regularizing Deep
    Networks with Semantic Data Augmentation", IEEE TPAMI 44(7), 2021.

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import ISDALoss, isda_lambda
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> fc = torch.nn.Linear(16, 4)
    >>> criterion = ISDALoss(n_features=16, n_classes=4)
    >>> features = torch.randn(32, 16, requires_grad=True)
    >>> target = torch.randint(0, 4, (32,))
    >>> loss = criterion(features, target, fc.weight, fc.bias,
    ...                  lambda_=isda_lambda(10, 100))
    >>> loss.backward()
    >>> criterion.class_counts.sum().item()
    32
    """

    _parameter_constraints = {
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_classes": [Interval(Integral, 1, None, closed="left")],
        "lambda0": [_NONNEGATIVE],
        "diagonal": ["boolean"],
        "reduction": [StrOptions({"mean", "sum", "none"})],
    }

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        lambda0: float = 0.5,
        diagonal: bool = False,
        reduction: str = "mean",
    ):
        super().__init__()
        validate_parameter_constraints(
            parameter_constraints(self),
            {
                "n_features": n_features,
                "n_classes": n_classes,
                "lambda0": lambda0,
                "diagonal": diagonal,
                "reduction": reduction,
            },
            type(self).__name__,
        )
        self.n_features = int(n_features)
        self.n_classes = int(n_classes)
        self.lambda0 = float(lambda0)
        self.diagonal = bool(diagonal)
        self.reduction = reduction
        d, c = self.n_features, self.n_classes
        cov_shape = (c, d) if self.diagonal else (c, d, d)
        self.register_buffer("class_means", torch.zeros(c, d))
        self.register_buffer("class_covariances", torch.zeros(cov_shape))
        self.register_buffer("class_counts", torch.zeros(c, dtype=torch.long))

    def extra_repr(self) -> str:
        """The loss's settings, shown in its ``repr``.

        Returns
        -------
        str
            ``name=value`` pairs of the constructor arguments.
        """
        return (
            f"n_features={self.n_features}, n_classes={self.n_classes}, "
            f"lambda0={self.lambda0}, diagonal={self.diagonal}, "
            f"reduction={self.reduction!r}"
        )

    # -- validation -------------------------------------------------------
    def _check_features_target(self, features, target):
        if not isinstance(features, torch.Tensor) or features.dim() != 2:
            raise InvalidParameterError(
                "ISDALoss: features must be a 2-D tensor (batch, n_features), got "
                f"{type(features).__name__} of shape "
                f"{tuple(getattr(features, 'shape', ()))}."
            )
        if features.shape[1] != self.n_features:
            raise InvalidParameterError(
                f"ISDALoss: features has {features.shape[1]} columns but "
                f"n_features={self.n_features}."
            )
        if (
            not isinstance(target, torch.Tensor)
            or target.dim() != 1
            or target.shape[0] != features.shape[0]
        ):
            raise InvalidParameterError(
                "ISDALoss: target must be a 1-D tensor with one class index per row "
                f"of features ({features.shape[0]}), got shape "
                f"{tuple(getattr(target, 'shape', ()))}."
            )
        if target.is_floating_point() or target.is_complex():
            raise InvalidParameterError(
                f"ISDALoss: target must hold integer class indices, got {target.dtype}."
            )
        if target.numel() and (
            int(target.min()) < 0 or int(target.max()) >= self.n_classes
        ):
            raise InvalidParameterError(
                f"ISDALoss: target values must be in [0, {self.n_classes - 1}], got "
                f"range [{int(target.min())}, {int(target.max())}]."
            )

    def _check_linear(self, weight, bias):
        c, d = self.n_classes, self.n_features
        if not isinstance(weight, torch.Tensor) or tuple(weight.shape) != (c, d):
            raise InvalidParameterError(
                f"ISDALoss: weight must have shape (n_classes, n_features) = ({c}, "
                f"{d}), got {tuple(getattr(weight, 'shape', ()))}."
            )
        if bias is not None and (
            not isinstance(bias, torch.Tensor) or tuple(bias.shape) != (c,)
        ):
            raise InvalidParameterError(
                f"ISDALoss: bias must have shape (n_classes,) = ({c},) or be None, "
                f"got {tuple(getattr(bias, 'shape', ()))}."
            )

    # -- statistics -------------------------------------------------------
    def reset_statistics(self) -> None:
        """Zero the running means, covariances and counts."""
        self.class_means.zero_()
        self.class_covariances.zero_()
        self.class_counts.zero_()

    @torch.no_grad()
    def update(self, features: torch.Tensor, target: torch.Tensor) -> None:
        """Update the running class statistics with a batch of features.

        Parameters
        ----------
        features : torch.Tensor of shape (m, d)
        target : torch.Tensor of shape (m,)
            Integer class labels.
        """
        self._check_features_target(features, target)
        feats = features.detach().to(self.class_means.dtype)
        onehot = F.one_hot(target.long(), self.n_classes).to(feats.dtype)  # (m, C)
        m = onehot.sum(dim=0)  # (C,)
        m_safe = m.clamp(min=1.0)
        mu_b = (onehot.T @ feats) / m_safe[:, None]  # (C, d)
        centered = feats - mu_b[target]  # (m, d)
        if self.diagonal:
            cov_b = (onehot.T @ centered.square()) / m_safe[:, None]
        else:
            weighted = onehot.T[:, :, None] * centered[None, :, :]  # (C, m, d)
            cov_b = torch.einsum("cmd,me->cde", weighted, centered)
            cov_b = cov_b / m_safe[:, None, None]
        n = self.class_counts.to(feats.dtype)
        total = (n + m).clamp(min=1.0)
        w_old = n / total
        w_new = m / total
        diff = self.class_means - mu_b  # (C, d)
        cross = n * m / total.square()  # (C,)
        if self.diagonal:
            new_cov = w_old[:, None] * self.class_covariances + w_new[:, None] * cov_b
            new_cov = new_cov + cross[:, None] * diff.square()
        else:
            new_cov = (
                w_old[:, None, None] * self.class_covariances
                + w_new[:, None, None] * cov_b
                + cross[:, None, None] * diff[:, :, None] * diff[:, None, :]
            )
        self.class_means.copy_(
            w_old[:, None] * self.class_means + w_new[:, None] * mu_b
        )
        self.class_covariances.copy_(new_cov)
        self.class_counts.add_(m.round().to(self.class_counts.dtype))

    # -- logits -----------------------------------------------------------
    def augmented_logits(
        self,
        features: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None = None,
        lambda_: float | None = None,
    ) -> torch.Tensor:
        """ISDA-augmented logits with the current statistics (no update).

        Parameters
        ----------
        features : torch.Tensor of shape (m, d)
        target : torch.Tensor of shape (m,)
        weight : torch.Tensor of shape (C, d)
            Weight of the final linear layer.
        bias : torch.Tensor of shape (C,) or None
            Bias of the final linear layer.
        lambda_ : float or None
            Augmentation strength; ``None`` uses ``lambda0``.

        Returns
        -------
        torch.Tensor of shape (m, C)
        """
        self._check_features_target(features, target)
        self._check_linear(weight, bias)
        validate_parameter(lambda_, "lambda_", _LAMBDA, "ISDALoss")
        lam = self.lambda0 if lambda_ is None else float(lambda_)
        logits = F.linear(features, weight, bias)
        if lam == 0 or features.shape[0] == 0:
            return logits
        classes, inverse = torch.unique(target.long(), return_inverse=True)
        cov = self.class_covariances[classes].detach().to(weight.dtype)
        w_t = weight.T  # (d, C)
        diff = w_t[None, :, :] - weight[classes][:, :, None]  # (U, d, C)
        if self.diagonal:
            quad = (diff.square() * cov[:, :, None]).sum(dim=1)  # (U, C)
        else:
            quad = (torch.bmm(cov, diff) * diff).sum(dim=1)  # (U, C)
        return logits + 0.5 * lam * quad[inverse].to(logits.dtype)

    def forward(
        self,
        features: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None = None,
        lambda_: float | None = None,
    ) -> torch.Tensor:
        """Update the statistics, then return the cross-entropy of the
        augmented logits.

        Parameters
        ----------
        features : torch.Tensor of shape (m, d)
            Deep features (input of the final linear layer).
        target : torch.Tensor of shape (m,)
            Integer labels.
        weight : torch.Tensor of shape (C, d)
            Final linear layer's weight.
        bias : torch.Tensor of shape (C,) or None
            Final linear layer's bias.
        lambda_ : float or None
            Augmentation strength; ``None`` uses ``lambda0``.

        Returns
        -------
        torch.Tensor
            Scalar loss (or per-sample losses with ``reduction="none"``).
        """
        self._check_linear(weight, bias)
        self.update(features, target)
        logits = self.augmented_logits(features, target, weight, bias, lambda_)
        return F.cross_entropy(logits, target.long(), reduction=self.reduction)
