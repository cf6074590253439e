"""Wrap a pretrained torch module as a scikit-learn transformer."""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from torch import nn

from .._validation import (
    POSITIVE_INT,
    InvalidParameterError,
    validate_estimator_params,
)
from ..nets import to_float_tensor
from ._base import _as_images, _batches, _first, capture_layer, get_layer

__all__ = ["PretrainedEmbedder"]


def _as_batch(X):
    """Images (3-D/4-D) or a 2-D feature matrix as a CPU tensor."""
    if not isinstance(X, torch.Tensor) and X is not None and not hasattr(X, "tocsr"):
        try:
            X = np.asarray(X)
        except (TypeError, ValueError) as exc:  # ragged nested lists
            raise InvalidParameterError(f"X must be an array: {exc}") from None
    if isinstance(X, torch.Tensor | np.ndarray) and X.ndim == 2:
        t = torch.as_tensor(X)
        if not (t.is_floating_point() or t.dtype == torch.uint8):
            t = t.to(torch.float32)
        if t.shape[0] == 0:
            raise InvalidParameterError(
                f"X is empty: it has 0 rows (shape {tuple(t.shape)})."
            )
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise InvalidParameterError("X contains NaN or infinity.")
        return t.detach().cpu()
    return _as_images(X)


def pretrained_features(module, x, layer=None, input_transform=None):
    """Features of a batch: GAP of ``layer``'s output or the flattened output."""
    x = to_float_tensor(x)
    if input_transform is not None:
        x = input_transform(x)
    if layer is None:
        out = _first(module(x))
        return out.reshape(out.shape[0], -1)
    with capture_layer(module, layer) as run:
        return run(x)


class PretrainedEmbedder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Embed images with a pretrained torch module, without training it.

    Use it to bring any backbone you load yourself (a BYOL, SimCLR or
    ImageNet checkpoint) into the scikit-learn world, e.g. for
    :func:`~skactive.representation.initial_selection`. :meth:`fit` only
    validates the module and records shapes; :meth:`transform` returns the
    global-average-pooled output of the named layer (captured by a forward
    hook; the forward pass stops right after it) or, with ``layer=None``, the
    module's output flattened.

    Parameters
    ----------
    module : torch.nn.Module
        The pretrained module (an instance with its weights loaded). It is
        copied in :meth:`fit` (moving the copy to ``device`` leaves yours
        alone).
    layer : str or None, default=None
        Dotted name of the submodule whose output is embedded: 4-D outputs
        ``(N, C, H, W)`` are averaged over space, 3-D token outputs
        ``(N, L, D)`` over tokens, 2-D ones are kept. ``None`` embeds the
        module's output (the first element if it returns a tuple), flattened.
    input_transform : callable or None, default=None
        Applied to every batch after the standard conversion
        (:func:`skactive.nets.to_float_tensor`: uint8 scaled to ``[0, 1]``,
        channels first), on the device: normalise with the statistics the
        module was trained with, resize, repeat grey channels, ...
    batch_size : int, default=256
        Inference batch size.
    device : str or torch.device, default="cpu"
        Where the module runs.

    Attributes
    ----------
    encoder_ : torch.nn.Module
        The copied module, in eval mode.
    loss_history_ : ndarray of shape (0,)
        Empty: nothing is trained.
    input_shape_ : tuple
        Shape of one input row seen in ``fit``.
    n_features_out_ : int
        Embedding size.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skactive.nets import SmallCNN
    >>> from skactive.representation import PretrainedEmbedder
    >>> backbone = SmallCNN(in_channels=1, n_classes=10)  # load your weights here
    >>> X = np.zeros((4, 8, 8), dtype=np.uint8)
    >>> PretrainedEmbedder(backbone, layer="conv.2").fit(X).transform(X).shape
    (4, 32)
    >>> PretrainedEmbedder(backbone, layer="fc").fit_transform(X).shape
    (4, 128)
    """

    _parameter_constraints = {
        "module": [nn.Module],  # an instance with its weights, not a class
        "layer": [str, None],
        "input_transform": [callable, None],
        "batch_size": POSITIVE_INT,
        "device": ["device"],
    }

    def __init__(
        self, module, layer=None, input_transform=None, *, batch_size=256, device="cpu"
    ):
        self.module = module
        self.layer = layer
        self.input_transform = input_transform
        self.batch_size = batch_size
        self.device = device

    def _check_params(self):
        validate_estimator_params(self)
        if self.layer is not None:
            get_layer(self.module, self.layer)
        return torch.device(self.device)

    def _features(self, x):
        return pretrained_features(self.encoder_, x, self.layer, self.input_transform)

    def fit(self, X, y=None):
        """Validate the module on ``X`` and record the shapes (no training).

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
            Images ``N x H x W``, ``N x H x W x C`` or ``N x C x H x W``
            (uint8 or float), or a 2-D feature matrix if the module takes one.
        y : None
            Ignored.

        Returns
        -------
        self : PretrainedEmbedder
        """
        device = self._check_params()
        X = _as_batch(X)
        encoder = copy.deepcopy(self.module).to(device).eval()
        try:
            with torch.no_grad():
                out = pretrained_features(
                    encoder, X[:2].to(device), self.layer, self.input_transform
                )
        except (RuntimeError, ValueError) as exc:
            raise InvalidParameterError(
                f"PretrainedEmbedder: module {type(self.module).__name__} cannot "
                f"process inputs of shape {tuple(X.shape[1:])}: {exc}"
            ) from exc
        self.encoder_ = encoder
        self.input_shape_ = tuple(int(s) for s in X.shape[1:])
        self.loss_history_ = np.zeros(0)
        self._n_features_out = int(out.shape[1])
        self.n_features_out_ = self._n_features_out
        return self

    def __sklearn_is_fitted__(self):
        return hasattr(self, "encoder_")

    def transform(self, X):
        """Embed ``X`` batch by batch.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
            Rows shaped like those seen in :meth:`fit`.

        Returns
        -------
        embedding : ndarray of shape (n_samples, ``n_features_out_``)
            The float32 embeddings.
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = _as_batch(X)
        if tuple(X.shape[1:]) != tuple(self.input_shape_):
            raise InvalidParameterError(
                f"X has rows of shape {tuple(X.shape[1:])}, but PretrainedEmbedder "
                f"was fitted on rows of shape {tuple(self.input_shape_)}."
            )
        validate_estimator_params(
            self, {"batch_size": self.batch_size, "device": self.device}
        )
        device = torch.device(self.device)
        self.encoder_.to(device).eval()
        bs = int(self.batch_size)
        out = []
        with torch.no_grad():
            for sl in _batches(X.shape[0], bs):
                out.append(self._features(X[sl].to(device)).float().cpu())
        return torch.cat(out).numpy()
