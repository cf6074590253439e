"""Pools too big for memory: rows read on demand, never all at once.

Every strategy, the learner and :func:`skactive.experiment.simulate` take, as
``X_pool``, besides in-memory arrays:

* :class:`ArrayFile` -- a ``.npy`` file or a :class:`numpy.memmap`, read in
  blocks of rows with ``pread`` (the pages read are not kept mapped, so the
  process's memory stays bounded however large the file);
* :class:`ShardedArray` -- a list of ``.npy`` files read as one array;
* :class:`DatasetRows` -- a :class:`torch.utils.data.Dataset` whose items are
  a tensor or ``(tensor, label)`` (``torchvision.datasets.ImageFolder`` with
  a transform, say); skactive nets stream it through a ``DataLoader``;
* a :class:`dask.array.Array`, read chunk by chunk (and, with a
  ``dask.distributed`` client, scored where its chunks live: see
  :mod:`skactive.distributed`).

:func:`as_pool` turns a path, a list of paths, a memmap or a dataset into one
of these; :class:`PoolView` is a subset of rows of any pool, by index, without
copying (the learner's unlabeled rows of a lazy pool). Indexing a lazy pool
(``pool[a:b]``, ``pool[indices]``) returns the rows as an in-memory array;
``numpy.asarray(pool)`` is refused, since it would read the whole pool.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np

from ._errors import InvalidParameterError
from ._validation import HasMethods, validate_parameter_constraints, validate_params

__all__ = [
    "ArrayFile",
    "ShardedArray",
    "DatasetRows",
    "PoolView",
    "ConcatRows",
    "concat_pools",
    "flat_rows",
    "as_pool",
    "is_lazy_pool",
]


class _MapStyleDatasets(HasMethods):
    def __init__(self):
        super().__init__(["__len__", "__getitem__"])

    def __str__(self):
        return "a map-style torch Dataset (with __len__ and __getitem__)"


def _refuse_materialising(self, *args, **kwargs):
    raise TypeError(
        f"{type(self).__name__} is read in blocks of rows; numpy.asarray on it "
        "would read the whole pool into memory. Index it (pool[a:b], "
        "pool[indices]) for the rows you need."
    )


def _normalise_index(key, n):
    """``key`` -> ("slice", start, stop) or ("rows", int64 array) or ("row", i)."""
    if isinstance(key, slice):
        start, stop, step = key.indices(n)
        if step != 1:
            return "rows", np.arange(start, stop, step, dtype=np.int64)
        return "slice", start, max(start, stop)
    if isinstance(key, int | np.integer):
        i = int(key)
        if not -n <= i < n:
            raise IndexError(f"row {i} is out of range for a pool of {n} rows")
        return "row", i % n
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(key, torch.Tensor):
        key = key.cpu().numpy()
    idx = np.asarray(key)
    if idx.dtype == bool:
        if idx.shape != (n,):
            raise IndexError(f"a boolean mask must have {n} entries")
        idx = np.flatnonzero(idx)
    idx = idx.astype(np.int64, copy=False).ravel()
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"row indices out of range for a pool of {n} rows")
    return "rows", np.where(idx < 0, idx + n, idx)


def _npy_header(path):
    """``(shape, fortran_order, dtype, offset of the data)`` of a ``.npy`` file."""
    fmt = np.lib.format
    with open(path, "rb") as fh:
        try:
            version = fmt.read_magic(fh)
            if version == (1, 0):
                header = fmt.read_array_header_1_0(fh)
            elif version == (2, 0):
                header = fmt.read_array_header_2_0(fh)
            else:  # a newer format: numpy reads the header for us
                fh.seek(0)
                mm = np.load(path, mmap_mode="r", allow_pickle=False)
                fortran = mm.ndim > 1 and not mm.flags.c_contiguous
                return mm.shape, fortran, mm.dtype, int(mm.offset)
        except ValueError as exc:
            raise InvalidParameterError(
                f"ArrayFile: {str(path)!r} is not a .npy file: {exc}"
            ) from None
        return (*header, fh.tell())


def _runs(sorted_idx):
    """Start/stop of the runs of consecutive values of a sorted index array."""
    if sorted_idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(sorted_idx) != 1) + 1
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [sorted_idx.size]])
    return [
        (int(sorted_idx[a]), int(sorted_idx[b - 1]) + 1)
        for a, b in zip(starts, stops, strict=True)
    ]


class _LazyRows:
    """What every lazy pool shares: its length, ``ndim``, and no ``__array__``.

    Subclasses set ``shape``; ``np.asarray(pool)`` raises instead of reading
    the whole pool into memory.
    """

    __array__ = _refuse_materialising

    def __len__(self):
        return self.shape[0]

    @property
    def ndim(self):
        """int: Number of dimensions."""
        return len(self.shape)


class ArrayFile(_LazyRows):
    """Rows of a C-ordered array on disk, read on demand (bounded memory).

    Parameters
    ----------
    source : str, pathlib.Path or numpy.memmap
        A ``.npy`` file (read with its header's dtype and shape) or a
        C-contiguous :class:`numpy.memmap` (its file, offset, dtype and
        shape are used; the mapping itself is not read through).

    Attributes
    ----------
    path : pathlib.Path
        The file.
    shape : tuple of int
        ``(n_rows, *row_shape)``.
    dtype : numpy.dtype
        The stored dtype (float16 stays float16).
    offset : int
        Bytes before the first row.

    Notes
    -----
    Rows are read with ``os.preadv`` into fresh arrays, so the file is never
    mapped: the pages read go to the operating system's cache (which it
    frees under memory pressure), not into the process's resident memory,
    and a 3 GB pool costs the rows of the block being read. Index arrays are
    read as runs of consecutive rows. The object pickles as its path and
    layout, so Dask workers reopen the file on their side.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skactive.pools import ArrayFile
    >>> path = os.path.join(tempfile.mkdtemp(), "pool.npy")
    >>> np.save(path, np.arange(12, dtype=np.float32).reshape(6, 2))
    >>> pool = ArrayFile(path)
    >>> pool.shape, pool[1:3].tolist(), pool[[5, 0]].tolist()
    ((6, 2), [[2.0, 3.0], [4.0, 5.0]], [[10.0, 11.0], [0.0, 1.0]])
    """

    _parameter_constraints = {"source": ["path", np.memmap]}

    def __init__(self, source):
        validate_parameter_constraints(
            self._parameter_constraints, {"source": source}, "ArrayFile"
        )
        if isinstance(source, np.memmap):
            if not source.flags["C_CONTIGUOUS"] or source.filename is None:
                raise InvalidParameterError(
                    "ArrayFile: source must be a C-contiguous memmap of a file."
                )
            base = source
            while isinstance(getattr(base, "base", None), np.memmap):
                base = base.base
            self.path = Path(source.filename)
            self.dtype = source.dtype
            self.shape = tuple(int(s) for s in source.shape)
            # a view of a larger memmap starts where its data pointer is
            start = source.__array_interface__["data"][0]
            base_start = base.__array_interface__["data"][0]
            self.offset = int(base.offset) + (start - base_start)
        elif isinstance(source, str | os.PathLike):
            self.path = Path(source)
            if not self.path.is_file():
                raise InvalidParameterError(f"ArrayFile: no such file {str(source)!r}.")
            shape, fortran, dtype, self.offset = _npy_header(self.path)
            expected = (
                self.offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            )
            if os.path.getsize(self.path) < expected:
                raise InvalidParameterError(
                    f"ArrayFile: {str(source)!r} is shorter than its header "
                    f"says ({os.path.getsize(self.path)} bytes, {expected} "
                    "expected): truncated?"
                )
            if fortran:
                raise InvalidParameterError(
                    f"ArrayFile: {str(source)!r} is stored in Fortran order; "
                    "rows must be contiguous (save it C-ordered)."
                )
            if dtype.hasobject:
                raise InvalidParameterError(
                    f"ArrayFile: {str(source)!r} holds Python objects."
                )
            self.dtype = dtype
            self.shape = tuple(int(s) for s in shape)
        else:
            raise InvalidParameterError(
                "ArrayFile: source must be a path of a .npy file or a "
                f"numpy.memmap, got {type(source).__name__}."
            )
        if len(self.shape) == 0:
            raise InvalidParameterError("ArrayFile: the array is a scalar.")
        self.row_shape = self.shape[1:]
        self.row_bytes = (
            int(np.prod(self.row_shape, dtype=np.int64)) * self.dtype.itemsize
        )
        self._local = threading.local()

    # pickled as its layout; each process (each thread) opens its own handle
    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_local", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local = threading.local()

    def _fd(self):
        fd = getattr(self._local, "fd", None)
        if fd is None or getattr(self._local, "pid", None) != os.getpid():
            fd = os.open(self.path, os.O_RDONLY)
            self._local.fd, self._local.pid = fd, os.getpid()
        return fd

    def __del__(self):
        local = getattr(self, "_local", None)
        for fd_key, pid_key in (("fd", "pid"), ("wfd", "wpid")):
            fd = getattr(local, fd_key, None)
            if fd is not None and getattr(local, pid_key, None) == os.getpid():
                try:
                    os.close(fd)
                except OSError:
                    pass

    def flat(self):
        """The same file seen as a 2-D array ``(n_rows, prod(row_shape))``.

        Returns
        -------
        ArrayFile
            A new handle on the same bytes (nothing is read or copied).
        """
        out = object.__new__(type(self))
        out.__setstate__(self.__getstate__())
        out.row_shape = (int(np.prod(self.row_shape, dtype=np.int64)),)
        out.shape = (self.shape[0], *out.row_shape)
        return out

    @classmethod
    def create(cls, path, shape, dtype):
        """A new ``.npy`` file of ``shape`` and ``dtype``, to fill with :meth:`write`.

        The file is sized at once (sparsely, where the file system allows)
        and nothing is mapped: rows written go through ``pwrite``, so filling
        a file larger than memory keeps the process's memory bounded.

        Parameters
        ----------
        path : str or pathlib.Path
            The file to create (overwritten if it exists).
        shape : tuple of int
            ``(n_rows, *row_shape)``.
        dtype : str or numpy.dtype
            The stored dtype.

        Returns
        -------
        ArrayFile
            The new file (its rows read as zeros until written).

        Examples
        --------
        >>> import numpy as np, tempfile, os
        >>> from skactive.pools import ArrayFile
        >>> path = os.path.join(tempfile.mkdtemp(), "emb.npy")
        >>> out = ArrayFile.create(path, (4, 2), "float16")
        >>> out.write(1, np.ones((2, 2)))
        >>> np.load(path).tolist()
        [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
        """
        dtype = np.dtype(dtype)
        shape = tuple(int(s) for s in shape)
        header = {
            "descr": np.lib.format.dtype_to_descr(dtype),
            "fortran_order": False,
            "shape": shape,
        }
        with open(path, "wb") as fh:
            np.lib.format.write_array_header_2_0(fh, header)
            offset = fh.tell()
            fh.truncate(offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize)
        return cls(path)

    def write(self, start, rows):
        """Write ``rows`` (converted to :attr:`dtype`) from row ``start`` on.

        Parameters
        ----------
        start : int
            First row to write.
        rows : array-like of shape (n, ...)
            The values.
        """
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        if tuple(rows.shape[1:]) != self.row_shape or not (
            0 <= start and start + rows.shape[0] <= self.shape[0]
        ):
            raise InvalidParameterError(
                f"ArrayFile.write: rows of shape {rows.shape} at row {start} do "
                f"not fit an array of shape {self.shape}."
            )
        fd = getattr(self._local, "wfd", None)
        if fd is None or getattr(self._local, "wpid", None) != os.getpid():
            fd = os.open(self.path, os.O_WRONLY)
            self._local.wfd, self._local.wpid = fd, os.getpid()
        view = memoryview(rows.reshape(-1).view(np.uint8))
        offset = self.offset + int(start) * self.row_bytes
        done = 0
        while done < len(view):
            done += os.pwrite(fd, view[done:], offset + done)

    @property
    def nbytes(self):
        """int: Size of the data in bytes."""
        return self.shape[0] * self.row_bytes

    def _read(self, start, stop, out=None):
        rows = stop - start
        if out is None:
            out = np.empty((rows, *self.row_shape), dtype=self.dtype)
        if rows == 0:
            return out
        view = memoryview(out.reshape(-1).view(np.uint8))
        offset = self.offset + start * self.row_bytes
        fd = self._fd()
        got = 0
        total = rows * self.row_bytes
        while got < total:
            n = os.preadv(fd, [view[got:]], offset + got)
            if n == 0:
                raise InvalidParameterError(
                    f"ArrayFile: {str(self.path)!r} ends before row {stop}: the "
                    "file is shorter than its header says (truncated?)."
                )
            got += n
        return out

    def __getitem__(self, key):
        if isinstance(key, tuple):  # pool[rows, ...] (dask's getter): rows first
            rows = self[key[0]] if key else self[:]
            rest = key[1:]
            if not rest:
                return rows
            lead = (
                ()
                if np.ndim(key[0]) == 0 and not isinstance(key[0], slice)
                else (slice(None),)
            )
            return rows[(*lead, *rest)]
        kind, *args = _normalise_index(key, self.shape[0])
        if kind == "row":
            return self._read(args[0], args[0] + 1)[0]
        if kind == "slice":
            return self._read(*args)
        idx = args[0]
        order = np.argsort(idx, kind="stable")
        sorted_idx = idx[order]
        uniq, inverse = np.unique(sorted_idx, return_inverse=True)
        block = np.empty((uniq.size, *self.row_shape), dtype=self.dtype)
        pos = 0
        for a, b in _runs(uniq):
            self._read(a, b, out=block[pos : pos + b - a])
            pos += b - a
        out = np.empty((idx.size, *self.row_shape), dtype=self.dtype)
        out[order] = block[inverse]
        return out

    def __repr__(self):
        return f"ArrayFile({str(self.path)!r}, shape={self.shape}, dtype={self.dtype})"


class DatasetRows(_LazyRows):
    """A :class:`torch.utils.data.Dataset` seen as a pool of rows.

    Items are a tensor (or array) or a tuple whose first element is; the
    rest (a label) is ignored. Indexing stacks the requested items.
    skactive nets do not stack: they stream the dataset itself through
    their ``DataLoader`` (set ``iterator_valid__num_workers`` and
    ``iterator_valid__pin_memory`` on the net for parallel loading).

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        A map-style dataset (``__len__`` and ``__getitem__``).

    Attributes
    ----------
    dataset : torch.utils.data.Dataset
        The dataset.
    shape : tuple of int
        ``(len(dataset), *shape of one item)`` (the first item's).

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> from skactive.pools import DatasetRows
    >>> ds = TensorDataset(torch.arange(10.0).reshape(5, 2), torch.zeros(5))
    >>> pool = DatasetRows(ds)
    >>> pool.shape, pool[[4, 0]].tolist()
    ((5, 2), [[8.0, 9.0], [0.0, 1.0]])
    """

    _parameter_constraints = {"dataset": [_MapStyleDatasets()]}

    def __init__(self, dataset):
        validate_parameter_constraints(
            self._parameter_constraints, {"dataset": dataset}, "DatasetRows"
        )
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise InvalidParameterError(
                "DatasetRows: dataset must be a map-style torch Dataset, got "
                f"{type(dataset).__name__}."
            )
        self.dataset = dataset
        n = len(dataset)
        if n == 0:
            raise InvalidParameterError("DatasetRows: the dataset is empty.")
        first = self._item(0)
        self.row_shape = tuple(first.shape)
        self.dtype = first.dtype
        self.shape = (n, *self.row_shape)

    def _item(self, i):
        item = self.dataset[int(i)]
        if isinstance(item, tuple | list):
            item = item[0]
        return item

    def __getitem__(self, key):
        import torch

        kind, *args = _normalise_index(key, self.shape[0])
        if kind == "row":
            return self._item(args[0])
        rows = range(*args) if kind == "slice" else args[0].tolist()
        items = [self._item(i) for i in rows]
        if not items:
            return torch.empty((0, *self.row_shape))
        if isinstance(items[0], torch.Tensor):
            return torch.stack(items)
        return np.stack([np.asarray(x) for x in items])

    def __repr__(self):
        return f"DatasetRows({type(self.dataset).__name__}, {len(self)} rows)"


class PoolView(_LazyRows):
    """Rows ``indices`` of a pool, by reference (nothing is copied).

    Parameters
    ----------
    source : pool
        Any pool: an in-memory array or a lazy one.
    indices : array-like of int
        Rows of ``source``, in the order of the view.

    Attributes
    ----------
    source : pool
        The pool viewed.
    indices : ndarray of int64
        The rows of ``source`` the view holds.
    shape : tuple of int
        ``(len(indices), *row shape)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.pools import PoolView
    >>> view = PoolView(np.arange(10).reshape(5, 2), [4, 1])
    >>> view.shape, view[0].tolist(), view[:].tolist()
    ((2, 2), [8, 9], [[8, 9], [2, 3]])
    """

    _parameter_constraints = {"source": ["array-like"], "indices": ["array-like"]}

    def __init__(self, source, indices):
        validate_parameter_constraints(
            self._parameter_constraints,
            {"source": source, "indices": indices},
            "PoolView",
        )
        if isinstance(source, PoolView):  # views of views stay flat
            indices = source.indices[np.asarray(indices, dtype=np.int64)]
            source = source.source
        self.source = source
        self.indices = np.asarray(indices, dtype=np.int64).ravel()
        n_source = int(source.shape[0]) if hasattr(source, "shape") else len(source)
        if self.indices.size and (
            self.indices.min() < 0 or self.indices.max() >= n_source
        ):
            raise InvalidParameterError(
                f"PoolView: indices outside [0, {n_source}) of the source."
            )
        row_shape = tuple(getattr(source, "shape", (n_source,))[1:])
        self.row_shape = row_shape
        self.dtype = getattr(source, "dtype", None)
        self.shape = (int(self.indices.size), *row_shape)

    def __getitem__(self, key):
        from ._rows import take_rows

        kind, *args = _normalise_index(key, self.shape[0])
        if kind == "row":
            return take_rows(self.source, self.indices[args[0] : args[0] + 1])[0]
        if kind == "slice":
            return take_rows(self.source, self.indices[args[0] : args[1]])
        return take_rows(self.source, self.indices[args[0]])

    def __repr__(self):
        return f"PoolView({len(self)} of the rows of {self.source!r})"


class _Concatenation(_LazyRows):
    """Rows of several pools one after the other (ConcatRows, ShardedArray)."""

    def _join(self, parts, row_shape):
        self.parts = parts
        self.row_shape = row_shape
        self.bounds = np.cumsum([0] + [int(p.shape[0]) for p in parts]).astype(np.int64)
        self.dtype = getattr(parts[0], "dtype", None)
        self.shape = (int(self.bounds[-1]), *self.row_shape)

    def __getitem__(self, key):
        from ._rows import take_rows

        kind, *args = _normalise_index(key, self.shape[0])
        if kind == "row":
            return self[np.array([args[0]])][0]
        if kind == "slice":
            return self._slice(*args)
        idx = args[0]
        which = np.searchsorted(self.bounds, idx, side="right") - 1
        pieces, order = [], []
        for k in np.unique(which):
            sel = np.flatnonzero(which == k)
            pieces.append(take_rows(self.parts[k], idx[sel] - self.bounds[k]))
            order.append(sel)
        if not pieces:
            return take_rows(self.parts[0], np.empty(0, dtype=np.int64))
        return _stack_in_order(pieces, order, idx.size)

    def _slice(self, start, stop):
        """Rows ``start:stop``: one contiguous read per part they span."""
        from ._rows import is_lazy, slice_rows, take_rows

        pieces, order = [], []
        for k, part in enumerate(self.parts):
            a, b = int(self.bounds[k]), int(self.bounds[k + 1])
            lo, hi = max(a, start), min(b, stop)
            if lo < hi:
                pieces.append(slice_rows(part, lo - a, hi - a))
                order.append(np.arange(lo - start, hi - start))
        if not pieces:
            return take_rows(self.parts[0], np.empty(0, dtype=np.int64))
        k = int(np.searchsorted(self.bounds, start, side="right")) - 1
        if len(pieces) == 1 and is_lazy(self.parts[k]):
            return pieces[0]  # read from disk: already a new array
        return _stack_in_order(pieces, order, stop - start)


class ConcatRows(_Concatenation):
    """The rows of several pools one after the other, by reference.

    What the learner's labeled rows become when some are in memory (the
    initial ones) and others are rows of a lazy pool: nothing is copied.

    Parameters
    ----------
    parts : list of pools
        In-memory arrays or lazy pools with the same row shape.

    Attributes
    ----------
    parts : list
        The pools.
    bounds : ndarray of int64 of shape (n_parts + 1,)
        First row of each part (and the total).
    shape : tuple of int
        ``(total rows, *row shape)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.pools import ConcatRows, PoolView
    >>> X = np.arange(10).reshape(5, 2)
    >>> rows = ConcatRows([X[:1], PoolView(X, [4])])
    >>> rows.shape, rows[:].tolist()
    ((2, 2), [[0, 1], [8, 9]])
    """

    _parameter_constraints = {"parts": [list, tuple]}

    def __init__(self, parts):
        validate_parameter_constraints(
            self._parameter_constraints, {"parts": parts}, "ConcatRows"
        )
        flat = []
        for p in parts:
            flat.extend(p.parts if isinstance(p, _Concatenation) else [p])
        if not flat:
            raise InvalidParameterError("ConcatRows: parts must not be empty.")
        shapes = {tuple(p.shape[1:]) for p in flat}
        if len(shapes) != 1:
            raise InvalidParameterError(
                f"ConcatRows: the parts have rows of shapes {sorted(shapes)}; "
                "they must all be the same."
            )
        self._join(flat, shapes.pop())

    def __repr__(self):
        return f"ConcatRows({len(self.parts)} parts, shape={self.shape})"


class ShardedArray(_Concatenation):
    """Several ``.npy`` files (or :class:`ArrayFile`), one after the other.

    Parameters
    ----------
    shards : list of str, pathlib.Path or ArrayFile
        Files of the same row shape and dtype.

    Attributes
    ----------
    shards : list of ArrayFile
        The files, opened lazily (also ``parts``, as for :class:`ConcatRows`).
    bounds : ndarray of int64 of shape (n_shards + 1,)
        First row of each shard (and the total).
    shape : tuple of int
        ``(total rows, *row_shape)``.
    dtype : numpy.dtype
        The dtype of every shard.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skactive.pools import ShardedArray
    >>> folder = tempfile.mkdtemp()
    >>> paths = [os.path.join(folder, f"{i}.npy") for i in range(2)]
    >>> np.save(paths[0], np.zeros((3, 2))); np.save(paths[1], np.ones((2, 2)))
    >>> pool = ShardedArray(paths)
    >>> pool.shape, pool[2:4].tolist()
    ((5, 2), [[0.0, 0.0], [1.0, 1.0]])
    """

    _parameter_constraints = {"shards": [list, tuple]}

    def __init__(self, shards):
        validate_parameter_constraints(
            self._parameter_constraints, {"shards": shards}, "ShardedArray"
        )
        if not shards:
            raise InvalidParameterError(
                "ShardedArray: shards must be a non-empty list of .npy paths."
            )
        files = [s if isinstance(s, ArrayFile) else ArrayFile(s) for s in shards]
        first = files[0]
        for s in files[1:]:
            if s.row_shape != first.row_shape or s.dtype != first.dtype:
                raise InvalidParameterError(
                    f"ShardedArray: {s.path} has rows of shape {s.row_shape} and "
                    f"dtype {s.dtype}, {first.path} of {first.row_shape} and "
                    f"{first.dtype}: every shard must have the same."
                )
        self._join(files, first.row_shape)

    @property
    def shards(self):
        """list of ArrayFile: The files, in row order."""
        return self.parts

    def __repr__(self):
        return f"ShardedArray({len(self.parts)} shards, shape={self.shape})"


def _stack_in_order(pieces, order, n):
    """Rows ``pieces[k]`` placed at positions ``order[k]`` of a new container."""
    torch = sys.modules.get("torch")
    if torch is not None and any(isinstance(p, torch.Tensor) for p in pieces):
        pieces = [
            torch.as_tensor(np.asarray(p)) if not isinstance(p, torch.Tensor) else p
            for p in pieces
        ]
        out = torch.empty((n, *pieces[0].shape[1:]), dtype=pieces[0].dtype)
        for p, sel in zip(pieces, order, strict=True):
            out[torch.as_tensor(sel)] = p.to(out.dtype)
        return out
    pieces = [np.asarray(p) for p in pieces]
    out = np.empty((n, *pieces[0].shape[1:]), dtype=np.result_type(*pieces))
    for p, sel in zip(pieces, order, strict=True):
        out[sel] = p
    return out


@validate_params({"a": ["array-like"], "b": ["array-like"]})
def concat_pools(a, b):
    """The rows of ``a`` then ``b``, by reference (see :class:`ConcatRows`).

    Two views of the same source make one :class:`PoolView`.
    """
    if isinstance(a, PoolView) and isinstance(b, PoolView) and a.source is b.source:
        return PoolView(a.source, np.concatenate([a.indices, b.indices]))
    return ConcatRows([a, b])


class _FlatRows(_LazyRows):
    """Rows of a lazy pool flattened to 1-D, read on demand (see :func:`flat_rows`)."""

    def __init__(self, source):
        self.source = source
        self.dtype = getattr(source, "dtype", None)
        self.row_shape = (int(np.prod(source.shape[1:], dtype=np.int64)),)
        self.shape = (int(source.shape[0]), *self.row_shape)

    def __getitem__(self, key):
        from ._rows import take_rows

        kind, *args = _normalise_index(key, self.shape[0])
        if kind == "row":
            return np.asarray(take_rows(self.source, [args[0]])).reshape(-1)
        idx = np.arange(*args, dtype=np.int64) if kind == "slice" else args[0]
        rows = np.asarray(take_rows(self.source, idx))
        return rows.reshape(rows.shape[0], -1)

    def __repr__(self):
        return f"flat_rows({self.source!r})"


@validate_params({"X": ["array-like", "path"]})
def flat_rows(X):
    """The rows of a lazy pool as a 2-D lazy pool (images flattened), unread.

    Parameters
    ----------
    X : lazy pool
        Any pool of :mod:`skactive.pools`, a memmap or a dask array.

    Returns
    -------
    pool
        ``X`` itself when 2-D; the same file seen as 2-D for an
        :class:`ArrayFile` (:meth:`ArrayFile.flat`); a view that flattens
        the rows it reads otherwise (a dask array is reshaped lazily).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skactive.pools import ArrayFile, flat_rows
    >>> path = os.path.join(tempfile.mkdtemp(), "img.npy")
    >>> np.save(path, np.zeros((5, 3, 4, 4), dtype=np.uint8))
    >>> flat_rows(ArrayFile(path)).shape
    (5, 48)
    """
    X = as_pool(X)
    if len(X.shape) == 2:
        return X
    if isinstance(X, ArrayFile):
        return X.flat()
    if _is_dask_array(X):
        return X.reshape(X.shape[0], -1)
    return _FlatRows(X)


def _is_dask_array(X):
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(X, da.Array)


def _is_torch_dataset(X):
    torch_data = sys.modules.get("torch.utils.data")
    return torch_data is not None and isinstance(X, torch_data.Dataset)


_LAZY = (ArrayFile, DatasetRows, PoolView, _Concatenation, _FlatRows)


def is_lazy_pool(X):
    """Whether ``X`` is read on demand (and must never be materialised whole).

    Parameters
    ----------
    X : object
        A pool.

    Returns
    -------
    bool
        True for :class:`ArrayFile`, :class:`ShardedArray`,
        :class:`DatasetRows`, :class:`PoolView` (of anything), a
        :class:`numpy.memmap`, a torch ``Dataset`` and a dask array.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.pools import is_lazy_pool
    >>> is_lazy_pool(np.zeros((3, 2)))
    False
    """
    return (
        isinstance(X, (*_LAZY, np.memmap))
        or _is_dask_array(X)
        or (_is_torch_dataset(X) and not hasattr(X, "shape"))
    )


def as_pool(X):
    """``X`` as a pool skactive reads in blocks, when it is one.

    Parameters
    ----------
    X : object
        A path of a ``.npy`` file -> :class:`ArrayFile`; a list of such paths
        -> :class:`ShardedArray`; a :class:`numpy.memmap` -> :class:`ArrayFile`
        (read without the mapping); a torch ``Dataset`` ->
        :class:`DatasetRows`; anything else (arrays, tensors, dask arrays,
        lists of documents) is returned as it is.

    Returns
    -------
    pool
        The pool.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skactive.pools import as_pool
    >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
    >>> np.save(path, np.zeros((4, 3), dtype=np.float32))
    >>> as_pool(path).shape
    (4, 3)
    """
    if isinstance(X, str | os.PathLike) and str(X).endswith(".npy"):
        return ArrayFile(X)
    if (
        isinstance(X, list | tuple)
        and X
        and all(isinstance(p, str | os.PathLike) and str(p).endswith(".npy") for p in X)
    ):
        return ShardedArray(list(X))
    if isinstance(X, np.memmap) and X.ndim >= 1:
        if X.flags["C_CONTIGUOUS"] and X.filename is not None:
            return ArrayFile(X)
        return X
    if _is_torch_dataset(X) and not isinstance(X, _LAZY):
        return DatasetRows(X)
    return X
