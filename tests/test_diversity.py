"""Tests for :mod:`skactive.diversity`."""

import itertools
import os
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist, pdist
from scipy.stats import chisquare

from skactive import diversity
from skactive.diversity import (
    _badge_sampling_naive,
    badge_sampling,
    batch_diversity,
    diversity_sampling,
    kcenter_greedy,
    nearest_to_centers,
    probcover_sampling,
    typiclust_sampling,
    weighted_kmeans,
)

HYP = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


def _blobs(n_blobs=5, per_blob=30, dim=4, spread=0.05, sep=10.0, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n_blobs, dim))
    centers *= sep / np.linalg.norm(centers, axis=1, keepdims=True)
    centers += np.arange(n_blobs)[:, None] * sep  # far apart
    X = np.vstack([c + spread * rng.normal(size=(per_blob, dim)) for c in centers])
    return X, np.repeat(np.arange(n_blobs), per_blob)


def _badge_data(n=200, d=16, C=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(n, C))
    P = np.exp(logits - logits.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    F = rng.normal(size=(n, d))
    return P.astype(dtype), F.astype(dtype)


# --------------------------------------------------------------------------
# diversity_sampling: basic contract
# --------------------------------------------------------------------------
@HYP
@given(
    n_pool=st.integers(1, 40),
    dim=st.integers(1, 5),
    frac=st.floats(0.01, 1.0),
    temperature=st.sampled_from([0.0, 0.1, 0.5, 1.0, 3.0]),
    n_lab=st.integers(0, 4),
    seed=st.integers(0, 2**16),
    chunk=st.sampled_from([None, 1, 3, 64]),
)
def test_picks_unique_in_range_exact_n(
    n_pool, dim, frac, temperature, n_lab, seed, chunk
):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_pool, dim))
    X[: n_pool // 3] = X[0]  # some duplicates
    lab = rng.normal(size=(n_lab, dim)) if n_lab else None
    n = max(1, int(round(frac * n_pool)))
    idx = diversity_sampling(
        X, n, labeled=lab, temperature=temperature, random_state=seed, chunk_size=chunk
    )
    assert idx.dtype == np.int64 and idx.shape == (n,)
    assert len(set(idx.tolist())) == n
    assert idx.min() >= 0 and idx.max() < n_pool
    again = diversity_sampling(
        X, n, labeled=lab, temperature=temperature, random_state=seed, chunk_size=chunk
    )
    np.testing.assert_array_equal(idx, again)


def test_different_seeds_differ_for_positive_temperature():
    X = np.random.default_rng(0).normal(size=(200, 8))
    picks = {
        tuple(diversity_sampling(X, 10, temperature=1.0, random_state=s))
        for s in range(5)
    }
    assert len(picks) == 5


def test_random_state_instance_and_torch_input():
    X = np.random.default_rng(1).normal(size=(50, 3)).astype(np.float32)
    a = diversity_sampling(X, 7, temperature=0.5, random_state=3)
    b = diversity_sampling(
        torch.from_numpy(X), 7, temperature=0.5, random_state=np.random.RandomState(3)
    )
    np.testing.assert_array_equal(a, b)
    c = diversity_sampling(X, 7, temperature=0.5, random_state=3, device="cpu")
    np.testing.assert_array_equal(a, c)


def test_chunking_does_not_change_picks():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 6))
    L = rng.normal(size=(7, 6))
    ref = diversity_sampling(X, 40, labeled=L, random_state=0)
    for chunk in (1, 7, 100, 299):
        got = diversity_sampling(X, 40, labeled=L, random_state=0, chunk_size=chunk)
        np.testing.assert_array_equal(ref, got)


def test_first_pick_is_farthest_from_labeled():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 5))
    L = rng.normal(size=(10, 5))
    idx, dist = kcenter_greedy(X, 1, labeled=L), None
    assert idx[0] == np.argmax(cdist(X, L).min(1))
    idx, dist = diversity_sampling(X, 3, labeled=L, return_distances=True)
    np.testing.assert_allclose(dist[0], cdist(X, L).min(1).max(), rtol=1e-6)
    assert np.all(np.diff(dist) <= 1e-9)  # k-center radii never increase


