"""Joint supervised + Barlow Twins training: DALBT's classifier."""

from __future__ import annotations

import numbers

import torch
from torch import nn

from .._validation import Interval, validate_estimator_params
from ..callbacks import DivergenceGuard
from ..losses.barlow_twins import BarlowTwinsLoss
from ._semi import AUGMENTATION, SemiSupervisedClassifier
from .modules import _check_projector_dims, make_projector

__all__ = ["BarlowTwinsClassifier", "make_projector"]


class _BarlowModule(nn.Module):
    """A classification backbone and a Barlow Twins projector in one module.

    ``forward`` returns the backbone's logits; ``features``, ``dropout``,
    ``classifier`` and ``embedding_dim`` are the backbone's (the latter three
    as properties, so ``classifier`` is registered once, under ``backbone``,
    and a hook on it sees the encoder output); :meth:`project` is
    ``projector(features(x))``.
    """

    def __init__(self, backbone, projector):
        super().__init__()
        self.backbone = backbone
        self.projector = projector

    @property
    def classifier(self):
        return self.backbone.classifier

    @property
    def dropout(self):
        return self.backbone.dropout

    @property
    def embedding_dim(self):
        return _encoder_dim(self.backbone)

    def features(self, x):
        return self.backbone.features(x).flatten(1)

    def project(self, x):
        return self.projector(self.features(x))

    def forward(self, x):
        return self.backbone(x)


def _encoder_dim(backbone):
    dim = getattr(backbone, "embedding_dim", None)
    if isinstance(dim, numbers.Integral):
        return int(dim)
    head = getattr(backbone, "classifier", None)
    if isinstance(head, nn.Linear):
        return head.in_features
    raise TypeError(
        f"Cannot tell the encoder output size of {type(backbone).__name__}: it has "
        "no integer embedding_dim and no torch.nn.Linear 'classifier'."
    )


