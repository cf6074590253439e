"""Batches as modules take them: the default input transform of the nets.

Also the dataset through which the nets stream a lazy pool, and the check of
whether an augmentation takes a seeded ``generator``.
"""

from __future__ import annotations

import inspect

import numpy as np
import torch

from .._rows import take_rows
from .._validation import validate_params

__all__ = ["to_float_tensor"]


class _PoolDataset(torch.utils.data.Dataset):
    """Rows of a lazy pool (:mod:`skactive.pools`) as a dataset of ``(x, y)``.

    A batch is read with one call (``__getitems__``: a run of consecutive
    rows of a file is one ``pread``), so a net's ``DataLoader`` streams the
    pool in batches, with ``num_workers`` worker processes when the net's
    ``iterator_valid__num_workers`` / ``iterator_train__num_workers`` ask
    for them (the pools pickle by reference: files by path, datasets as
    themselves). ``y`` (encoded labels, for training) defaults to zeros.
    """

    def __init__(self, pool, y=None):
        self.pool = pool
        self.y = None if y is None else np.asarray(y, dtype=np.int64)

    def __len__(self):
        return int(self.pool.shape[0])

    def __getitem__(self, i):
        return self.__getitems__([int(i)])[0]

    def __getitems__(self, indices):
        rows = take_rows(self.pool, np.asarray(indices, dtype=np.int64))
        rows = rows if isinstance(rows, torch.Tensor) else torch.from_numpy(rows)
        labels = (
            np.zeros(len(indices), np.int64)
            if self.y is None
            else self.y[np.asarray(indices, dtype=np.int64)]
        )
        return [(rows[j], int(labels[j])) for j in range(len(indices))]


@validate_params({"x": ["tensor"]})
def to_float_tensor(x):
    """Default input transform: turn a batch into a float32 tensor for a module.

    * ``uint8`` images are scaled to ``[0, 1]``; other integer and boolean
      inputs are cast to float32; float64 is cast to float32.
    * A 3-D batch ``N x H x W`` becomes ``N x 1 x H x W``.
    * A 4-D batch whose last axis has 1, 3 or 4 entries and whose second axis
      does not (``N x H x W x C``, channels last) is permuted to
      ``N x C x H x W``; ``N x C x H x W`` batches are left as they are.
    * 2-D feature matrices are only cast.

    Parameters
    ----------
    x : torch.Tensor
        A batch, on any device.

    Returns
    -------
    torch.Tensor
        A float32 tensor on the same device.

    Examples
    --------
    >>> import torch
    >>> from skactive.nets import to_float_tensor
    >>> to_float_tensor(torch.full((2, 28, 28), 255, dtype=torch.uint8)).shape
    torch.Size([2, 1, 28, 28])
    >>> float(to_float_tensor(torch.full((1, 8, 8, 3), 255, dtype=torch.uint8)).max())
    1.0
    """
    if x.dtype == torch.uint8:
        x = x.to(torch.float32).div_(255.0)
    elif x.dtype != torch.float32:
        x = x.to(torch.float32)
    if x.ndim == 3:
        x = x.unsqueeze(1)
    elif x.ndim == 4 and x.shape[-1] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
        x = x.permute(0, 3, 1, 2)
    return x


def _transform_accepts_generator(transform):
    try:
        params = inspect.signature(transform).parameters
    except (TypeError, ValueError):
        return False
    return "generator" in params or any(
        p.kind == p.VAR_KEYWORD for p in params.values()
    )
