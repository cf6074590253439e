"""The base of the semi-supervised skorch classifiers.

Rows labeled ``-1`` are unlabeled (scikit-learn's semi-supervised
convention). :class:`SemiSupervisedClassifier` keeps them out of ``classes_``
and of any validation split, and trains on *paired* batches -- a batch of
labeled rows and a batch of unlabeled rows at every step -- drawn by
:class:`~skactive.nets.SemiSupervisedLoader` (:mod:`skactive.nets._semi_data`),
which skorch builds as its ``iterator_train``. Subclasses implement the loss
in ``train_step_single`` / ``get_loss``.
"""

from __future__ import annotations

import inspect
from numbers import Integral

import numpy as np
import torch
from skorch.utils import to_numpy, to_tensor

from .._random import forked_torch_rng
from .._rows import take_rows
from .._validation import (
    UNLABELED,
    Interval,
    InvalidParameterError,
    StrOptions,
    unlabeled_mask,
)
from ..augment import AUGMENTATIONS, make_augmentation
from ._classifier import DeepClassifier, _first_output
from ._inputs import _transform_accepts_generator
from ._semi_data import (
    MAX_DEFAULT_STEPS,
    SemiSupervisedBatch,
    SemiSupervisedDataset,
    SemiSupervisedLoader,
)

__all__ = [
    "SemiSupervisedBatch",
    "SemiSupervisedClassifier",
    "SemiSupervisedDataset",
    "SemiSupervisedLoader",
]


#: "use the ``augmentation`` parameter"
_DEFAULT = object()


def _identity(x, generator=None):
    return x


def decayed_weights(module):
    """The weights of the convolution and linear layers of ``module``.

    The parameters the reference MixMatch / FixMatch code decays (its
    ``'kernel'`` variables): ``weight`` of every :class:`torch.nn.Linear` and
    ``torch.nn.Conv*`` layer -- not biases, not batch-norm (or other
    normalisation) affine parameters. Each parameter once, trainable ones
    only.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    list of torch.nn.Parameter
    """
    kinds = (torch.nn.Linear, torch.nn.modules.conv._ConvNd)
    seen, out = set(), []
    for m in module.modules():
        w = getattr(m, "weight", None)
        if isinstance(m, kinds) and isinstance(w, torch.nn.Parameter):
            if w.requires_grad and id(w) not in seen:
                seen.add(id(w))
                out.append(w)
    return out


def decay_weights(module, weight_decay):
    """Multiply the :func:`decayed_weights` of ``module`` by ``1 - weight_decay``."""
    factor = 1.0 - float(weight_decay)
    with torch.no_grad():
        for w in decayed_weights(module):
            w.mul_(factor)