class BarlowTwinsClassifier(SemiSupervisedClassifier):
    r"""Joint supervised and Barlow Twins training (DALBT's classifier).

    The module is split as in DALBT (Mandivarapu et al.): the encoder ``E``
    is the module's ``features``, a linear classifier (the module's
    ``dropout`` and ``classifier``) reads ``E(x)``, and a projector ``P``
    (an MLP, :func:`make_projector`) maps ``E(x)`` to the Barlow Twins
    embedding. Every training step takes a labeled batch ``(x_l, y_l)`` and
    an unlabeled batch ``x_u`` (rows with ``y == -1``, see
    :class:`~skactive.nets._semi.SemiSupervisedClassifier`) and minimises

    .. math::

        L = \mathrm{CE}(\mathrm{classifier}(E(x_l)), y_l)
            + \gamma \, L_{BT}(P(E(v_1)), P(E(v_2))),

    where the cross-entropy uses the **un-distorted** labeled rows and
    ``v_1 = a(x)``, ``v_2 = a(x)`` are two independently augmented views of
    every row of the step, labeled and unlabeled (``x = [x_l; x_u]``), drawn
    per sample from a generator seeded by ``random_state`` (first ``v_1``,
    then ``v_2``). ``L_BT`` is :class:`~skactive.losses.BarlowTwinsLoss`
    with ``lambda_offdiag``. The labels of unlabeled rows are never read;
    they only enter the Barlow Twins term.

    :meth:`embed` returns the encoder output ``E(x)`` (the penultimate
    features, input of the classifier); ``predict_proba`` is the softmax of
    the classifier's logits. The projector is part of ``module_`` (so it is
    saved, moved to the device and optimised with the rest), but is not
    used for prediction.

    A :class:`~skactive.callbacks.DivergenceGuard` (callback
    ``"divergence_guard"``) watches the cross-entropy of the labeled rows:
    when it keeps rising, the guard halves the weight of the Barlow Twins
    term (``gamma`` times ``unlabeled_scale_``), with a
    :class:`~skactive.callbacks.DivergenceWarning`, and restores it after
    ``recovery`` healthy steps, as in the other semi-supervised nets (the
    guard's class-share signal does not apply: this net makes no
    pseudo-labels). Disable it with ``callbacks__divergence_guard=None``.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        A classification network with ``features(x)`` (the encoder),
        ``dropout`` and a linear ``classifier``, such as the modules in
        :mod:`skactive.nets` (:class:`~skactive.nets.SmallCNN`,
        :class:`~skactive.nets.ResNet18` ...).
    *args
        Passed on to :class:`~skactive.nets.DeepClassifier` after ``module``;
        as there, a positional argument raises a ``TypeError``: give every
        argument other than ``module`` by keyword.
    gamma : float, default=0.001
        Weight ``gamma`` of the Barlow Twins term (DALBT's value); 0 trains
        with the cross-entropy only (the views are then not computed).
    lambda_offdiag : float, default=5e-3
        Off-diagonal weight of :class:`~skactive.losses.BarlowTwinsLoss`.
    projector_dims : sequence of int, default=(512, 512)
        Output sizes of the projector layers (``Linear-BN-ReLU`` between
        them, a plain ``Linear`` last, as in Zbontar et al.). Zbontar et al.
        use ``(8192, 8192, 8192)`` on ImageNet; ``(512, 512)`` suits the
        small CIFAR / MNIST-size encoders here, and a smaller last layer
        (e.g. ``(256, 128)``) is enough for tiny data sets such as
        ``load_digits``. The ``L_BT`` scale grows with the last size.
    augmentation : str, callable or None, default="ssl"
        The view augmentation: a name for
        :func:`skactive.augment.make_augmentation` (``"ssl"`` -- DALBT's
        BYOL-style views --, ``"standard"``, ``"none"``), built for the
        image shape after ``input_transform``; or a callable applied to a
        float batch tensor on the device, called as ``aug(x, generator=g)``
        when it takes a ``generator``, which must draw its randomness per
        sample. Named augmentations need image inputs; for feature vectors
        pass a callable (e.g. Gaussian noise). ``None`` is the identity
        (both views equal: only the redundancy term then acts).
    **kwargs
        Any :class:`~skactive.nets._semi.SemiSupervisedClassifier` or
        :class:`~skactive.nets.DeepClassifier` parameter (``mu``,
        ``unlabeled_batch_size``, ``steps_per_epoch``, ``max_epochs``,
        ``batch_size``, ``lr``, ``random_state``, ``module__...`` ...).

    Attributes
    ----------
    augmentation_ : callable
        The augmentation used.
    unlabeled_scale_ : float
        The divergence guard's factor on ``gamma`` at the end of the fit (1
        unless it backed off).
    module_ : torch.nn.Module
        The backbone (``module_.backbone``) and the projector
        (``module_.projector``).
    classes_, n_labeled_, n_unlabeled_, train_generator_
        See :class:`~skactive.nets._semi.SemiSupervisedClassifier`.

    Notes
    -----
    The history records the two terms of every training step as
    ``"ce_loss"`` and ``"barlow_loss"`` (the latter unweighted) next to
    ``"train_loss"``. Steps with fewer than two rows skip the Barlow Twins
    term (its batch standardisation needs two).

    References
    ----------
    J. K. Mandivarapu, B. Camp and R. Estrada, "Deep Active Learning Using
    Barlow Twins", arXiv preprint, 2022.

    J. Zbontar, L. Jing, I. Misra, Y. LeCun and S. Deny, "Barlow Twins:
    Self-Supervised Learning via Redundancy Reduction", ICML 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import SmallCNN
    >>> from skactive.nets.barlow_twins import BarlowTwinsClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = np.round(X.reshape(-1, 8, 8) * 255 / 16).astype(np.uint8)
    >>> y_semi = np.where(np.arange(len(y)) < 50, y, -1)  # 50 labels
    >>> net = BarlowTwinsClassifier(SmallCNN, max_epochs=1, steps_per_epoch=4,
    ...                             projector_dims=(64, 32), random_state=0)
    >>> net.fit(X[:400], y_semi[:400]).predict_proba(X[:2]).shape
    (2, 10)
    >>> net.embed(X[:2]).shape  # the encoder output
    (2, 128)
    >>> sorted(net.history[-1, "batches", 0])
    ['barlow_loss', 'ce_loss', 'train_batch_size', 'train_loss']
    """

    _parameter_constraints = {
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "lambda_offdiag": [Interval(numbers.Real, 0, None, closed="left")],
        "projector_dims": [
            Interval(numbers.Integral, 1, None, closed="left"),
            tuple,
            list,
        ],
        "augmentation": AUGMENTATION,
    }

    def __init__(
        self,
        module,
        *args,
        gamma=0.001,
        lambda_offdiag=5e-3,
        projector_dims=(512, 512),
        augmentation="ssl",
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.gamma = gamma
        self.lambda_offdiag = lambda_offdiag
        self.projector_dims = projector_dims
        self.augmentation = augmentation

    # ------------------------------------------------------------ validation
    def fit(self, X, y, **fit_params):
        """Train jointly on the labeled (``y != -1``) and unlabeled rows.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
            Images (``N x H x W``, ``N x H x W x C`` or ``N x C x H x W``).
        y : array-like of shape (n_samples,)
            Class labels, ``-1`` for unlabeled rows.
        **fit_params : dict
            Passed to skorch's ``fit``.

        Returns
        -------
        self : BarlowTwinsClassifier
        """
        # validated before skorch initialises the module and its projector
        validate_estimator_params(self)
        _check_projector_dims(
            self.projector_dims, type(self).__name__, "projector_dims"
        )
        return super().fit(X, y, **fit_params)

    # --------------------------------------------------------------- module
    def initialize_module(self):
        """Build the backbone (see :class:`DeepClassifier`) and its projector."""
        super().initialize_module()
        backbone = self.module_
        if isinstance(backbone, _BarlowModule):  # a wrapped instance was passed
            backbone = backbone.backbone
        if not callable(getattr(backbone, "features", None)) or not isinstance(
            getattr(backbone, "dropout", None), nn.Module
        ):
            raise TypeError(
                f"{type(self).__name__} needs a module with features(x) (the "
                "encoder), dropout and classifier, like the modules in "
                f"skactive.nets; {type(backbone).__name__} lacks them."
            )
        projector = make_projector(_encoder_dim(backbone), self.projector_dims)
        self.module_ = _BarlowModule(backbone, projector)
        return self

    # --------------------------------------------------------------- training
    def get_default_callbacks(self):
        """skorch's defaults and the divergence guard (``"divergence_guard"``).

        Returns
        -------
        list of (str, Callback)
            The default callbacks; the guard scales the Barlow Twins term
            through ``unlabeled_scale_``.
        """
        return [
            *super().get_default_callbacks(),
            ("divergence_guard", DivergenceGuard()),
        ]

    def joint_loss(self, batch, generator, **fit_params):
        """The joint loss of one step and its two terms.

        Parameters
        ----------
        batch : SemiSupervisedBatch
            ``(X_labeled, y_labeled, X_unlabeled, unlabeled_index)``.
        generator : torch.Generator
            Source of the two views (``v_1`` drawn first, then ``v_2``).
        **fit_params : dict
            Passed to the module's ``forward`` for the labeled logits.

        Returns
        -------
        loss : torch.Tensor
            ``ce + gamma * s * barlow``, a scalar, with ``s`` the divergence
            guard's ``unlabeled_scale_`` (1 unless it backed off).
        ce : torch.Tensor
            Cross-entropy (the net's criterion) of the un-distorted labeled
            rows.
        barlow : torch.Tensor
            Unweighted Barlow Twins loss of the views of all rows of the
            step (0 when ``gamma == 0`` or the step has fewer than 2 rows).
        logits : torch.Tensor
            Logits of the labeled rows.
        """
        Xl, yl, Xu, _ = batch
        xl = self._model_input(Xl)
        logits = self._logits(xl, **fit_params)
        ce = self.get_loss(logits, yl, X=Xl, training=True)
        barlow = ce.new_zeros(())
        gamma = float(self.gamma)
        scale = float(getattr(self, "unlabeled_scale_", 1.0))
        xu = self._model_input(Xu)
        x_all = torch.cat([xl, xu]) if xu.shape[0] else xl
        if gamma > 0 and x_all.shape[0] >= 2:
            v1 = self._augment(x_all, generator)
            v2 = self._augment(x_all, generator)
            z1 = self.module_.project(v1)
            z2 = self.module_.project(v2)
            barlow = BarlowTwinsLoss(lambda_offdiag=float(self.lambda_offdiag))(
                z1.float(), z2.float()
            )
        return ce + gamma * scale * barlow, ce, barlow, logits

    def train_step_single(self, batch, **fit_params):
        """One joint step (see the class docstring).

        Parameters
        ----------
        batch : SemiSupervisedBatch
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        dict
            ``{"loss": loss, "y_pred": logits of the labeled rows,
            "loss_labeled": their cross-entropy}`` (the divergence guard
            reads the last).
        """
        self._set_training(True)
        loss, ce, barlow, logits = self.joint_loss(
            batch, self.train_generator_, **fit_params
        )
        loss.backward()
        self.history.record_batch("ce_loss", ce.item())
        self.history.record_batch("barlow_loss", barlow.item())
        return {"loss": loss, "y_pred": logits, "loss_labeled": ce.detach()}
