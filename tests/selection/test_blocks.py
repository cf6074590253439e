"""Selectors on embeddings that do not fit in memory, read in blocks.

Every selector given a ``.npy`` file, a memmap or a view of a file picks the
same rows as on the array in memory, reading at most one block of rows at a
time; k-center on a file equals a float64 brute-force greedy.
"""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from skactive.pools import ArrayFile, PoolView
from skactive.selection import (
    _blocks,
    _clustering,
    badge_sampling,
    diversity_sampling,
    kcenter_greedy,
    probcover_sampling,
    typiclust_sampling,
)

from ._helpers import badge_data, blobs, greedy_with_gap


class CountingFile(ArrayFile):
    """An ArrayFile recording the rows of every read."""

    def _read(self, start, stop, out=None):
        self.reads.append(stop - start)
        return super()._read(start, stop, out)


@pytest.fixture
def small_blocks(monkeypatch):
    # 16 rows of 32 features per block: many blocks even for small pools
    monkeypatch.setattr(_blocks, "_BLOCK_ELEMS", 16 * 32)
    return 16


def _file(tmp_path, a, name="emb.npy"):
    path = tmp_path / name
    np.save(path, a)
    pool = CountingFile(path)
    pool.reads = []
    return pool


def _kinds(tmp_path, a):
    """The same rows as a file, a memmap and a view of a longer file."""
    n = a.shape[0]
    big = np.zeros((2 * n, a.shape[1]), dtype=a.dtype)
    positions = np.arange(2 * n - 1, 0, -2)
    big[positions] = a
    np.save(tmp_path / "mm.npy", a)
    return {
        "file": _file(tmp_path, a),
        "memmap": np.load(tmp_path / "mm.npy", mmap_mode="r"),
        "view": PoolView(_file(tmp_path, big, "big.npy"), positions),
    }


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("temperature", [0.0, 0.5, 2.0])
def test_diversity_sampling_on_files_picks_as_in_memory(
    tmp_path, small_blocks, dtype, temperature
):
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(300, 32)) + 5.0).astype(dtype)
    X[40:45] = X[7]  # duplicates
    L = X[:3].astype(np.float64)
    ref, ref_d = diversity_sampling(
        X,
        40,
        labeled=L,
        temperature=temperature,
        random_state=3,
        return_distances=True,
    )
    for kind, pool in _kinds(tmp_path, X).items():
        got, got_d = diversity_sampling(
            pool,
            40,
            labeled=L,
            temperature=temperature,
            random_state=3,
            return_distances=True,
        )
        np.testing.assert_array_equal(got, ref, err_msg=kind)
        np.testing.assert_array_equal(got_d, ref_d, err_msg=kind)


def test_kcenter_on_a_file_equals_float64_bruteforce(tmp_path, small_blocks):
    X, _ = blobs(n_blobs=6, per_blob=40, dim=32, spread=1.0, sep=20.0, seed=1)
    X32 = X.astype(np.float32)
    L = X32[:2].astype(np.float64)
    expected, gap = greedy_with_gap(X32.astype(np.float64), L, 25)
    assert gap > 1e-9  # no exact ties: the greedy is unique
    np.testing.assert_array_equal(
        kcenter_greedy(_file(tmp_path, X32), 25, labeled=L), expected
    )


def test_a_million_values_on_a_file_pick_as_the_pruning_loop(tmp_path, monkeypatch):
    # in memory, pools of a million values use the bound-pruning loop; on a
    # file one pass per pick: the same picks
    monkeypatch.setattr(_blocks, "_BLOCK_ELEMS", 512 * 64)
    rng = np.random.default_rng(2)
    X = rng.normal(size=(2100, 512)).astype(np.float16)
    ref = kcenter_greedy(X, 30, random_state=0)
    pool = _file(tmp_path, X)
    np.testing.assert_array_equal(kcenter_greedy(pool, 30, random_state=0), ref)
    assert max(pool.reads) <= 64  # never more than one block at once


