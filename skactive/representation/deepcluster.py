"""DeepCluster: alternate k-means pseudo-labelling and classification."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from torch import nn

from .._validation import Interval, InvalidParameterError, StrOptions
from ._base import BaseRepresentation, _batches, set_head

__all__ = ["DeepCluster"]

#: Optimizer steps per clustering that ``reassign_every="auto"`` aims at.
_AUTO_STEPS = 100


class DeepCluster(BaseRepresentation):
    """DeepCluster representation learner (Caron et al., 2018).

    Every ``reassign_every`` epochs (every epoch in the paper) the current
    encoder features of all images are clustered: they are PCA-reduced to
    ``pca_dim`` dimensions (whitened by default, as in the paper),
    L2-normalised and grouped by k-means (:class:`sklearn.cluster.KMeans`,
    seeded). The cluster indices are the pseudo-labels; the linear
    ``classifier`` head is re-initialised (with a fresh optimizer), since
    cluster indices have no meaning from one clustering to the next, and the
    whole network is trained with cross-entropy on the pseudo-labels. The
    head sees the features standardised by a batch norm without affine
    parameters (the features of a freshly initialised backbone differ little
    from image to image). Images are drawn uniformly over the clusters (the
    paper's guard against a few huge clusters). Siméoni et al. (2020) use it
    to pretrain active-learning classifiers.

    Parameters
    ----------
    module : None, torch.nn.Module class or instance, default=None
        The backbone; its ``features(x)`` is the encoder. ``None`` uses
        :class:`~skactive.nets.SmallCNN` for images up to 32 x 32 pixels and
        :class:`~skactive.nets.ResNet18` otherwise. An instance is copied.
        Its ``classifier`` is replaced by the ``n_clusters``-way head.
    n_clusters : int, default=100
        Number of k-means clusters ``k`` (the paper uses about ten times the
        number of classes); at most the number of images.
    pca_dim : int or None, default=32
        Dimension of the PCA before clustering (capped by the feature size
        and the number of images); ``None`` skips the PCA. It should be well
        below the feature size: whitening all directions gives the noisy
        low-variance ones as much weight as the rest (the paper reduces
        4096-d AlexNet features to 256; 32 suits the 128-d SmallCNN and the
        512-d ResNet18 features).
    whiten : bool, default=True
        Whiten the PCA components (the paper does).
    reassign_every : int or "auto", default="auto"
        Epochs between two clusterings. The paper re-clusters every epoch,
        but an epoch of ImageNet is thousands of steps; on a small pool a
        fresh head needs several epochs to fit the pseudo-labels. ``"auto"``
        re-clusters after the first epoch that brings the count of optimizer
        steps since the last clustering to at least 100 (every epoch for
        pools of ``100 * batch_size`` images or more).
    augmentation : None, str or callable, default=None
        Augmentation of the training images (not of the clustered ones): a
        name of :func:`skactive.augment.make_augmentation` (the paper uses
        random crops and flips, ``"standard"``) or a callable
        ``t(x, generator=g)``.
    module_kwargs : dict or None, default=None
        Extra arguments of the module class.
    max_epochs : int, default=20
        Number of (cluster, train) rounds.
    batch_size : int, default=128
        Images per batch; also the batch size of feature extraction.
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=1e-5
        Adam weight decay.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, sampling, dropout, augmentation, the PCA and
        k-means. Pass an int for reproducible output across multiple function
        calls.
    device : str or torch.device, default="cpu"
        Where training and inference run.
    progress : bool, default=False
        Show a tqdm progress bar over the epochs.

    Attributes
    ----------
    encoder_ : torch.nn.Module
        The trained backbone (its ``classifier`` is the cluster head of the
        last clustering, trained on batch-normalised features).
    labels_ : ndarray of shape (n_samples,)
        Pseudo-labels of the last clustering.
    reassign_every_ : int
        Epochs between two clusterings (``reassign_every`` resolved).
    loss_history_ : ndarray of shape (max_epochs,)
        Mean training loss (cross-entropy on the pseudo-labels) of every
        epoch.
    input_shape_ : tuple
        Shape of one input row seen in ``fit``.
    image_shape_ : tuple
        ``(C, H, W)`` of one image as the module sees it.
    n_features_out_ : int
        Embedding size.

    References
    ----------
    .. [1] M. Caron, P. Bojanowski, A. Joulin and M. Douze, "Deep Clustering
       for Unsupervised Learning of Visual Features", ECCV 2018.
    .. [2] O. Siméoni, M. Budnik, Y. Avrithis and G. Gravier, "Rethinking
       deep active learning: Using unlabeled data at model training",
       ICPR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.representation import DeepCluster
    >>> X = (load_digits().images * 255 / 16).astype(np.uint8)
    >>> dc = DeepCluster(n_clusters=20, max_epochs=2, random_state=0).fit(X[:300])
    >>> dc.transform(X[:5]).shape
    (5, 128)
    >>> dc.labels_.shape
    (300,)
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 2, None, closed="left")],
        "pca_dim": [Interval(Integral, 1, None, closed="left"), None],
        "whiten": ["boolean"],
        "reassign_every": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
    }

    def __init__(
        self,
        module=None,
        *,
        n_clusters=100,
        pca_dim=32,
        whiten=True,
        reassign_every="auto",
        augmentation=None,
        module_kwargs=None,
        max_epochs=20,
        batch_size=128,
        lr=1e-3,
        weight_decay=1e-5,
        random_state=None,
        device="cpu",
        progress=False,
    ):
        self.module = module
        self.n_clusters = n_clusters
        self.pca_dim = pca_dim
        self.whiten = whiten
        self.reassign_every = reassign_every
        self.augmentation = augmentation
        self.module_kwargs = module_kwargs
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device
        self.progress = progress

    @property
    def _n_head_outputs(self):
        return self.n_clusters

    def _check_params(self):
        self._n_clusters = int(self.n_clusters)

    def _resolve_reassign_every(self, n):
        if self.reassign_every != "auto":
            return int(self.reassign_every)
        steps_per_epoch = max(1, -(-n // self._batch_size))
        return max(1, -(-_AUTO_STEPS // steps_per_epoch))

    def _check_data(self, X, image_shape):
        if self._n_clusters > X.shape[0]:
            raise InvalidParameterError(
                f"DeepCluster: n_clusters={self._n_clusters} is larger than the "
                f"number of images ({X.shape[0]})."
            )

    def _new_head(self, encoder, dim):
        # Features of a freshly initialised backbone differ little from image
        # to image; standardising them (batch norm without affine part) lets
        # the re-initialised linear head fit the pseudo-labels in one epoch.
        set_head(encoder, self._n_clusters, dim).to(self._device)
        return nn.BatchNorm1d(dim, affine=False).to(self._device)

    def _build(self, encoder, dim, image_shape):
        return {"head_norm": self._new_head(encoder, dim)}

    def _make_optimizers(self, model, ctx):
        head = set(map(id, ctx["encoder"].classifier.parameters()))
        body = [p for p in model.parameters() if id(p) not in head]
        # the head's optimizer is made afresh every epoch (_on_epoch_begin)
        return [self._make_optimizer(body), None]

    def _features(self, X, encoder):
        encoder.eval()
        out = []
        with torch.no_grad():
            for sl in _batches(X.shape[0], self._batch_size):
                out.append(encoder.features(self._to_device(X[sl])).float().cpu())
        return torch.cat(out).numpy().astype(np.float64)

    def _cluster(self, feats, rng):
        n, d = feats.shape
        if self.pca_dim is not None:
            k = min(int(self.pca_dim), d, n)
            feats = PCA(
                n_components=k, whiten=bool(self.whiten), random_state=rng
            ).fit_transform(feats)
        norms = np.linalg.norm(feats, axis=1, keepdims=True)
        feats = feats / np.maximum(norms, 1e-12)
        km = KMeans(n_clusters=self._n_clusters, n_init=1, random_state=rng)
        return km.fit_predict(feats)

    def _on_epoch_begin(self, epoch, X, ctx):
        if epoch % self._resolve_reassign_every(X.shape[0]):
            return
        if "rng" not in ctx:
            ctx["rng"] = np.random.RandomState(ctx["seed"] % (2**32))
        encoder = ctx["encoder"]
        labels = self._cluster(self._features(X, encoder), ctx["rng"])
        counts = np.bincount(labels, minlength=self._n_clusters)
        ctx["labels_np"] = labels
        ctx["labels"] = torch.as_tensor(labels, dtype=torch.long)
        ctx["weights"] = torch.as_tensor(1.0 / counts[labels], dtype=torch.float64)
        ctx["model"]["head_norm"] = self._new_head(encoder, ctx["dim"])
        ctx["optimizers"][1] = self._make_optimizer(encoder.classifier.parameters())

    def _epoch_indices(self, n, ctx):
        return torch.multinomial(
            ctx["weights"], n, replacement=True, generator=ctx["generator"]
        )

    def _batch_loss(self, x, idx, ctx):
        encoder = ctx["encoder"]
        h = encoder.features(self._augment(x, ctx))
        dropout = getattr(encoder, "dropout", None)
        if isinstance(dropout, nn.Module):
            h = dropout(h)
        logits = encoder.classifier(ctx["model"]["head_norm"](h))
        target = ctx["labels"][idx].to(x.device)
        return F.cross_entropy(logits, target)

    def _set_fitted(self, ctx):
        self.labels_ = ctx["labels_np"]
        self.reassign_every_ = self._resolve_reassign_every(self.labels_.shape[0])