def test_kcenter_matches_bruteforce_greedy():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(80, 3))
    L = rng.normal(size=(3, 3))
    got = kcenter_greedy(X, 15, labeled=L)
    D = cdist(X, L).min(1)
    expect = []
    for _ in range(15):
        i = int(np.argmax(D))
        expect.append(i)
        D = np.minimum(D, np.linalg.norm(X - X[i], axis=1))
    np.testing.assert_array_equal(got, expect)


def _radius(X, centers):
    return cdist(X, X[list(centers)]).min(1).max()


@HYP
@given(
    n_pool=st.integers(8, 10),
    n=st.integers(2, 3),
    seed=st.integers(0, 2**16),
)
def test_kcenter_two_approximation(n_pool, n, seed):
    X = np.random.default_rng(seed).uniform(-5, 5, size=(n_pool, 2))
    opt = min(_radius(X, S) for S in itertools.combinations(range(n_pool), n))
    got = kcenter_greedy(X, n, random_state=seed)
    assert _radius(X, got) <= 2 * opt + 1e-9


def _greedy_with_gap(X, L, n):
    """Brute-force k-center greedy and the smallest relative top-2 gap."""
    D = cdist(X, L).min(1)
    picks, gap = [], np.inf
    for _ in range(n):
        top2 = np.sort(D)[-2:]
        gap = min(gap, 1 - top2[0] / top2[1])
        i = int(np.argmax(D))
        picks.append(i)
        D = np.minimum(D, np.linalg.norm(X - X[i], axis=1))
    return np.array(picks), gap


def test_tiny_temperature_reproduces_argmax():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 3))
    L = rng.normal(size=(2, 3))
    expect, gap = _greedy_with_gap(X, L, 12)
    assert gap > 0.01  # no near-ties: (1 - gap) ** (1 / T) underflows
    ref = diversity_sampling(X, 12, labeled=L, temperature=0.0, random_state=0)
    np.testing.assert_array_equal(ref, expect)
    for seed in range(5):
        got = diversity_sampling(X, 12, labeled=L, temperature=1e-4, random_state=seed)
        np.testing.assert_array_equal(ref, got)


def test_tiny_temperature_no_overflow():
    X = np.random.default_rng(6).normal(size=(30, 2)) * 1e3
    idx = diversity_sampling(X, 10, temperature=1e-3, random_state=0)
    assert len(set(idx.tolist())) == 10


def test_ties_at_zero_temperature_are_broken_by_random_state():
    # 4 points at the same distance from the labeled origin
    X = np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]])
    firsts = {
        int(kcenter_greedy(X, 1, labeled=[[0.0, 0]], random_state=s)[0])
        for s in range(40)
    }
    assert firsts == {0, 1, 2, 3}


# --------------------------------------------------------------------------
# sampling distributions (chi-square goodness of fit)
# --------------------------------------------------------------------------
HEX = np.array([[np.cos(a), np.sin(a)] for a in np.arange(6) * np.pi / 3]) * np.array(
    [1.0, 1.3]
) + np.array([[0.05 * k, -0.03 * k] for k in range(6)])


@pytest.mark.parametrize("temperature", [0.5, 1.0])
def test_second_pick_distribution(temperature):
    """First pick uniform (no labeled data), second pick ∝ d^(1/T)."""
    n_seeds = 2000
    counts = np.zeros((6, 6))
    for s in range(n_seeds):
        i, j = diversity_sampling(HEX, 2, temperature=temperature, random_state=s)
        counts[i, j] += 1
    D = cdist(HEX, HEX) ** (1.0 / temperature)
    expected = D / D.sum(1, keepdims=True) / 6 * n_seeds
    mask = ~np.eye(6, dtype=bool)
    assert counts[~mask].sum() == 0
    assert expected[mask].min() > 5
    assert chisquare(counts[mask], expected[mask]).pvalue > 1e-3


