"""Data and settings shared by the selector tests."""

import numpy as np
from hypothesis import HealthCheck, settings
from scipy.spatial.distance import cdist

HYP = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)

X10 = np.random.default_rng(0).normal(size=(10, 3))


def blobs(n_blobs=5, per_blob=30, dim=4, spread=0.05, sep=10.0, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n_blobs, dim))
    centers *= sep / np.linalg.norm(centers, axis=1, keepdims=True)
    centers += np.arange(n_blobs)[:, None] * sep  # far apart
    X = np.vstack([c + spread * rng.normal(size=(per_blob, dim)) for c in centers])
    return X, np.repeat(np.arange(n_blobs), per_blob)


def badge_data(n=200, d=16, C=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(n, C))
    P = np.exp(logits - logits.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    F = rng.normal(size=(n, d))
    return P.astype(dtype), F.astype(dtype)


def greedy_with_gap(X, L, n):
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
