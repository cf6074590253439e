"""Suggestive Annotation: greedy max-cover (skactive/selection/_max_cover.py)
and the strategy (skactive/strategies/suggestive.py)."""

import itertools

import numpy as np
import pytest

import skactive.selection._max_cover as max_cover
from skactive._validation import InvalidParameterError
from skactive.nets import MLP, DeepClassifier, DeepEnsembleClassifier
from skactive.selection import greedy_max_cover
from skactive.strategies import SuggestiveAnnotation, make_strategy


def _cos(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return a @ b.T


def _coverage(S, sim):
    """F(S) = sum over pool rows of max over S of cos (0 for the empty set)."""
    if not S:
        return 0.0
    return float(np.maximum(sim[list(S)].max(0), 0).sum())


def _greedy_brute(cand, pool, k):
    sim = _cos(cand, pool)
    S = []
    for _ in range(k):
        gains = [
            _coverage([*S, c], sim) - _coverage(S, sim) if c not in S else -np.inf
            for c in range(len(cand))
        ]
        S.append(int(np.argmax(gains)))
    return S


@pytest.mark.parametrize("seed", range(4))
def test_greedy_matches_a_brute_force_loop(seed, monkeypatch):
    monkeypatch.setattr(max_cover, "_BLOCK_ROWS", 7)  # several pool blocks
    rng = np.random.RandomState(seed)
    pool = rng.rand(40, 5)
    cand = pool[rng.choice(40, 9, replace=False)]
    idx, gains = greedy_max_cover(cand, pool, 4, random_state=0)
    assert idx.tolist() == _greedy_brute(cand, pool, 4)
    sim = _cos(cand, pool)
    expected = np.diff([_coverage(idx[:j].tolist(), sim) for j in range(5)])
    np.testing.assert_allclose(gains, expected, rtol=1e-5)


def test_greedy_reads_the_pool_in_blocks_never_n_by_n(monkeypatch):
    monkeypatch.setattr(max_cover, "_BLOCK_ROWS", 16)
    shapes = []
    unit_rows = max_cover._unit_rows

    def recording(a):
        out = unit_rows(a)
        shapes.append(out.shape)
        return out

    monkeypatch.setattr(max_cover, "_unit_rows", recording)
    rng = np.random.RandomState(0)
    pool = rng.rand(200, 5)
    cand = pool[:9]
    idx, _ = greedy_max_cover(cand, pool, 3, random_state=0)
    # the candidates once, then the pool 16 rows at a time: the largest
    # similarity block is 9 x 16, not 200 x 200
    assert shapes[0] == (9, 5)
    assert max(rows for rows, _ in shapes[1:]) == 16
    assert sum(rows for rows, _ in shapes[1:]) == 2 * 3 * 200  # gains + cover
    monkeypatch.setattr(max_cover, "_unit_rows", unit_rows)
    assert idx.tolist() == _greedy_brute(cand, pool, 3)


def test_greedy_is_within_the_submodular_bound_of_the_best_subset():
    rng = np.random.RandomState(0)
    pool = rng.rand(30, 3)
    cand = pool[:8]
    sim = _cos(cand, pool)
    idx, _ = greedy_max_cover(cand, pool, 3)
    best = max(_coverage(list(S), sim) for S in itertools.combinations(range(8), 3))
    assert _coverage(idx.tolist(), sim) >= (1 - 1 / np.e) * best


def test_greedy_refuses_more_picks_than_candidates():
    with pytest.raises(InvalidParameterError, match="larger than the 2 candidates"):
        greedy_max_cover(np.ones((2, 3)), np.ones((5, 3)), 3)
    with pytest.raises(InvalidParameterError, match="n_instances must"):
        greedy_max_cover(np.ones((2, 3)), np.ones((5, 3)), 0)


@pytest.fixture(scope="module")
def ensemble(digits):
    X, y = digits
    base = DeepClassifier(MLP, max_epochs=3, module__hidden_units=(16,))
    return DeepEnsembleClassifier(base, n_estimators=3, random_state=0).fit(
        X[:120], y[:120]
    )


def test_strategy_is_top_k_variance_then_max_cover(ensemble, digits):
    X, _ = digits
    pool = X[120:420]
    P = np.stack([m.predict_proba(pool) for m in ensemble.estimators_]).astype(
        np.float64
    )
    u = P.var(axis=0).mean(axis=1)
    K, k = 12, 5
    cand = np.argsort(-u, kind="stable")[:K]
    emb = ensemble.embed(pool)
    expected = cand[_greedy_brute(emb[cand], emb, k)]
    s = SuggestiveAnnotation(n_candidates=K, n_samples=3, random_state=0)
    idx, scores = s.select(ensemble, pool, k)
    np.testing.assert_array_equal(idx, expected)
    np.testing.assert_allclose(scores, u[idx], rtol=1e-5)
    # the default K is 2 * n_instances; with K = n the picks are the top-n
    top = SuggestiveAnnotation(n_candidates=k, n_samples=3, random_state=0)
    assert set(top(ensemble, pool, k)) == set(cand[:k])


def test_ensemble_embedding_cosine_is_the_mean_member_cosine(ensemble, digits):
    X, _ = digits
    rows = X[120:126]
    got = ensemble.embed(rows) @ ensemble.embed(rows).T
    expected = np.mean(
        [_cos(m.embed(rows), m.embed(rows)) for m in ensemble.estimators_], 0
    )
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_mc_dropout_net_and_bad_candidates(digits):
    X, y = digits
    net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    s = SuggestiveAnnotation(n_samples=4, random_state=0)
    assert s(net, X[100:300], 3).shape == (3,)
    with pytest.raises(InvalidParameterError, match="n_candidates=2 is smaller"):
        SuggestiveAnnotation(n_candidates=2, n_samples=4)(net, X[100:300], 3)
    assert isinstance(make_strategy("suggestive_annotation"), SuggestiveAnnotation)
