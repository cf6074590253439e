"""Bayes by Backprop (skactive/nets/bayes_by_backprop.py): the layer, its KL,
the free-energy loss and the weight samples the Bayesian strategies read."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skactive._validation import InvalidParameterError
from skactive.nets import BayesByBackpropClassifier, BayesLinear, BayesMLP
from skactive.nets.bayes_by_backprop import bayes_kl, weight_samples
from skactive.strategies import BALD


def test_kl_matches_monte_carlo_and_torch():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(6, dtype=torch.float64, generator=g)
    sigma = 0.2 + torch.rand(6, dtype=torch.float64, generator=g)
    prior = 0.7
    w = mu + sigma * torch.randn(200_000, 6, dtype=torch.float64, generator=g)
    q = torch.distributions.Normal(mu, sigma).log_prob(w).sum(1)
    p = torch.distributions.Normal(0.0, prior).log_prob(w).sum(1)
    mc = (q - p).mean()
    exact = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, sigma), torch.distributions.Normal(0.0, prior)
    ).sum()
    got = bayes_kl(mu, sigma, prior)
    assert got.item() == pytest.approx(exact.item(), rel=1e-6)
    assert got.item() == pytest.approx(mc.item(), rel=0.02)


def test_layer_kl_is_over_weights_and_biases_with_softplus_sigma():
    layer = BayesLinear(3, 2, prior_sigma=0.5, rho_init=-1.0)
    expected = bayes_kl(layer.weight_mu, F.softplus(layer.weight_rho), 0.5) + bayes_kl(
        layer.bias_mu, F.softplus(layer.bias_rho), 0.5
    )
    torch.testing.assert_close(layer.kl(), expected)
    sigma = np.log1p(np.exp(-1.0))
    assert F.softplus(layer.weight_rho)[0, 0].item() == pytest.approx(sigma)


def test_layer_means_in_eval_reparameterised_samples_otherwise():
    torch.manual_seed(0)
    layer = BayesLinear(4, 3, rho_init=0.0)
    x = torch.randn(5, 4)
    layer.eval()
    torch.testing.assert_close(layer(x), x @ layer.weight_mu.T + layer.bias_mu)
    with weight_samples(layer) as draw:
        g = torch.Generator().manual_seed(1)
        draw(g)
        out = layer(x)
        g = torch.Generator().manual_seed(1)
        eps_w, eps_b = torch.randn(3, 4, generator=g), torch.randn(3, generator=g)
        sig = F.softplus(torch.tensor(0.0))
        w = layer.weight_mu + sig * eps_w
        b = layer.bias_mu + sig * eps_b
        torch.testing.assert_close(out, x @ w.T + b)
        torch.testing.assert_close(layer(x), out)  # the draw is kept
    assert layer.fixed_eps is None
    layer.train()
    assert not torch.allclose(layer(x), layer(x))  # a new draw every pass


def test_training_loss_is_nll_plus_kl_over_n(digits):
    X, y = digits
    net = BayesByBackpropClassifier(
        max_epochs=1, random_state=0, module__hidden_units=(8,), kl_weight=0.5
    ).fit(X[:90], y[:90])
    assert net.n_train_ == 90
    logits = torch.randn(4, 10)
    target = torch.tensor([0, 1, 2, 3])
    expected = F.cross_entropy(logits, target) + 0.5 * net.kl() / 90
    torch.testing.assert_close(net.get_loss(logits, target, training=True), expected)
    torch.testing.assert_close(
        net.get_loss(logits, target, training=False), F.cross_entropy(logits, target)
    )
    kl = sum(
        layer.kl() for layer in net.module_.modules() if isinstance(layer, BayesLinear)
    )
    torch.testing.assert_close(net.kl(), kl)


@pytest.fixture(scope="module")
def bbb_net(digits):
    X, y = digits
    return BayesByBackpropClassifier(
        max_epochs=15, random_state=0, module__hidden_units=(64,), lr=3e-3
    ).fit(X[:800], y[:800])


def test_learns_digits(bbb_net, digits):
    X, y = digits
    assert (bbb_net.predict(X[1200:]) == y[1200:]).mean() > 0.85


def test_weight_samples_are_seeded_consistent_and_varied(bbb_net, digits):
    X, _ = digits
    S = bbb_net.predict_proba_samples(X[800:900], n_samples=5, random_state=0)
    assert S.shape == (5, 100, 10)
    np.testing.assert_allclose(S.sum(-1), 1, atol=1e-5)
    np.testing.assert_array_equal(
        S, bbb_net.predict_proba_samples(X[800:900], n_samples=5, random_state=0)
    )
    assert np.abs(S[0] - S[1]).max() > 1e-4
    # one draw per sample shared by every row: the batch size does not matter
    small = bbb_net.set_params(batch_size=7)
    try:
        np.testing.assert_allclose(
            small.predict_proba_samples(X[800:900], n_samples=5, random_state=0),
            S,
            rtol=1e-5,
            atol=1e-6,
        )
    finally:
        bbb_net.set_params(batch_size=64)
    with pytest.raises(InvalidParameterError, match="n_samples must"):
        bbb_net.predict_proba_samples(X[:3], n_samples=1)


def test_weight_samples_are_reparameterised_networks_by_hand(bbb_net, digits):
    """Each sample is the MLP with w = mu + softplus(rho) * eps, computed here
    layer by layer from the eps the documented seeds draw."""
    from skactive._random import seed_from_random_state

    X, _ = digits
    rows = torch.as_tensor(X[900:940])
    T = 4
    S = bbb_net.predict_proba_samples(X[900:940], n_samples=T, random_state=3)
    layers = [m for m in bbb_net.module_.modules() if isinstance(m, BayesLinear)]
    seeds = np.random.SeedSequence(seed_from_random_state(3)).generate_state(
        T, np.uint64
    )
    for t in range(T):
        g = torch.Generator().manual_seed(int(seeds[t] >> 1))
        h = rows
        with torch.no_grad():
            for k, layer in enumerate(layers):
                eps_w = torch.randn(layer.weight_mu.shape, generator=g)
                eps_b = torch.randn(layer.bias_mu.shape, generator=g)
                w = layer.weight_mu + torch.log1p(torch.exp(layer.weight_rho)) * eps_w
                b = layer.bias_mu + torch.log1p(torch.exp(layer.bias_rho)) * eps_b
                h = h @ w.T + b
                if k < len(layers) - 1:
                    h = torch.relu(h)
        np.testing.assert_allclose(S[t], torch.softmax(h, 1).numpy(), atol=1e-5)
    # the mean network is predict_proba
    with torch.no_grad():
        h = rows
        for k, layer in enumerate(layers):
            h = h @ layer.weight_mu.T + layer.bias_mu
            h = torch.relu(h) if k < len(layers) - 1 else h
    np.testing.assert_allclose(
        bbb_net.predict_proba(X[900:940]), torch.softmax(h, 1).numpy(), atol=1e-5
    )


def test_variation_ratios_read_the_weight_samples(bbb_net, digits):
    from skactive._inference import mc_samples
    from skactive.strategies import VariationRatios

    X, _ = digits
    pool = X[800:1000]
    scores = VariationRatios(n_samples=6, random_state=0).score_pool(bbb_net, pool)
    P = mc_samples(bbb_net, pool, 6, random_state=np.random.RandomState(0))
    votes = P.argmax(-1)
    expected = [1 - max(list(v).count(c) for c in set(v)) / 6 for v in votes.T]
    np.testing.assert_allclose(scores, expected, atol=1e-6)


def test_bald_reads_the_weight_samples(bbb_net, digits):
    X, _ = digits
    pool = X[800:1000]
    from skactive._inference import mc_samples

    scores = BALD(n_samples=6, random_state=0).score_pool(bbb_net, pool)
    rng = np.random.RandomState(0)
    P = mc_samples(bbb_net, pool, 6, random_state=rng).astype(np.float64)
    h = lambda p: -(p * np.log(np.clip(p, 1e-12, None))).sum(-1)  # noqa: E731
    np.testing.assert_allclose(scores, h(P.mean(0)) - h(P).mean(0), atol=1e-5)
    assert BALD(n_samples=6, random_state=0)(bbb_net, pool, 3).shape == (3,)


def test_module_refuses_bad_values():
    with pytest.raises(InvalidParameterError, match="prior_sigma must"):
        BayesMLP(4, 3, prior_sigma=0.0)
    with pytest.raises(InvalidParameterError, match="out_features must"):
        BayesLinear(4, 0)
