import numpy as np
import pytest

from skactive._validation import InvalidParameterError
from skactive.selection import merge_top_k, shard_top_k, subsample_candidates, top_k


def test_top_k_returns_highest_in_order():
    scores = np.array([0.1, 0.7, 0.3, 0.9, 0.5])
    np.testing.assert_array_equal(top_k(scores, 3, random_state=0), [3, 1, 4])


def test_top_k_breaks_ties_through_random_state():
    scores = np.zeros(50)
    a = top_k(scores, 5, random_state=0)
    b = top_k(scores, 5, random_state=0)
    c = top_k(scores, 5, random_state=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # every tied row is reachable: over seeds the picks cover the pool
    seen = set()
    for seed in range(40):
        seen.update(top_k(scores, 5, random_state=seed).tolist())
    assert len(seen) == 50


def test_top_k_ties_only_at_the_boundary_are_random():
    scores = np.array([5.0, 1.0, 1.0, 1.0, 0.0])
    for seed in range(10):
        picks = top_k(scores, 2, random_state=seed)
        assert picks[0] == 0 and picks[1] in (1, 2, 3)


def test_top_k_whole_array():
    scores = np.array([2.0, 3.0, 1.0])
    np.testing.assert_array_equal(top_k(scores, 3), [1, 0, 2])


@pytest.mark.parametrize(
    "n, exc", [(0, ValueError), (-1, ValueError), (1.5, TypeError), (6, ValueError)]
)
def test_top_k_bad_n_instances(n, exc):
    with pytest.raises(exc, match="top_k: n_instances"):
        top_k(np.arange(5.0), n)


def test_top_k_bad_scores():
    with pytest.raises(ValueError, match="NaN"):
        top_k([1.0, np.nan], 1)
    with pytest.raises(ValueError, match="1-D"):
        top_k(np.ones((2, 2)), 1)
    with pytest.raises(TypeError, match="scores must be real numbers"):
        top_k(np.array([1j, 2j]), 1)


def test_subsample_candidates():
    assert subsample_candidates(100, None, 5) is None
    assert subsample_candidates(100, 100, 5) is None
    c = subsample_candidates(100, 10, 5, random_state=0)
    assert c.shape == (10,) and np.all(np.diff(c) > 0) and c.max() < 100
    np.testing.assert_array_equal(c, subsample_candidates(100, 10, 5, random_state=0))
    with pytest.raises(ValueError, match="R=3 is smaller than n_instances=5"):
        subsample_candidates(100, 3, 5)
    with pytest.raises(TypeError, match="R must be"):
        subsample_candidates(100, 2.5, 1)


@pytest.mark.parametrize(
    "args, name",
    [
        ((-1, 5, 2), "n_pool"),
        ((0, 5, 2), "n_pool"),
        ((10.0, 5, 2), "n_pool"),
        ((True, 5, 2), "n_pool"),
        ((10, 0, 2), "R"),
        ((10, -3, 2), "R"),
        ((10, 5, 0), "n_instances"),
        ((10, 5, 1.5), "n_instances"),
        ((10, None, 11), "n_instances"),
    ],
)
def test_subsample_candidates_bad_ints(args, name):
    with pytest.raises(InvalidParameterError, match=f"subsample_candidates: {name}"):
        subsample_candidates(*args)


# ------------------------------------------------------ shard-wise top-k merge
def _split(n, n_shards, rng):
    cuts = np.sort(rng.choice(np.arange(1, n), size=n_shards - 1, replace=False))
    return np.split(np.arange(n), cuts)


@pytest.mark.parametrize("seed", range(12))
def test_merge_top_k_equals_top_k_on_the_whole(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 200))
    # few distinct values: ties inside shards, across shards, at the boundary
    scores = rng.integers(0, 6, size=n).astype(np.float64)
    k = int(rng.integers(1, n + 1))
    parts = _split(n, int(rng.integers(2, 8)), rng)
    shards = [shard_top_k(scores[p], k, offset=int(p[0])) for p in parts]
    rng.shuffle(shards)  # any order of the shards
    for state in (0, 1, 7):
        np.testing.assert_array_equal(
            merge_top_k(shards, k, random_state=state),
            top_k(scores, k, random_state=state),
        )


def test_merge_top_k_matches_a_brute_force_reference():
    # hand reference: candidates = every row >= the k-th largest score, one
    # uniform number per candidate in pool order, sort by (-score, number)
    scores = np.array([3.0, 1.0, 3.0, 2.0, 3.0, 2.0, 0.0])
    shards = [shard_top_k(scores[:3], 4), shard_top_k(scores[3:], 4, offset=3)]
    rs = np.random.RandomState(5)
    cand = np.flatnonzero(scores >= 2.0)
    u = rs.random_sample(cand.size)
    expected = sorted(cand, key=lambda i: (-scores[i], u[list(cand).index(i)]))[:4]
    np.testing.assert_array_equal(merge_top_k(shards, 4, random_state=5), expected)


def test_shard_top_k_keeps_every_tie_at_the_shard_boundary():
    c = shard_top_k([1.0, 5.0, 1.0, 1.0, 0.0], 2, offset=100)
    np.testing.assert_array_equal(c.indices, [100, 101, 102, 103])
    np.testing.assert_array_equal(c.values, [1.0, 5.0, 1.0, 1.0])
    assert c.n_rows == 5


def test_merge_top_k_refuses_bad_input():
    with pytest.raises(ValueError, match="merge_top_k: n_instances"):
        merge_top_k([shard_top_k([1.0, 2.0], 2)], 3)
    with pytest.raises(InvalidParameterError, match="TopKCandidates"):
        merge_top_k([np.arange(3)], 1)
    with pytest.raises(InvalidParameterError, match="shard_top_k: scores"):
        shard_top_k([np.nan], 1)
    with pytest.raises(InvalidParameterError, match="offset"):
        shard_top_k([1.0], 1, offset=-1)
