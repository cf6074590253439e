"""Diversity-based batch selection on precomputed embeddings.

Every selector in this module is a pure function of arrays (embeddings,
class-probabilities, ...): none of them calls a model.  They return integer
indices into the pool, in selection order.

Implemented strategies

* :func:`diversity_sampling` -- temperature-controlled farthest-point sampling
  (Buchert et al., 2023).  ``temperature=0`` is k-center greedy (core-set,
  Sener & Savarese, 2018), ``temperature=0.5`` is k-means++ seeding.
* :func:`kcenter_greedy` -- alias of ``diversity_sampling(temperature=0)``.
* :func:`badge_sampling` -- BADGE (Ash et al., 2020): k-means++ seeding in
  the gradient-embedding space, computed without materialising the
  ``n x (d * C)`` gradient embeddings.
* :func:`typiclust_sampling` -- TypiClust (Hacohen et al., 2022).
* :func:`probcover_sampling` -- ProbCover (Yehuda et al., 2022).
* :func:`weighted_kmeans` and :func:`nearest_to_centers` -- building blocks
  for clustering-based selection.
* :func:`batch_diversity` -- mean pairwise distance of a batch.

Distances are computed with the expansion
``||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2`` in the dtype of the embeddings,
chunk by chunk, so that memory stays at about one copy of the embeddings plus
a few vectors of pool length; no ``n x n`` matrix is ever formed.  Random
draws use a :class:`numpy.random.RandomState` obtained from
:func:`sklearn.utils.check_random_state` (exactly one uniform number per
pick), so a seed gives the same picks on every torch device.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
import torch
from scipy import sparse
from sklearn.utils import check_random_state

__all__ = [
    "badge_sampling",
    "diversity_sampling",
    "kcenter_greedy",
    "nearest_to_centers",
    "probcover_sampling",
    "typiclust_sampling",
    "weighted_kmeans",
]

# Rows per pass of the per-pick distance update.  The only temporary of that
# pass is one vector of this length, so the default can be large; a single
# chunk avoids Python overhead for pools of up to a million rows.
_DEFAULT_UPDATE_ROWS = 1 << 20
# Number of elements of 2-D temporaries (distance blocks, squared-norm
# blocks): 4 Mi elements = 16 MiB in float32.
_BLOCK_ELEMS = 1 << 22
# Squared distances below ``_ZERO_RTOL * eps * sqrt(n_features) * max ||x||^2``
# are indistinguishable from rounding noise of the expansion and count as 0.
_ZERO_RTOL = 16.0
# At temperature 0, up to this many near-maximal rows (within 2 * _TIE_RTOL *
# eps * d**0.25 * scale of the maximum) are re-evaluated exactly.
_REFINE_MAX = 256
_TIE_RTOL = 4.0
# Elements of the reusable scratch block for elementwise passes on CPU: it
# stays in cache, is allocated once (fresh large allocations cost page
# faults on every call), and at torch's parallel grain size (32 Ki elements)
# the small per-chunk operations run without OpenMP synchronisation, which
# is very costly when the machine is oversubscribed.
_SCRATCH_ELEMS = 1 << 15
# At temperature 0, the rows with the largest distance bounds that are
# brought up to date per pick (doubled while that is not enough).
_LAZY_TOP = 32
# ... for pools of at least this many elements; a pass over a smaller pool
# costs less than the bookkeeping (the picks are the same either way).
_LAZY_MIN_ELEMS = 1 << 20
# Above this many rows TypiClust switches to MiniBatchKMeans.
_MINIBATCH_ROWS = 50_000


# --------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------
def _check_int(value, name, *, min_value=None, max_value=None, max_name=None):
    """Validate an integer parameter and return it as a Python ``int``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer, got {value!r} of type {type(value).__name__}."
        )
    value = int(value)
    if min_value is not None and value < min_value:
        raise ValueError(f"{name} must be >= {min_value}, got {name}={value}.")
    if max_value is not None and value > max_value:
        raise ValueError(
            f"{name}={value} is larger than {max_name} ({max_value})."
            if max_name
            else f"{name} must be <= {max_value}, got {name}={value}."
        )
    return value


def _check_n(n, n_pool, name="n"):
    return _check_int(
        n,
        name,
        min_value=1,
        max_value=n_pool,
        max_name="the number of rows in embeddings",
    )


