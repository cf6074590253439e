"""Start a classifier from a representation learner's encoder weights."""

from __future__ import annotations

import copy

import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._random import forked_torch_rng, seed_from_random_state
from .._validation import POSITIVE_INT, HasMethods, validate_params
from ..nets.modules import MLP, ResNet18, SmallCNN, WideResNet
from ._base import _embedding_dim, set_head
from .pretrained import PretrainedEmbedder, pretrained_features

__all__ = ["classifier_from_embedder"]

_SKACTIVE_MODULES = (MLP, SmallCNN, ResNet18, WideResNet)


class _EncoderClassifier(nn.Module):
    """A backbone without the skactive module contract, given one.

    ``features(x)`` is the backbone's ``features`` if it has one, else the
    global-average-pooled output of ``layer`` (or the flattened output) of a
    pretrained module; ``forward`` is ``classifier(dropout(features(x)))``.
    """

    def __init__(
        self,
        backbone,
        n_classes,
        embedding_dim,
        *,
        layer=None,
        input_transform=None,
        pretrained=False,
        dropout=0.0,
    ):
        super().__init__()
        self.backbone = backbone
        self.layer = layer
        self.input_transform = input_transform
        self.pretrained = pretrained
        self._embedding_dim = int(embedding_dim)
        self.n_classes = int(n_classes)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self._embedding_dim, self.n_classes)

    @property
    def embedding_dim(self):
        """int: Width of the embedding fed to ``classifier``."""
        return self._embedding_dim

    def features(self, x):
        """Penultimate features of a batch."""
        if self.pretrained:
            return pretrained_features(
                self.backbone, x, self.layer, self.input_transform
            )
        return self.backbone.features(x).reshape(x.shape[0], -1)

    def forward(self, x):
        """Logits of shape ``(N, n_classes)``."""
        return self.classifier(self.dropout(self.features(x)))


@validate_params(
    {
        "embedder": [HasMethods(["fit", "transform"])],
        "n_classes": POSITIVE_INT,
        "random_state": ["random_state"],
    }
)
def classifier_from_embedder(embedder, n_classes, *, random_state=None):
    """A classification module that starts from an embedder's encoder weights.

    The pre-training hand-off of the cold-start workflow: train a
    representation learner on the unlabeled pool, pick the first labels with
    :func:`~skactive.representation.initial_selection`, then fine-tune a
    classifier that starts from the learner's ``encoder_``. The returned
    module is a copy of the encoder with a new, randomly initialised
    ``Linear(embedding_dim, n_classes)`` head as its ``classifier``; it
    follows the module contract of :mod:`skactive.nets.modules` (``forward``
    returns logits, ``features(x)``, ``embedding_dim``, ``dropout``,
    ``classifier``), so :class:`~skactive.nets.DeepClassifier` accepts it as
    its ``module``, embeds with it and runs MC-dropout on it. No change to
    ``DeepClassifier`` is needed: skorch uses a module *instance* as it is.

    * A skactive backbone (:class:`~skactive.nets.SmallCNN`, ``MLP``,
      ``ResNet18``, ``WideResNet``) keeps its class; only ``classifier`` (and
      ``n_classes``) change, and the head sees the backbone's full
      ``features`` (for :class:`~skactive.representation.RotNet` that is the
      whole network, not the intermediate layer it embeds with).
    * Other backbones, and the module of a
      :class:`~skactive.representation.PretrainedEmbedder` (whose features
      are its ``layer``'s pooled output and which applies its
      ``input_transform``), are wrapped in a small module with that contract.

    Parameters
    ----------
    embedder : fitted representation learner
        Any fitted transformer of :mod:`skactive.representation` (anything
        with an ``encoder_`` module).
    n_classes : int
        Number of outputs of the new head; use the number of classes the
        classifier will see (``len(classes)``).
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation of the new head. Pass an int for
        reproducible output across multiple function calls.

    Returns
    -------
    module : torch.nn.Module
        A new module (the embedder is not changed), on the encoder's device.

    Notes
    -----
    skorch reuses a module instance on every ``fit``: a refit continues from
    the weights of the previous fit instead of the pretrained ones. To start
    every active-learning round from the pretrained weights, give the net a
    fresh copy first, ``net.set_params(module=classifier_from_embedder(...))``.
    DeepClassifier's default ``input_transform="auto"``
    (:func:`~skactive.nets.to_float_tensor`) is the conversion the learners
    of this package train with.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import DeepClassifier
    >>> from skactive.representation import RotNet, classifier_from_embedder
    >>> digits = load_digits()
    >>> X, y = (digits.images[:300] * 255 / 16).astype(np.uint8), digits.target[:300]
    >>> rot = RotNet(max_epochs=1, random_state=0).fit(X)
    >>> module = classifier_from_embedder(rot, n_classes=10, random_state=0)
    >>> net = DeepClassifier(module, max_epochs=2, random_state=0)
    >>> net.fit(X[:100], y[:100]).predict_proba(X[100:103]).shape
    (3, 10)
    """
    check_is_fitted(embedder, "encoder_")
    encoder = copy.deepcopy(embedder.encoder_)
    try:
        device = next(encoder.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    seed = seed_from_random_state(random_state)
    with forked_torch_rng(device, seed):
        if isinstance(embedder, PretrainedEmbedder):
            module = _EncoderClassifier(
                encoder,
                n_classes,
                embedder.n_features_out_,
                layer=embedder.layer,
                input_transform=embedder.input_transform,
                pretrained=True,
            )
        elif isinstance(encoder, _SKACTIVE_MODULES):
            set_head(encoder, int(n_classes), encoder.embedding_dim)
            module = encoder
        else:
            x = torch.zeros((2, *embedder.image_shape_), device=device)
            encoder.eval()
            module = _EncoderClassifier(encoder, n_classes, _embedding_dim(encoder, x))
    return module.to(device)
