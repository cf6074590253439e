"""Bayes by Backprop (Blundell et al. 2015): Gaussian weights, variational inference."""

from __future__ import annotations

import contextlib
import math
import numbers

import numpy as np
import torch
import torch.nn.functional as F
from skorch.utils import to_tensor
from torch import nn

from .._random import forked_torch_rng, seed_from_random_state
from .._validation import (
    Interval,
    PositiveInts,
    validate_parameter,
    validate_parameter_constraints,
)
from ._classifier import DeepClassifier, _first_output

__all__ = ["BayesLinear", "BayesMLP", "BayesByBackpropClassifier", "bayes_kl"]

_POS = [Interval(numbers.Integral, 1, None, closed="left")]
_SIGMA = [Interval(numbers.Real, 0, None, closed="neither")]


class BayesLinear(nn.Module):
    r"""A linear layer with factorised Gaussian weights (Blundell et al. 2015).

    Every weight and bias is :math:`w = \mu + \sigma\,\varepsilon`,
    :math:`\sigma = \log(1 + e^\rho)` (softplus), :math:`\varepsilon \sim
    \mathcal N(0, 1)`, with the prior :math:`\mathcal N(0, \sigma_p^2)`.
    In training mode each forward pass draws new weights (the
    reparameterisation trick); in eval mode the layer uses the means, unless
    :func:`weight_samples` fixes a draw.

    Parameters
    ----------
    in_features : int
        Input width.
    out_features : int
        Output width.
    prior_sigma : float, default=1.0
        Standard deviation :math:`\sigma_p` of the Gaussian prior.
    rho_init : float, default=-5.0
        Initial :math:`\rho` (softplus(-5) ~ 0.0067: nearly deterministic
        weights at first).

    Examples
    --------
    >>> import torch
    >>> from skactive.nets.bayes_by_backprop import BayesLinear
    >>> layer = BayesLinear(3, 2)
    >>> layer(torch.zeros(4, 3)).shape
    torch.Size([4, 2])
    >>> bool(layer.kl() > 0)
    True
    """

    _parameter_constraints = {
        "in_features": _POS,
        "out_features": _POS,
        "prior_sigma": _SIGMA,
        "rho_init": [Interval(numbers.Real, None, None, closed="neither")],
    }

    def __init__(self, in_features, out_features, prior_sigma=1.0, rho_init=-5.0):
        super().__init__()
        validate_parameter_constraints(
            self._parameter_constraints,
            {
                "in_features": in_features,
                "out_features": out_features,
                "prior_sigma": prior_sigma,
                "rho_init": rho_init,
            },
            type(self).__name__,
        )
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.prior_sigma = float(prior_sigma)
        bound = 1.0 / math.sqrt(self.in_features)
        self.weight_mu = nn.Parameter(
            torch.empty(self.out_features, self.in_features).uniform_(-bound, bound)
        )
        self.bias_mu = nn.Parameter(
            torch.empty(self.out_features).uniform_(-bound, bound)
        )
        self.weight_rho = nn.Parameter(
            torch.full((self.out_features, self.in_features), float(rho_init))
        )
        self.bias_rho = nn.Parameter(torch.full((self.out_features,), float(rho_init)))
        self.fixed_eps = None  # (eps_weight, eps_bias) set by weight_samples

    @property
    def weight(self):
        """torch.Tensor: The weight means (what a plain linear layer would hold)."""
        return self.weight_mu

    def forward(self, x):
        """``x @ w.T + b`` with sampled (training, fixed draw) or mean weights.

        Parameters
        ----------
        x : torch.Tensor of shape (N, in_features)

        Returns
        -------
        torch.Tensor of shape (N, out_features)
        """
        if self.fixed_eps is not None:
            eps_w, eps_b = self.fixed_eps
        elif self.training:
            eps_w = torch.randn_like(self.weight_mu)
            eps_b = torch.randn_like(self.bias_mu)
        else:
            return F.linear(x, self.weight_mu, self.bias_mu)
        w = self.weight_mu + F.softplus(self.weight_rho) * eps_w
        b = self.bias_mu + F.softplus(self.bias_rho) * eps_b
        return F.linear(x, w, b)

    def kl(self):
        r"""Closed-form :math:`\mathrm{KL}(q \Vert p)`, summed over weights and biases.

        .. math::

            \sum \log\frac{\sigma_p}{\sigma} + \frac{\sigma^2 + \mu^2}{2\sigma_p^2}
                - \frac12 .

        Returns
        -------
        torch.Tensor
            A scalar.
        """
        total = 0.0
        for mu, rho in (
            (self.weight_mu, self.weight_rho),
            (self.bias_mu, self.bias_rho),
        ):
            total = total + bayes_kl(mu, F.softplus(rho), self.prior_sigma)
        return total


