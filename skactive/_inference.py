"""Batched inference over a pool: what strategies ask of an estimator."""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed
from sklearn.pipeline import Pipeline

from ._rows import n_rows, slice_rows
from ._validation import check_has_method

__all__ = ["predict_proba_pool", "embed_pool", "is_skorch_net", "DEFAULT_CHUNK_ROWS"]

#: Rows per call for estimators that are not skorch nets.
DEFAULT_CHUNK_ROWS = 16384


def is_skorch_net(estimator) -> bool:
    """Whether ``estimator`` is a skorch net (which batches inference itself)."""
    return any(
        klass.__module__.startswith("skorch.") and klass.__name__ == "NeuralNet"
        for klass in type(estimator).__mro__
    )


def _chunked(fn, X, batch_size, n_jobs):
    """``fn`` over row chunks of ``X``, concatenated; chunks in parallel with joblib.

    Parallel chunks run under whatever joblib backend is active, so
    ``with joblib.parallel_config(backend="dask"): ...`` spreads them over a
    Dask cluster.
    """
    n = n_rows(X)
    step = DEFAULT_CHUNK_ROWS if batch_size is None else int(batch_size)
    if step < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")
    if n <= step:
        return np.asarray(fn(X))
    bounds = [(s, min(s + step, n)) for s in range(0, n, step)]
    if n_jobs is None or n_jobs == 1:
        parts = [np.asarray(fn(slice_rows(X, a, b))) for a, b in bounds]
    else:
        parts = Parallel(n_jobs=n_jobs)(
            delayed(fn)(slice_rows(X, a, b)) for a, b in bounds
        )
    return np.concatenate([np.asarray(p) for p in parts], axis=0)


def predict_proba_pool(estimator, X, *, batch_size=None, n_jobs=None):
    """Class probabilities of every row of ``X``, computed in chunks.

    skorch nets batch inference themselves (``batch_size`` of their iterator,
    on their device); other estimators are called on chunks of ``batch_size``
    rows (default :data:`DEFAULT_CHUNK_ROWS`), in parallel over ``n_jobs``
    joblib workers when asked, so a pool of millions of rows never goes
    through one ``predict_proba`` call.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    X : array-like of shape (n_samples, ...)
    batch_size : int or None, default=None
    n_jobs : int or None, default=None
        joblib workers for the chunks (``-1``: all cores; any joblib backend,
        e.g. Dask or Ray, applies).

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    """
    check_has_method(estimator, "predict_proba", purpose="this query strategy")
    if is_skorch_net(estimator):
        return np.asarray(estimator.predict_proba(X))
    return _chunked(estimator.predict_proba, X, batch_size, n_jobs)


def _flatten(X):
    X = np.asarray(X)
    return X.reshape(X.shape[0], -1)


def embed_pool(estimator, X, *, return_proba=False, batch_size=None, n_jobs=None):
    """Embeddings of every row of ``X`` (and probabilities, from the same pass).

    * Estimators with ``predict_proba_with_embedding`` (skactive nets): the
      penultimate embedding, from the forward pass that gives the
      probabilities.
    * Estimators with ``embed``: that.
    * A scikit-learn :class:`~sklearn.pipeline.Pipeline`: the features its
      final step sees (``pipeline[:-1].transform``).
    * Any other estimator: the rows themselves, flattened to 2-D.

    Parameters
    ----------
    estimator : fitted estimator
    X : array-like of shape (n_samples, ...)
    return_proba : bool, default=False
    batch_size, n_jobs : int or None
        Chunking of scikit-learn estimators (see :func:`predict_proba_pool`).

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        Only when ``return_proba`` is true.
    embedding : ndarray of shape (n_samples, n_features_embedding)
    """
    if callable(getattr(estimator, "predict_proba_with_embedding", None)):
        if return_proba:
            return estimator.predict_proba_with_embedding(X)
        return estimator.embed(X)
    if callable(getattr(estimator, "embed", None)):
        emb = np.asarray(estimator.embed(X))
    elif isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        emb = _chunked(
            lambda chunk: _flatten(estimator[:-1].transform(chunk)),
            X,
            batch_size,
            n_jobs,
        )
    else:
        emb = _flatten(X)
    if not np.issubdtype(emb.dtype, np.floating):
        emb = emb.astype(np.float32)
    if return_proba:
        return predict_proba_pool(
            estimator, X, batch_size=batch_size, n_jobs=n_jobs
        ), emb
    return emb
