"""Greedy max-cover of a pool by candidates, under cosine similarity."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

from .._validation import Interval, InvalidParameterError, validate_params

__all__ = ["greedy_max_cover"]

_BLOCK_ROWS = 8192


def _unit_rows(a):
    a = np.asarray(a, dtype=np.float32)
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    return a / np.where(norms > 0, norms, 1.0)


@validate_params(
    {
        "candidates": ["array-like"],
        "pool": ["array-like"],
        "n_instances": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }
)
def greedy_max_cover(candidates, pool, n_instances, *, random_state=None):
    r"""Pick candidates that best cover the pool (Yang et al. 2017, eq. 1).

    The coverage of the pool :math:`U` by a set :math:`S` of candidates is

    .. math::

        F(S) = \sum_{x \in U} \max_{s \in S} \cos(s, x),

    a monotone submodular function; starting from :math:`S = \emptyset`
    (coverage 0 for every pool row, so negative similarities count as 0),
    each step adds the candidate with the largest gain
    :math:`F(S \cup \{c\}) - F(S)`, ties broken at random. The pool is read in blocks:
    the memory is ``K x block`` for ``K`` candidates, never ``n x n``.

    Parameters
    ----------
    candidates : array-like of shape (K, d)
        Features of the candidate rows.
    pool : array-like of shape (n, d)
        Features of the rows to cover (usually the whole unlabeled pool).
    n_instances : int
        Number of candidates to pick, at most ``K``.
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equal gains. Pass an int for reproducible output
        across multiple function calls.

    Returns
    -------
    indices : ndarray of int64 of shape (n_instances,)
        Indices into ``candidates``, in selection order.
    gains : ndarray of float64 of shape (n_instances,)
        The coverage gain of each pick.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.selection import greedy_max_cover
    >>> pool = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]])
    >>> idx, gains = greedy_max_cover(pool, pool, 2)
    >>> idx.tolist()
    [1, 2]
    """
    C = _unit_rows(candidates)
    if C.ndim != 2 or C.shape[0] == 0:
        raise InvalidParameterError(
            f"greedy_max_cover: candidates must be a non-empty 2-D array, got "
            f"shape {C.shape}."
        )
    if n_instances > C.shape[0]:
        raise InvalidParameterError(
            f"greedy_max_cover: n_instances={n_instances} is larger than the "
            f"{C.shape[0]} candidates."
        )
    order = check_random_state(random_state).permutation(C.shape[0])
    n = len(pool)
    cover = np.zeros(n, dtype=np.float64)  # max cos to the picks so far
    picked = []
    gains = []
    available = np.ones(C.shape[0], dtype=bool)
    for _ in range(n_instances):
        gain = np.zeros(C.shape[0], dtype=np.float64)
        for start in range(0, n, _BLOCK_ROWS):
            block = _unit_rows(pool[start : start + _BLOCK_ROWS])
            if block.shape[1] != C.shape[1]:
                raise InvalidParameterError(
                    f"greedy_max_cover: pool rows have {block.shape[1]} features, "
                    f"candidates {C.shape[1]}."
                )
            sim = (C @ block.T).astype(np.float64)  # (K, block)
            gain += np.maximum(sim - cover[start : start + len(block)], 0).sum(1)
        gain[~available] = -np.inf
        best = int(order[np.argmax(gain[order])])
        picked.append(best)
        gains.append(gain[best])
        available[best] = False
        for start in range(0, n, _BLOCK_ROWS):
            block = _unit_rows(pool[start : start + _BLOCK_ROWS])
            stop = start + len(block)
            cover[start:stop] = np.maximum(
                cover[start:stop], (block @ C[best]).astype(np.float64)
            )
    return np.asarray(picked, dtype=np.int64), np.asarray(gains, dtype=np.float64)
