"""VAAL's models: a beta-VAE and a discriminator on its latent space."""

from __future__ import annotations

import numbers

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._random import forked_torch_rng, seed_from_random_state
from .._validation import Interval, PositiveInts, validate_params
from ..losses.vae import VAELoss

__all__ = [
    "VAE",
    "LatentDiscriminator",
    "fit_vaal",
    "vae_objective",
    "discriminator_objective",
]


def _mlp(widths):
    layers = []
    for a, b in zip(widths[:-2], widths[1:-1], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(widths[-2], widths[-1]))
    return nn.Sequential(*layers)


class VAE(nn.Module):
    """A fully connected variational auto-encoder over flat rows.

    ``encoder: x -> hidden -> (mu, logvar)``, a reparameterised sample
    ``z = mu + exp(logvar / 2) * eps``, ``decoder: z -> hidden -> x_hat``.

    Parameters
    ----------
    n_features : int
        Width of the rows.
    latent_dim : int, default=32
        Width of the latent space (the paper's 32 for CIFAR-10).
    hidden_units : int or sequence of int, default=(256,)
        Hidden widths of the encoder (reversed for the decoder).

    Examples
    --------
    >>> import torch
    >>> from skactive.nets.vaal import VAE
    >>> recon, z, mu, logvar = VAE(6, latent_dim=2)(torch.zeros(3, 6))
    >>> recon.shape, mu.shape
    (torch.Size([3, 6]), torch.Size([3, 2]))
    """

    def __init__(self, n_features, latent_dim=32, hidden_units=(256,)):
        super().__init__()
        hidden = list(PositiveInts.as_tuple(hidden_units))
        self.n_features = int(n_features)
        self.latent_dim = int(latent_dim)
        self.encoder = _mlp([self.n_features, *hidden, 2 * self.latent_dim])
        self.decoder = _mlp([self.latent_dim, *hidden[::-1], self.n_features])

    def encode(self, x):
        """Posterior parameters ``(mu, logvar)`` of each row.

        Parameters
        ----------
        x : torch.Tensor of shape (N, n_features)

        Returns
        -------
        mu, logvar : torch.Tensor of shape (N, latent_dim)
        """
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def forward(self, x, generator=None):
        """Reconstruct ``x`` through a reparameterised latent sample.

        Parameters
        ----------
        x : torch.Tensor of shape (N, n_features)
        generator : torch.Generator or None, default=None
            Draws the noise ``eps``.

        Returns
        -------
        recon : torch.Tensor of shape (N, n_features)
        z, mu, logvar : torch.Tensor of shape (N, latent_dim)
        """
        mu, logvar = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device)
        z = mu + torch.exp(0.5 * logvar) * eps
        return self.decoder(z), z, mu, logvar


class LatentDiscriminator(nn.Module):
    """The probability that a latent code comes from a labeled row.

    ``Linear(latent_dim, width) -> ReLU -> Linear(width, width) -> ReLU ->
    Linear(width, 1) -> sigmoid``, as in the authors' code (``width=512``).

    Parameters
    ----------
    latent_dim : int
        Width of the latent codes.
    width : int, default=512
        Hidden width.

    Examples
    --------
    >>> import torch
    >>> from skactive.nets.vaal import LatentDiscriminator
    >>> LatentDiscriminator(2, width=8)(torch.zeros(5, 2)).shape
    torch.Size([5])
    """

    def __init__(self, latent_dim, width=512):
        super().__init__()
        self.net = _mlp([int(latent_dim), int(width), int(width), 1])

    def forward(self, z):
        """``P(labeled | z)`` of each code.

        Parameters
        ----------
        z : torch.Tensor of shape (N, latent_dim)

        Returns
        -------
        torch.Tensor of shape (N,)
        """
        return torch.sigmoid(self.net(z)).squeeze(1)


