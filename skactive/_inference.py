"""Batched inference over a pool: what strategies ask of an estimator."""

from __future__ import annotations

import numpy as np

from ._validation import check_has_method, n_rows, slice_rows

__all__ = ["predict_proba_pool", "is_skorch_net", "DEFAULT_CHUNK_ROWS"]

#: Rows per ``predict_proba`` call for estimators that are not skorch nets.
DEFAULT_CHUNK_ROWS = 16384


def is_skorch_net(estimator) -> bool:
    """Whether ``estimator`` is a skorch net (which batches inference itself)."""
    return any(
        klass.__module__.startswith("skorch.") and klass.__name__ == "NeuralNet"
        for klass in type(estimator).__mro__
    )


def predict_proba_pool(estimator, X, *, batch_size=None):
    """Class probabilities of every row of ``X``, computed in chunks.

    skorch nets batch inference themselves (``batch_size`` of their iterator);
    other estimators are called on chunks of ``batch_size`` rows (default
    :data:`DEFAULT_CHUNK_ROWS`) so a pool of millions of rows never goes through
    one ``predict_proba`` call.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    X : array-like of shape (n_samples, ...)
    batch_size : int or None, default=None

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    """
    check_has_method(estimator, "predict_proba", purpose="this query strategy")
    if is_skorch_net(estimator):
        return np.asarray(estimator.predict_proba(X))
    n = n_rows(X)
    step = DEFAULT_CHUNK_ROWS if batch_size is None else int(batch_size)
    if n <= step:
        return np.asarray(estimator.predict_proba(X))
    parts = [
        np.asarray(estimator.predict_proba(slice_rows(X, s, min(s + step, n))))
        for s in range(0, n, step)
    ]
    return np.concatenate(parts, axis=0)
