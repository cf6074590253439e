"""The distance engine: float32 accuracy, exact near-ties, lazy bounds."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from skactive.selection import _distance, _farthest, diversity_sampling, kcenter_greedy

from ._helpers import blobs, greedy_with_gap


def test_float32_near_ties_settled_exactly(monkeypatch):
    # two far points whose distances to the labeled origin differ by ~4e-7
    # (relative 4e-8): below float32 resolution, settled by the exact check
    rng = np.random.default_rng(15)
    d = 64
    X = rng.normal(size=(40, d))
    A = rng.normal(size=d)
    A *= 10 / np.linalg.norm(A)
    B = rng.normal(size=d)
    B *= 10 / np.linalg.norm(B) * (1 + rng.uniform(-3e-7, 3e-7))
    X = np.vstack([X, A, B]).astype(np.float32)
    L = np.zeros((1, d))
    want = int(np.argmax(cdist(X.astype(np.float64), L).ravel()))
    picks = {int(kcenter_greedy(X, 1, labeled=L, random_state=s)[0]) for s in range(10)}
    assert picks == {want}
    # the two rows are inside the float32 tie window: settled in float64
    seen = []
    orig = _distance._ShiftedEuclidean.exact_sq

    def spy(self, cand):
        seen.append(sorted(cand.tolist()))
        return orig(self, cand)

    monkeypatch.setattr(_distance._ShiftedEuclidean, "exact_sq", spy)
    assert kcenter_greedy(X, 1, labeled=L)[0] == want
    assert seen == [[40, 41]]


def test_float32_matches_exact_greedy_far_from_origin():
    """Mean-shifted expansion + exact tie refinement: float32 == float64."""
    rng = np.random.default_rng(11)
    X64 = rng.normal(size=(1500, 24)) + 300.0  # large offset, small spread
    X32 = X64.astype(np.float32)
    L = X32[:5].astype(np.float64)
    expect, _ = greedy_with_gap(X32.astype(np.float64), L, 150)
    got = kcenter_greedy(X32, 150, labeled=L)
    np.testing.assert_array_equal(got, expect)


# --------------------------------------------------------------------------
# k-center greedy with bound pruning (lazy updates) vs the eager loop
# --------------------------------------------------------------------------
def _eager_kcenter(X, n, labeled, seed):
    """The one-pass-per-pick loop, the reference for the pruned one."""
    Xt = torch.as_tensor(X)
    engine = _distance._ShiftedEuclidean(Xt, 1 << 20)
    d2, extra = None, 0.0
    if labeled is not None:
        Lt = torch.as_tensor(labeled)
        d2 = engine.min_to_set(Lt)
        extra = float(_distance._sq_norms(Lt, engine.m).max())
    picks, dists = _farthest._greedy_loop(
        n,
        X.shape[0],
        d2,
        engine,
        exponent=None,
        rng=np.random.RandomState(seed),
        tol=engine.zero_tol(extra),
        refine=engine.exact_sq,
        tie_tol=engine.zero_tol(extra, rtol=_distance._TIE_RTOL, dim_power=0.25),
    )
    return picks, dists


@pytest.mark.parametrize("lazy_top", [1, 3, 32])
@pytest.mark.parametrize(
    "kind, dtype, n_lab",
    [
        ("gauss", np.float32, 20),
        ("gauss", np.float64, 0),
        ("grid", np.float64, 5),  # many exact ties and duplicates
        ("grid", np.float32, 0),
        ("blobs", np.float32, 3),
    ],
)
def test_pruned_kcenter_matches_eager_loop(monkeypatch, lazy_top, kind, dtype, n_lab):
    monkeypatch.setattr(_farthest, "_LAZY_TOP", lazy_top)
    monkeypatch.setattr(_farthest, "_LAZY_MIN_ELEMS", 0)  # small pools too
    rng = np.random.default_rng(11)
    if kind == "gauss":
        X = rng.normal(size=(600, 16))
    elif kind == "grid":
        X = rng.integers(0, 4, size=(200, 3)).astype(float)
    else:
        X, _ = blobs(n_blobs=6, per_blob=60, dim=8, spread=1.0, sep=6.0)
    X = X.astype(dtype)
    L = X[rng.choice(X.shape[0], n_lab, replace=False)] + 0.5 if n_lab else None
    n = 150 if kind != "grid" else 80  # grid: duplicates exhaust it early
    for seed in range(3):
        want, want_d = _eager_kcenter(X, n, L, seed)
        got, got_d = diversity_sampling(
            X, n, labeled=L, random_state=seed, return_distances=True
        )
        np.testing.assert_array_equal(got, want)
        # float32 distances of clear maxima are the fast pass's values
        # (matrix-vector vs. matrix-matrix rounding)
        rtol = 1e-4 if dtype == np.float32 else 1e-10
        np.testing.assert_allclose(got_d, want_d, rtol=rtol, atol=1e-6)


def test_pruned_kcenter_skips_most_distance_evaluations(monkeypatch):
    # a new centre only lowers the distances of rows near it; rows far from
    # the maximum are not brought up to date, so most (row, centre)
    # distances are never evaluated (about 2.5% here)
    monkeypatch.setattr(_farthest, "_LAZY_MIN_ELEMS", 0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10_000, 128)).astype(np.float32)
    L = rng.normal(size=(20, 128)).astype(np.float32)
    n = 200
    evaluated = []
    refresh = _distance._ShiftedEuclidean.refresh

    def counting_refresh(self, d2, rows):
        total = self._lz_base + self._lz_rows
        evaluated.append(int((total - self.seen[rows]).clamp(min=0).sum()))
        return refresh(self, d2, rows)

    monkeypatch.setattr(_distance._ShiftedEuclidean, "refresh", counting_refresh)
    got = kcenter_greedy(X, n, labeled=L, random_state=0)
    want, _ = _eager_kcenter(X, n, L, 0)
    np.testing.assert_array_equal(got, want)
    # the eager loop evaluates every row against every centre: n_pool * n
    assert sum(evaluated) < 0.1 * X.shape[0] * n


def test_pruned_kcenter_many_exact_ties_picks_a_farthest_row(monkeypatch):
    # more tied rows than are settled in float64 (_REFINE_MAX): every pick
    # is still a row at the maximal distance, and the set is exhausted
    # before duplicates are filled in
    monkeypatch.setattr(_farthest, "_LAZY_TOP", 2)
    monkeypatch.setattr(_farthest, "_LAZY_MIN_ELEMS", 0)
    X = np.random.default_rng(0).integers(0, 3, size=(2000, 3)).astype(np.float32)
    picks = kcenter_greedy(X, 40, labeled=[[1.0, 1.0, 1.0]], random_state=0)
    centres = [np.array([1.0, 1.0, 1.0])]
    for i in picks[:26]:
        D = np.min([((X - c) ** 2).sum(1) for c in centres], axis=0)
        assert D[i] == D.max() > 0
        centres.append(X[i].astype(float))
    assert len({tuple(X[i]) for i in picks[:26]}) == 26  # 27 sites, 1 labeled
    assert len(set(picks.tolist())) == 40
