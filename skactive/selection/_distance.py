"""The distance engine of the farthest-point selectors (k-center, D^p sampling, BADGE).

Squared Euclidean distances from every pool row to a growing set of centres,
kept in one vector of pool length and updated in place:

* :class:`_ShiftedEuclidean` -- plain embeddings, through the expansion
  ``||x'||^2 - 2 x.c' + ||c'||^2 + 2 m.c'`` around the pool mean ``m``
  (``x' = x - m``); it also keeps lazy upper bounds (k-center greedy brings
  up to date only the rows that can still be the maximum) and evaluates
  near-ties exactly in float64;
* :class:`_GradientUpdater` -- BADGE gradient embeddings
  ``g = u (x) f`` without forming them;
* the squared norms and means these need, computed through small reusable
  scratch blocks;
* the tolerances: per row, the squared distance below which it is rounding
  noise (:class:`_ZeroTolerance`), and the rounding-error bounds that decide
  which near-maximal rows are re-evaluated exactly (:class:`_PairTolerance`).
  Both come from the norms of the two points involved, never from the
  largest norm of the data: one far row must not hide every other distance.

No ``n x n`` matrix and no centred copy of the pool are ever formed.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._arrays import _BLOCK_ELEMS
from ._blocks import _is_lazy_rows

# Rows per pass of the per-pick distance update.  The only temporary of that
# pass is one vector of this length, so the default can be large; a single
# chunk avoids Python overhead for pools of up to a million rows.
_DEFAULT_UPDATE_ROWS = 1 << 20
# The rounding error of a squared distance ``||x - c||^2`` of the fast pass
# scales with the norms of the two points involved: with ``s = max(||x'||,
# ||c'||)^2`` (norms relative to the pool mean ``m``) it stays below
# ``4.5 * eps * (s + ||m|| sqrt(s))`` on Gaussian data of 8 to 512
# dimensions, with or without an offset.  A row's squared distance below
# ``_ZERO_RTOL * eps * sqrt(d) * (s + ||m|| sqrt(s))``, ``s = ||x'||^2`` (a
# copy of a centre has its norm), is rounding noise and counts as 0.
_ZERO_RTOL = 16.0
# At temperature 0, rows whose squared distance could reach the maximum's
# within ``_TIE_RTOL * eps * d**0.25 * (s + ||m|| sqrt(s))`` (each row with
# its own ``s``) are re-evaluated exactly.
_TIE_RTOL = 4.0
# Elements of the reusable scratch block for elementwise passes on CPU: it
# stays in cache, is allocated once (fresh large allocations cost page
# faults on every call), and at torch's parallel grain size (32 Ki elements)
# the small per-chunk operations run without OpenMP synchronisation, which
# is very costly when the machine is oversubscribed.
_SCRATCH_ELEMS = 1 << 15


def _scratch_rows(X):
    """Rows of a reusable scratch block for elementwise passes over ``X``.

    On CPU a small block (see ``_SCRATCH_ELEMS``); on GPUs a large one
    (fewer kernel launches; the caching allocator makes allocation free).
    """
    elems = _BLOCK_ELEMS if X.device.type != "cpu" else _SCRATCH_ELEMS
    return max(1, min(X.shape[0], elems // max(1, X.shape[1])))


def _sq_norms(X, shift=None):
    """Row-wise ``||x - shift||^2`` through a small reusable scratch block.

    An out-of-core ``X`` (:class:`~skactive.selection._blocks._LazyRows`)
    is read block by block; each row's value is the same as in memory.
    """
    if _is_lazy_rows(X):
        out = torch.empty(X.shape[0], dtype=X.dtype, device=X.device)
        for s, e, block in X.blocks():
            out[s:e] = _sq_norms(block, shift)
        return out
    n, d = X.shape
    out = torch.empty(n, dtype=X.dtype, device=X.device)
    rows = _scratch_rows(X)
    scratch = torch.empty((rows, d), dtype=X.dtype, device=X.device)
    for s in range(0, n, rows):
        e = min(n, s + rows)
        xs = scratch[: e - s]
        if shift is not None:
            torch.sub(X[s:e], shift, out=xs)
        else:
            xs.copy_(X[s:e])
        torch.sum(xs.mul_(xs), dim=1, out=out[s:e])
    return out


# Rows per block of the column sums of :func:`_column_mean`.
_MEAN_ROWS = 1 << 12
# Significant bits kept of the reference point (see :func:`_column_mean`).
_MEAN_BITS = 8


def _round_bits(v, bits):
    """``v`` (a float64 tensor) rounded to ``bits`` significant bits."""
    a = v.cpu().numpy()
    mant, expo = np.frexp(a)
    scale = float(1 << bits)
    r = np.ldexp(np.round(mant * scale) / scale, expo)
    return torch.from_numpy(r).to(v.device)


def _block_sums(X):
    """Column sums in float64, block by block (in memory or out of core)."""
    total = torch.zeros(X.shape[1], dtype=torch.float64, device=X.device)
    if _is_lazy_rows(X):
        for _, _, block in X.blocks():
            for s in range(0, block.shape[0], _MEAN_ROWS):
                total += block[s : s + _MEAN_ROWS].to(torch.float64).sum(dim=0)
        return total
    for s in range(0, X.shape[0], _MEAN_ROWS):
        total += X[s : s + _MEAN_ROWS].to(torch.float64).sum(dim=0)
    return total


def _reference_point(column_sums, n_rows, dtype):
    """The mean row from float64 column sums, rounded to ``_MEAN_BITS`` bits.

    Only a reference point for the expansion (any fixed point near the data
    works): rounded to 8 significant bits it is the same whatever order the
    sums were accumulated in -- in memory, block by block from a file, or
    shard by shard on Dask workers -- so every path computes bit-identical
    squared norms and distances.
    """
    return _round_bits(column_sums / n_rows, _MEAN_BITS).to(dtype)


def _column_mean(X):
    """The reference point of the expansion: the mean row, rounded.

    See :func:`_reference_point`.
    """
    return _reference_point(_block_sums(X), X.shape[0], X.dtype)


class _ShiftedEuclidean:
    """Squared Euclidean distances via an expansion around the pool mean.

    With ``x' = x - m`` (``m`` the mean row) and precomputed ``||x'||^2``,

    ``||x - c||^2 = ||x'||^2 - 2 x.c' + (||c'||^2 + 2 m.c')``,

    which needs only a matrix-vector product with the *original* rows (no
    centred copy) while its rounding error scales with ``||c'||`` instead of
    ``||c||`` -- much better for embeddings far from the origin.

    The rounding error of each squared distance is bounded from the norms of
    its two points (:meth:`zero_tol`, :meth:`tie_tolerance`), never from the
    largest norm of the pool or of the labeled rows: one far row must not
    make every other distance look like rounding noise.
    """

    def __init__(self, X, chunk_rows, reference=None):
        self.X = X
        self.n, self.d = X.shape
        # the reference point: the pool mean, or given (the mean of the whole
        # pool when X is one shard of it: see skactive.distributed)
        self.m = _column_mean(X) if reference is None else reference.to(X.dtype)
        self.m64 = self.m.to(torch.float64)
        self.sqn = _sq_norms(X, self.m)  # ||x'||^2
        self.r = self.sqn.clamp(min=0).sqrt_()  # ||x'||
        self.m_norm = float(torch.linalg.vector_norm(self.m64))
        self.lab_sq_max = 0.0  # largest ||l'||^2 of the labeled rows
        self.lazy = _is_lazy_rows(X)
        if self.lazy:  # one block of the file in memory per pass
            chunk_rows = min(chunk_rows, X.block_rows)
        self.rows = min(self.n, chunk_rows)
        self.buf = torch.empty(self.rows, dtype=X.dtype, device=X.device)
        self.L = None  # labeled embeddings (set by min_to_set)
        self.centres = []  # rows added by __call__
        self._centre_rows = []  # their values (or those of outside centres)
        # float64 copies for exact_sq, created on first use
        self._c64 = torch.empty((0, self.d), dtype=torch.float64, device=X.device)
        self._c64_sq = torch.empty(0, dtype=torch.float64, device=X.device)
        self._c64_rows = 0
        self._L64 = None

    @classmethod
    def settler(cls, reference, labeled, device):
        """Only the float64 settling (:meth:`exact_sq_rows`), without a pool.

        The driver of a distributed pool settles near-ties with it: it gets
        the labeled rows and every centre row (:meth:`add_centre_row`), and
        computes exactly what the engine of one process would.
        """
        self = object.__new__(cls)
        self.m = reference
        self.m64 = reference.to(torch.float64)
        self.d = reference.shape[0]
        self.L = labeled
        self._centre_rows = []
        self._c64 = torch.empty((0, self.d), dtype=torch.float64, device=device)
        self._c64_sq = torch.empty(0, dtype=torch.float64, device=device)
        self._c64_rows = 0
        self._L64 = None
        self._device = device
        return self

    def add_centre_row(self, row):
        """Record a centre (a row of X's dtype) for the settling only."""
        self._centre_rows.append(row)

    def zero_tol(self, rtol=_ZERO_RTOL, dim_power=0.5):
        """Per row, the squared distance below which it counts as 0.

        ``rtol * eps * d**dim_power * (||x'||^2 + ||m|| ||x'||)``: the bound
        on the rounding error of the row's distance to a copy of itself.  A
        row at a positive distance above its bound is never taken for a copy
        of a centre, however far other rows (labeled or not) are.
        """
        k = rtol * torch.finfo(self.X.dtype).eps * self.d**dim_power
        return _ZeroTolerance(self.r.add(self.m_norm).mul_(self.r).mul_(k))

    def tie_tolerance(self, rtol=_TIE_RTOL, dim_power=0.25):
        """Row-wise bounds on the rounding error, to settle near-ties exactly.

        Create it after :meth:`min_to_set` (it reads the labeled rows' norms).
        """
        k = rtol * torch.finfo(self.X.dtype).eps * self.d**dim_power
        return _PairTolerance(self, k)

    def _shifted(self, C):
        """``C - m`` in X's dtype and the offsets ``||c'||^2 + 2 m.c'``."""
        Cs = (C.to(torch.float64) - self.m64).to(self.X.dtype)
        Cd = Cs.to(torch.float64)
        off = (Cd * Cd).sum(-1) + 2.0 * (Cd @ self.m64)
        return Cs, off

    def min_to_set(self, L, *, block_elems=_BLOCK_ELEMS):
        """``min_j ||X_i - L_j||^2`` for every row; both sides chunked."""
        X, n, m = self.X, self.n, L.shape[0]
        self.L = L
        lc = min(m, 4096, block_elems)
        rc = max(1, block_elems // lc)
        out = torch.empty(n, dtype=X.dtype, device=X.device)
        # both temporaries allocated once and reused for every block
        blk_buf = torch.empty(min(n, rc) * lc, dtype=X.dtype, device=X.device)
        mn_buf = torch.empty(min(n, rc), dtype=X.dtype, device=X.device)
        for t in range(0, m, lc):
            Ls, off = self._shifted(L[t : t + lc])
            Ld = Ls.to(torch.float64)
            self.lab_sq_max = max(self.lab_sq_max, float((Ld * Ld).sum(-1).max()))
            off = off.to(X.dtype).unsqueeze(0)
            for s in range(0, n, rc):
                e = min(n, s + rc)
                blk = blk_buf[: (e - s) * Ls.shape[0]].view(e - s, Ls.shape[0])
                torch.addmm(off, X[s:e], Ls.T, alpha=-2, out=blk)
                if t == 0:
                    torch.amin(blk, dim=1, out=out[s:e])
                else:
                    mn = mn_buf[: e - s]
                    torch.amin(blk, dim=1, out=mn)
                    torch.minimum(out[s:e], mn, out=out[s:e])
        return out.add_(self.sqn).clamp_(min=0)

    def __call__(self, d2, idx):
        """``d2 <- min(d2, ||X - X[idx]||^2)`` in one pass; ``d2[idx] = 0``."""
        d2 = self.update_with(d2, self.X[idx])
        d2[idx] = 0
        self.centres.append(idx)
        return d2

    def update_with(self, d2, row):
        """``d2 <- min(d2, ||X - row||^2)`` in one pass, for any centre ``row``.

        ``row`` (a vector in X's dtype) need not be a row of ``X``: on a
        shard of a distributed pool it comes from another shard.
        """
        X, sqn, buf, rows, n = self.X, self.sqn, self.buf, self.rows, self.n
        self._centre_rows.append(row)
        c = row - self.m  # c' (the centre relative to the mean)
        c64 = c.to(torch.float64)
        off = (c64 @ c64 + 2.0 * (c64 @ self.m64)).to(X.dtype)  # ||c'||^2 + 2 m.c'
        if d2 is None:
            d2 = torch.full((n,), math.inf, dtype=X.dtype, device=X.device)
        if rows == n and not self.lazy:  # single chunk: no slicing overhead
            # buf = sqn + off first, then gemv accumulates into it in place
            # (addmv with input is out skips its internal copy)
            torch.add(sqn, off, out=buf)
            torch.addmv(buf, X, c, alpha=-2, out=buf)
            torch.minimum(d2, buf, out=d2)
            return d2
        for s in range(0, n, rows):
            e = min(n, s + rows)
            b = buf[: e - s]
            torch.add(sqn[s:e], off, out=b)
            torch.addmv(b, X[s:e], c, alpha=-2, out=b)  # no clamp: values
            # <= tol count as 0 when drawing
            d2v = d2[s:e]
            torch.minimum(d2v, b, out=d2v)
        return d2

    # -- lazy updates (k-center greedy) ------------------------------------
    # ``d2`` may hold *upper bounds*: ``seen[i]`` counts the centres (in the
    # order of ``self.centres``) already folded into ``d2[i]``.  Rows that
    # cannot be the argmax are never brought up to date.
    def start_lazy(self, n_centres_folded):
        """Begin lazy updates; ``d2`` is exact for the first centres."""
        X = self.X
        self.seen = torch.full(
            (self.n,), n_centres_folded, dtype=torch.int32, device=X.device
        )
        self._lz = torch.empty((64, self.d), dtype=X.dtype, device=X.device)
        self._lz_off = torch.empty(64, dtype=X.dtype, device=X.device)
        self._lz_base = n_centres_folded  # centres before lazy mode
        self._lz_rows = 0

    def add_centre_lazy(self, d2, idx):
        """Add row ``idx`` to the centre set without a pass over the pool."""
        k = self._lz_rows
        if k == self._lz.shape[0]:  # grow geometrically
            grown = torch.empty(
                (2 * k, self.d), dtype=self.X.dtype, device=self.X.device
            )
            grown[:k] = self._lz
            grown_off = torch.empty(2 * k, dtype=self.X.dtype, device=self.X.device)
            grown_off[:k] = self._lz_off
            self._lz, self._lz_off = grown, grown_off
        row = self.X[idx]
        self._centre_rows.append(row)
        c = row - self.m
        c64 = c.to(torch.float64)
        self._lz[k] = c
        self._lz_off[k] = (c64 @ c64 + 2.0 * (c64 @ self.m64)).to(self.X.dtype)
        self._lz_rows = k + 1
        self.centres.append(idx)
        d2[idx] = 0
        self.seen[idx] = self._lz_base + k + 1
        return d2

    def refresh(self, d2, rows):
        """Fold the centres that rows ``rows`` have not seen into ``d2``."""
        total = self._lz_base + self._lz_rows
        seen = self.seen[rows]
        stale = seen < total
        if not bool(stale.any()):
            return False
        rows, seen = rows[stale], seen[stale] - self._lz_base
        # rows that saw the fewest centres first, so that every block only
        # spans the centres its rows miss
        order = torch.argsort(seen)
        rows, seen = rows[order], seen[order]
        k = self._lz_rows
        step = max(1, _BLOCK_ELEMS // max(1, k))
        if self.lazy:  # rows gathered from a file: one block at a time
            step = min(step, self.X.block_rows)
        for s in range(0, rows.shape[0], step):
            r, sn = rows[s : s + step], seen[s : s + step]
            s0 = int(sn[0])
            cols = torch.arange(s0, k, device=self.X.device)
            blk = torch.addmm(
                self._lz_off[s0:k].unsqueeze(0), self.X[r], self._lz[s0:k].T, alpha=-2
            )
            blk.masked_fill_(cols.unsqueeze(0) < sn.unsqueeze(1), math.inf)
            fresh = blk.amin(dim=1).add_(self.sqn[r])
            d2[r] = torch.minimum(d2[r], fresh)
        self.seen[rows] = total
        return True

    def _centres64(self):
        """float64 copies of the centre rows minus the mean, grown lazily."""
        p, done = len(self._centre_rows), self._c64_rows
        if p > self._c64.shape[0]:  # grow geometrically
            grown = torch.empty(
                (max(2 * p, 64), self.d), dtype=torch.float64, device=self._c64.device
            )
            grown[:done] = self._c64[:done]
            grown_sq = torch.empty(
                grown.shape[0], dtype=torch.float64, device=grown.device
            )
            grown_sq[:done] = self._c64_sq[:done]
            self._c64, self._c64_sq = grown, grown_sq
        if p > done:
            new = self._c64[done:p]
            fresh = torch.stack(self._centre_rows[done:p])
            torch.sub(fresh.to(torch.float64), self.m64, out=new)
            self._c64_sq[done:p] = (new * new).sum(dim=1)
            self._c64_rows = p
        return self._c64[:p], self._c64_sq[:p]

    def exact_sq(self, cand):
        """float64 squared distances of rows ``cand`` to the centre set.

        Used to settle near-ties of the fast float32 pass: the expansion is
        evaluated in float64 around the mean (relative error ~1e-15, far
        below float32 rounding) against float64 copies of the centres, kept
        incrementally, so a call costs ``len(cand) x n_centres x d`` flops
        and no large temporaries.
        """
        return self.exact_sq_rows(self.X[cand])

    def exact_sq_rows(self, rows):
        """:meth:`exact_sq` of the rows ``rows`` (values, in X's dtype)."""
        Q = rows.to(torch.float64) - self.m64
        qq = (Q * Q).sum(dim=1)
        best = torch.full_like(qq, math.inf)

        def fold(C, csq):
            nonlocal best
            d = torch.addmm(csq.unsqueeze(0), Q, C.T, alpha=-2).add_(qq.unsqueeze(1))
            best = torch.minimum(best, d.amin(dim=1))

        if self.L is not None:
            if self._L64 is None and self.L.numel() <= _BLOCK_ELEMS:
                L64 = self.L.to(torch.float64) - self.m64
                self._L64 = (L64, (L64 * L64).sum(dim=1))
            if self._L64 is not None:
                fold(*self._L64)
            else:  # large labeled set: convert by chunks on the fly
                step = max(1, _BLOCK_ELEMS // self.d)
                for t in range(0, self.L.shape[0], step):
                    L64 = self.L[t : t + step].to(torch.float64) - self.m64
                    fold(L64, (L64 * L64).sum(dim=1))
        if self._centre_rows:
            fold(*self._centres64())
        return best.clamp_(min=0)


class _ZeroTolerance:
    """The squared distance below which a row counts as 0 (rounding noise).

    ``values``: one per row (a tensor) or one for all rows (a float).
    """

    def __init__(self, values):
        self.values = values
        if isinstance(values, torch.Tensor):
            self.max = float(values.max()) if values.numel() else 0.0
            self._rows = values.cpu().numpy()  # no copy on CPU
        else:
            self.max = float(values)
            self._rows = None

    def positive(self, sq, row):
        """Whether squared distance ``sq`` of row ``row`` is above the noise.

        ``row=None``: whether it is above every row's noise.
        """
        if sq > self.max:
            return True
        return row is not None and self._rows is not None and sq > self._rows[row]


class _PairTolerance:
    """Bounds on the rounding error of the fast pass, one per row.

    The error of ``||x - c||^2`` scales with ``s = max(||x'||, ||c'||)^2``
    and ``||m|| sqrt(s)`` (see ``_TIE_RTOL``).  Which centre ``c`` is a row's
    nearest one is not kept, but ``||c'|| <= ||x'|| + ||x - c||``, and
    ``||c'|| <= R``, the largest norm of the labeled and pool rows; for a row
    at squared distance up to ``sq``, ``s = max(r, min(r + sqrt(sq), R))^2``
    with ``r = ||x'||``.  So a far row has a large bound of its own but
    inflates no other row's.
    """

    def __init__(self, engine, k):
        self.k = k
        self.m_norm = engine.m_norm
        self.r = engine.r
        self._r = engine.r.cpu().numpy()  # scalar access (no copy on CPU)
        self.r_max = float(self._r.max())
        self.R = max(self.r_max, math.sqrt(engine.lab_sq_max))

    def _err(self, root):
        return self.k * root * (root + self.m_norm)

    def bound(self, sq):
        """An upper bound of :meth:`at` over every row."""
        r = self.r_max
        return self._err(max(r, min(r + math.sqrt(max(sq, 0.0)), self.R)))

    def at_one(self, row, sq):
        """The bound of one row (an int)."""
        r = float(self._r[row])
        return self._err(max(r, min(r + math.sqrt(max(sq, 0.0)), self.R)))

    def at(self, rows, sq):
        """The bounds of rows ``rows`` (an index tensor; ``None``: all)."""
        r = self.r if rows is None else self.r[rows]
        root = torch.maximum(r, (r + math.sqrt(max(sq, 0.0))).clamp_(max=self.R))
        return root.add(self.m_norm).mul_(root).mul_(self.k)


class _UniformTolerance:
    """The same bound for every row (the interface of :class:`_PairTolerance`)."""

    def __init__(self, value):
        self.value = float(value)

    def bound(self, sq):
        return self.value

    def at_one(self, row, sq):
        return self.value

    def at(self, rows, sq):
        return self.value


def _zero_tol(sq, n_features, dtype):
    """``_ZERO_RTOL * eps * sqrt(n_features) * sq`` (elementwise for tensors).

    With ``sq`` the squared norm of each row (the scale of its distance to a
    copy of itself), the per-row squared distance that counts as 0.
    """
    return _ZERO_RTOL * torch.finfo(dtype).eps * math.sqrt(n_features) * sq


class _GradientUpdater:
    """Like :class:`_ShiftedEuclidean`, for BADGE gradient embeddings.

    ``||g_i - g_j||^2 = a_i + a_j - 2 (u_i . u_j)(f_i . f_j)`` with
    ``a = ||u||^2 ||f||^2``; ``g`` itself is never formed.
    """

    def __init__(self, F, U, a, chunk_rows):
        self.F, self.U, self.a = F, U, a
        self.n = F.shape[0]
        if _is_lazy_rows(F):  # one block of the file in memory per pass
            chunk_rows = min(chunk_rows, F.block_rows)
        self.rows = min(self.n, chunk_rows)
        self.buf_f = torch.empty(self.rows, dtype=F.dtype, device=F.device)
        self.buf_u = torch.empty(self.rows, dtype=F.dtype, device=F.device)

    def __call__(self, d2, idx):
        d2 = self.update_with(d2, self.F[idx], self.U[idx], self.a[idx])
        d2[idx] = 0
        return d2

    def update_with(self, d2, fj, uj, aj):
        """``d2 <- min(d2, ||g - g_j||^2)`` for a centre given by its parts.

        ``fj``, ``uj``, ``aj``: the centre's embedding, ``p - e_yhat`` and
        squared gradient norm (from another shard of a distributed pool).
        """
        F, U, a, rows = self.F, self.U, self.a, self.rows
        if d2 is None:
            d2 = torch.full((self.n,), math.inf, dtype=F.dtype, device=F.device)
        for s in range(0, self.n, rows):
            e = min(self.n, s + rows)
            bf, bu = self.buf_f[: e - s], self.buf_u[: e - s]
            torch.mv(F[s:e], fj, out=bf)
            torch.mv(U[s:e], uj, out=bu)
            torch.addcmul(a[s:e], bf, bu, value=-2.0, out=bf).add_(aj)
            d2v = d2[s:e]
            torch.minimum(d2v, bf, out=d2v)
        return d2
