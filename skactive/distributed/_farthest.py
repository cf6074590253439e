"""Farthest-point selection with the minimum-distance vector sharded on the workers.

Each worker holds its chunks of the embeddings and, for them, the distance
engine of :mod:`skactive.selection._distance` (a Dask actor, so the state
stays there between picks). The driver runs the sequential loop of
:func:`skactive.selection._farthest._greedy_loop` and, per pick, asks the
actors for a few scalars -- the largest distance and its row, the rows
within rounding error of it, the cumulative weights at ``T > 0`` -- and sends
them one embedding row, the new centre. The draw is that of the
one-process call step for step (the same maximum, the same candidates
settled in float64 on the driver with the same code, the same cumulative
sum carried from chunk to chunk), so the picks are the same.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils import check_random_state

from .._validation import (
    Interval,
    InvalidParameterError,
    check_n_instances,
    validate_params,
)
from ..pools import ArrayFile
from ..selection._arrays import (
    _check_finite,
    _check_finite_derived,
    _check_labeled,
    _to_tensor,
)
from ..selection._distance import (
    _DEFAULT_UPDATE_ROWS,
    _TIE_RTOL,
    _reference_point,
    _ShiftedEuclidean,
)
from ..selection._farthest import _REFINE_MAX, _greedy_loop
from ._chunks import PoolChunks, _materialise, is_distributed_pool, pool_chunks
from ._client import require_client

__all__ = ["diversity_sampling", "kcenter_greedy"]


class _Shard:
    """A Dask actor: some chunks of the embeddings and their distances."""

    def __init__(self, parts, device="cpu"):
        self.device = torch.device(device)
        self.starts, self.X = [], []
        for start, data in parts:
            rows = np.asarray(_materialise(data))
            self.starts.append(int(start))
            self.X.append(
                _to_tensor(rows, "embeddings", device=self.device, check_finite=False)
            )
        self.stops = [s + x.shape[0] for s, x in zip(self.starts, self.X, strict=True)]

    # -- set-up -----------------------------------------------------------
    def info(self):
        from ..selection._distance import _block_sums

        sums = sum(_block_sums(x) for x in self.X)
        return {
            "rows": sum(x.shape[0] for x in self.X),
            "dtype": str(self.X[0].dtype).replace("torch.", ""),
            "sums": sums.cpu().numpy(),
        }

    def check_finite(self):
        for x in self.X:
            _check_finite(x, "embeddings")
        return True

    def setup(self, reference, labeled, chunk_rows):
        m = torch.from_numpy(reference).to(self.device)
        L = None if labeled is None else torch.from_numpy(labeled).to(self.device)
        self.engines, self.d2, self.zero = [], [], []
        for x in self.X:
            eng = _ShiftedEuclidean(x, chunk_rows, reference=m)
            _check_finite_derived(x, (eng.m, eng.sqn), "embeddings")
            self.engines.append(eng)
            self.d2.append(None if L is None else eng.min_to_set(L))
            self.zero.append(eng.zero_tol())
        return {
            "r_max": max(float(e.r.max()) for e in self.engines),
            "lab_sq_max": max(e.lab_sq_max for e in self.engines),
        }

    def set_tie(self, r_max, R):
        self.tie = []
        for eng in self.engines:
            tie = eng.tie_tolerance()
            tie.r_max, tie.R = r_max, R
            self.tie.append(tie)

    def _owner(self, idx):
        for p, (s, e) in enumerate(zip(self.starts, self.stops, strict=True)):
            if s <= idx < e:
                return p, idx - s
        return None, None

    # -- centres ----------------------------------------------------------
    def rows(self, indices):
        out = []
        for i in indices:
            p, j = self._owner(int(i))
            out.append(self.X[p][j].cpu().numpy())
        return out

    def update(self, row, idx):
        c = torch.from_numpy(row).to(self.device)
        for p, eng in enumerate(self.engines):
            self.d2[p] = eng.update_with(self.d2[p], c)
        p, j = self._owner(int(idx))
        if p is not None:
            self.d2[p][j] = 0
        return True

    def value(self, idx):
        p, j = self._owner(int(idx))
        return float(self.d2[p][j])

    # -- T = 0: the maximum and the rows that could tie with it ------------
    def top(self):
        best, best_pos = None, None
        for p, d2 in enumerate(self.d2):
            v, i = d2.max(dim=0)
            v, i = float(v), int(i)
            r = float(self.engines[p].r[i])
            pos = v > float(self.zero[p].values[i])
            if best is None or v > best[0]:
                best = (v, self.starts[p] + i, r, pos)
            masked = torch.where(d2 > self.zero[p].values, d2, -math.inf)
            v, i = masked.max(dim=0)
            v, i = float(v), int(i)
            if v > -math.inf and (best_pos is None or v > best_pos[0]):
                best_pos = (v, self.starts[p] + i, float(self.engines[p].r[i]))
        return best, best_pos

    def candidates(self, v0, loose, t0, masked):
        """Rows within ``loose`` of the maximum, and which of them can reach it.

        The comparisons are those of the one-process draw, in the dtype of
        the distances.
        """
        rows, vals, keep = [], [], []
        for p, d2 in enumerate(self.d2):
            dd = torch.where(d2 > self.zero[p].values, d2, -math.inf) if masked else d2
            r = torch.nonzero(dd >= v0 - loose).flatten()
            if r.numel():
                v = dd[r]
                rows.append((r + self.starts[p]).cpu().numpy())
                vals.append(v.to(torch.float64).cpu().numpy())
                reach = v + self.tie[p].at(r, v0) >= v0 - t0
                keep.append(reach.cpu().numpy())
        if not rows:
            empty = np.empty(0)
            return empty.astype(np.int64), empty, empty.astype(bool)
        return np.concatenate(rows), np.concatenate(vals), np.concatenate(keep)

    # -- T > 0: weights and their cumulative sum, chunk after chunk ---------
    def weights_max(self):
        self.w, top = [], -math.inf
        for p, d2 in enumerate(self.d2):
            w = d2.to(torch.float64)
            w.masked_fill_(d2 <= self.zero[p].values, 0.0)
            self.w.append(w)
            top = max(top, float(w.max()))
        return top

    def cumsum(self, parts, carry, m, exponent):
        self.c = getattr(self, "c", {})
        last = -1
        for p in parts:
            w = self.w[p]
            if exponent == 0.5:
                w.sqrt_()
            elif exponent != 1.0:
                w.div_(m).pow_(exponent)
            nz = torch.nonzero(w > 0).flatten()
            if nz.numel():
                last = self.starts[p] + int(nz.max())
            c = w.clone()
            c[0] += carry
            torch.cumsum(c, dim=0, out=c)
            self.c[p] = c
            carry = float(c[-1])
        return carry, last

    def count_at_most(self, t):
        tt = torch.tensor([t], dtype=torch.float64, device=self.device)
        return sum(
            int(torch.searchsorted(self.c[p], tt, right=True))
            for p in range(len(self.X))
        )


def _runs(chunks, actor_of_chunk):
    """Consecutive chunks (in row order) owned by the same actor."""
    order = np.argsort(chunks.starts)
    runs = []
    for k in order:
        a, part = actor_of_chunk[k]
        if runs and runs[-1][0] == a:
            runs[-1][1].append(part)
        else:
            runs.append((a, [part]))
    return runs


def _spawn_actors(client, chunks, cls, *args):
    """One actor of class ``cls`` per worker, holding the chunks living there.

    Returns the actors, the owner table ``(sorted chunk starts, actor of
    each)`` and the runs of consecutive chunks per actor (see :func:`_runs`).
    """
    by_worker = {}
    for k, w in enumerate(chunks.workers):
        by_worker.setdefault(w, []).append(k)
    futures, actor_of_chunk = [], {}
    for a, (w, ks) in enumerate(sorted(by_worker.items(), key=lambda t: str(t[0]))):
        parts = [(chunks.starts[k], chunks.data[k]) for k in ks]
        futures.append(
            client.submit(
                cls,
                parts,
                *args,
                actor=True,
                workers=None if w is None else [w],
                allow_other_workers=w is not None,
            )
        )
        for p, k in enumerate(ks):
            actor_of_chunk[k] = (a, p)
    actors = [f.result() for f in futures]
    order = np.argsort(chunks.starts)
    owner = (
        np.asarray(chunks.starts)[order],
        [actor_of_chunk[k][0] for k in order],
    )
    return actors, owner, _runs(chunks, actor_of_chunk)


def _err(k, m_norm, root):
    return k * root * (root + m_norm)


class _Driver:
    """The sequential loop's side of the actors: draws and centre updates."""

    def __init__(self, actors, runs, owner, settler, tie, n_pool, dtype):
        self.actors, self.runs, self.owner = actors, runs, owner
        self.settler, self.tie, self.n_pool = settler, tie, n_pool
        self.dtype = dtype

    def _all(self, method, *args):
        futures = [getattr(a, method)(*args) for a in self.actors]
        return [f.result() for f in futures]

    def _owner_of(self, idx):
        k = int(np.searchsorted(self.owner[0], idx, side="right")) - 1
        return self.owner[1][k]

    def row(self, idx):
        return self.actors[self._owner_of(idx)].rows([idx]).result()[0]

    def update(self, d2, idx):
        row = self.row(idx)
        if self.settler is not None:
            self.settler.add_centre_row(torch.from_numpy(row))
        self._all("update", row, int(idx))
        return True  # the distances live on the workers

    # ------------------------------------------------------------- T = 0
    def _bound(self, sq):
        t = self.tie
        r = t["r_max"]
        return _err(
            t["k"], t["m_norm"], max(r, min(r + math.sqrt(max(sq, 0.0)), t["R"]))
        )

    def _at_one(self, r, sq):
        t = self.tie
        return _err(
            t["k"], t["m_norm"], max(r, min(r + math.sqrt(max(sq, 0.0)), t["R"]))
        )

    def argmax(self, d2, u):
        tops = self._all("top")
        best = max((t[0] for t in tops), key=lambda b: (b[0], -b[1]))
        v0, i0, r0, positive = best
        masked = not positive
        if masked:
            pos = [t[1] for t in tops if t[1] is not None]
            if not pos:
                return -1, 0.0
            v0, i0, r0 = max(pos, key=lambda b: (b[0], -b[1]))
        if self.n_pool == 1:
            return 0, v0
        t0 = self._at_one(r0, v0)
        loose = t0 + self._bound(v0)
        found = self._all("candidates", v0, loose, t0, masked)
        rows = np.concatenate([f[0] for f in found])
        vals = np.concatenate([f[1] for f in found])
        keep = np.concatenate([f[2] for f in found])
        if rows.shape[0] <= 1:  # clear maximum
            return i0, v0
        order = np.argsort(rows[keep], kind="stable")
        ties, tvals = rows[keep][order], vals[keep][order]
        if ties.shape[0] <= _REFINE_MAX:
            raw = self._rows(ties)
            exact = self.settler.exact_sq_rows(raw)
            top = exact.max()
            ties, v0 = ties[(exact == top).numpy()], float(top)
        else:
            ties = ties[tvals == v0]
        k = ties.shape[0]
        return int(ties[min(int(u * k), k - 1)]), v0

    def _rows(self, indices):
        by_actor = {}
        for i in indices:
            by_actor.setdefault(self._owner_of(i), []).append(int(i))
        got = {}
        futures = {a: self.actors[a].rows(ix) for a, ix in by_actor.items()}
        for a, f in futures.items():
            got.update(zip(by_actor[a], f.result(), strict=True))
        dtype = self.dtype
        return torch.stack([torch.from_numpy(got[int(i)]) for i in indices]).to(dtype)

    # ------------------------------------------------------------- T > 0
    def sample(self, d2, u, exponent):
        m = max(self._all("weights_max"))
        if not m > 0:
            return -1, 0.0
        carry, last = 0.0, -1
        for a, parts in self.runs:
            carry, l_run = self.actors[a].cumsum(parts, carry, m, exponent).result()
            last = max(last, l_run)
        t = float(torch.tensor(carry, dtype=torch.float64) * u)
        idx = sum(self._all("count_at_most", t))
        if idx >= self.n_pool:  # rounding put t onto the total
            idx = last
        return idx, self.actors[self._owner_of(idx)].value(idx).result()


