"""BADGE: :func:`badge_sampling` against the reference that forms ``g``."""

import os
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
import torch

from skactive.selection import badge_sampling
from skactive.selection._badge import _badge_sampling_naive

from ._helpers import badge_data


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(4))
def test_badge_matches_naive(seed, dtype):
    P, F = badge_data(seed=seed, dtype=dtype)
    fast = badge_sampling(P, F, 25, random_state=seed)
    naive = _badge_sampling_naive(P, F, 25, random_state=seed)
    np.testing.assert_array_equal(fast, naive)
    # first centre = argmax ||g||
    U = P.astype(np.float64).copy()
    U[np.arange(len(P)), P.argmax(1)] -= 1
    G = (U[:, :, None] * F.astype(np.float64)[:, None, :]).reshape(len(P), -1)
    assert fast[0] == np.argmax(np.linalg.norm(G, axis=1))


def test_badge_chunking_and_torch_input():
    P, F = badge_data(n=150, seed=9, dtype=np.float32)
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
        from skactive.selection import badge_sampling
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


def test_badge_n_instances_larger_than_pool():
    P, F = badge_data(n=10)
    with pytest.raises(ValueError, match="n_instances=11 is larger than the pool"):
        badge_sampling(P, F, 11)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_badge_one_far_row_does_not_hide_the_others(dtype):
    # a row with a huge gradient embedding inflates no other row's "counts
    # as zero" tolerance: copies of picked rows stay unpicked while distinct
    # rows remain, and the picks are the reference's
    P, F = badge_data(n=120, d=8, C=4, seed=3)
    F[7] *= 3000.0
    P = np.vstack([P, P[:20]]).astype(dtype)  # rows 120.. copy rows 0..19
    F = np.vstack([F, F[:20]]).astype(dtype)
    for seed in range(3):
        idx = badge_sampling(P, F, 60, random_state=seed)
        np.testing.assert_array_equal(
            idx, _badge_sampling_naive(P, F, 60, random_state=seed)
        )
        originals = np.where(idx >= 120, idx - 120, idx)
        assert originals[0] == 7  # the largest gradient (or its copy)
        assert len(set(originals.tolist())) == 60  # no copy of a picked row
