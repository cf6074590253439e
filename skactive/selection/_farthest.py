"""Farthest-point selection: k-center greedy and temperature-controlled sampling.

* :func:`diversity_sampling` -- each pick is drawn with probability
  proportional to :math:`d^{1/T}`, :math:`d` the distance to the labeled rows
  and the rows picked so far; ``temperature=0`` is k-center greedy,
  ``temperature=0.5`` is k-means++ seeding (Buchert et al., 2023);
* :func:`kcenter_greedy` -- ``diversity_sampling(temperature=0)``.

The sequential loop, its draws (one uniform number per pick, so a seed gives
the same picks on every torch device) and the uniform fill-up once every
distance is zero live here too; :mod:`~skactive.selection._badge` reuses them.
Distances come from the engine of :mod:`~skactive.selection._distance`.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils import check_random_state

from .._deprecation import renamed_keywords
from .._validation import (
    Interval,
    InvalidParameterError,
    check_n_instances,
    validate_params,
)
from ._arrays import _check_finite_derived, _check_labeled, _resolve_device, _to_tensor
from ._distance import _DEFAULT_UPDATE_ROWS, _ShiftedEuclidean, _ZeroTolerance

__all__ = ["diversity_sampling", "kcenter_greedy"]

# At temperature 0, up to this many near-maximal rows (within 2 * _TIE_RTOL *
# eps * d**0.25 * scale of the maximum) are re-evaluated exactly.
_REFINE_MAX = 256
# At temperature 0, the rows with the largest distance bounds that are
# brought up to date per pick (doubled while that is not enough).
_LAZY_TOP = 32
# ... for pools of at least this many elements; a pass over a smaller pool
# costs less than the bookkeeping (the picks are the same either way).
_LAZY_MIN_ELEMS = 1 << 20


# --------------------------------------------------------------------------
# the draw: one uniform number per pick
# --------------------------------------------------------------------------
def _pick_from_weights(w, u, out=None):
    """Index ``i`` with ``cumsum(w)[i-1] <= u * sum(w) < cumsum(w)[i]``.

    ``w`` is a float64 vector with non-negative entries and a positive sum;
    entries with ``w == 0`` are never returned.  ``out``: buffer for the
    cumulative sum.
    """
    c = torch.cumsum(w, dim=0, out=out)
    total = c[-1]
    t = (total * u).reshape(1)
    idx = int(torch.searchsorted(c, t, right=True))
    if idx >= w.shape[0]:  # rounding put t onto the total
        idx = int(torch.nonzero(w > 0).max())
    return idx


def _argmax_draw(d2, u, zero, refine, tie=None):
    """Argmax of ``d2`` with uniform tie-breaking (see :func:`_draw`).

    The maximum and the runner-up settle the usual case of a clear maximum;
    only when the runner-up is within the tie window are candidates listed:
    first with the loosest bound (``tie.bound``, valid for every row), then
    with each candidate's own bound (``tie.at``).
    """
    n = d2.shape[0]
    top, i0 = d2.max(dim=0)
    v0, i0 = float(top), int(i0)
    if not zero.positive(v0, i0):
        # the largest value is rounding noise of its row (a copy of a centre
        # far from the mean): look among the rows that count as positive
        positive = d2 > zero.values
        if not bool(positive.any()):
            return -1, 0.0
        d2 = torch.where(positive, d2, -math.inf)  # a copy (rare)
        top, i0 = d2.max(dim=0)
        v0, i0 = float(top), int(i0)
    if n == 1:
        return 0, v0
    d2[i0] = -math.inf  # runner-up: two max passes are cheaper than topk
    v1 = float(d2.max())
    d2[i0] = top
    if refine is None:
        if v0 > v1:
            return i0, v0
        ties = torch.nonzero(d2 == v0).flatten()
    else:
        t0 = tie.at_one(i0, v0)
        loose = t0 + tie.bound(v0)
        if v0 - v1 > loose:
            return i0, v0
        # usually 2-3 candidates: a small top-k instead of a full scan
        k_top = min(8, n)
        vals, rows = torch.topk(d2, k_top)
        keep = vals >= v0 - loose
        rows, vals = rows[keep], vals[keep]
        if rows.shape[0] == k_top < n:  # maybe more: full scan
            rows = torch.nonzero(d2 >= v0 - loose).flatten()
            vals = d2[rows]
        if rows.shape[0] > 1:  # the rows whose own error can reach the maximum
            rows = rows[vals + tie.at(rows, v0) >= v0 - t0]
        ties = rows.sort().values  # index order
        if ties.shape[0] <= _REFINE_MAX:
            exact = refine(ties)
            top = exact.max()
            ties, v0 = ties[exact == top], float(top)
        else:
            ties = ties[d2[ties] == v0]
    k = ties.shape[0]
    return int(ties[min(int(u * k), k - 1)]), v0


def _draw(d2, exponent, u, zero, refine=None, tie=None, work=None):
    """One pick from squared distances ``d2``.

    ``exponent=None`` -> argmax with uniform tie-breaking, otherwise
    ``p_i ∝ d2_i ** exponent`` (``exponent = 1 / (2 T)``).  ``zero``: a
    :class:`~skactive.selection._distance._ZeroTolerance`, the squared
    distance of each row (or of all rows) below which it is rounding noise
    and counts as 0; returns ``-1`` when every row counts as 0.

    With ``refine`` (rows -> float64 exact squared distances) and ``tie``
    (bounds on the rounding error of the fast pass, row by row: see
    :class:`~skactive.selection._distance._PairTolerance`), the argmax is
    settled exactly among all rows whose value could reach the maximum's,
    so float32 embeddings give the same picks as an exact computation.

    ``work``: two float64 buffers of ``len(d2)`` reused across picks.
    """
    if exponent is None:
        return _argmax_draw(d2, u, zero, refine, tie)
    if work is None:
        work = torch.empty((2, d2.shape[0]), dtype=torch.float64, device=d2.device)
    w = work[0].copy_(d2)
    # weight 0 for rounding noise (<= the zero tolerance, values below 0 too)
    if isinstance(zero.values, torch.Tensor):
        w.masked_fill_(d2 <= zero.values, 0.0)
    else:
        torch.nn.functional.threshold_(w, zero.values, 0.0)
    m = float(w.max())
    if not m > 0:
        return -1, 0.0
    if exponent == 0.5:
        w.sqrt_()
    elif exponent != 1.0:  # normalise by the maximum: no overflow
        w.div_(m).pow_(exponent)
    idx = _pick_from_weights(w, u, out=work[1])
    return idx, float(d2[idx])


def _lazy_argmax_draw(d2, engine, u, zero, tie, m):
    """Argmax of the exact distances when ``d2`` holds upper bounds.

    The rows with the ``k`` largest bounds (``k = m`` first) are brought up
    to date (``engine.refresh``).  Every other row's distance is at most the
    ``k``-th bound, so once no other row's bound plus its rounding error
    can reach the largest exact value among the top rows, the argmax and
    all rows that could tie with it are among the top rows.  The cheap test
    uses the loosest error bound (``tie.bound``); when only that one fails
    (rows far from the mean have large rounding errors), the rows that can
    reach the maximum with their own bounds are listed and brought up to
    date; otherwise ``k`` doubles.  Ties are then settled as in
    :func:`_argmax_draw` (exactly in float64, uniform choice among equal
    rows in index order).
    """
    n = d2.shape[0]
    k = min(m, n)
    while True:
        if 4 * k > n:  # wide: bring every row up to date, no sort
            engine.refresh(d2, torch.arange(n, device=d2.device))
            return _argmax_draw(d2, u, zero, engine.exact_sq, tie)
        bounds, rows = torch.topk(d2, k)
        engine.refresh(d2, rows)
        vals = d2[rows]
        top, j = vals.max(dim=0)
        v0, tb = float(top), None
        if zero.positive(v0, None):  # above every row's noise: no row needed
            tb = t0 = tie.bound(v0)  # the loosest bounds first
            if float(bounds[-1]) + tb < v0 - t0:
                break
        i0 = int(rows[j])
        if not zero.positive(v0, i0):  # rounding noise at the top
            engine.refresh(d2, torch.arange(n, device=d2.device))
            return _argmax_draw(d2, u, zero, engine.exact_sq, tie)
        tb, t0 = tie.bound(v0), tie.at_one(i0, v0)
        if float(bounds[-1]) + tb < v0 - t0:
            break
        if float(bounds[-1]) + tie.at_one(int(rows[-1]), v0) < v0 - t0:
            # only rows with large rounding errors (far from the mean) could
            # still reach the maximum: list them with their own bounds
            reach = torch.nonzero(d2 + tie.at(None, v0) >= v0 - t0).flatten()
            if not engine.refresh(d2, reach):  # all of them are exact
                rows, vals = reach, d2[reach]
                top, j = vals.max(dim=0)
                v0, i0 = float(top), int(rows[j])
                tb, t0 = tie.bound(v0), tie.at_one(i0, v0)
                break
            continue
        k *= 2
    # t0 may be the loosest bound rather than the top row's own: a superset
    cand = rows[vals >= v0 - t0 - tb]
    if cand.shape[0] > 1:  # the rows whose own error can reach the maximum
        cand = cand[d2[cand] + tie.at(cand, v0) >= v0 - t0]
    if cand.shape[0] == 1:
        return int(cand[0]), v0
    cand = cand.sort().values  # index order
    if cand.shape[0] <= _REFINE_MAX:
        exact = engine.exact_sq(cand)
        top = exact.max()
        ties, v0 = cand[exact == top], float(top)
    else:
        ties = cand[d2[cand] == v0]
    n_ties = ties.shape[0]
    return int(ties[min(int(u * n_ties), n_ties - 1)]), v0


def _lazy_kcenter_loop(n, n_pool, d2, engine, *, rng, zero, tie):
    """k-center greedy with bound pruning (the ``T = 0`` case).

    Same picks as :func:`_greedy_loop` with ``exponent=None``, but a new
    centre costs no pass over the pool: distances are upper bounds that
    only rows competing for the maximum bring up to date, with one small
    matrix product over the centres they have not seen yet.  Each
    (row, centre) pair is evaluated at most once, so the work never exceeds
    the eager loop's and is usually a small fraction of it.
    """

    def update(d2, idx):
        if d2 is None:  # first centre: one exact pass, then lazily
            d2 = engine(None, idx)
            engine.start_lazy(len(engine.centres))
            return d2
        return engine.add_centre_lazy(d2, idx)

    def draw(d2, u):
        return _lazy_argmax_draw(d2, engine, u, zero, tie, _LAZY_TOP)

    if d2 is not None:
        engine.start_lazy(len(engine.centres))
    return _greedy_loop(n, n_pool, d2, update, exponent=None, rng=rng, draw=draw)


def _uniform_unpicked(picked, u):
    free = np.flatnonzero(~picked)
    return int(free[min(int(u * free.shape[0]), free.shape[0] - 1)])


def _greedy_loop(
    n,
    n_pool,
    d2,
    update,
    *,
    exponent,
    rng,
    zero=None,
    picked=None,
    refine=None,
    tie=None,
    draw=None,
):
    """Sequential farthest-point / D^p sampling.

    Parameters
    ----------
    d2 : tensor or None
        Squared distances of the pool to the current centre set, ``None``
        when the set is empty (the next pick is then uniform).
    update : callable ``(d2, idx) -> d2``
        Adds row ``idx`` to the centre set.
    zero, refine, tie
        As in :func:`_draw`.
    picked : bool ndarray or None
        Rows selected before this loop (excluded from the uniform fill-up).
    draw : callable ``(d2, u) -> (idx, sq)`` or None
        Replaces :func:`_draw` (``idx = -1``: every distance is zero).
    """
    picks = np.empty(n, dtype=np.int64)
    dists = np.empty(n, dtype=np.float64)
    picked = np.zeros(n_pool, dtype=bool) if picked is None else picked
    zero = _ZeroTolerance(0.0) if zero is None else zero
    work = None  # float64 buffers for sampling at T > 0, allocated once
    exhausted = False
    for k in range(n):
        u = rng.random_sample()
        if d2 is None:
            idx, sq = min(int(u * n_pool), n_pool - 1), math.inf
        elif exhausted:
            idx, sq = _uniform_unpicked(picked, u), 0.0
        else:
            if draw is not None:
                idx, sq = draw(d2, u)
            else:
                if work is None and exponent is not None:
                    work = torch.empty(
                        (2, n_pool), dtype=torch.float64, device=d2.device
                    )
                idx, sq = _draw(d2, exponent, u, zero, refine, tie, work)
            if idx < 0:
                exhausted = True
                idx, sq = _uniform_unpicked(picked, u), 0.0
        picks[k], dists[k] = idx, math.sqrt(sq)
        picked[idx] = True
        if k + 1 < n and not exhausted:
            d2 = update(d2, idx)
    return picks, dists


_N_INSTANCES = [Interval(Integral, 1, None, closed="left")]
_CHUNK_SIZE = [Interval(Integral, 1, None, closed="left"), None]


@renamed_keywords(n="n_instances")
@validate_params(
    {
        "embeddings": ["array-like"],
        "n_instances": _N_INSTANCES,
        "labeled": ["array-like", None],
        "temperature": [Interval(Real, 0, math.inf, closed="left")],
        "random_state": ["random_state"],
        "device": ["device", None],
        "chunk_size": _CHUNK_SIZE,
        "return_distances": ["boolean"],
    }
)
def diversity_sampling(
    embeddings,
    n_instances,
    *,
    labeled=None,
    temperature=0.0,
    random_state=None,
    device=None,
    chunk_size=None,
    return_distances=False,
):
    r"""Temperature-controlled farthest-point sampling (Buchert et al., 2023).

    Let :math:`D` be the labeled embeddings together with the rows selected so
    far and :math:`d_i = \min_{j \in D} \lVert f_i - f_j \rVert_2`.  Each pick
    is drawn with probability

    .. math:: p(i) = d_i^{1/T} / \sum_k d_k^{1/T},

    after which :math:`D` and the distances are updated.  ``temperature=0``
    takes the argmax (k-center greedy / core-set), ``temperature=0.5`` samples
    proportional to :math:`d^2` (k-means++ seeding), large temperatures
    approach uniform sampling among the rows not in :math:`D`.

    Parameters
    ----------
    embeddings : array-like or torch.Tensor of shape (n_samples, n_features)
        Pool embeddings.  float32 and float64 are used as they are; other
        numeric types are converted (integers to float64, half to float32).
    n_instances : int
        Number of rows to select, ``1 <= n_instances <= n_samples``. Formerly
        ``n``: the keyword ``n=`` still works but emits a
        :class:`FutureWarning`.
    labeled : array-like or Tensor of shape (n_labeled, n_features), default=None
        Embeddings of the already labeled samples.  ``None`` or zero rows
        means no labeled data; the first pick is then uniform.
    temperature : float, default=0.0
        Finite, non-negative temperature :math:`T`.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws (ties at ``T = 0``, the uniform first pick, sampling
        at ``T > 0`` and the uniform fill-up).  Exactly one uniform number is
        drawn per pick, so a seed gives the same picks on CPU and CUDA.
    device : str, torch.device or None, default=None
        Device for the computation; ``None`` uses the device of a tensor
        input, CPU otherwise.
    chunk_size : int or None, default=None
        Rows per chunk of the distance update.  The temporaries hold
        ``chunk_size`` values; ``None`` chooses a large chunk (2**20 rows).
    return_distances : bool, default=False
        If True, also return the distance of every pick to :math:`D` at the
        time it was selected (``inf`` for a uniform first pick without
        labeled data, ``0`` for fill-up picks).

    Returns
    -------
    indices : ndarray of shape (n_instances,), dtype int64
        Unique row indices into ``embeddings`` in selection order.
    distances : ndarray of shape (n_instances,), dtype float64
        Only if ``return_distances=True``.

    Notes
    -----
    Memory is about one copy of the embeddings plus a few vectors of length
    ``n_samples``: the minimum-distance vector is updated in place with one
    matrix-vector pass over the pool per pick, using the expansion
    :math:`\lVert x'\rVert^2 - 2 x \cdot c' + \lVert c'\rVert^2 +
    2 \bar x \cdot c'` around the pool mean :math:`\bar x`
    (:math:`x' = x - \bar x`) in the dtype of the embeddings;
    no pairwise matrix and no centred copy are formed.  At ``T = 0`` the rows
    within (their own) rounding error of the maximum are re-evaluated in float64
    (to ~1e-15 relative), so float32 embeddings select the same rows as an
    exact computation.  Sampling weights are computed in
    float64 as :math:`(d_i / d_{max})^{1/T}`, which neither overflows nor
    loses the maximum for tiny temperatures.

    Embeddings that do not fit in memory -- an
    :class:`~skactive.pools.ArrayFile`, a :class:`numpy.memmap`, a
    :class:`~skactive.pools.PoolView` of a file, a dask array -- are read in
    blocks of rows (4 Mi values, 16 MiB of float32), converted block by
    block as the in-memory call converts the whole array (float16 to
    float32), so only one block and a few vectors of length ``n_samples``
    are in memory. At ``T = 0`` the bound pruning below reads only the rows
    that compete for the maximum (gathered from the file, at most one block
    at a time); at ``T > 0`` each pick makes one sequential pass. The picks
    are those of the in-memory call (at ``T = 0`` the same float64
    settling; at ``T > 0`` the same draws from the same float32 distances,
    up to their last bit).

    At ``T = 0`` only the argmax matters, and a new centre can only lower
    distances, so for pools of a million values or more (``n_samples *
    n_features``) the pool's distances are kept as upper bounds and a pick
    brings up to date only the rows whose bound could still be the maximum
    (the largest bounds, with one matrix product against the centres each
    of them has not seen).  Rows far from the maximum are skipped; each
    (row, centre) distance is computed at most once, so the work never
    exceeds one pass per pick and is typically a few percent of it (e.g.
    2.5% for 10,000 Gaussian rows in 128 dimensions and 200 picks).  The
    picks are those of the one-pass-per-pick loop.

    A selected row has distance 0 and is never selected again.  A squared
    distance below the rounding noise of the expansion counts as 0; that
    noise is bounded row by row, from the norms of the two points involved
    (relative to the pool mean), so one far row -- labeled or in the pool --
    does not make the distances of the others look like noise.  When every
    remaining distance is 0 (duplicates), the remaining picks are drawn
    uniformly among the rows not selected yet.

    References
    ----------
    .. [1] Buchert, F., Navab, N., & Kim, S. T. (2023). Toward label-efficient
       neural network training: Diversity-based sampling in semi-supervised
       active learning. IEEE Access, 11.
    .. [2] Sener, O., & Savarese, S. (2018). Active learning for
       convolutional neural networks: A core-set approach. ICLR.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.selection import diversity_sampling
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [0.0, 3.0]])
    >>> diversity_sampling(X, 2, labeled=[[0.0, 0.0]], random_state=0)
    array([2, 3])
    >>> idx, dist = diversity_sampling(
    ...     X, 2, labeled=[[0.0, 0.0]], return_distances=True
    ... )
    >>> dist
    array([5., 3.])
    >>> sorted(diversity_sampling(X, 4, temperature=0.5, random_state=0).tolist())
    [0, 1, 2, 3]
    """
    dev = _resolve_device(device, embeddings)
    X = _to_tensor(
        embeddings, "embeddings", device=dev, check_finite=False, lazy_ok=True
    )
    n_pool, n_feat = X.shape
    n = check_n_instances(n_instances, n_pool, caller="diversity_sampling")
    temperature = float(temperature)
    chunk = None if chunk_size is None else int(chunk_size)
    lab = _check_labeled(labeled, n_feat, device=dev, dtype=X.dtype)
    rng = check_random_state(random_state)

    update = _ShiftedEuclidean(X, chunk or _DEFAULT_UPDATE_ROWS)
    _check_finite_derived(X, (update.m, update.sqn), "embeddings")
    d2 = None if lab is None else update.min_to_set(lab)
    zero = update.zero_tol()  # per row: a far row inflates no other's
    tie = update.tie_tolerance()
    exponent = None if temperature == 0 else 1.0 / (2.0 * temperature)
    if exponent is not None and not math.isfinite(exponent):
        raise InvalidParameterError(
            f"diversity_sampling: temperature={temperature!r} is too small; use "
            "temperature=0."
        )
    if exponent is None and n_pool * n_feat >= _LAZY_MIN_ELEMS:
        picks, dists = _lazy_kcenter_loop(
            n, n_pool, d2, update, rng=rng, zero=zero, tie=tie
        )
    else:
        picks, dists = _greedy_loop(
            n,
            n_pool,
            d2,
            update,
            exponent=exponent,
            rng=rng,
            zero=zero,
            refine=update.exact_sq,
            tie=tie,
        )
    return (picks, dists) if return_distances else picks


@renamed_keywords(n="n_instances")
@validate_params(
    {
        "embeddings": ["array-like"],
        "n_instances": _N_INSTANCES,
        "labeled": ["array-like", None],
        "random_state": ["random_state"],
        "device": ["device", None],
    }
)
def kcenter_greedy(
    embeddings, n_instances, *, labeled=None, random_state=None, device=None
):
    """k-center greedy (core-set) selection.

    Repeatedly selects the row farthest from the labeled embeddings and the
    rows selected so far; equivalent to
    ``diversity_sampling(..., temperature=0)``.  The covering radius of the
    result is at most twice the optimal one.

    Parameters
    ----------
    embeddings : array-like or torch.Tensor of shape (n_samples, n_features)
        Pool embeddings.
    n_instances : int
        Number of rows to select. Formerly ``n``: the keyword ``n=`` still
        works but emits a :class:`FutureWarning`.
    labeled : array-like or Tensor of shape (n_labeled, n_features), default=None
        Embeddings of the labeled samples; without them the first pick is
        uniform.
    random_state : int, RandomState instance or None, default=None
        Seeds the first pick (without labeled data) and tie-breaking.
    device : str, torch.device or None, default=None
        Computation device; ``None`` uses the input's device or CPU.

    Returns
    -------
    indices : ndarray of shape (n_instances,), dtype int64
        Unique row indices in selection order.

    See Also
    --------
    diversity_sampling : the general temperature-controlled version.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.selection import kcenter_greedy
    >>> X = np.array([[0.0], [1.0], [2.0], [10.0]])
    >>> kcenter_greedy(X, 2, labeled=[[0.0]])
    array([3, 2])
    """
    return diversity_sampling(
        embeddings,
        n_instances,
        labeled=labeled,
        temperature=0.0,
        random_state=random_state,
        device=device,
    )
