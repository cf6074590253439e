"""The distance engine: float32 accuracy, exact near-ties, lazy bounds."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from skactive.selection import _distance, _farthest, diversity_sampling, kcenter_greedy

from ._helpers import HYP, blobs, greedy_with_gap


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
    d2 = None if labeled is None else engine.min_to_set(torch.as_tensor(labeled))
    picks, dists = _farthest._greedy_loop(
        n,
        X.shape[0],
        d2,
        engine,
        exponent=None,
        rng=np.random.RandomState(seed),
        zero=engine.zero_tol(),
        refine=engine.exact_sq,
        tie=engine.tie_tolerance(),
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


# --------------------------------------------------------------------------
# local tolerances: far rows, duplicates and constant rows (issue "scale")
# --------------------------------------------------------------------------
def _brute_kcenter(X, L, n, seed, first=None):
    """float64 k-center greedy with the documented tie and fill-up rules.

    One uniform number ``u`` per pick (``RandomState(seed)``): without
    labeled rows the first pick is ``int(u * n_pool)`` (or ``first``); ties
    take ``ties[int(u * len(ties))]`` in index order; once every distance is
    0, the rest is ``free[int(u * len(free))]`` over the unpicked rows.
    Returns the picks and their distances at the time they were picked.
    """
    rng = np.random.RandomState(seed)
    n_pool = X.shape[0]
    D = None if L is None else cdist(X, L, "sqeuclidean").min(1)
    picked = np.zeros(n_pool, dtype=bool)
    picks, dists, exhausted = [], [], False
    for _ in range(n):
        u = rng.random_sample()
        if D is None:
            idx, sq = min(int(u * n_pool), n_pool - 1), np.inf
            idx = idx if first is None else first
        elif exhausted or not D.max() > 0:
            exhausted = True
            free = np.flatnonzero(~picked)
            idx, sq = int(free[min(int(u * len(free)), len(free) - 1)]), 0.0
        else:
            ties = np.flatnonzero(D == D.max())
            idx = int(ties[min(int(u * len(ties)), len(ties) - 1)])
            sq = D[idx]
        picks.append(idx)
        dists.append(np.sqrt(sq))
        picked[idx] = True
        new = ((X - X[idx]) ** 2).sum(1)
        D = new if D is None else np.minimum(D, new)
        D[idx] = 0.0
    return np.array(picks), np.array(dists)


def _scale_case(seed, n_base, dim, n_out, n_dup, n_const, n_lab, constant_pool):
    """A unit-spread pool with far rows, duplicates and constant rows.

    Distinct rows are at least ~1.8 apart (a jittered lattice of spacing 2),
    so their distances stay resolvable in float32 even when far pool rows
    shift the mean; exact duplicates (copies of rows, constant rows) are at
    distance 0. Labeled rows: far ones (3,000 to 10,000 from the pool),
    copies of pool rows, ordinary ones.
    """
    rng = np.random.default_rng(seed)
    lattice = 2.0 * rng.integers(-3, 4, size=(4 * (n_base + n_lab), dim))
    lattice = np.unique(lattice, axis=0)
    lattice = lattice[rng.permutation(lattice.shape[0])]
    lattice += rng.uniform(-0.1, 0.1, size=lattice.shape)
    if constant_pool:
        X = np.full((n_base, dim), float(rng.choice([-9.0, 9.0, 15.0])))
    else:
        X = lattice[:n_base]
    spare = list(lattice[X.shape[0] :])  # lattice points left for labeled rows
    rows = [X]
    far = rng.choice([300.0, 500.0, 700.0, 1000.0], size=n_out, replace=False)
    for radius in far:  # far pool rows, in random directions, 200+ apart
        v = rng.normal(size=(1, dim))
        rows.append(v / np.linalg.norm(v) * radius)
    rows.append(np.full((n_const, dim), float(rng.choice([-9.0, 9.0, 15.0]))))
    X = np.vstack(rows)
    if n_dup:
        X = np.vstack([X, X[rng.integers(0, X.shape[0], size=n_dup)]])
    X = X[rng.permutation(X.shape[0])].astype(np.float32)
    L = []
    for j in range(n_lab):
        kind = j % 3
        if kind == 0:  # far
            v = rng.normal(size=dim)
            L.append(v / np.linalg.norm(v) * rng.uniform(3000, 10000))
        elif kind == 1:  # a copy of a pool row
            L.append(X[rng.integers(X.shape[0])].astype(np.float64))
        elif spare:  # an ordinary row, as far from the pool rows as they are
            L.append(spare.pop())
    L = np.array(L, dtype=np.float32) if L else None
    return X, L


SCALE_CASES = dict(
    seed=st.integers(0, 2**16),
    n_base=st.integers(6, 30),
    dim=st.sampled_from([1, 2, 3, 8, 16, 64]),
    n_out=st.integers(0, 2),
    n_dup=st.integers(0, 8),
    n_const=st.integers(0, 4),
    n_lab=st.integers(0, 4),
    constant_pool=st.booleans(),
    frac=st.floats(0.05, 1.0),
    lazy=st.booleans(),
)


@HYP
@given(**SCALE_CASES)
def test_kcenter_picks_equal_float64_bruteforce(
    seed, n_base, dim, n_out, n_dup, n_const, n_lab, constant_pool, frac, lazy
):
    X, L = _scale_case(seed, n_base, dim, n_out, n_dup, n_const, n_lab, constant_pool)
    n = max(1, int(round(frac * X.shape[0])))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_farthest, "_LAZY_MIN_ELEMS", 0 if lazy else 1 << 60)
        mp.setattr(_farthest, "_LAZY_TOP", 2)
        got, got_d = diversity_sampling(
            X, n, labeled=L, random_state=seed, return_distances=True
        )
    X64 = X.astype(np.float64)
    L64 = None if L is None else L.astype(np.float64)
    want, want_d = _brute_kcenter(X64, L64, n, seed, first=int(got[0]))
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_d, want_d, rtol=1e-3, atol=1e-3)


@HYP
@given(**SCALE_CASES)
def test_sampling_never_picks_a_zero_distance_row_while_others_remain(
    seed, n_base, dim, n_out, n_dup, n_const, n_lab, constant_pool, frac, lazy
):
    X, L = _scale_case(seed, n_base, dim, n_out, n_dup, n_const, n_lab, constant_pool)
    n = max(1, int(round(frac * X.shape[0])))
    got, got_d = diversity_sampling(
        X, n, labeled=L, temperature=0.5, random_state=seed, return_distances=True
    )
    X64 = X.astype(np.float64)
    D = None if L is None else cdist(X64, L.astype(np.float64), "sqeuclidean").min(1)
    picked = np.zeros(X.shape[0], dtype=bool)
    for idx, dist in zip(got, got_d, strict=True):
        if D is not None:
            if D[idx] == 0:  # a copy of a centre: only once nothing else is left
                assert not (D[~picked] > 0).any()
                assert dist == 0
            else:
                np.testing.assert_allclose(dist, np.sqrt(D[idx]), rtol=1e-3)
        picked[idx] = True
        new = ((X64 - X64[idx]) ** 2).sum(1)
        D = new if D is None else np.minimum(D, new)


def test_one_far_labeled_row_does_not_hide_the_pool():
    # the reported case: float32, unit-spread pool, one labeled row ~3,000
    # units away; k-center greedy must still spread over the pool
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 16)).astype(np.float32)
    L = np.full((1, 16), 3000.0 / 4.0, dtype=np.float32)
    for lazy in (False, True):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(_farthest, "_LAZY_MIN_ELEMS", 0 if lazy else 1 << 60)
            got, dist = diversity_sampling(
                X, 30, labeled=L, random_state=0, return_distances=True
            )
        want, want_d = _brute_kcenter(X.astype(np.float64), L.astype(np.float64), 30, 0)
        np.testing.assert_array_equal(got, want)
        assert np.all(dist > 1.0)
        np.testing.assert_allclose(dist, want_d, rtol=1e-4)
