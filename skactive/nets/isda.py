"""ISDA-trained classifier: DAST-AL's trainer (Wang et al., TPAMI 2021)."""

from __future__ import annotations

import numbers

import numpy as np
import torch
import torch.nn.functional as F
from skorch.dataset import unpack_data
from skorch.utils import to_tensor

from .._validation import Interval, InvalidParameterError, validate_estimator_params
from ..losses.isda import ISDALoss, isda_lambda
from ._classifier import DeepClassifier, _first_output
from ._hooks import layer_input

__all__ = ["ISDAClassifier"]


def _is_isda_criterion(criterion):
    if isinstance(criterion, type):
        return issubclass(criterion, ISDALoss)
    return isinstance(criterion, ISDALoss)


class ISDAClassifier(DeepClassifier):
    r"""A deep classifier trained with implicit semantic data augmentation.

    The trainer of DAST-AL: every training step augments the penultimate
    features of each labeled sample implicitly along directions drawn from
    its class-conditional Gaussian ``N(0, lambda * Sigma_y)`` by minimising
    :class:`~skactive.losses.ISDALoss` (the cross-entropy of the ISDA
    *augmented logits*). The class covariances ``Sigma_c`` are estimated
    online from the features of the training batches, and are exposed after
    fit together with the class means and the final linear layer, which is
    what EPMCM (DAST-AL's query score) reads.

    Each training step runs **one** forward pass: with a module that follows
    the contract of :mod:`skactive.nets.modules` (``features``, ``dropout``,
    ``classifier``) the step computes ``f = module.features(x)`` and the
    logits ``module.classifier(module.dropout(f))``; the class statistics are
    updated with ``f`` (the features :meth:`embed` returns) and the augmented
    logits are computed from the classifier input ``module.dropout(f)``, so
    that dropout still acts in training. Any other module is run through its
    ``forward`` and the input of its final :class:`torch.nn.Linear` is
    captured by a hook and used for both.

    The strength follows the linear schedule of the paper,
    ``lambda = lambda0 * epoch / max_epochs`` with ``epoch = 0, 1, ...``
    counted from the start of each :meth:`fit` / :meth:`partial_fit` call
    (so every active-learning round anneals from 0 again), computed by the
    net's own ``on_epoch_begin`` hook; it is recorded in the history as
    ``"isda_lambda"``. Validation losses (with a ``train_split``) are the
    plain cross-entropy and do not touch the statistics.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns logits and ends with a :class:`torch.nn.Linear` (its
        ``classifier`` attribute, or the last ``Linear``), as the modules in
        :mod:`skactive.nets` do.
    *args
        Passed on to :class:`~skactive.nets.DeepClassifier` after ``module``;
        as there, a positional argument raises a ``TypeError``: give every
        argument other than ``module`` by keyword.
    criterion : ISDALoss class or instance, default=ISDALoss
        Built with ``n_features`` (input size of the final linear layer) and
        ``n_classes`` (its output size) inferred at fit time, and with
        ``lambda0`` and ``diagonal`` taken from this net; other arguments go
        through ``criterion__...`` (e.g. ``criterion__reduction="sum"``).
    lambda0 : float, default=0.5
        Final augmentation strength ``lambda_0`` of the schedule (``>= 0``;
        0 gives plain cross-entropy training with statistics still recorded).
    diagonal : bool, default=False
        Keep per-class variances instead of full covariances: the statistics
        need ``C * d`` floats instead of ``C * d**2``. Use it for wide
        embeddings or many classes (e.g. ``C * d**2`` above a few hundred MB:
        1000 classes with 2048 features is ~17 GB in full), or when classes
        have far fewer labeled samples than ``d`` so the full ``d x d``
        estimate is rank-deficient anyway. ``class_covariances_`` then has
        shape ``(C, d)``.
    **kwargs
        Every other argument of :class:`~skactive.nets.DeepClassifier`
        (``optimizer``, ``lr``, ``max_epochs``, ``batch_size``, ``classes``,
        ``random_state``, ``device``, ``module__...`` ...).

    Attributes
    ----------
    class_means_ : ndarray of shape (n_classes, n_features_embedding)
        Per-class means of the training features, accumulated over all
        batches of all epochs (the features change while the net trains).
    class_covariances_ : ndarray of shape (n_classes, d, d) or (n_classes, d)
        Per-class biased (``1/n``) covariances of the same features, or
        variances when ``diagonal=True``. Classes never seen are zero.
    class_counts_ : ndarray of shape (n_classes,)
        Number of feature vectors accumulated per class.
    coef_ : ndarray of shape (n_classes, n_features_embedding)
        Weight of the final linear layer.
    intercept_ : ndarray of shape (n_classes,)
        Its bias (zeros if it has none).
    isda_lambda_ : float
        Strength used in the last epoch.
    classes_, input_shape_, n_features_in_, module_, criterion_
        As in :class:`~skactive.nets.DeepClassifier`; ``criterion_`` is the
        :class:`~skactive.losses.ISDALoss` holding the live statistics.

    Notes
    -----
    The fitted arrays are numpy snapshots taken at the end of every
    ``fit`` / ``partial_fit`` call. ``predict_proba`` is the softmax of the
    plain (un-augmented) logits. With ``warm_start=True`` the statistics keep
    accumulating across calls; otherwise each ``fit`` starts them afresh.
    As with any skorch net, ``set_params(criterion__...)`` on an initialised
    net rebuilds the criterion (and the optimizer), which resets the
    statistics.

    References
    ----------
    Y. Wang, G. Huang, S. Song, X. Pan, Y. Xia and C. Wu, "Regularizing Deep
    Networks with Semantic Data Augmentation", IEEE TPAMI 44(7), 2021.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP
    >>> from skactive.nets.isda import ISDAClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = ISDAClassifier(MLP, max_epochs=4, random_state=0,
    ...                      module__hidden_units=(32,)).fit(X[:200], y[:200])
    >>> net.class_covariances_.shape, net.class_means_.shape
    ((10, 32, 32), (10, 32))
    >>> net.coef_.shape, net.intercept_.shape
    ((10, 32), (10,))
    >>> [round(v, 3) for v in net.history[:, "isda_lambda"]]
    [0.0, 0.125, 0.25, 0.375]
    >>> net.predict_proba(X[:2]).shape
    (2, 10)
    """

    def __init__(
        self,
        module,
        *args,
        criterion=ISDALoss,
        lambda0=0.5,
        diagonal=False,
        **kwargs,
    ):
        super().__init__(module, *args, criterion=criterion, **kwargs)
        self.lambda0 = lambda0
        self.diagonal = diagonal

    # ------------------------------------------------------------ validation
    _parameter_constraints = {
        "lambda0": [Interval(numbers.Real, 0, None, closed="left")],
        "diagonal": ["boolean"],
    }

    def _check_isda_params(self):
        validate_estimator_params(self)
        if not _is_isda_criterion(self.criterion):
            raise InvalidParameterError(
                f"{type(self).__name__} needs an ISDALoss criterion (class or "
                f"instance), got {self.criterion!r}."
            )

    def fit(self, X, y, **fit_params):
        """Initialise (unless warm-starting) and train with the ISDA loss.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
            2-D features or an image batch.
        y : array-like of shape (n_samples,)
            Class labels (any type).
        **fit_params : dict
            Passed to skorch's ``fit``.

        Returns
        -------
        self : ISDAClassifier
        """
        self._check_isda_params()
        return super().fit(X, y, **fit_params)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Continue training with the ISDA loss (see :meth:`fit`).

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
        classes : array-like or None
            Accepted for scikit-learn compatibility.
        **fit_params : dict

        Returns
        -------
        self : ISDAClassifier
        """
        self._check_isda_params()
        return super().partial_fit(X, y, classes=classes, **fit_params)

    # --------------------------------------------------------------- module
    def _final_linear(self):
        """The final linear layer whose weight and bias ISDA augments."""
        head = self.final_layer()
        if not isinstance(head, torch.nn.Linear):
            raise InvalidParameterError(
                f"{type(self).__name__} needs a module ending with a "
                f"torch.nn.Linear; the final layer of {type(self.module_).__name__} "
                f"is {type(head).__name__}."
            )
        return head

    def initialize_criterion(self):
        """Build the :class:`~skactive.losses.ISDALoss` for the module's head.

        ``n_features`` and ``n_classes`` are the input and output sizes of
        the final linear layer unless given as ``criterion__...``;
        ``lambda0`` and ``diagonal`` are this net's parameters.
        """
        kwargs = self.get_params_for("criterion")
        if isinstance(self.criterion, type):
            head = self._final_linear()
            kwargs.setdefault("n_features", head.in_features)
            kwargs.setdefault("n_classes", head.out_features)
            kwargs["lambda0"] = float(self.lambda0)
            kwargs["diagonal"] = bool(self.diagonal)
        self.criterion_ = self.initialized_instance(self.criterion, kwargs)
        return self

    def _criterion_matches(self):
        crit = self.criterion_
        head = self._final_linear()
        return (
            crit.n_features == head.in_features
            and crit.n_classes == head.out_features
            and crit.diagonal == bool(self.diagonal)
        )

    # --------------------------------------------------------------- training
    def _forward_with_features(self, Xi, **fit_params):
        """One forward pass: ``(features, classifier input, logits)``."""
        x = self._transform_input(to_tensor(Xi, device=self.device))
        module = self.module_
        head = self._final_linear()
        features_fn = getattr(module, "features", None)
        dropout = getattr(module, "dropout", None)
        if (
            not fit_params
            and callable(features_fn)
            and isinstance(dropout, torch.nn.Module)
            and getattr(module, "classifier", None) is head
        ):
            features = features_fn(x).flatten(1)
            hidden = dropout(features)
            return features, hidden, head(hidden)
        with layer_input(head, detach=False) as captured:
            logits = _first_output(module(x, **fit_params))
        hidden = captured.value.flatten(1)
        return hidden, hidden, logits

    def _isda_loss(self, features, hidden, y_true, lambda_):
        """Update the statistics with ``features``; ISDA CE from ``hidden``."""
        crit = self.criterion_
        head = self._final_linear()
        y_true = to_tensor(y_true, device=self.device).long()
        if hidden is features:
            return crit(features, y_true, head.weight, head.bias, lambda_=lambda_)
        crit.update(features, y_true)
        logits = crit.augmented_logits(
            hidden, y_true, head.weight, head.bias, lambda_=lambda_
        )
        return F.cross_entropy(logits, y_true, reduction=crit.reduction)

    def train_step_single(self, batch, **fit_params):
        """Forward once, update the class statistics, back-propagate ISDA.

        Parameters
        ----------
        batch : tuple
            ``(X, y)`` from the training iterator.
        **fit_params : dict
            Passed to the module's ``forward`` (which disables the
            ``features`` fast path).

        Returns
        -------
        dict
            ``{"loss": loss, "y_pred": logits}``.
        """
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        features, hidden, logits = self._forward_with_features(Xi, **fit_params)
        lam = getattr(self, "isda_lambda_", 0.0)
        loss = self._isda_loss(features, hidden, yi, lam)
        loss.backward()
        return {"loss": loss, "y_pred": logits}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Plain cross-entropy of the logits (validation and scoring).

        The ISDA loss needs the features, so training goes through
        :meth:`train_step_single`; this method never updates the statistics.

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
        y_true = to_tensor(y_true, device=self.device).long()
        reduction = getattr(self.criterion_, "reduction", "mean")
        return F.cross_entropy(_first_output(y_pred), y_true, reduction=reduction)

    # -------------------------------------------------------------- hooks
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Start the lambda schedule; rebuild a criterion that no longer fits.

        skorch calls this hook of the net at the start of every ``fit`` /
        ``partial_fit``, before the callbacks' hooks. The schedule counts
        epochs from the current length of the history. The criterion is
        rebuilt (statistics reset) when its sizes or ``diagonal`` no longer
        match the module's final layer and this net's ``diagonal``.

        Parameters
        ----------
        net : ISDAClassifier
            The net being trained (this net: skorch passes it to every hook).
        X : array-like or torch.Tensor of shape (n_samples, ...), default=None
            The training inputs; passed on to the parent hook.
        y : ndarray of shape (n_samples,), default=None
            Their encoded labels; passed on to the parent hook.
        **kwargs : dict
            Other arguments of skorch's hook; passed on to the parent hook.
        """
        super().on_train_begin(net, X=X, y=y, **kwargs)
        if not self._criterion_matches():
            # e.g. set_params(module__hidden_units=...) or a changed
            # ``diagonal`` with warm_start=True
            self._initialize_criterion()
        self.isda_start_epoch_ = len(self.history)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Set ``isda_lambda_ = lambda0 * epoch / max_epochs`` for this epoch.

        skorch calls this hook of the net at the start of every epoch, before
        the callbacks' hooks. The parent hook starts the epoch's row of the
        history, where the strength is recorded as ``"isda_lambda"``.

        Parameters
        ----------
        net : ISDAClassifier
            The net being trained (this net: skorch passes it to every hook).
        dataset_train : torch.utils.data.Dataset or None, default=None
            The training rows; passed on to the parent hook.
        dataset_valid : torch.utils.data.Dataset or None, default=None
            The validation rows, ``None`` without a ``train_split``; passed on
            to the parent hook.
        **kwargs : dict
            Other arguments of skorch's hook; passed on to the parent hook.
        """
        super().on_epoch_begin(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        start = getattr(self, "isda_start_epoch_", 0)
        epoch = min(max(len(self.history) - 1 - start, 0), self.max_epochs)
        self.isda_lambda_ = isda_lambda(epoch, max(self.max_epochs, 1), self.lambda0)
        self.history.record("isda_lambda", self.isda_lambda_)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Snapshot the class statistics and the final layer as numpy arrays.

        skorch calls this hook of the net at the end of every ``fit`` /
        ``partial_fit``, before the callbacks' hooks. It sets
        ``class_means_``, ``class_covariances_``, ``class_counts_``,
        ``coef_`` and ``intercept_``.

        Parameters
        ----------
        net : ISDAClassifier
            The net being trained (this net: skorch passes it to every hook).
        X : array-like or torch.Tensor of shape (n_samples, ...), default=None
            The training inputs; passed on to the parent hook.
        y : ndarray of shape (n_samples,), default=None
            Their encoded labels; passed on to the parent hook.
        **kwargs : dict
            Other arguments of skorch's hook; passed on to the parent hook.
        """
        super().on_train_end(net, X=X, y=y, **kwargs)
        crit = self.criterion_
        head = self._final_linear()
        with torch.no_grad():
            self.class_means_ = crit.class_means.detach().cpu().numpy().copy()
            self.class_covariances_ = (
                crit.class_covariances.detach().cpu().numpy().copy()
            )
            self.class_counts_ = crit.class_counts.detach().cpu().numpy().copy()
            self.coef_ = head.weight.detach().float().cpu().numpy().copy()
            if head.bias is None:
                self.intercept_ = np.zeros(head.out_features, dtype=np.float32)
            else:
                self.intercept_ = head.bias.detach().float().cpu().numpy().copy()