def _check_real(value, name, *, positive=False, nonnegative=False):
    """Validate a finite real scalar."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {value!r} of type "
            f"{type(value).__name__}."
        )
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {name}={value!r}.")
    if positive and not value > 0:
        raise ValueError(f"{name} must be > 0, got {name}={value!r}.")
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {name}={value!r}.")
    return value


def _check_chunk_size(chunk_size):
    if chunk_size is None:
        return None
    return _check_int(chunk_size, "chunk_size", min_value=1)


def _resolve_device(device, data):
    """``device=None`` -> the device of a tensor input, otherwise CPU."""
    if device is None:
        return data.device if isinstance(data, torch.Tensor) else torch.device("cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            "device must be None, a str or a torch.device, got "
            f"{device!r} of type {type(device).__name__}."
        )
    try:
        return torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"device={device!r} is not a valid torch device.") from exc


def _describe(x):
    shape = tuple(getattr(x, "shape", ()))
    return f"shape {shape}"


def _to_tensor(x, name, *, device, dtype=None, allow_empty=False, check_finite=True):
    """Convert array-like or tensor ``x`` into a 2-D finite floating tensor.

    numpy inputs that are already C-contiguous float32/float64 are wrapped
    without a copy (on CPU).  Integer and boolean inputs become float64,
    half-precision inputs float32.
    """
    if isinstance(x, torch.Tensor):
        t = x.detach()
        if not (t.is_floating_point() or t.dtype == torch.bool) and t.dtype not in (
            torch.uint8,
            torch.int8,
            torch.int16,
            torch.int32,
            torch.int64,
        ):
            raise TypeError(f"{name} must be numeric, got dtype {t.dtype}.")
    else:
        try:
            arr = np.asarray(x)
        except Exception as exc:  # ragged lists etc.
            raise TypeError(
                f"{name} must be an array-like of numbers, got {type(x).__name__}."
            ) from exc
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} must be numeric, got an array of dtype {arr.dtype} "
                f"({type(x).__name__})."
            )
        if arr.dtype.kind != "f" or arr.dtype.itemsize > 8:
            arr = arr.astype(np.float64)
        elif arr.dtype.itemsize < 4:
            arr = arr.astype(np.float32)
        arr = np.ascontiguousarray(arr)
        with warnings.catch_warnings():
            # read-only arrays: we never write into the wrapped memory
            warnings.simplefilter("ignore", UserWarning)
            t = torch.from_numpy(arr)
    if t.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features), got a "
            f"{t.ndim}-D array with {_describe(t)}."
        )
    if not t.is_floating_point():
        t = t.to(torch.float64)
    elif t.dtype in (torch.float16, torch.bfloat16):
        t = t.to(torch.float32)
    if t.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column, got {_describe(t)}.")
    if t.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} must have at least one row, got {_describe(t)}.")
    t = t.to(device=device, dtype=dtype if dtype is not None else t.dtype)
    t = t.contiguous()
    if check_finite:
        _check_finite(t, name)
    return t


def _check_finite(t, name):
    """Raise ``ValueError`` naming ``name`` if ``t`` has NaN or infinity."""
    rows = max(1, _BLOCK_ELEMS // max(1, t.shape[1]))
    for s in range(0, t.shape[0], rows):
        if not bool(torch.isfinite(t[s : s + rows]).all()):
            raise ValueError(f"{name} contains NaN or infinity.")


def _check_finite_derived(t, derived, name):
    """Cheap finiteness test through vectors derived from ``t`` in one pass.

    NaN or infinity in ``t`` propagates into ``derived`` (norms, means); only
    when ``derived`` is not finite is ``t`` scanned to tell NaN/inf input
    apart from overflow of finite but huge values.
    """
    if all(bool(torch.isfinite(v).all()) for v in derived):
        return
    _check_finite(t, name)
    raise ValueError(
        f"{name} has values too large for {t.dtype}: squared norms overflow; "
        "rescale the embeddings or use float64."
    )


def _to_numpy(x, name, *, allow_empty=False, keep_float32=False):
    """2-D finite float64 numpy array from array-like or tensor.

    ``keep_float32``: float32 input stays float32 (half the memory traffic
    for k-means and neighbour searches).
    """
    t = _to_tensor(
        x, name, device=torch.device("cpu"), dtype=None, allow_empty=allow_empty
    )
    dtype = np.float32 if keep_float32 and t.dtype == torch.float32 else np.float64
    return np.asarray(t.numpy(), dtype=dtype)


def _check_labeled(labeled, n_features, *, device=None, dtype=None, as_numpy=False):
    """``labeled`` is ``None`` or a 2-D array of labeled embeddings."""
    if labeled is None:
        return None
    if as_numpy:
        lab = _to_numpy(labeled, "labeled", allow_empty=True)
    else:
        lab = _to_tensor(
            labeled, "labeled", device=device, dtype=dtype, allow_empty=True
        )
    if lab.shape[1] != n_features:
        raise ValueError(
            f"labeled must have the same number of columns as embeddings "
            f"({n_features}), got labeled with {_describe(lab)}."
        )
    if lab.shape[0] == 0:
        return None
    return lab


# --------------------------------------------------------------------------
# distance kernels
# --------------------------------------------------------------------------
def _scratch_rows(X):
    """Rows of a reusable scratch block for elementwise passes over ``X``.

    On CPU a small block (see ``_SCRATCH_ELEMS``); on GPUs a large one
    (fewer kernel launches; the caching allocator makes allocation free).
    """
    elems = _BLOCK_ELEMS if X.device.type != "cpu" else _SCRATCH_ELEMS
    return max(1, min(X.shape[0], elems // max(1, X.shape[1])))


def _sq_norms(X, shift=None):
    """Row-wise ``||x - shift||^2`` through a small reusable scratch block."""
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


def _column_mean(X):
    """Mean row (one matrix-vector pass).

    Only used as a reference point for the expansion, so accumulation in
    X's dtype is accurate enough: any fixed point near the data works.
    """
    ones = torch.full((X.shape[0],), 1.0 / X.shape[0], dtype=X.dtype, device=X.device)
    return torch.mv(X.T, ones)


class _ShiftedEuclidean:
    """Squared Euclidean distances via an expansion around the pool mean.

    With ``x' = x - m`` (``m`` the mean row) and precomputed ``||x'||^2``,

    ``||x - c||^2 = ||x'||^2 - 2 x.c' + (||c'||^2 + 2 m.c')``,

    which needs only a matrix-vector product with the *original* rows (no
    centred copy) while its rounding error scales with ``||c'||`` instead of
    ``||c||`` -- much better for embeddings far from the origin.
    """

    def __init__(self, X, chunk_rows):
        self.X = X
        self.n, self.d = X.shape
        self.m = _column_mean(X)
        self.m64 = self.m.to(torch.float64)
        self.sqn = _sq_norms(X, self.m)  # ||x'||^2
        self.rows = min(self.n, chunk_rows)
        self.buf = torch.empty(self.rows, dtype=X.dtype, device=X.device)
        self.L = None  # labeled embeddings (set by min_to_set)
        self.centres = []  # rows added by __call__
        # float64 copies for exact_sq, created on first use
        self._c64 = torch.empty((0, self.d), dtype=torch.float64, device=X.device)
        self._c64_sq = torch.empty(0, dtype=torch.float64, device=X.device)
        self._c64_rows = 0
        self._L64 = None

    def zero_tol(self, extra_sq=0.0, rtol=_ZERO_RTOL, dim_power=0.5):
        """Bound on the rounding error of the fast pass.

        ``rtol * eps * d**dim_power * (max ||x'||^2 + ||m|| max ||x'||)``.
        The observed errors stay below ``4.5 * eps * (...)`` on Gaussian data
        of 8 to 512 dimensions, with or without an offset; the default
        (``16 sqrt(d)``) marks squared distances that count as 0.
        """
        max_sq = max(float(self.sqn.max()), extra_sq)
        scale = max_sq + float(torch.linalg.vector_norm(self.m64)) * math.sqrt(max_sq)
        eps = torch.finfo(self.X.dtype).eps
        return rtol * eps * self.d**dim_power * scale

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
        X, sqn, buf, rows, n = self.X, self.sqn, self.buf, self.rows, self.n
        c = X[idx] - self.m  # c' (the centre relative to the mean)
        c64 = c.to(torch.float64)
        off = (c64 @ c64 + 2.0 * (c64 @ self.m64)).to(X.dtype)  # ||c'||^2 + 2 m.c'
        if d2 is None:
            d2 = torch.full((n,), math.inf, dtype=X.dtype, device=X.device)
        if rows == n:  # single chunk: no slicing overhead
            # buf = sqn + off first, then gemv accumulates into it in place
            # (addmv with input is out skips its internal copy)
            torch.add(sqn, off, out=buf)
            torch.addmv(buf, X, c, alpha=-2, out=buf)
            torch.minimum(d2, buf, out=d2)
            d2[idx] = 0
            self.centres.append(idx)
            return d2
        for s in range(0, n, rows):
            e = min(n, s + rows)
            b = buf[: e - s]
            torch.add(sqn[s:e], off, out=b)
            torch.addmv(b, X[s:e], c, alpha=-2, out=b)  # no clamp: values
            # <= tol count as 0 when drawing
            d2v = d2[s:e]
            torch.minimum(d2v, b, out=d2v)
        d2[idx] = 0
        self.centres.append(idx)
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
        c = self.X[idx] - self.m
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
        p, done = len(self.centres), self._c64_rows
        if p > self._c64.shape[0]:  # grow geometrically
            grown = torch.empty(
                (max(2 * p, 64), self.d), dtype=torch.float64, device=self.X.device
            )
            grown[:done] = self._c64[:done]
            grown_sq = torch.empty(
                grown.shape[0], dtype=torch.float64, device=grown.device
            )
            grown_sq[:done] = self._c64_sq[:done]
            self._c64, self._c64_sq = grown, grown_sq
        if p > done:
            rows = torch.as_tensor(self.centres[done:], device=self.X.device)
            new = self._c64[done:p]
            torch.sub(self.X[rows].to(torch.float64), self.m64, out=new)
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
        if not hasattr(self, "_c64"):
            self._c64 = torch.empty(
                (0, self.d), dtype=torch.float64, device=self.X.device
            )
            self._c64_sq = torch.empty(0, dtype=torch.float64, device=self.X.device)
            self._c64_rows = 0
            self._L64 = None
        Q = self.X[cand].to(torch.float64) - self.m64
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
        if self.centres:
            fold(*self._centres64())
        return best.clamp_(min=0)


def _zero_tol(max_sq, n_features, dtype):
    return _ZERO_RTOL * torch.finfo(dtype).eps * math.sqrt(n_features) * max_sq


class _GradientUpdater:
    """Like :class:`_ShiftedEuclidean`, for BADGE gradient embeddings.

    ``||g_i - g_j||^2 = a_i + a_j - 2 (u_i . u_j)(f_i . f_j)`` with
    ``a = ||u||^2 ||f||^2``; ``g`` itself is never formed.
    """

    def __init__(self, F, U, a, chunk_rows):
        self.F, self.U, self.a = F, U, a
        self.n = F.shape[0]
        self.rows = min(self.n, chunk_rows)
        self.buf_f = torch.empty(self.rows, dtype=F.dtype, device=F.device)
        self.buf_u = torch.empty(self.rows, dtype=F.dtype, device=F.device)

    def __call__(self, d2, idx):
        F, U, a, rows = self.F, self.U, self.a, self.rows
        fj, uj, aj = F[idx], U[idx], a[idx]
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
        d2[idx] = 0
        return d2


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


def _argmax_draw(d2, u, tol, refine, tie_tol=None):
    """Argmax of ``d2`` with uniform tie-breaking (see :func:`_draw`).

    The maximum and the runner-up settle the usual case of a clear maximum;
    only when the runner-up is within the tie window are candidates listed.
    """
    if d2.shape[0] == 1:
        m = float(d2[0])
        return (0, m) if m > tol else (-1, 0.0)
    top, i0 = d2.max(dim=0)
    v0, i0 = float(top), int(i0)
    if not v0 > tol:
        return -1, 0.0
    d2[i0] = -math.inf  # runner-up: two max passes are cheaper than topk
    v1 = float(d2.max())
    d2[i0] = top
    window = 0.0 if refine is None else 2.0 * (tol if tie_tol is None else tie_tol)
    if v0 - v1 > window:
        return i0, v0
    if refine is None:
        ties = torch.nonzero(d2 == v0).flatten()
    else:
        # usually 2-3 candidates: a small top-k instead of a full scan
        k_top = min(8, d2.shape[0])
        vals, rows = torch.topk(d2, k_top)
        ties = rows[vals >= v0 - window].sort().values  # index order
        if ties.shape[0] == k_top < d2.shape[0]:  # maybe more: full scan
            ties = torch.nonzero(d2 >= v0 - window).flatten()
        if ties.shape[0] <= _REFINE_MAX:
            exact = refine(ties)
            top = exact.max()
            ties, v0 = ties[exact == top], float(top)
        else:
            ties = ties[d2[ties] == v0]
    k = ties.shape[0]
    return int(ties[min(int(u * k), k - 1)]), v0


def _draw(d2, exponent, u, tol, refine=None, tie_tol=None, work=None):
    """One pick from squared distances ``d2``.

    ``exponent=None`` -> argmax with uniform tie-breaking, otherwise
    ``p_i ∝ d2_i ** exponent`` (``exponent = 1 / (2 T)``).  Returns ``-1``
    when every squared distance is (numerically) zero, i.e. ``<= tol``.

    With ``refine`` (rows -> float64 exact squared distances), the argmax is
    settled exactly among all rows within ``2 * tie_tol`` (default ``tol``;
    a bound on the rounding error of the fast pass) of the maximum, so
    float32 embeddings give the same picks as an exact computation.

    ``work``: two float64 buffers of ``len(d2)`` reused across picks.
    """
    if exponent is None:
        return _argmax_draw(d2, u, tol, refine, tie_tol)
    m = float(d2.max())
    if not m > tol:
        return -1, 0.0
    if work is None:
        work = torch.empty((2, d2.shape[0]), dtype=torch.float64, device=d2.device)
    w = work[0].copy_(d2)
    # weight 0 for rounding noise (<= tol, including values below 0)
    torch.nn.functional.threshold_(w, tol, 0.0)
    if exponent == 0.5:
        w.sqrt_()
    elif exponent != 1.0:  # normalise by the maximum: no overflow
        w.div_(m).pow_(exponent)
    idx = _pick_from_weights(w, u, out=work[1])
    return idx, float(d2[idx])


def _lazy_argmax_draw(d2, engine, u, tol, tie_tol, m):
    """Argmax of the exact distances when ``d2`` holds upper bounds.

    The rows with the ``k`` largest bounds (``k = m`` first) are brought up
    to date (``engine.refresh``).  Every other row's distance is at most the
    ``k``-th bound, so once the largest exact value among the top rows
    exceeds that bound by more than the tie window, the argmax and all rows
    that could tie with it are among the top rows; otherwise ``k`` doubles.
    Ties are then settled as in :func:`_argmax_draw` (exactly in float64,
    uniform choice among equal rows in index order).
    """
    n = d2.shape[0]
    window = 2.0 * tie_tol
    k = min(m, n)
    while True:
        if 4 * k > n:  # wide: bring every row up to date, no sort
            rows = torch.arange(n, device=d2.device)
            engine.refresh(d2, rows)
            vals = d2
            v0 = float(vals.max())
            break
        bounds, rows = torch.topk(d2, k)
        engine.refresh(d2, rows)
        vals = d2[rows]
        v0 = float(vals.max())
        if float(bounds[-1]) < v0 - window:
            break
        k *= 2
    if not v0 > tol:
        return -1, 0.0
    cand = rows[vals >= v0 - window]
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


def _lazy_kcenter_loop(n, n_pool, d2, engine, *, rng, tol, tie_tol):
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
        return _lazy_argmax_draw(d2, engine, u, tol, tie_tol, _LAZY_TOP)

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
    tol=0.0,
    picked=None,
    refine=None,
    tie_tol=None,
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
    picked : bool ndarray or None
        Rows selected before this loop (excluded from the uniform fill-up).
    draw : callable ``(d2, u) -> (idx, sq)`` or None
        Replaces :func:`_draw` (``idx = -1``: every distance is zero).
    """
    picks = np.empty(n, dtype=np.int64)
    dists = np.empty(n, dtype=np.float64)
    picked = np.zeros(n_pool, dtype=bool) if picked is None else picked
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
                idx, sq = _draw(d2, exponent, u, tol, refine, tie_tol, work)
            if idx < 0:
                exhausted = True
                idx, sq = _uniform_unpicked(picked, u), 0.0
        picks[k], dists[k] = idx, math.sqrt(sq)
        picked[idx] = True
        if k + 1 < n and not exhausted:
            d2 = update(d2, idx)
    return picks, dists


