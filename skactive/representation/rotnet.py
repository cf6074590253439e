"""RotNet: self-supervision by predicting image rotations."""

from __future__ import annotations

from numbers import Integral

import torch
import torch.nn.functional as F

from .._validation import Interval, InvalidParameterError
from ..nets.modules import ResNet18, SmallCNN, WideResNet
from ._base import (
    BaseRepresentation,
    capture_layer,
    get_layer,
    head_logits,
    set_head,
)

__all__ = ["RotNet"]

_N_ROTATIONS = 4


def _rotations(x):
    """The 4 rotated copies of a batch, rotation-major: ``(4B, C, H, W)``."""
    return torch.cat([torch.rot90(x, k, dims=(2, 3)) for k in range(4)], dim=0)


def _rotation_labels(batch, device):
    return torch.arange(_N_ROTATIONS, device=device).repeat_interleave(batch)


def _default_layer(encoder):
    """The intermediate block whose pooled output is the embedding."""
    if isinstance(encoder, SmallCNN):
        convs = [
            i for i, m in enumerate(encoder.conv) if isinstance(m, torch.nn.Conv2d)
        ]
        # the block (conv, relu, pool) of the second convolution ends 2 later
        k = convs[min(1, len(convs) - 1)]
        return f"conv.{k + 2}"
    if isinstance(encoder, ResNet18):
        return "layer3"
    if isinstance(encoder, WideResNet):
        return "block2"
    return None


