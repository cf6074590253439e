"""FALCUN (selection._falcun, strategies.falcun) against a brute-force loop."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import MinMaxScaler

from skactive._validation import InvalidParameterError
from skactive.selection import falcun_sampling
from skactive.strategies import Falcun, available_strategies, make_strategy


def _probas(n=60, c=4, seed=0, scale=2.0):
    logits = np.random.default_rng(seed).normal(scale=scale, size=(n, c))
    P = np.exp(logits - logits.max(1, keepdims=True))
    return P / P.sum(1, keepdims=True)


def falcun_reference(P, n, gamma, seed):
    """The paper's algorithm, row by row: every distance recomputed from the
    picks, the scaling by scikit-learn's MinMaxScaler, the probabilities
    r**gamma / sum r**gamma, and one uniform draw per pick (inverse CDF)."""
    rng = np.random.RandomState(seed)
    srt = np.sort(P, axis=1)[:, ::-1]
    u = 1.0 - (srt[:, 0] - srt[:, 1])
    picks = []
    for _ in range(n):
        cand = [i for i in range(len(P)) if i not in picks]
        dist = []
        for i in cand:
            d = u[i]
            for s in picks:
                d = min(d, sum(abs(P[i, c] - P[s, c]) for c in range(P.shape[1])))
            dist.append(d)
        dist = np.array(dist)
        v = rng.random_sample()
        if dist.sum() > 0:
            scaled = MinMaxScaler().fit_transform(dist[:, None]).ravel()
            r = scaled + u[cand]
            p = r**gamma / np.sum(r**gamma)
        else:
            p = np.full(len(cand), 1.0 / len(cand))
        j = min(int(np.searchsorted(np.cumsum(p), v, side="right")), len(cand) - 1)
        picks.append(cand[j])
    return np.array(picks)


@pytest.mark.parametrize("gamma", [0.0, 1.0, 10.0, 25.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_the_brute_force_loop_with_the_same_draws(gamma, seed):
    P = _probas(seed=seed)
    got = falcun_sampling(P, 8, gamma=gamma, random_state=seed)
    np.testing.assert_array_equal(got, falcun_reference(P, 8, gamma, seed))


def test_small_blocks_give_the_same_picks(monkeypatch):
    import skactive.selection._falcun as mod

    P = _probas(n=50, seed=3)
    want = falcun_sampling(P, 10, random_state=4)
    monkeypatch.setattr(mod, "_BLOCK_ELEMS", 12)  # blocks of 3 rows
    np.testing.assert_array_equal(falcun_sampling(P, 10, random_state=4), want)


def test_unique_in_range_exact_count_and_seeded():
    P = _probas(n=30, c=3)
    a = falcun_sampling(P, 30, random_state=5)
    assert a.dtype == np.int64 and sorted(a.tolist()) == list(range(30))
    np.testing.assert_array_equal(a, falcun_sampling(P, 30, random_state=5))
    assert not np.array_equal(
        falcun_sampling(P, 10, random_state=5), falcun_sampling(P, 10, random_state=6)
    )


def test_large_gamma_is_the_argmax_of_the_relevance():
    # first pick: d = u, so r = minmax(u) + u, largest for the smallest margin;
    # second pick: the row farthest (L1) from it among the uncertain ones
    P = np.array(
        [[0.5, 0.5, 0.0], [0.49, 0.51, 0.0], [0.0, 0.55, 0.45], [0.98, 0.01, 0.01]]
    )
    for seed in range(5):
        got = falcun_sampling(P, 2, gamma=1e4, random_state=seed).tolist()
        assert got == [0, 2]


def test_gamma_zero_draws_uniformly():
    # one draw v per pick: with gamma=0 the pick is the candidate floor(v * m)
    P = _probas(n=20, seed=7)
    rng = np.random.RandomState(9)
    cand, want = list(range(20)), []
    for _ in range(5):
        want.append(cand.pop(int(rng.random_sample() * len(cand))))
    np.testing.assert_array_equal(falcun_sampling(P, 5, gamma=0, random_state=9), want)


def test_duplicates_of_picked_rows_fall_back_to_uniform():
    # every row the same: after the first pick all distances are 0
    P = np.tile([[0.7, 0.3]], (6, 1))
    got = falcun_sampling(P, 6, random_state=0)
    assert sorted(got.tolist()) == list(range(6))
    np.testing.assert_array_equal(got, falcun_reference(P, 6, 10.0, 0))


def test_errors_name_the_parameter():
    P = _probas(n=10)
    with pytest.raises(InvalidParameterError, match="falcun_sampling: gamma must be"):
        falcun_sampling(P, 2, gamma=-1.0)
    with pytest.raises(InvalidParameterError, match="n_instances=11 is larger"):
        falcun_sampling(P, 11)
    with pytest.raises(InvalidParameterError, match="probas must be class prob"):
        falcun_sampling(P * 2, 2)
    with pytest.raises(InvalidParameterError, match="at least 2 classes"):
        falcun_sampling(np.ones((4, 1)), 2)
    with pytest.raises(InvalidParameterError, match="probas must be a non-empty 2-D"):
        falcun_sampling(np.ones(4), 2)
    with pytest.raises(InvalidParameterError, match="Falcun: gamma must be"):
        Falcun(gamma="high")(LogisticRegression(), np.zeros((3, 2)), 1)


def test_strategy_is_the_selector_on_the_model_probabilities():
    X, y = load_digits(return_X_y=True)
    clf = LogisticRegression(max_iter=2000).fit(X[:60], y[:60])
    pool = X[60:400]
    got = Falcun(gamma=5.0, random_state=3)(clf, pool, 6)
    want = falcun_sampling(
        clf.predict_proba(pool), 6, gamma=5.0, random_state=np.random.RandomState(3)
    )
    np.testing.assert_array_equal(got, want)
    _, scores = Falcun(random_state=0).select(clf, pool, 4)
    assert scores.shape == (4,) and np.all((scores >= 0) & (scores <= 1))


def test_registered_by_name():
    assert "falcun" in available_strategies()
    s = make_strategy("falcun", random_state=0)
    assert isinstance(s, Falcun) and s.gamma == 10.0


def test_one_class_model_draws_uniformly():
    X = np.random.RandomState(0).rand(20, 3)

    # scikit-learn refuses to fit one class: a stub with one probability column
    class OneClass(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.classes_ = np.array([0])
            return self

        def predict(self, X):
            return np.zeros(len(X), dtype=int)

        def predict_proba(self, X):
            return np.ones((len(X), 1))

    got = Falcun(random_state=0)(OneClass().fit(X, None), X, 5)
    assert len(set(got.tolist())) == 5
