"""FixMatch (Sohn et al., NeurIPS 2020) as a skorch classifier."""

from __future__ import annotations

from numbers import Real

import torch
import torch.nn.functional as F

from .._validation import Interval
from ..callbacks import EMA, CosineDecay, DivergenceGuard
from ..losses.fixmatch import FixMatchLoss, confidence_mask
from ._semi import AUGMENTATION, SemiSupervisedClassifier, decayed_weights

__all__ = ["FixMatchClassifier"]

#: The paper's training length (``2**20`` steps): the cosine decay of a
#: shorter fit follows the first steps of a run of this length.
PAPER_STEPS = 2**20


class FixMatchClassifier(SemiSupervisedClassifier):
    """FixMatch semi-supervised classifier (Sohn et al., 2020).

    Every training step takes ``batch_size`` labeled rows and ``mu *
    batch_size`` unlabeled rows (``mu = 7``) and, as the paper and its
    reference code do:

    1. augments the labeled rows weakly, and each unlabeled row once weakly
       (``weak``: flip + crop, :func:`skactive.augment.make_augmentation`
       ``"standard"``) and once strongly (``strong``: flip + crop +
       :class:`~skactive.augment.RandAugment` + :class:`~skactive.augment.Cutout`,
       ``"strong"``), all per sample from a generator seeded by
       ``random_state``;
    2. sends the three batches through the module in **one** forward pass
       (batch-norm statistics over all of them, as the reference's
       interleaving);
    3. takes the pseudo-label ``argmax p(y | weak(u))`` of every unlabeled
       row (no gradient) and keeps those whose confidence reaches
       ``threshold`` (:meth:`unlabeled_thresholds`; one ``tau = 0.95`` here,
       per class in :class:`~skactive.nets.FlexMatchClassifier`);
    4. minimises :class:`skactive.losses.FixMatchLoss`: cross-entropy on the
       labeled rows plus ``lambda_u`` times the masked cross-entropy of the
       strong views against the pseudo-labels, plus
       ``weight_decay / 2 * ||w||^2`` over the weights of the convolution and
       linear layers (the reference's L2 on its ``kernel`` variables).

    SGD with Nesterov momentum 0.9 and the cosine decay
    ``lr * cos(7 pi t / (16 T))`` with ``T = max(planned_steps_, 2**20)``
    (:class:`~skactive.callbacks.CosineDecay` with ``min_total=2**20``,
    callback ``"lr_decay"``): a fit as long as the paper's or longer decays
    over its own planned steps, as the paper does, and a shorter one follows
    the first ``planned_steps_`` steps of the paper's schedule, i.e. keeps
    ``lr`` nearly constant (decaying a short fit over its own length cost
    FixMatch 1 to 3 points per seed on digits with 50 labels, 300 steps, and
    6 to 9 on MNIST with 100 labels, 200 steps: the learning rate was gone
    before the confident pseudo-labels came; set
    ``callbacks__lr_decay__min_total=None`` for that schedule);
    an :class:`~skactive.callbacks.EMA` of the weights (``"ema"``,
    ``ema_decay = 0.999``) evaluates and predicts after training, batch-norm
    statistics copied from the trained module; a
    :class:`~skactive.callbacks.DivergenceGuard` (``"divergence_guard"``)
    halves the unlabeled weight, with a warning, when the labeled loss keeps
    rising or when most unlabeled rows are trained towards one class
    (disable it with ``callbacks__divergence_guard=None``).

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns logits. WRN-28-2 (:class:`~skactive.nets.WideResNet`) is the
        paper's network for CIFAR-10.
    *args
        Passed on to :class:`~skactive.nets.DeepClassifier` after ``module``;
        as there, a positional argument raises a ``TypeError``: give every
        argument other than ``module`` by keyword.
    weak : str, callable or None, default="standard"
        The weak augmentation: a name for
        :func:`skactive.augment.make_augmentation` or a callable on a float
        batch (called as ``aug(x, generator=g)`` when it takes a generator;
        it must draw its randomness per sample). Names need image inputs.
    strong : str, callable or None, default="strong"
        The strong augmentation, likewise.
    flip : bool, default=False
        Whether the named augmentations mirror images left-right. Set it for
        your data: natural images, clothes, X-rays or cells are
        flip-invariant (``flip=True``, the paper's CIFAR setting); digits and
        text are not.
    threshold : float, default=0.95
        Confidence threshold ``tau`` of the pseudo-labels.
    lambda_u : float, default=1.0
        Weight of the unlabeled term.
    mu : int, default=7
        Unlabeled rows per labeled row in a step (the paper's 7). Most of a
        step's cost is these rows: on a CPU budget, ``mu=2`` with 3.6 to 4.2
        times the steps did better on MNIST-100 and CIFAR-10-250 in
        ``benchmarks/bench_semi_supervised.py`` (see the user guide).
    weight_decay : float, default=5e-4
        L2 weight of the convolution and linear weights.
    ema_decay : float or None, default=0.999
        Decay of the weight EMA used for prediction; ``None`` predicts with
        the trained weights.
    lr : float, default=0.03
        Initial learning rate.
    optimizer : torch optimizer class, default=torch.optim.SGD
        Built with ``optimizer__momentum=0.9`` and
        ``optimizer__nesterov=True`` unless given.
    batch_size : int, default=64
        Labeled rows per step.
    **kwargs
        Any :class:`SemiSupervisedClassifier` parameter
        (``unlabeled_batch_size``, ``steps_per_epoch``, ``max_epochs``,
        ``random_state``, ``warm_start`` ...).

    Attributes
    ----------
    weak_ : callable
        The weak augmentation used.
    strong_ : callable
        The strong augmentation used.
    ema_module_ : torch.nn.Module
        The averaged weights (``module_`` after fit), when ``ema_decay`` is
        set.
    mask_rate_ : float
        Fraction of the unlabeled rows of the last step whose pseudo-label
        passed the threshold.
    unlabeled_scale_ : float
        The divergence guard's factor of ``lambda_u`` (1 unless it backed
        off).

    References
    ----------
    K. Sohn, D. Berthelot, C.-L. Li, Z. Zhang, N. Carlini, E. D. Cubuk,
    A. Kurakin, H. Zhang and C. Raffel, "FixMatch: Simplifying Semi-Supervised
    Learning with Consistency and Confidence", NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import FixMatchClassifier, SmallCNN
    >>> X, y = load_digits(return_X_y=True)
    >>> X = np.round(X.reshape(-1, 8, 8) * 255 / 16).astype(np.uint8)
    >>> y_semi = np.where(np.arange(len(y)) < 50, y, -1)
    >>> net = FixMatchClassifier(SmallCNN, max_epochs=1, steps_per_epoch=5,
    ...                          batch_size=8, mu=2, flip=False, random_state=0)
    >>> net.fit(X[:500], y_semi[:500]).predict_proba(X[:2]).shape
    (2, 10)
    >>> net.module_ is net.ema_module_
    True
    """

    _parameter_constraints = {
        "weak": AUGMENTATION,
        "strong": AUGMENTATION,
        "flip": ["boolean"],
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "lambda_u": [Interval(Real, 0, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "ema_decay": [Interval(Real, 0, 1, closed="left"), None],
    }

    def __init__(
        self,
        module,
        *args,
        weak="standard",
        strong="strong",
        flip=False,
        threshold=0.95,
        lambda_u=1.0,
        mu=7,
        weight_decay=5e-4,
        ema_decay=0.999,
        lr=0.03,
        optimizer=torch.optim.SGD,
        batch_size=64,
        **kwargs,
    ):
        if optimizer is torch.optim.SGD:
            kwargs.setdefault("optimizer__momentum", 0.9)
            kwargs.setdefault("optimizer__nesterov", True)
        super().__init__(
            module,
            *args,
            mu=mu,
            lr=lr,
            optimizer=optimizer,
            batch_size=batch_size,
            **kwargs,
        )
        self.weak = weak
        self.strong = strong
        self.flip = flip
        self.threshold = threshold
        self.lambda_u = lambda_u
        self.weight_decay = weight_decay
        self.ema_decay = ema_decay

    def get_default_callbacks(self):
        """skorch's defaults, cosine lr decay, the weight EMA, the divergence guard."""
        callbacks = list(super().get_default_callbacks())
        callbacks.append(("lr_decay", CosineDecay(min_total=PAPER_STEPS)))
        if self.ema_decay is not None:
            callbacks.append(("ema", EMA(decay=self.ema_decay)))
        callbacks.append(("divergence_guard", DivergenceGuard()))
        return callbacks

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Validate, seed the generator and build the two augmentations.

        Parameters
        ----------
        net : FixMatchClassifier
            The net being trained (this net: skorch passes it to every hook).
        X : array-like or torch.Tensor of shape (n_samples, ...), default=None
            The training inputs, labeled and unlabeled.
        y : ndarray of shape (n_samples,), default=None
            Their encoded labels, ``-1`` for unlabeled rows.
        **kwargs : dict
            Other arguments of skorch's hook; passed on to the parent hook.
        """
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self.weak_ = self._make_augmentation(X, self.weak)
        self.strong_ = self._make_augmentation(X, self.strong)

    def unlabeled_thresholds(self, probs_weak, unlabeled_index):
        """The confidence threshold(s) of a step: ``threshold`` for every class.

        :class:`~skactive.nets.FlexMatchClassifier` overrides it with its
        class-wise curriculum thresholds.

        Parameters
        ----------
        probs_weak : torch.Tensor of shape (n_unlabeled_batch, n_classes)
            Probabilities of the weakly augmented unlabeled rows.
        unlabeled_index : torch.Tensor of int64
            Their positions among the unlabeled rows of the training set.

        Returns
        -------
        float or torch.Tensor of shape (n_classes,)
        """
        return float(self.threshold)

    def fixmatch_batch(self, batch, generator):
        """The augmented inputs of one step: weak labeled, weak and strong unlabeled.

        Parameters
        ----------
        batch : SemiSupervisedBatch
        generator : torch.Generator
            Source of the augmentations (labeled weak, unlabeled weak, then
            unlabeled strong).

        Returns
        -------
        x : torch.Tensor
            ``[weak(X), weak(U), strong(U)]`` concatenated.
        n_labeled, n_unlabeled : int
        """
        Xl, _, Xu, _ = batch
        xl = self._model_input(Xl)
        xu = self._model_input(Xu)
        xl_w = self._augment(xl, generator, self.weak_)
        xu_w = self._augment(xu, generator, self.weak_)
        xu_s = self._augment(xu, generator, self.strong_)
        return torch.cat([xl_w, xu_w, xu_s]), xl.shape[0], xu.shape[0]

    def train_step_single(self, batch, **fit_params):
        """One FixMatch step (see the class docstring).

        Parameters
        ----------
        batch : SemiSupervisedBatch
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        dict
            ``{"loss", "y_pred"`` (logits of the labeled rows),
            ``"loss_labeled"`` (their cross-entropy), ``"pseudo_counts"``
            (the pseudo-labels that passed the threshold, per class) and
            ``"n_unlabeled"`` (rows of the unlabeled batch; these two only
            when ``lambda_u > 0``)``}``: the divergence guard reads the last
            three.
        """
        self._set_training(True)
        x, n, m = self.fixmatch_batch(batch, self.train_generator_)
        logits = self._logits(x, **fit_params)
        logits_x = logits[:n].float()
        logits_w, logits_s = logits[n : n + m].float(), logits[n + m :].float()
        yl = torch.as_tensor(batch.y_labeled, device=logits.device).long()
        with torch.no_grad():
            probs = torch.softmax(logits_w.detach(), dim=1)
            tau = self.unlabeled_thresholds(probs, batch.unlabeled_index)
            pseudo, mask = confidence_mask(probs, tau)
        self.mask_rate_ = float(mask.float().mean()) if m else 0.0
        loss = FixMatchLoss(self.lambda_u)(
            logits_x,
            yl,
            logits_s,
            pseudo,
            mask,
            lambda_u_scale=getattr(self, "unlabeled_scale_", 1.0),
        )
        if self.weight_decay:
            l2 = sum(w.square().sum() for w in decayed_weights(self.module_))
            loss = loss + 0.5 * float(self.weight_decay) * l2
        loss.backward()
        loss_labeled = F.cross_entropy(logits_x.detach(), yl)
        out = {"loss": loss, "y_pred": logits[:n], "loss_labeled": loss_labeled}
        if float(self.lambda_u) > 0:  # rows are trained towards the pseudo-labels
            out["pseudo_counts"] = torch.bincount(
                pseudo[mask].cpu(), minlength=logits.shape[1]
            )
            out["n_unlabeled"] = m
        return out