@pytest.mark.parametrize("temperature", [0.5, 1.0])
def test_first_pick_distribution_with_labeled(temperature):
    n_seeds = 2000
    L = np.array([[0.2, 0.1], [-0.3, 0.4]])
    picks = [
        int(
            diversity_sampling(
                HEX, 1, labeled=L, temperature=temperature, random_state=s
            )[0]
        )
        for s in range(n_seeds)
    ]
    counts = np.bincount(picks, minlength=6)
    w = cdist(HEX, L).min(1) ** (1.0 / temperature)
    assert chisquare(counts, w / w.sum() * n_seeds).pvalue > 1e-3


# --------------------------------------------------------------------------
# dtypes, duplicates, devices
# --------------------------------------------------------------------------
@pytest.mark.parametrize("temperature", [0.0, 0.5, 1.0])
def test_float32_and_float64_give_same_picks(temperature):
    # well separated: 8 tight blobs, fewer picks than blobs
    X, _ = _blobs(n_blobs=8, per_blob=10, spread=0.01)
    L = X[:1] + 0.1
    for seed in range(5):
        kw = dict(labeled=L, temperature=temperature, random_state=seed)
        a = diversity_sampling(X.astype(np.float32), 6, **kw)
        b = diversity_sampling(X.astype(np.float64), 6, **kw)
        np.testing.assert_array_equal(a, b)


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
    orig = diversity._ShiftedEuclidean.exact_sq

    def spy(self, cand):
        seen.append(sorted(cand.tolist()))
        return orig(self, cand)

    monkeypatch.setattr(diversity._ShiftedEuclidean, "exact_sq", spy)
    assert kcenter_greedy(X, 1, labeled=L)[0] == want
    assert seen == [[40, 41]]


def test_float32_matches_exact_greedy_far_from_origin():
    """Mean-shifted expansion + exact tie refinement: float32 == float64."""
    rng = np.random.default_rng(11)
    X64 = rng.normal(size=(1500, 24)) + 300.0  # large offset, small spread
    X32 = X64.astype(np.float32)
    L = X32[:5].astype(np.float64)
    expect, _ = _greedy_with_gap(X32.astype(np.float64), L, 150)
    got = kcenter_greedy(X32, 150, labeled=L)
    np.testing.assert_array_equal(got, expect)


@pytest.mark.parametrize("temperature", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_duplicates_filled_uniformly(temperature, dtype):
    X = np.vstack([np.full((5, 3), 1.7), [[0.0, 0, 0]], [[4.0, -2, 1]]]).astype(dtype)
    for seed in range(10):
        idx = diversity_sampling(X, 5, temperature=temperature, random_state=seed)
        assert len(set(idx.tolist())) == 5
        # the two distinct points are found before the fill-up
        assert {5, 6} <= set(idx.tolist())
    idx = diversity_sampling(X, 7, random_state=0)
    assert sorted(idx.tolist()) == list(range(7))


def test_all_identical_points():
    X = np.ones((6, 4), dtype=np.float32)
    idx, dist = diversity_sampling(
        X, 6, labeled=X[:1], random_state=0, return_distances=True
    )
    assert sorted(idx.tolist()) == list(range(6))
    np.testing.assert_array_equal(dist, 0.0)


def test_labeled_duplicates_in_pool_are_not_preferred():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(20, 3))
    idx = kcenter_greedy(X, 10, labeled=X[:10])
    assert set(idx.tolist()) == set(range(10, 20))


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
def test_device_and_tensor_input_give_the_same_picks(device):
    X = np.random.default_rng(0).normal(size=(2000, 32)).astype(np.float32)
    for T in (0.0, 0.5):
        a = diversity_sampling(X, 30, temperature=T, random_state=0)
        b = diversity_sampling(X, 30, temperature=T, random_state=0, device=device)
        c = diversity_sampling(
            torch.as_tensor(X, device=device), 30, temperature=T, random_state=0
        )
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


