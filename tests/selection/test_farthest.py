"""Farthest-point selection: :func:`diversity_sampling` and :func:`kcenter_greedy`."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from scipy.stats import chisquare

from skactive.selection import diversity_sampling, kcenter_greedy

from ._helpers import HYP, X10, blobs, greedy_with_gap


# --------------------------------------------------------------------------
# basic contract
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


def test_tiny_temperature_reproduces_argmax():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 3))
    L = rng.normal(size=(2, 3))
    expect, gap = greedy_with_gap(X, L, 12)
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
    X, _ = blobs(n_blobs=8, per_blob=10, spread=0.01)
    L = X[:1] + 0.1
    for seed in range(5):
        kw = dict(labeled=L, temperature=temperature, random_state=seed)
        a = diversity_sampling(X.astype(np.float32), 6, **kw)
        b = diversity_sampling(X.astype(np.float64), 6, **kw)
        np.testing.assert_array_equal(a, b)


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
# parameters
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n_instances": 11}, ValueError, "n_instances=11 is larger than the pool"),
        ({"n_instances": 0}, ValueError, "n_instances must be an int >= 1"),
        ({"n_instances": -2}, ValueError, "n_instances must be an int >= 1"),
        ({"n_instances": 2.5}, TypeError, "n_instances must be an int"),
        ({"n_instances": True}, TypeError, "n_instances must be an int"),
        ({"n_instances": 2, "temperature": -0.1}, ValueError, "temperature"),
        ({"n_instances": 2, "temperature": float("nan")}, ValueError, "temperature"),
        ({"n_instances": 2, "temperature": float("inf")}, ValueError, "temperature"),
        ({"n_instances": 2, "temperature": 1e-320}, ValueError, "temperature"),
        ({"n_instances": 2, "temperature": "hot"}, TypeError, "temperature"),
        ({"n_instances": 2, "labeled": np.zeros((2, 4))}, ValueError, "labeled"),
        ({"n_instances": 2, "labeled": np.zeros(3)}, ValueError, "labeled"),
        ({"n_instances": 2, "labeled": [[np.nan, 0, 0]]}, ValueError, "labeled"),
        ({"n_instances": 2, "chunk_size": 0}, ValueError, "chunk_size"),
        ({"n_instances": 2, "device": 3.0}, TypeError, "device"),
        ({"n_instances": 2, "device": "nodevice"}, ValueError, "device"),
    ],
)
def test_diversity_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        diversity_sampling(X10, **kwargs)
