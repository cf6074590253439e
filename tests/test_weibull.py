"""Tests of the Weibull outlier strategy."""

import numpy as np
import pytest
from scipy.stats import weibull_min
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner
from skactive.nets import MLP, DeepClassifier
from skactive.strategies.weibull import WeibullOutlier, fit_weibull_tail


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.RandomState(0)
    centers = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    y = np.repeat([0, 1, 2], 60)
    X = centers[y] + rng.normal(size=(180, 2))
    pool = np.vstack(
        [
            centers[np.repeat([0, 1, 2], 30)] + rng.normal(size=(90, 2)),
            [[-9.0, -9.0], [15.0, -1.0], [-1.0, 16.0]],
        ]
    )
    clf = LogisticRegression().fit(X, y)
    return clf, X, y, pool


def test_outliers_are_picked(blobs):
    clf, X, y, pool = blobs
    idx, scores = WeibullOutlier(tail_size=20, random_state=0).select(
        clf, pool, 3, X_labeled=X, y_labeled=y
    )
    assert set(idx.tolist()) == {90, 91, 92}
    assert np.all(scores > 0.99)


def test_cdf_monotone_in_distance(blobs):
    clf, X, y, pool = blobs
    strategy = WeibullOutlier(tail_size=20, random_state=0)
    idx, scores = strategy.select(clf, pool, len(pool), X_labeled=X, y_labeled=y)
    means, params = strategy.fit_class_models(clf, X, y)
    pred = clf.predict(pool[idx])
    dist = np.linalg.norm(pool[idx] - means[pred], axis=1)
    for k in range(3):
        m = pred == k
        order = np.argsort(dist[m])
        assert np.all(np.diff(scores[m][order]) >= -1e-12)
        np.testing.assert_allclose(
            scores[m], weibull_min.cdf(dist[m], params[k, 0], 0, params[k, 1])
        )


def test_fit_weibull_tail_uses_largest():
    d = np.r_[np.full(100, 0.01), np.random.RandomState(0).weibull(3.0, 50) + 5]
    c, scale = fit_weibull_tail(d, 50)
    assert scale > 5
    assert fit_weibull_tail([0.0, 1.0], 5) is None
    assert fit_weibull_tail([2.0, 2.0, 2.0], 5) is None


def test_fallbacks(blobs):
    clf, X, y, pool = blobs
    # class 2 with a single labeled row: its mean is that row, pooled Weibull
    keep = np.r_[np.flatnonzero(y != 2), np.flatnonzero(y == 2)[:1]]
    means, params = WeibullOutlier().fit_class_models(clf, X[keep], y[keep])
    np.testing.assert_allclose(means[2], X[keep][-1])
    assert np.all(np.isfinite(params))
    # class 2 without any labeled row: rows predicted as 2 rank first
    keep = np.flatnonzero(y != 2)
    idx, sc = WeibullOutlier(random_state=0).select(
        clf, pool, 3, X_labeled=X[keep], y_labeled=y[keep]
    )
    assert np.all(clf.predict(pool[idx]) == 2) and np.all(sc == 1)


def test_net_and_learner(digits):
    X, y = digits
    net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:300], y[:300])
    idx, _ = WeibullOutlier(random_state=0).select(
        net, X[300:600], 5, X_labeled=X[:300], y_labeled=y[:300]
    )
    learner = ActiveLearner(
        net, WeibullOutlier(random_state=0), X_training=X[:300], y_training=y[:300]
    )
    idx2, _ = learner.query(X[300:600], n_instances=5)
    np.testing.assert_array_equal(idx, idx2)


def test_errors(blobs):
    clf, X, y, pool = blobs
    with pytest.raises(ValueError, match="labeled rows"):
        WeibullOutlier().select(clf, pool, 2)
    with pytest.raises(ValueError, match="tail_size must be an int >= 2"):
        WeibullOutlier(tail_size=1).select(clf, pool, 2, X_labeled=X, y_labeled=y)
    with pytest.raises(TypeError, match="tail_size must be an int"):
        WeibullOutlier(tail_size=2.5).select(clf, pool, 2, X_labeled=X, y_labeled=y)
    with pytest.raises(ValueError, match="labels but X_labeled has"):
        WeibullOutlier().select(clf, pool, 2, X_labeled=X, y_labeled=y[:-1])
