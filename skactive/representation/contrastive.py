"""Two-view self-supervised learners: Barlow Twins and SimCLR."""

from __future__ import annotations

import math
from numbers import Real

import torch

from .._validation import Interval
from ..losses import BarlowTwinsLoss, NTXentLoss
from ..nets.barlow_twins import make_projector
from ._base import AUGMENTATION, DIMS, BaseRepresentation, _as_dims

__all__ = ["BarlowTwins", "SimCLR"]


class _TwoViews(BaseRepresentation):
    """Encoder + projector trained on two augmented views of every image."""

    _drop_last = True

    _parameter_constraints = {
        # two views of every image need an augmentation: None is refused
        "augmentation": AUGMENTATION,
        "projector_dims": DIMS,
    }

    def _check_params(self):
        self._projector_dims = _as_dims(self.projector_dims)
        self._criterion = self._make_criterion()

    def _build(self, encoder, dim, image_shape):
        return {"projector": make_projector(dim, self._projector_dims)}

    def _batch_loss(self, x, idx, ctx):
        encoder, projector = ctx["encoder"], ctx["model"]["projector"]
        v1 = self._augment(x, ctx)
        v2 = self._augment(x, ctx)
        z = projector(encoder.features(torch.cat([v1, v2], dim=0)))
        z1, z2 = z[: x.shape[0]], z[x.shape[0] :]
        return self._criterion(z1, z2)

    def _set_fitted(self, ctx):
        projector = ctx["model"]["projector"]
        projector.eval()
        self.projector_ = projector


