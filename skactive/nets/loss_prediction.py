"""Learning Loss for Active Learning: a classifier with a loss-prediction module."""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
import torch
from skorch.dataset import unpack_data
from skorch.utils import to_tensor
from torch import nn

from .._validation import (
    Interval,
    InvalidParameterError,
    PositiveInts,
    StrOptions,
    validate_estimator_params,
    validate_parameter_constraints,
)
from ..losses.loss_ranking import LossRankingLoss
from ._classifier import DeepClassifier, _first_output
from .modules import MLP, ResNet18, SmallCNN, WideResNet

__all__ = ["LossPredictionClassifier", "LossPredictionModule", "loss_blocks"]

#: Name of the tap on the input of the final layer (the penultimate embedding).
EMBEDDING = "<embedding>"


def loss_blocks(module):
    """The intermediate blocks whose features a loss-prediction module reads.

    * :class:`~skactive.nets.ResNet18`: the outputs of ``layer1`` to
      ``layer4`` (the paper's four blocks);
    * :class:`~skactive.nets.WideResNet`: ``block1`` to ``block3``;
    * :class:`~skactive.nets.SmallCNN`: each ``MaxPool2d`` of ``conv`` (one
      per convolutional block) and the hidden layer ``fc``;
    * :class:`~skactive.nets.MLP`: each hidden layer's activation (and the
      input of the final layer when it has no hidden layer);
    * any other module: the input of its final layer only (``"<embedding>"``).

    Parameters
    ----------
    module : torch.nn.Module
        An initialised module.

    Returns
    -------
    list of str
        Dotted names of submodules (their outputs are read), or
        ``"<embedding>"``.

    Examples
    --------
    >>> from skactive.nets import SmallCNN
    >>> from skactive.nets.loss_prediction import loss_blocks
    >>> loss_blocks(SmallCNN(channels=(8, 16)))
    ['conv.2', 'conv.5', 'fc']
    """
    if isinstance(module, ResNet18):
        return ["layer1", "layer2", "layer3", "layer4"]
    if isinstance(module, WideResNet):
        return ["block1", "block2", "block3"]
    if isinstance(module, SmallCNN):
        pools = [
            f"conv.{i}"
            for i, m in enumerate(module.conv)
            if isinstance(m, nn.MaxPool2d)
        ]
        return [*pools, "fc"]
    if isinstance(module, MLP):
        acts = [
            f"body.{i}"
            for i, m in enumerate(module.body)
            if i > 0 and not isinstance(m, nn.Linear)
        ]
        return acts or [EMBEDDING]
    return [EMBEDDING]


def _pooled(x):
    """Global average pooling of a block's output: ``(N, C, ...) -> (N, C)``."""
    x = _first_output(x)
    if x.ndim > 2:
        return x.flatten(2).mean(dim=2)
    return x.reshape(x.shape[0], -1)


class _Taps:
    """The pooled features of the tapped blocks of the last forward pass."""

    def __init__(self, names):
        self.names = names
        self.values = {}

    def features(self):
        missing = [n for n in self.names if n not in self.values]
        if missing:
            raise InvalidParameterError(
                f"loss_blocks {missing} produced no output in the forward pass; "
                "name submodules that the module's forward calls."
            )
        return [self.values[n] for n in self.names]


@contextlib.contextmanager
def _tapped(module, names, final_layer):
    """Record the global-average-pooled outputs of ``names`` (with gradient)."""
    taps = _Taps(list(names))
    handles = []

    def output_hook(name):
        def hook(_m, _inputs, output):
            taps.values[name] = _pooled(output)

        return hook

    def input_hook(_m, inputs):
        taps.values[EMBEDDING] = _pooled(inputs[0])

    try:
        for name in names:
            if name == EMBEDDING:
                handles.append(final_layer.register_forward_pre_hook(input_hook))
                continue
            try:
                sub = module.get_submodule(name)
            except AttributeError as exc:
                raise InvalidParameterError(
                    f"loss_blocks: {name!r} is not a submodule of "
                    f"{type(module).__name__}."
                ) from exc
            handles.append(sub.register_forward_hook(output_hook(name)))
        yield taps
    finally:
        for h in handles:
            h.remove()


