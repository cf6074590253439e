"""Selectors over scores: pick rows from a vector of informativeness values.

Selectors know nothing about estimators. Diversity selectors over embeddings
live in :mod:`skactive.diversity`.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

from ._validation import check_n_instances

__all__ = ["top_k", "subsample_candidates"]


def top_k(scores, n, *, random_state=None):
    """Indices of the ``n`` highest scores, best first, ties broken at random.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        Informativeness values; higher is picked first. Must be finite.
    n : int
        Number of indices to return, ``1 <= n <= n_samples``.
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equal scores. Pass an int for reproducible output
        across multiple function calls.

    Returns
    -------
    indices : ndarray of shape (n,)
        Unique int64 indices into ``scores``, in decreasing order of score.

    Examples
    --------
    >>> from skactive.selection import top_k
    >>> top_k([0.1, 0.9, 0.5, 0.9], 3, random_state=0)
    array([1, 3, 2])
    """
    scores = np.asarray(scores)
    if scores.ndim != 1:
        raise ValueError(f"scores must be 1-D, got shape {scores.shape}.")
    if not np.issubdtype(scores.dtype, np.number) or np.issubdtype(
        scores.dtype, np.complexfloating
    ):
        raise TypeError(f"scores must be real numbers, got dtype {scores.dtype}.")
    if not np.isfinite(scores).all():
        raise ValueError("scores contains NaN or infinity.")
    n_samples = scores.shape[0]
    n = check_n_instances(n, n_samples, name="n")
    rng = check_random_state(random_state)
    if n < n_samples:
        kth = np.partition(scores, n_samples - n)[n_samples - n]
        candidates = np.flatnonzero(scores >= kth)
    else:
        candidates = np.arange(n_samples)
    tiebreak = rng.random_sample(candidates.shape[0])
    order = np.lexsort((tiebreak, -scores[candidates]))
    return candidates[order[:n]].astype(np.int64, copy=False)


def subsample_candidates(n_pool, R, n_instances, random_state=None):
    """Draw the candidate subset of ``R`` pool rows (DAST-AL, Beluch et al.).

    Parameters
    ----------
    n_pool : int
        Number of rows in the pool.
    R : int or None
        Candidate subsample size. ``None``, or ``R >= n_pool``, keeps the whole
        pool.
    n_instances : int
        Number of rows that will be selected among the candidates; ``R`` must
        be at least this.
    random_state : int, RandomState instance or None, default=None
        Pass an int for reproducible output across multiple function calls.

    Returns
    -------
    candidates : ndarray of shape (min(R, n_pool),) or None
        Sorted int64 indices into the pool, or ``None`` when the whole pool is
        kept.

    Examples
    --------
    >>> from skactive.selection import subsample_candidates
    >>> subsample_candidates(10, 4, 2, random_state=0)
    array([2, 4, 8, 9])
    """
    if R is None:
        return None
    if isinstance(R, bool) or not isinstance(R, numbers.Integral):
        raise TypeError(f"R must be a positive integer or None, got {R!r}.")
    if R < n_instances:
        raise ValueError(
            f"R={R} is smaller than n_instances={n_instances}: the candidate "
            "subsample must hold at least as many rows as are selected."
        )
    if R >= n_pool:
        return None
    rng = check_random_state(random_state)
    return np.sort(rng.choice(n_pool, size=int(R), replace=False)).astype(np.int64)
