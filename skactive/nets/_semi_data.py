"""Paired batches for semi-supervised training: a labeled and an unlabeled batch.

:class:`SemiSupervisedDataset` holds the training rows split into labeled and
unlabeled positions; :class:`SemiSupervisedLoader` (skorch's
``iterator_train`` of the semi-supervised nets) draws, at every step, a
:class:`SemiSupervisedBatch` of both.
"""

from __future__ import annotations

import math
from numbers import Integral
from typing import NamedTuple

import numpy as np
import torch

from .._rows import take_rows
from .._validation import Interval, validate_parameter_constraints

__all__ = [
    "SemiSupervisedBatch",
    "SemiSupervisedDataset",
    "SemiSupervisedLoader",
    "MAX_DEFAULT_STEPS",
]

#: Cap of the default number of steps per epoch (MixMatch's "epoch").
MAX_DEFAULT_STEPS = 1024

_POSITIVE = [Interval(Integral, 1, None, closed="left")]


class SemiSupervisedBatch(NamedTuple):
    """One training step's data: a labeled and an unlabeled batch.

    A named tuple: the fields are read by name (``batch.X_labeled``) or
    unpacked in order (``Xl, yl, Xu, iu = batch``).

    Parameters
    ----------
    X_labeled : torch.Tensor of shape (batch_size, ...)
        The labeled rows.
    y_labeled : torch.Tensor of shape (batch_size,)
        Encoded labels (``0 .. n_classes - 1``).
    X_unlabeled : torch.Tensor of shape (unlabeled_batch_size, ...)
        Empty (0 rows) when there are no unlabeled rows.
    unlabeled_index : torch.Tensor of shape (unlabeled_batch_size,)
        Positions of the unlabeled rows among the unlabeled rows of the
        training set (``0 .. n_unlabeled - 1``), for per-row pseudo-labels.
    """

    X_labeled: torch.Tensor
    y_labeled: torch.Tensor
    X_unlabeled: torch.Tensor
    unlabeled_index: torch.Tensor


class SemiSupervisedDataset(torch.utils.data.Dataset):
    """Training rows split into labeled and unlabeled positions of ``X``.

    Items ``0 .. n_labeled - 1`` are the labeled rows, the next ones the
    unlabeled rows (their encoded label is ``-1``). :meth:`labeled` and
    :meth:`unlabeled` fetch whole batches by vectorised indexing.

    Parameters
    ----------
    X : ndarray or torch.Tensor of shape (n_samples, ...)
        All rows (validated inputs of ``fit``).
    y : ndarray of shape (n_samples,)
        Encoded labels, ``-1`` for unlabeled rows.
    labeled_index : array-like of int
        Positions in ``X`` of the labeled training rows.
    unlabeled_index : array-like of int
        Positions in ``X`` of the unlabeled rows.
    """

    _parameter_constraints = {
        "X": ["array-like"],
        "y": ["array-like"],
        "labeled_index": ["array-like"],
        "unlabeled_index": ["array-like"],
    }

    def __init__(self, X, y, labeled_index, unlabeled_index):
        validate_parameter_constraints(
            self._parameter_constraints,
            {
                "X": X,
                "y": y,
                "labeled_index": labeled_index,
                "unlabeled_index": unlabeled_index,
            },
            type(self).__name__,
        )
        self.X = X
        self.y = np.asarray(y, dtype=np.int64)
        self.labeled_index = np.asarray(labeled_index, dtype=np.int64)
        self.unlabeled_index = np.asarray(unlabeled_index, dtype=np.int64)

    @property
    def n_labeled(self):
        """int: Number of labeled training rows."""
        return len(self.labeled_index)

    @property
    def n_unlabeled(self):
        """int: Number of unlabeled rows."""
        return len(self.unlabeled_index)

    def __len__(self):
        return self.n_labeled + self.n_unlabeled

    def _rows(self, positions):
        rows = take_rows(self.X, positions)
        return rows if isinstance(rows, torch.Tensor) else torch.as_tensor(rows)

    def __getitem__(self, i):
        i = int(i)
        if i < 0:
            i += len(self)
        pos = (
            self.labeled_index[i]
            if i < self.n_labeled
            else self.unlabeled_index[i - self.n_labeled]
        )
        return self._rows([pos])[0], int(self.y[pos])

    def labeled(self, idx):
        """Labeled rows ``idx`` (positions among the labeled rows).

        Parameters
        ----------
        idx : array-like of int
            Positions among the labeled rows.

        Returns
        -------
        X : torch.Tensor
            The rows.
        y : torch.Tensor of int64
            Their encoded labels.
        """
        pos = self.labeled_index[np.asarray(idx, dtype=np.int64)]
        return self._rows(pos), torch.as_tensor(self.y[pos])

    def unlabeled(self, idx=None):
        """Unlabeled rows ``idx`` (positions among the unlabeled rows; all if None).

        Parameters
        ----------
        idx : array-like of int or None
            Positions among the unlabeled rows.

        Returns
        -------
        X : torch.Tensor
            The rows.
        """
        pos = self.unlabeled_index
        if idx is not None:
            pos = pos[np.asarray(idx, dtype=np.int64)]
        return self._rows(pos)

    def all_rows(self):
        """Labeled then unlabeled rows, with their encoded labels (``-1``).

        Returns
        -------
        X : torch.Tensor
            The rows.
        y : ndarray of int64
            Their encoded labels, ``-1`` for the unlabeled rows.
        """
        pos = np.concatenate([self.labeled_index, self.unlabeled_index])
        return self._rows(pos), self.y[pos]