def test_reads_stay_within_one_block(tmp_path, small_blocks):
    X = np.random.default_rng(3).normal(size=(500, 32)).astype(np.float32)
    pool = _file(tmp_path, X)
    diversity_sampling(pool, 20, temperature=0.5, random_state=0)
    assert pool.reads and max(pool.reads) <= small_blocks
    pool.reads.clear()
    P, F = badge_data(n=500, d=32, dtype=np.float32)
    fpool = _file(tmp_path, F, "f.npy")
    fpool.reads = []
    badge_sampling(P, fpool, 20, random_state=0)
    assert fpool.reads and max(fpool.reads) <= small_blocks


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_badge_on_a_file_picks_as_in_memory(tmp_path, small_blocks, dtype):
    P, F = badge_data(n=400, d=32, C=5, seed=4)
    F = F.astype(dtype)
    ref = badge_sampling(P.astype(np.float32), F, 30, random_state=2)
    for kind, pool in _kinds(tmp_path, F).items():
        got = badge_sampling(P.astype(np.float32), pool, 30, random_state=2)
        np.testing.assert_array_equal(got, ref, err_msg=kind)


def test_typiclust_and_probcover_read_a_file(tmp_path, small_blocks):
    X, _ = blobs(n_blobs=4, per_blob=25, dim=32, spread=0.3, sep=10.0)
    X = X.astype(np.float32)
    pool = _file(tmp_path, X)
    np.testing.assert_array_equal(
        typiclust_sampling(pool, 4, k_neighbors=5, random_state=0),
        typiclust_sampling(X, 4, k_neighbors=5, random_state=0),
    )
    np.testing.assert_array_equal(
        probcover_sampling(pool, 4, delta=1.5, random_state=0),
        probcover_sampling(X, 4, delta=1.5, random_state=0),
    )
    assert max(pool.reads) <= small_blocks


def test_a_nan_in_a_file_is_refused_naming_the_argument(tmp_path, small_blocks):
    X = np.ones((100, 32), dtype=np.float32)
    X[77, 3] = np.nan
    with pytest.raises(ValueError, match="embeddings contains NaN"):
        diversity_sampling(_file(tmp_path, X), 3)
    with pytest.raises(ValueError, match="embeddings must be a 2-D"):
        diversity_sampling(_file(tmp_path, np.ones((4, 2, 2)), "three.npy"), 1)


def test_a_dask_array_of_embeddings_is_read_by_blocks(small_blocks):
    da = pytest.importorskip("dask.array")
    X = np.random.default_rng(6).normal(size=(150, 32)).astype(np.float32)
    for temperature in (0.0, 1.0):
        np.testing.assert_array_equal(
            diversity_sampling(
                da.from_array(X, chunks=(40, 32)),
                12,
                temperature=temperature,
                random_state=0,
            ),
            diversity_sampling(X, 12, temperature=temperature, random_state=0),
        )


