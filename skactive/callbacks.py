"""skorch callbacks: a moving average of the weights, ramp-ups, a prediction recorder.

Each callback stores its parameters in ``__init__``, (re)sets its state in
``initialize`` (skorch calls it whenever the net is initialised, so a
``warm_start`` fit keeps the state and a fresh fit resets it) and acts in a
few ``on_*`` methods. They work with any skorch net; the semi-supervised nets
in :mod:`skactive.nets` add them by default where their method needs them.
"""

from __future__ import annotations

import copy
import math
from numbers import Real

import numpy as np
import torch
from skorch.callbacks import Callback

from ._random import forked_torch_rng
from ._rows import n_rows
from ._validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_estimator_params,
)

__all__ = ["EMA", "RampUp", "PredictionRecorder"]


def _set_net_module(net, name, module):
    """Set a torch module attribute on a skorch net outside ``initialize_*``.

    skorch refuses to set an unknown torch module attribute outside its
    ``initialize_*`` methods unless the name is registered; registering it
    (its prefix and its CUDA-dependence) is what skorch itself does for custom
    modules, so the net still pickles and loads on a machine without CUDA.
    The module is *not* added to the net's trained modules: the optimizer and
    ``_set_training`` never see it.
    """
    register = getattr(net, "_register_attribute", None)
    prefixes = getattr(net, "prefixes_", None)
    if register is not None and prefixes is not None and name[:-1] not in prefixes:
        register(name, module)
    setattr(net, name, module)


class EMA(Callback):
    """Exponential moving average (EMA) of the weights, used for prediction.

    After every training batch (once the optimizer has stepped) the averaged
    copy is updated as

    .. math:: \\theta_{ema} \\leftarrow d_t \\, \\theta_{ema} + (1 - d_t) \\, \\theta

    where ``d_t = decay`` or, with ``warmup=True``,
    ``d_t = min(decay, (1 + t) / (10 + t))`` at the ``t``-th update (``t``
    from 0, the rule of TensorFlow's ``ExponentialMovingAverage`` with
    ``num_updates``): with few steps -- the usual case when a net is refitted
    every active-learning round -- a plain 0.999 average would still be mostly
    the random initial weights. Buffers (batch-norm running statistics) are
    copied from the trained module, not averaged.

    **How the average is used.** At the start of training the callback makes
    ``net.ema_module_``, a frozen deep copy of ``net.module_``, and keeps the
    trained module as ``net.online_module_``. At the end of training it sets
    ``net.module_ = net.ema_module_``, so every inference method of the net
    (``predict``, ``predict_proba``, ``embed``, MC-dropout and augmented
    predictions, skorch's ``forward``) uses the averaged weights. The next
    ``fit`` with ``warm_start=True`` (or ``partial_fit``) puts
    ``net.online_module_`` back as ``net.module_`` -- the module the optimizer
    updates -- and continues the same average; a fit that re-initialises the
    net starts a new one.

    Parameters
    ----------
    decay : float, default=0.999
        EMA decay ``d`` in ``[0, 1)``; 0 copies the weights after every step.
    warmup : bool, default=True
        Use ``min(decay, (1 + t) / (10 + t))`` as the decay of update ``t``.

    Attributes
    ----------
    n_updates_ : int
        Number of updates of the current average.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.callbacks import EMA
    >>> from skactive.nets import DeepClassifier, MLP
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, callbacks=[("ema", EMA(0.99))],
    ...                      random_state=0).fit(X[:200], y[:200])
    >>> net.module_ is net.ema_module_
    True
    >>> dict(net.callbacks_)["ema"].n_updates_  # 2 epochs x 4 batches
    8
    """

    _parameter_constraints = {
        "decay": [Interval(Real, 0, 1, closed="left")],
        "warmup": ["boolean"],
    }

    def __init__(self, decay=0.999, warmup=True):
        self.decay = decay
        self.warmup = warmup

    def initialize(self):
        """Validate the parameters and reset the state; called by skorch.

        Returns
        -------
        self : EMA
            The callback.

        Raises
        ------
        InvalidParameterError
            If a parameter breaks its declared constraints.
        """
        validate_estimator_params(self)
        self.n_updates_ = 0
        self.resume_ = False
        return self

    def current_decay(self):
        """Decay used by the next update.

        Returns
        -------
        float
            ``decay``, or ``min(decay, (1 + t) / (10 + t))`` with ``warmup``.
        """
        decay = float(self.decay)
        if self.warmup:
            t = self.n_updates_
            decay = min(decay, (1.0 + t) / (10.0 + t))
        return decay

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Start (or, on a warm start, resume) the average.

        Puts the trained module back in place of the average a previous
        ``fit`` left in ``net.module_``; unless the fit continues training,
        the average restarts from a copy of the current weights.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        X : array-like, default=None
            Training data passed to ``fit`` (unused).
        y : array-like, default=None
            Training targets passed to ``fit`` (unused).
        **kwargs : dict
            Further arguments skorch passes to callbacks (unused).
        """
        ema = getattr(net, "ema_module_", None)
        online = getattr(net, "online_module_", None)
        if ema is not None and online is not None and net.module_ is ema:
            # the average was swapped in by the last fit and the net was not
            # re-initialised since: train the module the optimizer holds
            net.module_ = online
            if self.resume_:  # warm start: keep averaging
                return
        ema = copy.deepcopy(net.module_)
        ema.requires_grad_(False)
        ema.eval()
        _set_net_module(net, "ema_module_", ema)
        _set_net_module(net, "online_module_", net.module_)
        self.n_updates_ = 0

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        """Fold the weights after a training step into the average.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        batch : tuple, default=None
            The current batch (unused).
        training : bool, default=False
            Whether the batch is a training batch; validation batches are
            ignored.
        **kwargs : dict
            Further arguments skorch passes to callbacks (unused).
        """
        if not training:
            return
        weight = 1.0 - self.current_decay()
        online, ema = net.module_, net.ema_module_
        with torch.no_grad():
            for p_ema, p in zip(ema.parameters(), online.parameters(), strict=True):
                p_ema.lerp_(p.detach(), weight)
            for b_ema, b in zip(ema.buffers(), online.buffers(), strict=True):
                b_ema.copy_(b)
        self.n_updates_ += 1

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Make the averaged weights the ones every prediction uses.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        X : array-like, default=None
            Training data passed to ``fit`` (unused).
        y : array-like, default=None
            Training targets passed to ``fit`` (unused).
        **kwargs : dict
            Further arguments skorch passes to callbacks (unused).
        """
        net.module_ = net.ema_module_
        self.resume_ = True