class LossPredictionModule(nn.Module):
    r"""The loss-prediction module of Yoo & Kweon (2019, fig. 2).

    Each block's feature map is global-average pooled, passed through its own
    ``Linear(C_i, width) -> ReLU``; the results are concatenated and a final
    ``Linear(k * width, 1)`` gives the predicted loss :math:`\hat l`.

    Parameters
    ----------
    in_features : sequence of int
        Channels ``C_i`` of the ``k`` blocks.
    width : int, default=128
        Width of each block's FC layer (the paper's 128).

    Examples
    --------
    >>> import torch
    >>> from skactive.nets.loss_prediction import LossPredictionModule
    >>> m = LossPredictionModule([8, 16], width=4)
    >>> m([torch.zeros(3, 8), torch.zeros(3, 16)]).shape
    torch.Size([3])
    """

    _parameter_constraints = {
        "in_features": [PositiveInts()],
        "width": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, in_features, width=128):
        super().__init__()
        validate_parameter_constraints(
            self._parameter_constraints,
            {"in_features": in_features, "width": width},
            type(self).__name__,
        )
        in_features = list(PositiveInts.as_tuple(in_features))
        self.in_features = in_features
        self.width = int(width)
        self.fcs = nn.ModuleList(
            [nn.Sequential(nn.Linear(c, self.width), nn.ReLU()) for c in in_features]
        )
        self.out = nn.Linear(self.width * len(in_features), 1)

    def forward(self, features):
        """Predicted losses from the pooled block features.

        Parameters
        ----------
        features : list of torch.Tensor of shape (N, C_i)

        Returns
        -------
        torch.Tensor of shape (N,)
        """
        if len(features) != len(self.fcs):
            raise InvalidParameterError(
                f"LossPredictionModule expects {len(self.fcs)} feature blocks, "
                f"got {len(features)}."
            )
        h = torch.cat([fc(f) for fc, f in zip(self.fcs, features, strict=True)], 1)
        return self.out(h).squeeze(1)


