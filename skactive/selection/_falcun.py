"""FALCUN: uncertainty-weighted diversity in the class-probability space.

FALCUN (Gilhuber, Beer, Ma & Seidl, ECML-PKDD 2024) draws a batch one row at
a time, without replacement, from the probability vectors ``p(x)`` alone:

* the uncertainty of a row is its margin, ``u(x) = 1 - (p_1(x) - p_2(x))``
  (the two largest class probabilities);
* its diversity ``d(x)`` is its L1 distance to the closest row already
  picked in this batch, ``min_s |p(x) - p(s)|_1``; before the first pick
  ``d(x) = u(x)``;
* the relevance of a candidate is ``r(x) = d'(x) + u(x)``, with ``d'`` the
  diversity min-max scaled to ``[0, 1]`` over the remaining candidates
  (``0`` when they are all equal);
* the next row is drawn with probability ``r(x)**gamma / sum r**gamma``
  (the paper's ``gamma = 10``); when every remaining diversity is zero
  (the candidates all duplicate picked rows), uniformly.

Early in a batch uncertain rows dominate; as picks accumulate, rows far from
them in the probability space gain weight: the "natural, self-adjusting
balance" of the paper. One pick costs one pass over the pool (``n × C``,
the distances to the last pick, in blocks): the state is one vector of
per-row minimum distances, never a matrix over the pool.

Each pick uses exactly one uniform draw ``v`` of the random state: the row
is the first whose cumulative probability exceeds ``v`` times the total
(inverse-CDF sampling), so a reference loop fed the same draws picks the
same rows.
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

__all__ = ["falcun_sampling"]

#: elements of the (block × n_classes) temporaries of one distance update
_BLOCK_ELEMS = 1 << 20


def _check_probas(probas):
    P = np.asarray(probas)
    if P.ndim != 2 or P.shape[0] == 0 or not np.issubdtype(P.dtype, np.number):
        raise InvalidParameterError(
            "falcun_sampling: probas must be a non-empty 2-D array of class "
            f"probabilities (n_samples, n_classes), got shape {P.shape} of dtype "
            f"{P.dtype}."
        )
    if P.shape[1] < 2:
        raise InvalidParameterError(
            "falcun_sampling: probas must have at least 2 classes (the margin "
            f"needs two probabilities), got shape {P.shape}."
        )
    P = np.asarray(P, dtype=np.float64)
    if not np.isfinite(P).all() or (P < 0).any() or (P > 1).any():
        raise InvalidParameterError(
            "falcun_sampling: probas must be class probabilities in [0, 1], got "
            f"values in [{np.nanmin(P):.4g}, {np.nanmax(P):.4g}] or NaN."
        )
    return P


def _margin_uncertainty(P):
    """``1 - (p_1 - p_2)`` of every row of ``P``: 1 for a tie of the top two."""
    top2 = -np.partition(-P, 1, axis=1)[:, :2]
    return 1.0 - (top2[:, 0] - top2[:, 1])


def _update_min_l1(dist, P, row):
    """``dist = min(dist, |P - row|_1)`` in place, block by block."""
    block = max(1, _BLOCK_ELEMS // P.shape[1])
    for start in range(0, P.shape[0], block):
        stop = start + block
        d = np.abs(P[start:stop] - row).sum(axis=1)
        np.minimum(dist[start:stop], d, out=dist[start:stop])


def _draw(weights, v):
    """The index drawn by inverse-CDF sampling with the uniform ``v``."""
    cdf = np.cumsum(weights)
    i = int(np.searchsorted(cdf, v * cdf[-1], side="right"))
    return min(i, weights.size - 1)


@validate_params(
    {
        "probas": ["array-like"],
        "n_instances": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }
)
def falcun_sampling(probas, n_instances, *, gamma=10.0, random_state=None):
    """Draw a FALCUN batch from class probabilities (Gilhuber et al. 2024).

    Parameters
    ----------
    probas : array-like of shape (n_pool, n_classes)
        Class probabilities of the pool rows (``n_classes >= 2``).
    n_instances : int
        Rows to draw, at most ``n_pool``.
    gamma : float, default=10.0
        Sharpness of the sampling distribution ``r**gamma`` (the paper's
        value is 10): ``0`` draws uniformly at random, large values approach
        the deterministic argmax of the relevance.
    random_state : int, RandomState instance or None, default=None
        One uniform draw per pick. Pass an int for reproducible output
        across multiple function calls.

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Unique int64 indices into ``probas``, in draw order.

    Notes
    -----
    See the module docstring for the algorithm. ``gamma`` is applied to
    ``r / max(r)`` (the same distribution, without overflow for large
    ``gamma``).

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.selection import falcun_sampling
    >>> P = np.array([[0.5, 0.5], [0.52, 0.48], [0.99, 0.01], [0.1, 0.9]])
    >>> falcun_sampling(P, 2, gamma=50.0, random_state=0).tolist()
    [0, 3]
    """
    P = _check_probas(probas)
    n = P.shape[0]
    n_instances = check_n_instances(n_instances, n, caller="falcun_sampling")
    rng = check_random_state(random_state)
    gamma = float(gamma)
    u = _margin_uncertainty(P)
    dist = u.copy()
    candidate = np.ones(n, dtype=bool)
    picks = np.empty(n_instances, dtype=np.int64)
    for k in range(n_instances):
        if k:
            _update_min_l1(dist, P, P[picks[k - 1]])
        idx = np.flatnonzero(candidate)
        d = dist[idx]
        v = rng.random_sample()
        if d.sum() > 0:
            lo, span = d.min(), d.max() - d.min()
            scaled = (d - lo) / span if span > 0 else np.zeros_like(d)
            r = scaled + u[idx]
            top = r.max()
            weights = (r / top) ** gamma if top > 0 else np.ones_like(r)
        else:
            weights = np.ones(idx.size)
        c = int(idx[_draw(weights, v)])
        picks[k] = c
        candidate[c] = False
    return picks
