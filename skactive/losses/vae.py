"""The beta-VAE loss: reconstruction + beta x KL to the standard normal prior."""

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
    validate_params,
)

__all__ = ["VAELoss", "gaussian_kl"]


@validate_params({"mu": ["tensor"], "logvar": ["tensor"]})
def gaussian_kl(mu, logvar):
    r"""KL divergence of a diagonal Gaussian posterior to the standard normal.

    For :math:`q = \mathcal N(\mu, \mathrm{diag}\,\sigma^2)` and
    :math:`p = \mathcal N(0, I)`:

    .. math::

        \mathrm{KL} = -\frac12 \sum_k \bigl(1 + \log\sigma_k^2 - \mu_k^2
            - \sigma_k^2\bigr),

    one value per row (summed over the latent dimensions).

    Parameters
    ----------
    mu : torch.Tensor of shape (N, d)
        Means of the posterior.
    logvar : torch.Tensor of shape (N, d)
        Log-variances :math:`\log\sigma^2`.

    Returns
    -------
    torch.Tensor of shape (N,)
        The divergence of each row.

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import gaussian_kl
    >>> float(gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)).abs().sum())
    0.0
    >>> gaussian_kl(torch.ones(1, 2), torch.zeros(1, 2))
    tensor([1.])
    """
    return -0.5 * torch.sum(1 + logvar - mu.square() - logvar.exp(), dim=1)


class VAELoss(nn.Module):
    r"""The :math:`\beta`-VAE objective of VAAL (Sinha et al. 2019, eq. 1).

    .. math::

        L_{\text{VAE}} = \frac1{N D}\,\lVert x - \hat x \rVert^2
            + \beta\,\sum_i \mathrm{KL}\bigl(q(z \mid x_i)
            \,\Vert\, \mathcal N(0, I)\bigr),

    the mean squared reconstruction error over all ``N x D`` entries plus
    :math:`\beta` times the per-row KL divergence (:func:`gaussian_kl`)
    summed over the batch, as in the authors' code (``kl_reduction="sum"``);
    ``"mean"`` averages it instead, which keeps :math:`\beta` independent of
    the batch size but weakens the KL term by the batch size.

    Parameters
    ----------
    beta : float, default=1.0
        Weight :math:`\beta` of the KL term, ``>= 0``.
    kl_reduction : {"sum", "mean"}, default="sum"
        How the per-row KL divergences are combined over the batch.

    References
    ----------
    S. Sinha, S. Ebrahimi and T. Darrell, "Variational Adversarial Active
    Learning", ICCV 2019.

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import VAELoss
    >>> x = torch.zeros(4, 3)
    >>> VAELoss(beta=1.0)(x, x + 1, torch.zeros(4, 2), torch.zeros(4, 2))
    tensor(1.)
    >>> VAELoss(beta=1.0)(x, x, torch.ones(4, 2), torch.zeros(4, 2))  # 4 rows x 1
    tensor(4.)
    """

    _parameter_constraints = {
        "beta": [Interval(Real, 0, None, closed="left")],
        "kl_reduction": [StrOptions({"sum", "mean"})],
    }

    def __init__(self, beta: float = 1.0, kl_reduction: str = "sum"):
        super().__init__()
        validate_parameter_constraints(
            parameter_constraints(self),
            {"beta": beta, "kl_reduction": kl_reduction},
            type(self).__name__,
        )
        self.beta = float(beta)
        self.kl_reduction = kl_reduction

    def extra_repr(self) -> str:
        """The loss's settings, shown in its ``repr``.

        Returns
        -------
        str
            ``name=value`` pairs of the constructor arguments.
        """
        return f"beta={self.beta}, kl_reduction={self.kl_reduction!r}"

    def forward(self, x, recon, mu, logvar):
        """The loss of a batch.

        Parameters
        ----------
        x : torch.Tensor of shape (N, ...)
            Inputs.
        recon : torch.Tensor of the shape of ``x``
            Their reconstructions.
        mu : torch.Tensor of shape (N, d)
            Posterior means.
        logvar : torch.Tensor of shape (N, d)
            Posterior log-variances.

        Returns
        -------
        torch.Tensor
            A scalar.
        """
        if recon.shape != x.shape or mu.shape != logvar.shape:
            raise InvalidParameterError(
                f"VAELoss: recon must have the shape of x and logvar that of mu, "
                f"got {tuple(x.shape)}, {tuple(recon.shape)}, {tuple(mu.shape)}, "
                f"{tuple(logvar.shape)}."
            )
        mse = torch.mean((recon - x).square())
        kl = gaussian_kl(mu, logvar)
        kl = kl.sum() if self.kl_reduction == "sum" else kl.mean()
        return mse + self.beta * kl
