"""Stochastic batch acquisition (selection._stochastic, strategies.stochastic)."""

import itertools

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive import scores
from skactive._validation import InvalidParameterError
from skactive.selection import stochastic_sampling
from skactive.strategies import StochasticBatch, UncertaintySampling, make_strategy


def _exact_pair_probabilities(w):
    """P(first = i, second = j) of two successive draws without replacement."""
    p = w / w.sum()
    return {
        (i, j): p[i] * w[j] / (w.sum() - w[i])
        for i, j in itertools.permutations(range(len(w)), 2)
    }


@pytest.mark.parametrize(
    "mode, weights",
    [
        ("power", lambda s, b: s**b),
        ("softmax", lambda s, b: np.exp(b * s)),
        # ranks of [0.5, 2.0, 1.0, 0.1]: 3, 1, 2, 4
        ("softrank", lambda s, b: np.array([3.0, 1.0, 2.0, 4.0]) ** -b),
    ],
)
def test_draws_follow_successive_sampling_without_replacement(mode, weights):
    s = np.array([0.5, 2.0, 1.0, 0.1])
    beta = 1.5
    exact = _exact_pair_probabilities(weights(s, beta))
    rng = np.random.RandomState(0)
    n = 20000
    counts = {}
    for _ in range(n):
        i, j = stochastic_sampling(s, 2, mode=mode, beta=beta, random_state=rng)
        counts[(i, j)] = counts.get((i, j), 0) + 1
    for pair, p in exact.items():
        se = np.sqrt(p * (1 - p) / n)
        assert abs(counts.get(pair, 0) / n - p) < 5 * se + 1e-4, (pair, p)


def test_beta_zero_is_uniform_and_large_beta_is_top_k():
    s = np.array([0.5, 2.0, 1.0, 0.1, 3.0])
    rng = np.random.RandomState(1)
    firsts = [
        stochastic_sampling(s, 1, beta=0.0, random_state=rng)[0] for _ in range(5000)
    ]
    np.testing.assert_allclose(np.bincount(firsts) / 5000, 0.2, atol=0.03)
    top = stochastic_sampling(s, 3, mode="softmax", beta=1e4, random_state=0)
    np.testing.assert_array_equal(top, [4, 1, 2])


def test_selector_is_seeded_and_checks_inputs():
    s = np.random.RandomState(0).rand(50)
    a = stochastic_sampling(s, 10, random_state=3)
    np.testing.assert_array_equal(a, stochastic_sampling(s, 10, random_state=3))
    assert len(set(a.tolist())) == 10 and a.dtype == np.int64
    with pytest.raises(InvalidParameterError, match="non-negative scores"):
        stochastic_sampling([-0.1, 0.2], 1, mode="power")
    with pytest.raises(InvalidParameterError, match="NaN"):
        stochastic_sampling([np.nan, 0.2], 1)
    with pytest.raises(InvalidParameterError, match="larger than the pool"):
        stochastic_sampling([0.1, 0.2], 3)
    with pytest.raises(InvalidParameterError, match="mode must be"):
        stochastic_sampling([0.1, 0.2], 1, mode="gumbel")


@pytest.fixture(scope="module")
def fitted():
    X, y = load_digits(return_X_y=True)
    return LogisticRegression(max_iter=2000).fit(X[:60], y[:60]), X[60:400]


def test_strategy_draws_like_the_selector_on_the_scores(fitted):
    clf, X = fitted
    entropy = scores.entropy(clf.predict_proba(X))
    got = StochasticBatch("entropy", beta=2.0, random_state=7)(clf, X, 5)
    expected = stochastic_sampling(
        entropy, 5, beta=2.0, random_state=np.random.RandomState(7)
    )
    np.testing.assert_array_equal(got, expected)
    # a strategy object instead of a name gives the same scores
    obj = StochasticBatch(UncertaintySampling("entropy"), beta=2.0, random_state=7)
    np.testing.assert_array_equal(obj(clf, X, 5), got)


def test_margin_needs_softrank_and_registry_names(fitted):
    clf, X = fitted
    with pytest.raises(InvalidParameterError, match="non-negative"):
        StochasticBatch("margin", random_state=0)(clf, X, 3)
    s = make_strategy("stochastic_margin", random_state=0)
    assert s.mode == "softrank" and s(clf, X, 3).shape == (3,)
    assert make_strategy("stochastic_entropy").mode == "power"
    with pytest.raises(InvalidParameterError, match="StochasticBatch: strategy must"):
        StochasticBatch("bald")(clf, X, 3)
