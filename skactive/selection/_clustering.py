"""Clustering-based selection: weighted k-means, TypiClust, ProbCover.

* :func:`weighted_kmeans` and :func:`nearest_to_centers` -- building blocks
  (a weighted k-means, and one distinct row per centre);
* :func:`typiclust_sampling` -- the most typical point of the largest
  uncovered cluster, pick after pick (Hacohen et al., 2022);
* :func:`probcover_sampling` -- greedy maximum coverage of delta-balls
  (Yehuda et al., 2022).

Distances are computed by blocks of rows (memory ``O(block)``); no
``n x n`` matrix is formed.  TypiClust (above 50,000 rows) and ProbCover read
an embedding that does not fit in memory (a file, a memmap, a dask array) by
blocks of rows too, through the same code as in memory, so both give the
picks of the in-memory call.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from scipy import sparse
from sklearn.utils import check_random_state

from .._deprecation import renamed_keywords
from .._validation import (
    Interval,
    InvalidParameterError,
    check_n_instances,
    validate_params,
)
from ._arrays import (
    _BLOCK_ELEMS,
    _check_finite,
    _check_labeled,
    _to_numpy,
    _to_tensor,
)
from ._blocks import _is_lazy_rows
from ._distance import _zero_tol
from ._farthest import _uniform_unpicked

__all__ = [
    "weighted_kmeans",
    "nearest_to_centers",
    "typiclust_sampling",
    "probcover_sampling",
]

# Above this many rows (pool and labeled) TypiClust clusters by blocks.
_MINIBATCH_ROWS = 50_000

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")


def _seed_from(rng):
    return int(rng.randint(np.iinfo(np.int32).max))


@validate_params(
    {
        "X": ["array-like"],
        "n_clusters": [_POSITIVE_INT],
        "sample_weight": ["array-like", None],
        "random_state": ["random_state"],
        "max_iter": [_POSITIVE_INT],
    }
)
def weighted_kmeans(
    X, n_clusters, *, sample_weight=None, random_state=None, max_iter=100
):
    """Weighted k-means (Lloyd with k-means++ initialisation).

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, n_features)
        Data to cluster.
    n_clusters : int
        Number of clusters, at most the number of rows with positive weight.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights; ``None`` means all ones.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation (one k-means++ run, ``n_init=1``).
    max_iter : int, default=100
        Maximum number of Lloyd iterations.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), dtype float64
        Cluster centres.
    labels : ndarray of shape (n_samples,), dtype int64
        Index of the centre each row is assigned to.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.selection import weighted_kmeans
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> centers, labels = weighted_kmeans(
    ...     X, 2, sample_weight=[1, 3, 1, 1], random_state=0
    ... )
    >>> np.sort(centers.ravel())
    array([ 0.75, 10.5 ])
    >>> bool(labels[0] == labels[1] and labels[2] == labels[3])
    True
    """
    from sklearn.cluster import KMeans

    Xn = _to_numpy(X, "X")
    n_clusters, max_iter = int(n_clusters), int(max_iter)
    if n_clusters > Xn.shape[0]:
        raise InvalidParameterError(
            f"weighted_kmeans: n_clusters={n_clusters} is larger than the number "
            f"of rows in X ({Xn.shape[0]})."
        )
    if sample_weight is not None:
        w = np.asarray(
            sample_weight.detach().cpu().numpy()
            if isinstance(sample_weight, torch.Tensor)
            else sample_weight
        )
        if w.dtype.kind not in "biuf":
            raise InvalidParameterError(
                f"sample_weight must be numeric, got dtype {w.dtype}."
            )
        w = w.astype(np.float64)
        if w.shape != (Xn.shape[0],):
            raise InvalidParameterError(
                f"sample_weight must have shape ({Xn.shape[0]},), got {w.shape}."
            )
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise InvalidParameterError(
                "sample_weight must be finite and non-negative."
            )
        n_pos = int(np.count_nonzero(w))
        if n_pos < n_clusters:
            raise InvalidParameterError(
                f"n_clusters={n_clusters} is larger than the number of rows with "
                f"positive sample_weight ({n_pos})."
            )
    else:
        w = None
    rng = check_random_state(random_state)
    km = KMeans(
        n_clusters=n_clusters, n_init=1, max_iter=max_iter, random_state=_seed_from(rng)
    )
    with warnings.catch_warnings():
        # duplicates can make fewer distinct clusters than requested
        warnings.simplefilter("ignore", category=UserWarning)
        km.fit(Xn, sample_weight=w)
    return np.asarray(km.cluster_centers_, dtype=np.float64), km.labels_.astype(
        np.int64
    )


@validate_params({"X": ["array-like"], "centers": ["array-like"]})
def nearest_to_centers(X, centers):
    """Index of the row of ``X`` nearest to each centre, all distinct.

    Every centre claims its nearest unused row; when several centres claim
    the same row, the closest one gets it (ties: lower centre index) and the
    others claim their next-nearest unused row in the next round.  Each round
    is one chunked pass over ``X`` (memory ``O(chunk * n_centers)``); no
    ``n_samples x n_centers`` matrix is formed.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, n_features)
        Candidate rows.
    centers : array-like or torch.Tensor of shape (n_centers, n_features)
        Centres, ``n_centers <= n_samples``.

    Returns
    -------
    indices : ndarray of shape (n_centers,), dtype int64
        ``indices[k]`` is the row assigned to ``centers[k]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.selection import nearest_to_centers
    >>> X = np.array([[0.0], [1.0], [2.0], [10.0]])
    >>> nearest_to_centers(X, [[0.1], [0.2], [9.0]])
    array([0, 1, 3])
    """
    Xn = _to_numpy(X, "X")
    C = _to_numpy(centers, "centers")
    n, k = Xn.shape[0], C.shape[0]
    if C.shape[1] != Xn.shape[1]:
        raise InvalidParameterError(
            f"centers must have the same number of columns as X ({Xn.shape[1]}), "
            f"got centers with shape {C.shape}."
        )
    if k > n:
        raise InvalidParameterError(
            f"centers has {k} rows, more than the number of rows in X ({n})."
        )
    sqx = np.einsum("ij,ij->i", Xn, Xn)
    sqc = np.einsum("ij,ij->i", C, C)
    out = np.full(k, -1, dtype=np.int64)
    used = np.zeros(n, dtype=bool)
    active = np.arange(k)
    while active.shape[0]:
        Ca, sa = C[active], sqc[active]
        best_d = np.full(active.shape[0], np.inf)
        best_i = np.full(active.shape[0], -1, dtype=np.int64)
        rows = max(1, _BLOCK_ELEMS // active.shape[0])
        for s in range(0, n, rows):
            e = min(n, s + rows)
            D = sqx[None, s:e] - 2.0 * (Ca @ Xn[s:e].T) + sa[:, None]
            D[:, used[s:e]] = np.inf
            j = D.argmin(axis=1)
            dj = D[np.arange(D.shape[0]), j]
            better = dj < best_d  # ties keep the lower row index
            best_d[better], best_i[better] = dj[better], j[better] + s
        # closest claimant of each row wins (ties: lower centre index)
        order = np.lexsort((active, best_d, best_i))
        rows_sorted = best_i[order]
        first = np.r_[True, rows_sorted[1:] != rows_sorted[:-1]]
        win = order[first]
        out[active[win]] = best_i[win]
        used[best_i[win]] = True
        keep = np.ones(active.shape[0], dtype=bool)
        keep[win] = False
        active = active[keep]
    return out


# --------------------------------------------------------------------------
# TypiClust
# --------------------------------------------------------------------------
def _typicality(points, k_neighbors):
    """``1 / mean distance to the K nearest other points`` (K >= 1).

    Exact neighbours by blocks of rows against the cluster's points
    (``rows x m`` distances at a time), in the points' dtype; squared
    distances within rounding error of 0 are 0.
    """
    m = points.shape[0]
    K = min(k_neighbors, m - 1)
    if K < 1:
        return np.full(m, np.inf)
    P = torch.from_numpy(np.ascontiguousarray(points))
    P = P - P.mean(dim=0)  # expansion around the centre: small rounding error
    sq = (P * P).sum(1)
    # squared distances within the expansion's rounding error count as 0
    # (duplicates are exactly 0, as with direct differences); the error of
    # row i's distance to a copy of itself scales with its own norm, so a
    # far point of the cluster inflates no other point's tolerance
    tol = _zero_tol(sq, P.shape[1], P.dtype)
    mean = np.empty(m)
    rows = max(1, _BLOCK_ELEMS // m)
    for s in range(0, m, rows):
        d2 = torch.addmm(sq.unsqueeze(0), P[s : s + rows], P.T, alpha=-2)
        d2.add_(sq[s : s + rows, None])
        # K + 1 smallest: the point itself (or an exact duplicate: also 0)
        # comes first and is dropped
        near = torch.topk(d2, K + 1, dim=1, largest=False).values[:, 1:]
        near = near.masked_fill_(near <= tol[s : s + rows, None], 0.0).sqrt_()
        mean[s : s + rows] = near.mean(dim=1).double().numpy()
    with np.errstate(divide="ignore"):
        return 1.0 / mean


def _typicality_blocked(read, m, n_features, k_neighbors, dtype):
    """:func:`_typicality` of ``m`` points read by blocks of rows.

    ``read(s, e)`` returns points ``s:e`` as a tensor of ``dtype``.  The
    centre is the float64 mean of the blocks; each block of points meets
    every block (``rows x block`` distances at a time) and keeps its running
    ``K + 1`` smallest squared distances.  Memory: two blocks of points and
    one tile, whatever ``m``.  The result depends on ``m`` and the blocking
    only, not on where the points are stored.
    """
    K = min(k_neighbors, m - 1)
    if K < 1:
        return np.full(m, np.inf)
    dtype = torch.from_numpy(np.empty(0, dtype=dtype)).dtype
    step = max(1, _BLOCK_ELEMS // n_features)
    total = torch.zeros(n_features, dtype=torch.float64)
    for s in range(0, m, step):
        total += read(s, min(m, s + step)).to(torch.float64).sum(dim=0)
    centre = (total / m).to(dtype)

    def centred(s, e):
        P = read(s, e) - centre
        return P, (P * P).sum(1)

    mean = np.empty(m)
    for qs in range(0, m, step):
        qe = min(m, qs + step)
        Q, sq_q = centred(qs, qe)
        tol = _zero_tol(sq_q, n_features, dtype)
        best = None
        for cs in range(0, m, step):
            ce = min(m, cs + step)
            C, sq_c = (Q, sq_q) if cs == qs else centred(cs, ce)
            rows = max(1, _BLOCK_ELEMS // (ce - cs))
            parts = []
            for s in range(0, qe - qs, rows):
                d2 = torch.addmm(sq_c.unsqueeze(0), Q[s : s + rows], C.T, alpha=-2)
                d2.add_(sq_q[s : s + rows, None])
                k = min(K + 1, ce - cs)
                parts.append(torch.topk(d2, k, dim=1, largest=False).values)
            vals = torch.cat(parts)
            if best is not None:
                vals = torch.cat([best, vals], dim=1)
            k = min(K + 1, vals.shape[1])
            best = torch.topk(vals, k, dim=1, largest=False).values
        near = best[:, 1:]  # the point itself (or an exact duplicate) first
        near = near.masked_fill_(near <= tol[:, None], 0.0).sqrt_()
        mean[qs:qe] = near.mean(dim=1).double().numpy()
    with np.errstate(divide="ignore"):
        return 1.0 / mean


def _cluster_typicality(read_rows, members, n_features, k_neighbors, dtype):
    """Typicality of a cluster's ``members`` (sorted row indices).

    A cluster of at most one block (4 Mi values) is read at once and goes
    through :func:`_typicality`; a larger one through
    :func:`_typicality_blocked`, reading its members a block at a time.
    ``read_rows(idx)`` returns the rows ``idx`` as a numpy array.
    """
    m = members.shape[0]
    if m * n_features <= _BLOCK_ELEMS:
        return _typicality(read_rows(members), k_neighbors)

    def read(s, e):
        return torch.from_numpy(np.ascontiguousarray(read_rows(members[s:e])))

    return _typicality_blocked(read, m, n_features, k_neighbors, dtype)


# Most passes of the blocked k-means over the rows (large pools).
_KMEANS_MAX_ITER = 30
# Stop once the centres move less than this (squared, summed), relative to
# the mean variance of the columns (scikit-learn's KMeans ``tol``).
_KMEANS_TOL = 1e-4
# Rows of the k-means++ initialisation sample (at least 3 per cluster).
_KMEANS_INIT_ROWS = 3 * 1024


def _assign(X, C, sq_c):
    """Index of the nearest centre of each row of ``X`` (ties: lower index)."""
    d2 = torch.addmm(sq_c.unsqueeze(0), X, C.T, alpha=-2)
    return d2.argmin(dim=1)


def _blocked_kmeans(read, n_rows_all, n_features, n_clusters, rng, dtype):
    """Cluster labels of ``n_rows_all`` rows read by blocks (large pools).

    k-means++ (:func:`sklearn.cluster.kmeans_plusplus`) on a seeded sample of
    rows (:data:`_KMEANS_INIT_ROWS`, at least three per cluster, read in
    sorted order), then Lloyd iterations, each one pass over fixed blocks of
    consecutive rows: every block is assigned to its nearest centres (in
    the embeddings' dtype) and its rows added to float64 sums per cluster;
    the centres move to the means (an empty cluster keeps its centre).  It
    stops when no label changes or the centres move less than
    :data:`_KMEANS_TOL` times the mean column variance (summed squared
    shift, as scikit-learn's ``KMeans``), after at most
    :data:`_KMEANS_MAX_ITER` passes.  ``read(s, e)`` (rows ``s:e``) or
    ``read(indices)`` returns a numpy array of ``dtype``; the labels depend
    on the values of the rows only, so an in-memory array and a file give
    the same labels.  Memory: one block, the centres and the labels.
    """
    from sklearn.cluster import kmeans_plusplus

    tdtype = torch.from_numpy(np.empty(0, dtype=dtype)).dtype
    step = max(1, _BLOCK_ELEMS // n_features)
    n_init = min(n_rows_all, max(_KMEANS_INIT_ROWS, 3 * n_clusters))
    sample = np.sort(rng.choice(n_rows_all, size=n_init, replace=False))
    init_rows = np.concatenate(
        [read(sample[a : a + step]) for a in range(0, n_init, step)]
    )
    _check_finite(torch.from_numpy(init_rows), "embeddings")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        init, _ = kmeans_plusplus(init_rows, n_clusters, random_state=_seed_from(rng))
    del init_rows
    C = torch.from_numpy(np.ascontiguousarray(init, dtype=dtype))
    labels = np.full(n_rows_all, -1, dtype=np.int64)
    sq_cols = torch.zeros(n_features, dtype=torch.float64)  # first pass
    for it in range(_KMEANS_MAX_ITER):
        sq_c = (C * C).sum(1)
        sums = torch.zeros((n_clusters, n_features), dtype=torch.float64)
        counts = torch.zeros(n_clusters, dtype=torch.float64)
        changed = 0
        for s in range(0, n_rows_all, step):
            e = min(n_rows_all, s + step)
            X = torch.from_numpy(np.ascontiguousarray(read(s, e), dtype=dtype))
            if it == 0:
                _check_finite(X, "embeddings")
            lab = _assign(X, C, sq_c)
            X64 = X.to(torch.float64)
            sums.index_add_(0, lab, X64)
            if it == 0:
                sq_cols += (X64 * X64).sum(dim=0)
            del X64
            counts.index_add_(0, lab, torch.ones(e - s, dtype=torch.float64))
            lab = lab.numpy()
            changed += int(np.count_nonzero(labels[s:e] != lab))
            labels[s:e] = lab
        if changed == 0:
            break
        if it == 0:  # scikit-learn's tolerance: relative to the variance
            mean_cols = sums.sum(dim=0) / n_rows_all
            var = sq_cols / n_rows_all - mean_cols * mean_cols
            tol = _KMEANS_TOL * float(var.clamp(min=0).mean())
        full = counts > 0
        old = C.to(torch.float64)
        new = old.clone()
        new[full] = sums[full] / counts[full, None]
        C = new.to(tdtype)
        if float(((new - old) ** 2).sum()) <= tol:
            break
    return labels


def _rand_argmax(values, rng):
    m = values.max()
    ties = np.flatnonzero(values == m)
    if ties.shape[0] == 1:
        return int(ties[0])
    return int(ties[rng.randint(ties.shape[0])])


@renamed_keywords(n="n_instances")
@validate_params(
    {
        "embeddings": ["array-like"],
        "n_instances": [_POSITIVE_INT],
        "labeled": ["array-like", None],
        "k_neighbors": [_POSITIVE_INT],
        "random_state": ["random_state"],
    }
)
def typiclust_sampling(
    embeddings, n_instances, *, labeled=None, k_neighbors=20, random_state=None
):
    r"""TypiClust: typical points of uncovered clusters (Hacohen et al., 2022).

    The pool together with the labeled embeddings is clustered into
    ``n_labeled + n_instances`` clusters with k-means.  Each pick takes the largest
    cluster among those containing the fewest labeled or already selected
    points (first the "uncovered" ones), and from it the most typical
    unselected pool point,

    .. math:: \mathrm{typ}(x) = \Big(\frac1K \sum_{x_i \in \mathrm{KNN}(x)}
              \lVert x - x_i \rVert_2\Big)^{-1},

    with :math:`K = \min(k, |\text{cluster}| - 1)` neighbours inside the
    cluster.

    Parameters
    ----------
    embeddings : array-like or torch.Tensor of shape (n_samples, n_features)
        Pool embeddings.
    n_instances : int
        Number of rows to select. Formerly ``n``: the keyword ``n=`` still
        works but emits a :class:`FutureWarning`.
    labeled : array-like or Tensor of shape (n_labeled, n_features), default=None
        Embeddings of the labeled samples.
    k_neighbors : int, default=20
        Number of neighbours for the typicality.
    random_state : int, RandomState instance or None, default=None
        Seeds k-means and tie-breaking.

    Returns
    -------
    indices : ndarray of shape (n_instances,), dtype int64
        Unique row indices into ``embeddings``.

    Notes
    -----
    Up to 50 000 rows (pool and labeled together) the rows are clustered in
    memory by :class:`sklearn.cluster.KMeans` (one k-means++ start).  Above
    that, in memory or not, the same blocked k-means runs: k-means++ on a
    seeded sample of rows, then Lloyd passes over fixed blocks of rows
    (4 Mi values each) with float64 sums per cluster, until no label
    changes or the centres move less than scikit-learn's ``tol=1e-4``
    (at most 30 passes).  Full Lloyd passes rather than mini-batch
    steps over fixed blocks: those would depend on the order of the rows
    (a pool sorted by class gives blocks of one class each), Lloyd's
    passes do not, and they need no random reassignment of small
    clusters.  Typicality is computed only for the
    clusters that are picked from, reading only their members; a cluster
    larger than one block is read by blocks, each block meeting every
    block of the cluster and keeping its running ``K + 1`` nearest.

    So an embedding that does not fit in memory -- an
    :class:`~skactive.pools.ArrayFile`, a :class:`numpy.memmap`, a float16
    file, a dask array -- is read in blocks of rows (converted as in
    memory: float16 to float32) and gives the picks of the in-memory call
    with the same seed.  Peak memory above 50 000 rows is ``O(block * d +
    n_clusters * d + n_samples)``: two blocks, the centres (and their
    float64 sums), the labels; each k-means pass reads the file once.

    References
    ----------
    .. [1] Hacohen, G., Dekel, A., & Weinshall, D. (2022). Active learning on
       a budget: Opposite strategies suit high and low budgets. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.selection import typiclust_sampling
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.1, size=(20, 2)) for c in (0, 5, 10)])
    >>> idx = typiclust_sampling(X, 3, random_state=0)
    >>> sorted(int(i) // 20 for i in idx)  # one pick per blob
    [0, 1, 2]
    """
    from sklearn.cluster import KMeans

    Xp = _to_tensor(
        embeddings,
        "embeddings",
        device=torch.device("cpu"),
        check_finite=False,
        lazy_ok=True,
    )
    n_pool, n_feat = Xp.shape
    n = check_n_instances(n_instances, n_pool, caller="typiclust_sampling")
    k_neighbors = int(k_neighbors)
    lab = _check_labeled(labeled, n_feat, as_numpy=True)
    n_lab = 0 if lab is None else lab.shape[0]
    n_all = n_pool + n_lab
    if n_all <= _MINIBATCH_ROWS:  # small: in memory, exact k-means
        Xp = _to_numpy(embeddings, "embeddings", keep_float32=True)
    elif isinstance(Xp, torch.Tensor):  # in memory: the rows as they are
        Xp = Xp.numpy()
    lazy = _is_lazy_rows(Xp)
    dtype = Xp.np_dtype if lazy else Xp.dtype
    if lab is not None:
        lab = lab.astype(dtype, copy=False)

    def read(a, b=None):
        """Rows ``a:b`` (or the sorted rows ``a``) of the pool, then labeled."""
        if b is None:
            a = np.asarray(a, dtype=np.int64)
            top = a[a < n_pool]
            top = Xp[top].numpy() if lazy else Xp[top]
            if top.shape[0] == a.shape[0]:
                return top
            return np.vstack([top, lab[a[a >= n_pool] - n_pool]])
        parts = []
        if a < n_pool:
            top = Xp[a : min(b, n_pool)]
            parts.append(top.numpy() if lazy else top)
        if b > n_pool:
            parts.append(lab[max(a, n_pool) - n_pool : b - n_pool])
        return parts[0] if len(parts) == 1 else np.vstack(parts)

    rng = check_random_state(random_state)
    n_clusters = min(n_lab + n, n_all)
    if n_all > _MINIBATCH_ROWS:
        cl = _blocked_kmeans(read, n_all, n_feat, n_clusters, rng, dtype)
    else:
        X_all = Xp if lab is None else np.vstack([Xp, lab])
        km = KMeans(n_clusters=n_clusters, n_init=1, random_state=_seed_from(rng))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            cl = km.fit_predict(X_all)
    sizes = np.bincount(cl, minlength=n_clusters)
    covered = np.bincount(cl[n_pool:], minlength=n_clusters)
    available = np.bincount(cl[:n_pool], minlength=n_clusters)
    typ_cache = {}
    picked = np.zeros(n_pool, dtype=bool)
    picks = np.empty(n, dtype=np.int64)
    for k in range(n):
        ok = available > 0
        min_cov = covered[ok].min()
        score = np.where(ok & (covered == min_cov), sizes, -1)
        c = _rand_argmax(score, rng)
        if c not in typ_cache:
            members = np.flatnonzero(cl == c)
            typ = _cluster_typicality(read, members, n_feat, k_neighbors, dtype)
            in_pool = members < n_pool
            typ_cache[c] = (members[in_pool], typ[in_pool])
        cand, typ = typ_cache[c]
        typ = np.where(picked[cand], -np.inf, typ)
        idx = int(cand[_rand_argmax(typ, rng)])
        picks[k] = idx
        picked[idx] = True
        covered[c] += 1
        available[c] -= 1
    return picks


# --------------------------------------------------------------------------
# ProbCover
# --------------------------------------------------------------------------
def _rows_of(X, s, e):
    """Rows ``s:e`` of an in-memory tensor or a lazy source, as a tensor."""
    return X[s:e]


def _close_pairs(Q, C, delta, upper=False):
    """Local ``(i, j)`` with ``||Q_i - C_j|| < delta``, settled in float64.

    A fast pass by the expansion ``||q'||^2 - 2 q'.c' + ||c'||^2`` around the
    mean of ``C`` (in the embeddings' dtype, ``sub x len(C)`` values at a
    time) lists every pair that could be closer than ``delta``: its squared
    distance is at most ``delta**2`` plus a bound on the expansion's
    rounding error, ``8 (d + 4) eps (||q'||^2 + ||c'||^2)``, taken from the
    norms of the two points involved (one matrix product and one comparison
    per tile: ``(1 - r) ||c'||^2 - 2 q'.c' <= delta**2 - (1 - r) ||q'||^2``).
    Those candidates -- the close pairs and the few near the boundary -- are
    evaluated exactly by direct differences in float64, so the result does
    not depend on the blocking.

    ``upper``: ``Q`` is ``C`` (a block on the diagonal); only the pairs
    ``j >= i`` are listed (the distances are symmetric).
    """
    d = Q.shape[1]
    ct = torch.promote_types(Q.dtype, C.dtype)  # labeled float64: float64
    m = C.to(torch.float64).mean(dim=0).to(ct)
    Cs = C.to(ct) - m
    Qs = Cs if upper else Q.to(ct) - m
    rtol = 8.0 * (d + 4) * torch.finfo(ct).eps
    keep = 1.0 - rtol
    sqc = (Cs * Cs).sum(1).mul_(keep)
    rhs = (Qs * Qs).sum(1).mul_(-keep).add_(delta * delta)
    Q64, C64 = None, None
    out_i, out_j = [], []
    sub = max(1, _BLOCK_ELEMS // max(1, C.shape[0]))
    for s in range(0, Q.shape[0], sub):
        e = min(Q.shape[0], s + sub)
        c0 = s if upper else 0  # on the diagonal: columns from s on
        lhs = torch.addmm(sqc[c0:].unsqueeze(0), Qs[s:e], Cs[c0:].T, alpha=-2)
        cand = torch.nonzero(lhs <= rhs[s:e, None])
        del lhs
        ci, cj = cand[:, 0] + s, cand[:, 1] + c0
        if upper:
            ci, cj = ci[cj >= ci], cj[cj >= ci]
        if ci.shape[0] == 0:
            continue
        if Q64 is None:
            Q64, C64 = Q.to(torch.float64), C.to(torch.float64)
        step = max(1, _BLOCK_ELEMS // d)
        for a in range(0, ci.shape[0], step):
            ii, jj = ci[a : a + step], cj[a : a + step]
            diff = Q64[ii] - C64[jj]
            close = (diff * diff).sum(1).sqrt_() < delta  # the ball is open
            out_i.append(ii[close])
            out_j.append(jj[close])
    if not out_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return torch.cat(out_i).numpy(), torch.cat(out_j).numpy()


def _block_rows(d):
    return max(1, _BLOCK_ELEMS // d)


def _ball_graph(X, delta, Q=None, step=None):
    """CSR ``A[i, j] = 1`` iff ``||Q_i - X_j|| < delta`` (``Q=None``: ``X``).

    ``X`` (and ``Q``) are in-memory tensors or lazy sources read in blocks
    of rows; every block of queries meets every block of ``X`` (for
    ``Q=None`` only the pairs on and above the diagonal, mirrored: the
    graph is symmetric).  Memory: two blocks, one distance tile, and the edges.
    """
    n, d = X.shape
    sym = Q is None
    Q = X if sym else Q
    nq = Q.shape[0]
    if step is None:
        step = X.block_rows if _is_lazy_rows(X) else _block_rows(d)
    rows, cols = [], []
    for qs in range(0, nq, step):
        qe = min(nq, qs + step)
        Qb = _rows_of(Q, qs, qe)
        _check_finite(Qb, "labeled" if not sym else "embeddings")
        for cs in range(qs if sym else 0, n, step):
            ce = min(n, cs + step)
            diag = sym and cs == qs
            Cb = Qb if diag else _rows_of(X, cs, ce)
            i, j = _close_pairs(Qb, Cb, delta, upper=diag)
            rows.append(i + qs)
            cols.append(j + cs)
            if sym:  # the mirrored pairs (the diagonal once)
                off = (i + qs) != (j + cs)
                rows.append(j[off] + cs)
                cols.append(i[off] + qs)
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    data = np.ones(r.shape[0], dtype=np.int8)
    A = sparse.csr_matrix((data, (r, c)), shape=(nq, n))
    A.sum_duplicates()  # none: sorts the indices
    return A


@renamed_keywords(n="n_instances")
@validate_params(
    {
        "embeddings": ["array-like"],
        "n_instances": [_POSITIVE_INT],
        "delta": [Interval(Real, 0, math.inf, closed="neither")],
        "labeled": ["array-like", None],
        "random_state": ["random_state"],
        "chunk_size": [_POSITIVE_INT, None],
    }
)
def probcover_sampling(
    embeddings, n_instances, *, delta, labeled=None, random_state=None, chunk_size=None
):
    """ProbCover: greedy maximum coverage of delta-balls (Yehuda et al., 2022).

    A directed graph has an edge ``x -> y`` iff ``||x - y|| < delta``.  Points
    inside the balls of labeled points are covered first; each pick is the
    pool point whose ball contains the most not-yet-covered points, after
    which those points become covered.  When nothing more can be covered the
    remaining picks are uniform among unselected rows.

    Parameters
    ----------
    embeddings : array-like or torch.Tensor of shape (n_samples, n_features)
        Pool embeddings.
    n_instances : int
        Number of rows to select. Formerly ``n``: the keyword ``n=`` still
        works but emits a :class:`FutureWarning`.
    delta : float
        Ball radius, > 0.
    labeled : array-like or Tensor of shape (n_labeled, n_features), default=None
        Embeddings of the labeled samples.
    random_state : int, RandomState instance or None, default=None
        Seeds tie-breaking and the uniform fill-up (one number per pick).
    chunk_size : int or None, default=None
        Rows per block of the distance passes (default: the blocks of a lazy
        embedding, else 4 Mi values per block).  The picks do not depend on
        it.

    Returns
    -------
    indices : ndarray of shape (n_instances,), dtype int64
        Unique row indices into ``embeddings`` in selection order.

    Notes
    -----
    The graph is stored as a sparse CSR matrix; its size is the number of
    pairs closer than ``delta``, so ``delta`` should be chosen small enough
    (the paper picks it so that about 95% of the balls are label-pure).

    It is built by block x block distance passes: every block of rows meets
    every block on and above it (the graph is symmetric), by the expansion
    around the block's mean in the embeddings' dtype, in tiles of 4 Mi
    values.  The pairs that could be closer than ``delta`` within that
    pass's rounding error (a bound from the norms of the two points) are
    evaluated exactly, by direct differences in float64, and kept when
    their distance is ``< delta`` (open balls).  So the graph, and the
    picks, do not depend on the blocking: an embedding that does not fit
    in memory -- an :class:`~skactive.pools.ArrayFile`, a
    :class:`numpy.memmap`, a float16 file, a dask array -- is read in
    blocks of rows (converted as in memory: float16 to float32) and gives
    the picks of the in-memory call.  Peak memory is ``O(block * d +
    n_edges)``: two blocks of rows, one distance tile and the edges; the
    file is read about ``n_blocks / 2`` times.

    References
    ----------
    .. [1] Yehuda, O., Dekel, A., Hacohen, G., & Weinshall, D. (2022). Active
       learning through a covering lens. NeurIPS.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.selection import probcover_sampling
    >>> X = np.array([0.0, 0.05, 0.1, 0.15, 0.2, 5.0, 5.1, 5.2])[:, None]
    >>> probcover_sampling(X, 2, delta=0.15, random_state=0)
    array([2, 6])
    """
    X = _to_tensor(
        embeddings,
        "embeddings",
        device=torch.device("cpu"),
        check_finite=False,
        lazy_ok=True,
    )
    n_pool, n_feat = X.shape
    n = check_n_instances(n_instances, n_pool, caller="probcover_sampling")
    delta = float(delta)
    step = None if chunk_size is None else int(chunk_size)
    lab = _check_labeled(labeled, n_feat, device=torch.device("cpu"))
    rng = check_random_state(random_state)

    A = _ball_graph(X, delta, step=step)  # out-edges: ball(x); symmetric
    AT = A  # in-edges: the x whose ball contains y (the same pairs)
    uncovered = np.ones(n_pool, dtype=bool)
    if lab is not None:
        L = _ball_graph(X, delta, Q=lab, step=step)
        uncovered[L.indices] = False
    counts = np.asarray(A @ uncovered.astype(np.int64)).ravel()

    picks = np.empty(n, dtype=np.int64)
    picked = np.zeros(n_pool, dtype=bool)
    for k in range(n):
        u = rng.random_sample()
        m = counts.max()
        if m > 0:
            ties = np.flatnonzero(counts == m)
            idx = int(ties[min(int(u * len(ties)), len(ties) - 1)])
            ball = A.indices[A.indptr[idx] : A.indptr[idx + 1]]
            new = ball[uncovered[ball]]
            uncovered[new] = False
            if new.shape[0]:
                sub = AT[new]
                counts -= np.bincount(sub.indices, minlength=n_pool)
        else:
            idx = _uniform_unpicked(picked, u)
        picks[k] = idx
        picked[idx] = True
    return picks
