"""Bayesian, committee and EGL scores against loop references."""

import math
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from skactive.scores import (
    bald,
    check_samples,
    consensus_entropy,
    expected_gradient_length,
    max_disagreement,
    max_entropy,
    mean_std,
    variation_ratio,
    vote_entropy,
)


def _samples(T=7, n=30, C=4, seed=0, alpha=0.5):
    return np.random.RandomState(seed).dirichlet(np.full(C, alpha), size=(T, n))


def _H(p):
    return -sum(v * math.log(v) for v in p if v > 0)


# ------------------------------------------------------------------ MC samples
def test_bald_is_zero_when_all_samples_agree():
    p = np.random.RandomState(1).dirichlet(np.ones(5), size=20)
    P = np.repeat(p[None], 6, axis=0)
    np.testing.assert_allclose(bald(P), 0.0, atol=1e-12)
    assert np.all(bald(P) >= 0)


@pytest.mark.parametrize("C", [2, 3, 10])
def test_bald_is_log_c_for_confident_disagreeing_samples(C):
    # T = C samples, each one-hot on a different class: H[mean] = log C, E[H] = 0
    P = np.eye(C)[:, None, :]  # (T=C, n=1, C)
    np.testing.assert_allclose(bald(P), [math.log(C)], rtol=1e-12)
    np.testing.assert_allclose(max_entropy(P), [math.log(C)], rtol=1e-12)
    # ... and that is the largest value BALD can take
    assert np.all(bald(_samples(T=C, C=C, alpha=0.05)) <= math.log(C) + 1e-12)


