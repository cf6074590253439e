"""Kernel herding (selection._herding) and its strategies, against brute force."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive._validation import InvalidParameterError
from skactive.calibration import calibrate
from skactive.selection import herding_sampling, median_bandwidth
from skactive.strategies import MaxHerding, UncertaintyHerding, make_strategy


def _coverage(X, S, L, w, sigma):
    """sum_x w(x) max_{s in L ∪ S} k(x, s), by a plain loop."""
    total = 0.0
    for i, x in enumerate(X):
        best = 0.0
        for s in [*L, *(X[j] for j in S)]:
            best = max(best, np.exp(-np.sum((x - s) ** 2) / (2 * sigma**2)))
        total += w[i] * best
    return total


def _greedy_reference(X, n, L, w, sigma):
    S = []
    for _ in range(n):
        gains = [
            -np.inf if c in S else _coverage(X, [*S, c], L, w, sigma)
            for c in range(len(X))
        ]
        S.append(int(np.argmax(gains)))
    return S


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("with_labeled", [False, True])
def test_greedy_matches_brute_force(weighted, with_labeled):
    rng = np.random.RandomState(0)
    X = rng.randn(25, 3).astype(np.float32)
    L = rng.randn(3, 3).astype(np.float32) if with_labeled else np.zeros((0, 3))
    w = rng.rand(25) if weighted else np.ones(25)
    got = herding_sampling(
        X,
        4,
        weights=w if weighted else None,
        labeled=L if with_labeled else None,
        bandwidth=0.8,
        n_candidates=None,
        random_state=0,
    )
    expected = _greedy_reference(X.astype(np.float64), 4, list(L), w, 0.8)
    np.testing.assert_array_equal(got, expected)


def test_candidates_are_a_seeded_subset_and_coverage_uses_the_pool():
    X = np.random.RandomState(1).randn(300, 4)
    a = herding_sampling(X, 5, n_candidates=40, random_state=3)
    b = herding_sampling(X, 5, n_candidates=40, random_state=3)
    np.testing.assert_array_equal(a, b)
    assert len(set(a.tolist())) == 5 and a.dtype == np.int64


def test_median_bandwidth_by_hand():
    X = np.array([[0.0, 0.0], [3.0, 4.0]])
    # every distinct pair is at distance 5
    assert median_bandwidth(X, n_pairs=50, random_state=0) == pytest.approx(5.0)
    assert median_bandwidth(np.zeros((3, 2)), random_state=0) == 1.0


def test_bad_inputs_are_refused():
    with pytest.raises(InvalidParameterError, match="weights must be"):
        herding_sampling(np.zeros((3, 2)), 1, weights=[1, -1, 0])
    with pytest.raises(InvalidParameterError, match="labeled has 3 features"):
        herding_sampling(np.zeros((3, 2)), 1, labeled=np.zeros((1, 3)))
    with pytest.raises(InvalidParameterError, match="NaN"):
        herding_sampling(np.array([[np.nan, 0.0]]), 1)
    with pytest.raises(InvalidParameterError, match="bandwidth must be"):
        herding_sampling(np.zeros((3, 2)), 1, bandwidth=0)


@pytest.fixture(scope="module")
def fitted():
    X, y = load_digits(return_X_y=True)
    clf = LogisticRegression(max_iter=2000).fit(X[:60], y[:60])
    return clf, X, y


def test_maxherding_is_herding_on_the_embeddings(fitted):
    clf, X, _ = fitted
    got = MaxHerding(bandwidth=20.0, random_state=0)(
        clf, X[60:400], 4, X_labeled=X[:60]
    )
    expected = herding_sampling(
        X[60:400],
        4,
        labeled=X[:60],
        bandwidth=20.0,
        random_state=np.random.RandomState(0),
    )
    np.testing.assert_array_equal(got, expected)


def test_uherding_weights_by_calibrated_margin(fitted):
    clf, X, y = fitted
    pool = X[60:400]
    s = UncertaintyHerding(bandwidth=20.0, random_state=0)
    got = s(
        clf,
        pool,
        4,
        X_labeled=X[:60],
        y_labeled=y[:60],
        X_calibration=X[400:600],
        y_calibration=y[400:600],
    )
    scaled = calibrate(clf, X[400:600], y[400:600])
    p = np.sort(scaled.predict_proba(pool), axis=1)
    weights = 1.0 - (p[:, -1] - p[:, -2])
    expected = herding_sampling(
        pool,
        4,
        weights=weights,
        labeled=X[:60],
        bandwidth=20.0,
        random_state=np.random.RandomState(0),
    )
    np.testing.assert_array_equal(got, expected)
    # uncalibrated: the model's own probabilities
    raw = UncertaintyHerding(calibrate=False, bandwidth=20.0, random_state=0)(
        clf, pool, 4, X_labeled=X[:60], y_labeled=y[:60]
    )
    p = np.sort(clf.predict_proba(pool), axis=1)
    expected = herding_sampling(
        pool,
        4,
        weights=1.0 - (p[:, -1] - p[:, -2]),
        labeled=X[:60],
        bandwidth=20.0,
        random_state=np.random.RandomState(0),
    )
    np.testing.assert_array_equal(raw, expected)


def test_registry_names():
    assert isinstance(make_strategy("maxherding"), MaxHerding)
    assert isinstance(make_strategy("uherding"), UncertaintyHerding)
