"""Tests of the EPMCM scores and strategy."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner
from skactive.nets import MLP, DeepClassifier
from skactive.nets.isda import ISDAClassifier
from skactive.scores import epmcm_closed_form, epmcm_monte_carlo
from skactive.strategies.epmcm import EPMCM, class_covariances


def _model(seed, n=6, d=5, C=4, diagonal=False):
    rng = np.random.RandomState(seed)
    a = rng.normal(size=(n, d))
    W = rng.normal(scale=0.7, size=(C, d))
    b = rng.normal(scale=0.3, size=C)
    if diagonal:
        S = rng.uniform(0.05, 0.5, size=(C, d))
    else:
        L = rng.normal(scale=0.4, size=(C, d, d))
        S = L @ L.transpose(0, 2, 1)
    y_hat = (a @ W.T + b).argmax(1)
    return a, W, b, S, y_hat


def _loop(a, W, b, S, y_hat):
    out = []
    for i in range(len(a)):
        k = y_hat[i]
        Sk = np.diag(S[k]) if S.ndim == 2 else S[k]
        total = 0.0
        for j in range(W.shape[0]):
            dw = W[j] - W[k]
            total += np.exp(dw @ a[i] + b[j] - b[k] + 0.5 * dw @ Sk @ dw)
        out.append(total - 1.0)
    return np.array(out)


@pytest.mark.parametrize("diagonal", [False, True])
def test_closed_form_matches_loop(diagonal):
    args = _model(0, diagonal=diagonal)
    np.testing.assert_allclose(epmcm_closed_form(*args), _loop(*args), rtol=1e-10)
    assert np.all(epmcm_closed_form(*args) >= 0)


@pytest.mark.parametrize("diagonal", [False, True])
def test_closed_form_is_mc_mean_of_exp_ratios(diagonal):
    a, W, b, S, y_hat = _model(1, n=4, diagonal=diagonal)
    rng = np.random.RandomState(0)
    T = 200_000
    for i in range(len(a)):
        k = y_hat[i]
        Sk = np.diag(S[k]) if diagonal else S[k]
        at = rng.multivariate_normal(a[i], Sk, size=T)
        z = at @ W.T + b
        ratios = np.exp(z - z[:, [k]]).sum(1) - 1.0
        mc, se = ratios.mean(), ratios.std() / np.sqrt(T)
        cf = epmcm_closed_form(a[i : i + 1], W, b, S, y_hat[i : i + 1])[0]
        # within 5 standard errors (lognormal tails: the SE is the right scale)
        assert abs(mc - cf) <= 5 * se + 1e-6


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("diagonal", [False, True])
def test_closed_form_bounds_monte_carlo(seed, diagonal):
    args = _model(seed, n=20, diagonal=diagonal)
    mc = epmcm_monte_carlo(*args, 400, random_state=seed)
    assert np.all((mc >= 0) & (mc <= 1))
    assert np.all(epmcm_closed_form(*args) >= mc - 1e-9)


def test_monte_carlo_seeded_and_consistent():
    a, W, b, S, y_hat = _model(2, n=3)
    m1 = epmcm_monte_carlo(a, W, b, S, y_hat, 50, random_state=0)
    np.testing.assert_array_equal(
        m1, epmcm_monte_carlo(a, W, b, S, y_hat, 50, random_state=0)
    )
    # zero covariance: the MC estimate is exactly 1 - softmax_y
    z = a @ W.T + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    zero = epmcm_monte_carlo(a, W, b, np.zeros_like(S), y_hat, 3, random_state=0)
    np.testing.assert_allclose(zero, 1 - p[np.arange(3), y_hat])
    with pytest.raises(ValueError, match="n_samples must be an int >= 1"):
        epmcm_monte_carlo(a, W, b, S, y_hat, 0)
    with pytest.raises(ValueError, match="covariances"):
        epmcm_closed_form(a, W, b, S[:, :2], y_hat)
    with pytest.raises(ValueError, match="y_hat"):
        epmcm_closed_form(a, W, b, S, y_hat + 10)


def test_class_covariances_matches_numpy():
    rng = np.random.RandomState(0)
    f, y = rng.normal(size=(30, 3)), rng.randint(0, 3, 30)
    cov = class_covariances(f, y, 4)
    for k in range(3):
        np.testing.assert_allclose(cov[k], np.cov(f[y == k].T, bias=True))
    assert np.all(cov[3] == 0)
    np.testing.assert_allclose(
        class_covariances(f, y, 4, diagonal=True), np.diagonal(cov, axis1=1, axis2=2)
    )


@pytest.fixture(scope="module")
def isda(digits):
    X, y = digits
    net = ISDAClassifier(
        MLP, max_epochs=2, random_state=0, module__hidden_units=(16,)
    ).fit(X[:200], y[:200])
    return net, X[:200], y[:200], X[200:500]


def test_epmcm_with_isda(isda):
    net, _, _, X_pool = isda
    idx, scores = EPMCM(random_state=0).select(net, X_pool, 5)
    proba, a = net.predict_proba_with_embedding(X_pool)
    expected = epmcm_closed_form(
        a, net.coef_, net.intercept_, net.class_covariances_, proba.argmax(1)
    )
    np.testing.assert_allclose(scores, np.sort(expected)[::-1][:5], rtol=1e-5)
    np.testing.assert_allclose(expected[idx], scores, rtol=1e-5)
    idx_mc, s_mc = EPMCM(n_mc_samples=20, random_state=0).select(net, X_pool, 5)
    assert len(set(idx_mc.tolist())) == 5 and np.all(s_mc <= 1)
    np.testing.assert_array_equal(
        EPMCM(n_mc_samples=20, random_state=0).select(net, X_pool, 5)[0], idx_mc
    )


def test_epmcm_diagonal_isda(digits):
    X, y = digits
    net = ISDAClassifier(
        MLP, max_epochs=1, random_state=0, diagonal=True, module__hidden_units=(16,)
    ).fit(X[:150], y[:150])
    assert net.class_covariances_.ndim == 2
    assert EPMCM(random_state=0)(net, X[150:250], 4).shape == (4,)


def test_epmcm_labeled_covariances_and_learner(digits):
    X, y = digits
    net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:200], y[:200])
    strategy = EPMCM(random_state=0)
    idx, _ = strategy.select(net, X[200:400], 4, X_labeled=X[:200], y_labeled=y[:200])
    learner = ActiveLearner(
        net, EPMCM(random_state=0), X_training=X[:200], y_training=y[:200]
    )
    idx2, _ = learner.query(X[200:400], n_instances=4)
    np.testing.assert_array_equal(idx, idx2)
    with pytest.raises(ValueError, match="covariances"):
        strategy.select(net, X[200:400], 4)
    with pytest.raises(TypeError, match="ISDAClassifier"):
        EPMCM(covariance="isda").select(net, X[200:400], 4)
    with pytest.raises(ValueError, match="covariance must be"):
        EPMCM(covariance="bogus").select(net, X[200:400], 4)
    with pytest.raises(ValueError, match="n_mc_samples"):
        EPMCM(covariance=np.zeros((10, 64)), n_mc_samples=0).select(net, X[:9], 2)


def test_epmcm_linear_model(digits):
    X, y = digits
    clf = LogisticRegression(max_iter=300).fit(X[:200], y[:200])
    S = np.full((10, 64), 0.01)
    idx = EPMCM(covariance=S, random_state=0)(clf, X[200:300], 3)
    assert idx.shape == (3,)
    binary = LogisticRegression().fit(X[:200], y[:200] % 2)
    sc = EPMCM(covariance=np.zeros((2, 64))).select(binary, X[200:300], 3)[1]
    p = binary.predict_proba(X[200:300])
    expected = np.sort(p.min(1) / p.max(1))[::-1][:3]
    np.testing.assert_allclose(sc, expected, rtol=1e-6)
