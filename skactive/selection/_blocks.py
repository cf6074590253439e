"""Embeddings that do not fit in memory, read by the selectors in blocks of rows.

:class:`_LazyRows` wraps a lazy 2-D pool (:class:`~skactive.pools.ArrayFile`,
a :class:`numpy.memmap`, :class:`~skactive.pools.PoolView`, a dask array...)
so that the distance engine of :mod:`~skactive.selection._distance` can index
it like a tensor -- ``X[a:b]``, ``X[i]``, ``X[rows]`` return tensors of the
compute dtype on the compute device -- while only one block of rows is ever
in memory. The compute dtype follows the in-memory rules of
:func:`~skactive.selection._arrays._to_tensor` (half precision becomes
float32, integers float64), so a block holds exactly the values the
in-memory call would see.

:func:`_read_all` reads a lazy embedding block by block into one
preallocated array, for the selectors that need every row at once (the exact
k-means of TypiClust on pools of up to 50,000 rows, weighted k-means);
ProbCover and the large-pool TypiClust read blocks themselves.
"""

from __future__ import annotations

import numpy as np
import torch

from .._rows import is_lazy, n_rows, slice_rows, take_rows
from .._validation import InvalidParameterError
from ._arrays import _BLOCK_ELEMS

__all__ = []


def _np_dtype(dtype):
    """The compute dtype of stored ``dtype`` (as in ``_arrays._to_tensor``)."""
    if isinstance(dtype, torch.dtype):
        if dtype == torch.bfloat16:
            return np.dtype(np.float32)
        dtype = torch.empty(0, dtype=dtype).numpy().dtype
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        return None
    if dtype.kind not in "biuf":
        return None
    if dtype.kind != "f" or dtype.itemsize > 8:
        return np.dtype(np.float64)
    if dtype.itemsize < 4:
        return np.dtype(np.float32)
    return dtype


def _as_numpy(block):
    if isinstance(block, torch.Tensor):
        return block.detach().cpu().numpy()
    return np.asarray(block)


class _LazyRows:
    """A lazy ``(n, d)`` embedding seen as a tensor, one block at a time.

    Parameters
    ----------
    source : lazy pool
        Two-dimensional rows (``is_lazy(source)``).
    name : str
        The argument's name, for errors.
    device : torch.device
        Where the blocks go.
    block_rows : int or None
        Rows per block (``None``: 4 Mi elements per block).
    """

    def __init__(self, source, name, device, block_rows=None):
        n = n_rows(source)
        shape = tuple(getattr(source, "shape", ()))
        if len(shape) != 2:
            raise InvalidParameterError(
                f"{name} must be a 2-D array of shape (n_samples, n_features), "
                f"got a {len(shape)}-D array with shape {shape}."
            )
        if shape[1] == 0 or n == 0:
            raise InvalidParameterError(
                f"{name} must have at least one row and one column, got shape {shape}."
            )
        stored = getattr(source, "dtype", None)
        dtype = _np_dtype(stored) if stored is not None else None
        if dtype is None:
            first = _as_numpy(slice_rows(source, 0, 1))
            dtype = _np_dtype(first.dtype)
            if dtype is None:
                raise InvalidParameterError(
                    f"{name} must be numeric, got rows of dtype {first.dtype} "
                    f"({type(source).__name__})."
                )
        self.source, self.name = source, name
        self.shape = (int(n), int(shape[1]))
        self.np_dtype = dtype
        self.dtype = torch.from_numpy(np.empty(0, dtype=dtype)).dtype
        self.device = torch.device(device)
        self.block_rows = int(block_rows or max(1, _BLOCK_ELEMS // self.shape[1]))

    def _tensor(self, rows):
        a = np.ascontiguousarray(_as_numpy(rows), dtype=self.np_dtype)
        return torch.from_numpy(a).to(self.device)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self.shape[0])
            if step == 1:
                return self._tensor(slice_rows(self.source, start, stop))
            key = np.arange(start, stop, step)
        if isinstance(key, int | np.integer):
            return self._tensor(take_rows(self.source, [int(key)]))[0]
        if isinstance(key, torch.Tensor):
            if key.dtype == torch.bool:
                key = torch.nonzero(key).flatten()
            key = key.cpu().numpy()
        return self._tensor(take_rows(self.source, np.asarray(key, dtype=np.int64)))

    def blocks(self):
        """Yield ``(start, stop, tensor)`` over consecutive blocks of rows."""
        n, step = self.shape[0], self.block_rows
        for s in range(0, n, step):
            e = min(n, s + step)
            yield s, e, self[s:e]


def _is_lazy_rows(X):
    return isinstance(X, _LazyRows)


def _lazy_or_none(x, name, device):
    """``_LazyRows`` for a lazy pool ``x``, else ``None``."""
    if isinstance(x, torch.Tensor | np.ndarray) and not isinstance(x, np.memmap):
        return None
    if not is_lazy(x):
        return None
    return _LazyRows(x, name, device)


def _read_all(x, name):
    """A lazy 2-D embedding read block by block into one in-memory array."""
    rows = _LazyRows(x, name, torch.device("cpu"))
    out = np.empty(rows.shape, dtype=rows.np_dtype)
    for s, e, block in rows.blocks():
        out[s:e] = block.numpy()
    return out