class RotNet(BaseRepresentation):
    """Rotation-prediction representation learner (Gidaris et al., 2018).

    Every training batch holds the four rotated copies (0, 90, 180 and 270
    degrees, :func:`torch.rot90`) of each of its images, and the backbone
    with a 4-way linear ``classifier`` learns to tell the rotation. The
    embedding is the global-average-pooled output of an intermediate block,
    whose features transfer best (Gidaris et al.; Buchert et al. 2023 use the
    second block of a NIN, ``192 x 8 x 8`` pooled to 192-d); ``pool_size``
    keeps a coarse spatial grid instead.

    Parameters
    ----------
    module : None, torch.nn.Module class or instance, default=None
        The backbone; its ``features(x)`` is the encoder. ``None`` uses
        :class:`~skactive.nets.SmallCNN` for images up to 32 x 32 pixels and
        :class:`~skactive.nets.ResNet18` otherwise. A class is built with
        ``in_channels``/``n_features``/``n_classes`` inferred from the data
        when it accepts them; an instance is copied, never changed. Its
        ``classifier`` is replaced by the 4-way rotation head.
    layer : "auto", str or None, default="auto"
        Dotted name of the submodule whose output, average-pooled over space
        (see ``pool_size``), is the embedding (captured by a forward hook).
        ``"auto"``: the second convolutional block of
        :class:`~skactive.nets.SmallCNN` (``"conv.5"`` for the default two
        blocks), ``"layer3"`` of ResNet18, ``"block2"`` of WideResNet, the
        backbone's ``features`` otherwise. ``None``: the backbone's
        ``features``.
    pool_size : int or None, default=1
        Side of the grid the layer's feature map is average-pooled to before
        flattening: 1 is global average pooling (Buchert et al.), larger
        sides keep the coarse spatial layout (Gidaris et al. fit their
        probes on the feature maps themselves, ``None``), which matters for
        tiny images such as 8 x 8 digits. Ignored for 2-D layer outputs.
    augmentation : None, str or callable, default=None
        Optional augmentation applied before rotating: a name of
        :func:`skactive.augment.make_augmentation` (``"standard"``) or a
        callable ``t(x, generator=g)``.
    module_kwargs : dict or None, default=None
        Extra arguments of the module class (``{"channels": (32, 64, 128)}``).
    max_epochs : int, default=20
        Passes over the data.
    batch_size : int, default=128
        Images per batch (each becomes 4 rotated copies); also the inference
        batch size of :meth:`transform`.
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=5e-4
        Adam weight decay.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout and augmentation; torch's
        global random state is restored afterwards. Pass an int for
        reproducible output across multiple function calls.
    device : str or torch.device, default="cpu"
        Where training and inference run.
    progress : bool, default=False
        Show a tqdm progress bar over the epochs.

    Attributes
    ----------
    encoder_ : torch.nn.Module
        The trained backbone (its ``classifier`` is the rotation head).
    layer_ : str or None
        The layer whose pooled output is the embedding.
    loss_history_ : ndarray of shape (max_epochs,)
        Mean training loss (cross-entropy) of every epoch.
    input_shape_ : tuple
        Shape of one input row seen in ``fit``.
    image_shape_ : tuple
        ``(C, H, W)`` of one image as the module sees it.
    n_features_out_ : int
        Embedding size.

    References
    ----------
    .. [1] S. Gidaris, P. Singh and N. Komodakis, "Unsupervised Representation
       Learning by Predicting Image Rotations", ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.representation import RotNet
    >>> X = (load_digits().images * 255 / 16).astype(np.uint8)  # 1797 x 8 x 8
    >>> rot = RotNet(max_epochs=2, random_state=0).fit(X[:300])
    >>> rot.transform(X[:5]).shape
    (5, 64)
    >>> rot.layer_
    'conv.5'
    >>> 0.25 < rot.rotation_accuracy(X[300:400]) <= 1.0
    True
    """

    _n_head_outputs = _N_ROTATIONS

    _parameter_constraints = {
        "layer": [str, None],  # "auto" or a submodule name, checked in fit
        "pool_size": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        module=None,
        *,
        layer="auto",
        pool_size=1,
        augmentation=None,
        module_kwargs=None,
        max_epochs=20,
        batch_size=128,
        lr=1e-3,
        weight_decay=5e-4,
        random_state=None,
        device="cpu",
        progress=False,
    ):
        self.module = module
        self.layer = layer
        self.pool_size = pool_size
        self.augmentation = augmentation
        self.module_kwargs = module_kwargs
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device
        self.progress = progress

    def _check_data(self, X, image_shape):
        _, h, w = image_shape
        if h != w:
            raise InvalidParameterError(
                f"RotNet: X must hold square images (rotating by 90 degrees must "
                f"keep the shape), got images of {h} x {w} pixels."
            )

    def _build(self, encoder, dim, image_shape):
        layer = _default_layer(encoder) if self.layer == "auto" else self.layer
        if layer is not None:
            get_layer(encoder, layer)  # clear error for a wrong name
        self._layer = layer
        set_head(encoder, _N_ROTATIONS, dim)
        return {}

    def _batch_loss(self, x, idx, ctx):
        x = self._augment(x, ctx)
        logits = head_logits(ctx["encoder"], _rotations(x))
        return F.cross_entropy(logits, _rotation_labels(x.shape[0], x.device))

    def _set_fitted(self, ctx):
        self.layer_ = self._layer

    def _embed_batch(self, x):
        if self.layer_ is None:
            return self.encoder_.features(x)
        with capture_layer(
            self.encoder_, self.layer_, self.encoder_.features, self.pool_size
        ) as run:
            return run(x)

    def rotation_accuracy(self, X):
        """Accuracy of the rotation head on the four rotations of ``X``.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
            Images shaped like those seen in :meth:`fit` (held-out images
            measure how well the pretext task generalises; chance is 0.25).

        Returns
        -------
        accuracy : float
        """
        X = self._check_transform_input(X)
        bs = self._validate_transform_params()
        self.encoder_.eval()
        correct = 0
        with torch.no_grad():
            for start in range(0, X.shape[0], bs):
                x = self._to_device(X[start : start + bs])
                pred = head_logits(self.encoder_, _rotations(x)).argmax(dim=1)
                correct += int((pred == _rotation_labels(x.shape[0], x.device)).sum())
        return correct / (_N_ROTATIONS * X.shape[0])
