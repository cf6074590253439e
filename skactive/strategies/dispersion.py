"""Label dispersion over training epochs (Bengar et al. 2021).

A skorch callback, :class:`PredictionRecorder`, records the predicted label of
every pool row at the end of each training epoch; :class:`LabelDispersion`
scores each row by how often that prediction changed.
"""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback

from .. import scores as _scores
from .._rows import n_rows
from ..selection import top_k
from ._base import QueryStrategy

__all__ = ["PredictionRecorder", "LabelDispersion"]


class PredictionRecorder(Callback):
    """Record the predicted class of every pool row after each epoch.

    Add it to a skorch / skactive net
    (``DeepClassifier(..., callbacks=[("recorder", PredictionRecorder(X_pool))])``).
    At the end of every epoch it predicts ``X_pool`` (eval mode, batched) and
    appends the predicted class **indices** (positions in ``net.classes_``) as
    an ``int16`` column. A new ``fit`` starts a new record (kept across
    ``partial_fit`` calls and with ``warm_start=True``).

    Parameters
    ----------
    X_pool : array-like of shape (n_pool, ...)
        The unlabeled rows to track. Change it with ``set_params(X_pool=...)``
        (or ``net.set_params(callbacks__recorder__X_pool=...)``) when the pool
        shrinks; that clears the record. :class:`skactive.ActiveLearner` does
        this itself before every fit when it holds the pool (``X_pool=``).

    Attributes
    ----------
    predictions_ : ndarray of int16 of shape (n_pool, n_epochs)
        Predicted class index of each row at the end of each recorded epoch.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies.dispersion import PredictionRecorder
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> rec = PredictionRecorder(X[200:300])
    >>> net = DeepClassifier(MLP, max_epochs=3, random_state=0,
    ...                      callbacks=[("recorder", rec)]).fit(X[:200], y[:200])
    >>> rec.predictions_.shape, rec.predictions_.dtype
    ((100, 3), dtype('int16'))
    """

    def __init__(self, X_pool):
        self.X_pool = X_pool

    def initialize(self):
        """Start a new, empty record (skorch calls it when the net initialises).

        Returns
        -------
        PredictionRecorder
            The recorder itself, with no recorded epoch.
        """
        self.columns_ = []
        return self

    def set_params(self, **kwargs):
        """Set parameters (e.g. a new ``X_pool``) and clear the record.

        Parameters
        ----------
        **kwargs : dict
            Parameters of the recorder, such as ``X_pool``.

        Returns
        -------
        PredictionRecorder
            The recorder itself, with no recorded epoch.
        """
        super().set_params(**kwargs)
        self.columns_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        """Predict ``X_pool`` and append the predicted class indices to the record.

        The net predicts in eval mode; the training mode of its modules and
        torch's random state are restored afterwards, so training proceeds as
        it would without the recorder.

        Parameters
        ----------
        net : skorch net
            The net being trained (skorch passes it).
        **kwargs : dict
            Other arguments skorch passes to epoch callbacks (ignored).
        """
        # predict in eval mode, then restore each module's mode and the torch
        # RNG, so recording leaves training exactly as it would be without it
        modules = list(net.module_.modules())
        modes = [m.training for m in modules]
        cpu_state = torch.random.get_rng_state()
        cuda_states = (
            torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        )
        try:
            proba = net.predict_proba(self.X_pool)
        finally:
            for m, mode in zip(modules, modes, strict=True):
                m.training = mode
            torch.random.set_rng_state(cpu_state)
            if cuda_states is not None:
                torch.cuda.set_rng_state_all(cuda_states)
        if proba.shape[1] > np.iinfo(np.int16).max:
            raise ValueError(
                f"PredictionRecorder stores int16 labels; {proba.shape[1]} classes "
                "do not fit."
            )
        if not hasattr(self, "columns_"):
            self.columns_ = []
        self.columns_.append(np.asarray(proba).argmax(axis=1).astype(np.int16))

    @property
    def predictions_(self):
        """Recorded predicted class indices, one column per epoch.

        Returns
        -------
        ndarray of int16 of shape (n_pool, n_epochs)
            Empty (``n_epochs = 0``) before the first recorded epoch.
        """
        columns = getattr(self, "columns_", [])
        if not columns:
            return np.empty((n_rows(self.X_pool), 0), dtype=np.int16)
        return np.stack(columns, axis=1)


def _find_recorder(net):
    for item in getattr(net, "callbacks_", None) or ():
        cb = item[1] if isinstance(item, tuple) else item
        if isinstance(cb, PredictionRecorder):
            return cb
    return None


class LabelDispersion(QueryStrategy):
    """Label-dispersion sampling (Bengar et al. 2021).

    ``dispersion(x) = 1 - f_x / T`` (:func:`skactive.scores.label_dispersion`),
    where ``T`` is the number of recorded epochs and ``f_x`` the count of the
    most frequent predicted label of ``x`` among them; the rows whose
    prediction changed most often during training are picked.

    The predictions come from the ``predictions`` keyword (an integer array
    ``(n_pool, T)``) or else from the :class:`PredictionRecorder` among the
    net's ``callbacks_``. They must describe the very rows passed as
    ``X_pool`` (same rows, same order), so there is no candidate subsample.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=None
        Breaks ties (dispersion takes few distinct values).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies.dispersion import LabelDispersion, PredictionRecorder
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=4, random_state=0,
    ...     callbacks=[("recorder", PredictionRecorder(X[200:400]))])
    >>> net = net.fit(X[:200], y[:200])
    >>> LabelDispersion(random_state=0)(net, X[200:400], 3).shape
    (3,)
    """

    def __init__(self, *, random_state=None):
        super().__init__(R=None, random_state=random_state)

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        predictions = kwargs.pop("predictions", None)
        self._reject_kwargs(kwargs, type(self).__name__)
        if predictions is None:
            recorder = _find_recorder(estimator)
            if recorder is None:
                raise ValueError(
                    "LabelDispersion needs per-epoch predictions: pass "
                    "predictions=... or train the net with a PredictionRecorder "
                    "callback."
                )
            predictions = recorder.predictions_
        predictions = np.asarray(predictions)
        if predictions.ndim != 2 or predictions.shape[0] != n_rows(X):
            raise ValueError(
                f"predictions must have shape (n_pool={n_rows(X)}, n_epochs), got "
                f"{predictions.shape}; record the same pool that is queried."
            )
        if predictions.shape[1] == 0:
            raise ValueError("No epoch has been recorded yet; fit the net first.")
        scores = _scores.label_dispersion(predictions)
        indices = top_k(scores, n_instances, random_state=rng)
        return indices, scores[indices]
