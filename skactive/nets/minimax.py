"""MAL's models: a cosine classifier and the minimax-entropy net."""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._validation import (
    Interval,
    InvalidParameterError,
    parameter_constraints,
    validate_estimator_params,
    validate_parameter_constraints,
)
from ..losses.gradient_reversal import grad_reverse
from ..losses.minimax_entropy import MinimaxEntropyLoss
from ._classifier import _first_output
from ._hooks import layer_input
from ._semi import SemiSupervisedClassifier
from .vaal import LatentDiscriminator

__all__ = ["CosineClassifier", "MinimaxClassifier"]

_POS = [Interval(numbers.Integral, 1, None, closed="left")]
_NONNEG = [Interval(numbers.Real, 0, None, closed="left")]
_POSITIVE = [Interval(numbers.Real, 0, None, closed="neither")]
#: rows per discriminator pass over stored embeddings
_DISCRIMINATOR_ROWS = 4096


class CosineClassifier(nn.Linear):
    r"""A cosine-similarity classifier with a temperature.

    .. math::

        s_k(f) = \frac{w_k^\top f}{\lVert w_k\rVert\,\lVert f\rVert\,T},

    the logits of MME (Saito et al. 2019) and MAL (Ebrahimi et al. 2021):
    the features are :math:`\ell_2`-normalised, so are the class weights, and
    the cosines are divided by the temperature :math:`T`. A
    :class:`torch.nn.Linear` without bias (so that the nets find it as the
    final layer; its ``weight`` holds the :math:`w_k` as rows).

    Parameters
    ----------
    in_features : int
        Width :math:`d` of the features.
    out_features : int
        Number of classes :math:`K`.
    temperature : float, default=0.05
        :math:`T > 0` (MME's 0.05).

    Examples
    --------
    >>> import torch
    >>> from skactive.nets.minimax import CosineClassifier
    >>> head = CosineClassifier(2, 2, temperature=0.5)
    >>> with torch.no_grad():
    ...     _ = head.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 3.0]]))
    >>> head(torch.tensor([[2.0, 0.0]]))  # cosines 1 and 0, over T
    tensor([[2., 0.]], grad_fn=<DivBackward0>)
    """

    _parameter_constraints = {
        "in_features": _POS,
        "out_features": _POS,
        "temperature": _POSITIVE,
    }

    def __init__(self, in_features, out_features, temperature=0.05):
        validate_parameter_constraints(
            parameter_constraints(self),
            {
                "in_features": in_features,
                "out_features": out_features,
                "temperature": temperature,
            },
            type(self).__name__,
        )
        super().__init__(int(in_features), int(out_features), bias=False)
        self.temperature = float(temperature)

    def extra_repr(self) -> str:
        """The layer's settings, shown in its ``repr``.

        Returns
        -------
        str
        """
        return f"{super().extra_repr()}, temperature={self.temperature}"

    def forward(self, x):
        """Cosine logits over the temperature.

        Parameters
        ----------
        x : torch.Tensor of shape (N, in_features)

        Returns
        -------
        torch.Tensor of shape (N, out_features)
        """
        w = F.normalize(self.weight, dim=1)
        return F.linear(F.normalize(x, dim=1), w) / self.temperature


@contextlib.contextmanager
def _reversed_input(layer):
    """Inside the block, gradients into ``layer``'s input are reversed."""

    def hook(_module, inputs):
        return (grad_reverse(inputs[0], 1.0), *inputs[1:])

    handle = layer.register_forward_pre_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def _module_path(root, target):
    for name, m in root.named_modules():
        if m is target:
            return name
    return None


