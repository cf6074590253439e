"""Label dispersion over training epochs (Bengar et al. 2021).

A skorch callback, :class:`skactive.callbacks.PredictionRecorder`, records the
predicted label of every pool row at the end of each training epoch;
:class:`LabelDispersion` scores each row by how often that prediction changed.
"""

from __future__ import annotations

import numpy as np

from .. import scores as _scores
from .._rows import n_rows
from .._validation import InvalidParameterError
from ..callbacks import PredictionRecorder
from ..selection import top_k
from ._base import QueryStrategy

__all__ = ["PredictionRecorder", "LabelDispersion"]


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

    #: per-epoch predictions come from a net's PredictionRecorder callback
    needs = "net"

    def __init__(self, *, random_state=None):
        super().__init__(R=None, random_state=random_state)

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        predictions = kwargs.pop("predictions", None)
        self._reject_kwargs(kwargs, type(self).__name__)
        if predictions is None:
            recorder = _find_recorder(estimator)
            if recorder is None:
                raise InvalidParameterError(
                    "LabelDispersion needs per-epoch predictions: pass "
                    "predictions=... or train the net with a PredictionRecorder "
                    "callback."
                )
            predictions = recorder.predictions_
        predictions = np.asarray(predictions)
        if predictions.ndim != 2 or predictions.shape[0] != n_rows(X):
            raise InvalidParameterError(
                f"predictions must have shape (n_pool={n_rows(X)}, n_epochs), got "
                f"{predictions.shape}; record the same pool that is queried."
            )
        if predictions.shape[1] == 0:
            raise InvalidParameterError(
                "No epoch has been recorded yet; fit the net first."
            )
        scores = _scores.label_dispersion(predictions)
        indices = top_k(scores, n_instances, random_state=rng)
        return indices, scores[indices]
