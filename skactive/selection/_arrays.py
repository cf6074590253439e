"""Array inputs of the selectors: embeddings, labeled embeddings, probabilities.

Every selector turns its array arguments into a 2-D floating tensor (or numpy
array) through these checks, so that a bad input raises the same
:class:`~skactive._validation.InvalidParameterError`, naming the argument,
whichever selector receives it. Scalar parameters are not checked here: the
selectors declare them with :func:`~skactive._validation.validate_params`.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from .._validation import InvalidParameterError

# Number of elements of 2-D temporaries (distance blocks, squared-norm
# blocks, finiteness scans): 4 Mi elements = 16 MiB in float32.
_BLOCK_ELEMS = 1 << 22


def _resolve_device(device, data):
    """``device=None`` -> the device of a tensor input, otherwise CPU.

    ``device`` itself has been validated (the ``"device"`` constraint).
    """
    if device is None:
        return data.device if isinstance(data, torch.Tensor) else torch.device("cpu")
    return torch.device(device)


def _describe(x):
    shape = tuple(getattr(x, "shape", ()))
    return f"shape {shape}"


def _to_tensor(
    x,
    name,
    *,
    device,
    dtype=None,
    allow_empty=False,
    check_finite=True,
    lazy_ok=False,
):
    """Convert array-like or tensor ``x`` into a 2-D finite floating tensor.

    numpy inputs that are already C-contiguous float32/float64 are wrapped
    without a copy (on CPU).  Integer and boolean inputs become float64,
    half-precision inputs float32.

    A lazy pool (a file, a memmap, a dask array: see :mod:`skactive.pools`)
    becomes a :class:`~skactive.selection._blocks._LazyRows` read in blocks
    when ``lazy_ok`` (the caller checks finiteness through derived vectors),
    else it is read, block by block, into memory.
    """
    from ._blocks import _lazy_or_none, _read_all

    lazy = _lazy_or_none(x, name, _resolve_device(device, None))
    if lazy is not None:
        if lazy_ok and dtype is None:
            return lazy
        x = _read_all(x, name)
    if isinstance(x, torch.Tensor):
        t = x.detach()
        if not (t.is_floating_point() or t.dtype == torch.bool) and t.dtype not in (
            torch.uint8,
            torch.int8,
            torch.int16,
            torch.int32,
            torch.int64,
        ):
            raise InvalidParameterError(f"{name} must be numeric, got dtype {t.dtype}.")
    else:
        try:
            arr = np.asarray(x)
        except Exception as exc:  # ragged lists etc.
            raise InvalidParameterError(
                f"{name} must be an array-like of numbers, got {type(x).__name__}."
            ) from exc
        if arr.dtype.kind not in "biuf":
            raise InvalidParameterError(
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
        raise InvalidParameterError(
            f"{name} must be a 2-D array of shape (n_samples, n_features), got a "
            f"{t.ndim}-D array with {_describe(t)}."
        )
    if not t.is_floating_point():
        t = t.to(torch.float64)
    elif t.dtype in (torch.float16, torch.bfloat16):
        t = t.to(torch.float32)
    if t.shape[1] == 0:
        raise InvalidParameterError(
            f"{name} must have at least one column, got {_describe(t)}."
        )
    if t.shape[0] == 0 and not allow_empty:
        raise InvalidParameterError(
            f"{name} must have at least one row, got {_describe(t)}."
        )
    t = t.to(device=device, dtype=dtype if dtype is not None else t.dtype)
    t = t.contiguous()
    if check_finite:
        _check_finite(t, name)
    return t


def _check_finite(t, name):
    """Raise :class:`InvalidParameterError` naming ``name`` on NaN or infinity."""
    rows = max(1, _BLOCK_ELEMS // max(1, t.shape[1]))
    for s in range(0, t.shape[0], rows):
        if not bool(torch.isfinite(t[s : s + rows]).all()):
            raise InvalidParameterError(f"{name} contains NaN or infinity.")


def _check_finite_derived(t, derived, name):
    """Cheap finiteness test through vectors derived from ``t`` in one pass.

    NaN or infinity in ``t`` propagates into ``derived`` (norms, means); only
    when ``derived`` is not finite is ``t`` scanned to tell NaN/inf input
    apart from overflow of finite but huge values.
    """
    if all(bool(torch.isfinite(v).all()) for v in derived):
        return
    _check_finite(t, name)
    raise InvalidParameterError(
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
    """``labeled`` is ``None`` or a 2-D array of labeled embeddings.

    Returns ``None`` for ``None`` or zero rows.
    """
    if labeled is None:
        return None
    if as_numpy:
        lab = _to_numpy(labeled, "labeled", allow_empty=True)
    else:
        lab = _to_tensor(
            labeled, "labeled", device=device, dtype=dtype, allow_empty=True
        )
    if lab.shape[1] != n_features:
        raise InvalidParameterError(
            f"labeled must have the same number of columns as embeddings "
            f"({n_features}), got labeled with {_describe(lab)}."
        )
    if lab.shape[0] == 0:
        return None
    return lab


def _check_probas(probas, n_rows, *, device, dtype):
    """Class-membership probabilities, one row per embedding row."""
    P = _to_tensor(probas, "probas", device=device, dtype=dtype)
    if P.shape[0] != n_rows:
        raise InvalidParameterError(
            f"probas and embeddings must have the same number of rows, got "
            f"probas with {_describe(P)} and {n_rows} embedding rows."
        )
    lo, hi = float(P.min()), float(P.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise InvalidParameterError(
            "probas must contain class-membership probabilities in [0, 1], got "
            f"values in [{lo!r}, {hi!r}]."
        )
    return P
