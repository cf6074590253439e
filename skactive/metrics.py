"""Metrics of active-learning runs and of selected batches.

* :func:`learning_curve_auc` -- normalised area under a learning curve;
* :func:`class_distribution_distance` -- how far a selection's class
  proportions are from the pool's (Buchert et al. 2023, eq. 6);
* :func:`batch_diversity` -- mean pairwise distance within a batch;
* :func:`evaluate_initial_set` -- both of the last two for an initial set.

Each is a pure function of arrays: none of them calls a model. Every bad
argument raises :class:`~skactive._validation.InvalidParameterError` (both a
``ValueError`` and a ``TypeError``), naming the argument.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import InvalidParameterError, validate_params
from .selection._arrays import _BLOCK_ELEMS, _to_numpy

__all__ = [
    "learning_curve_auc",
    "class_distribution_distance",
    "batch_diversity",
    "evaluate_initial_set",
]


def _float_array(value, name):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:  # ragged lists, strings
        raise InvalidParameterError(f"{name} must hold numbers: {exc}") from None


@validate_params({"n_labels": ["array-like"], "scores": ["array-like"]})
def learning_curve_auc(n_labels, scores):
    """Normalised area under a learning curve (trapezoidal over the label budget).

    The area is divided by the width of the budget axis, so a constant curve at
    accuracy ``a`` has AUC ``a``.

    Parameters
    ----------
    n_labels : array-like of shape (n_points,)
        Strictly increasing label counts.
    scores : array-like of shape (n_points,)

    Returns
    -------
    float

    Examples
    --------
    >>> from skactive.metrics import learning_curve_auc
    >>> round(learning_curve_auc([10, 20, 30], [0.5, 0.7, 0.9]), 6)
    0.7
    """
    x = _float_array(n_labels, "n_labels")
    s = _float_array(scores, "scores")
    if x.ndim != 1 or x.shape != s.shape or x.size < 2:
        raise InvalidParameterError(
            "n_labels and scores must be 1-D of the same length, at least 2; got "
            f"shapes {x.shape} and {s.shape}."
        )
    if np.any(np.diff(x) <= 0):
        raise InvalidParameterError("n_labels must be strictly increasing.")
    area = float(np.sum((s[1:] + s[:-1]) * np.diff(x)) / 2.0)
    return float(area / (x[-1] - x[0]))


@validate_params({"y_selected": ["array-like"], "y_reference": ["array-like"]})
def class_distribution_distance(y_selected, y_reference):
    """Class-distribution distance ``max_c |p~_c - p_c|`` (Buchert et al., eq. 6).

    Parameters
    ----------
    y_selected : array-like of shape (n_selected,)
        Labels of the selected rows (``p~``).
    y_reference : array-like of shape (n_reference,)
        Labels of the reference set, e.g. the whole pool (``p``).

    Returns
    -------
    float

    Examples
    --------
    >>> from skactive.metrics import class_distribution_distance
    >>> class_distribution_distance([0, 0, 1, 1], [0, 1, 1, 1])
    0.25
    """
    y_selected = np.asarray(y_selected)
    y_reference = np.asarray(y_reference)
    if y_selected.size == 0 or y_reference.size == 0:
        raise InvalidParameterError("y_selected and y_reference must be non-empty.")
    classes = np.union1d(y_selected, y_reference)
    p_sel = np.array([(y_selected == c).mean() for c in classes])
    p_ref = np.array([(y_reference == c).mean() for c in classes])
    return float(np.abs(p_sel - p_ref).max())


@validate_params({"embeddings": ["array-like"]})
def batch_diversity(embeddings):
    """Mean pairwise Euclidean distance within a batch.

    The average of :math:`\\lVert f_i - f_j \\rVert_2` over all pairs
    :math:`i < j` (the diversity measure of Buchert et al., 2023), computed in
    float64 by row chunks so memory stays ``O(chunk * n)``.

    Parameters
    ----------
    embeddings : array-like or torch.Tensor of shape (n_samples, n_features)
        Embeddings of the batch.

    Returns
    -------
    diversity : float
        Mean pairwise distance; 0.0 for a batch with a single row.

    Examples
    --------
    >>> from skactive.metrics import batch_diversity
    >>> batch_diversity([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    3.3333333333333335
    """
    try:
        X = _to_numpy(embeddings, "embeddings")
    except (TypeError, ValueError) as exc:  # skactive.diversity's own checks
        if isinstance(exc, InvalidParameterError):
            raise
        raise InvalidParameterError(str(exc)) from exc
    n = X.shape[0]
    if n < 2:
        return 0.0
    sq = np.einsum("ij,ij->i", X, X)
    rows = max(1, _BLOCK_ELEMS // n)
    total = 0.0
    for s in range(0, n, rows):
        e = min(n, s + rows)
        blk = sq[s:e, None] - 2.0 * (X[s:e] @ X[s:].T) + sq[None, s:]
        np.maximum(blk, 0.0, out=blk)
        np.sqrt(blk, out=blk)
        total += float(np.triu(blk, k=1).sum())
    return total / (n * (n - 1) / 2)


@validate_params(
    {"indices": ["array-like"], "y": ["array-like"], "embeddings": ["array-like"]}
)
def evaluate_initial_set(indices, y, embeddings):
    """Class balance and diversity of an initial set (Buchert et al. 2023).

    Parameters
    ----------
    indices : array-like of shape (n_selected,)
        Selected rows of the pool.
    y : array-like of shape (n_samples,)
        Labels of the whole pool (known in a simulation).
    embeddings : array-like of shape (n_samples, n_features)
        Embeddings of the whole pool; the diversity is measured in this space.

    Returns
    -------
    metrics : dict
        * ``"class_distribution_distance"``: ``max_c |p~_c - p_c|`` (eq. 6),
          where ``p~`` are the class proportions of the selected rows and
          ``p`` those of the pool; 0 for a perfectly representative set.
        * ``"diversity"``: mean pairwise Euclidean distance of the selected
          embeddings (:func:`skactive.metrics.batch_diversity`).
        * ``"n_classes_selected"``: number of distinct classes selected.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.metrics import evaluate_initial_set
    >>> y = np.array([0, 0, 1, 1])
    >>> emb = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> m = evaluate_initial_set([0, 1], y, emb)
    >>> m["class_distribution_distance"], m["diversity"], m["n_classes_selected"]
    (0.5, 1.0, 1)
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] == 0:
        raise InvalidParameterError(
            f"y must be a non-empty 1-D array, got shape {y.shape}."
        )
    emb = np.asarray(embeddings)
    if emb.ndim != 2 or emb.shape[0] != y.shape[0]:
        raise InvalidParameterError(
            f"embeddings must have shape ({y.shape[0]}, n_features) like y, got "
            f"{emb.shape}."
        )
    idx = np.asarray(indices)
    if idx.ndim != 1 or idx.shape[0] == 0:
        raise InvalidParameterError(
            f"indices must be a non-empty 1-D array, got {idx!r}."
        )
    if not all(
        isinstance(i, numbers.Integral) and not isinstance(i, bool | np.bool_)
        for i in idx.tolist()
    ):
        raise InvalidParameterError(f"indices must be integers, got dtype {idx.dtype}.")
    idx = idx.astype(np.int64)
    if idx.min() < 0 or idx.max() >= y.shape[0]:
        raise InvalidParameterError(
            f"indices must lie in [0, {y.shape[0]}), got values from {idx.min()} "
            f"to {idx.max()}."
        )
    classes, y_codes = np.unique(y, return_inverse=True)
    p = np.bincount(y_codes, minlength=len(classes)) / y.shape[0]
    sel = y_codes[idx]
    p_sel = np.bincount(sel, minlength=len(classes)) / idx.shape[0]
    return {
        "class_distribution_distance": float(np.max(np.abs(p_sel - p))),
        "diversity": float(batch_diversity(emb[idx])),
        "n_classes_selected": int(np.unique(sel).shape[0]),
    }