_KINDS = ("linear", "sigmoid", "cosine")
_UNITS = ("step", "epoch")
#: Any real number but NaN.
_REAL = Interval(Real, None, None, closed="neither")


class RampUp(Callback):
    """Ramp a net attribute from ``start`` to ``end`` over training.

    The value at progress ``t`` (training steps or epochs counted from the
    start of training; a ``warm_start`` fit continues the count) is
    ``start + (end - start) * r(min(t / length, 1))`` with

    * ``"linear"``: ``r(x) = x`` (MixMatch's ramp of ``lambda_u``);
    * ``"sigmoid"``: ``r(x) = exp(-5 (1 - x)^2)`` (Laine & Aila 2017);
    * ``"cosine"``: ``r(x) = (1 - cos(pi x)) / 2``.

    The value is written to ``attribute`` before every training step (or
    epoch). The attribute must be a *fitted* attribute -- its first dotted
    component ends with ``_`` -- so a ramp never changes a constructor
    parameter (which would break ``get_params`` / ``clone``) and never goes
    through skorch's ``set_params`` (which re-initialises the criterion and the
    optimizer). Nets read it with a default, e.g.
    ``getattr(self, "lambda_u_scale_", 1.0)``.

    Parameters
    ----------
    attribute : str
        Name of the attribute set on the net: ``"lambda_u_scale_"``, or a
        dotted path into a component such as ``"criterion_.lambda_u"``.
    start : float, default=0.0
        Value at ``t = 0``.
    end : float, default=1.0
        Value from ``t = length`` on.
    length : int or float, default=1000
        Length of the ramp in ``unit``\\ s, ``>= 0``; 0 gives ``end`` at once.
        With ``total`` set, a fraction of the planned training length instead.
    kind : {"linear", "sigmoid", "cosine"}, default="linear"
        Shape of the ramp.
    unit : {"step", "epoch"}, default="step"
        Count training steps (batches) or epochs.
    total : str or None, default=None
        Name of a net attribute holding the planned number of ``unit``\\ s of
        the fit (e.g. ``"planned_steps_"``, which the semi-supervised nets set
        when training starts); the ramp then lasts ``length * total`` units,
        so one ``length`` suits 3,000 or 100,000 steps. ``None``: ``length``
        counts units.

    Attributes
    ----------
    t_ : int
        Steps (or epochs) counted so far.
    value_ : float
        The value last written.
    length_ : float
        The ramp's length in units (``length``, or ``length * total``).

    Examples
    --------
    >>> from skactive.callbacks import RampUp
    >>> ramp = RampUp("lambda_u_scale_", 0.0, 75.0, length=100).initialize()
    >>> ramp.value_at(0), ramp.value_at(50), ramp.value_at(500)
    (0.0, 37.5, 75.0)
    """

    _parameter_constraints = {
        "attribute": [str],
        "start": [_REAL],
        "end": [_REAL],
        "length": [Interval(Real, 0, None, closed="left")],
        "kind": [StrOptions(set(_KINDS))],
        "unit": [StrOptions(set(_UNITS))],
        "total": [str, None],
    }

    def __init__(
        self,
        attribute,
        start=0.0,
        end=1.0,
        length=1000,
        kind="linear",
        unit="step",
        total=None,
    ):
        self.attribute = attribute
        self.start = start
        self.end = end
        self.length = length
        self.kind = kind
        self.unit = unit
        self.total = total

    def initialize(self):
        """Validate the parameters and reset the state; called by skorch.

        Returns
        -------
        self : RampUp
            The callback.

        Raises
        ------
        InvalidParameterError
            If a parameter breaks its declared constraints, or ``attribute`` is
            empty or does not name a fitted attribute.
        """
        validate_estimator_params(self)
        if not self.attribute:
            raise InvalidParameterError(
                f"RampUp: attribute must be a non-empty string, got {self.attribute!r}."
            )
        if not self.attribute.split(".")[0].endswith("_"):
            raise InvalidParameterError(
                f"RampUp: attribute={self.attribute!r} must name a fitted attribute "
                "(ending with '_', e.g. 'lambda_u_scale_' or 'criterion_.weight'): "
                "ramping a constructor parameter would change get_params()."
            )
        self.t_ = 0
        self.value_ = float(self.start)
        self.length_ = float(self.length)
        return self

    def value_at(self, t):
        """Value of the ramp after ``t`` steps (or epochs).

        Parameters
        ----------
        t : float
            Steps (or epochs) since the start of training.

        Returns
        -------
        float
            ``start + (end - start) * r(min(t / length, 1))``.
        """
        length = getattr(self, "length_", float(self.length))
        x = 1.0 if length == 0 else min(max(float(t) / length, 0.0), 1.0)
        if self.kind == "sigmoid":
            x = math.exp(-5.0 * (1.0 - x) ** 2) if x < 1.0 else 1.0
        elif self.kind == "cosine":
            x = 0.5 * (1.0 - math.cos(math.pi * x))
        return float(self.start) + (float(self.end) - float(self.start)) * x

    def _write(self, net):
        if self.total is not None:
            planned = getattr(net, self.total, None)
            if planned is None:
                raise InvalidParameterError(
                    f"RampUp: total={self.total!r} names no attribute of "
                    f"{type(net).__name__}; set it before training or pass "
                    "total=None and length in units."
                )
            self.length_ = float(self.length) * float(planned)
        self.value_ = self.value_at(self.t_)
        *path, last = self.attribute.split(".")
        target = net
        for name in path:
            target = getattr(target, name)
        setattr(target, last, self.value_)

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Write the value at the current count before training starts.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        X : array-like, default=None
            Training data passed to ``fit`` (unused).
        y : array-like, default=None
            Training targets passed to ``fit`` (unused).
        **kwargs : dict
            Further arguments skorch passes to callbacks (unused).
        """
        self._write(net)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Write the current value (``unit="epoch"``).

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        dataset_train : Dataset, default=None
            Training dataset of the epoch (unused).
        dataset_valid : Dataset, default=None
            Validation dataset of the epoch (unused).
        **kwargs : dict
            Further arguments skorch passes to callbacks (unused).
        """
        if self.unit == "epoch":
            self._write(net)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Count the epoch (``unit="epoch"``).

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        dataset_train : Dataset, default=None
            Training dataset of the epoch (unused).
        dataset_valid : Dataset, default=None
            Validation dataset of the epoch (unused).
        **kwargs : dict
            Further arguments skorch passes to callbacks (unused).
        """
        if self.unit == "epoch":
            self.t_ += 1

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        """Write the current value before a training step (``unit="step"``).

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        batch : tuple, default=None
            The current batch (unused).
        training : bool, default=False
            Whether the batch is a training batch; validation batches are
            ignored.
        **kwargs : dict
            Further arguments skorch passes to callbacks (unused).
        """
        if training and self.unit == "step":
            self._write(net)

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        """Count a training step (``unit="step"``).

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        batch : tuple, default=None
            The current batch (unused).
        training : bool, default=False
            Whether the batch is a training batch; validation batches are
            ignored.
        **kwargs : dict
            Further arguments skorch passes to callbacks (unused).
        """
        if training and self.unit == "step":
            self.t_ += 1


class PredictionRecorder(Callback):
    """Record the predicted class of every pool row after each epoch.

    Add it to a skorch / skactive net
    (``DeepClassifier(..., callbacks=[("recorder", PredictionRecorder(X_pool))])``).
    At the end of every epoch it predicts ``X_pool`` (eval mode, batched) and
    appends the predicted class **indices** (positions in ``net.classes_``) as
    an ``int16`` column. A new ``fit`` starts a new record (kept across
    ``partial_fit`` calls and with ``warm_start=True``).

    Parameters
    ----------
    X_pool : array-like of shape (n_pool, ...)
        The unlabeled rows to track. Change it with ``set_params(X_pool=...)``
        (or ``net.set_params(callbacks__recorder__X_pool=...)``) when the pool
        shrinks; that clears the record. :class:`skactive.ActiveLearner` does
        this itself before every fit when it holds the pool (``X_pool=``).

    Attributes
    ----------
    predictions_ : ndarray of int16 of shape (n_pool, n_epochs)
        Predicted class index of each row at the end of each recorded epoch.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.callbacks import PredictionRecorder
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> rec = PredictionRecorder(X[200:300])
    >>> net = DeepClassifier(MLP, max_epochs=3, random_state=0,
    ...                      callbacks=[("recorder", rec)]).fit(X[:200], y[:200])
    >>> rec.predictions_.shape, rec.predictions_.dtype
    ((100, 3), dtype('int16'))
    """

    _parameter_constraints = {"X_pool": ["array-like"]}

    def __init__(self, X_pool):
        self.X_pool = X_pool

    def initialize(self):
        """Start a new, empty record (skorch calls it when the net initialises).

        Returns
        -------
        PredictionRecorder
            The recorder itself, with no recorded epoch.

        Raises
        ------
        InvalidParameterError
            If ``X_pool`` is not an array-like.
        """
        validate_estimator_params(self)
        self.columns_ = []
        return self

    def set_params(self, **kwargs):
        """Set parameters (e.g. a new ``X_pool``) and clear the record.

        Parameters
        ----------
        **kwargs : dict
            Parameters of the recorder, such as ``X_pool``.

        Returns
        -------
        PredictionRecorder
            The recorder itself, with no recorded epoch.
        """
        super().set_params(**kwargs)
        self.columns_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        """Predict ``X_pool`` and append the predicted class indices to the record.

        The net predicts in eval mode; the training mode of its modules and
        torch's random state are restored afterwards, so training proceeds as
        it would without the recorder.

        Parameters
        ----------
        net : skorch net
            The net being trained (skorch passes it).
        **kwargs : dict
            Other arguments skorch passes to epoch callbacks (ignored).
        """
        # predict in eval mode, then restore each module's mode; the torch RNG
        # is forked, so recording leaves training exactly as it would be
        modules = list(net.module_.modules())
        modes = [m.training for m in modules]
        try:
            with forked_torch_rng(getattr(net, "device", None)):
                proba = net.predict_proba(self.X_pool)
        finally:
            for m, mode in zip(modules, modes, strict=True):
                m.training = mode
        if proba.shape[1] > np.iinfo(np.int16).max:
            raise InvalidParameterError(
                f"PredictionRecorder stores int16 labels; {proba.shape[1]} classes "
                "do not fit."
            )
        if not hasattr(self, "columns_"):
            self.columns_ = []
        self.columns_.append(np.asarray(proba).argmax(axis=1).astype(np.int16))

    @property
    def predictions_(self):
        """Recorded predicted class indices, one column per epoch.

        Returns
        -------
        ndarray of int16 of shape (n_pool, n_epochs)
            Empty (``n_epochs = 0``) before the first recorded epoch.
        """
        columns = getattr(self, "columns_", [])
        if not columns:
            return np.empty((n_rows(self.X_pool), 0), dtype=np.int16)
        return np.stack(columns, axis=1)
