"""Informativeness scores: pure functions of predicted probabilities.

Every score returns an array of shape ``(n_samples,)`` where **higher means
more informative**, so any of them can be fed to a selector such as
:func:`skactive.selection.top_k`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import entr

__all__ = ["check_proba", "least_confidence", "margin", "entropy"]


def check_proba(proba, *, name="proba"):
    """Validate a matrix of class probabilities and return it as a float array.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Rows of class probabilities.
    name : str, default="proba"
        Name used in error messages.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        The probabilities as a floating-point array (float32 or float64).
    """
    proba = np.asarray(proba)
    if not np.issubdtype(proba.dtype, np.floating):
        proba = proba.astype(np.float64)
    if proba.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_classes), got shape {proba.shape}."
        )
    if proba.shape[1] < 1:
        raise ValueError(f"{name} must have at least one class column.")
    if not np.isfinite(proba).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    return proba


def least_confidence(proba):
    """Least-confidence score ``1 - max_c p(c | x)``.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Predicted class probabilities.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher is more uncertain.

    Examples
    --------
    >>> from skactive.scores import least_confidence
    >>> least_confidence([[0.9, 0.1], [0.5, 0.5]])
    array([0.1, 0.5])
    """
    proba = check_proba(proba)
    return 1.0 - proba.max(axis=1)


def margin(proba):
    """Negative margin ``-(p_1 - p_2)`` between the two most probable classes.

    Margin sampling picks the smallest margin first; negating it keeps the
    convention that a higher score is more informative. With a single class
    the margin is 1 (score -1).

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Predicted class probabilities.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Values in ``[-1, 0]``; higher is more uncertain.

    Examples
    --------
    >>> from skactive.scores import margin
    >>> margin([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25]])
    array([-0.5 , -0.05])
    """
    proba = check_proba(proba)
    if proba.shape[1] == 1:
        return -np.ones(proba.shape[0], dtype=proba.dtype)
    top2 = -np.partition(-proba, 1, axis=1)[:, :2]
    return -(top2[:, 0] - top2[:, 1])


def entropy(proba):
    """Shannon entropy ``-sum_c p(c | x) log p(c | x)`` in nats (``0 log 0 = 0``).

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Predicted class probabilities.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher is more uncertain; ``log(n_classes)`` at most.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import entropy
    >>> np.round(entropy([[1.0, 0.0], [0.5, 0.5]]), 4)
    array([0.    , 0.6931])
    """
    proba = check_proba(proba)
    return entr(np.clip(proba, 0.0, None)).sum(axis=1)