class _Cycler:
    """Endless (shuffled) passes over ``range(n)``, handed out in chunks."""

    def __init__(self, n, generator, shuffle=True):
        self.n = n
        self.generator = generator
        self.shuffle = shuffle
        self.order = np.empty(0, dtype=np.int64)
        self.pos = 0

    def take(self, m):
        if self.n == 0 or m == 0:
            return np.empty(0, dtype=np.int64)
        parts = []
        while m > 0:
            if self.pos == len(self.order):
                if self.shuffle:
                    perm = torch.randperm(self.n, generator=self.generator)
                    self.order = perm.numpy().astype(np.int64)
                else:
                    self.order = np.arange(self.n, dtype=np.int64)
                self.pos = 0
            chunk = self.order[self.pos : self.pos + m]
            self.pos += len(chunk)
            m -= len(chunk)
            parts.append(chunk)
        return np.concatenate(parts)


class SemiSupervisedLoader:
    """Paired labeled / unlabeled batches: one epoch per iteration.

    Each of the ``steps_per_epoch`` steps yields a
    :class:`SemiSupervisedBatch` with ``batch_size`` labeled rows and
    ``unlabeled_batch_size`` unlabeled rows. Both sets are cycled: rows are
    drawn from a shuffled pass, and when a pass is used up the next one is
    shuffled anew (a small labeled set is seen many times per epoch, so a
    batch can repeat a labeled row when it is larger than the set). Passes
    continue across epochs. All shuffles use ``generator``.

    skorch builds it as the net's ``iterator_train``;
    :class:`SemiSupervisedClassifier` passes ``unlabeled_batch_size``,
    ``steps_per_epoch`` and a seeded ``generator`` unless they are set as
    ``iterator_train__...`` parameters.

    Parameters
    ----------
    dataset : SemiSupervisedDataset
        The training rows.
    batch_size : int, default=64
        Labeled rows per step.
    unlabeled_batch_size : int or None, default=None
        Unlabeled rows per step; ``None`` uses ``batch_size``.
    steps_per_epoch : int or None, default=None
        ``None``: ``max(ceil(n_labeled / batch_size),
        min(ceil(n_unlabeled / unlabeled_batch_size), 1024))`` -- one pass
        over the unlabeled rows, capped at 1024 steps (MixMatch's epoch), and
        at least one pass over the labeled rows.
    generator : torch.Generator or None, default=None
        Source of the shuffles; ``None`` uses a generator seeded from torch's
        global random state.
    shuffle : bool, default=True
        Shuffle every pass; ``False`` cycles through the rows in order
        (``DeepClassifier``'s ``iterator_train__shuffle`` arrives here).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skactive.nets import SemiSupervisedDataset, SemiSupervisedLoader
    >>> X = np.arange(20, dtype=np.float32).reshape(10, 2)
    >>> y = np.array([0, 1, 0, -1, -1, -1, -1, -1, -1, -1])
    >>> ds = SemiSupervisedDataset(X, y, [0, 1, 2], np.arange(3, 10))
    >>> loader = SemiSupervisedLoader(ds, batch_size=2, unlabeled_batch_size=4,
    ...                               generator=torch.Generator().manual_seed(0))
    >>> len(loader)
    2
    >>> batch = next(iter(loader))
    >>> batch.X_labeled.shape, batch.X_unlabeled.shape
    (torch.Size([2, 2]), torch.Size([4, 2]))
    """

    _parameter_constraints = {
        "dataset": [SemiSupervisedDataset],
        "batch_size": _POSITIVE,
        "unlabeled_batch_size": [*_POSITIVE, None],
        "steps_per_epoch": [*_POSITIVE, None],
        "generator": [torch.Generator, None],
        "shuffle": ["boolean"],
    }

    def __init__(
        self,
        dataset,
        batch_size=64,
        unlabeled_batch_size=None,
        steps_per_epoch=None,
        generator=None,
        shuffle=True,
    ):
        caller = type(self).__name__
        validate_parameter_constraints(
            self._parameter_constraints,
            {
                "dataset": dataset,
                "batch_size": batch_size,
                "unlabeled_batch_size": unlabeled_batch_size,
                "steps_per_epoch": steps_per_epoch,
                "generator": generator,
                "shuffle": shuffle,
            },
            caller,
        )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.unlabeled_batch_size = int(
            self.batch_size if unlabeled_batch_size is None else unlabeled_batch_size
        )
        if steps_per_epoch is None:
            steps_per_epoch = max(
                math.ceil(dataset.n_labeled / self.batch_size),
                min(
                    math.ceil(dataset.n_unlabeled / self.unlabeled_batch_size),
                    MAX_DEFAULT_STEPS,
                ),
            )
        self.steps_per_epoch = int(steps_per_epoch)
        if generator is None:
            generator = torch.Generator()
            generator.manual_seed(int(torch.randint(0, 2**62, (1,)).item()))
        self.generator = generator
        self.shuffle = bool(shuffle)
        self._labeled = _Cycler(dataset.n_labeled, generator, self.shuffle)
        self._unlabeled = _Cycler(dataset.n_unlabeled, generator, self.shuffle)

    def __len__(self):
        return self.steps_per_epoch

    def __iter__(self):
        ds = self.dataset
        for _ in range(self.steps_per_epoch):
            Xl, yl = ds.labeled(self._labeled.take(self.batch_size))
            iu = self._unlabeled.take(self.unlabeled_batch_size)
            yield SemiSupervisedBatch(Xl, yl, ds.unlabeled(iu), torch.as_tensor(iu))
