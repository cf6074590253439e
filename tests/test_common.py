"""Checks every exported strategy must pass (the strategies' peer test suite)."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

import skactive.strategies as strategies_module
from skactive import ActiveLearner
from skactive.strategies import QueryStrategy


def _exported_strategy_classes():
    classes = []
    for name in strategies_module.__all__:
        obj = getattr(strategies_module, name)
        if (
            isinstance(obj, type)
            and issubclass(obj, QueryStrategy)
            and not getattr(obj, "__abstractmethods__", None)
        ):
            classes.append(obj)
    return classes


STRATEGIES = [cls(random_state=0) for cls in _exported_strategy_classes()]
INSTANCES = [
    getattr(strategies_module, name)
    for name in strategies_module.__all__
    if isinstance(getattr(strategies_module, name), QueryStrategy)
]


@pytest.fixture(scope="module")
def setting(digits):
    X, y = digits
    clf = LogisticRegression(max_iter=2000).fit(X[:80], y[:80])
    return clf, X[80:480], X, y


def _ids(strategy):
    return repr(strategy)


def test_every_public_strategy_is_covered():
    assert len(STRATEGIES) >= 2 and len(INSTANCES) >= 4


@pytest.mark.parametrize("strategy", STRATEGIES + INSTANCES, ids=_ids)
@pytest.mark.parametrize("k", [1, 2, 5])
def test_unique_in_range_exact_count(strategy, k, setting):
    clf, X_pool, _, _ = setting
    idx, scores = strategy.select(clf, X_pool, k)
    assert idx.dtype == np.int64 and idx.shape == (k,)
    assert len(np.unique(idx)) == k
    assert idx.min() >= 0 and idx.max() < len(X_pool)
    assert scores is None or np.shape(scores) == (k,)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=_ids)
def test_seed_deterministic(strategy, setting):
    clf, X_pool, _, _ = setting
    a = clone(strategy)(clf, X_pool, 5)
    b = clone(strategy)(clf, X_pool, 5)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=_ids)
def test_candidate_subsample_returns_pool_indices(strategy, setting):
    clf, X_pool, _, _ = setting
    s = clone(strategy).set_params(R=30)
    idx = s(clf, X_pool, 5)
    rng = np.random.RandomState(0)
    candidates = np.sort(rng.choice(len(X_pool), 30, replace=False))
    assert set(idx) <= set(candidates)
    with pytest.raises(ValueError, match="R=3 is smaller than n_instances=5"):
        clone(strategy).set_params(R=3)(clf, X_pool, 5)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=_ids)
def test_in_skactive_learner(strategy, setting):
    _, X_pool, X, y = setting
    learner = ActiveLearner(
        LogisticRegression(max_iter=2000),
        clone(strategy),
        X_training=X[:80],
        y_training=y[:80],
    )
    idx, rows = learner.query(X_pool, n_instances=3)
    np.testing.assert_array_equal(rows, X_pool[idx])
    assert len(learner.history_) == 1
    np.testing.assert_array_equal(learner.history_[0]["indices"], idx)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=_ids)
@pytest.mark.parametrize(
    "n, exc", [(0, ValueError), (-1, ValueError), (1.5, TypeError), (401, ValueError)]
)
def test_bad_n_instances(strategy, n, exc, setting):
    clf, X_pool, _, _ = setting
    with pytest.raises(exc, match="n_instances"):
        strategy(clf, X_pool, n)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=_ids)
def test_bad_pools(strategy, setting):
    clf, X_pool, _, _ = setting
    with pytest.raises(ValueError, match="empty"):
        strategy(clf, X_pool[:0], 1)
    bad = X_pool.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        strategy(clf, bad, 1)
    with pytest.raises(ValueError, match="2-D"):
        strategy(clf, X_pool[0], 1)


@pytest.mark.parametrize(
    "strategy", [s for s in STRATEGIES if s._requires_fit], ids=_ids
)
def test_unfitted_estimator_is_refused(strategy, setting):
    _, X_pool, _, _ = setting
    with pytest.raises(NotFittedError):
        strategy(LogisticRegression(), X_pool, 1)