def vae_objective(
    vae, discriminator, x_labeled, x_unlabeled, *, beta, adversary_weight, generator
):
    r"""The VAE's loss of one VAAL step (Sinha et al. 2019, eqs. 1, 3).

    .. math::

        L = L_{\text{VAE}}(x_L) + L_{\text{VAE}}(x_U)
            - \lambda \bigl[\log D(\mu_L) + \log D(\mu_U)\bigr],

    :class:`~skactive.losses.VAELoss` on both the labeled and unlabeled
    batches, plus the adversarial term that rewards the encoder for making
    the discriminator believe every row is labeled (the binary cross-entropy
    of :math:`D(\mu)` against 1, averaged per batch).

    Parameters
    ----------
    vae : VAE
        The auto-encoder.
    discriminator : LatentDiscriminator
        The discriminator (not updated by this loss's optimizer).
    x_labeled, x_unlabeled : torch.Tensor of shape (B, n_features)
        Batches of labeled and unlabeled rows.
    beta : float
        KL weight.
    adversary_weight : float
        :math:`\lambda`.
    generator : torch.Generator or None
        Draws the reparameterisation noise.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    vae_loss = VAELoss(beta)
    recon_l, _, mu_l, logvar_l = vae(x_labeled, generator=generator)
    recon_u, _, mu_u, logvar_u = vae(x_unlabeled, generator=generator)
    d_l, d_u = discriminator(mu_l), discriminator(mu_u)
    adversarial = F.binary_cross_entropy(
        d_l, torch.ones_like(d_l)
    ) + F.binary_cross_entropy(d_u, torch.ones_like(d_u))
    return (
        vae_loss(x_labeled, recon_l, mu_l, logvar_l)
        + vae_loss(x_unlabeled, recon_u, mu_u, logvar_u)
        + adversary_weight * adversarial
    )


def discriminator_objective(vae, discriminator, x_labeled, x_unlabeled):
    r"""The discriminator's loss of one VAAL step (Sinha et al. 2019, eq. 4).

    .. math::

        L_D = -\log D(\mu_L) - \log\bigl(1 - D(\mu_U)\bigr),

    each term the binary cross-entropy averaged over its batch, on the
    posterior means of the VAE (no gradient into the VAE).

    Parameters
    ----------
    vae : VAE
        The auto-encoder (frozen for this loss).
    discriminator : LatentDiscriminator
        The discriminator.
    x_labeled, x_unlabeled : torch.Tensor of shape (B, n_features)
        Batches of labeled and unlabeled rows.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    with torch.no_grad():
        mu_l, _ = vae.encode(x_labeled)
        mu_u, _ = vae.encode(x_unlabeled)
    d_l, d_u = discriminator(mu_l), discriminator(mu_u)
    return F.binary_cross_entropy(d_l, torch.ones_like(d_l)) + F.binary_cross_entropy(
        d_u, torch.zeros_like(d_u)
    )


_POS = [Interval(numbers.Integral, 1, None, closed="left")]
_NONNEG = [Interval(numbers.Real, 0, None, closed="left")]


