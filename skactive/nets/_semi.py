"""Semi-supervised skorch classifiers: the base class and its paired batches.

Rows labeled ``-1`` are unlabeled (scikit-learn's semi-supervised
convention). :class:`SemiSupervisedClassifier` keeps them out of ``classes_``
and of any validation split, and trains on *paired* batches -- a batch of
labeled rows and a batch of unlabeled rows at every step -- drawn by
:class:`SemiSupervisedLoader`, which skorch builds as its ``iterator_train``.
Subclasses implement the loss in ``train_step_single`` / ``get_loss``.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import numbers
from typing import NamedTuple

import numpy as np
import torch
from skorch.utils import to_numpy, to_tensor

from .._rows import take_rows
from ..augment import make_augmentation
from ._classifier import DeepClassifier, _first_output, _transform_accepts_generator

__all__ = [
    "SemiSupervisedBatch",
    "SemiSupervisedClassifier",
    "SemiSupervisedDataset",
    "SemiSupervisedLoader",
]

#: Label marking an unlabeled row.
UNLABELED = -1

#: Cap of the default number of steps per epoch (MixMatch's "epoch").
MAX_DEFAULT_STEPS = 1024


def _unlabeled_mask(y):
    """Boolean mask of the rows labeled ``-1`` (numeric labels only)."""
    y = np.asarray(y)
    if y.dtype.kind in "iuf":
        return y == UNLABELED
    if y.dtype == object:
        return np.fromiter(
            (
                isinstance(v, numbers.Real)
                and not isinstance(v, bool)
                and v == UNLABELED
                for v in y.ravel()
            ),
            dtype=bool,
            count=y.size,
        ).reshape(y.shape)
    return np.zeros(y.shape, dtype=bool)


def _check_positive_int(name, value, *, allow_none=False):
    if value is None and allow_none:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or int(value) < 1
    ):
        kind = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"{name} must be {kind}, got {value!r}.")
    return int(value)


def _identity(x, generator=None):
    return x


def _check_real(name, value, *, low=None, high=None, low_open=False):
    """Validate a real number in ``[low, high]`` (``(low, high]`` if low_open)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = math.isfinite(v)
        if low is not None:
            ok = ok and (v > low if low_open else v >= low)
        if high is not None:
            ok = ok and v <= high
    if not ok:
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        bracket = "(" if low_open or low is None else "["
        raise ValueError(
            f"{name} must be a number in {bracket}{lo}, {hi}], got {value!r}."
        )
    return v


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

    def __init__(self, X, y, labeled_index, unlabeled_index):
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
    >>> from skactive.nets._semi import SemiSupervisedDataset, SemiSupervisedLoader
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

    def __init__(
        self,
        dataset,
        batch_size=64,
        unlabeled_batch_size=None,
        steps_per_epoch=None,
        generator=None,
        shuffle=True,
    ):
        if not isinstance(dataset, SemiSupervisedDataset):
            raise TypeError(
                "SemiSupervisedLoader needs a SemiSupervisedDataset, got "
                f"{type(dataset).__name__}."
            )
        self.dataset = dataset
        self.batch_size = _check_positive_int("batch_size", batch_size)
        self.unlabeled_batch_size = _check_positive_int(
            "unlabeled_batch_size",
            self.batch_size if unlabeled_batch_size is None else unlabeled_batch_size,
        )
        if steps_per_epoch is None:
            steps_per_epoch = max(
                math.ceil(dataset.n_labeled / self.batch_size),
                min(
                    math.ceil(dataset.n_unlabeled / self.unlabeled_batch_size),
                    MAX_DEFAULT_STEPS,
                ),
            )
        self.steps_per_epoch = _check_positive_int("steps_per_epoch", steps_per_epoch)
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