class BarlowTwins(_TwoViews):
    """Barlow Twins representation learner (Zbontar et al., 2021).

    Two views of every image (the ``"ssl"`` augmentation of
    :mod:`skactive.augment`, drawn per sample) go through the encoder (the
    backbone's ``features``) and a projector MLP; the loss
    (:class:`~skactive.losses.BarlowTwinsLoss`) pushes the cross-correlation
    matrix of the two projections towards the identity. There is no
    classifier head. The embedding is the encoder output (before the
    projector).

    Parameters
    ----------
    module : None, torch.nn.Module class or instance, default=None
        The backbone; its ``features(x)`` is the encoder. ``None`` uses
        :class:`~skactive.nets.SmallCNN` for images up to 32 x 32 pixels and
        :class:`~skactive.nets.ResNet18` otherwise. An instance is copied.
    projector_dims : sequence of int, default=(512, 512)
        Output sizes of the projector layers (``Linear -> BatchNorm -> ReLU``
        for the hidden ones, then ``Linear``); the last is the size of the
        cross-correlation matrix.
    lambda_offdiag : float, default=5e-3
        Weight of the redundancy-reduction term.
    augmentation : str or callable, default="ssl"
        View augmentation: a name of
        :func:`skactive.augment.make_augmentation` or a callable
        ``t(x, generator=g)`` drawing its randomness per sample.
    module_kwargs : dict or None, default=None
        Extra arguments of the module class.
    max_epochs : int, default=20
        Passes over the data.
    batch_size : int, default=128
        Images per batch (the last incomplete batch of an epoch is dropped);
        also the inference batch size.
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=1e-5
        Adam weight decay.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and the augmentations. Pass an int for
        reproducible output across multiple function calls.
    device : str or torch.device, default="cpu"
        Where training and inference run.
    progress : bool, default=False
        Show a tqdm progress bar over the epochs.

    Attributes
    ----------
    encoder_ : torch.nn.Module
        The trained backbone (its ``classifier`` is untrained).
    projector_ : torch.nn.Module
        The trained projector.
    loss_history_ : ndarray of shape (max_epochs,)
        Mean training loss of every epoch.
    input_shape_ : tuple
        Shape of one input row seen in ``fit``.
    image_shape_ : tuple
        ``(C, H, W)`` of one image as the module sees it.
    n_features_out_ : int
        Embedding size.

    References
    ----------
    .. [1] J. Zbontar, L. Jing, I. Misra, Y. LeCun and S. Deny, "Barlow
       Twins: Self-Supervised Learning via Redundancy Reduction", ICML 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.representation import BarlowTwins
    >>> X = (load_digits().images * 255 / 16).astype(np.uint8)
    >>> bt = BarlowTwins(max_epochs=2, projector_dims=(64, 64), random_state=0)
    >>> bt.fit(X[:256]).transform(X[:5]).shape
    (5, 128)
    """

    _parameter_constraints = {
        "lambda_offdiag": [Interval(Real, 0, math.inf, closed="left")],
    }

    def __init__(
        self,
        module=None,
        *,
        projector_dims=(512, 512),
        lambda_offdiag=5e-3,
        augmentation="ssl",
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
        self.projector_dims = projector_dims
        self.lambda_offdiag = lambda_offdiag
        self.augmentation = augmentation
        self.module_kwargs = module_kwargs
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device
        self.progress = progress

    def _make_criterion(self):
        return BarlowTwinsLoss(lambda_offdiag=float(self.lambda_offdiag))


class SimCLR(_TwoViews):
    """SimCLR contrastive representation learner (Chen et al., 2020).

    Two views of every image (the ``"ssl"`` augmentation of
    :mod:`skactive.augment`, drawn per sample) go through the encoder (the
    backbone's ``features``) and a projector MLP; the NT-Xent loss
    (:class:`~skactive.losses.NTXentLoss`) pulls the two projections of an
    image together and pushes those of the other ``2B - 2`` views of the
    batch away. The embedding is the encoder output (before the projector).

    Parameters
    ----------
    module : None, torch.nn.Module class or instance, default=None
        The backbone; its ``features(x)`` is the encoder. ``None`` uses
        :class:`~skactive.nets.SmallCNN` for images up to 32 x 32 pixels and
        :class:`~skactive.nets.ResNet18` otherwise. An instance is copied.
    projector_dims : sequence of int, default=(512, 128)
        Output sizes of the projector layers (``Linear -> BatchNorm -> ReLU``
        for the hidden ones, then ``Linear``).
    temperature : float, default=0.5
        NT-Xent temperature.
    augmentation : str or callable, default="ssl"
        View augmentation: a name of
        :func:`skactive.augment.make_augmentation` or a callable
        ``t(x, generator=g)`` drawing its randomness per sample.
    module_kwargs : dict or None, default=None
        Extra arguments of the module class.
    max_epochs : int, default=20
        Passes over the data.
    batch_size : int, default=128
        Images per batch (the last incomplete batch of an epoch is dropped);
        also the inference batch size.
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=1e-5
        Adam weight decay.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and the augmentations. Pass an int for
        reproducible output across multiple function calls.
    device : str or torch.device, default="cpu"
        Where training and inference run.
    progress : bool, default=False
        Show a tqdm progress bar over the epochs.

    Attributes
    ----------
    encoder_ : torch.nn.Module
        The trained backbone (its ``classifier`` is untrained).
    projector_ : torch.nn.Module
        The trained projector.
    loss_history_ : ndarray of shape (max_epochs,)
        Mean training loss of every epoch.
    input_shape_ : tuple
        Shape of one input row seen in ``fit``.
    image_shape_ : tuple
        ``(C, H, W)`` of one image as the module sees it.
    n_features_out_ : int
        Embedding size.

    References
    ----------
    .. [1] T. Chen, S. Kornblith, M. Norouzi and G. Hinton, "A Simple
       Framework for Contrastive Learning of Visual Representations",
       ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.representation import SimCLR
    >>> X = (load_digits().images * 255 / 16).astype(np.uint8)
    >>> simclr = SimCLR(max_epochs=2, random_state=0).fit(X[:256])
    >>> simclr.transform(X[:5]).shape
    (5, 128)
    >>> len(simclr.loss_history_)
    2
    """

    _parameter_constraints = {
        "temperature": [Interval(Real, 0, math.inf, closed="neither")],
    }

    def __init__(
        self,
        module=None,
        *,
        projector_dims=(512, 128),
        temperature=0.5,
        augmentation="ssl",
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
        self.projector_dims = projector_dims
        self.temperature = temperature
        self.augmentation = augmentation
        self.module_kwargs = module_kwargs
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device
        self.progress = progress

    def _make_criterion(self):
        return NTXentLoss(temperature=float(self.temperature))