class MinimaxClassifier(SemiSupervisedClassifier):
    r"""Minimax Active Learning's net (Ebrahimi et al. 2021).

    The module's layers up to its final linear layer are the feature
    encoder :math:`F`; the final layer is replaced by a
    :class:`CosineClassifier` :math:`C` (temperature :math:`T`) on the
    :math:`\ell_2`-normalised features, and a discriminator :math:`D`
    (:class:`~skactive.nets.vaal.LatentDiscriminator`) reads the same
    normalised features. Rows with ``y == -1`` are unlabeled
    (:class:`~skactive.nets.SemiSupervisedClassifier`). Every training step,
    on a labeled batch :math:`(x^l, y)` and an unlabeled batch :math:`u`,
    minimises

    .. math::

        L = \underbrace{\mathrm{CE}\bigl(C(F(x^l)), y\bigr)}_{C,\,F}
          \;\underbrace{-\;\lambda\, \tfrac1b \textstyle\sum_u
              H\bigl(C(\mathrm{GRL}(F(u)))\bigr)}_{\max_C \min_F H}
          \;+\; \mu\, \underbrace{\bigl[-\log D(\bar z^l)
              - \log(1 - D(\bar z^u))\bigr]}_{D \text{ only}},

    with :math:`\bar z = F(x)/\lVert F(x)\rVert` (detached for the
    discriminator term) and :math:`H` the entropy of the softmax of the
    cosine logits. The gradient-reversal layer
    (:func:`~skactive.losses.grad_reverse`) between :math:`F` and :math:`C`
    on the unlabeled pass makes one backward pass play the minimax entropy
    game: :math:`C` ascends the entropy, :math:`F` descends it (MAL's eq. 3,
    implemented as MME does; :class:`~skactive.losses.MinimaxEntropyLoss`).
    The discriminator learns to tell labeled (1) from unlabeled (0) rows, as
    VAAL's does. One optimizer (the net's) updates :math:`F`, :math:`C` and
    :math:`D` together; MME alternates two steps instead.

    :meth:`predict_proba` gives :math:`C`'s probabilities,
    :meth:`discriminator_score` :math:`D(\bar z)` (the probability of
    *labeled*); :class:`~skactive.strategies.MinimaxSampling` combines
    them.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns logits through a final :class:`torch.nn.Linear` (found as
        :meth:`final_layer` finds it), which is replaced by a
        :class:`CosineClassifier` of the same shape.
    *args
        Passed on to :class:`~skactive.nets.SemiSupervisedClassifier` after
        ``module``; give every other argument by keyword.
    temperature : float, default=0.05
        :math:`T` of the cosine classifier (MME's 0.05).
    entropy_weight : float, default=0.1
        :math:`\lambda`, the weight of the minimax entropy term (MME's 0.1).
    discriminator_width : int, default=512
        Hidden width of the discriminator (VAAL's 512).
    discriminator_weight : float, default=1.0
        :math:`\mu`, the weight of the discriminator's loss (it trains
        :math:`D` only: its features are detached).
    **kwargs
        Every other argument of
        :class:`~skactive.nets.SemiSupervisedClassifier` (``mu``,
        ``unlabeled_batch_size``, ``steps_per_epoch``, ``max_epochs``,
        ``lr``, ``random_state`` ...).

    Attributes
    ----------
    discriminator_ : LatentDiscriminator
        The fitted discriminator on the normalised features.
    classes_, n_labeled_, n_unlabeled_, module_
        As in :class:`~skactive.nets.SemiSupervisedClassifier`.

    References
    ----------
    S. Ebrahimi, W. Gan, D. Chen, G. Biamby, K. Salahi, M. Laielli, S. Zhu
    and T. Darrell, "Minimax Active Learning", arXiv:2012.10467, 2021.

    K. Saito, D. Kim, S. Sclaroff, T. Darrell and K. Saenko, "Semi-supervised
    Domain Adaptation via Minimax Entropy", ICCV 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, MinimaxClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> y_semi = np.where(np.arange(len(y)) < 100, y, -1)  # 100 labels
    >>> net = MinimaxClassifier(MLP, max_epochs=2, random_state=0,
    ...                         discriminator_width=32)
    >>> net = net.fit(X[:400], y_semi[:400])
    >>> type(net.final_layer()).__name__
    'CosineClassifier'
    >>> net.discriminator_score(X[400:403]).shape
    (3,)
    """

    _parameter_constraints = {
        "temperature": _POSITIVE,
        "entropy_weight": _NONNEG,
        "discriminator_width": _POS,
        "discriminator_weight": _NONNEG,
    }

    def __init__(
        self,
        module,
        *args,
        temperature=0.05,
        entropy_weight=0.1,
        discriminator_width=512,
        discriminator_weight=1.0,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.temperature = temperature
        self.entropy_weight = entropy_weight
        self.discriminator_width = discriminator_width
        self.discriminator_weight = discriminator_weight

    def fit(self, X, y, **fit_params):
        """Train the encoder, the cosine classifier and the discriminator.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
            ``-1`` marks unlabeled rows.
        **fit_params : dict
            Passed to skorch's ``fit``.

        Returns
        -------
        self : MinimaxClassifier
        """
        validate_estimator_params(self)
        return super().fit(X, y, **fit_params)

    # -------------------------------------------------------------- modules
    def initialize_module(self):
        """Build the module, swap its final layer for a cosine classifier, add D."""
        super().initialize_module()
        layer = self.final_layer()
        path = _module_path(self.module_, layer)
        if not isinstance(layer, nn.Linear) or not path:
            raise InvalidParameterError(
                f"{type(self).__name__} replaces the final torch.nn.Linear layer of "
                f"the module by a cosine classifier; {type(self.module_).__name__}'s "
                f"final layer is {type(layer).__name__}. Set embedding_layer to the "
                "name of a final linear layer."
            )
        head = CosineClassifier(
            layer.in_features, layer.out_features, temperature=self.temperature
        )
        parent_path, _, attr = path.rpartition(".")
        parent = self.module_.get_submodule(parent_path) if parent_path else None
        setattr(self.module_ if parent is None else parent, attr, head)
        self.discriminator_ = LatentDiscriminator(
            layer.in_features, width=self.discriminator_width
        )
        return self

    # ------------------------------------------------------------- training
    def _discriminator_logits(self, features):
        z = F.normalize(features.flatten(1), dim=1)
        return self.discriminator_.net(z).squeeze(1)

    def discriminator_loss(self, features_labeled, features_unlabeled):
        r"""The discriminator's loss on detached features (VAAL's eq. 4).

        :math:`-\log D(\bar z^l) - \log(1 - D(\bar z^u))`, each the binary
        cross-entropy averaged over its batch, on the normalised features
        (detached: it trains the discriminator only).

        Parameters
        ----------
        features_labeled : torch.Tensor of shape (B_l, d)
        features_unlabeled : torch.Tensor of shape (B_u, d)

        Returns
        -------
        torch.Tensor
            A scalar.
        """
        logit_l = self._discriminator_logits(features_labeled.detach())
        logit_u = self._discriminator_logits(features_unlabeled.detach())
        return F.binary_cross_entropy_with_logits(
            logit_l, torch.ones_like(logit_l)
        ) + F.binary_cross_entropy_with_logits(logit_u, torch.zeros_like(logit_u))

    def train_step_single(self, batch, **fit_params):
        """One step: CE + minimax entropy (through the GRL) + discriminator.

        Parameters
        ----------
        batch : SemiSupervisedBatch
            A labeled and an unlabeled batch.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        dict
            ``{"loss", "y_pred", "ce_loss", "entropy_loss",
            "discriminator_loss"}``.
        """
        self._set_training(True)
        Xl, yl, Xu, _ = batch
        head = self.final_layer()
        zero = torch.zeros((), device=self.device)
        ent = disc = zero
        with layer_input(head, detach=False) as captured:
            logits_l = _first_output(self.infer(Xl, **fit_params))
            features_l = captured.value
            ce = self.get_loss(logits_l, yl, X=Xl, training=True)
            loss = ce
            if len(Xu):
                with _reversed_input(head):
                    logits_u = _first_output(self.infer(Xu, **fit_params))
                features_u = captured.value
                ent = MinimaxEntropyLoss(self.entropy_weight)(logits_u)
                disc = self.discriminator_loss(features_l, features_u)
                loss = ce + ent + self.discriminator_weight * disc
        loss.backward()
        return {
            "loss": loss,
            "y_pred": logits_l,
            "ce_loss": ce.detach(),
            "entropy_loss": ent.detach(),
            "discriminator_loss": disc.detach(),
        }

    # ------------------------------------------------------------ inference
    def _discriminate(self, embedding):
        """``D`` of stored embeddings, in chunks, as float64 probabilities."""
        out = np.empty(len(embedding), dtype=np.float64)
        self.discriminator_.eval()
        with torch.no_grad():
            for start in range(0, len(embedding), _DISCRIMINATOR_ROWS):
                rows = np.asarray(
                    embedding[start : start + _DISCRIMINATOR_ROWS], dtype=np.float32
                )
                logit = self._discriminator_logits(
                    torch.as_tensor(rows, device=self.device)
                )
                out[start : start + len(rows)] = (
                    torch.sigmoid(logit.double()).cpu().numpy()
                )
        return out

    def predict_proba_with_discriminator(self, X):
        """Class probabilities and discriminator scores from one forward pass.

        Parameters
        ----------
        X : array-like, torch.Tensor or lazy pool of shape (n_samples, ...)

        Returns
        -------
        proba : ndarray of float32 of shape (n_samples, n_classes)
            :math:`C`'s probabilities (as :meth:`predict_proba`).
        p_labeled : ndarray of float64 of shape (n_samples,)
            :math:`D(\\bar z)`, the discriminator's probability that the row
            is labeled (as :meth:`discriminator_score`).
        """
        proba, embedding = self.predict_proba_with_embedding(X)
        return proba, self._discriminate(embedding)

    def discriminator_score(self, X):
        """The discriminator's probability that each row is labeled.

        :math:`D(F(x) / \\lVert F(x)\\rVert)`, from the features of one
        batched forward pass through ``infer`` (eval mode).

        Parameters
        ----------
        X : array-like, torch.Tensor or lazy pool of shape (n_samples, ...)

        Returns
        -------
        ndarray of float64 of shape (n_samples,)
            Close to 0: the discriminator is confident the row is unlabeled.
        """
        return self.predict_proba_with_discriminator(X)[1]
