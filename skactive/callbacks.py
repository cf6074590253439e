"""skorch callbacks: weight EMA, ramp-ups, cosine decay, a divergence guard, a recorder.

Each callback stores its parameters in ``__init__``, (re)sets its state in
``initialize`` (skorch calls it whenever the net is initialised, so a
``warm_start`` fit keeps the state and a fresh fit resets it) and acts in a
few ``on_*`` methods. They work with any skorch net; the semi-supervised nets
in :mod:`skactive.nets` add them by default where their method needs them.
"""

from __future__ import annotations

import copy
import math
import warnings
from numbers import Integral, Real

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

__all__ = [
    "EMA",
    "CosineDecay",
    "DivergenceGuard",
    "DivergenceWarning",
    "RampUp",
    "PredictionRecorder",
]


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


class CosineDecay(Callback):
    """Cosine learning-rate decay over the planned training steps (FixMatch).

    Before every training step ``t`` (counted from the start of each fit)
    the learning rate of every optimizer parameter group is set to

    .. math:: \\eta_t = \\eta \\cos\\left(\\frac{7 \\pi t}{16 T}\\right)

    with ``7/16 = fraction`` and ``T = max(planned, min_total)``: ``planned``
    the planned steps of the fit, read from the net attribute named ``total``
    (``planned_steps_``, which the semi-supervised nets set), and ``eta`` the
    net's ``lr``. FixMatch's schedule never reaches 0: at the last planned
    step ``eta_T = eta cos(7 pi / 16) ~ 0.2 eta``.

    **Short fits.** With ``min_total`` set, a fit planned for fewer steps
    follows the first steps of the schedule of a ``min_total``-step run (the
    learning rate at step ``t`` is that of such a run at step ``t``) instead
    of compressing the whole decay into its own length. FixMatch and
    FlexMatch set it to the paper's ``2**20`` steps: a fit of a few thousand
    steps then keeps ``lr`` almost constant, as the paper's run does over its
    first thousands of steps, while the confident pseudo-labels are still
    growing.

    Parameters
    ----------
    fraction : float, default=7/16
        ``eta_t = eta cos(pi * fraction * t / T)``; in ``[0, 0.5]``.
    total : str, optional
        Net attribute holding the planned steps; by default
        ``"planned_steps_"``.
    min_total : int or None, default=None
        Lower bound of ``T``; ``None`` decays over the planned steps, however
        few.

    Attributes
    ----------
    t_ : int
        Training steps of the current fit so far.
    lr_ : float
        The learning rate last set.

    Examples
    --------
    >>> import math
    >>> from skactive.callbacks import CosineDecay
    >>> decay = CosineDecay().initialize()
    >>> round(decay.lr_at(0.03, 0, 1000), 4), round(decay.lr_at(0.03, 1000, 1000), 4)
    (0.03, 0.0059)
    >>> long = CosineDecay(min_total=2**20).initialize()
    >>> round(long.lr_at(0.03, 1000, 1000), 4)  # step 1000 of a 2**20-step run
    0.03
    """

    _parameter_constraints = {
        "fraction": [Interval(Real, 0, 0.5, closed="both")],
        "total": [str],
        "min_total": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, fraction=7 / 16, total="planned_steps_", min_total=None):
        self.fraction = fraction
        self.total = total
        self.min_total = min_total

    def initialize(self):
        """Validate the parameters and reset the state; called by skorch.

        Returns
        -------
        self : CosineDecay
            The callback.
        """
        validate_estimator_params(self)
        self.t_ = 0
        self.lr_ = None
        return self

    def lr_at(self, lr, t, total):
        """Learning rate after ``t`` of ``total`` steps.

        Parameters
        ----------
        lr : float
            The initial learning rate.
        t : int
            Steps done.
        total : int
            Planned steps (raised to ``min_total`` when that is larger).

        Returns
        -------
        float
        """
        total = float(total)
        if self.min_total is not None:
            total = max(total, float(self.min_total))
        x = min(float(t) / max(total, 1.0), 1.0)
        return float(lr) * math.cos(math.pi * float(self.fraction) * x)

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Restart the count: each fit follows its own schedule.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        X : array-like, default=None
            Training data (unused).
        y : array-like, default=None
            Training targets (unused).
        **kwargs : dict
            Further arguments skorch passes to callbacks (unused).
        """
        self.t_ = 0

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        """Set the learning rate of the coming training step.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        batch : tuple, default=None
            The current batch (unused).
        training : bool, default=False
            Whether the batch is a training batch; others are ignored.
        **kwargs : dict
            Further arguments skorch passes to callbacks (unused).
        """
        if not training:
            return
        total = getattr(net, self.total, None)
        if total is None:
            raise InvalidParameterError(
                f"CosineDecay: total={self.total!r} names no attribute of "
                f"{type(net).__name__}."
            )
        self.lr_ = self.lr_at(net.lr, self.t_, total)
        for group in net.optimizer_.param_groups:
            group["lr"] = self.lr_

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        """Count a training step.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        batch : tuple, default=None
            The current batch (unused).
        training : bool, default=False
            Whether the batch was a training batch.
        **kwargs : dict
            Further arguments skorch passes to callbacks (unused).
        """
        if training:
            self.t_ += 1


class DivergenceWarning(UserWarning):
    """The semi-supervised term was pulling the model away: its weight was cut.

    Raised (as a warning) by :class:`DivergenceGuard` when the labeled
    training loss kept rising or the pseudo-labels collapsed onto one class.
    """


class DivergenceGuard(Callback):
    """Back off the unlabeled loss weight when training diverges or collapses.

    A semi-supervised net can drift away from its labels: the unlabeled term
    (MixMatch's consistency, FixMatch's pseudo-labels) pulls the model to a
    self-consistent but wrong solution. The guard watches two signals the
    semi-supervised nets report after every training step, and backs off when
    one stays bad for long enough:

    **The labeled loss rises** (``loss_labeled``). The guard keeps an
    exponential moving average ``s_t`` (``smoothing``) of it and its lowest
    value ``s*`` so far; the step is bad when ``s_t > max((1 + tolerance)
    s*, s* + min_delta)``, and ``patience`` bad steps in a row back off.

    **The pseudo-labels collapse onto one class** (``pseudo_counts``, the
    number of unlabeled rows of the step whose pseudo-label counts in the
    loss, per class, and ``n_unlabeled``, the rows of the unlabeled batch).
    The guard keeps an exponential moving average ``r_t`` of the *majority
    share* ``max_c pseudo_counts[c] / n_unlabeled`` -- the fraction of the
    unlabeled rows trained towards the most frequent pseudo-label -- and the
    step is bad when ``r_t > max_share``; ``share_patience`` bad steps in a
    row back off (fewer than ``patience``: a collapse is no noise, and it
    feeds on itself). By default ``max_share = (1 +
    p) / 2`` with ``p`` the share of the most frequent class among the
    labeled rows of the fit (``1 / n_classes`` when the labels are not
    known): 0.55 for ten balanced classes, 0.75 for two. A model that learns
    from its labels spreads its pseudo-labels over the classes; one that
    trains most unlabeled rows towards one class does not. This signal
    catches the collapses the labeled loss misses (a labeled loss that never
    falls cannot rise above its minimum). The share is watched only once the
    model has learned something from its labels: once the smoothed labeled
    loss has fallen below ``share_arm * log(n_classes)`` (``log(n_classes)``
    is the loss of a uniform guess), or after ``share_warmup`` of the planned
    training steps (``net.planned_steps_``) whatever the loss (``r_t`` is
    smoothed from the first step, and judged from then on). An untrained
    network sends nearly every row to the one class its initial weights
    favour, whatever the unlabeled term does -- FlexMatch's warm-up
    thresholds (0 at the start) and MixMatch's guesses (all counted) then
    read as a collapse; watched from the first step, the guard fired on
    every FlexMatch run of scikit-learn's digits and early on MixMatch,
    where the pseudo-labels spread over the classes by themselves once the
    labels are learned.

    A back-off multiplies the net's ``attribute`` (``unlabeled_scale_``, a
    factor the nets multiply their unlabeled weight by) by ``factor``; a
    :class:`DivergenceWarning` says which signal fired (step, value, new
    factor), and both watches restart. Once the factor is at or below
    ``min_scale``, it is set to 0 -- the net trains on its labels alone -- and
    the warning says that too. Never a silently worse model: each back-off is
    reported, and counted in ``n_backoffs_`` (``n_collapses_`` of them from
    the class-share signal).

    **The weight comes back when training recovers.** After ``recovery``
    healthy steps in a row (the labeled loss within its bound and, once
    watched, the majority share within its bound) the factor is divided by
    ``factor`` again, one level at a time, up to 1 (from 0, back to the last
    level above ``min_scale``), counted in ``n_restores_``. A back-off is
    then a pause of the unlabeled term, not a verdict for the rest of
    training; ``recovery=None`` keeps the old one-way behaviour.

    Parameters
    ----------
    patience : int, default=50
        Consecutive steps of rising labeled loss before backing off.
    tolerance : float, default=0.2
        Relative rise of the smoothed labeled loss over its minimum.
    min_delta : float, default=0.1
        Smallest absolute rise (in nats) that counts: a labeled loss near 0
        that doubles from 0.001 to 0.002 is noise, not divergence.
    factor : float, default=0.5
        Multiplier of the unlabeled weight at each back-off, in ``(0, 1)``.
    smoothing : float, default=0.95
        EMA factor of both signals, in ``[0, 1)`` (about ``1 / (1 -
        smoothing)`` steps of memory).
    min_scale : float, default=1/64
        Below this factor the unlabeled term is switched off.
    max_share : float or None, default=None
        Bound of the smoothed majority share of the pseudo-labels, in
        ``(0, 1]``; ``None``: ``(1 + p) / 2`` as above; 1 never fires.
    share_patience : int, default=20
        Consecutive steps above ``max_share`` before backing off.
    share_arm : float or None, default=0.5
        The share is watched once the smoothed labeled loss is below
        ``share_arm * log(n_classes)``; ``None`` watches it from the first
        step.
    share_warmup : float, default=0.25
        ... or once this fraction of ``net.planned_steps_`` has passed
        (ignored when the net has no ``planned_steps_``), in ``[0, 1]``.
    recovery : int or None, default=25
        Healthy steps in a row before one back-off is undone; ``None``
        never restores.
    attribute : str, optional
        Fitted attribute of the net that holds the factor; by default
        ``"unlabeled_scale_"``.

    Attributes
    ----------
    n_backoffs_ : int
        Back-offs in the current fit.
    n_collapses_ : int
        Those of them the class-share signal triggered.
    n_restores_ : int
        Back-offs undone after ``recovery`` healthy steps.
    share_armed_ : bool
        Whether the class-share signal is watched yet.
    smoothed_ : float or None
        Current smoothed labeled loss.
    best_ : float or None
        Its minimum since the last back-off.
    smoothed_share_ : float or None
        Current smoothed majority share of the pseudo-labels.
    share_bound_ : float
        The bound it is compared with (``max_share`` or the default).

    Examples
    --------
    >>> from skactive.callbacks import DivergenceGuard
    >>> guard = DivergenceGuard(patience=2, tolerance=0.1, min_delta=0.0,
    ...                         smoothing=0.0, share_patience=2, share_arm=None)
    >>> guard = guard.initialize()
    >>> class Net:
    ...     unlabeled_scale_ = 1.0
    >>> net = Net()
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     for loss in [1.0, 0.5, 0.6, 0.7, 0.8]:
    ...         guard.observe(net, loss)
    >>> net.unlabeled_scale_, guard.n_backoffs_, len(caught)
    (0.5, 1, 1)

    The class-share signal (``share_patience=2`` here): 9 of 10 unlabeled
    rows pseudo-labeled class 3, twice in a row, with ten classes (bound
    0.55):

    >>> import torch
    >>> counts = torch.tensor([0, 0, 0, 9, 1, 0, 0, 0, 0, 0])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     for _ in range(2):
    ...         guard.observe_pseudo_labels(net, counts, 10)
    >>> net.unlabeled_scale_, guard.n_collapses_
    (0.25, 1)
    """

    _parameter_constraints = {
        "patience": [Interval(Integral, 1, None, closed="left")],
        "tolerance": [Interval(Real, 0, None, closed="left")],
        "min_delta": [Interval(Real, 0, None, closed="left")],
        "factor": [Interval(Real, 0, 1, closed="neither")],
        "smoothing": [Interval(Real, 0, 1, closed="left")],
        "min_scale": [Interval(Real, 0, 1, closed="both")],
        "max_share": [Interval(Real, 0, 1, closed="right"), None],
        "share_patience": [Interval(Integral, 1, None, closed="left")],
        "share_arm": [Interval(Real, 0, None, closed="left"), None],
        "share_warmup": [Interval(Real, 0, 1, closed="both")],
        "recovery": [Interval(Integral, 1, None, closed="left"), None],
        "attribute": [str],
    }

    def __init__(
        self,
        patience=50,
        tolerance=0.2,
        min_delta=0.1,
        factor=0.5,
        smoothing=0.95,
        min_scale=1 / 64,
        max_share=None,
        share_patience=20,
        share_arm=0.5,
        share_warmup=0.25,
        recovery=25,
        attribute="unlabeled_scale_",
    ):
        self.patience = patience
        self.tolerance = tolerance
        self.min_delta = min_delta
        self.factor = factor
        self.smoothing = smoothing
        self.min_scale = min_scale
        self.max_share = max_share
        self.share_patience = share_patience
        self.share_arm = share_arm
        self.share_warmup = share_warmup
        self.recovery = recovery
        self.attribute = attribute

    def initialize(self):
        """Validate the parameters and reset the state; called by skorch.

        Returns
        -------
        self : DivergenceGuard
            The callback.
        """
        validate_estimator_params(self)
        if not self.attribute.endswith("_"):
            raise InvalidParameterError(
                f"DivergenceGuard: attribute={self.attribute!r} must name a fitted "
                "attribute (ending with '_')."
            )
        self._start()
        return self

    def _start(self):
        """The state of a fresh fit."""
        self._reset()
        self.n_backoffs_ = 0
        self.n_collapses_ = 0
        self.n_restores_ = 0
        self.label_share_ = None
        self.share_bound_ = None
        self.share_armed_ = self.share_arm is None
        self.n_steps_ = 0
        self.n_healthy_ = 0
        self._loss_seen = False
        self._n_classes = None
        self._levels = []  # the factors before each back-off still in force
        self._planned = None

    def _reset(self):
        self.smoothed_ = None
        self.best_ = None
        self.n_bad_ = 0
        self.smoothed_share_ = None
        self.n_collapsed_ = 0

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Start a fit with the full unlabeled weight and a fresh watch.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        X : array-like, default=None
            Training data (unused).
        y : array-like, default=None
            Training targets, ``-1`` for unlabeled rows: the share of the
            most frequent labeled class sets the default ``max_share``.
        **kwargs : dict
            Further arguments skorch passes to callbacks (unused).
        """
        setattr(net, self.attribute, 1.0)
        self._start()
        if y is not None:
            labels = np.asarray(y.cpu() if isinstance(y, torch.Tensor) else y)
            if labels.ndim == 1 and labels.dtype.kind in "iuf":
                labels = labels[labels != -1]
                if labels.size:
                    _, counts = np.unique(labels, return_counts=True)
                    self.label_share_ = float(counts.max() / labels.size)

    def _share_bound(self, n_classes):
        if self.max_share is not None:
            return float(self.max_share)
        p = self.label_share_
        if p is None:
            p = 1.0 / max(int(n_classes), 1)
        return (1.0 + p) / 2.0

    def _back_off(self, net, reason):
        """Multiply the factor by ``factor`` (0 below ``min_scale``), warn."""
        scale = float(getattr(net, self.attribute, 1.0))
        if scale == 0.0:
            self._reset()
            return False
        new = scale * float(self.factor)
        if new <= float(self.min_scale):
            new = 0.0
        self._levels.append(scale)
        setattr(net, self.attribute, new)
        self.n_backoffs_ += 1
        self.n_healthy_ = 0
        what = (
            "the unlabeled term is now off: the net trains on its labels only"
            if new == 0.0
            else f"the unlabeled loss weight is now x{new:g}"
        )
        warnings.warn(
            f"{type(net).__name__}: {reason}; {what}. The semi-supervised term "
            "may be pulling the model away from its labels (check lambda_u, the "
            "augmentation and flip).",
            DivergenceWarning,
            stacklevel=3,
        )
        self._reset()
        return True

    def _healthy(self, net):
        """Count a healthy step; undo one back-off after ``recovery`` of them."""
        self.n_healthy_ += 1
        if self.recovery is None or not self._levels:
            return
        if self.n_healthy_ < self.recovery:
            return
        setattr(net, self.attribute, self._levels.pop())
        self.n_restores_ += 1
        self.n_healthy_ = 0

    def _arm_share(self, net):
        """Whether the class-share signal is watched at this step."""
        if self.share_armed_:
            return True
        n_classes = getattr(self, "_n_classes", None)
        if self.smoothed_ is not None and n_classes and n_classes > 1:
            chance = math.log(n_classes)
            if self.smoothed_ < float(self.share_arm) * chance:
                self.share_armed_ = True
        planned = getattr(net, "planned_steps_", None)
        if planned and self.n_steps_ >= float(self.share_warmup) * planned:
            self.share_armed_ = True
        return self.share_armed_

    def observe(self, net, loss):
        """Fold one labeled loss into the watch; back off if it kept rising.

        Parameters
        ----------
        net : object
            Holds ``attribute``.
        loss : float
            The labeled loss of a training step.
        """
        loss = float(loss)
        if not math.isfinite(loss):
            loss = math.inf
        s = float(self.smoothing)
        self.smoothed_ = (
            loss if self.smoothed_ is None else s * self.smoothed_ + (1 - s) * loss
        )
        if self.best_ is None or self.smoothed_ < self.best_:
            self.best_ = self.smoothed_
        limit = max(
            (1.0 + float(self.tolerance)) * self.best_,
            self.best_ + float(self.min_delta),
        )
        self._loss_seen = True
        if self.smoothed_ > limit:
            self.n_bad_ += 1
            self.n_healthy_ = 0
        else:
            self.n_bad_ = 0
            self._healthy(net)
        if self.n_bad_ < self.patience:
            return
        self._back_off(
            net,
            f"the labeled training loss rose for {self.patience} steps (smoothed "
            f"{self.smoothed_:.4g} > (1 + {self.tolerance:g}) x its minimum "
            f"{self.best_:.4g})",
        )

    def observe_pseudo_labels(self, net, counts, n_unlabeled):
        """Fold one step's pseudo-labels into the watch; back off on a collapse.

        Parameters
        ----------
        net : object
            Holds ``attribute``.
        counts : array-like or torch.Tensor of shape (n_classes,)
            Unlabeled rows of the step whose pseudo-label counts in the loss,
            per class.
        n_unlabeled : int
            Rows of the step's unlabeled batch; a step without any is ignored.
        """
        counts = np.asarray(
            counts.detach().cpu() if isinstance(counts, torch.Tensor) else counts,
            dtype=np.float64,
        ).reshape(-1)
        n_unlabeled = int(n_unlabeled)
        if n_unlabeled <= 0 or counts.size == 0:
            return
        self.n_steps_ += 1
        self._n_classes = counts.size
        share = float(counts.max()) / n_unlabeled
        s = float(self.smoothing)
        self.smoothed_share_ = (
            share
            if self.smoothed_share_ is None
            else s * self.smoothed_share_ + (1 - s) * share
        )
        self.share_bound_ = bound = self._share_bound(counts.size)
        if not self._arm_share(net):  # smoothed from the start, judged once armed
            return
        if self.smoothed_share_ > bound:
            self.n_collapsed_ += 1
            self.n_healthy_ = 0
        else:
            self.n_collapsed_ = 0
            if not getattr(self, "_loss_seen", False):
                self._healthy(net)
        if self.n_collapsed_ < self.share_patience:
            return
        majority = int(counts.argmax())
        if self._back_off(
            net,
            f"the pseudo-labels collapsed onto one class: for {self.share_patience} "
            f"steps a smoothed {self.smoothed_share_:.0%} of the unlabeled rows "
            f"were trained towards one class (class index {majority} at the "
            f"last step; bound {bound:.0%})",
        ):
            self.n_collapses_ += 1

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        """Watch the ``loss_labeled`` and ``pseudo_counts`` a training step reports.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        batch : tuple, default=None
            The current batch (unused).
        training : bool, default=False
            Whether the batch was a training batch; others are ignored.
        **kwargs : dict
            The step's outputs; ``loss_labeled``, ``pseudo_counts`` and
            ``n_unlabeled`` are read when present.
        """
        if not training:
            return
        loss = kwargs.get("loss_labeled")
        if loss is not None:
            self.observe(net, loss.item() if isinstance(loss, torch.Tensor) else loss)
        counts = kwargs.get("pseudo_counts")
        n_unlabeled = kwargs.get("n_unlabeled")
        if counts is not None and n_unlabeled is not None:
            self.observe_pseudo_labels(net, counts, n_unlabeled)
