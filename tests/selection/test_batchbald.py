"""BatchBALD selection from MC samples: brute-force references, sampling, errors."""

import itertools
import math

import numpy as np
import pytest

from skactive.scores import bald
from skactive.selection import batchbald_select, top_k


def _joint_mi(P, S):
    T, _, C = P.shape
    H = 0.0
    for ys in itertools.product(range(C), repeat=len(S)):
        p = sum(
            math.prod(P[t, i, y] for i, y in zip(S, ys, strict=True)) for t in range(T)
        )
        p /= T
        H -= p * math.log(p) if p > 0 else 0.0
    cond = sum(
        -sum(P[t, i, c] * math.log(P[t, i, c]) for c in range(C) if P[t, i, c] > 0) / T
        for i in S
        for t in range(T)
    )
    return H - cond


def _greedy_reference(P, b):
    chosen = []
    for _ in range(b):
        rest = [i for i in range(P.shape[1]) if i not in chosen]
        chosen.append(max(rest, key=lambda i: _joint_mi(P, [*chosen, i])))
    return chosen


@pytest.fixture(scope="module")
def tiny():
    return np.random.RandomState(0).dirichlet(np.full(3, 0.5), size=(6, 12))


def test_batchbald_exact_matches_brute_force_enumeration(tiny):
    idx, scores = batchbald_select(tiny, 4, random_state=0)
    expected = _greedy_reference(tiny, 4)
    np.testing.assert_array_equal(idx, expected)
    np.testing.assert_allclose(
        scores, [_joint_mi(tiny, expected[: k + 1]) for k in range(4)], rtol=1e-10
    )


def test_batchbald_sampled_estimate_is_close_to_exact(tiny):
    # max_configurations=1: every joint entropy after the first pick is sampled
    idx, scores = batchbald_select(
        tiny, 4, max_configurations=1, n_configurations=4000, random_state=0
    )
    exact = [_joint_mi(tiny, list(idx[: k + 1])) for k in range(4)]
    np.testing.assert_allclose(scores, exact, rtol=0.01)
    again = batchbald_select(
        tiny, 4, max_configurations=1, n_configurations=4000, random_state=0
    )
    np.testing.assert_array_equal(again[1], scores)
    # switching to sampling mid-batch (after C^2 = 9 configurations)
    idx, scores = batchbald_select(
        tiny, 4, max_configurations=9, n_configurations=4000, random_state=1
    )
    exact = [_joint_mi(tiny, list(idx[: k + 1])) for k in range(4)]
    np.testing.assert_allclose(scores[:3], exact[:3], rtol=1e-10)
    np.testing.assert_allclose(scores, exact, rtol=0.01)


def test_batchbald_avoids_duplicates_that_top_k_bald_takes():
    P = np.random.RandomState(2).dirichlet(np.full(3, 0.3), size=(8, 30))
    top = int(np.argmax(bald(P)))
    P = np.concatenate([P, P[:, [top]]], axis=1)  # row 30 duplicates the best row
    idx, scores = batchbald_select(P, 2, random_state=0)
    assert set(top_k(bald(P), 2, random_state=0)) == {top, 30}
    assert idx[0] in (top, 30) and idx[1] not in (top, 30)
    assert scores[1] > scores[0]


def test_batchbald_bad_parameters():
    P = np.full((2, 3, 2), 0.5)
    with pytest.raises(ValueError, match="n_instances=4 is larger than the pool"):
        batchbald_select(P, 4)
    with pytest.raises(ValueError, match="max_configurations"):
        batchbald_select(P, 1, max_configurations=0)
    with pytest.raises(TypeError, match="n_configurations"):
        batchbald_select(P, 1, n_configurations=2.0)
    with pytest.raises(ValueError, match="device"):
        batchbald_select(P, 1, device="nodevice")
    with pytest.raises(ValueError, match="samples"):
        batchbald_select(P[:1], 1)