def bayes_kl(mu, sigma, prior_sigma):
    r"""KL of :math:`\mathcal N(\mu, \sigma^2)` to the prior, summed over entries.

    The prior is :math:`\mathcal N(0, \sigma_p^2)`.

    Parameters
    ----------
    mu : torch.Tensor
        Posterior means.
    sigma : torch.Tensor
        Posterior standard deviations (same shape).
    prior_sigma : float
        Prior standard deviation.

    Returns
    -------
    torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> from skactive.nets.bayes_by_backprop import bayes_kl
    >>> float(bayes_kl(torch.zeros(3), torch.ones(3), 1.0))
    0.0
    """
    return torch.sum(
        math.log(prior_sigma)
        - torch.log(sigma)
        + (sigma.square() + mu.square()) / (2 * prior_sigma**2)
        - 0.5
    )


def _bayes_layers(module):
    return [m for m in module.modules() if isinstance(m, BayesLinear)]


@contextlib.contextmanager
def weight_samples(module):
    """Fix one weight draw of every :class:`BayesLinear` of ``module`` at a time.

    Yields a function ``draw(generator=None, eps=None)``: with a
    ``generator`` (a :class:`torch.Generator` on the CPU) it samples new
    :math:`\varepsilon` for every layer, with ``eps`` (what an earlier call
    returned) it reuses a draw; either way the draw is kept by the layers
    until the next call and returned. On exit the layers sample again
    (training) or use their means (eval).
    """
    layers = _bayes_layers(module)

    def draw(generator=None, eps=None):
        if eps is None:
            eps = []
            for layer in layers:
                device = layer.weight_mu.device
                eps_w = torch.randn(layer.weight_mu.shape, generator=generator)
                eps_b = torch.randn(layer.bias_mu.shape, generator=generator)
                eps.append((eps_w.to(device), eps_b.to(device)))
        for layer, e in zip(layers, eps, strict=True):
            layer.fixed_eps = e
        return eps

    try:
        yield draw
    finally:
        for layer in layers:
            layer.fixed_eps = None


