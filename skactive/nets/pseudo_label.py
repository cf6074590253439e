"""Confident pseudo-labels (CEAL, Wang et al. 2017) as a skorch classifier."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ._semi import SemiSupervisedClassifier, _check_real

__all__ = ["PseudoLabelClassifier", "confident_pseudo_labels"]

_CONFIDENCE = ("entropy", "max_proba")


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
    if confidence not in _CONFIDENCE:
        raise ValueError(
            f"confidence must be one of {_CONFIDENCE}, got {confidence!r}."
        )
    threshold = _check_real("threshold", threshold)
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2:
        raise ValueError(f"proba must be 2-D, got shape {proba.shape}.")
    labels = proba.argmax(axis=1)
    if confidence == "max_proba":
        keep = proba.max(axis=1) >= threshold
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(proba > 0, proba * np.log(proba), 0.0)
        keep = -plogp.sum(axis=1) < threshold
    return np.where(keep, labels, -1).astype(np.int64)


class PseudoLabelClassifier(SemiSupervisedClassifier):
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

    def _check_semi_params(self):
        super()._check_semi_params()
        if self.confidence not in _CONFIDENCE:
            raise ValueError(
                f"confidence must be one of {_CONFIDENCE}, got {self.confidence!r}."
            )
        _check_real("delta", self.delta)
        _check_real("delta_decay", self.delta_decay, low=0.0)
        _check_real("threshold", self.threshold, low=0.0, high=1.0)
        _check_real("pseudo_weight", self.pseudo_weight, low=0.0)
        if isinstance(self.warmup_epochs, bool) or not isinstance(
            self.warmup_epochs, int | np.integer
        ):
            raise ValueError(
                f"warmup_epochs must be an integer >= 0, got {self.warmup_epochs!r}."
            )
        if self.warmup_epochs < 0:
            raise ValueError(
                f"warmup_epochs must be an integer >= 0, got {self.warmup_epochs!r}."
            )

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

    def train_step_single(self, batch, **fit_params):
        """Cross-entropy on the labeled rows and the confident unlabeled rows.

        Parameters
        ----------
        batch : SemiSupervisedBatch
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        dict
            ``{"loss": loss, "y_pred": logits of the labeled rows}``.
        """
        self._set_training(True)
        Xl, yl, Xu, iu = batch
        n_u = Xu.shape[0]
        pseudo = self.pseudo_labels_[iu.numpy()] if n_u else np.empty(0, dtype=np.int64)
        selected = np.flatnonzero(pseudo >= 0)
        xl = self._model_input(Xl)
        n = xl.shape[0]
        if len(selected):
            xs = self._model_input(Xu[torch.as_tensor(selected)])
            logits = self._logits(torch.cat([xl, xs]), **fit_params)
        else:
            logits = self._logits(xl, **fit_params)
        loss = self.get_loss(logits[:n], yl, X=Xl, training=True)
        if len(selected):
            targets = torch.as_tensor(pseudo[selected], device=logits.device)
            loss_u = F.cross_entropy(logits[n:].float(), targets, reduction="sum")
            loss = loss + float(self.pseudo_weight) * loss_u / n_u
        loss.backward()
        return {"loss": loss, "y_pred": logits[:n]}
