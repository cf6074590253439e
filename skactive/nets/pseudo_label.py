"""Confident pseudo-labels (CEAL, Wang et al. 2017) as a skorch classifier."""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_params,
)
from ._pseudo import _PseudoLabelTraining

__all__ = ["PseudoLabelClassifier", "confident_pseudo_labels"]

_CONFIDENCE = ("entropy", "max_proba")


@validate_params(
    {
        "proba": ["array-like"],
        "confidence": [StrOptions(set(_CONFIDENCE))],
        "threshold": [Interval(numbers.Real, None, None)],
    }
)
def confident_pseudo_labels(proba, *, confidence="entropy", threshold):
    """Pseudo-labels of the confident rows, ``-1`` for the others.

    A row is confident when the entropy of its predicted distribution (in
    nats) is **below** ``threshold`` (``confidence="entropy"``, CEAL's
    ``delta``) or when its largest probability is **at least** ``threshold``
    (``confidence="max_proba"``). Its pseudo-label is the column of its
    largest probability.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities.
    confidence : {"entropy", "max_proba"}, default="entropy"
        The confidence criterion.
    threshold : float
        Entropy bound ``delta`` (a row is kept when ``H < delta``) or
        probability bound (kept when ``max p >= threshold``).

    Returns
    -------
    pseudo_labels : ndarray of shape (n_samples,)
        Column indices (``0 .. n_classes - 1``) of the confident rows, ``-1``
        elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.nets.pseudo_label import confident_pseudo_labels
    >>> proba = np.array([[0.99, 0.01], [0.6, 0.4], [0.02, 0.98]])
    >>> confident_pseudo_labels(proba, confidence="max_proba", threshold=0.95)
    array([ 0, -1,  1])
    >>> confident_pseudo_labels(proba, confidence="entropy", threshold=0.1)
    array([ 0, -1,  1])
    """
    threshold = float(threshold)
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2:
        raise InvalidParameterError(f"proba must be 2-D, got shape {proba.shape}.")
    labels = proba.argmax(axis=1)
    if confidence == "max_proba":
        keep = proba.max(axis=1) >= threshold
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(proba > 0, proba * np.log(proba), 0.0)
        keep = -plogp.sum(axis=1) < threshold
    return np.where(keep, labels, -1).astype(np.int64)