@validate_params(
    {
        "X_labeled": ["array-like", None],
        "X_unlabeled": ["array-like"],
        "latent_dim": _POS,
        "hidden_units": [PositiveInts()],
        "beta": _NONNEG,
        "adversary_weight": _NONNEG,
        "n_iterations": _POS,
        "batch_size": _POS,
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_vae_steps": _POS,
        "n_adversary_steps": _POS,
        "discriminator_width": _POS,
        "device": ["device"],
        "random_state": ["random_state"],
    }
)
def fit_vaal(
    X_labeled,
    X_unlabeled,
    *,
    latent_dim=32,
    hidden_units=(256,),
    beta=1.0,
    adversary_weight=1.0,
    n_iterations=500,
    batch_size=64,
    lr=5e-4,
    n_vae_steps=2,
    n_adversary_steps=2,
    discriminator_width=512,
    device="cpu",
    random_state=None,
):
    """Train VAAL's VAE and discriminator on labeled and unlabeled rows.

    Every iteration draws a batch of each (with replacement across
    iterations, as the authors' infinite loaders do), takes
    ``n_vae_steps`` Adam steps on :func:`vae_objective` and
    ``n_adversary_steps`` on :func:`discriminator_objective`. With no
    labeled rows only the VAE is trained (reconstruction + KL).

    Parameters
    ----------
    X_labeled : array-like of shape (n_labeled, n_features) or None
        Flat float rows (``None`` or empty: cold start).
    X_unlabeled : array-like of shape (n_unlabeled, n_features)
        Flat float rows.
    latent_dim : int, default=32
        Width of the latent space.
    hidden_units : int or sequence of int, default=(256,)
        Hidden widths of the VAE.
    beta : float, default=1.0
        KL weight.
    adversary_weight : float, default=1.0
        Weight of the adversarial term in the VAE's loss.
    n_iterations : int, default=500
        Training iterations.
    batch_size : int, default=64
        Rows per batch (of each kind).
    lr : float, default=5e-4
        Adam learning rate of both models (the authors' 5e-4).
    n_vae_steps : int, default=2
        VAE steps per iteration (the authors' 2).
    n_adversary_steps : int, default=2
        Discriminator steps per iteration (the authors' 2).
    discriminator_width : int, default=512
        Hidden width of the discriminator (the authors' 512).
    device : str or torch.device, default="cpu"
        Where the models train.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, batches and noise. Pass an int for
        reproducible output across multiple function calls.

    Returns
    -------
    vae : VAE
        In eval mode.
    discriminator : LatentDiscriminator or None
        In eval mode; ``None`` without labeled rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.nets.vaal import fit_vaal
    >>> X = np.random.RandomState(0).rand(40, 5).astype("float32")
    >>> vae, disc = fit_vaal(X[:10], X[10:], latent_dim=2, n_iterations=5,
    ...                      random_state=0)
    >>> disc.training
    False
    """
    seed = seed_from_random_state(random_state)
    rng = np.random.default_rng(seed)
    Xu = torch.as_tensor(np.asarray(X_unlabeled, dtype=np.float32), device=device)
    Xl = None
    if X_labeled is not None and len(X_labeled):
        Xl = torch.as_tensor(np.asarray(X_labeled, dtype=np.float32), device=device)
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    with forked_torch_rng(device, seed):
        vae = VAE(Xu.shape[1], latent_dim, hidden_units).to(device)
        disc = None
        if Xl is not None:
            disc = LatentDiscriminator(latent_dim, discriminator_width).to(device)
    opt_vae = torch.optim.Adam(vae.parameters(), lr=lr)
    opt_disc = None if disc is None else torch.optim.Adam(disc.parameters(), lr=lr)
    vae_loss = VAELoss(beta)

    def batch(X):
        idx = rng.choice(X.shape[0], min(batch_size, X.shape[0]), replace=False)
        return X[torch.as_tensor(idx, device=X.device)]

    vae.train()
    for _ in range(n_iterations):
        xu = batch(Xu)
        xl = None if Xl is None else batch(Xl)
        for _ in range(n_vae_steps):
            opt_vae.zero_grad()
            if disc is None:
                recon, _, mu, logvar = vae(xu, generator=generator)
                loss = vae_loss(xu, recon, mu, logvar)
            else:
                loss = vae_objective(
                    vae,
                    disc,
                    xl,
                    xu,
                    beta=beta,
                    adversary_weight=adversary_weight,
                    generator=generator,
                )
            loss.backward()
            opt_vae.step()
        if disc is None:
            continue
        disc.train()
        for _ in range(n_adversary_steps):
            opt_disc.zero_grad()
            discriminator_objective(vae, disc, xl, xu).backward()
            opt_disc.step()
    vae.eval()
    if disc is not None:
        disc.eval()
    return vae, disc
