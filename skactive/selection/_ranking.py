"""Ranking selectors over scores: the best rows, and the candidate subsample.

* :func:`top_k` -- the indices of the highest scores, ties broken at random;
* :func:`subsample_candidates` -- the random subset of the pool a strategy
  scores instead of the whole pool (DAST-AL, Beluch et al., 2018).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from .._deprecation import renamed_keywords
from .._validation import (
    Interval,
    InvalidParameterError,
    check_n_instances,
    validate_params,
)

__all__ = ["top_k", "subsample_candidates"]

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")


def _check_scores(scores):
    scores = np.asarray(scores)
    if scores.ndim != 1:
        raise InvalidParameterError(
            f"top_k: scores must be 1-D, got shape {scores.shape}."
        )
    if not np.issubdtype(scores.dtype, np.number) or np.issubdtype(
        scores.dtype, np.complexfloating
    ):
        raise InvalidParameterError(
            f"top_k: scores must be real numbers, got dtype {scores.dtype}."
        )
    if not np.isfinite(scores).all():
        raise InvalidParameterError("top_k: scores contains NaN or infinity.")
    return scores


@renamed_keywords(n="n_instances")
@validate_params(
    {
        "scores": ["array-like"],
        "n_instances": [_POSITIVE_INT],
        "random_state": ["random_state"],
    }
)
def top_k(scores, n_instances, *, random_state=None):
    """Indices of the ``n_instances`` highest scores, best first, ties at random.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        Informativeness values; higher is picked first. Must be finite.
    n_instances : int
        Number of indices to return, ``1 <= n_instances <= n_samples``.
        Formerly ``n``: the keyword ``n=`` still works but emits a
        :class:`FutureWarning`.
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equal scores. Pass an int for reproducible output
        across multiple function calls.

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Unique int64 indices into ``scores``, in decreasing order of score.

    Examples
    --------
    >>> from skactive.selection import top_k
    >>> top_k([0.1, 0.9, 0.5, 0.9], 3, random_state=0)
    array([1, 3, 2])
    """
    scores = _check_scores(scores)
    n_samples = scores.shape[0]
    n = check_n_instances(n_instances, n_samples, caller="top_k")
    rng = check_random_state(random_state)
    if n < n_samples:
        kth = np.partition(scores, n_samples - n)[n_samples - n]
        candidates = np.flatnonzero(scores >= kth)
    else:
        candidates = np.arange(n_samples)
    tiebreak = rng.random_sample(candidates.shape[0])
    order = np.lexsort((tiebreak, -scores[candidates]))
    return candidates[order[:n]].astype(np.int64, copy=False)


@validate_params(
    {
        "n_pool": [_POSITIVE_INT],
        "R": [_POSITIVE_INT, None],
        "n_instances": [_POSITIVE_INT],
        "random_state": ["random_state"],
    }
)
def subsample_candidates(n_pool, R, n_instances, random_state=None):
    """Draw the candidate subset of ``R`` pool rows (DAST-AL, Beluch et al.).

    Parameters
    ----------
    n_pool : int
        Number of rows in the pool, at least 1.
    R : int or None
        Candidate subsample size. ``None``, or ``R >= n_pool``, keeps the whole
        pool.
    n_instances : int
        Number of rows that will be selected among the candidates,
        ``1 <= n_instances <= n_pool``; ``R`` must be at least this.
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
    n_instances = check_n_instances(n_instances, n_pool, caller="subsample_candidates")
    if R is None:
        return None
    if R < n_instances:
        raise InvalidParameterError(
            f"R={R} is smaller than n_instances={n_instances}: the candidate "
            "subsample must hold at least as many rows as are selected."
        )
    if R >= n_pool:
        return None
    rng = check_random_state(random_state)
    return np.sort(rng.choice(n_pool, size=int(R), replace=False)).astype(np.int64)