class PseudoLabelClassifier(_PseudoLabelTraining):
    """Cost-effective active learning's confident pseudo-labels (CEAL).

    Wang et al. (2017) add the unlabeled rows that the current model
    predicts confidently to the training set with their predicted label.
    Here the confident rows are re-selected at the start of every epoch
    (after ``warmup_epochs`` epochs on the labeled rows alone) from the
    predictions of the current model on all unlabeled rows:

    * ``confidence="entropy"`` (CEAL): rows whose predictive entropy (nats)
      is below ``delta_t = delta - delta_decay * t``, where ``t`` is the number
      of earlier ``fit`` calls of this net -- the active-learning round, since
      the learner refits every round -- so the criterion gets stricter round
      after round (CEAL's ``delta_0`` and ``dr``); a negative bound selects
      nothing;
    * ``confidence="max_proba"``: rows whose largest probability is at least
      ``threshold`` (fixed over rounds).

    Each training step minimises the mean cross-entropy on the labeled batch
    plus ``pseudo_weight`` times the cross-entropy of the confident rows of
    the unlabeled batch (with their pseudo-labels) summed and divided by the
    unlabeled batch size (so the term grows with the confident fraction).
    See :func:`confident_pseudo_labels` for the selection rule.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns logits.
    *args
        Passed on to :class:`~skactive.nets.DeepClassifier` after ``module``;
        as there, a positional argument raises a ``TypeError``: give every
        argument other than ``module`` by keyword.
    confidence : {"entropy", "max_proba"}, default="entropy"
        Selection criterion.
    delta : float, default=0.05
        Entropy bound of the first round (CEAL's ``delta_0``), in nats.
    delta_decay : float, default=0.0033
        Decrease of the entropy bound per round (CEAL's ``dr``).
    threshold : float, default=0.95
        Probability bound for ``confidence="max_proba"``.
    pseudo_weight : float, default=1.0
        Weight of the pseudo-labeled term.
    warmup_epochs : int, default=0
        Epochs of each fit trained on the labeled rows only before the first
        selection.
    **kwargs
        Any :class:`SemiSupervisedClassifier` parameter.

    Attributes
    ----------
    n_fits_ : int
        Number of ``fit`` calls so far (the current one included).
    threshold_ : float
        The bound used in the last fit (``delta_t`` or ``threshold``).
    pseudo_labels_ : ndarray of shape (n_unlabeled,)
        Encoded pseudo-labels of the unlabeled rows from the last selection
        (``-1``: not selected).
    n_pseudo_labeled_ : int
        Rows selected at the last selection.

    References
    ----------
    K. Wang, D. Zhang, Y. Li, R. Zhang and L. Lin, "Cost-Effective Active
    Learning for Deep Image Classification", IEEE TCSVT 27(12), 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP
    >>> from skactive.nets.pseudo_label import PseudoLabelClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> y_semi = np.where(np.arange(len(y)) < 100, y, -1)
    >>> net = PseudoLabelClassifier(MLP, confidence="max_proba", threshold=0.9,
    ...                             max_epochs=3, random_state=0)
    >>> net.fit(X[:400], y_semi[:400]).pseudo_labels_.shape
    (300,)
    """

    _parameter_constraints = {
        "confidence": [StrOptions(set(_CONFIDENCE))],
        "delta": [Interval(numbers.Real, None, None)],
        "delta_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "threshold": [Interval(numbers.Real, 0, 1, closed="both")],
        "pseudo_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "warmup_epochs": [Interval(numbers.Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        module,
        *args,
        confidence="entropy",
        delta=0.05,
        delta_decay=0.0033,
        threshold=0.95,
        pseudo_weight=1.0,
        warmup_epochs=0,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.confidence = confidence
        self.delta = delta
        self.delta_decay = delta_decay
        self.threshold = threshold
        self.pseudo_weight = pseudo_weight
        self.warmup_epochs = warmup_epochs

    def fit(self, X, y, **fit_params):
        """Fit on labeled rows and confident unlabeled rows (``y == -1``).

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
            Labels, ``-1`` for unlabeled rows.
        **fit_params : dict
            Passed to skorch's ``fit``.

        Returns
        -------
        self : PseudoLabelClassifier
        """
        previous = getattr(self, "n_fits_", 0)
        self.n_fits_ = previous + 1
        try:
            return super().fit(X, y, **fit_params)
        except Exception:
            self.n_fits_ = previous  # a failed fit is not a round
            raise

    def current_threshold(self):
        """The selection bound of the current round.

        Returns
        -------
        float
            ``delta - delta_decay * (n_fits_ - 1)`` for the entropy criterion,
            ``threshold`` for ``max_proba``.
        """
        if self.confidence == "max_proba":
            return float(self.threshold)
        rounds_before = max(getattr(self, "n_fits_", 1) - 1, 0)
        return float(self.delta) - float(self.delta_decay) * rounds_before

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Validate, seed, and fix this round's selection bound.

        skorch calls this hook of the net at the start of every ``fit`` /
        ``partial_fit``, before the callbacks' hooks. It sets ``threshold_``
        (:meth:`current_threshold`) and clears the selection of an earlier
        fit.

        Parameters
        ----------
        net : PseudoLabelClassifier
            The net being trained (this net: skorch passes it to every hook).
        X : array-like or torch.Tensor of shape (n_samples, ...), default=None
            The training inputs, labeled and unlabeled; passed on to the
            parent hook.
        y : ndarray of shape (n_samples,), default=None
            Their encoded labels, ``-1`` for unlabeled rows; passed on to the
            parent hook.
        **kwargs : dict
            Other arguments of skorch's hook; passed on to the parent hook.
        """
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self.threshold_ = self.current_threshold()
        self.epochs_in_fit_ = 0
        self.pseudo_labels_ = np.empty(0, dtype=np.int64)
        self.n_pseudo_labeled_ = 0

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Re-select the confident unlabeled rows with the current model.

        skorch calls this hook of the net at the start of every epoch, before
        the callbacks' hooks. From epoch ``warmup_epochs`` of this fit
        (counted from 0) on, the unlabeled rows are predicted and the
        confident ones kept (:func:`confident_pseudo_labels` with
        ``threshold_``); before it, none is selected. It sets
        ``pseudo_labels_`` and ``n_pseudo_labeled_``.

        Parameters
        ----------
        net : PseudoLabelClassifier
            The net being trained (this net: skorch passes it to every hook).
        dataset_train : SemiSupervisedDataset or None, default=None
            The training rows, whose unlabeled rows are predicted; also
            passed on to the parent hook.
        dataset_valid : torch.utils.data.Dataset or None, default=None
            The validation rows (labeled only), ``None`` without a
            ``train_split``; passed on to the parent hook.
        **kwargs : dict
            Other arguments of skorch's hook; passed on to the parent hook.
        """
        super().on_epoch_begin(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        n_unlabeled = 0 if dataset_train is None else dataset_train.n_unlabeled
        labels = np.full(n_unlabeled, -1, dtype=np.int64)
        if n_unlabeled and self.epochs_in_fit_ >= self.warmup_epochs:
            with self._rng_preserved():
                proba = self.predict_proba(dataset_train.unlabeled())
            labels = confident_pseudo_labels(
                proba, confidence=self.confidence, threshold=self.threshold_
            )
        self.pseudo_labels_ = labels
        self.n_pseudo_labeled_ = int(np.sum(labels >= 0))
        self.epochs_in_fit_ += 1

    def pseudo_targets(self, unlabeled_index):
        """The confident rows of a batch and their pseudo-labels (weight 1).

        Parameters
        ----------
        unlabeled_index : ndarray of int
            Positions of the batch's unlabeled rows among the unlabeled rows
            of the training set.

        Returns
        -------
        rows : ndarray of int
            Positions within the batch of the confident rows.
        targets : ndarray of int
            Their pseudo-labels (``pseudo_labels_``).
        weights : None
            Every confident row weighs 1.
        """
        pseudo = self.pseudo_labels_[unlabeled_index]
        rows = np.flatnonzero(pseudo >= 0)
        return rows, pseudo[rows], None

    def pseudo_label_weight(self):
        """``pseudo_weight``: the weight of the pseudo-labeled term.

        Returns
        -------
        float
        """
        return float(self.pseudo_weight)
