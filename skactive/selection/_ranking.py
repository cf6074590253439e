"""Ranking selectors over scores: the best rows, and the candidate subsample.

* :func:`top_k` -- the indices of the highest scores, ties broken at random;
* :func:`shard_top_k` and :func:`merge_top_k` -- the same, shard by shard:
  each shard of the scores keeps its candidates, the merge of all shards'
  candidates returns exactly what :func:`top_k` returns on the whole
  (same indices, same order, same random tie-breaking);
* :func:`subsample_candidates` -- the random subset of the pool a strategy
  scores instead of the whole pool (DAST-AL, Beluch et al., 2018).
"""

from __future__ import annotations

from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.utils import check_random_state

from .._deprecation import renamed_keywords
from .._validation import (
    Interval,
    InvalidParameterError,
    check_n_instances,
    validate_params,
)

__all__ = [
    "top_k",
    "shard_top_k",
    "merge_top_k",
    "TopKCandidates",
    "subsample_candidates",
]

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")


def _check_scores(scores, caller="top_k"):
    scores = np.asarray(scores)
    if scores.ndim != 1:
        raise InvalidParameterError(
            f"{caller}: scores must be 1-D, got shape {scores.shape}."
        )
    if not np.issubdtype(scores.dtype, np.number) or np.issubdtype(
        scores.dtype, np.complexfloating
    ):
        raise InvalidParameterError(
            f"{caller}: scores must be real numbers, got dtype {scores.dtype}."
        )
    if not np.isfinite(scores).all():
        raise InvalidParameterError(f"{caller}: scores contains NaN or infinity.")
    return scores


class TopKCandidates(NamedTuple):
    """The rows of one shard of scores that can be among the global top-k.

    Parameters
    ----------
    indices : ndarray of int64
        Their row indices in the whole pool, increasing.
    values : ndarray
        Their scores.
    n_rows : int
        Rows of the shard (all of them, not only the candidates).
    """

    indices: np.ndarray
    values: np.ndarray
    n_rows: int


def _shard_candidates(scores, n, offset):
    n_rows = scores.shape[0]
    if n < n_rows:
        kth = np.partition(scores, n_rows - n)[n_rows - n]
        local = np.flatnonzero(scores >= kth)
    else:
        local = np.arange(n_rows)
    return TopKCandidates(
        (local + offset).astype(np.int64, copy=False), scores[local], int(n_rows)
    )


def _merge(shards, n, rng):
    indices = np.concatenate([s.indices for s in shards])
    values = np.concatenate([s.values for s in shards])
    order = np.argsort(indices, kind="stable")  # pool order, as in memory
    indices, values = indices[order], values[order]
    if n < indices.shape[0]:
        kth = np.partition(values, indices.shape[0] - n)[indices.shape[0] - n]
        keep = values >= kth
        indices, values = indices[keep], values[keep]
    tiebreak = rng.random_sample(indices.shape[0])
    order = np.lexsort((tiebreak, -values))
    return indices[order[:n]].astype(np.int64, copy=False)


@validate_params(
    {
        "scores": ["array-like"],
        "n_instances": [_POSITIVE_INT],
        "offset": [Interval(Integral, 0, None, closed="left")],
    }
)
def shard_top_k(scores, n_instances, *, offset=0):
    """The candidates of one shard of scores for a global top-k.

    Every row of the shard whose score is at least the shard's
    ``n_instances``-th largest (all rows of a shard with fewer rows): the
    global top ``n_instances`` rows of the pool are among the union of the
    shards' candidates, and so are all the rows tied with the last of them,
    which :func:`merge_top_k` needs to break ties exactly as :func:`top_k`.

    Parameters
    ----------
    scores : array-like of shape (n_shard_rows,)
        The shard's scores. Must be finite.
    n_instances : int
        Number of rows the global top-k will return, at least 1.
    offset : int, default=0
        Row index of the shard's first row in the whole pool.

    Returns
    -------
    candidates : TopKCandidates
        Pool indices (increasing), their scores and the shard's row count.

    See Also
    --------
    merge_top_k : merges the candidates of every shard.

    Examples
    --------
    >>> from skactive.selection import shard_top_k
    >>> shard_top_k([0.3, 0.9, 0.3], 1, offset=10).indices
    array([11])
    """
    scores = _check_scores(scores, caller="shard_top_k")
    return _shard_candidates(scores, int(n_instances), int(offset))


@validate_params(
    {
        "shards": [list, tuple],
        "n_instances": [_POSITIVE_INT],
        "random_state": ["random_state"],
    }
)
def merge_top_k(shards, n_instances, *, random_state=None):
    """Exact top-k of a pool from the candidates of its shards.

    Returns exactly what :func:`top_k` returns on the concatenated scores
    with the same ``random_state``: the same indices in the same order, ties
    broken by the same random numbers (one per candidate row, drawn in pool
    order), whatever the number, order or sizes of the shards.

    Parameters
    ----------
    shards : list of TopKCandidates
        One per shard, from :func:`shard_top_k` (with the shard's offset),
        in any order; the shards must not overlap.
    n_instances : int
        Number of indices to return, at most the total number of rows.
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equal scores. Pass an int for reproducible output
        across multiple function calls.

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Unique int64 pool indices, in decreasing order of score.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.selection import merge_top_k, shard_top_k, top_k
    >>> scores = np.array([0.1, 0.9, 0.5, 0.9, 0.7, 0.2])
    >>> parts = [shard_top_k(scores[:4], 3), shard_top_k(scores[4:], 3, offset=4)]
    >>> merge_top_k(parts, 3, random_state=0)
    array([1, 3, 4])
    >>> top_k(scores, 3, random_state=0)
    array([1, 3, 4])
    """
    shards = list(shards)
    if not shards or not all(isinstance(s, TopKCandidates) for s in shards):
        raise InvalidParameterError(
            "merge_top_k: shards must be a non-empty list of the TopKCandidates "
            "returned by shard_top_k."
        )
    n_samples = sum(s.n_rows for s in shards)
    n = check_n_instances(n_instances, n_samples, caller="merge_top_k")
    return _merge(shards, n, check_random_state(random_state))


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
    # one shard: the same code as the shard-wise merge, hence the same picks
    return _merge([_shard_candidates(scores, n, 0)], n, rng)


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
