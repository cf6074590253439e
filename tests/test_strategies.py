import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from skactive import ActiveLearner
from skactive.nets import MLP, DeepClassifier
from skactive.scores import entropy, least_confidence, margin
from skactive.strategies import (
    RandomSampling,
    UncertaintySampling,
    entropy_sampling,
    margin_sampling,
)

MEASURES = {"least_confidence": least_confidence, "margin": margin, "entropy": entropy}


@pytest.fixture(scope="module")
def fitted(digits):
    X, y = digits
    return LogisticRegression(max_iter=2000).fit(X[:100], y[:100]), X[100:600]


@pytest.mark.parametrize("measure", sorted(MEASURES))
@pytest.mark.parametrize("k", [1, 2, 5])
def test_uncertainty_picks_the_brute_force_best(fitted, measure, k):
    clf, X_pool = fitted
    scores = MEASURES[measure](clf.predict_proba(X_pool))
    expected = np.argsort(-scores, kind="stable")[:k]
    idx, picked_scores = UncertaintySampling(measure, random_state=0).select(
        clf, X_pool, k
    )
    np.testing.assert_array_equal(np.sort(idx), np.sort(expected))
    np.testing.assert_allclose(picked_scores, scores[idx])
    assert np.all(np.diff(picked_scores) <= 0)


def test_chunked_inference_gives_the_same_picks(fitted):
    clf, X_pool = fitted
    a = UncertaintySampling(random_state=0)(clf, X_pool, 7)
    b = UncertaintySampling(batch_size=33, random_state=0)(clf, X_pool, 7)
    np.testing.assert_array_equal(a, b)


def test_candidate_subsample_R(fitted):
    clf, X_pool = fitted
    strategy = UncertaintySampling("margin", R=50, random_state=3)
    idx = strategy(clf, X_pool, 5)
    # reproduce by hand: the same candidates, then the best 5 among them
    rng = np.random.RandomState(3)
    candidates = np.sort(rng.choice(len(X_pool), 50, replace=False))
    scores = margin(clf.predict_proba(X_pool[candidates]))
    expected = candidates[np.argsort(-scores, kind="stable")[:5]]
    np.testing.assert_array_equal(np.sort(idx), np.sort(expected))
    assert set(idx) <= set(candidates)


def test_random_sampling_is_uniform_and_seeded():
    X = np.zeros((10, 2))
    counts = np.zeros(10)
    for seed in range(2000):
        counts[RandomSampling(random_state=seed)(None, X, 1)] += 1
    assert counts.min() > 150 and counts.max() < 250
    a = RandomSampling(random_state=0)(None, X, 4)
    np.testing.assert_array_equal(a, RandomSampling(random_state=0)(None, X, 4))


def test_works_with_deep_classifier_and_tensors(digits):
    X, y = digits
    net = DeepClassifier(MLP, max_epochs=2, batch_size=32, random_state=0)
    net.fit(X[:100], y[:100])
    proba = net.predict_proba(X[100:400])
    expected = np.argsort(-entropy(proba), kind="stable")[:4]
    idx = entropy_sampling(net, X[100:400], 4)
    np.testing.assert_array_equal(np.sort(idx), np.sort(expected))
    idx_t = entropy_sampling(net, torch.as_tensor(X[100:400]), 4)
    np.testing.assert_array_equal(np.sort(idx_t), np.sort(expected))


def test_unwraps_modal_learners(fitted, digits):
    clf, X_pool = fitted
    X, y = digits
    learner = ActiveLearner(clone(clf), X_training=X[:100], y_training=y[:100])
    np.testing.assert_array_equal(
        margin_sampling(learner, X_pool, 3), margin_sampling(clf, X_pool, 3)
    )


