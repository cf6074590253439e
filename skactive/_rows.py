"""Row access for every container a pool can be: count, take, slice, chunk.

numpy arrays, torch tensors, scipy sparse matrices, pandas objects and lists
are read row by row without converting them to another type: the rows taken
from a container come back in a container of the same type.
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
]


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


def concat_rows(a, b):
    """The rows of ``a`` followed by those of ``b``, in ``a``'s kind of container."""
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
    """Rows ``start:stop`` of ``X`` without copying where the type allows."""
    if hasattr(X, "iloc"):
        return X.iloc[start:stop]
    if _is_sparse(X):
        return X.tocsr()[start:stop]
    return X[start:stop]


def row_chunks(X, step):
    """Yield ``(start, stop, rows)`` over consecutive chunks of ``step`` rows.

    A container of at most ``step`` rows is yielded whole, as it is.
    """
    n = n_rows(X)
    if n <= step:
        yield 0, n, X
        return
    for start in range(0, n, step):
        stop = min(start + step, n)
        yield start, stop, slice_rows(X, start, stop)
