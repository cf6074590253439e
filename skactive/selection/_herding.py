"""Kernel herding: greedy maximisation of (weighted) generalised coverage.

MaxHerding (Bae et al., ECCV 2024) picks the batch ``S`` that greedily
maximises the generalised coverage of the pool,

    C(S) = sum_x w(x) max_{s in L ∪ S} k(x, s),    k(x, s) = exp(-|x - s|² / (2 σ²)),

with ``L`` the labeled rows and ``w = 1``; Uncertainty Herding (Bae,
Sutherland & Oliveira, ICLR 2025) weights every pool row by its (calibrated)
uncertainty ``w(x) = U(x)``. Each greedy step adds the candidate of largest
gain ``sum_x w(x) max(0, k(x, c) - cur(x))``.

The kernel is held between the *candidates* and the pool only (``m × n``,
``m = n_candidates`` rows drawn at random when the pool is larger), never
``n × n``, and it is built in blocks.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from .._validation import (
    Interval,
    InvalidParameterError,
    check_n_instances,
    validate_params,
)

__all__ = ["herding_sampling", "median_bandwidth"]

_BLOCK = 1024


def _as_2d(X, name):
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[0] == 0:
        raise InvalidParameterError(
            f"herding_sampling: {name} must be a non-empty 2-D array, got shape "
            f"{X.shape}."
        )
    if not np.isfinite(X).all():
        raise InvalidParameterError(
            f"herding_sampling: {name} contains NaN or infinity."
        )
    return X


def _kernel(A, B, bandwidth):
    """``exp(-|a - b|² / (2 σ²))`` for the rows of ``A`` against ``B``, in blocks."""
    out = np.empty((A.shape[0], B.shape[0]), dtype=np.float32)
    b2 = np.einsum("ij,ij->i", B, B)
    scale = np.float32(-0.5 / bandwidth**2)
    for start in range(0, A.shape[0], _BLOCK):
        a = A[start : start + _BLOCK]
        d2 = np.einsum("ij,ij->i", a, a)[:, None] + b2[None, :] - 2.0 * (a @ B.T)
        np.maximum(d2, 0.0, out=d2)
        out[start : start + _BLOCK] = np.exp(scale * d2)
    return out


@validate_params(
    {
        "X": ["array-like"],
        "n_pairs": [Interval(Integral, 1, None)],
        "random_state": ["random_state"],
    }
)
def median_bandwidth(X, *, n_pairs=2000, random_state=None):
    """The median distance between random pairs of rows (the median heuristic).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_pairs : int, default=2000
    random_state : int, RandomState instance or None, default=None
        Pass an int for reproducible output across multiple function calls.

    Returns
    -------
    float
        Positive (1.0 when every sampled pair coincides).

    Examples
    --------
    >>> from skactive.selection import median_bandwidth
    >>> median_bandwidth([[0.0], [3.0]], n_pairs=10, random_state=0) in (0.0, 3.0, 1.0)
    True
    """
    X = _as_2d(X, "X")
    rng = check_random_state(random_state)
    i = rng.randint(0, X.shape[0], n_pairs)
    j = rng.randint(0, X.shape[0], n_pairs)
    d = np.sqrt(((X[i] - X[j]) ** 2).sum(axis=1))
    d = d[d > 0]
    return float(np.median(d)) if d.size else 1.0


@validate_params(
    {
        "X": ["array-like"],
        "n_instances": [Interval(Integral, 1, None, closed="left")],
        "weights": ["array-like", None],
        "labeled": ["array-like", None],
        "bandwidth": [Interval(Real, 0, None, closed="neither"), None],
        "n_candidates": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }
)
def herding_sampling(
    X,
    n_instances,
    *,
    weights=None,
    labeled=None,
    bandwidth=None,
    n_candidates=2000,
    random_state=None,
):
    """Greedy kernel herding: the rows that best cover the pool (MaxHerding).

    Parameters
    ----------
    X : array-like of shape (n_pool, n_features)
        Embeddings of the pool.
    n_instances : int
        Rows to pick.
    weights : array-like of shape (n_pool,) or None, default=None
        Non-negative weight of every pool row in the coverage (an
        uncertainty, for Uncertainty Herding); ``None`` weighs all rows 1.
    labeled : array-like of shape (n_labeled, n_features) or None, default=None
        Embeddings of the labeled rows, which already cover the pool.
    bandwidth : float or None, default=None
        The kernel's ``σ``; ``None`` takes :func:`median_bandwidth` of ``X``.
    n_candidates : int or None, default=2000
        Rows considered for a pick (at random, at least ``n_instances``);
        the coverage is always measured over the whole pool. ``None``: every
        row (the kernel is then ``n_pool × n_pool``: small pools only).
    random_state : int, RandomState instance or None, default=None
        Draws the candidates, the bandwidth's pairs and breaks ties. Pass an
        int for reproducible output across multiple function calls.

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Unique int64 indices into ``X``, in pick order.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.selection import herding_sampling
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    >>> sorted(herding_sampling(X, 2, bandwidth=0.5, random_state=0).tolist())
    [1, 4]
    """
    X = _as_2d(X, "X")
    n = X.shape[0]
    n_instances = check_n_instances(n_instances, n, caller="herding_sampling")
    rng = check_random_state(random_state)
    w = (
        np.ones(n, dtype=np.float32)
        if weights is None
        else np.asarray(weights, dtype=np.float32)
    )
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any():
        raise InvalidParameterError(
            f"herding_sampling: weights must be {n} finite non-negative values, got "
            f"shape {w.shape}."
        )
    if bandwidth is None:
        bandwidth = median_bandwidth(X, random_state=rng)
    if n_candidates is None or n_candidates >= n:
        candidates = np.arange(n)
    else:
        m = max(int(n_candidates), n_instances)
        candidates = np.sort(rng.choice(n, m, replace=False))
    cur = np.zeros(n, dtype=np.float32)
    if labeled is not None:
        L = _as_2d(labeled, "labeled")
        if L.shape[1] != X.shape[1]:
            raise InvalidParameterError(
                f"herding_sampling: labeled has {L.shape[1]} features but X has "
                f"{X.shape[1]}."
            )
        for start in range(0, L.shape[0], _BLOCK):
            cur = np.maximum(
                cur, _kernel(L[start : start + _BLOCK], X, bandwidth).max(0)
            )
    K = _kernel(X[candidates], X, bandwidth)
    picked = np.zeros(candidates.size, dtype=bool)
    order = []
    for _ in range(n_instances):
        gains = np.maximum(K - cur[None, :], 0.0) @ w
        gains[picked] = -np.inf
        best = np.flatnonzero(
            gains >= gains.max() - 1e-6 * max(abs(gains.max()), 1e-12)
        )
        c = int(best[0] if best.size == 1 else rng.choice(best))
        picked[c] = True
        order.append(c)
        np.maximum(cur, K[c], out=cur)
    return candidates[np.asarray(order)].astype(np.int64)