class SemiSupervisedClassifier(DeepClassifier):
    """Base of the semi-supervised nets: ``y == -1`` marks unlabeled rows.

    ``fit(X, y)`` follows scikit-learn's semi-supervised convention: rows
    with ``y == -1`` are unlabeled. On its own this class trains on the
    labeled rows only (cross-entropy), with the same paired batches as its
    subclasses -- a reference for them and a check of the plumbing;
    :class:`~skactive.nets.MixMatchClassifier`,
    :class:`~skactive.nets.PseudoLabelClassifier` and
    :class:`~skactive.nets.LabelPropagationClassifier` add an unlabeled term
    in ``train_step_single``. :func:`skactive.learns_from_unlabeled` is true
    for it, so :class:`skactive.ActiveLearner` fits it on the labeled rows
    plus its pool labeled ``-1``.

    * ``classes_`` comes from the labeled rows only (or from ``classes``,
      which must not contain ``-1``); ``-1`` is never a class. Input without
      labeled rows, or whose labeled rows have a single class, is refused.
    * Labels must be numeric when unlabeled rows are present (``-1`` is a
      number); other labels (strings) mean every row is labeled.
    * Encoded labels keep ``-1`` for unlabeled rows; the label of an
      unlabeled row is never read.
    * ``train_split`` is applied to the labeled rows only: skorch's
      ``train_split(dataset, y)`` gets a dataset of the labeled rows and their
      labels (so a stratified ``ValidSplit`` never sees ``-1``); the rows it
      returns for validation are left out of training, and every unlabeled
      row is used for training. The training part it returns must be a
      :class:`torch.utils.data.Subset` of the dataset it received (as
      ``ValidSplit`` returns) or that dataset itself.
    * Each training step gets a :class:`SemiSupervisedBatch` from
      :class:`SemiSupervisedLoader` (the default ``iterator_train``):
      ``batch_size`` labeled rows (the small labeled set is cycled) and
      ``unlabeled_batch_size`` unlabeled rows. An epoch is
      ``steps_per_epoch`` steps. Shuffles, like everything random in
      training, are seeded from ``random_state``.
    * ``warm_start=True`` continues training between active-learning rounds
      (weights, optimizer, callbacks' state such as an EMA); ``classes`` then
      fixes the label set from the first round on.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns logits (see :class:`~skactive.nets.DeepClassifier`).
    *args
        Passed on to :class:`~skactive.nets.DeepClassifier` after ``module``;
        as there, a positional argument raises a ``TypeError``: give every
        argument other than ``module`` by keyword.
    mu : int, default=1
        Ratio of unlabeled to labeled rows per step (FixMatch's ``mu``), used
        when ``unlabeled_batch_size`` is None.
    unlabeled_batch_size : int or None, default=None
        Unlabeled rows per step; ``None`` means ``mu * batch_size``.
    steps_per_epoch : int or None, default=None
        Steps per epoch. ``None``: one pass over the unlabeled rows
        (``ceil(n_unlabeled / unlabeled_batch_size)``) capped at 1024 steps,
        and at least one pass over the labeled rows
        (``ceil(n_labeled / batch_size)``).
    iterator_train : class, default=SemiSupervisedLoader
        Builds the training batches; it receives the training
        :class:`SemiSupervisedDataset`, ``batch_size``,
        ``unlabeled_batch_size``, ``steps_per_epoch`` and ``generator``.
    **kwargs
        Any :class:`~skactive.nets.DeepClassifier` or skorch parameter
        (``max_epochs``, ``batch_size``, ``lr``, ``classes``,
        ``random_state``, ``warm_start``, ``module__...`` ...).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, from the labeled rows.
    n_labeled_ : int
        Labeled rows used for training in the last fit.
    n_unlabeled_ : int
        Unlabeled rows in the last fit.
    train_generator_ : torch.Generator
        Seeded source of the training randomness that does not go through
        torch's global generator (shuffles, augmentations, MixUp).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP
    >>> from skactive.nets._semi import SemiSupervisedClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> y_semi = np.where(np.arange(len(y)) < 100, y, -1)  # 100 labels
    >>> net = SemiSupervisedClassifier(MLP, max_epochs=2, random_state=0)
    >>> net.fit(X[:400], y_semi[:400]).classes_
    array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> net.n_labeled_, net.n_unlabeled_
    (100, 300)
    """

    _learns_from_unlabeled = True

    def __init__(
        self,
        module,
        *args,
        mu=1,
        unlabeled_batch_size=None,
        steps_per_epoch=None,
        iterator_train=SemiSupervisedLoader,
        **kwargs,
    ):
        super().__init__(module, *args, iterator_train=iterator_train, **kwargs)
        self.mu = mu
        self.unlabeled_batch_size = unlabeled_batch_size
        self.steps_per_epoch = steps_per_epoch

    # ------------------------------------------------------------ labels
    def _set_classes(self, y):
        if self.classes is not None and np.any(
            _unlabeled_mask(np.asarray(self.classes, dtype=object))
        ):
            raise ValueError(
                "classes must not contain -1: it marks unlabeled rows; got "
                f"{self.classes!r}."
            )
        y_labeled = np.asarray(y)[~_unlabeled_mask(y)]
        if y_labeled.size == 0:
            raise ValueError(
                f"{type(self).__name__} needs labeled rows: every row of y is -1 "
                "(unlabeled)."
            )
        present = np.unique(y_labeled)
        if len(present) < 2:
            only = present.tolist()[0]
            raise ValueError(
                f"{type(self).__name__} needs labeled rows of at least two classes; "
                f"the labeled rows (y != -1) have only one class: {only!r}."
            )
        super()._set_classes(y_labeled)

    def _encode_y(self, y):
        y = np.asarray(y)
        unlabeled = _unlabeled_mask(y)
        codes = np.full(y.shape[0], UNLABELED, dtype=np.int64)
        if np.any(~unlabeled):
            codes[~unlabeled] = super()._encode_y(y[~unlabeled])
        return codes

    # ------------------------------------------------------------- skorch
    def _check_semi_params(self):
        _check_positive_int("mu", self.mu)
        _check_positive_int(
            "unlabeled_batch_size", self.unlabeled_batch_size, allow_none=True
        )
        _check_positive_int("steps_per_epoch", self.steps_per_epoch, allow_none=True)

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Validate the parameters and seed :attr:`train_generator_`.

        skorch calls this hook of the net at the start of every ``fit`` /
        ``partial_fit``, before the callbacks' hooks. The seed is drawn from
        torch's global generator, which :meth:`fit` seeds from
        ``random_state``.

        Parameters
        ----------
        net : SemiSupervisedClassifier
            The net being trained (this net: skorch passes it to every hook).
        X : array-like or torch.Tensor of shape (n_samples, ...), default=None
            The training inputs, labeled and unlabeled; passed on to the
            parent hook.
        y : ndarray of shape (n_samples,), default=None
            Their encoded labels, ``-1`` for unlabeled rows; passed on to the
            parent hook.
        **kwargs : dict
            Other arguments of skorch's hook; passed on to the parent hook.
        """
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self._check_semi_params()
        # drawn from torch's global generator, which fit() seeds from
        # random_state inside a fork of the random state
        seed = int(torch.randint(0, 2**62, (1,)).item())
        self.train_generator_ = torch.Generator()
        self.train_generator_.manual_seed(seed)

    # ----------------------------------------------------- augmentation
    def _make_augmentation(self, X):
        """The ``augmentation`` parameter as a transform for the rows of ``X``.

        ``None`` or ``"none"``: identity; a callable: used as it is; a name:
        :func:`skactive.augment.make_augmentation` for the image shape of the
        rows after ``input_transform`` (the nets that augment call this from
        ``on_train_begin``).
        """
        aug = self.augmentation
        if aug is None or (isinstance(aug, str) and aug == "none"):
            return _identity
        if callable(aug):
            return aug
        if not isinstance(aug, str):
            raise TypeError(
                f"augmentation must be a name, a callable or None, got {aug!r}."
            )
        shape = self._probe_input_shape(X)
        if len(shape) != 3:
            raise ValueError(
                f"augmentation={aug!r} needs image inputs (N x C x H x W after "
                f"input_transform); rows here have shape {shape}. Pass "
                "augmentation='none' or a callable (e.g. Gaussian noise)."
            )
        return make_augmentation(aug, shape)

    def _augment(self, x, generator):
        """Apply ``augmentation_`` to a batch, per sample, from ``generator``."""
        aug = self.augmentation_
        if x.shape[0] == 0:
            return x
        if _transform_accepts_generator(aug):
            return aug(x, generator=generator)
        return aug(x)

    def get_split_datasets(self, X, y=None, **fit_params):
        """Training rows (labeled + unlabeled) and validation rows (labeled only).

        See the class docstring for how ``train_split`` is applied. Sets
        ``n_labeled_`` and ``n_unlabeled_``.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
            The training inputs, labeled and unlabeled.
        y : array-like or torch.Tensor of shape (n_samples,)
            Their encoded labels, ``-1`` for unlabeled rows.
        **fit_params : dict
            Passed to ``train_split`` with the labeled rows.

        Returns
        -------
        dataset_train : SemiSupervisedDataset
            The labeled rows kept for training and every unlabeled row.
        dataset_valid : torch.utils.data.Dataset or None
            The validation rows ``train_split`` returned (labeled only), or
            ``None`` without a ``train_split``.
        """
        y = np.asarray(to_numpy(y) if isinstance(y, torch.Tensor) else y)
        labeled = np.flatnonzero(y != UNLABELED)
        unlabeled = np.flatnonzero(y == UNLABELED)
        dataset_valid = None
        if self.train_split:
            ds_labeled = self.get_dataset(take_rows(X, labeled), y[labeled])
            ds_train, dataset_valid = self.train_split(
                ds_labeled, y[labeled], **fit_params
            )
            if isinstance(ds_train, torch.utils.data.Subset) and (
                ds_train.dataset is ds_labeled
            ):
                labeled = labeled[np.asarray(ds_train.indices, dtype=np.int64)]
            elif ds_train is not ds_labeled:
                raise TypeError(
                    "train_split must return, as its training part, a "
                    "torch.utils.data.Subset of the dataset it receives (as "
                    "skorch.dataset.ValidSplit does) or that dataset itself; got "
                    f"{type(ds_train).__name__}."
                )
            if len(labeled) == 0:
                raise ValueError("train_split left no labeled rows for training.")
        self.n_labeled_ = int(len(labeled))
        self.n_unlabeled_ = int(len(unlabeled))
        return SemiSupervisedDataset(X, y, labeled, unlabeled), dataset_valid

    def get_iterator(self, dataset, training=False):
        """The batch iterator: paired batches for the training dataset.

        Parameters
        ----------
        dataset : torch.utils.data.Dataset
            The rows to iterate over. For training on a
            :class:`SemiSupervisedDataset`, the net's ``iterator_train`` (a
            :class:`SemiSupervisedLoader` by default) is built with
            ``batch_size`` labeled rows (``-1``: all of them),
            ``unlabeled_batch_size`` unlabeled rows (``mu * batch_size`` when
            None), ``steps_per_epoch`` and a generator seeded from
            ``train_generator_``, unless they are set as
            ``iterator_train__...``. Any other dataset gets skorch's iterator.
        training : bool, default=False
            Whether the iterator is for training (else for validation or
            inference).

        Returns
        -------
        iterable
            The batches: :class:`SemiSupervisedBatch` items for training on a
            :class:`SemiSupervisedDataset`, skorch's batches otherwise.
        """
        if not (training and isinstance(dataset, SemiSupervisedDataset)):
            return super().get_iterator(dataset, training=training)
        kwargs = self.get_params_for("iterator_train")
        batch_size = kwargs.pop("batch_size", self.batch_size)
        if batch_size == -1:
            batch_size = max(dataset.n_labeled, 1)
        kwargs.setdefault(
            "unlabeled_batch_size",
            self.unlabeled_batch_size
            if self.unlabeled_batch_size is not None
            else int(self.mu) * batch_size,
        )
        kwargs.setdefault("steps_per_epoch", self.steps_per_epoch)
        if "generator" not in kwargs:
            generator = torch.Generator()
            generator.manual_seed(
                int(torch.randint(0, 2**62, (1,), generator=self.train_generator_))
            )
            kwargs["generator"] = generator
        iterator = self.iterator_train
        try:
            inspect.signature(iterator).bind(dataset, batch_size=batch_size, **kwargs)
        except TypeError as exc:
            raise TypeError(
                f"iterator_train={iterator!r} must accept (dataset, batch_size, "
                "unlabeled_batch_size, steps_per_epoch, generator, shuffle) like "
                f"SemiSupervisedLoader: {exc}."
            ) from exc
        return iterator(dataset, batch_size=batch_size, **kwargs)

    # ----------------------------------------------------------- training
    @contextlib.contextmanager
    def _rng_preserved(self):
        """Keep torch's global random state unchanged by what runs inside.

        Used around the inference passes subclasses make during training
        (pseudo-labels, embeddings): skorch's DataLoader draws a seed when it
        starts iterating, which would otherwise shift the dropout masks.
        """
        device = torch.device(self.device) if self.device is not None else None
        devices = []
        if device is not None and device.type == "cuda" and torch.cuda.is_available():
            devices = [device.index if device.index is not None else 0]
        with torch.random.fork_rng(devices=devices):
            yield

    def _model_input(self, X):
        """A batch on the device, after ``input_transform``."""
        return self._transform_input(to_tensor(X, device=self.device))

    def _logits(self, x, **fit_params):
        """Logits of an already transformed batch ``x``."""
        return _first_output(self.module_(x, **fit_params))

    def train_step_single(self, batch, **fit_params):
        """One step on a :class:`SemiSupervisedBatch`; here the labeled part only.

        Parameters
        ----------
        batch : SemiSupervisedBatch
            A labeled and an unlabeled batch.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        dict
            ``{"loss": loss, "y_pred": logits of the labeled rows}``.
        """
        self._set_training(True)
        Xl, yl, _, _ = batch
        y_pred = self.infer(Xl, **fit_params)
        loss = self.get_loss(y_pred, yl, X=Xl, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}