def test_params_clone_and_repr():
    s = UncertaintySampling("margin", R=100, random_state=0)
    assert s.get_params() == {
        "measure": "margin",
        "batch_size": None,
        "n_jobs": None,
        "R": 100,
        "random_state": 0,
    }
    c = clone(s).set_params(measure="entropy")
    assert c.measure == "entropy" and s.measure == "margin"
    assert repr(s) == "UncertaintySampling(R=100, measure='margin', random_state=0)"


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "n, exc, match",
    [
        (0, ValueError, "n_instances must be a positive integer, got 0"),
        (-1, ValueError, "n_instances must be a positive integer, got -1"),
        (1.5, TypeError, "n_instances must be a positive integer, got 1.5"),
        (501, ValueError, "n_instances=501 is larger than the pool"),
    ],
)
def test_bad_n_instances(fitted, n, exc, match):
    clf, X_pool = fitted
    with pytest.raises(exc, match=match):
        entropy_sampling(clf, X_pool, n)


def test_empty_pool(fitted):
    clf, _ = fitted
    with pytest.raises(ValueError, match="X_pool is empty"):
        entropy_sampling(clf, np.empty((0, 64)), 1)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_pool(fitted, value):
    clf, X_pool = fitted
    X_bad = X_pool.copy()
    X_bad[3, 5] = value
    with pytest.raises(ValueError, match="X_pool contains NaN or infinity"):
        entropy_sampling(clf, X_bad, 1)


def test_unfitted_estimator_raises_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted"):
        entropy_sampling(LogisticRegression(), np.ones((5, 2)), 1)
    with pytest.raises(NotFittedError):
        entropy_sampling(DeepClassifier(MLP), np.ones((5, 2), np.float32), 1)


def test_estimator_without_predict_proba(digits):
    X, y = digits
    svc = SVC().fit(X[:100], y[:100])
    with pytest.raises(TypeError, match="SVC has no predict_proba"):
        entropy_sampling(svc, X[100:200], 1)


def test_wrong_dimensionality(fitted):
    clf, X_pool = fitted
    with pytest.raises(ValueError, match="2-D"):
        entropy_sampling(clf, X_pool[0], 1)
    with pytest.raises(ValueError, match="X_pool has 10 features"):
        entropy_sampling(clf, X_pool[:, :10], 1)


def test_wrong_row_shape_for_net(digits):
    X, y = digits
    net = DeepClassifier(MLP, max_epochs=1, random_state=0).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="rows of shape"):
        entropy_sampling(net, X[:20].reshape(20, 8, 8), 1)


def test_R_smaller_than_n_instances(fitted):
    clf, X_pool = fitted
    with pytest.raises(ValueError, match="R=2 is smaller than n_instances=3"):
        UncertaintySampling(R=2)(clf, X_pool, 3)


def test_unknown_measure_and_kwargs(fitted):
    clf, X_pool = fitted
    with pytest.raises(ValueError, match="measure must be one of"):
        UncertaintySampling("variance")(clf, X_pool, 1)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        entropy_sampling(clf, X_pool, 1, temperature=3)


def test_strategy_table_agrees_with_the_strategies():
    from skactive.strategies import make_strategy, strategy_needs
    from skactive.strategies._registry import _STRATEGIES

    # the static table (names, descriptions, needs: known without importing
    # a strategy) says what make_strategy builds
    for name, entry in _STRATEGIES.items():
        strategy = make_strategy(name)
        assert type(strategy).__name__ == entry.cls, name
        assert type(strategy).__module__ == f"skactive.strategies.{entry.module}"
        assert strategy.needs == entry.needs == strategy_needs(name), name
        assert type(strategy).needs == entry.needs  # the class's, not the instance's
    assert make_strategy("margin").measure == "margin"


@pytest.mark.parametrize("lookup", ["make_strategy", "strategy_needs"])
def test_an_unknown_strategy_name_suggests_the_close_ones(lookup):
    from skactive import strategies
    from skactive._validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="Did you mean 'margin'"):
        getattr(strategies, lookup)("marign")
