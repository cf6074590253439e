"""CLUE (strategies.clue): entropy-weighted k-means of embeddings."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from skactive.strategies import CLUE, make_strategy


class FixedProba(ClassifierMixin, BaseEstimator):
    """A fitted classifier with given probabilities, embedding rows as themselves."""

    def __init__(self, proba):
        self.proba = proba

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return np.asarray(self.proba, dtype=float)[: len(X)]

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)

    def __sklearn_is_fitted__(self):
        self.classes_ = np.arange(np.shape(self.proba)[1])
        return True


def test_two_separated_groups_give_the_row_nearest_each_weighted_mean():
    # group A at x = 0, 1, 2 (weights by entropy), group B at 100, 101, 102
    X = np.array([[0.0], [1.0], [2.0], [100.0], [101.0], [102.0]])
    p_certain, p_unsure = [0.99, 0.01], [0.5, 0.5]
    proba = [p_unsure, p_certain, p_certain, p_certain, p_certain, p_unsure]
    ent = [-(p * np.log(p)).sum() for p in np.array(proba)]
    # by hand: each group's centre is its entropy-weighted mean
    a = np.average([0, 1, 2], weights=ent[:3])
    b = np.average([100, 101, 102], weights=ent[3:])
    expected = {
        int(np.argmin(np.abs(X[:3, 0] - a))),
        3 + int(np.argmin(np.abs(X[3:, 0] - b))),
    }
    assert expected == {0, 5}
    for seed in range(5):
        got = CLUE(random_state=seed)(FixedProba(proba), X, 2)
        assert set(got.tolist()) == expected


def test_seeded_and_registered():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    proba = rng.dirichlet([1, 1, 1], 60)
    a = CLUE(random_state=2)(FixedProba(proba), X, 5)
    np.testing.assert_array_equal(a, CLUE(random_state=2)(FixedProba(proba), X, 5))
    assert len(set(a.tolist())) == 5
    assert isinstance(make_strategy("clue"), CLUE)


def test_zero_entropy_pool_still_gives_n_rows():
    X = np.arange(8.0).reshape(8, 1)
    proba = np.tile([1.0, 0.0], (8, 1))
    got = CLUE(random_state=0)(FixedProba(proba), X, 3)
    assert len(set(got.tolist())) == 3


@pytest.mark.parametrize("k", [1, 4])
def test_weights_are_the_entropies(k):
    rng = np.random.RandomState(1)
    X = rng.randn(40, 2)
    proba = rng.dirichlet([1, 1], 40)
    idx, w = CLUE(random_state=0).select(FixedProba(proba), X, k)
    np.testing.assert_allclose(w, -(proba[idx] * np.log(proba[idx])).sum(axis=1))
