"""Row access for every container a pool can be: count, take, slice, chunk.

numpy arrays, torch tensors, scipy sparse matrices, pandas objects and lists
are read row by row without converting them to another type: the rows taken
from a container come back in a container of the same type.

Lazy pools (:mod:`skactive.pools`, numpy memmaps, dask arrays) are read in
blocks: the rows taken or sliced from them come back in memory (a numpy
array, or the tensors a dataset yields), and nothing here ever reads a whole
lazy pool at once -- :func:`row_chunks` yields in-memory blocks of at most
``step`` rows.
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = [
    "n_rows",
    "take_rows",
    "slice_rows",
    "row_chunks",
    "concat_rows",
    "row_shape",
    "is_lazy",
    "subset_rows",
]


def is_lazy(X) -> bool:
    """Whether ``X`` is a lazy pool (read in blocks, never whole)."""
    if isinstance(X, np.ndarray | list | tuple) and not isinstance(X, np.memmap):
        return False
    from . import pools  # numpy only: cheap

    return pools.is_lazy_pool(X)


def _is_dask(X):
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(X, da.Array)


def _read(X, key):
    """``X[key]`` in memory, for a lazy pool ``X``."""
    if _is_dask(X):
        return np.asarray(X[key].compute())
    if isinstance(X, np.memmap):  # a copy in memory, not a view of the map
        return np.array(X[key])
    return X[key]


def _torch_if_tensor(*values):
    """torch, if one of ``values`` is a torch tensor (torch is not imported else)."""
    torch = sys.modules.get("torch")
    if torch is not None and any(isinstance(v, torch.Tensor) for v in values):
        return torch
    return None


def _is_sparse(*values):
    """Whether one of ``values`` is a scipy sparse matrix (scipy not imported else)."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and any(sparse.issparse(v) for v in values)


def n_rows(X) -> int:
    """Number of rows of an array, tensor, sparse matrix, DataFrame or list."""
    if hasattr(X, "shape") and len(X.shape) > 0:
        return int(X.shape[0])
    return len(X)


def take_rows(X, indices):
    """Rows ``indices`` of ``X`` keeping its type (ndarray, tensor, sparse, pandas)."""
    indices = np.asarray(indices, dtype=np.int64)
    if is_lazy(X):
        return _read(X, indices)
    torch = _torch_if_tensor(X)
    if torch is not None:
        return X[torch.as_tensor(indices, device=X.device)]
    if _is_sparse(X):
        return X.tocsr()[indices]
    if hasattr(X, "iloc"):
        return X.iloc[indices]
    if isinstance(X, list):
        return [X[i] for i in indices]
    return X[indices]


def row_shape(X):
    """Shape of one row of ``X`` (``()`` for a sequence of items such as strings)."""
    shape = getattr(X, "shape", None)
    if shape is not None and not isinstance(X, list | tuple):
        return tuple(shape[1:])
    return ()


def subset_rows(X, indices):
    """Rows ``indices`` of ``X``: a :class:`~skactive.pools.PoolView` of a lazy pool
    (nothing read), else :func:`take_rows` (a copy in ``X``'s container)."""
    if is_lazy(X):
        from .pools import PoolView

        return PoolView(X, indices)
    return take_rows(X, indices)


def concat_rows(a, b):
    """The rows of ``a`` followed by those of ``b``, in ``a``'s kind of container.

    With a lazy pool on either side the result is lazy too (a
    :class:`~skactive.pools.PoolView` when both are views of the same source,
    else a :class:`~skactive.pools.ConcatRows`): nothing is read.
    """
    if is_lazy(a) or is_lazy(b):
        from .pools import concat_pools

        return concat_pools(a, b)
    torch = _torch_if_tensor(a, b)
    if torch is not None:
        a = torch.as_tensor(a)
        b = torch.as_tensor(b, device=a.device)
        return torch.cat([a, b.to(a.dtype)], dim=0)
    if _is_sparse(a, b):
        import scipy.sparse as sp

        return sp.vstack([a, b], format="csr")
    if hasattr(a, "iloc"):
        import pandas as pd

        return pd.concat([a, b], axis=0, ignore_index=True)
    if isinstance(a, list | tuple):
        return list(a) + list(b)
    return np.concatenate([np.asarray(a), np.asarray(b)], axis=0)


def slice_rows(X, start, stop):
    """Rows ``start:stop`` of ``X`` without copying where the type allows.

    A lazy pool's rows are read into memory.
    """
    if is_lazy(X):
        return _read(X, slice(start, stop))
    if hasattr(X, "iloc"):
        return X.iloc[start:stop]
    if _is_sparse(X):
        return X.tocsr()[start:stop]
    return X[start:stop]


def row_chunks(X, step):
    """Yield ``(start, stop, rows)`` over consecutive chunks of ``step`` rows.

    A container of at most ``step`` rows is yielded whole, as it is (a lazy
    pool is read, in blocks of ``step`` rows, always).
    """
    n = n_rows(X)
    if n <= step and not is_lazy(X):
        yield 0, n, X
        return
    for start in range(0, n, step):
        stop = min(start + step, n)
        yield start, stop, slice_rows(X, start, stop)
