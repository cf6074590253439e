"""VAAL: the beta-VAE loss (skactive/losses/vae.py), the adversarial objectives
and training (skactive/nets/vaal.py) and the strategy."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner
from skactive._validation import InvalidParameterError
from skactive.losses import VAELoss, gaussian_kl
from skactive.nets.vaal import (
    VAE,
    LatentDiscriminator,
    discriminator_objective,
    fit_vaal,
    vae_objective,
)
from skactive.selection import kcenter_greedy
from skactive.strategies import VAAL, RandomSampling, make_strategy


def test_gaussian_kl_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(3, 4, generator=g, dtype=torch.float64)
    logvar = 0.5 * torch.randn(3, 4, generator=g, dtype=torch.float64)
    std = torch.exp(0.5 * logvar)
    z = mu + std * torch.randn(200_000, 3, 4, generator=g, dtype=torch.float64)
    q = torch.distributions.Normal(mu, std).log_prob(z).sum(-1)
    p = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    mc = (q - p).mean(0)
    torch.testing.assert_close(gaussian_kl(mu, logvar), mc, rtol=0.02, atol=0.01)
    # and torch's own closed form
    exact = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, std), torch.distributions.Normal(0.0, 1.0)
    ).sum(-1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), exact)


@pytest.mark.parametrize("beta", [0.0, 1.0, 2.5])
def test_vae_loss_by_hand(beta):
    rng = np.random.RandomState(0)
    x, recon = rng.rand(5, 3), rng.rand(5, 3)
    mu, logvar = rng.randn(5, 2), 0.3 * rng.randn(5, 2)
    kl = -0.5 * (1 + logvar - mu**2 - np.exp(logvar)).sum(1)
    mse = ((x - recon) ** 2).mean()
    t = [torch.as_tensor(a) for a in (x, recon, mu, logvar)]
    # the authors' code: KL summed over the batch
    assert VAELoss(beta)(*t).item() == pytest.approx(mse + beta * kl.sum())
    assert VAELoss(beta, "mean")(*t).item() == pytest.approx(mse + beta * kl.mean())
    with pytest.raises(InvalidParameterError, match="beta must"):
        VAELoss(-1.0)
    with pytest.raises(InvalidParameterError, match="shape of x"):
        VAELoss()(t[0], t[1][:, :2], t[2], t[3])


def _bce(p, target):
    return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))


def test_adversarial_objectives_by_hand():
    torch.manual_seed(0)
    vae, disc = VAE(4, latent_dim=2, hidden_units=(6,)), LatentDiscriminator(2, 8)
    g = torch.Generator().manual_seed(0)
    xl, xu = torch.randn(5, 4, generator=g), torch.randn(7, 4, generator=g)
    # the discriminator: labeled -> 1, unlabeled -> 0, on the posterior means
    with torch.no_grad():
        dl = disc(vae.encode(xl)[0]).numpy().astype(np.float64)
        du = disc(vae.encode(xu)[0]).numpy().astype(np.float64)
    expected = _bce(dl, 1.0) + _bce(du, 0.0)
    got = discriminator_objective(vae, disc, xl, xu).item()
    assert got == pytest.approx(expected, rel=1e-5)
    # the VAE: both VAE losses + lambda x (fool D: both -> 1)
    lam, beta = 0.7, 1.3
    got = vae_objective(
        vae,
        disc,
        xl,
        xu,
        beta=beta,
        adversary_weight=lam,
        generator=torch.Generator().manual_seed(5),
    ).item()
    noise = torch.Generator().manual_seed(5)
    terms = []
    with torch.no_grad():
        for x in (xl, xu):
            mu, logvar = vae.encode(x)
            eps = torch.randn(mu.shape, generator=noise)
            recon = vae.decoder(mu + torch.exp(0.5 * logvar) * eps)
            kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1)
            terms.append(((recon - x) ** 2).mean().item() + beta * kl.sum().item())
    expected = sum(terms) + lam * (_bce(dl, 1.0) + _bce(du, 1.0))
    assert got == pytest.approx(expected, rel=1e-5)


def test_discriminator_objective_does_not_train_the_vae():
    vae, disc = VAE(3, latent_dim=2, hidden_units=(4,)), LatentDiscriminator(2, 4)
    discriminator_objective(vae, disc, torch.randn(4, 3), torch.randn(4, 3)).backward()
    assert all(p.grad is None for p in vae.parameters())
    assert all(p.grad is not None for p in disc.parameters())


def _two_regions(seed=0, n=100, d=8):
    """Labeled rows from region A; a pool half in A, half in region B."""
    rng = np.random.RandomState(seed)
    a = rng.normal(0.0, 1.0, (2 * n, d))
    b = rng.normal(0.0, 1.0, (n, d)) + 4.0
    X_labeled = a[:n]
    X_pool = np.vstack([a[n:], b]).astype(np.float32)
    in_b = np.arange(len(X_pool)) >= n
    return X_labeled.astype(np.float32), X_pool, in_b


def test_vaal_picks_the_unlabeled_region_far_more_than_random():
    # the authors' settings (512-wide discriminator, lr 5e-4, beta = lambda = 1)
    X_labeled, X_pool, in_b = _two_regions(d=32)
    vaal = VAAL(latent_dim=4, hidden_units=(32,), n_iterations=100, random_state=0)
    picks, scores = vaal.select(None, X_pool, 20, X_labeled=X_labeled)
    random_frac = np.mean(
        [
            in_b[RandomSampling(random_state=s)(None, X_pool, 20)].mean()
            for s in range(20)
        ]
    )
    assert in_b[picks].mean() >= 0.85
    assert random_frac < 0.6
    # the returned scores are 1 - D(mu) of the picks, in decreasing order
    assert np.all(np.diff(scores) <= 0) and np.all((scores >= 0) & (scores <= 1))


def test_vaal_scores_are_the_trained_discriminator_on_the_means():
    X_labeled, X_pool, _ = _two_regions(d=4, n=40)
    kw = dict(latent_dim=2, hidden_units=(8,), n_iterations=20, batch_size=16)
    idx, scores = VAAL(**kw, random_state=1).select(
        None, X_pool, 80, X_labeled=X_labeled
    )
    # retrain with the same seed by hand (the seed the strategy derives)
    rows = np.vstack([X_pool, X_labeled]).astype(np.float64)
    mean, std = rows.mean(0), rows.std(0)
    rng = np.random.RandomState(1)
    vae, disc = fit_vaal(
        ((X_labeled - mean) / std).astype(np.float32),
        ((X_pool - mean) / std).astype(np.float32),
        latent_dim=2,
        hidden_units=(8,),
        n_iterations=20,
        batch_size=16,
        random_state=rng,
    )
    with torch.no_grad():
        mu, _ = vae.encode(torch.as_tensor(((X_pool - mean) / std).astype(np.float32)))
        expected = 1 - disc(mu).double().numpy()
    np.testing.assert_allclose(
        np.sort(scores)[::-1], np.sort(expected)[::-1], atol=1e-6
    )
    np.testing.assert_array_equal(
        np.sort(idx), np.sort(np.argsort(-expected, kind="stable")[:80])
    )


def test_cold_start_spreads_over_the_latent_space():
    _, X_pool, in_b = _two_regions()
    vaal = VAAL(latent_dim=4, hidden_units=(32,), n_iterations=60, random_state=0)
    picks = vaal(None, X_pool, 6)
    assert 0 < in_b[picks].sum() < 6  # both regions
    # the picks are k-center greedy on the VAE's latent means
    rng = np.random.RandomState(0)
    rows = X_pool.astype(np.float64)
    scaled = ((rows - rows.mean(0)) / rows.std(0)).astype(np.float32)
    vae, disc = fit_vaal(
        None, scaled, latent_dim=4, hidden_units=(32,), n_iterations=60,
        random_state=rng,
    )  # fmt: skip
    assert disc is None
    with torch.no_grad():
        mu = vae.encode(torch.as_tensor(scaled))[0].numpy()
    np.testing.assert_array_equal(picks, kcenter_greedy(mu, 6, random_state=rng))


def test_vaal_in_a_learner_reads_its_labeled_rows(digits):
    X, y = digits
    kw = dict(latent_dim=4, hidden_units=(16,), n_iterations=10)
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        VAAL(**kw, random_state=0),
        X_training=X[:50],
        y_training=y[:50],
    )
    idx, _ = learner.query(X[50:300], n_instances=4)
    direct = VAAL(**kw, random_state=0)(None, X[50:300], 4, X_labeled=X[:50])
    np.testing.assert_array_equal(idx, direct)


def test_embedding_features_need_a_fitted_estimator(digits):
    X, y = digits
    vaal = VAAL(features="embedding", latent_dim=2, n_iterations=3, random_state=0)
    with pytest.raises(NotFittedError):
        vaal(LogisticRegression(), X[:100], 2, X_labeled=X[100:120])
    clf = LogisticRegression(max_iter=300).fit(X[:100], y[:100])
    assert vaal(clf, X[:100], 2, X_labeled=X[100:120]).shape == (2,)


def test_registry_and_unknown_keywords():
    assert isinstance(make_strategy("vaal", random_state=0), VAAL)
    with pytest.raises(InvalidParameterError, match="unexpected keyword"):
        VAAL(n_iterations=2)(None, np.zeros((5, 2)), 1, nope=1)