_N_INSTANCES = [Interval(Integral, 1, None, closed="left")]


@validate_params(
    {
        "embeddings": "no_validation",
        "n_instances": _N_INSTANCES,
        "labeled": ["array-like", None],
        "temperature": [Interval(Real, 0, math.inf, closed="left")],
        "random_state": ["random_state"],
        "client": "no_validation",
        "chunk_rows": [Interval(Integral, 1, None, closed="left"), None],
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
    client=None,
    chunk_rows=None,
    return_distances=False,
):
    """Temperature-controlled farthest-point sampling on a Dask cluster.

    The same picks as :func:`skactive.selection.diversity_sampling` with
    the same arguments in one process, computed where the embeddings live:
    each worker keeps its chunks and their minimum distances (a Dask
    actor); per pick the driver gathers a few scalars and broadcasts one
    embedding row.

    Parameters
    ----------
    embeddings : dask.array.Array, ShardedArray, ArrayFile, list of .npy paths \
            or PoolChunks
        Pool embeddings of shape ``(n_samples, n_features)``; see
        :func:`pool_chunks` (a :class:`PoolChunks` from
        ``map_rows(..., gather=False)`` is used where it is). Each worker
        holds its chunks in memory.
    n_instances : int
        Number of rows to select.
    labeled : array-like of shape (n_labeled, n_features), default=None
        Embeddings of the labeled rows (sent to every worker once).
    temperature : float, default=0.0
        ``0`` is k-center greedy; see
        :func:`skactive.selection.diversity_sampling`.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws (one uniform number per pick, as in one process).
        Pass an int for reproducible output across multiple function calls.
    client : distributed.Client or None, default=None
        The cluster; ``None`` uses the active client.
    chunk_rows : int or None, default=None
        Rows per range cut from files (a dask array keeps its chunks).
    return_distances : bool, default=False
        Also return the distance of each pick when it was selected.

    Returns
    -------
    indices : ndarray of shape (n_instances,), dtype int64
        Unique row indices in selection order.
    distances : ndarray of shape (n_instances,), dtype float64
        Only if ``return_distances=True``.

    Notes
    -----
    At ``T = 0`` the maximum and every row within its rounding error are
    settled in float64 on the driver, by the code the one-process call
    runs, so the picks are those of the exact greedy in both. At ``T > 0``
    the weights are the float32 distances: a worker's matrix-vector pass
    over its chunk can round a distance differently in the last bit from
    the pass over the whole pool, which changes a pick only when a draw
    falls within that rounding of a cumulative boundary (about 1e-7 per
    pick).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from skactive.distributed import diversity_sampling
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [0.0, 3.0]])
    >>> with LocalCluster(n_workers=1, processes=False) as cluster, Client(
    ...     cluster
    ... ) as client:
    ...     picks = diversity_sampling(
    ...         da.from_array(X, chunks=2), 2, labeled=[[0.0, 0.0]]
    ...     )
    >>> picks
    array([2, 3])
    """
    if not (
        is_distributed_pool(embeddings)
        or isinstance(embeddings, ArrayFile | PoolChunks)
    ):
        raise InvalidParameterError(
            "diversity_sampling: embeddings must be a dask array, a "
            "ShardedArray, an ArrayFile or a list of .npy paths, got "
            f"{type(embeddings).__name__}."
        )
    client = require_client(client, "diversity_sampling")
    if isinstance(embeddings, PoolChunks):  # already on the workers
        chunks = embeddings
    else:
        chunks = pool_chunks(embeddings, client, chunk_rows=chunk_rows)
    if len(chunks.shape) != 2:
        raise InvalidParameterError(
            f"diversity_sampling: embeddings must be 2-D, got shape {chunks.shape}."
        )
    n_pool, n_feat = chunks.shape
    n = check_n_instances(n_instances, n_pool, caller="diversity_sampling")
    temperature = float(temperature)
    exponent = None if temperature == 0 else 1.0 / (2.0 * temperature)
    if exponent is not None and not math.isfinite(exponent):
        raise InvalidParameterError(
            f"diversity_sampling: temperature={temperature!r} is too small; use "
            "temperature=0."
        )
    rng = check_random_state(random_state)

    actors, owner, runs = _spawn_actors(client, chunks, _Shard)

    def _all(method, *args):
        futures = [getattr(x, method)(*args) for x in actors]
        return [f.result() for f in futures]

    infos = _all("info")
    dtype = getattr(torch, infos[0]["dtype"])
    sums = torch.from_numpy(np.sum([i["sums"] for i in infos], axis=0))
    if not bool(torch.isfinite(sums).all()):
        _all("check_finite")  # raises, naming the argument, on NaN or inf
        raise InvalidParameterError(
            "embeddings has values too large: their sums overflow float64."
        )
    reference = _reference_point(sums, n_pool, dtype)
    lab = _check_labeled(labeled, n_feat, device=torch.device("cpu"), dtype=dtype)
    setups = _all(
        "setup",
        reference.numpy(),
        None if lab is None else lab.numpy(),
        _DEFAULT_UPDATE_ROWS,
    )
    r_max = max(s["r_max"] for s in setups)
    lab_sq_max = max(s["lab_sq_max"] for s in setups)
    R = max(r_max, math.sqrt(lab_sq_max))
    _all("set_tie", r_max, R)
    m_norm = float(torch.linalg.vector_norm(reference.to(torch.float64)))
    tie = {
        "k": _TIE_RTOL * torch.finfo(dtype).eps * n_feat**0.25,
        "m_norm": m_norm,
        "r_max": r_max,
        "R": R,
    }
    settler = _ShiftedEuclidean.settler(reference, lab, torch.device("cpu"))
    driver = _Driver(actors, runs, owner, settler, tie, n_pool, dtype)
    if exponent is None:
        draw = driver.argmax
    else:

        def draw(d2, u):
            return driver.sample(d2, u, exponent)

    picks, dists = _greedy_loop(
        n,
        n_pool,
        None if lab is None else True,
        driver.update,
        exponent=exponent,
        rng=rng,
        draw=draw,
    )
    return (picks, dists) if return_distances else picks


@validate_params(
    {
        "embeddings": "no_validation",
        "n_instances": _N_INSTANCES,
        "labeled": ["array-like", None],
        "random_state": ["random_state"],
        "client": "no_validation",
        "chunk_rows": [Interval(Integral, 1, None, closed="left"), None],
    }
)
def kcenter_greedy(
    embeddings,
    n_instances,
    *,
    labeled=None,
    random_state=None,
    client=None,
    chunk_rows=None,
):
    """k-center greedy (core-set) on a Dask cluster, with the one-process picks.

    ``diversity_sampling(..., temperature=0)``.

    Parameters
    ----------
    embeddings : dask.array.Array, ShardedArray, ArrayFile or list of .npy paths
        Pool embeddings of shape ``(n_samples, n_features)``.
    n_instances : int
        Number of rows to select.
    labeled : array-like of shape (n_labeled, n_features), default=None
        Embeddings of the labeled rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the first pick (without labeled rows) and tie-breaking.
    client : distributed.Client or None, default=None
        The cluster; ``None`` uses the active client.
    chunk_rows : int or None, default=None
        Rows per range cut from files.

    Returns
    -------
    indices : ndarray of shape (n_instances,), dtype int64
        Unique row indices in selection order.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from skactive.distributed import kcenter_greedy
    >>> X = da.from_array(np.array([[0.0], [1.0], [2.0], [10.0]]), chunks=2)
    >>> with LocalCluster(n_workers=1, processes=False) as cluster, Client(
    ...     cluster
    ... ) as client:
    ...     picks = kcenter_greedy(X, 2, labeled=[[0.0]])
    >>> picks
    array([3, 2])
    """
    return diversity_sampling(
        embeddings,
        n_instances,
        labeled=labeled,
        temperature=0.0,
        random_state=random_state,
        client=client,
        chunk_rows=chunk_rows,
    )
