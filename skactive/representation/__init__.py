"""Self-supervised representations for the cold start of active learning.

Before the first label, an active learner can only look at how the pool is
spread out. This package learns that picture without labels and uses it:

* **Representation learners**, scikit-learn transformers (``fit(X)`` ignores
  labels, ``transform(X)`` returns float32 embeddings), each training a
  backbone of :mod:`skactive.nets.modules` whose ``features`` is the encoder:
  :class:`RotNet` (rotation prediction), :class:`BarlowTwins` (redundancy
  reduction), :class:`SimCLR` (contrastive, NT-Xent) and :class:`DeepCluster`
  (k-means pseudo-labels). :class:`PretrainedEmbedder` wraps a module you
  trained or downloaded elsewhere, without training it.
* **Initial selection**: :func:`initial_selection` and the query strategy
  :class:`InitialSelection` pick the first batch by temperature-controlled
  diversity sampling in the embedding (Buchert et al. 2023);
  :func:`evaluate_initial_set` reports its class-distribution distance and
  diversity.
* **Pre-training hand-off**: :func:`classifier_from_embedder` copies a
  learner's ``encoder_`` and gives it a fresh classification head; the result
  is a module instance :class:`~skactive.nets.DeepClassifier` takes as it is
  (``DeepClassifier(module=classifier_from_embedder(embedder, n_classes))``),
  so the classifier starts from the self-supervised weights. skorch uses a
  module instance without re-creating it, so no change to ``DeepClassifier``
  is needed. Passing ``embedder.encoder_`` itself would also work but would
  keep the pretext head (4 rotation outputs for RotNet, ``n_clusters`` for
  DeepCluster) and fine-tune the embedder's own encoder in place; the helper
  copies it and fits the head to ``n_classes``.

Examples
--------
The whole cold-start workflow on scikit-learn's digits:

>>> import numpy as np
>>> from sklearn.datasets import load_digits
>>> from skactive.nets import DeepClassifier
>>> from skactive.representation import (
...     RotNet, classifier_from_embedder, evaluate_initial_set, initial_selection)
>>> digits = load_digits()
>>> X, y = (digits.images[:300] * 255 / 16).astype(np.uint8), digits.target[:300]
>>> rot = RotNet(max_epochs=1, random_state=0)  # self-supervised, on the pool
>>> first = initial_selection(X, 30, embedder=rot, temperature=0.5, random_state=0)
>>> sorted(evaluate_initial_set(first, y, rot.transform(X)))
['class_distribution_distance', 'diversity', 'n_classes_selected']
>>> module = classifier_from_embedder(rot, n_classes=10, random_state=0)
>>> net = DeepClassifier(module, max_epochs=2, random_state=0)
>>> net.fit(X[first], y[first]).predict(X[:2]).shape
(2,)
"""

from ._handoff import classifier_from_embedder
from .contrastive import BarlowTwins, SimCLR
from .deepcluster import DeepCluster
from .initial import InitialSelection, evaluate_initial_set, initial_selection
from .pretrained import PretrainedEmbedder
from .rotnet import RotNet

__all__ = [
    "RotNet",
    "BarlowTwins",
    "SimCLR",
    "DeepCluster",
    "PretrainedEmbedder",
    "initial_selection",
    "InitialSelection",
    "evaluate_initial_set",
    "classifier_from_embedder",
]