def _probcover_bruteforce(X, n, delta, L, seed):
    """ProbCover from the dense distance matrix, pick by pick."""
    rng = np.random.RandomState(seed)
    ball = cdist(X, X) < delta
    uncovered = np.ones(len(X), dtype=bool)
    if L is not None:
        uncovered[(cdist(L, X) < delta).any(axis=0)] = False
    picked = np.zeros(len(X), dtype=bool)
    out = []
    for _ in range(n):
        u = rng.random_sample()
        counts = (ball & uncovered).sum(axis=1)
        if counts.max() > 0:
            ties = np.flatnonzero(counts == counts.max())
            i = ties[min(int(u * len(ties)), len(ties) - 1)]
            uncovered[ball[i]] = False
        else:
            free = np.flatnonzero(~picked)
            i = free[min(int(u * len(free)), len(free) - 1)]
        picked[i] = True
        out.append(int(i))
    return np.array(out)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_probcover_on_files_picks_as_in_memory_and_bruteforce(
    tmp_path, small_blocks, dtype
):
    # 300 rows of 32 features: 19 blocks of 16 rows, each meeting the others
    rng = np.random.default_rng(5)
    X = (rng.normal(size=(300, 32)) + 3.0).astype(dtype)
    X[50:53] = X[9]  # duplicates: distance 0, inside every ball
    L = rng.normal(size=(20, 32)) + 3.0
    delta = 6.5  # about 20 neighbours per ball
    deg = (cdist(X.astype(np.float64), X.astype(np.float64)) < delta).sum(1)
    assert 10 < deg.mean() < 40
    ref = probcover_sampling(X, 40, delta=delta, labeled=L, random_state=1)
    expected = _probcover_bruteforce(X.astype(np.float64), 40, delta, L, seed=1)
    np.testing.assert_array_equal(ref, expected)
    for kind, pool in _kinds(tmp_path, X).items():
        got = probcover_sampling(pool, 40, delta=delta, labeled=L, random_state=1)
        np.testing.assert_array_equal(got, ref, err_msg=kind)
    for chunk in (5, 64, 1000):  # the blocking does not change a pick
        got = probcover_sampling(
            X, 40, delta=delta, labeled=L, random_state=1, chunk_size=chunk
        )
        np.testing.assert_array_equal(got, ref, err_msg=str(chunk))
    pool = _kinds(tmp_path, X)["file"]
    probcover_sampling(pool, 40, delta=delta, random_state=1, chunk_size=16)
    assert max(pool.reads) <= small_blocks  # one block of rows at a time


def test_probcover_graph_has_the_open_ball_pairs_whatever_the_blocking():
    # a distance exactly delta is out (open ball) on the block boundaries too
    X = np.arange(40, dtype=np.float64)[:, None] * 0.5
    want = cdist(X, X) < 1.0
    for step in (1, 3, 7, 40):
        A = _clustering._ball_graph(torch.from_numpy(X), 1.0, step=step)
        np.testing.assert_array_equal(A.toarray().astype(bool), want)
    # float32 rows far from the origin, a labeled side in float64
    rng = np.random.default_rng(8)
    X = (rng.normal(size=(90, 6)) + 50.0).astype(np.float32)
    L = rng.normal(size=(7, 6)) + 50.0
    X64 = X.astype(np.float64)
    for step in (4, 13, 90):
        A = _clustering._ball_graph(torch.from_numpy(X), 2.5, step=step)
        np.testing.assert_array_equal(A.toarray() == 1, cdist(X64, X64) < 2.5)
        B = _clustering._ball_graph(
            torch.from_numpy(X), 2.5, Q=torch.from_numpy(L), step=step
        )
        np.testing.assert_array_equal(B.toarray() == 1, cdist(L, X64) < 2.5)


@pytest.fixture
def blocked_kmeans(monkeypatch, small_blocks):
    # TypiClust's blocked mini-batch k-means from 100 rows on, blocks of 16
    # rows of 32 features, clusters of more than 16 rows typical by blocks
    monkeypatch.setattr(_clustering, "_MINIBATCH_ROWS", 100)
    monkeypatch.setattr(_clustering, "_BLOCK_ELEMS", 16 * 32)
    return small_blocks


def _most_typical(X, members, k):
    D = cdist(X[members], X[members])
    return members[np.argmin(np.sort(D, axis=1)[:, 1 : k + 1].mean(1))]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_typiclust_on_files_picks_as_in_memory(tmp_path, blocked_kmeans, dtype):
    X, _ = blobs(n_blobs=6, per_blob=50, dim=32, spread=1.0, sep=6.0, seed=2)
    X = X.astype(dtype)  # 300 rows: 18 blocks of 16 and one of 12
    L = X[:4].astype(np.float64) + 0.1
    ref = typiclust_sampling(X, 8, labeled=L, k_neighbors=5, random_state=3)
    assert len(set(ref.tolist())) == 8
    for kind, pool in _kinds(tmp_path, X).items():
        got = typiclust_sampling(pool, 8, labeled=L, k_neighbors=5, random_state=3)
        np.testing.assert_array_equal(got, ref, err_msg=kind)
    pool = _kinds(tmp_path, X)["file"]
    typiclust_sampling(pool, 8, labeled=L, k_neighbors=5, random_state=3)
    assert max(pool.reads) <= blocked_kmeans  # one block of rows at a time


