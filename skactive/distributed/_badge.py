"""BADGE on a Dask cluster: k-means++ seeding with the distances on the workers.

The gradient embeddings ``(p - e_yhat) (x) f`` are never formed, as in
:func:`skactive.selection.badge_sampling`: each worker keeps its chunks'
embeddings ``f``, ``u = p - e_yhat`` and squared gradient norms ``a`` and
their distances (a Dask actor). The first centre is the largest gradient
norm (settled in float64 among the rows within rounding error, as in one
process); every further pick is a ``d^2`` draw whose cumulative weights are
carried from chunk to chunk, and each pick moves one embedding row, one
``u`` row and one scalar.
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np
import torch
from sklearn.utils import check_random_state

from .._validation import (
    Interval,
    InvalidParameterError,
    check_n_instances,
    validate_params,
)
from ..selection._arrays import _check_finite_derived, _check_probas, _to_tensor
from ..selection._distance import (
    _DEFAULT_UPDATE_ROWS,
    _GradientUpdater,
    _sq_norms,
    _zero_tol,
    _ZeroTolerance,
)
from ..selection._farthest import _REFINE_MAX, _greedy_loop
from ._chunks import PoolChunks, _materialise
from ._client import require_client
from ._farthest import _Driver, _Shard, _spawn_actors

__all__ = ["badge_sampling"]


class _BadgeShard(_Shard):
    """A Dask actor: chunks of ``[embeddings | probas]`` and their distances."""

    def __init__(self, parts, n_features, device="cpu"):
        self.device = torch.device(device)
        self.starts, self.X, self.F, self.U, self.a = [], [], [], [], []
        for start, data in parts:
            both = np.asarray(_materialise(data))
            F = _to_tensor(
                both[:, :n_features],
                "embeddings",
                device=self.device,
                check_finite=False,
            )
            P = _check_probas(
                both[:, n_features:], F.shape[0], device=self.device, dtype=F.dtype
            )
            U = P.clone()
            yhat = torch.argmax(P, dim=1)
            U[torch.arange(U.shape[0], device=U.device), yhat] -= 1
            sqf = _sq_norms(F)
            _check_finite_derived(F, (sqf,), "embeddings")
            self.starts.append(int(start))
            self.X.append(F)
            self.F.append(F)
            self.U.append(U)
            self.a.append(_sq_norms(U) * sqf)
        self.stops = [s + f.shape[0] for s, f in zip(self.starts, self.F, strict=True)]
        self.n_dims = self.F[0].shape[1] + self.U[0].shape[1]

    def setup_badge(self, chunk_rows):
        dtype = self.F[0].dtype
        self.engines = [
            _GradientUpdater(F, U, a, chunk_rows)
            for F, U, a in zip(self.F, self.U, self.a, strict=True)
        ]
        self.zero = [_ZeroTolerance(_zero_tol(a, self.n_dims, dtype)) for a in self.a]
        self.d2 = [None] * len(self.F)
        return {
            "a_max": max(float(a.max()) for a in self.a),
            "dtype": str(dtype).replace("torch.", ""),
            "n_dims": self.n_dims,
        }

    # the first centre: argmax of a, one tolerance for all rows
    def first_top(self, tol):
        best, best_pos = None, None
        for p, a in enumerate(self.a):
            v, i = a.max(dim=0)
            v, i = float(v), int(i)
            if best is None or v > best[0]:
                best = (v, self.starts[p] + i, 0.0, v > tol)
            masked = torch.where(a > tol, a, -math.inf)
            v, i = masked.max(dim=0)
            v, i = float(v), int(i)
            if v > -math.inf and (best_pos is None or v > best_pos[0]):
                best_pos = (v, self.starts[p] + i, 0.0)
        return best, best_pos

    def first_candidates(self, v0, loose, t0, masked, tol):
        rows, vals, keep = [], [], []
        for p, a in enumerate(self.a):
            aa = torch.where(a > tol, a, -math.inf) if masked else a
            r = torch.nonzero(aa >= v0 - loose).flatten()
            if r.numel():
                v = aa[r]
                rows.append((r + self.starts[p]).cpu().numpy())
                vals.append(v.to(torch.float64).cpu().numpy())
                keep.append((v + tol >= v0 - t0).cpu().numpy())
        if not rows:
            empty = np.empty(0)
            return empty.astype(np.int64), empty, empty.astype(bool)
        return np.concatenate(rows), np.concatenate(vals), np.concatenate(keep)

    def exact_norms(self, indices):
        # row-wise reductions of 2-D blocks, as the one-process settling
        out = []
        for i in indices:
            p, j = self._owner(int(i))
            u = self.U[p][j : j + 1].to(torch.float64)
            f = self.F[p][j : j + 1].to(torch.float64)
            out.append(float(((u * u).sum(dim=1) * (f * f).sum(dim=1))[0]))
        return out

    # centres
    def rows(self, indices):
        out = []
        for i in indices:
            p, j = self._owner(int(i))
            out.append(
                (
                    self.F[p][j].cpu().numpy(),
                    self.U[p][j].cpu().numpy(),
                    self.a[p][j : j + 1].cpu().numpy(),
                )
            )
        return out

    def update(self, row, idx):
        f, u, a = (torch.from_numpy(v).to(self.device) for v in row)
        for p, eng in enumerate(self.engines):
            self.d2[p] = eng.update_with(self.d2[p], f, u, a[0])
        p, j = self._owner(int(idx))
        if p is not None:
            self.d2[p][j] = 0
        return True

    def score(self, indices):
        out = []
        for i in indices:
            p, j = self._owner(int(i))
            out.append(float(self.a[p][j].to(torch.float64).sqrt()))
        return out


class _FirstPick(_Driver):
    """The argmax of the gradient norms, as ``_argmax_draw`` with one tolerance."""

    def first(self, u, tol):
        tops = self._all("first_top", tol)
        v0, i0, _, positive = max((t[0] for t in tops), key=lambda b: (b[0], -b[1]))
        masked = not positive
        if masked:
            pos = [t[1] for t in tops if t[1] is not None]
            if not pos:
                return -1
            v0, i0, _ = max(pos, key=lambda b: (b[0], -b[1]))
        if self.n_pool == 1:
            return 0
        t0, loose = tol, 2 * tol
        found = self._all("first_candidates", v0, loose, t0, masked, tol)
        rows = np.concatenate([f[0] for f in found])
        vals = np.concatenate([f[1] for f in found])
        keep = np.concatenate([f[2] for f in found])
        if rows.shape[0] <= 1:
            return i0
        order = np.argsort(rows[keep], kind="stable")
        ties, tvals = rows[keep][order], vals[keep][order]
        if ties.shape[0] <= _REFINE_MAX:
            exact = self._gather("exact_norms", ties)
            ties = ties[exact == exact.max()]
        else:
            ties = ties[tvals == v0]
        k = ties.shape[0]
        return int(ties[min(int(u * k), k - 1)])

    def _gather(self, method, indices):
        by_actor = {}
        for i in indices:
            by_actor.setdefault(self._owner_of(i), []).append(int(i))
        got = {}
        futures = {a: getattr(self.actors[a], method)(ix) for a, ix in by_actor.items()}
        for a, f in futures.items():
            got.update(zip(by_actor[a], f.result(), strict=True))
        return np.array([got[int(i)] for i in indices])

    def update(self, d2, idx):
        self._all("update", self.row(idx), int(idx))
        return True


@validate_params(
    {
        "probas_and_embeddings": [PoolChunks],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_instances": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "client": "no_validation",
        "return_scores": ["boolean"],
    }
)
def badge_sampling(
    probas_and_embeddings,
    n_features,
    n_instances,
    *,
    random_state=None,
    client=None,
    return_scores=False,
):
    """BADGE on a Dask cluster, with the picks of one process.

    The same picks as :func:`skactive.selection.badge_sampling` on the same
    probabilities and embeddings with the same ``random_state``, computed
    where the chunks live.

    Parameters
    ----------
    probas_and_embeddings : PoolChunks
        Chunks of ``[embeddings | probas]`` rows on the workers: the first
        ``n_features`` columns are the embeddings, the rest the class
        probabilities (``map_rows(..., gather=False)`` of a function that
        returns both side by side).
    n_features : int
        Number of embedding columns.
    n_instances : int
        Number of rows to select.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws (one uniform number per pick, as in one process).
        Pass an int for reproducible output across multiple function calls.
    client : distributed.Client or None, default=None
        The cluster; ``None`` uses the active client.
    return_scores : bool, default=False
        Also return the gradient norm of each pick.

    Returns
    -------
    indices : ndarray of shape (n_instances,), dtype int64
        Unique row indices in selection order.
    scores : ndarray of shape (n_instances,)
        Only if ``return_scores=True``.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from skactive.distributed import badge_sampling, map_rows
    >>> probas = np.array([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4], [0.99, 0.01]])
    >>> emb = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [3.0, 3.0]])
    >>> both = da.from_array(np.hstack([emb, probas]), chunks=2)
    >>> def rows(model, r, start):
    ...     return r
    >>> with LocalCluster(n_workers=1, processes=False) as cluster, Client(
    ...     cluster
    ... ) as client:
    ...     chunks = map_rows(rows, None, both, gather=False)
    ...     picks = badge_sampling(chunks, 2, 2, random_state=0)
    >>> int(picks[0])
    2
    """
    client = require_client(client, "badge_sampling")
    chunks = probas_and_embeddings
    if len(chunks.shape) != 2 or chunks.shape[1] <= n_features:
        raise InvalidParameterError(
            f"badge_sampling: probas_and_embeddings must have more than "
            f"n_features={n_features} columns, got shape {chunks.shape}."
        )
    n_pool = chunks.shape[0]
    n = check_n_instances(n_instances, n_pool, caller="badge_sampling")
    rng = check_random_state(random_state)
    actors, owner, runs = _spawn_actors(client, chunks, _BadgeShard, int(n_features))
    driver = _FirstPick(actors, runs, owner, None, None, n_pool, None)
    setups = driver._all("setup_badge", _DEFAULT_UPDATE_ROWS)
    dtype = getattr(torch, setups[0]["dtype"])
    tol = _zero_tol(max(s["a_max"] for s in setups), setups[0]["n_dims"], dtype)

    u = rng.random_sample()
    first = driver.first(u, tol)
    if first < 0:  # every gradient is zero: nothing to prefer
        first = min(int(u * n_pool), n_pool - 1)
    picks = [first]
    if n > 1:
        d2 = driver.update(None, first)
        picked = np.zeros(n_pool, dtype=bool)
        picked[first] = True
        rest, _ = _greedy_loop(
            n - 1,
            n_pool,
            d2,
            driver.update,
            exponent=1.0,
            rng=rng,
            picked=picked,
            draw=lambda d2, u: driver.sample(d2, u, 1.0),
        )
        picks.extend(rest.tolist())
    picks = np.asarray(picks, dtype=np.int64)
    if not return_scores:
        return picks
    return picks, driver._gather("score", picks)