#: The ``augmentation`` parameter of the nets that augment.
AUGMENTATION = [StrOptions(set(AUGMENTATIONS)), callable, None]


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
    planned_steps_ : int
        Training steps this fit plans: ``max_epochs`` times the steps of an
        epoch (the ramps and schedules given as fractions of training read
        it).
    train_generator_ : torch.Generator
        Seeded source of the training randomness that does not go through
        torch's global generator (shuffles, augmentations, MixUp).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP
    >>> from skactive.nets import SemiSupervisedClassifier
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

    _parameter_constraints = {
        "mu": [Interval(Integral, 1, None, closed="left")],
        "unlabeled_batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "steps_per_epoch": [Interval(Integral, 1, None, closed="left"), None],
        "iterator_train": [callable],
    }

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
            unlabeled_mask(np.asarray(self.classes, dtype=object))
        ):
            raise InvalidParameterError(
                "classes must not contain -1: it marks unlabeled rows; got "
                f"{self.classes!r}."
            )
        y_labeled = np.asarray(y)[~unlabeled_mask(y)]
        if y_labeled.size == 0:
            raise InvalidParameterError(
                f"{type(self).__name__} needs labeled rows: every row of y is -1 "
                "(unlabeled)."
            )
        present = np.unique(y_labeled)
        if len(present) < 2:
            only = present.tolist()[0]
            raise InvalidParameterError(
                f"{type(self).__name__} needs labeled rows of at least two classes; "
                f"the labeled rows (y != -1) have only one class: {only!r}."
            )
        super()._set_classes(y_labeled)

    def _encode_y(self, y):
        y = np.asarray(y)
        unlabeled = unlabeled_mask(y)
        codes = np.full(y.shape[0], UNLABELED, dtype=np.int64)
        if np.any(~unlabeled):
            codes[~unlabeled] = super()._encode_y(y[~unlabeled])
        return codes

    # ------------------------------------------------------------- skorch
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Validate the parameters, seed the generator, build the augmentation.

        skorch calls this hook of the net at the start of every ``fit`` /
        ``partial_fit``, before the callbacks' hooks. The seed is drawn from
        torch's global generator, which :meth:`fit` seeds from
        ``random_state``. Nets with an ``augmentation`` parameter (MixMatch,
        Barlow Twins) get ``augmentation_``, built once here for the shape of
        the rows of ``X`` after ``input_transform``. ``unlabeled_scale_``, the
        divergence guard's factor on the unlabeled term, starts every fit at 1.

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
        # drawn from torch's global generator, which fit() seeds from
        # random_state inside a fork of the random state
        seed = int(torch.randint(0, 2**62, (1,)).item())
        self.train_generator_ = torch.Generator()
        self.train_generator_.manual_seed(seed)
        if hasattr(self, "augmentation"):
            self.augmentation_ = self._make_augmentation(X)
        self.planned_steps_ = self._estimate_planned_steps(y)
        self.unlabeled_scale_ = 1.0

    def _estimate_planned_steps(self, y):
        """``max_epochs`` times the steps of an epoch, before the split is known.

        ``get_iterator`` replaces it by the exact count of the loader; this
        estimate (all labeled rows train) lets the ramps read a length from the
        first hook of training on.
        """
        if y is None:
            return int(self.max_epochs)
        y = np.asarray(to_numpy(y) if isinstance(y, torch.Tensor) else y)
        n_lab = int(np.sum(y != UNLABELED))
        n_unl = int(np.sum(y == UNLABELED))
        if self.steps_per_epoch is not None:
            return int(self.max_epochs) * int(self.steps_per_epoch)
        bs = max(n_lab, 1) if self.batch_size == -1 else int(self.batch_size)
        ubs = self.unlabeled_batch_size or int(self.mu) * bs
        steps = max(-(-n_lab // bs), min(-(-n_unl // ubs), MAX_DEFAULT_STEPS))
        return int(self.max_epochs) * max(int(steps), 1)

    # ----------------------------------------------------- augmentation
    def _make_augmentation(self, X, aug=_DEFAULT):
        """An augmentation parameter as a transform for the rows of ``X``.

        ``aug`` defaults to the ``augmentation`` parameter. ``None`` or
        ``"none"``: identity; a callable: used as it is; a name:
        :func:`skactive.augment.make_augmentation` for the image shape of the
        rows after ``input_transform``, with the net's ``flip`` when it has
        one (the nets that augment call this from ``on_train_begin``).
        """
        if aug is _DEFAULT:
            aug = self.augmentation
        if aug is None or (isinstance(aug, str) and aug == "none"):
            return _identity
        if callable(aug):
            return aug
        if not isinstance(aug, str):
            raise InvalidParameterError(
                f"augmentation must be a name, a callable or None, got {aug!r}."
            )
        shape = self.transformed_shape(X)
        if len(shape) != 3:
            raise InvalidParameterError(
                f"augmentation={aug!r} needs image inputs (N x C x H x W after "
                f"input_transform); rows here have shape {shape}. Pass "
                "augmentation='none' or a callable (e.g. Gaussian noise)."
            )
        return make_augmentation(aug, shape, flip=getattr(self, "flip", None))

    def _augment(self, x, generator, aug=None):
        """Apply ``aug`` (default ``augmentation_``) to a batch, per sample."""
        aug = self.augmentation_ if aug is None else aug
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
                raise InvalidParameterError(
                    "train_split must return, as its training part, a "
                    "torch.utils.data.Subset of the dataset it receives (as "
                    "skorch.dataset.ValidSplit does) or that dataset itself; got "
                    f"{type(ds_train).__name__}."
                )
            if len(labeled) == 0:
                raise InvalidParameterError(
                    "train_split left no labeled rows for training."
                )
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
            raise InvalidParameterError(
                f"iterator_train={iterator!r} must accept (dataset, batch_size, "
                "unlabeled_batch_size, steps_per_epoch, generator, shuffle) like "
                f"SemiSupervisedLoader: {exc}."
            ) from exc
        loader = iterator(dataset, batch_size=batch_size, **kwargs)
        try:
            self.planned_steps_ = int(self.max_epochs) * len(loader)
        except TypeError:  # an iterator without a length: keep the estimate
            pass
        return loader

    # ----------------------------------------------------------- training
    def _rng_preserved(self):
        """Keep torch's global random state unchanged by what runs inside.

        Used around the inference passes subclasses make during training
        (pseudo-labels, embeddings): skorch's DataLoader draws a seed when it
        starts iterating, which would otherwise shift the dropout masks.
        """
        return forked_torch_rng(self.device)

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