class BayesMLP(nn.Module):
    """A multi-layer perceptron of :class:`BayesLinear` layers returning logits.

    It follows the module contract of :mod:`skactive.nets.modules`:
    ``forward(x) = classifier(dropout(features(x)))``, with ``features`` the
    hidden layers (``BayesLinear -> ReLU``), ``dropout`` present (``p = 0``
    by default: the weights carry the uncertainty) and ``classifier`` a
    :class:`BayesLinear`.

    Parameters
    ----------
    n_features : int
        Input width after flattening.
    n_classes : int
        Number of logits.
    hidden_units : int or sequence of int, default=(256,)
        Hidden widths.
    prior_sigma : float, default=1.0
        Prior standard deviation of every weight.
    dropout : float, default=0.0
        Dropout before ``classifier``.

    Examples
    --------
    >>> import torch
    >>> from skactive.nets.bayes_by_backprop import BayesMLP
    >>> BayesMLP(4, 3, hidden_units=(8,))(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    _parameter_constraints = {
        "n_features": _POS,
        "n_classes": _POS,
        "hidden_units": [PositiveInts(allow_empty=True)],
        "prior_sigma": _SIGMA,
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
    }

    def __init__(
        self, n_features, n_classes, hidden_units=(256,), prior_sigma=1.0, dropout=0.0
    ):
        super().__init__()
        validate_parameter_constraints(
            self._parameter_constraints,
            {
                "n_features": n_features,
                "n_classes": n_classes,
                "hidden_units": hidden_units,
                "prior_sigma": prior_sigma,
                "dropout": dropout,
            },
            type(self).__name__,
        )
        width = int(n_features)
        layers = [nn.Flatten(start_dim=1)]
        for units in PositiveInts.as_tuple(hidden_units):
            layers += [BayesLinear(width, units, prior_sigma), nn.ReLU()]
            width = units
        self.body = nn.Sequential(*layers)
        self.embedding_dim = width
        self.dropout = nn.Dropout(float(dropout))
        self.classifier = BayesLinear(width, int(n_classes), prior_sigma)

    def features(self, x):
        """The penultimate embedding (before dropout).

        Parameters
        ----------
        x : torch.Tensor of shape (N, ...)

        Returns
        -------
        torch.Tensor of shape (N, embedding_dim)
        """
        return self.body(x.to(self.classifier.weight_mu.dtype))

    def forward(self, x):
        """The logits ``classifier(dropout(features(x)))``.

        Parameters
        ----------
        x : torch.Tensor of shape (N, ...)

        Returns
        -------
        torch.Tensor of shape (N, n_classes)
        """
        return self.classifier(self.dropout(self.features(x)))


class BayesByBackpropClassifier(DeepClassifier):
    r"""A net trained by Bayes by Backprop (Blundell et al., ICML 2015).

    The module's :class:`BayesLinear` layers hold a factorised Gaussian
    posterior :math:`q(w) = \mathcal N(\mu, \sigma^2)`,
    :math:`\sigma = \mathrm{softplus}(\rho)`; training minimises the
    variational free energy, per training row,

    .. math::

        \frac1N\,\mathrm{KL}\bigl(q(w) \,\Vert\, p(w)\bigr)
            - \frac1B \sum_{i \in \text{batch}} \log p(y_i \mid x_i, w),
        \qquad w = \mu + \sigma \odot \varepsilon,

    (``N`` training rows, one reparameterised weight draw per batch; the KL
    is weighted by ``kl_weight``). :meth:`predict_proba` uses the posterior
    means; :meth:`predict_proba_samples` draws ``T`` weight samples
    :math:`w_t \sim q`, each shared by every row, which the Bayesian
    strategies (:class:`~skactive.strategies.BALD`,
    :class:`~skactive.strategies.BatchBALD`,
    :class:`~skactive.strategies.VariationRatios` ...) read through the
    same door as MC-dropout samples.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=BayesMLP
        A module with :class:`BayesLinear` layers.
    *args
        Passed on to :class:`~skactive.nets.DeepClassifier`; give every
        other argument by keyword.
    kl_weight : float, default=1.0
        Weight of the KL term (1: the free energy).
    **kwargs
        Every other argument of :class:`~skactive.nets.DeepClassifier`.

    Attributes
    ----------
    n_train_ : int
        Rows of the last training set (the ``N`` of the KL scaling).

    References
    ----------
    C. Blundell, J. Cornebise, K. Kavukcuoglu and D. Wierstra, "Weight
    Uncertainty in Neural Networks", ICML 2015.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import BayesByBackpropClassifier
    >>> from skactive.strategies import BALD
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = BayesByBackpropClassifier(max_epochs=3, random_state=0,
    ...                                 module__hidden_units=(32,))
    >>> net = net.fit(X[:200], y[:200])
    >>> net.predict_proba_samples(X[:5], n_samples=4).shape
    (4, 5, 10)
    >>> BALD(n_samples=4, random_state=0)(net, X[200:], n_instances=3).shape
    (3,)
    """

    _parameter_constraints = {
        "kl_weight": [Interval(numbers.Real, 0, None, closed="left")]
    }

    def __init__(self, module=BayesMLP, *args, kl_weight=1.0, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.kl_weight = kl_weight

    def kl(self):
        """KL of the posterior to the prior, summed over every Bayesian layer.

        Returns
        -------
        torch.Tensor
            A scalar (0 for a module without :class:`BayesLinear` layers).
        """
        total = torch.zeros((), device=self.device)
        for layer in _bayes_layers(self.module_):
            total = total + layer.kl()
        return total

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Record the number of training rows ``N`` that scales the KL.

        Parameters
        ----------
        net : BayesByBackpropClassifier
            This net (skorch passes it to every hook).
        X : array-like, default=None
            The training inputs.
        y : ndarray, default=None
            Their encoded labels.
        **kwargs : dict
            Other arguments of skorch's hook; passed on.
        """
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self.n_train_ = int(len(y)) if y is not None else int(len(X))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Mean NLL of the batch, plus ``kl_weight`` x KL / N in training.

        Parameters
        ----------
        y_pred : torch.Tensor of shape (n, n_classes)
            Logits.
        y_true : torch.Tensor of shape (n,)
        X : ignored
        training : bool, default=False
            Add the KL term (validation losses are the likelihood alone).

        Returns
        -------
        torch.Tensor
        """
        y_true = to_tensor(y_true, device=self.device).long()
        nll = F.cross_entropy(_first_output(y_pred), y_true)
        if not training or self.kl_weight == 0:
            return nll
        return nll + self.kl_weight * self.kl() / max(getattr(self, "n_train_", 1), 1)

    def predict_proba_samples(
        self,
        X,
        n_samples=20,
        *,
        consistent=True,
        dropout_layers=None,
        random_state=None,
    ):
        """Probabilities under ``n_samples`` weight draws from the posterior.

        Draw ``t`` is shared by every row and batch (the samples are
        *consistent*), so joint quantities over rows (BatchBALD) are valid.
        The ``n_samples`` draws are kept during the call (``n_samples`` times
        the number of Bayesian weights).

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n, ...)
            Rows.
        n_samples : int, default=20
            Number of weight draws ``T >= 2``.
        consistent : bool, default=True
            Accepted for the inference door; the draws are always shared by
            every row.
        dropout_layers : None
            Accepted for the inference door; must be ``None``.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws; defaults to the net's ``random_state``.

        Returns
        -------
        ndarray of shape (n_samples, n, n_classes)
        """
        caller = f"{type(self).__name__}.predict_proba_samples"
        validate_parameter(
            n_samples,
            "n_samples",
            [Interval(numbers.Integral, 2, None, closed="left")],
            caller,
        )
        validate_parameter(consistent, "consistent", ["boolean"], caller)
        validate_parameter(dropout_layers, "dropout_layers", [None], caller)
        X = self._check_ready(X)
        seed = seed_from_random_state(
            self.random_state if random_state is None else random_state
        )
        seeds = np.random.SeedSequence(seed).generate_state(n_samples, np.uint64) >> 1
        generator = torch.Generator(device="cpu")
        with weight_samples(self.module_) as draw, forked_torch_rng(self.device, seed):
            draws = {}  # one draw per pass, reused by every batch

            def before_pass(t):
                if t not in draws:
                    generator.manual_seed(int(seeds[t]))
                    draws[t] = draw(generator)
                else:
                    draw(eps=draws[t])

            proba, _ = self._forward_passes(X, n_samples, before_pass=before_pass)
        return proba
