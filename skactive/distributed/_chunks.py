"""A pool described by its chunks, where they live.

A dask array's blocks are computed on the cluster and kept there as futures
(the rows never come to this process); a list of ``.npy`` shards, a
:class:`~skactive.pools.ShardedArray` or an :class:`~skactive.pools.ArrayFile`
is cut into row ranges that each worker reads from the file itself
(:class:`~skactive.pools.ArrayFile` pickles as its path). Every chunk knows
its first row in the whole pool, so results come back aligned to rows.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from numbers import Integral
from os import PathLike

import numpy as np

from .._validation import Interval, InvalidParameterError, validate_params
from ..pools import ArrayFile, ShardedArray

__all__ = ["PoolChunks", "pool_chunks", "is_distributed_pool"]

#: Rows per chunk cut from a file (a dask array keeps its own chunks).
DEFAULT_CHUNK_ROWS = 1 << 16


@dataclass(frozen=True)
class _FileRows:
    """Rows ``start:stop`` of a file, read on the worker that runs the task."""

    source: ArrayFile
    start: int
    stop: int

    @property
    def shape(self):
        return (self.stop - self.start, *self.source.shape[1:])

    def read(self):
        return self.source[self.start : self.stop]


def _materialise(data):
    """The rows of one chunk, in the memory of the worker running this."""
    if isinstance(data, _FileRows):
        return data.read()
    return data


def _is_dask(X):
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(X, da.Array)


@validate_params({"X": "no_validation"})
def is_distributed_pool(X):
    """Whether ``X`` is a pool whose chunks can be processed where they live.

    Parameters
    ----------
    X : object
        A pool.

    Returns
    -------
    bool
        True for a dask array, a :class:`~skactive.pools.ShardedArray` and a
        list or tuple of ``.npy`` paths.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.distributed import is_distributed_pool
    >>> is_distributed_pool(np.zeros((3, 2)))
    False
    """
    if _is_dask(X) or isinstance(X, ShardedArray):
        return True
    return (
        isinstance(X, list | tuple)
        and len(X) > 0
        and all(isinstance(p, str | PathLike) for p in X)
    )


class PoolChunks:
    """The chunks of a pool on a Dask cluster, each with its first row.

    Built by :func:`pool_chunks`; holds the futures of a dask array's blocks
    (so they stay on the workers while it lives).

    Parameters
    ----------
    starts : list of int
        First row of each chunk in the whole pool.
    stops : list of int
        One past the last row of each chunk.
    data : list
        Per chunk: a future of its rows on a worker, or a row range of a file
        that the worker reads.
    workers : list of str or None
        Per chunk, the worker holding it (``None``: any).
    shape : tuple of int
        Shape of the whole pool.
    dtype : numpy.dtype
        Its dtype.
    """

    _parameter_constraints = {
        "starts": [list],
        "stops": [list],
        "data": [list],
        "workers": [list],
        "shape": [tuple],
        "dtype": "no_validation",
    }

    def __init__(self, starts, stops, data, workers, shape, dtype):
        self.starts, self.stops = list(starts), list(stops)
        self.data, self.workers = list(data), list(workers)
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)

    def __len__(self):
        return len(self.starts)

    def __repr__(self):
        return f"PoolChunks({len(self)} chunks, shape={self.shape}, dtype={self.dtype})"


def _file_chunks(files, chunk_rows, worker_list):
    starts, stops, data = [], [], []
    offset = 0
    for f in files:
        for a in range(0, f.shape[0], chunk_rows):
            b = min(f.shape[0], a + chunk_rows)
            starts.append(offset + a)
            stops.append(offset + b)
            data.append(_FileRows(f, a, b))
        offset += f.shape[0]
    # consecutive ranges to the same worker: worker w reads the w-th share
    k, w = len(starts), len(worker_list)
    workers = [worker_list[i * w // k] if w else None for i in range(k)]
    return starts, stops, data, workers


@validate_params(
    {
        "pool": "no_validation",
        "client": "no_validation",
        "chunk_rows": [Interval(Integral, 1, None, closed="left"), None],
    }
)
def pool_chunks(pool, client, *, chunk_rows=None):
    """Describe a pool by its chunks, where they live on the cluster.

    Parameters
    ----------
    pool : dask.array.Array, ShardedArray, ArrayFile or list of paths
        A dask array's blocks (along the rows; the other axes are merged
        into one block) are computed on the workers and stay there;
        files are cut into row ranges read by the workers.
    client : distributed.Client
        The cluster.
    chunk_rows : int or None, default=None
        Rows per range cut from files (default 65,536); a dask array keeps
        its chunks.

    Returns
    -------
    PoolChunks
        The chunks, their first rows and their workers.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skactive.distributed import pool_chunks
    >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
    >>> np.save(path, np.zeros((10, 2)))
    >>> pool_chunks([path], None, chunk_rows=4).starts
    [0, 4, 8]
    """
    chunk_rows = int(chunk_rows or DEFAULT_CHUNK_ROWS)
    worker_list = sorted(client.scheduler_info()["workers"]) if client else []
    if _is_dask(pool):
        if pool.ndim < 1 or pool.shape[0] == 0:
            raise InvalidParameterError("pool_chunks: the dask array has no rows.")
        arr = pool.rechunk({i: -1 for i in range(1, pool.ndim)})
        blocks = list(arr.to_delayed().reshape(-1))
        sizes = arr.chunks[0]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        if client is None:
            raise InvalidParameterError("pool_chunks: a dask array needs a client.")
        futures = client.compute(blocks)
        from distributed import wait

        wait(futures)  # computed where the scheduler put them: ask where
        where = client.who_has(futures)
        workers = [(list(where.get(f.key, ())) or [None])[0] for f in futures]
        return PoolChunks(
            bounds[:-1].tolist(),
            bounds[1:].tolist(),
            futures,
            workers,
            arr.shape,
            arr.dtype,
        )
    if isinstance(pool, ArrayFile):
        files = [pool]
    elif isinstance(pool, ShardedArray):
        files = list(pool.shards)
    elif is_distributed_pool(pool):
        files = list(ShardedArray(list(pool)).shards)
    else:
        raise InvalidParameterError(
            "pool_chunks: pool must be a dask array, a ShardedArray, an "
            f"ArrayFile or a list of .npy paths, got {type(pool).__name__}."
        )
    starts, stops, data, workers = _file_chunks(files, chunk_rows, worker_list)
    shape = (stops[-1], *files[0].shape[1:])
    return PoolChunks(starts, stops, data, workers, shape, files[0].dtype)