def test_blocked_typiclust_picks_the_bruteforce_most_typical_rows(
    tmp_path, blocked_kmeans
):
    X, y = blobs(n_blobs=6, per_blob=40, dim=32, spread=1.0, sep=20.0, seed=1)
    X = X.astype(np.float32)
    pool = _file(tmp_path, X)
    for seed in range(3):
        idx = typiclust_sampling(pool, 6, k_neighbors=7, random_state=seed)
        assert sorted(y[idx].tolist()) == list(range(6))  # one per blob
        for i in idx:  # each the brute-force most typical row of its blob
            assert i == _most_typical(X, np.flatnonzero(y == y[i]), 7)
    L = X[[0, 40]] + 0.01  # blobs 0 and 1 are covered
    idx = typiclust_sampling(pool, 4, labeled=L, k_neighbors=7, random_state=0)
    assert sorted(y[idx].tolist()) == [2, 3, 4, 5]
    np.testing.assert_array_equal(
        idx, typiclust_sampling(X, 4, labeled=L, k_neighbors=7, random_state=0)
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocked_typicality_matches_bruteforce(monkeypatch, dtype):
    monkeypatch.setattr(_clustering, "_BLOCK_ELEMS", 8 * 5)  # blocks of 8 rows
    rng = np.random.default_rng(3)
    P = (rng.normal(size=(61, 5)) + 2.0).astype(dtype)
    P[10] = P[11]  # an exact duplicate: its nearest "other" point is at 0
    D = cdist(P.astype(np.float64), P.astype(np.float64))
    np.fill_diagonal(D, np.inf)
    for k in (1, 7, 60, 100):
        K = min(k, 60)
        with np.errstate(divide="ignore"):
            want = 1.0 / np.sort(D, axis=1)[:, :K].mean(axis=1)
        got = _clustering._typicality_blocked(
            lambda s, e: torch.from_numpy(P[s:e]), 61, 5, k, P.dtype
        )
        assert np.isinf(got[[10, 11]]).all() == (K == 1)
        finite = np.isfinite(want)
        rtol = 1e-4 if dtype == np.float32 else 1e-9
        np.testing.assert_allclose(got[finite], want[finite], rtol=rtol)


def test_typiclust_and_probcover_on_a_dask_array_and_a_tensor(blocked_kmeans):
    da = pytest.importorskip("dask.array")
    X, _ = blobs(n_blobs=5, per_blob=40, dim=32, spread=1.0, sep=6.0, seed=4)
    X = X.astype(np.float32)
    for kind, pool in {
        "dask": da.from_array(X, chunks=(40, 32)),
        "tensor": torch.from_numpy(X),
    }.items():
        np.testing.assert_array_equal(
            typiclust_sampling(pool, 7, k_neighbors=4, random_state=0),
            typiclust_sampling(X, 7, k_neighbors=4, random_state=0),
            err_msg=kind,
        )
        np.testing.assert_array_equal(
            probcover_sampling(pool, 7, delta=5.0, random_state=0),
            probcover_sampling(X, 7, delta=5.0, random_state=0),
            err_msg=kind,
        )


def test_a_nan_in_a_large_file_is_refused_by_typiclust_and_probcover(
    tmp_path, blocked_kmeans
):
    X = np.ones((200, 32), dtype=np.float32)
    X[177, 3] = np.nan
    pool = _file(tmp_path, X)
    with pytest.raises(ValueError, match="embeddings contains NaN"):
        typiclust_sampling(pool, 3, random_state=0)
    with pytest.raises(ValueError, match="embeddings contains NaN"):
        probcover_sampling(pool, 3, delta=1.0)