class LossPredictionClassifier(DeepClassifier):
    r"""A deep classifier trained jointly with a loss-prediction module.

    Learning Loss for Active Learning (Yoo & Kweon, CVPR 2019): beside the
    classifier, a small module (:class:`LossPredictionModule`) reads the
    global-average-pooled outputs of intermediate blocks of the network and
    predicts the classifier's loss on each row. Both are trained together on
    every batch of ``b`` rows by

    .. math::

        L = \frac1b \sum_i l_i + \lambda\, L_{\text{rank}}(\hat l, l),

    where :math:`l_i` is the criterion's loss of row ``i`` and
    :math:`L_{\text{rank}}` is the pairwise ranking loss over the ``b/2``
    pairs of the batch with margin :math:`\xi`
    (:class:`~skactive.losses.LossRankingLoss`). From epoch
    ``stop_gradient_epoch`` on, the features enter the loss module detached:
    the ranking loss then trains the loss module only, not the backbone (the
    paper stops this gradient after 120 of 200 epochs). :meth:`predict_loss`
    returns :math:`\hat l`; :class:`~skactive.strategies.LearningLoss` queries
    the rows with the highest.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns logits, as the modules in :mod:`skactive.nets` do.
    *args
        Passed on to :class:`~skactive.nets.DeepClassifier` after ``module``;
        give every other argument by keyword.
    loss_blocks : "auto" or list of str, default="auto"
        The blocks whose outputs the loss module reads: dotted names of
        submodules of the module (``"<embedding>"``: the input of the final
        layer). ``"auto"``: :func:`loss_blocks`.
    loss_width : int, default=128
        Width of the loss module's per-block FC layers.
    loss_weight : float, default=1.0
        :math:`\lambda`, the weight of the ranking loss (the paper's 1).
    margin : float, default=1.0
        :math:`\xi`, the ranking margin (the paper's 1).
    stop_gradient_epoch : int, float or None, default=0.6
        The epoch (counted from 0 at the start of each :meth:`fit`) from
        which the ranking loss no longer reaches the backbone; a float in
        ``(0, 1)`` is a fraction of ``max_epochs`` (0.6: the paper's 120 of
        200); ``None`` never stops it.
    **kwargs
        Every other argument of :class:`~skactive.nets.DeepClassifier`. The
        criterion must take ``reduction="none"`` (per-row losses).

    Attributes
    ----------
    lossnet_ : LossPredictionModule
        The fitted loss-prediction module.
    loss_blocks_ : list of str
        The blocks it reads.
    classes_, input_shape_, n_features_in_, module_
        As in :class:`~skactive.nets.DeepClassifier`.

    References
    ----------
    D. Yoo and I. S. Kweon, "Learning Loss for Active Learning", CVPR 2019.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP
    >>> from skactive.nets.loss_prediction import LossPredictionClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = LossPredictionClassifier(MLP, max_epochs=3, random_state=0,
    ...                                module__hidden_units=(32, 16))
    >>> net = net.fit(X[:200], y[:200])
    >>> net.loss_blocks_
    ['body.2', 'body.4']
    >>> net.predict_loss(X[200:205]).shape
    (5,)
    """

    _parameter_constraints = {
        "loss_blocks": [StrOptions({"auto"}), list],
        "loss_width": [Interval(numbers.Integral, 1, None, closed="left")],
        "loss_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "margin": [Interval(numbers.Real, 0, None, closed="left")],
        "stop_gradient_epoch": [
            Interval(numbers.Integral, 0, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="neither"),
            None,
        ],
    }

    def __init__(
        self,
        module,
        *args,
        loss_blocks="auto",
        loss_width=128,
        loss_weight=1.0,
        margin=1.0,
        stop_gradient_epoch=0.6,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.loss_blocks = loss_blocks
        self.loss_width = loss_width
        self.loss_weight = loss_weight
        self.margin = margin
        self.stop_gradient_epoch = stop_gradient_epoch

    # ---------------------------------------------------------- validation
    def _check_loss_params(self):
        validate_estimator_params(self)
        blocks = self.loss_blocks
        if isinstance(blocks, list) and (
            not blocks or not all(isinstance(b, str) for b in blocks)
        ):
            raise InvalidParameterError(
                f"{type(self).__name__}: loss_blocks must be 'auto' or a non-empty "
                f"list of submodule names, got {self.loss_blocks!r}."
            )

    def fit(self, X, y, **fit_params):
        """Train the classifier and its loss-prediction module jointly.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
        **fit_params : dict
            Passed to skorch's ``fit``.

        Returns
        -------
        self : LossPredictionClassifier
        """
        self._check_loss_params()
        return super().fit(X, y, **fit_params)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Continue training both (see :meth:`fit`).

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
        classes : array-like or None
            Accepted for scikit-learn compatibility.
        **fit_params : dict

        Returns
        -------
        self : LossPredictionClassifier
        """
        self._check_loss_params()
        return super().partial_fit(X, y, classes=classes, **fit_params)

    # -------------------------------------------------------------- modules
    def _block_names(self):
        if self.loss_blocks == "auto":
            return loss_blocks(self.module_)
        return list(self.loss_blocks)

    def initialize_module(self):
        """Build the module, then the loss module sized by a probe pass.

        A zero batch shaped like the training rows goes through the module
        once (eval mode, no gradient) to read the channels of every tapped
        block.
        """
        super().initialize_module()
        names = self._block_names()
        shape = getattr(self, "input_shape_", None)
        if shape is None:
            raise InvalidParameterError(
                f"{type(self).__name__} builds its loss module from the shape of "
                "the training rows: call fit."
            )
        module = self.module_
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad(), _tapped(module, names, self.final_layer()) as taps:
                probe = self._transform_input(torch.zeros((2, *shape)))
                module(probe)
                dims = [f.shape[1] for f in taps.features()]
        finally:
            module.train(was_training)
        self.loss_blocks_ = names
        self.lossnet_ = LossPredictionModule(dims, width=self.loss_width)
        return self

    def initialize_criterion(self):
        """The criterion, asked for per-row losses (``reduction="none"``)."""
        super().initialize_criterion()
        if getattr(self.criterion_, "reduction", None) is None:
            raise InvalidParameterError(
                f"{type(self).__name__}: criterion must compute per-row losses "
                f"(take reduction='none'), got {self.criterion!r}."
            )
        self.criterion_.reduction = "none"
        return self

    # ------------------------------------------------------------- training
    def _stop_epoch(self):
        s = self.stop_gradient_epoch
        if s is None:
            return None
        if isinstance(s, numbers.Integral):
            return int(s)
        return int(round(float(s) * self.max_epochs))

    def _epoch(self):
        start = getattr(self, "lossnet_start_epoch_", 0)
        return max(len(self.history) - 1 - start, 0)

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Count epochs from the start of this ``fit`` (for the stop-gradient).

        Parameters
        ----------
        net : LossPredictionClassifier
            This net (skorch passes it to every hook).
        X : array-like, default=None
            The training inputs; passed on.
        y : ndarray, default=None
            Their encoded labels; passed on.
        **kwargs : dict
            Other arguments of skorch's hook; passed on.
        """
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self.lossnet_start_epoch_ = len(self.history)

    def _sample_losses(self, logits, y_true):
        y_true = to_tensor(y_true, device=self.device).long()
        return self.criterion_(logits, y_true)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Mean criterion loss of the classifier (validation and scoring).

        Parameters
        ----------
        y_pred : torch.Tensor of shape (n, n_classes)
            Logits.
        y_true : torch.Tensor of shape (n,)
        X : ignored
        training : bool, default=False

        Returns
        -------
        torch.Tensor
        """
        return self._sample_losses(_first_output(y_pred), y_true).mean()

    def train_step_single(self, batch, **fit_params):
        """One joint step: classifier loss + ``loss_weight`` x ranking loss.

        Parameters
        ----------
        batch : tuple
            ``(X, y)`` from the training iterator.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        dict
            ``{"loss", "y_pred", "target_loss", "ranking_loss"}``.
        """
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        with _tapped(self.module_, self.loss_blocks_, self.final_layer()) as taps:
            logits = _first_output(self.infer(Xi, **fit_params))
        features = taps.features()
        stop = self._stop_epoch()
        if stop is not None and self._epoch() >= stop:
            features = [f.detach() for f in features]
        target = self._sample_losses(logits, yi)
        predicted = self.lossnet_(features)
        ranking = LossRankingLoss(self.margin)(predicted, target.detach())
        loss = target.mean() + self.loss_weight * ranking
        loss.backward()
        return {
            "loss": loss,
            "y_pred": logits,
            "target_loss": target.mean().detach(),
            "ranking_loss": ranking.detach(),
        }

    # ------------------------------------------------------------ inference
    def predict_loss(self, X):
        """Predicted loss :math:`\\hat l` of every row, batched over ``X``.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)

        Returns
        -------
        ndarray of float32 of shape (n_samples,)
        """
        X = self._check_ready(X)
        dataset = self.get_dataset(X)
        out = np.empty(len(dataset), dtype=np.float32)
        pos = 0
        with torch.no_grad():
            for batch in self.get_iterator(dataset, training=False):
                with _tapped(
                    self.module_, self.loss_blocks_, self.final_layer()
                ) as taps:
                    self.evaluation_step(batch)  # eval mode, through infer
                pred = self.lossnet_(taps.features()).detach().float().cpu()
                out[pos : pos + len(pred)] = pred.numpy()
                pos += len(pred)
        return out
