"""VAAL: variational adversarial active learning (Sinha et al., ICCV 2019)."""

from __future__ import annotations

import numbers

import numpy as np
import torch

from .._inference import embed_pool
from .._validation import (
    Interval,
    PositiveInts,
    StrOptions,
    check_fitted,
)
from ..selection import kcenter_greedy, top_k
from ._base import QueryStrategy

__all__ = ["VAAL"]

_POS = [Interval(numbers.Integral, 1, None, closed="left")]
_NONNEG = [Interval(numbers.Real, 0, None, closed="left")]
_ENCODE_ROWS = 4096


def _standardised(unlabeled, labeled):
    """Both sets scaled by the mean and spread of all their rows together."""
    rows = unlabeled if labeled is None else np.concatenate([unlabeled, labeled])
    mean = rows.mean(axis=0)
    std = rows.std(axis=0)
    std = np.where(std > 1e-6, std, 1.0)
    scale = lambda a: ((a - mean) / std).astype(np.float32)  # noqa: E731
    return scale(unlabeled), None if labeled is None else scale(labeled)


class VAAL(QueryStrategy):
    r"""Variational adversarial active learning (Sinha et al., ICCV 2019).

    A :math:`\beta`-VAE learns a latent space of all rows, labeled and
    unlabeled, while a discriminator :math:`D` on its latent means learns to
    tell the labeled rows from the unlabeled ones; the VAE is also trained
    to fool it. Per iteration (:func:`skactive.nets.vaal.fit_vaal`):

    .. math::

        \min_{\text{VAE}}\; L_{\text{VAE}}(x_L) + L_{\text{VAE}}(x_U)
            - \lambda\bigl[\log D(\mu_L) + \log D(\mu_U)\bigr], \qquad
        \min_D\; -\log D(\mu_L) - \log\bigl(1 - D(\mu_U)\bigr),

    with :math:`L_{\text{VAE}} = \lVert x - \hat x\rVert^2 + \beta\,
    \mathrm{KL}(q(z\mid x)\,\Vert\,\mathcal N(0, I))`
    (:class:`~skactive.losses.VAELoss`: mean squared error, KL summed over
    the batch as in the authors' code). The query is the ``n_instances``
    pool rows the discriminator is most confident are unlabeled, the lowest
    :math:`D(\mu(x))`; the score returned is :math:`1 - D(\mu(x))`.

    The VAE is a fully connected :math:`\beta`-VAE over flat rows, where
    the paper's, for images, is convolutional.

    VAAL is task-agnostic: by default it reads the rows themselves
    (flattened and standardised), never the estimator, so it works beside
    any estimator, fitted or not. Without labeled rows (cold start) it
    trains the VAE alone and picks rows spread over its latent space by
    k-center greedy on the latent means (not part of the paper, whose
    first set is random).

    The labeled rows come from the ``X_labeled`` keyword of the call, or
    else from the learner's ``X_training``.

    Parameters
    ----------
    features : {"rows", "embedding"}, default="rows"
        What the VAE models: ``"rows"``, the pool rows (the paper); or
        ``"embedding"``, the fitted estimator's embeddings (see
        :func:`~skactive._inference.embed_pool`), a cheaper task-aware
        variant.
    latent_dim : int, default=32
        Width of the latent space (the paper's 32).
    hidden_units : int or sequence of int, default=(256,)
        Hidden widths of the VAE's fully connected encoder and decoder.
    beta : float, default=1.0
        :math:`\beta`, the KL weight (the authors' 1).
    adversary_weight : float, default=1.0
        :math:`\lambda`, the adversarial weight (the authors' 1).
    n_iterations : int, default=500
        Training iterations per query (each: 2 VAE and 2 discriminator
        steps).
    batch_size : int, default=64
        Rows per batch of each kind.
    discriminator_width : int, default=512
        Hidden width of the discriminator (the authors' 512).
    lr : float, default=5e-4
        Adam learning rate.
    device : str or torch.device, default="cpu"
        Where the VAE and the discriminator train.
    R : int or None, default=None
        Candidate subsample size (see
        :class:`~skactive.strategies.QueryStrategy`): the models train on
        and score only ``R`` random pool rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the candidate subsample, the models' initialisation, batches
        and noise. Pass an int for reproducible output across multiple
        function calls.

    References
    ----------
    S. Sinha, S. Ebrahimi and T. Darrell, "Variational Adversarial Active
    Learning", ICCV 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies import VAAL
    >>> rng = np.random.RandomState(0)
    >>> X_labeled = rng.normal(0, 1, (30, 4))
    >>> X_pool = np.vstack([rng.normal(0, 1, (30, 4)), rng.normal(6, 1, (30, 4))])
    >>> vaal = VAAL(latent_dim=4, n_iterations=100, random_state=0)
    >>> picks = vaal(None, X_pool, n_instances=10, X_labeled=X_labeled)
    >>> int((picks >= 30).sum())  # from the region nothing labeled covers
    9
    """

    _requires_fit = False

    _parameter_constraints = {
        "features": [StrOptions({"rows", "embedding"})],
        "latent_dim": _POS,
        "hidden_units": [PositiveInts()],
        "beta": _NONNEG,
        "adversary_weight": _NONNEG,
        "n_iterations": _POS,
        "batch_size": _POS,
        "discriminator_width": _POS,
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "device": ["device"],
    }

    def __init__(
        self,
        *,
        features="rows",
        latent_dim=32,
        hidden_units=(256,),
        beta=1.0,
        adversary_weight=1.0,
        n_iterations=500,
        batch_size=64,
        discriminator_width=512,
        lr=5e-4,
        device="cpu",
        R=None,
        random_state=None,
    ):
        super().__init__(R=R, random_state=random_state)
        self.features = features
        self.latent_dim = latent_dim
        self.hidden_units = hidden_units
        self.beta = beta
        self.adversary_weight = adversary_weight
        self.n_iterations = n_iterations
        self.batch_size = batch_size
        self.discriminator_width = discriminator_width
        self.lr = lr
        self.device = device

    def _features(self, model, X):
        if self.features == "embedding":
            check_fitted(model)
            return np.asarray(embed_pool(model, X), dtype=np.float64)
        # no estimator: the rows themselves, flattened (the inference door's
        # answer for a model without embeddings)
        return np.asarray(embed_pool(None, X), dtype=np.float64)

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        X_labeled, _ = self._labeled_rows(estimator, learner, kwargs)
        self._reject_kwargs(kwargs, type(self).__name__)
        from ..nets.vaal import fit_vaal

        unlabeled = self._features(estimator, X)
        labeled = None if X_labeled is None else self._features(estimator, X_labeled)
        unlabeled, labeled = _standardised(unlabeled, labeled)
        vae, disc = fit_vaal(
            labeled,
            unlabeled,
            latent_dim=self.latent_dim,
            hidden_units=self.hidden_units,
            beta=self.beta,
            adversary_weight=self.adversary_weight,
            n_iterations=self.n_iterations,
            batch_size=self.batch_size,
            discriminator_width=self.discriminator_width,
            lr=self.lr,
            device=self.device,
            random_state=rng,
        )
        mu = np.empty((len(unlabeled), self.latent_dim), dtype=np.float32)
        p_unlabeled = np.empty(len(unlabeled), dtype=np.float64)
        with torch.no_grad():
            for start in range(0, len(unlabeled), _ENCODE_ROWS):
                rows = torch.as_tensor(
                    unlabeled[start : start + _ENCODE_ROWS], device=self.device
                )
                m, _ = vae.encode(rows)
                mu[start : start + len(rows)] = m.cpu().numpy()
                if disc is not None:
                    # 1 - D = sigmoid(-logit), in float64: fewer saturated ties
                    logit = disc.net(m).squeeze(1).double()
                    p_unlabeled[start : start + len(rows)] = (
                        torch.sigmoid(-logit).cpu().numpy()
                    )
        if disc is None:  # cold start: spread over the latent space
            return kcenter_greedy(mu, n_instances, random_state=rng), None
        indices = top_k(p_unlabeled, n_instances, random_state=rng)
        return indices, p_unlabeled[indices]
