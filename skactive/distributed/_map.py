"""Per-row work on the chunks where they live: map_rows and the exact top-k.

The model goes to every worker once (``client.scatter(broadcast=True)``):
the tasks refer to it by its future, so it is not pickled with each chunk.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from .._validation import Interval, InvalidParameterError, validate_params
from ..pools import ArrayFile
from ..selection import merge_top_k, shard_top_k
from ._chunks import PoolChunks, _materialise, is_distributed_pool, pool_chunks
from ._client import require_client

__all__ = ["map_rows", "top_k"]


def _call(fn, model, data, start):
    return fn(model, _materialise(data), start)


def _top_of_chunk(fn, model, data, start, n):
    scores = np.asarray(fn(model, _materialise(data), start))
    return shard_top_k(scores, n, offset=start)


def _check_pool(pool, caller):
    if not (is_distributed_pool(pool) or isinstance(pool, ArrayFile)):
        raise InvalidParameterError(
            f"{caller}: pool must be a dask array, a ShardedArray, an ArrayFile "
            f"or a list of .npy paths, got {type(pool).__name__}."
        )


def _submit_all(client, func, model, chunks, *args):
    [model_future] = client.scatter([model], broadcast=True, hash=False)
    futures = [
        client.submit(
            func,
            model_future,
            data,
            start,
            *args,
            pure=False,
            workers=None if worker is None else [worker],
            # a preference, not a pin (dask refuses the flag without workers)
            allow_other_workers=worker is not None,
        )
        for data, start, worker in zip(
            chunks.data, chunks.starts, chunks.workers, strict=True
        )
    ]
    return model_future, futures


def _concat(results):
    first = results[0]
    if isinstance(first, tuple):
        return tuple(_concat([r[i] for r in results]) for i in range(len(first)))
    return np.concatenate([np.asarray(r) for r in results], axis=0)


@validate_params(
    {
        "fn": [callable],
        "model": "no_validation",
        "pool": "no_validation",
        "client": "no_validation",
        "chunk_rows": [Interval(Integral, 1, None, closed="left"), None],
        "gather": ["boolean"],
    }
)
def map_rows(fn, model, pool, *, client=None, chunk_rows=None, gather=True):
    """``fn(model, rows, start)`` on every chunk of a pool, where it lives.

    Parameters
    ----------
    fn : callable
        ``fn(model, rows, start) -> array`` (or a tuple of arrays) with one
        entry per row of ``rows``; ``start`` is the first row of the chunk in
        the whole pool (pass it to :func:`skactive._inference.pool_offset`
        for Monte-Carlo seeds that depend on the absolute row). It runs on
        the workers: it must be importable there (a module-level function).
    model : object
        Sent to every worker once (``client.scatter(broadcast=True)``).
    pool : dask.array.Array, ShardedArray, ArrayFile or list of .npy paths
        See :func:`pool_chunks`.
    client : distributed.Client or None, default=None
        The cluster; ``None`` uses the active client.
    chunk_rows : int or None, default=None
        Rows per range cut from files (a dask array keeps its chunks).
    gather : bool, default=True
        ``False`` leaves the results on the workers: a :class:`PoolChunks`
        of their futures (``fn`` returning one array), the pool of the next
        distributed step (embeddings for :func:`diversity_sampling`, say).

    Returns
    -------
    result : ndarray, tuple of ndarray or PoolChunks
        The chunks' results concatenated in row order (or left in place).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from skactive.distributed import map_rows
    >>> def norms(model, rows, start):
    ...     return np.linalg.norm(rows, axis=1) * model
    >>> with LocalCluster(n_workers=1, processes=False) as cluster, Client(
    ...     cluster
    ... ) as client:
    ...     out = map_rows(norms, 2.0, da.ones((5, 4), chunks=2))
    >>> out.tolist()
    [4.0, 4.0, 4.0, 4.0, 4.0]
    """
    _check_pool(pool, "map_rows")
    client = require_client(client, "map_rows")
    chunks = pool_chunks(pool, client, chunk_rows=chunk_rows)

    def task(model, data, start):
        return _call(fn, model, data, start)

    _, futures = _submit_all(client, task, model, chunks)
    if not gather:
        return _left_on_workers(client, futures, chunks)
    return _concat(client.gather(futures))


def _shape_dtype(a):
    a = np.asarray(a)
    return a.shape, a.dtype.str


def _left_on_workers(client, futures, chunks):
    """The results of a map as a pool of futures, on the workers that made them."""
    from distributed import wait

    wait(futures)
    meta = client.gather([client.submit(_shape_dtype, f, pure=False) for f in futures])
    where = client.who_has(futures)
    workers = [(list(where.get(f.key, ())) or [None])[0] for f in futures]
    shape = (chunks.stops[-1], *meta[0][0][1:])
    return PoolChunks(
        chunks.starts, chunks.stops, futures, workers, shape, np.dtype(meta[0][1])
    )


@validate_params(
    {
        "fn": [callable],
        "model": "no_validation",
        "pool": "no_validation",
        "n_instances": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "client": "no_validation",
        "chunk_rows": [Interval(Integral, 1, None, closed="left"), None],
        "return_scores": ["boolean"],
    }
)
def top_k(
    fn,
    model,
    pool,
    n_instances,
    *,
    random_state=None,
    client=None,
    chunk_rows=None,
    return_scores=False,
):
    """The rows of the highest scores, computed chunk by chunk on the cluster.

    Each worker scores its chunks (``fn(model, rows, start)``) and returns
    only their top-k candidates (:func:`~skactive.selection.shard_top_k`);
    the merge (:func:`~skactive.selection.merge_top_k`) returns exactly what
    :func:`skactive.selection.top_k` returns on all the scores in one process
    -- same indices, same order, same random tie-breaking.

    Parameters
    ----------
    fn : callable
        ``fn(model, rows, start) -> scores`` of shape ``(len(rows),)``.
    model : object
        Sent to every worker once.
    pool : dask.array.Array, ShardedArray, ArrayFile or list of .npy paths
        See :func:`pool_chunks`.
    n_instances : int
        Number of rows to return.
    random_state : int, RandomState instance or None, default=None
        Breaks ties. Pass an int for reproducible output across multiple
        function calls.
    client : distributed.Client or None, default=None
        The cluster; ``None`` uses the active client.
    chunk_rows : int or None, default=None
        Rows per range cut from files.
    return_scores : bool, default=False
        Also return the scores of the selected rows.

    Returns
    -------
    indices : ndarray of shape (n_instances,), dtype int64
        Pool indices, best first.
    scores : ndarray of shape (n_instances,)
        Only if ``return_scores=True``.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from skactive.distributed import top_k
    >>> def first_column(model, rows, start):
    ...     return rows[:, 0]
    >>> X = da.from_array(np.array([[0.1], [0.9], [0.5], [0.9]]), chunks=2)
    >>> with LocalCluster(n_workers=1, processes=False) as cluster, Client(
    ...     cluster
    ... ) as client:
    ...     picks = top_k(first_column, None, X, 3, random_state=0)
    >>> picks.tolist()
    [1, 3, 2]
    """
    _check_pool(pool, "top_k")
    client = require_client(client, "top_k")
    rng = check_random_state(random_state)
    chunks = pool_chunks(pool, client, chunk_rows=chunk_rows)
    n = int(n_instances)

    def task(model, data, start):
        return _top_of_chunk(fn, model, data, start, n)

    _, futures = _submit_all(client, task, model, chunks)
    shards = client.gather(futures)
    indices = merge_top_k(shards, n, random_state=rng)
    if not return_scores:
        return indices
    found = dict(
        zip(
            np.concatenate([c.indices for c in shards]).tolist(),
            np.concatenate([c.values for c in shards]),
            strict=True,
        )
    )
    return indices, np.array([found[int(i)] for i in indices])
