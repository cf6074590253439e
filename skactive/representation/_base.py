"""Shared machinery of the self-supervised representation learners.

The learners are scikit-learn transformers that train a backbone of
:mod:`skactive.nets.modules` with a plain, seeded torch loop: self-supervised
objectives have no targets, two views per image and per-epoch re-clustering,
which fit skorch's supervised ``fit_loop`` poorly, while the loop they need
is a dozen lines.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import math
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.exceptions import NotFittedError
from torch import nn

from .._constraints import ModuleClasses, Sequences
from .._random import forked_torch_rng, seed_from_random_state
from .._validation import (
    POSITIVE_INT,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_estimator_params,
    validate_parameter_constraints,
)
from ..augment import AUGMENTATIONS, make_augmentation
from ..nets import to_float_tensor
from ..nets.modules import ResNet18, SmallCNN, accepted_kwargs

__all__ = []

#: Images up to this side length get :class:`SmallCNN` by default.
_SMALL_IMAGE_SIDE = 32

#: Set by :func:`training_progress`: show every learner's epochs bar.
_SHOW_PROGRESS = contextvars.ContextVar("skactive_training_progress", default=False)


@contextlib.contextmanager
def training_progress(show=True):
    """Show the epochs bar of every representation learner trained inside.

    The bar is presentation, not configuration: unlike ``progress=True`` it
    leaves the learners' parameters (their ``repr``, which a simulation's
    checkpoint records) as they are. The ``skactive`` command uses it for
    the pre-training of ``--embedder``.

    Parameters
    ----------
    show : bool, default=True
        Show the bars (``False``: leave each learner's ``progress`` to decide).
    """
    token = _SHOW_PROGRESS.set(bool(show))
    try:
        yield
    finally:
        _SHOW_PROGRESS.reset(token)


# --------------------------------------------------------------------------
# declared parameter constraints
# --------------------------------------------------------------------------
_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
#: A positive int or a non-empty sequence of them (layer widths).
DIMS = [
    _POSITIVE_INT,
    Sequences(
        _POSITIVE_INT,
        min_length=1,
        arrays=True,
        description="a non-empty sequence of ints >= 1",
    ),
]
#: A name of :func:`skactive.augment.make_augmentation` or a callable.
AUGMENTATION = [StrOptions(set(AUGMENTATIONS)), callable]


def _as_dims(value):
    """A validated ``DIMS`` value as a tuple of ints."""
    if isinstance(value, Integral):
        return (int(value),)
    return tuple(int(d) for d in value)


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------
def _as_images(X, *, name="X"):
    """Validate an image batch; return it as a CPU tensor in its own dtype.

    Accepts numpy arrays and torch tensors of shape ``N x H x W``,
    ``N x H x W x C`` or ``N x C x H x W``, uint8 or any real dtype.
    """
    if X is None:
        raise InvalidParameterError(f"{name} must be an image batch, got None.")
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise InvalidParameterError(
            f"{name} must be a dense image batch; sparse matrices are not supported."
        )
    if isinstance(X, torch.Tensor):
        t = X.detach()
    else:
        try:
            arr = np.asarray(X)
        except (TypeError, ValueError) as exc:  # ragged nested lists
            raise InvalidParameterError(
                f"{name} must be an image batch: {exc}"
            ) from None
        if arr.dtype == object:
            try:
                arr = arr.astype(np.float32)
            except (TypeError, ValueError) as exc:
                raise InvalidParameterError(f"{name} must hold numbers.") from exc
        if arr.dtype.kind not in "biuf":
            raise InvalidParameterError(
                f"{name} must be numeric, got dtype {arr.dtype}."
            )
        if arr.dtype.kind == "b":
            arr = arr.astype(np.uint8)
        elif arr.dtype.kind in "iu" and arr.dtype != np.uint8:
            arr = arr.astype(np.float32)
        elif arr.dtype.kind == "f" and arr.dtype != np.float32:
            arr = arr.astype(np.float32)
        t = torch.from_numpy(np.ascontiguousarray(arr))
    if t.is_complex():
        raise InvalidParameterError(
            f"{name} must be real-valued, got a complex tensor."
        )
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    if t.ndim not in (3, 4):
        raise InvalidParameterError(
            f"{name} must be an image batch N x H x W, N x H x W x C or "
            f"N x C x H x W; got an array of shape {tuple(t.shape)}."
        )
    if t.shape[0] == 0:
        raise InvalidParameterError(
            f"{name} is empty: it has 0 rows (shape {tuple(t.shape)})."
        )
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        raise InvalidParameterError(f"{name} contains NaN or infinity.")
    return t.cpu()


def _image_shape(X):
    """``(C, H, W)`` of one image after :func:`to_float_tensor`."""
    return tuple(int(s) for s in to_float_tensor(X[:1]).shape[1:])


def _batches(n, batch_size):
    for start in range(0, n, batch_size):
        yield slice(start, min(n, start + batch_size))


def _first(out):
    return out[0] if isinstance(out, tuple | list) else out


def _pool_output(out, pool_size=1):
    """Average pooling of a layer output: ``(N, C, ...)`` -> ``(N, C * k * k)``.

    4-D outputs are average-pooled to a ``pool_size x pool_size`` grid
    (1: global average pooling; ``None``: no pooling) and flattened
    channel-major; 3-D token outputs ``(N, L, D)`` are averaged over the
    token axis; 2-D outputs are kept.
    """
    out = _first(out)
    if out.ndim == 4 and pool_size != 1:
        if pool_size is not None:
            out = F.adaptive_avg_pool2d(out, pool_size)
        return out.flatten(1)
    if out.ndim >= 4:
        return out.flatten(2).mean(dim=2)
    if out.ndim == 3:
        return out.mean(dim=1)
    return out.reshape(out.shape[0], -1)


class _StopForward(Exception):
    """Raised by a capture hook to skip the layers after the captured one."""


@contextlib.contextmanager
def capture_layer(module, layer, forward=None, pool_size=1):
    """Capture (and GAP) the output of submodule ``layer`` of ``module``.

    Inside the context, ``run(x)`` calls ``forward(x)`` (default: ``module``),
    returns the output of the layer pooled by :func:`_pool_output` and stops
    the forward pass right after it.
    """
    forward = module if forward is None else forward
    sub = get_layer(module, layer)
    state = {}

    def hook(_module, _inputs, output):
        state["value"] = _pool_output(output, pool_size)
        raise _StopForward

    handle = sub.register_forward_hook(hook)

    def run(x):
        state.pop("value", None)
        try:
            forward(x)
        except _StopForward:
            pass
        if "value" not in state:
            raise RuntimeError(
                f"layer {layer!r} of {type(module).__name__} was not called by its "
                "forward pass, so it has no output to embed."
            )
        return state.pop("value")

    try:
        yield run
    finally:
        handle.remove()


def get_layer(module, layer):
    """Submodule ``layer`` (a dotted name) of ``module``, with a clear error."""
    if not isinstance(layer, str):
        raise InvalidParameterError(
            f"layer must be a str naming a submodule or None, got {layer!r}."
        )
    try:
        return module.get_submodule(layer)
    except AttributeError as exc:
        names = [n for n, _ in module.named_modules() if n]
        shown = ", ".join(repr(n) for n in names[:20])
        more = ", ..." if len(names) > 20 else ""
        raise InvalidParameterError(
            f"layer={layer!r} is not a submodule of {type(module).__name__}; "
            f"its submodules are {shown}{more}."
        ) from exc


def _embedding_dim(encoder, x):
    dim = getattr(encoder, "embedding_dim", None)
    if isinstance(dim, Integral) and not isinstance(dim, bool):
        return int(dim)
    with torch.no_grad():
        return int(encoder.features(x).reshape(x.shape[0], -1).shape[1])


def set_head(encoder, n_outputs, in_features):
    """Give ``encoder`` a fresh ``Linear(in_features, n_outputs)`` classifier."""
    encoder.classifier = nn.Linear(in_features, n_outputs)
    if hasattr(encoder, "n_classes"):
        encoder.n_classes = int(n_outputs)
    return encoder.classifier


def head_logits(encoder, x):
    """``classifier(dropout(features(x)))`` without relying on ``forward``."""
    h = encoder.features(x)
    dropout = getattr(encoder, "dropout", None)
    if isinstance(dropout, nn.Module):
        h = dropout(h)
    return encoder.classifier(h)


# --------------------------------------------------------------------------
# the base transformer
# --------------------------------------------------------------------------
class BaseRepresentation(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Base class of the self-supervised representation learners.

    Subclasses store their parameters in ``__init__``, declare the
    constraints of those they add in ``_parameter_constraints`` (merged with
    these), and implement :meth:`_build` (extra modules: projector, heads),
    :meth:`_batch_loss` and optionally :meth:`_on_epoch_begin` and
    :meth:`_embed_batch`.
    """

    #: Drop the last incomplete batch of an epoch (contrastive objectives).
    _drop_last = False
    #: Size of the classifier head the objective trains (None: no head).
    _n_head_outputs = None

    _parameter_constraints = {
        "module": [None, nn.Module, ModuleClasses()],
        "augmentation": [None, *AUGMENTATION],
        "module_kwargs": [dict, None],
        "max_epochs": POSITIVE_INT,
        # training standardises along the batch (batch norm): 2 images at least
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "lr": [Interval(Real, 0, math.inf, closed="neither")],
        "weight_decay": [Interval(Real, 0, math.inf, closed="left")],
        "random_state": ["random_state"],
        "device": ["device"],
        "progress": ["boolean"],
    }

    #: What :meth:`transform` checks again (a fitted learner may embed in
    #: batches of any size).
    _transform_constraints = {"batch_size": POSITIVE_INT, "device": ["device"]}

    # ------------------------------------------------------------ params
    def _validate_params(self):
        """Check every parameter against the declared constraints."""
        validate_estimator_params(self)
        self._max_epochs = int(self.max_epochs)
        self._batch_size = int(self.batch_size)
        self._lr = float(self.lr)
        self._weight_decay = float(self.weight_decay)
        self._device = torch.device(self.device)
        self._check_params()

    def _check_params(self):
        """Checks and derived values beyond the declared constraints."""

    def _validate_transform_params(self):
        """Check the parameters :meth:`transform` uses; return the batch size."""
        validate_parameter_constraints(
            self._transform_constraints,
            {"batch_size": self.batch_size, "device": self.device},
            type(self).__name__,
        )
        return int(self.batch_size)

    # ------------------------------------------------------------ module
    def _make_encoder(self, image_shape, x_probe):
        c, h, w = image_shape
        module = self.module
        kwargs = dict(self.module_kwargs or {})
        if module is None:
            module = SmallCNN if max(h, w) <= _SMALL_IMAGE_SIDE else ResNet18
        if isinstance(module, nn.Module):
            if kwargs:
                raise InvalidParameterError(
                    f"{type(self).__name__}: module_kwargs can only be used with a "
                    "module class, not with a module instance "
                    f"({type(module).__name__})."
                )
            encoder = copy.deepcopy(module)
        else:  # a torch.nn.Module subclass (the declared constraints)
            accepted = accepted_kwargs(module)
            inferred = {
                "in_channels": c,
                "n_features": c * h * w,
                "n_classes": self._n_head_outputs or 10,
            }
            for key, value in inferred.items():
                if key in accepted and key not in kwargs:
                    kwargs[key] = value
            encoder = module(**kwargs)
        if not callable(getattr(encoder, "features", None)):
            raise InvalidParameterError(
                f"{type(self).__name__}: module {type(encoder).__name__} has no "
                "features(x) method; the representation learners train a "
                "backbone's features(x) as the encoder (see skactive.nets.modules)."
            )
        encoder = encoder.to(self._device)
        encoder.eval()
        try:
            dim = _embedding_dim(encoder, x_probe)
            with torch.no_grad():
                out = encoder.features(x_probe)
        except (RuntimeError, ValueError) as exc:
            raise InvalidParameterError(
                f"{type(self).__name__}: module {type(encoder).__name__} cannot "
                f"process images of shape {tuple(image_shape)} (C, H, W): {exc}"
            ) from exc
        if out.ndim != 2 or out.shape[1] != dim:
            raise InvalidParameterError(
                f"{type(self).__name__}: module {type(encoder).__name__}.features "
                f"returned shape {tuple(out.shape)}; expected (batch, {dim})."
            )
        return encoder, dim

    def _build(self, encoder, dim, image_shape):
        """Extra trainable modules (projector, head) as a dict name -> module."""
        return {}

    # ------------------------------------------------------------ training
    def _on_epoch_begin(self, epoch, X, ctx):
        """Hook run before each epoch (DeepCluster re-clusters here)."""

    def _epoch_indices(self, n, ctx):
        perm = torch.randperm(n, generator=ctx["generator"])
        return perm

    def _batch_loss(self, x, idx, ctx):  # pragma: no cover - abstract
        raise NotImplementedError

    def _to_device(self, xb):
        return to_float_tensor(xb.to(self._device, non_blocking=True))

    def _augmentation(self, image_shape):
        aug = self.augmentation  # None, a name or a callable (declared)
        if isinstance(aug, str):
            return make_augmentation(aug, image_shape)
        return aug

    def _augment(self, x, ctx):
        aug = ctx["augmentation"]
        if aug is None:
            return x
        return aug(x, generator=ctx["generator"])

    def fit(self, X, y=None):
        """Train the encoder on ``X``; labels are ignored.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
            Images ``N x H x W``, ``N x H x W x C`` or ``N x C x H x W``,
            uint8 (scaled to ``[0, 1]``) or float.
        y : None
            Ignored; present for scikit-learn pipelines.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._validate_params()
        X = _as_images(X)
        n = int(X.shape[0])
        if n < 2:
            raise InvalidParameterError(
                f"{type(self).__name__}: X must hold at least 2 images to train, "
                f"got {n}."
            )
        image_shape = _image_shape(X)
        self._check_data(X, image_shape)
        seed = seed_from_random_state(self.random_state)
        generator = torch.Generator().manual_seed(seed)
        with forked_torch_rng(self._device, seed):
            x_probe = self._to_device(X[:2])
            encoder, dim = self._make_encoder(image_shape, x_probe)
            extra = self._build(encoder, dim, image_shape)
            model = nn.ModuleDict({"encoder": encoder, **extra}).to(self._device)
            ctx = {
                "model": model,
                "encoder": encoder,
                "dim": dim,
                "generator": generator,
                "augmentation": self._augmentation(image_shape),
                "image_shape": image_shape,
                "seed": seed,
            }
            ctx["optimizers"] = self._make_optimizers(model, ctx)
            self.loss_history_ = self._train(X, ctx)
        encoder.eval()
        self.encoder_ = encoder
        self.input_shape_ = tuple(int(s) for s in X.shape[1:])
        self.image_shape_ = image_shape
        self._set_fitted(ctx)
        self._n_features_out = self._output_dim(X[:2])
        self.n_features_out_ = self._n_features_out
        return self

    def _check_data(self, X, image_shape):
        """Subclass checks of the data (square images for RotNet, ...)."""

    def _set_fitted(self, ctx):
        """Store the subclass's fitted attributes (projector_, ...)."""

    def _make_optimizers(self, model, ctx):
        return [self._make_optimizer(model.parameters())]

    def _make_optimizer(self, params):
        return torch.optim.Adam(params, lr=self._lr, weight_decay=self._weight_decay)

    def _train(self, X, ctx):
        from tqdm.auto import tqdm

        n = X.shape[0]
        bs = self._batch_size
        history = []
        bar = tqdm(
            range(self._max_epochs),
            desc=type(self).__name__,
            disable=not (self.progress or _SHOW_PROGRESS.get()),
            leave=False,
        )
        for epoch in bar:
            self._on_epoch_begin(epoch, X, ctx)
            ctx["model"].train()
            order = self._epoch_indices(n, ctx)
            m = order.shape[0]
            total, count = 0.0, 0
            for sl in _batches(m, bs):
                idx = order[sl]
                if idx.shape[0] < 2 or (self._drop_last and m > bs and len(idx) < bs):
                    continue
                x = self._to_device(X[idx])
                loss = self._batch_loss(x, idx, ctx)
                for opt in ctx["optimizers"]:
                    opt.zero_grad(set_to_none=True)
                loss.backward()
                for opt in ctx["optimizers"]:
                    opt.step()
                total += float(loss.detach()) * idx.shape[0]
                count += idx.shape[0]
            history.append(total / max(count, 1))
            bar.set_postfix(loss=f"{history[-1]:.4g}")
        bar.close()
        return np.asarray(history, dtype=np.float64)

    # ------------------------------------------------------------ transform
    def __sklearn_is_fitted__(self):
        return hasattr(self, "encoder_")

    def _check_fitted(self):
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call "
                "'fit' with appropriate arguments before using this estimator."
            )

    def _check_transform_input(self, X):
        self._check_fitted()
        X = _as_images(X)
        if tuple(X.shape[1:]) != tuple(self.input_shape_):
            raise InvalidParameterError(
                f"X has rows of shape {tuple(X.shape[1:])}, but "
                f"{type(self).__name__} was fitted on rows of shape "
                f"{tuple(self.input_shape_)}."
            )
        return X

    def _embed_batch(self, x):
        """Embedding of a float batch on the device (eval mode, no grad)."""
        return self.encoder_.features(x)

    def _output_dim(self, X):
        self.encoder_.eval()
        with torch.no_grad():
            return int(self._embed_batch(self._to_device(X[:2])).shape[1])

    def transform(self, X):
        """Embed ``X`` with the trained encoder, batch by batch.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
            Images shaped like those seen in :meth:`fit`.

        Returns
        -------
        embedding : ndarray of shape (n_samples, ``n_features_out_``)
            The float32 embeddings (eval mode: dropout off, batch-norm running
            statistics).
        """
        X = self._check_transform_input(X)
        bs = self._validate_transform_params()
        self._device = torch.device(self.device)
        self.encoder_.to(self._device)
        self.encoder_.eval()
        out = []
        with torch.no_grad():
            for sl in _batches(X.shape[0], bs):
                emb = self._embed_batch(self._to_device(X[sl]))
                out.append(emb.reshape(emb.shape[0], -1).float().cpu())
        return torch.cat(out).numpy()
