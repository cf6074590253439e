"""MixMatch (Berthelot et al., NeurIPS 2019) as a skorch classifier."""

from __future__ import annotations

from numbers import Integral, Real

import torch
import torch.nn.functional as F

from .._validation import Interval
from ..callbacks import EMA, DivergenceGuard, RampUp
from ..losses.mixmatch import MixMatchLoss, mixup, sharpen
from ._semi import AUGMENTATION, SemiSupervisedClassifier, decay_weights

__all__ = ["MixMatchClassifier"]


class MixMatchClassifier(SemiSupervisedClassifier):
    """MixMatch semi-supervised classifier (Berthelot et al., 2019).

    Every training step takes a labeled batch ``X`` (``batch_size`` rows)
    and an unlabeled batch ``U`` (``unlabeled_batch_size`` rows, by default
    ``mu * batch_size``) and, as the reference trainer (used for active
    learning by Buchert et al.) does:

    1. augments each labeled row once and each unlabeled row ``K =
       n_augmentations`` times (independent per-sample augmentations drawn
       from a generator seeded by ``random_state``);
    2. guesses a label for every unlabeled row from the current model,
       ``q = Sharpen(mean_k p(y | u_k), T)`` (no gradient; the module in
       training mode, as in the reference code);
    3. MixUps the concatenation of the augmented labeled rows (one-hot
       targets) and the ``K`` augmented copies of the unlabeled rows
       (targets ``q``) with a shuffled copy of itself:
       ``lambda ~ Beta(alpha, alpha)``, ``lambda' = max(lambda, 1 - lambda)``
       (:func:`skactive.losses.mixup`);
    4. minimises :class:`skactive.losses.MixMatchLoss`: cross-entropy on the
       mixed labeled part plus ``lambda_u * s(t)`` times the mean squared
       error between the predicted probabilities and the mixed targets on
       the mixed unlabeled part; ``s(t)`` ramps linearly from 0 to 1 over the
       first ``rampup`` fraction of the planned training steps
       (``planned_steps_ = max_epochs * steps_per_epoch``; the reference's
       16,384 of 1,048,576 steps is ``1/64``), or over ``rampup_steps`` steps
       when given (the default :class:`~skactive.callbacks.RampUp` callback
       named ``"lambda_u_rampup"`` sets ``lambda_u_scale_``).

    The mixed batch goes through the module in one forward pass (batch-norm
    statistics over the whole mixed batch, which is what the reference's
    "interleave" emulates). After each optimizer step the weights of the
    convolution and linear layers -- not biases, not batch-norm affine
    parameters, as the reference decays its ``kernel`` variables only -- are
    multiplied by ``1 - weight_decay`` (decoupled weight decay, ``0.02 * lr
    = 4e-5`` in the reference), then the :class:`~skactive.callbacks.EMA`
    callback (named ``"ema"``) updates an exponential moving average of the
    trainable parameters, which the net evaluates and predicts with after
    training (``module_`` is ``ema_module_`` after ``fit``). As in the
    reference, whose EMA covers the trainable variables only and reads the
    batch-norm moving statistics of the trained model, the averaged model's
    batch-norm running mean and variance are copied from the trained module
    after every step, not averaged. A
    :class:`~skactive.callbacks.DivergenceGuard` (callback
    ``"divergence_guard"``) halves the unlabeled weight, with a
    :class:`~skactive.callbacks.DivergenceWarning`, when the labeled loss
    keeps rising (disable it with ``callbacks__divergence_guard=None``).

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns logits. WRN-28-2 (:class:`~skactive.nets.WideResNet`) is the
        paper's network.
    *args
        Passed on to :class:`~skactive.nets.DeepClassifier` after ``module``;
        as there, a positional argument raises a ``TypeError``: give every
        argument other than ``module`` by keyword.
    augmentation : str, callable or None, default="standard"
        A name for :func:`skactive.augment.make_augmentation` (``"standard"``,
        ``"ssl"``, ``"none"``), built for the image shape after
        ``input_transform``; or a callable applied to a float batch tensor on
        the device, called as ``aug(x, generator=g)`` when it takes a
        ``generator``; it must draw its randomness per sample. Named
        augmentations need image inputs; for feature vectors pass a callable
        (e.g. Gaussian noise) or ``"none"``.
    flip : bool, default=False
        Whether a named augmentation mirrors images left-right. Set it for
        your data: natural images, clothes, X-rays or cells are
        flip-invariant (``flip=True``); digits and text are not.
    n_augmentations : int, default=2
        ``K``, augmented copies of each unlabeled row.
    temperature : float, default=0.5
        Sharpening temperature ``T``.
    alpha : float, default=0.75
        MixUp Beta parameter.
    lambda_u : float, default=10.0
        Weight of the unlabeled (MSE) term after the ramp-up. The paper tunes
        it per dataset (75 for CIFAR-10 with WRN-28-2 over a million steps);
        with a few thousand steps, a small network and a few labels, 75
        collapses the model to one class (scikit-learn's digits with 50
        labels: chance accuracy after 200 or 500 steps, even with a ramp over
        half of training). 10 beat 25 on every seed of digits-50 (300 steps)
        and of MNIST-100 (200 steps); see the semi-supervised user guide.
    rampup : float, default=1/64
        Length of the linear ramp of ``lambda_u`` as a fraction of the
        planned training steps (``planned_steps_``); the reference ramps over
        16,384 of its 1,048,576 steps.
    rampup_steps : int or None, default=None
        Length of the ramp in steps instead, overriding ``rampup``.
    ema_decay : float or None, default=0.999
        Decay of the weight EMA used for prediction; ``None`` predicts with
        the trained weights.
    weight_decay : float, default=4e-5
        Decoupled per-step weight decay factor of the convolution and linear
        weights; 0 disables it.
    lr : float, default=0.002
        Adam learning rate.
    optimizer : torch optimizer class, default=torch.optim.Adam
    **kwargs
        Any :class:`SemiSupervisedClassifier` parameter (``mu``,
        ``unlabeled_batch_size``, ``steps_per_epoch``, ``max_epochs``,
        ``batch_size``, ``random_state``, ``warm_start`` ...).

    Attributes
    ----------
    augmentation_ : callable
        The augmentation used.
    ema_module_ : torch.nn.Module
        The averaged weights (``module_`` after fit), when ``ema_decay`` is
        set.
    online_module_ : torch.nn.Module
        The weights the optimizer trains, when ``ema_decay`` is set.
    lambda_u_scale_ : float
        The ramp factor ``s(t)`` of the last step.
    unlabeled_scale_ : float
        The divergence guard's factor of ``lambda_u`` (1 unless it backed
        off).

    References
    ----------
    D. Berthelot, N. Carlini, I. Goodfellow, N. Papernot, A. Oliver and
    C. Raffel, "MixMatch: A Holistic Approach to Semi-Supervised Learning",
    NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import SmallCNN
    >>> from skactive.nets.mixmatch import MixMatchClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = np.round(X.reshape(-1, 8, 8) * 255 / 16).astype(np.uint8)
    >>> y_semi = np.where(np.arange(len(y)) < 50, y, -1)
    >>> net = MixMatchClassifier(SmallCNN, max_epochs=1, steps_per_epoch=5,
    ...                          batch_size=16, flip=False, random_state=0)
    >>> net.fit(X[:500], y_semi[:500]).predict_proba(X[:2]).shape
    (2, 10)
    >>> net.module_ is net.ema_module_
    True
    """

    _parameter_constraints = {
        "augmentation": AUGMENTATION,
        "n_augmentations": [Interval(Integral, 1, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "lambda_u": [Interval(Real, 0, None, closed="left")],
        "flip": ["boolean"],
        "rampup": [Interval(Real, 0, 1, closed="both")],
        "rampup_steps": [Interval(Integral, 0, None, closed="left"), None],
        "ema_decay": [Interval(Real, 0, 1, closed="both"), None],
        "weight_decay": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        module,
        *args,
        augmentation="standard",
        flip=False,
        n_augmentations=2,
        temperature=0.5,
        alpha=0.75,
        lambda_u=10.0,
        rampup=1 / 64,
        rampup_steps=None,
        ema_decay=0.999,
        weight_decay=4e-5,
        lr=0.002,
        optimizer=torch.optim.Adam,
        **kwargs,
    ):
        super().__init__(module, *args, lr=lr, optimizer=optimizer, **kwargs)
        self.augmentation = augmentation
        self.flip = flip
        self.n_augmentations = n_augmentations
        self.temperature = temperature
        self.alpha = alpha
        self.lambda_u = lambda_u
        self.rampup = rampup
        self.rampup_steps = rampup_steps
        self.ema_decay = ema_decay
        self.weight_decay = weight_decay

    def get_default_callbacks(self):
        """skorch's defaults, the ``lambda_u`` ramp-up, the weight EMA, the guard."""
        callbacks = list(super().get_default_callbacks())
        if self.rampup_steps is not None:
            ramp = RampUp("lambda_u_scale_", 0.0, 1.0, length=self.rampup_steps)
        else:
            ramp = RampUp(
                "lambda_u_scale_", 0.0, 1.0, length=self.rampup, total="planned_steps_"
            )
        callbacks.append(("lambda_u_rampup", ramp))
        if self.ema_decay is not None:
            callbacks.append(("ema", EMA(decay=self.ema_decay)))
        callbacks.append(("divergence_guard", DivergenceGuard()))
        return callbacks

    def mixmatch_batch(self, batch, generator, **fit_params):
        """The mixed inputs and targets of one MixMatch step.

        Parameters
        ----------
        batch : SemiSupervisedBatch
        generator : torch.Generator
            Source of the augmentations and of MixUp's ``lambda`` and
            permutation (drawn in that order).
        **fit_params : dict
            Passed to the module's ``forward`` for the label guess.

        Returns
        -------
        mixed_x : torch.Tensor
            ``batch_size + K * n_unlabeled`` rows, labeled part first.
        mixed_y : torch.Tensor
            Their soft targets.
        n_labeled : int
            Rows of the labeled part.
        """
        Xl, yl, Xu, _ = batch
        xl = self._model_input(Xl)
        xu = self._model_input(Xu)
        xl_aug = self._augment(xl, generator)
        xu_augs = [self._augment(xu, generator) for _ in range(self.n_augmentations)]
        n_classes = len(self.classes_)
        targets_x = F.one_hot(
            torch.as_tensor(yl, device=xl.device).long(), n_classes
        ).to(xl_aug.dtype)
        if xu.shape[0]:
            with torch.no_grad():
                logits_u = self._logits(torch.cat(xu_augs), **fit_params).float()
                probs = torch.softmax(logits_u, dim=1)
                probs = probs.view(self.n_augmentations, xu.shape[0], -1).mean(0)
                guess = sharpen(probs, self.temperature).to(targets_x.dtype)
        else:
            guess = targets_x.new_zeros((0, n_classes))
        # for the divergence guard: every guessed label counts
        self._pseudo_counts = torch.bincount(guess.argmax(1).cpu(), minlength=n_classes)
        all_x = torch.cat([xl_aug, *xu_augs])
        all_y = torch.cat([targets_x] + [guess] * self.n_augmentations)
        mixed_x, mixed_y, _ = mixup(all_x, all_y, self.alpha, generator=generator)
        return mixed_x, mixed_y, xl.shape[0]

    def train_step_single(self, batch, **fit_params):
        """One MixMatch step (see the class docstring).

        Parameters
        ----------
        batch : SemiSupervisedBatch
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        dict
            ``{"loss": loss, "y_pred": logits of the mixed labeled rows,
            "loss_labeled": their cross-entropy, "pseudo_counts": the argmax
            of the guessed labels per class, "n_unlabeled": rows of the
            unlabeled batch}`` (the divergence guard reads the last three;
            the last two only when ``lambda_u > 0``).
        """
        self._set_training(True)
        mixed_x, mixed_y, n = self.mixmatch_batch(
            batch, self.train_generator_, **fit_params
        )
        logits = self._logits(mixed_x, **fit_params)
        loss = self.get_loss(
            (logits[:n], logits[n:]), (mixed_y[:n], mixed_y[n:]), training=True
        )
        loss.backward()
        with torch.no_grad():
            logp = F.log_softmax(logits[:n].detach().float(), dim=1)
            loss_labeled = -(mixed_y[:n].float() * logp).sum(1).mean()
        out = {"loss": loss, "y_pred": logits[:n], "loss_labeled": loss_labeled}
        if float(self.lambda_u) > 0:  # rows are trained towards the guesses
            out["pseudo_counts"] = self._pseudo_counts
            out["n_unlabeled"] = len(batch.X_unlabeled)
        return out

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """MixMatch loss for a ``(labeled, unlabeled)`` pair, else the criterion.

        Parameters
        ----------
        y_pred : torch.Tensor or tuple of two torch.Tensor
            Logits; a pair ``(logits_x, logits_u)`` in training steps.
        y_true : torch.Tensor or tuple of two torch.Tensor
            Labels, or the pair of mixed soft targets ``(targets_x,
            targets_u)``.
        X : ignored
        training : bool, default=False

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        if isinstance(y_pred, tuple):
            logits_x, logits_u = y_pred
            targets_x, targets_u = y_true
            scale = getattr(self, "lambda_u_scale_", 1.0)
            scale *= getattr(self, "unlabeled_scale_", 1.0)
            return MixMatchLoss(self.lambda_u)(
                logits_x.float(),
                targets_x.float(),
                logits_u.float(),
                targets_u.float(),
                lambda_u_scale=scale,
            )
        return super().get_loss(y_pred, y_true, X=X, training=training)

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        """Decoupled weight decay after each optimizer step.

        skorch calls this hook of the net after every batch, before the
        callbacks' hooks, so the :class:`~skactive.callbacks.EMA` callback
        (with ``ema_decay`` set) averages the decayed weights. After a
        training step, the weight of every convolution and linear layer of
        ``module_`` (:func:`~skactive.nets._semi.decayed_weights`) is
        multiplied by ``1 - weight_decay``.

        Parameters
        ----------
        net : MixMatchClassifier
            The net being trained (this net: skorch passes it to every hook).
        batch : SemiSupervisedBatch or tuple, default=None
            The batch of the step (a :class:`SemiSupervisedBatch` in
            training, skorch's ``(X, y)`` in validation); passed on to the
            parent hook.
        training : bool, default=False
            Whether the step was a training step; the weights decay only
            then.
        **kwargs : dict
            The outputs of the step (``loss``, ``y_pred``); passed on to the
            parent hook.
        """
        super().on_batch_end(net, batch=batch, training=training, **kwargs)
        if training and self.weight_decay:
            decay_weights(self.module_, self.weight_decay)