# --------------------------------------------------------------------------
# diversity sampling / k-center greedy
# --------------------------------------------------------------------------
def diversity_sampling(
    embeddings,
    n,
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
    n : int
        Number of rows to select, ``1 <= n <= n_samples``.
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
    indices : ndarray of shape (n,), dtype int64
        Unique row indices into ``embeddings`` in selection order.
    distances : ndarray of shape (n,), dtype float64
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
    within the rounding error of the maximum are re-evaluated in float64
    (to ~1e-15 relative), so float32 embeddings select the same rows as an
    exact computation.  Sampling weights are computed in
    float64 as :math:`(d_i / d_{max})^{1/T}`, which neither overflows nor
    loses the maximum for tiny temperatures.

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

    A selected row has distance 0 and is never selected again.  Squared
    distances below the rounding noise of the expansion count as 0; when
    every remaining distance is 0 (duplicates), the remaining picks are
    drawn uniformly among the rows not selected yet.

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
    >>> from skactive.diversity import diversity_sampling
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
    X = _to_tensor(embeddings, "embeddings", device=dev, check_finite=False)
    n_pool, n_feat = X.shape
    n = _check_n(n, n_pool)
    temperature = _check_real(temperature, "temperature", nonnegative=True)
    chunk = _check_chunk_size(chunk_size)
    if not isinstance(return_distances, (bool, np.bool_)):
        raise TypeError(f"return_distances must be a bool, got {return_distances!r}.")
    lab = _check_labeled(labeled, n_feat, device=dev, dtype=X.dtype)
    rng = check_random_state(random_state)

    update = _ShiftedEuclidean(X, chunk or _DEFAULT_UPDATE_ROWS)
    _check_finite_derived(X, (update.m, update.sqn), "embeddings")
    d2 = None
    extra = 0.0
    if lab is not None:
        d2 = update.min_to_set(lab)
        extra = float(_sq_norms(lab, update.m).max())
    tol = update.zero_tol(extra)
    tie_tol = update.zero_tol(extra, rtol=_TIE_RTOL, dim_power=0.25)
    exponent = None if temperature == 0 else 1.0 / (2.0 * temperature)
    if exponent is not None and not math.isfinite(exponent):
        raise ValueError(
            f"temperature={temperature!r} is too small; use temperature=0."
        )
    if exponent is None and n_pool * n_feat >= _LAZY_MIN_ELEMS:
        picks, dists = _lazy_kcenter_loop(
            n, n_pool, d2, update, rng=rng, tol=tol, tie_tol=tie_tol
        )
    else:
        picks, dists = _greedy_loop(
            n,
            n_pool,
            d2,
            update,
            exponent=exponent,
            rng=rng,
            tol=tol,
            refine=update.exact_sq,
            tie_tol=tie_tol,
        )
    return (picks, dists) if return_distances else picks


def kcenter_greedy(embeddings, n, *, labeled=None, random_state=None, device=None):
    """k-center greedy (core-set) selection.

    Repeatedly selects the row farthest from the labeled embeddings and the
    rows selected so far; equivalent to
    ``diversity_sampling(..., temperature=0)``.  The covering radius of the
    result is at most twice the optimal one.

    Parameters
    ----------
    embeddings : array-like or torch.Tensor of shape (n_samples, n_features)
        Pool embeddings.
    n : int
        Number of rows to select.
    labeled : array-like or Tensor of shape (n_labeled, n_features), default=None
        Embeddings of the labeled samples; without them the first pick is
        uniform.
    random_state : int, RandomState instance or None, default=None
        Seeds the first pick (without labeled data) and tie-breaking.
    device : str, torch.device or None, default=None
        Computation device; ``None`` uses the input's device or CPU.

    Returns
    -------
    indices : ndarray of shape (n,), dtype int64
        Unique row indices in selection order.

    See Also
    --------
    diversity_sampling : the general temperature-controlled version.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.diversity import kcenter_greedy
    >>> X = np.array([[0.0], [1.0], [2.0], [10.0]])
    >>> kcenter_greedy(X, 2, labeled=[[0.0]])
    array([3, 2])
    """
    return diversity_sampling(
        embeddings,
        n,
        labeled=labeled,
        temperature=0.0,
        random_state=random_state,
        device=device,
    )


# --------------------------------------------------------------------------
# BADGE
# --------------------------------------------------------------------------
def _check_probas(probas, n_rows, *, device, dtype):
    P = _to_tensor(probas, "probas", device=device, dtype=dtype)
    if P.shape[0] != n_rows:
        raise ValueError(
            f"probas and embeddings must have the same number of rows, got "
            f"probas with {_describe(P)} and {n_rows} embedding rows."
        )
    lo, hi = float(P.min()), float(P.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise ValueError(
            "probas must contain class-membership probabilities in [0, 1], got "
            f"values in [{lo!r}, {hi!r}]."
        )
    return P


def _badge_inputs(probas, embeddings, device):
    dev = _resolve_device(device, embeddings)
    F = _to_tensor(embeddings, "embeddings", device=dev, check_finite=False)
    P = _check_probas(probas, F.shape[0], device=dev, dtype=F.dtype)
    return F, P


def badge_sampling(
    probas, embeddings, n, *, random_state=None, device=None, chunk_size=None
):
    r"""BADGE: k-means++ seeding on gradient embeddings (Ash et al., 2020).

    The gradient embedding of sample :math:`x` is
    :math:`g_x = (p_x - e_{\hat y}) \otimes f_x` with
    :math:`\hat y = \arg\max p_x`.  The first centre is the sample with the
    largest :math:`\lVert g\rVert`; every further centre is drawn with
    probability proportional to :math:`d^2`, the squared distance to the
    nearest chosen centre.  Unlike scikit-activeml's ``Badge`` the origin is
    not kept as a centre.

    :math:`g` is never materialised: with :math:`u = p - e_{\hat y}`,
    :math:`\lVert g_i - g_j\rVert^2 = \lVert u_i\rVert^2\lVert f_i\rVert^2 +
    \lVert u_j\rVert^2\lVert f_j\rVert^2 - 2 (u_i\cdot u_j)(f_i\cdot f_j)`,
    so memory is :math:`O(n (d + C))` instead of :math:`O(n d C)`.

    Parameters
    ----------
    probas : array-like or torch.Tensor of shape (n_samples, n_classes)
        Predicted class-membership probabilities (values in [0, 1]).
    embeddings : array-like or torch.Tensor of shape (n_samples, n_features)
        Penultimate-layer embeddings :math:`f`.  Their dtype (float32 or
        float64) is used for the distance arithmetic.
    n : int
        Number of samples to select.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws; one uniform number per pick.
    device : str, torch.device or None, default=None
        Computation device; ``None`` uses the embeddings' device or CPU.
    chunk_size : int or None, default=None
        Rows per chunk of the distance update.

    Returns
    -------
    indices : ndarray of shape (n,), dtype int64
        Unique row indices in selection order.

    Notes
    -----
    Rows whose gradient embedding coincides with a chosen centre have
    :math:`d = 0` and are never drawn; when all remaining distances are 0 the
    rest is filled uniformly among unselected rows (as in
    :func:`diversity_sampling`).

    References
    ----------
    .. [1] Ash, J. T., Zhang, C., Krishnamurthy, A., Langford, J., & Agarwal,
       A. (2020). Deep batch active learning by diverse, uncertain gradient
       lower bounds. ICLR.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.diversity import badge_sampling
    >>> probas = np.array([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4], [0.99, 0.01]])
    >>> emb = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [3.0, 3.0]])
    >>> idx = badge_sampling(probas, emb, 2, random_state=0)
    >>> int(idx[0])  # largest gradient norm: 0.5 * sqrt(2) * ||(1, 1)||
    2
    """
    F, P = _badge_inputs(probas, embeddings, device)
    n_pool = F.shape[0]
    n = _check_n(n, n_pool)
    chunk = _check_chunk_size(chunk_size)
    rng = check_random_state(random_state)

    U = P.clone()
    yhat = torch.argmax(P, dim=1)
    U[torch.arange(n_pool, device=U.device), yhat] -= 1
    sqf = _sq_norms(F)
    _check_finite_derived(F, (sqf,), "embeddings")
    a = _sq_norms(U) * sqf
    tol = _zero_tol(float(a.max()), F.shape[1] + U.shape[1], F.dtype)
    update = _GradientUpdater(F, U, a, chunk or _DEFAULT_UPDATE_ROWS)

    # first centre: argmax ||g|| (ties through the random state)
    u = rng.random_sample()

    def exact_norms(rows):  # float64 ||g||^2 to settle float32 near-ties
        Ur, Fr = U[rows].to(torch.float64), F[rows].to(torch.float64)
        return (Ur * Ur).sum(dim=1) * (Fr * Fr).sum(dim=1)

    first, _ = _draw(a, None, u, tol, exact_norms)
    if first < 0:  # every gradient is zero: nothing to prefer
        first = min(int(u * n_pool), n_pool - 1)
    if n == 1:
        return np.array([first], dtype=np.int64)
    d2 = update(None, first)
    picked = np.zeros(n_pool, dtype=bool)
    picked[first] = True
    rest, _ = _greedy_loop(
        n - 1, n_pool, d2, update, exponent=1.0, rng=rng, tol=tol, picked=picked
    )
    return np.concatenate([[first], rest]).astype(np.int64)


def _badge_sampling_naive(probas, embeddings, n, random_state=None):
    """Reference BADGE that materialises ``g`` (n x d*C); tests only.

    Consumes random numbers exactly like :func:`badge_sampling`, so both
    return the same picks for the same seed (up to floating-point near-ties).
    """
    F = _to_numpy(embeddings, "embeddings")
    P = _to_numpy(probas, "probas")
    in_dtype = torch.float64
    if isinstance(embeddings, torch.Tensor) and embeddings.dtype == torch.float32:
        in_dtype = torch.float32
    elif np.asarray(embeddings).dtype == np.float32:
        in_dtype = torch.float32
    n_pool = F.shape[0]
    n = _check_n(n, n_pool)
    rng = check_random_state(random_state)
    Uu = P.copy()
    Uu[np.arange(n_pool), P.argmax(axis=1)] -= 1.0
    G = (Uu[:, :, None] * F[:, None, :]).reshape(n_pool, -1)
    a = np.einsum("ij,ij->i", G, G)
    tol = _zero_tol(float(a.max()), F.shape[1] + P.shape[1], in_dtype)

    picks = []
    picked = np.zeros(n_pool, dtype=bool)
    u = rng.random_sample()
    m = a.max()
    if m > tol:
        ties = np.flatnonzero(a == m)
        first = int(ties[min(int(u * len(ties)), len(ties) - 1)])
    else:
        first = min(int(u * n_pool), n_pool - 1)
    picks.append(first)
    picked[first] = True
    d2 = ((G - G[first]) ** 2).sum(axis=1)
    d2[first] = 0.0
    exhausted = False
    while len(picks) < n:
        u = rng.random_sample()
        if not exhausted and not d2.max() > tol:
            exhausted = True
        if exhausted:
            free = np.flatnonzero(~picked)
            idx = int(free[min(int(u * len(free)), len(free) - 1)])
        else:
            w = np.where(d2 <= tol, 0.0, d2)
            c = np.cumsum(w)
            idx = int(np.searchsorted(c, u * c[-1], side="right"))
            if idx >= n_pool:
                idx = int(np.flatnonzero(w > 0).max())
        picks.append(idx)
        picked[idx] = True
        d2 = np.minimum(d2, ((G - G[idx]) ** 2).sum(axis=1))
        d2[idx] = 0.0
    return np.asarray(picks, dtype=np.int64)


# --------------------------------------------------------------------------
# clustering helpers
# --------------------------------------------------------------------------
def _seed_from(rng):
    return int(rng.randint(np.iinfo(np.int32).max))


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
    >>> from skactive.diversity import weighted_kmeans
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
    n_clusters = _check_int(
        n_clusters,
        "n_clusters",
        min_value=1,
        max_value=Xn.shape[0],
        max_name="the number of rows in X",
    )
    max_iter = _check_int(max_iter, "max_iter", min_value=1)
    if sample_weight is not None:
        w = np.asarray(
            sample_weight.detach().cpu().numpy()
            if isinstance(sample_weight, torch.Tensor)
            else sample_weight
        )
        if w.dtype.kind not in "biuf":
            raise TypeError(f"sample_weight must be numeric, got dtype {w.dtype}.")
        w = w.astype(np.float64)
        if w.shape != (Xn.shape[0],):
            raise ValueError(
                f"sample_weight must have shape ({Xn.shape[0]},), got {w.shape}."
            )
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("sample_weight must be finite and non-negative.")
        n_pos = int(np.count_nonzero(w))
        if n_pos < n_clusters:
            raise ValueError(
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
    >>> from skactive.diversity import nearest_to_centers
    >>> X = np.array([[0.0], [1.0], [2.0], [10.0]])
    >>> nearest_to_centers(X, [[0.1], [0.2], [9.0]])
    array([0, 1, 3])
    """
    Xn = _to_numpy(X, "X")
    C = _to_numpy(centers, "centers")
    n, k = Xn.shape[0], C.shape[0]
    if C.shape[1] != Xn.shape[1]:
        raise ValueError(
            f"centers must have the same number of columns as X ({Xn.shape[1]}), "
            f"got centers with shape {C.shape}."
        )
    if k > n:
        raise ValueError(
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
    # (duplicates are exactly 0, as with direct differences)
    tol = _zero_tol(float(sq.max()), P.shape[1], P.dtype)
    mean = np.empty(m)
    rows = max(1, _BLOCK_ELEMS // m)
    for s in range(0, m, rows):
        d2 = torch.addmm(sq.unsqueeze(0), P[s : s + rows], P.T, alpha=-2)
        d2.add_(sq[s : s + rows, None])
        # K + 1 smallest: the point itself (or an exact duplicate: also 0)
        # comes first and is dropped
        near = torch.topk(d2, K + 1, dim=1, largest=False).values[:, 1:]
        near = torch.nn.functional.threshold(near, tol, 0.0).sqrt_()
        mean[s : s + rows] = near.mean(dim=1).double().numpy()
    with np.errstate(divide="ignore"):
        return 1.0 / mean


def _rand_argmax(values, rng):
    m = values.max()
    ties = np.flatnonzero(values == m)
    if ties.shape[0] == 1:
        return int(ties[0])
    return int(ties[rng.randint(ties.shape[0])])


def typiclust_sampling(
    embeddings, n, *, labeled=None, k_neighbors=20, random_state=None
):
    r"""TypiClust: typical points of uncovered clusters (Hacohen et al., 2022).

    The pool together with the labeled embeddings is clustered into
    ``n_labeled + n`` clusters with k-means.  Each pick takes the largest
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
    n : int
        Number of rows to select.
    labeled : array-like or Tensor of shape (n_labeled, n_features), default=None
        Embeddings of the labeled samples.
    k_neighbors : int, default=20
        Number of neighbours for the typicality.
    random_state : int, RandomState instance or None, default=None
        Seeds k-means and tie-breaking.

    Returns
    -------
    indices : ndarray of shape (n,), dtype int64
        Unique row indices into ``embeddings``.

    Notes
    -----
    Above 50 000 rows :class:`sklearn.cluster.MiniBatchKMeans` is used.
    Typicality is computed only for the clusters that are picked from.

    References
    ----------
    .. [1] Hacohen, G., Dekel, A., & Weinshall, D. (2022). Active learning on
       a budget: Opposite strategies suit high and low budgets. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.diversity import typiclust_sampling
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.1, size=(20, 2)) for c in (0, 5, 10)])
    >>> idx = typiclust_sampling(X, 3, random_state=0)
    >>> sorted(int(i) // 20 for i in idx)  # one pick per blob
    [0, 1, 2]
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans

    Xp = _to_numpy(embeddings, "embeddings", keep_float32=True)
    n_pool, n_feat = Xp.shape
    n = _check_n(n, n_pool)
    k_neighbors = _check_int(k_neighbors, "k_neighbors", min_value=1)
    lab = _check_labeled(labeled, n_feat, as_numpy=True)
    if lab is not None:
        lab = lab.astype(Xp.dtype, copy=False)
    rng = check_random_state(random_state)
    X_all = Xp if lab is None else np.vstack([Xp, lab])
    n_lab = 0 if lab is None else lab.shape[0]
    n_clusters = min(n_lab + n, X_all.shape[0])
    seed = _seed_from(rng)
    if X_all.shape[0] > _MINIBATCH_ROWS:
        km = MiniBatchKMeans(n_clusters=n_clusters, n_init=3, random_state=seed)
    else:
        km = KMeans(n_clusters=n_clusters, n_init=1, random_state=seed)
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
            typ = _typicality(X_all[members], k_neighbors)
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
def _radius_graph(nn, Q, delta, n_cols, chunk):
    """CSR matrix ``A[i, j] = 1`` iff ``||Q_i - X_j|| < delta``."""
    indptr = [np.zeros(1, dtype=np.int64)]
    indices = []
    offset = 0
    for s in range(0, Q.shape[0], chunk):
        dist, ind = nn.radius_neighbors(
            Q[s : s + chunk], radius=delta, sort_results=False
        )
        lens = np.fromiter((len(a) for a in ind), dtype=np.int64, count=len(ind))
        if lens.sum():
            flat_i = np.concatenate(ind).astype(np.int64)
            flat_d = np.concatenate(dist)
        else:
            flat_i = np.zeros(0, dtype=np.int64)
            flat_d = np.zeros(0)
        keep = flat_d < delta  # the paper's ball is open
        row = np.repeat(np.arange(len(ind)), lens)[keep]
        counts = np.bincount(row, minlength=len(ind))
        indices.append(flat_i[keep])
        indptr.append(offset + np.cumsum(counts))
        offset += int(counts.sum())
    indptr = np.concatenate(indptr)
    indices = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
    data = np.ones(indices.shape[0], dtype=np.int8)
    return sparse.csr_matrix((data, indices, indptr), shape=(Q.shape[0], n_cols))


def probcover_sampling(
    embeddings, n, *, delta, labeled=None, random_state=None, chunk_size=None
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
    n : int
        Number of rows to select.
    delta : float
        Ball radius, > 0.
    labeled : array-like or Tensor of shape (n_labeled, n_features), default=None
        Embeddings of the labeled samples.
    random_state : int, RandomState instance or None, default=None
        Seeds tie-breaking and the uniform fill-up (one number per pick).
    chunk_size : int or None, default=None
        Rows per radius-neighbour query (default 4096).

    Returns
    -------
    indices : ndarray of shape (n,), dtype int64
        Unique row indices into ``embeddings`` in selection order.

    Notes
    -----
    The graph is stored as a sparse CSR matrix built by chunked
    radius-neighbour queries; its size is the number of pairs closer than
    ``delta``, so ``delta`` should be chosen small enough (the paper picks it
    so that about 95% of the balls are label-pure).

    References
    ----------
    .. [1] Yehuda, O., Dekel, A., Hacohen, G., & Weinshall, D. (2022). Active
       learning through a covering lens. NeurIPS.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.diversity import probcover_sampling
    >>> X = np.array([0.0, 0.05, 0.1, 0.15, 0.2, 5.0, 5.1, 5.2])[:, None]
    >>> probcover_sampling(X, 2, delta=0.15, random_state=0)
    array([2, 6])
    """
    from sklearn.neighbors import NearestNeighbors

    Xp = _to_numpy(embeddings, "embeddings")
    n_pool, n_feat = Xp.shape
    n = _check_n(n, n_pool)
    delta = _check_real(delta, "delta", positive=True)
    chunk = _check_chunk_size(chunk_size) or 4096
    lab = _check_labeled(labeled, n_feat, as_numpy=True)
    rng = check_random_state(random_state)

    nn = NearestNeighbors(radius=delta).fit(Xp)
    A = _radius_graph(nn, Xp, delta, n_pool, chunk)  # out-edges: ball(x)
    AT = A.T.tocsr()  # in-edges: the x whose ball contains y
    uncovered = np.ones(n_pool, dtype=bool)
    if lab is not None:
        L = _radius_graph(nn, lab, delta, n_pool, chunk)
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


def __getattr__(name):
    if name == "batch_diversity":  # moved to skactive.metrics
        from .metrics import batch_diversity

        return batch_diversity
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
