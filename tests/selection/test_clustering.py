"""Clustering-based selection: weighted k-means, TypiClust, ProbCover."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from skactive.selection import (
    _clustering,
    nearest_to_centers,
    probcover_sampling,
    typiclust_sampling,
    weighted_kmeans,
)

from ._helpers import X10, blobs


def test_weighted_kmeans_and_nearest():
    X, y = blobs(n_blobs=4, per_blob=25)
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
    X, y = blobs(n_blobs=5, per_blob=30)
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
    X, y = blobs(n_blobs=5, per_blob=30)
    L = X[[0, 30]] + 0.01  # blobs 0 and 1 are labeled
    idx = typiclust_sampling(X, 3, labeled=L, random_state=0)
    assert sorted(y[idx].tolist()) == [2, 3, 4]
    idx = typiclust_sampling(X, 20, labeled=L, k_neighbors=3, random_state=0)
    assert len(set(idx.tolist())) == 20


def test_probcover_covers_allblobs():
    X, y = blobs(n_blobs=6, per_blob=20, spread=0.05)
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
        got = _clustering._typicality(P.astype(dtype), k)
        rtol = 1e-4 if dtype == np.float32 else 1e-9
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=rtol)
    assert np.isinf(_clustering._typicality(P[10:12].astype(dtype), 1)).all()
    np.testing.assert_array_equal(_clustering._typicality(P[:1], 5), [np.inf])


def test_clustering_bad_inputs():
    with pytest.raises(ValueError, match="delta"):
        probcover_sampling(X10, 2, delta=0)
    with pytest.raises(TypeError, match="k_neighbors"):
        typiclust_sampling(X10, 2, k_neighbors=1.5)
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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_typicality_with_a_far_point_in_the_cluster(dtype):
    # one far point of the cluster inflates no other point's tolerance: the
    # typicality of the others is their brute-force one, not infinity
    rng = np.random.default_rng(4)
    P = rng.normal(size=(50, 6))
    P[0] = 3000.0
    D = cdist(P.astype(dtype).astype(np.float64), P.astype(dtype).astype(np.float64))
    np.fill_diagonal(D, np.inf)
    want = 1.0 / np.sort(D, axis=1)[:, :5].mean(axis=1)
    got = _clustering._typicality(P.astype(dtype), 5)
    np.testing.assert_allclose(got[1:], want[1:], rtol=1e-3)
