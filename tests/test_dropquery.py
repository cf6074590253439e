"""DropQuery (strategies.dropquery), against a loop and a hand-made case."""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive.selection import nearest_to_centers, weighted_kmeans
from skactive.strategies import DropQuery, make_strategy


def test_changes_match_a_loop_over_masks():
    X, y = load_digits(return_X_y=True)
    clf = LogisticRegression(max_iter=2000).fit(X[:60], y[:60])
    pool = X[60:200].astype(float)
    got = DropQuery(p=0.5, n_drops=4).changes(clf, pool, np.random.RandomState(3))
    rng = np.random.RandomState(3)
    base = clf.predict(pool)
    expected = np.zeros(len(pool), dtype=int)
    for _ in range(4):
        keep = rng.random_sample(pool.shape) >= 0.5
        expected += clf.predict(pool * keep / 0.5) != base
    np.testing.assert_array_equal(got, expected)


def test_selection_is_kmeans_over_the_inconsistent_rows():
    X, y = load_digits(return_X_y=True)
    clf = LogisticRegression(max_iter=2000).fit(X[:60], y[:60])
    pool = X[60:400].astype(float)
    s = DropQuery(p=0.5, n_drops=3, random_state=0)
    got = s(clf, pool, 4)
    rng = np.random.RandomState(0)
    count = s.changes(clf, pool, rng)
    chosen = np.flatnonzero(count > 1.5)
    assert chosen.size >= 4
    centers, _ = weighted_kmeans(pool[chosen], 4, random_state=rng)
    expected = chosen[nearest_to_centers(pool[chosen], centers)]
    np.testing.assert_array_equal(got, expected)
    assert set(got.tolist()) <= set(chosen.tolist())
    assert isinstance(make_strategy("dropquery"), DropQuery)


def test_too_few_inconsistent_rows_fall_back_to_the_most_changed():
    # a constant model never changes its prediction: every row has count 0
    X = np.random.RandomState(0).rand(30, 4)
    clf = LogisticRegression().fit(X[:10], [0] * 5 + [1] * 5)
    clf.coef_[:] = 0.0
    clf.intercept_[:] = 1.0
    got = DropQuery(random_state=0)(clf, X, 3)
    assert len(set(got.tolist())) == 3