def test_bald_and_max_entropy_against_loops():
    P = _samples()
    T, n, C = P.shape
    ref_bald, ref_me = [], []
    for i in range(n):
        mean = [sum(P[t, i, c] for t in range(T)) / T for c in range(C)]
        expected_h = sum(_H(P[t, i]) for t in range(T)) / T
        ref_me.append(_H(mean))
        ref_bald.append(_H(mean) - expected_h)
    np.testing.assert_allclose(bald(P), ref_bald, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(max_entropy(P), ref_me, rtol=1e-10)


def test_variation_ratio_against_loop():
    P = _samples(T=9, C=3, alpha=0.3)
    T, n, _ = P.shape
    ref = []
    for i in range(n):
        votes = Counter(int(np.argmax(P[t, i])) for t in range(T))
        ref.append(1 - max(votes.values()) / T)
    np.testing.assert_allclose(variation_ratio(P), ref)
    assert variation_ratio(np.repeat(P[:1], 4, axis=0)).max() == 0


def test_mean_std_is_the_population_std_averaged_over_classes():
    P = _samples()
    T, n, C = P.shape
    ref = []
    for i in range(n):
        stds = []
        for c in range(C):
            m = sum(P[t, i, c] for t in range(T)) / T
            stds.append(math.sqrt(sum((P[t, i, c] - m) ** 2 for t in range(T)) / T))
        ref.append(sum(stds) / C)
    np.testing.assert_allclose(mean_std(P), ref, rtol=1e-10)


def test_float32_samples_keep_their_dtype():
    P = _samples().astype(np.float32)
    for f in (bald, max_entropy, mean_std, variation_ratio):
        assert f(P).dtype == np.float32


@pytest.mark.parametrize("f", [bald, max_entropy, mean_std, variation_ratio])
def test_one_mc_sample_is_refused(f):
    with pytest.raises(ValueError, match="at least 2 MC samples"):
        f(_samples(T=1))


@pytest.mark.parametrize("f", [bald, max_entropy, mean_std, variation_ratio])
def test_bad_sample_arrays(f):
    with pytest.raises(ValueError, match="3-D"):
        f(np.ones((3, 4)))
    P = _samples()
    P[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        f(P)


def test_check_samples_casts_integers():
    assert check_samples(np.ones((2, 3, 2), dtype=int)).dtype == np.float64


# ------------------------------------------------------------------- committee
def test_vote_entropy_against_loop():
    rng = np.random.RandomState(0)
    K, n, C = 7, 40, 4
    votes = rng.randint(0, C, size=(K, n))
    ref = []
    for i in range(n):
        counts = Counter(votes[:, i].tolist())
        ref.append(-sum(v / K * math.log(v / K) for v in counts.values()))
    np.testing.assert_allclose(vote_entropy(votes, C), ref)
    np.testing.assert_allclose(vote_entropy(np.zeros((3, 5), int), 2), 0.0)


def test_consensus_and_max_disagreement_against_loops():
    P = _samples(T=5, seed=3)
    K, n, C = P.shape
    ref_ce, ref_kl = [], []
    for i in range(n):
        mean = [sum(P[k, i, c] for k in range(K)) / K for c in range(C)]
        ref_ce.append(_H(mean))
        kls = [
            sum(P[k, i, c] * math.log(P[k, i, c] / mean[c]) for c in range(C))
            for k in range(K)
        ]
        ref_kl.append(sum(kls) / K)
    np.testing.assert_allclose(consensus_entropy(P), ref_ce, rtol=1e-10)
    np.testing.assert_allclose(max_disagreement(P), ref_kl, rtol=1e-10, atol=1e-14)


def test_max_disagreement_handles_zero_probabilities():
    P = np.array([[[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]]])
    np.testing.assert_allclose(max_disagreement(P), [math.log(2)])


def test_committee_of_one_is_refused():
    with pytest.raises(ValueError, match="at least 2 committee members"):
        consensus_entropy(_samples(T=1))
    with pytest.raises(ValueError, match="at least 2 committee members"):
        max_disagreement(_samples(T=1))
    with pytest.raises(ValueError, match="at least 2 members"):
        vote_entropy(np.zeros((1, 5), int), 3)


def test_bad_votes():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        vote_entropy(np.array([[0, 3], [1, 1]]), 3)
    with pytest.raises(ValueError, match="integer class indices"):
        vote_entropy(np.array([[0.5, 1], [1, 1]]), 3)
    with pytest.raises(ValueError, match="2-D"):
        vote_entropy(np.array([0, 1]), 3)
    with pytest.raises(TypeError, match="n_classes"):
        vote_entropy(np.zeros((2, 2), int), 2.0)
    # float votes holding integers are accepted
    np.testing.assert_allclose(
        vote_entropy(np.array([[0.0, 1.0], [1.0, 1.0]]), 2), [math.log(2), 0.0]
    )


# ------------------------------------------------------------------------- EGL
def _autograd_egl(W, b, F, include_bias):
    """sum_y p(y) ||grad_{W,b} CE(W f + b, y)||, one autograd call per row and y."""
    out = []
    for f in F:
        with torch.no_grad():
            p = torch.softmax(W @ f + (b if include_bias else 0), dim=0)
        total = 0.0
        for y in range(W.shape[0]):
            Wg = W.clone().requires_grad_(True)
            params = [Wg]
            logits = Wg @ f
            if include_bias:
                bg = b.clone().requires_grad_(True)
                params.append(bg)
                logits = logits + bg
            loss = torch.nn.functional.cross_entropy(logits[None], torch.tensor([y]))
            grads = torch.autograd.grad(loss, params)
            norm = torch.sqrt(sum((g**2).sum() for g in grads))
            total += float(p[y]) * float(norm)
        out.append(total)
    return np.array(out)


@pytest.mark.parametrize("include_bias", [True, False])
def test_egl_closed_form_matches_autograd(include_bias):
    g = torch.Generator().manual_seed(0)
    C, d, n = 4, 6, 12
    W = torch.randn(C, d, generator=g, dtype=torch.float64)
    b = torch.randn(C, generator=g, dtype=torch.float64)
    F = torch.randn(n, d, generator=g, dtype=torch.float64)
    ref = _autograd_egl(W, b, F, include_bias)
    logits = F @ W.T + (b if include_bias else 0)
    proba = torch.softmax(logits, dim=1).numpy()
    ours = expected_gradient_length(proba, F.numpy(), include_bias=include_bias)
    np.testing.assert_allclose(ours, ref, rtol=1e-10)


def test_egl_sparse_embeddings_match_dense():
    rng = np.random.RandomState(0)
    F = rng.randn(10, 8) * (rng.rand(10, 8) < 0.3)
    proba = rng.dirichlet(np.ones(3), size=10)
    np.testing.assert_allclose(
        expected_gradient_length(proba, sp.csr_matrix(F)),
        expected_gradient_length(proba, F),
    )


def test_egl_bad_inputs():
    proba = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match="rows"):
        expected_gradient_length(proba, np.ones((4, 2)))
    with pytest.raises(ValueError, match="2-D"):
        expected_gradient_length(proba, np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        expected_gradient_length(proba, np.full((3, 2), np.nan))
    with pytest.raises(TypeError, match="include_bias"):
        expected_gradient_length(proba, np.ones((3, 2)), include_bias="yes")