# --------------------------------------------------------------------------
# BADGE
# --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(4))
def test_badge_matches_naive(seed, dtype):
    P, F = _badge_data(seed=seed, dtype=dtype)
    fast = badge_sampling(P, F, 25, random_state=seed)
    naive = _badge_sampling_naive(P, F, 25, random_state=seed)
    np.testing.assert_array_equal(fast, naive)
    # first centre = argmax ||g||
    U = P.astype(np.float64).copy()
    U[np.arange(len(P)), P.argmax(1)] -= 1
    G = (U[:, :, None] * F.astype(np.float64)[:, None, :]).reshape(len(P), -1)
    assert fast[0] == np.argmax(np.linalg.norm(G, axis=1))


def test_badge_chunking_and_torch_input():
    P, F = _badge_data(n=150, seed=9, dtype=np.float32)
    ref = badge_sampling(P, F, 20, random_state=0)
    got = badge_sampling(
        torch.from_numpy(P), torch.from_numpy(F), 20, random_state=0, chunk_size=13
    )
    np.testing.assert_array_equal(ref, got)


def test_badge_does_not_keep_origin_as_centre():
    # two samples with tiny gradients near the origin and one large one:
    # with the origin as a centre the small ones could never be chosen
    P = np.array([[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])
    F = np.array([[10.0, 0.0], [0.01, 0.0], [0.0, 0.01]])
    idx, counts = [], np.zeros(3)
    for s in range(200):
        idx = badge_sampling(P, F, 2, random_state=s)
        assert idx[0] == 0
        counts[idx[1]] += 1
    # after centre 0 both remaining points are at almost the same distance
    assert counts[1] > 50 and counts[2] > 50


def test_badge_duplicates_and_unique():
    P = np.tile([[0.6, 0.4]], (6, 1))
    F = np.ones((6, 3))
    idx = badge_sampling(P, F, 6, random_state=0)
    assert sorted(idx.tolist()) == list(range(6))
    naive = _badge_sampling_naive(P, F, 6, random_state=0)
    np.testing.assert_array_equal(idx, naive)


def test_badge_memory_no_gradient_matrix():
    n, d, C = 20000, 64, 50
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(C), size=n).astype(np.float32)
    F = rng.normal(size=(n, d)).astype(np.float32)
    g_bytes = n * d * C * 4  # 256 MB
    tracemalloc.start()
    try:
        idx = badge_sampling(P, F, 20, random_state=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(set(idx.tolist())) == 20
    assert peak < g_bytes / 20


def test_badge_memory_rss_subprocess():
    """tracemalloc does not see torch allocations: check the peak RSS too."""
    code = textwrap.dedent(
        """
        import resource, numpy as np
        from skactive.diversity import badge_sampling
        n, d, C = 20000, 64, 50
        rng = np.random.default_rng(0)
        P = rng.dirichlet(np.ones(C), size=n).astype(np.float32)
        F = rng.normal(size=(n, d)).astype(np.float32)
        badge_sampling(P[:100], F[:100], 2, random_state=0)  # warm up
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        badge_sampling(P, F, 20, random_state=0)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) * 1024)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    delta = int(out.stdout.strip().splitlines()[-1])
    assert delta < 20000 * 64 * 50 * 4 / 8  # far below the 256 MB of g


# --------------------------------------------------------------------------
# clustering helpers, TypiClust, ProbCover
# --------------------------------------------------------------------------
def test_weighted_kmeans_and_nearest():
    X, y = _blobs(n_blobs=4, per_blob=25)
    w = np.ones(len(X))
    w[y == 0] = 5.0
    centers, labels = weighted_kmeans(X, 4, sample_weight=w, random_state=0)
    assert centers.shape == (4, X.shape[1]) and labels.shape == (len(X),)
    for b in range(4):  # each blob is one cluster
        assert len(set(labels[y == b].tolist())) == 1
    near = nearest_to_centers(X, centers)
    assert sorted(y[near].tolist()) == [0, 1, 2, 3]
    c2, l2 = weighted_kmeans(X, 4, sample_weight=w, random_state=0)
    np.testing.assert_array_equal(l2, labels)


def test_nearest_to_centers_unique_next_nearest():
    X = np.array([[0.0], [1.0], [2.0], [10.0]])
    idx = nearest_to_centers(X, [[0.1], [0.2], [0.3]])
    # pairs are assigned by increasing distance: 0.1 -> row 0 (0.1), then
    # 0.3 -> row 1 (0.7) before 0.2 -> row 1 (0.8); 0.2 gets row 2
    np.testing.assert_array_equal(idx, [0, 2, 1])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    C = rng.normal(size=(20, 3)) * 0.1
    idx = nearest_to_centers(X, C)
    assert len(set(idx.tolist())) == 20
    # brute force: rounds of "closest claimant wins"
    D = cdist(C, X)
    expect = np.full(20, -1)
    while (expect < 0).any():
        free = D.copy()
        free[:, expect[expect >= 0]] = np.inf
        claims = {}
        for c in np.flatnonzero(expect < 0):
            i = int(np.argmin(free[c]))
            if i not in claims or D[c, i] < D[claims[i], i]:
                claims[i] = c
        for i, c in claims.items():
            expect[c] = i
    np.testing.assert_array_equal(idx, expect)


def test_typiclust_one_pick_per_blob():
    X, y = _blobs(n_blobs=5, per_blob=30)
    for seed in range(3):
        idx = typiclust_sampling(X, 5, random_state=seed)
        assert sorted(y[idx].tolist()) == [0, 1, 2, 3, 4]
        # the pick is the most typical point of its blob
        for i in idx:
            members = np.flatnonzero(y == y[i])
            D = cdist(X[members], X[members])
            knn = np.sort(D, axis=1)[:, 1:21].mean(1)
            assert members[np.argmin(knn)] == i


def test_typiclust_skips_covered_clusters():
    X, y = _blobs(n_blobs=5, per_blob=30)
    L = X[[0, 30]] + 0.01  # blobs 0 and 1 are labeled
    idx = typiclust_sampling(X, 3, labeled=L, random_state=0)
    assert sorted(y[idx].tolist()) == [2, 3, 4]
    idx = typiclust_sampling(X, 20, labeled=L, k_neighbors=3, random_state=0)
    assert len(set(idx.tolist())) == 20


def test_probcover_covers_all_blobs():
    X, y = _blobs(n_blobs=6, per_blob=20, spread=0.05)
    delta = 1.0  # > blob diameter, << separation
    idx = probcover_sampling(X, 6, delta=delta, random_state=0)
    assert sorted(y[idx].tolist()) == list(range(6))
    assert cdist(X, X[idx]).min(1).max() < delta
    # labeled blobs are covered already; extra picks fall back to uniform
    L = X[y < 2]
    idx = probcover_sampling(
        X, 10, delta=delta, labeled=L, random_state=0, chunk_size=7
    )
    assert sorted(y[idx[:4]].tolist()) == [2, 3, 4, 5]
    assert len(set(idx.tolist())) == 10


def test_probcover_greedy_max_coverage():
    X = np.array([0.0, 0.05, 0.1, 0.15, 0.2, 5.0, 5.1, 5.2, 9.0])[:, None]
    idx = probcover_sampling(X, 3, delta=0.15, random_state=0)
    np.testing.assert_array_equal(idx, [2, 6, 8])


# --------------------------------------------------------------------------
# batch_diversity
# --------------------------------------------------------------------------
@HYP
@given(n=st.integers(2, 60), dim=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_batch_diversity_matches_pdist(n, dim, seed):
    X = np.random.default_rng(seed).normal(size=(n, dim))
    np.testing.assert_allclose(batch_diversity(X), pdist(X).mean(), rtol=1e-7)


def test_batch_diversity_chunked_and_single():
    X = np.random.default_rng(0).normal(size=(3000, 5))
    np.testing.assert_allclose(
        batch_diversity(torch.from_numpy(X)), pdist(X).mean(), rtol=1e-7
    )
    assert batch_diversity(X[:1]) == 0.0


# --------------------------------------------------------------------------
# input validation
# --------------------------------------------------------------------------
X10 = np.random.default_rng(0).normal(size=(10, 3))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n": 11}, ValueError, "n=11"),
        ({"n": 0}, ValueError, "n must be >= 1"),
        ({"n": -2}, ValueError, "n must be >= 1"),
        ({"n": 2.5}, TypeError, "n must be an integer"),
        ({"n": True}, TypeError, "n must be an integer"),
        ({"n": 2, "temperature": -0.1}, ValueError, "temperature"),
        ({"n": 2, "temperature": float("nan")}, ValueError, "temperature"),
        ({"n": 2, "temperature": "hot"}, TypeError, "temperature"),
        ({"n": 2, "labeled": np.zeros((2, 4))}, ValueError, "labeled"),
        ({"n": 2, "labeled": np.zeros(3)}, ValueError, "labeled"),
        ({"n": 2, "labeled": [[np.nan, 0, 0]]}, ValueError, "labeled"),
        ({"n": 2, "chunk_size": 0}, ValueError, "chunk_size"),
        ({"n": 2, "device": 3.0}, TypeError, "device"),
        ({"n": 2, "device": "nodevice"}, ValueError, "device"),
    ],
)
def test_diversity_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        diversity_sampling(X10, **kwargs)


@pytest.mark.parametrize(
    "emb, exc, match",
    [
        (
            np.where(np.eye(10, 3) > 0, np.nan, X10),
            ValueError,
            "embeddings contains NaN",
        ),
        (
            np.where(np.eye(10, 3) > 0, np.inf, X10),
            ValueError,
            "embeddings contains NaN",
        ),
        (np.arange(10.0), ValueError, "embeddings must be a 2-D"),
        (np.zeros((0, 3)), ValueError, "embeddings must have at least one row"),
        (np.array([["a", "b"]]), TypeError, "embeddings must be numeric"),
    ],
)
def test_bad_embeddings(emb, exc, match):
    for call in (
        lambda: diversity_sampling(emb, 1),
        lambda: typiclust_sampling(emb, 1),
        lambda: probcover_sampling(emb, 1, delta=1.0),
        lambda: batch_diversity(emb),
    ):
        with pytest.raises(exc, match=match):
            call()


def test_overflowing_embeddings():
    X = np.full((4, 3), 1e30, dtype=np.float32)
    X[0, 0] = -1e30
    with pytest.raises(ValueError, match="embeddings has values too large"):
        diversity_sampling(X, 2)
    with pytest.raises(ValueError, match="embeddings has values too large"):
        badge_sampling(np.full((4, 2), 0.5), X, 2)
    with pytest.raises(ValueError, match="embeddings contains NaN"):
        badge_sampling(np.full((4, 2), 0.5), np.where(X > 0, np.nan, 1.0), 2)


def test_other_bad_inputs():
    P, F = _badge_data(n=10)
    with pytest.raises(ValueError, match="probas"):
        badge_sampling(P[:5], F, 2)
    with pytest.raises(ValueError, match="probas"):
        badge_sampling(P * 3, F, 2)
    with pytest.raises(ValueError, match="n=11"):
        badge_sampling(P, F, 11)
    with pytest.raises(ValueError, match="delta"):
        probcover_sampling(X10, 2, delta=0)
    with pytest.raises(TypeError, match="k_neighbors"):
        typiclust_sampling(X10, 2, k_neighbors=1.5)
    with pytest.raises(ValueError, match="labeled"):
        typiclust_sampling(X10, 2, labeled=np.zeros((1, 2)))
    with pytest.raises(ValueError, match="n_clusters"):
        weighted_kmeans(X10, 11)
    with pytest.raises(ValueError, match="sample_weight"):
        weighted_kmeans(X10, 2, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="positive sample_weight"):
        weighted_kmeans(X10, 3, sample_weight=np.r_[1.0, 1.0, np.zeros(8)])
    with pytest.raises(ValueError, match="centers"):
        nearest_to_centers(X10, np.zeros((11, 3)))
    with pytest.raises(ValueError, match="centers"):
        nearest_to_centers(X10, np.zeros((2, 2)))


# --------------------------------------------------------------------------
# k-center greedy with bound pruning (lazy updates) vs the eager loop
# --------------------------------------------------------------------------
def _eager_kcenter(X, n, labeled, seed):
    """The one-pass-per-pick loop, the reference for the pruned one."""
    Xt = torch.as_tensor(X)
    engine = diversity._ShiftedEuclidean(Xt, 1 << 20)
    d2, extra = None, 0.0
    if labeled is not None:
        Lt = torch.as_tensor(labeled)
        d2 = engine.min_to_set(Lt)
        extra = float(diversity._sq_norms(Lt, engine.m).max())
    picks, dists = diversity._greedy_loop(
        n,
        X.shape[0],
        d2,
        engine,
        exponent=None,
        rng=np.random.RandomState(seed),
        tol=engine.zero_tol(extra),
        refine=engine.exact_sq,
        tie_tol=engine.zero_tol(extra, rtol=diversity._TIE_RTOL, dim_power=0.25),
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
    monkeypatch.setattr(diversity, "_LAZY_TOP", lazy_top)
    monkeypatch.setattr(diversity, "_LAZY_MIN_ELEMS", 0)  # small pools too
    rng = np.random.default_rng(11)
    if kind == "gauss":
        X = rng.normal(size=(600, 16))
    elif kind == "grid":
        X = rng.integers(0, 4, size=(200, 3)).astype(float)
    else:
        X, _ = _blobs(n_blobs=6, per_blob=60, dim=8, spread=1.0, sep=6.0)
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
    monkeypatch.setattr(diversity, "_LAZY_MIN_ELEMS", 0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10_000, 128)).astype(np.float32)
    L = rng.normal(size=(20, 128)).astype(np.float32)
    n = 200
    evaluated = []
    refresh = diversity._ShiftedEuclidean.refresh

    def counting_refresh(self, d2, rows):
        total = self._lz_base + self._lz_rows
        evaluated.append(int((total - self.seen[rows]).clamp(min=0).sum()))
        return refresh(self, d2, rows)

    monkeypatch.setattr(diversity._ShiftedEuclidean, "refresh", counting_refresh)
    got = kcenter_greedy(X, n, labeled=L, random_state=0)
    want, _ = _eager_kcenter(X, n, L, 0)
    np.testing.assert_array_equal(got, want)
    # the eager loop evaluates every row against every centre: n_pool * n
    assert sum(evaluated) < 0.1 * X.shape[0] * n


def test_pruned_kcenter_many_exact_ties_picks_a_farthest_row(monkeypatch):
    # more tied rows than are settled in float64 (_REFINE_MAX): every pick
    # is still a row at the maximal distance, and the set is exhausted
    # before duplicates are filled in
    monkeypatch.setattr(diversity, "_LAZY_TOP", 2)
    monkeypatch.setattr(diversity, "_LAZY_MIN_ELEMS", 0)
    X = np.random.default_rng(0).integers(0, 3, size=(2000, 3)).astype(np.float32)
    picks = kcenter_greedy(X, 40, labeled=[[1.0, 1.0, 1.0]], random_state=0)
    centres = [np.array([1.0, 1.0, 1.0])]
    for i in picks[:26]:
        D = np.min([((X - c) ** 2).sum(1) for c in centres], axis=0)
        assert D[i] == D.max() > 0
        centres.append(X[i].astype(float))
    assert len({tuple(X[i]) for i in picks[:26]}) == 26  # 27 sites, 1 labeled
    assert len(set(picks.tolist())) == 40


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_typicality_matches_bruteforce(dtype):
    rng = np.random.default_rng(3)
    P = rng.normal(size=(60, 5))
    P[10] = P[11]  # an exact duplicate: its nearest "other" point is at 0
    D = cdist(P, P)
    np.fill_diagonal(D, np.inf)
    for k in (1, 7, 59, 100):
        K = min(k, 59)
        with np.errstate(divide="ignore"):  # duplicates: typicality inf
            want = 1.0 / np.sort(D, axis=1)[:, :K].mean(axis=1)
        got = diversity._typicality(P.astype(dtype), k)
        rtol = 1e-4 if dtype == np.float32 else 1e-9
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=rtol)
    assert np.isinf(diversity._typicality(P[10:12].astype(dtype), 1)).all()
    np.testing.assert_array_equal(diversity._typicality(P[:1], 5), [np.inf])
