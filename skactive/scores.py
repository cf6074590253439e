"""Informativeness scores: pure functions of predicted probabilities.

Every score returns an array of shape ``(n_samples,)`` where **higher means
more informative**, so any of them can be fed to a selector such as
:func:`skactive.selection.top_k`. The inputs are

* one probability matrix ``(n, C)``: :func:`least_confidence`, :func:`margin`,
  :func:`entropy`, and, with the final layer's input, :func:`expected_gradient_length`;
* ``T >= 2`` Monte-Carlo (dropout) samples ``(T, n, C)``: :func:`bald`,
  :func:`variation_ratio`, :func:`mean_std`, :func:`max_entropy`;
* a committee of ``K >= 2`` members, as probabilities ``(K, n, C)`` or votes
  ``(K, n)``: :func:`vote_entropy`, :func:`consensus_entropy`,
  :func:`max_disagreement`.

Entropies and divergences are in nats.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from scipy.special import entr, rel_entr

__all__ = [
    "check_proba",
    "least_confidence",
    "margin",
    "entropy",
    "check_samples",
    "bald",
    "max_entropy",
    "variation_ratio",
    "mean_std",
    "vote_entropy",
    "consensus_entropy",
    "max_disagreement",
    "expected_gradient_length",
]


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


# --------------------------------------------------------------------------
# Bayesian scores over Monte-Carlo samples, committee scores, EGL
# --------------------------------------------------------------------------
def check_samples(samples, *, name="samples", min_samples=2, what="MC samples"):
    """Validate a stack of probability matrices and return it as a float array.

    Parameters
    ----------
    samples : array-like of shape (n_draws, n_samples, n_classes)
        ``n_draws`` probability matrices over the same rows: Monte-Carlo
        (dropout) samples ``(T, n, C)`` or committee members ``(K, n, C)``.
    name : str, default="samples"
        Name used in error messages.
    min_samples : int, default=2
        Smallest ``n_draws`` accepted.
    what : str, default="MC samples"
        What the first axis holds, for error messages.

    Returns
    -------
    samples : ndarray of shape (n_draws, n_samples, n_classes)
        float32 or float64.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import check_samples
    >>> check_samples(np.full((2, 3, 4), 0.25)).shape
    (2, 3, 4)
    """
    samples = np.asarray(samples)
    if not np.issubdtype(samples.dtype, np.floating):
        samples = samples.astype(np.float64)
    if samples.ndim != 3:
        raise ValueError(
            f"{name} must be 3-D (n_draws, n_samples, n_classes), got shape "
            f"{samples.shape}."
        )
    if samples.shape[0] < min_samples:
        raise ValueError(
            f"{name} must hold at least {min_samples} {what} along its first "
            f"axis, got {samples.shape[0]} (shape {samples.shape})."
        )
    if samples.shape[2] < 1:
        raise ValueError(f"{name} must have at least one class column.")
    if not np.isfinite(samples).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    return samples


def _row_entropy(proba):
    """Entropy in nats of each row along the last axis (``0 log 0 = 0``)."""
    return entr(np.clip(proba, 0.0, None)).sum(axis=-1)


def bald(samples):
    """BALD: mutual information between the label and the model parameters.

    ``I[y; w | x] = H[mean_t p_t(y | x)] - mean_t H[p_t(y | x)]`` estimated from
    ``T`` Monte-Carlo samples ``p_t`` (Houlsby et al. 2011; Gal et al. 2017),
    in nats. It is zero when all samples agree and at most ``log C``, reached
    when every sample is confident and they spread evenly over the classes.
    Rounding can make the difference a hair below zero; it is clipped at 0.

    Parameters
    ----------
    samples : array-like of shape (n_mc_samples, n_samples, n_classes)
        Class probabilities of ``T >= 2`` stochastic forward passes.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher is more informative.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import bald
    >>> P = np.array([[[1.0, 0.0], [0.5, 0.5]],
    ...               [[0.0, 1.0], [0.5, 0.5]]])   # (T=2, n=2, C=2)
    >>> np.round(bald(P), 4)
    array([0.6931, 0.    ])
    """
    P = check_samples(samples)
    scores = _row_entropy(P.mean(axis=0)) - _row_entropy(P).mean(axis=0)
    return np.maximum(scores, 0.0)


def max_entropy(samples):
    """Predictive entropy ``H[mean_t p_t(y | x)]`` of the MC-averaged prediction.

    Parameters
    ----------
    samples : array-like of shape (n_mc_samples, n_samples, n_classes)
        Class probabilities of ``T >= 2`` stochastic forward passes.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        In nats; higher is more uncertain.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import max_entropy
    >>> P = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    >>> np.round(max_entropy(P), 4)
    array([0.6931])
    """
    P = check_samples(samples)
    return _row_entropy(P.mean(axis=0))


def variation_ratio(samples):
    """Variation ratio ``1 - f_m / T`` (Freeman 1965; Gal et al. 2017).

    ``f_m`` is how many of the ``T`` samples predict the modal class (the class
    most samples predict); each sample predicts its ``argmax``, the lowest
    class index on ties within a sample.

    Parameters
    ----------
    samples : array-like of shape (n_mc_samples, n_samples, n_classes)
        Class probabilities of ``T >= 2`` stochastic forward passes.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        In ``[0, 1 - 1/C]``; higher is more uncertain.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import variation_ratio
    >>> P = np.array([[[0.9, 0.1]], [[0.8, 0.2]], [[0.3, 0.7]], [[0.6, 0.4]]])
    >>> variation_ratio(P)
    array([0.25])
    """
    P = check_samples(samples)
    T, n, C = P.shape
    votes = P.argmax(axis=2)  # (T, n)
    counts = _vote_counts(votes, C)
    return (1.0 - counts.max(axis=1) / T).astype(P.dtype, copy=False)


def mean_std(samples):
    """Mean over classes of the standard deviation over samples (Kampffmeyer 2016).

    ``mean_c sigma_c`` with ``sigma_c = sqrt(mean_t p_{t,c}^2 - (mean_t p_{t,c})^2)``:
    the *population* standard deviation over the ``T`` samples (``ddof=0``),
    as in Gal et al. (2017).

    Parameters
    ----------
    samples : array-like of shape (n_mc_samples, n_samples, n_classes)
        Class probabilities of ``T >= 2`` stochastic forward passes.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher is more uncertain.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import mean_std
    >>> P = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    >>> mean_std(P)
    array([0.5])
    """
    P = check_samples(samples)
    return P.std(axis=0).mean(axis=1)


def _vote_counts(votes, n_classes):
    """Per-row counts ``(n, n_classes)`` of the class indices in ``votes (K, n)``."""
    K, n = votes.shape
    flat = votes.T.astype(np.int64) + n_classes * np.arange(n, dtype=np.int64)[:, None]
    return np.bincount(flat.ravel(), minlength=n * n_classes).reshape(n, n_classes)


def vote_entropy(votes, n_classes):
    """Vote entropy ``-sum_c (V_c / K) log(V_c / K)`` (Dagan & Engelson 1995).

    ``V_c`` is the number of the ``K`` committee members whose predicted label
    is class ``c``.

    Parameters
    ----------
    votes : array-like of int of shape (n_members, n_samples)
        Predicted class index (``0 <= vote < n_classes``) of every member for
        every row; at least 2 members.
    n_classes : int
        Number of classes of the committee.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        In nats, at most ``log(min(K, C))``; higher means more disagreement.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import vote_entropy
    >>> votes = np.array([[0, 1], [0, 2], [0, 1], [0, 2]])   # K=4 members, 2 rows
    >>> np.round(vote_entropy(votes, 3), 4)
    array([0.    , 0.6931])
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral):
        raise TypeError(f"n_classes must be a positive integer, got {n_classes!r}.")
    if n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes}.")
    votes = np.asarray(votes)
    if votes.ndim != 2:
        raise ValueError(
            f"votes must be 2-D (n_members, n_samples), got shape {votes.shape}."
        )
    if votes.shape[0] < 2:
        raise ValueError(
            "a committee needs at least 2 members; votes has "
            f"{votes.shape[0]} row(s) (shape {votes.shape})."
        )
    if votes.size and not np.issubdtype(votes.dtype, np.integer):
        if not np.issubdtype(votes.dtype, np.floating) or not np.all(
            np.isfinite(votes) & (votes == np.round(votes))
        ):
            raise ValueError("votes must hold integer class indices.")
        votes = votes.astype(np.int64)
    if votes.size and (votes.min() < 0 or votes.max() >= n_classes):
        raise ValueError(
            f"votes must be class indices in [0, {n_classes}), got values in "
            f"[{votes.min()}, {votes.max()}]."
        )
    K = votes.shape[0]
    counts = _vote_counts(votes, int(n_classes))
    return entr(counts / K).sum(axis=1)


def consensus_entropy(member_proba):
    """Consensus entropy ``H[mean_k p_k(y | x)]`` of a committee (Settles 2009).

    Parameters
    ----------
    member_proba : array-like of shape (n_members, n_samples, n_classes)
        Class probabilities of ``K >= 2`` committee members over a common class
        set.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        In nats; higher is more uncertain.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import consensus_entropy
    >>> P = np.array([[[0.9, 0.1]], [[0.1, 0.9]]])
    >>> np.round(consensus_entropy(P), 4)
    array([0.6931])
    """
    P = check_samples(member_proba, name="member_proba", what="committee members")
    return _row_entropy(P.mean(axis=0))


def max_disagreement(member_proba):
    """Mean KL divergence of each member from the consensus (McCallum & Nigam 1998).

    ``mean_k KL(p_k || p_bar)`` with ``p_bar = mean_k p_k``, in nats. modAL's
    ``max_disagreement_sampling`` takes the *maximum* over members instead;
    this is the mean, as defined by McCallum & Nigam and Settles (2009).

    Parameters
    ----------
    member_proba : array-like of shape (n_members, n_samples, n_classes)
        Class probabilities of ``K >= 2`` committee members over a common class
        set.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Non-negative; higher means more disagreement.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import max_disagreement
    >>> P = np.array([[[1.0, 0.0], [0.5, 0.5]],
    ...               [[0.0, 1.0], [0.5, 0.5]]])
    >>> np.round(max_disagreement(P), 4)
    array([0.6931, 0.    ])
    """
    P = check_samples(member_proba, name="member_proba", what="committee members")
    P = np.clip(P, 0.0, None)
    consensus = P.mean(axis=0, keepdims=True)
    return rel_entr(P, consensus).sum(axis=2).mean(axis=0)


def expected_gradient_length(proba, embeddings, include_bias=True):
    """Expected gradient length of a softmax output layer (Settles et al. 2008).

    ``EGL(x) = sum_y p(y | x) ||grad_{W, b} L(x, y)||`` where ``L`` is the
    cross-entropy of the final linear layer ``logits = W f + b`` on input ``f``
    (the embedding) if the label were ``y``. The gradient is
    ``grad_W = (p - e_y) f^T`` and ``grad_b = p - e_y``, so its norm has the
    closed form ``||p - e_y|| * sqrt(||f||^2 + 1)`` (``sqrt(||f||^2)`` without
    bias): no autograd over the pool, ``O(n (C + d))``.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Softmax probabilities ``p(y | x)`` of the model.
    embeddings : array-like or sparse matrix of shape (n_samples, n_features)
        The input ``f`` of the final linear layer (for a linear model such as
        :class:`~sklearn.linear_model.LogisticRegression`, the row itself).
    include_bias : bool, default=True
        Include the gradient with respect to the bias ``b``.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher is more informative.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import expected_gradient_length
    >>> proba = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> f = np.array([[3.0, 0.0], [3.0, 0.0]])
    >>> np.round(expected_gradient_length(proba, f), 4)   # sqrt(.5) * sqrt(10)
    array([2.2361, 0.    ])
    """
    proba = check_proba(proba)
    if not isinstance(include_bias, bool | np.bool_):
        raise TypeError(f"include_bias must be a bool, got {include_bias!r}.")
    if sp.issparse(embeddings):
        if embeddings.ndim != 2:
            raise ValueError("embeddings must be 2-D (n_samples, n_features).")
        sq_norm = np.asarray(
            embeddings.multiply(embeddings).sum(axis=1), dtype=np.float64
        ).ravel()
        if not np.isfinite(sq_norm).all():
            raise ValueError("embeddings contains NaN or infinity.")
    else:
        f = np.asarray(embeddings)
        if not np.issubdtype(f.dtype, np.number):
            raise TypeError(f"embeddings must be numeric, got dtype {f.dtype}.")
        if f.ndim != 2:
            raise ValueError(
                f"embeddings must be 2-D (n_samples, n_features), got shape {f.shape}."
            )
        f = f.astype(np.float64, copy=False)
        if not np.isfinite(f).all():
            raise ValueError("embeddings contains NaN or infinity.")
        sq_norm = np.einsum("ij,ij->i", f, f)
    if sq_norm.shape[0] != proba.shape[0]:
        raise ValueError(
            f"proba has {proba.shape[0]} rows but embeddings has {sq_norm.shape[0]}."
        )
    p = proba.astype(np.float64, copy=False)
    # ||p - e_y||^2 = ||p||^2 - 2 p_y + 1
    p_sq = np.einsum("ij,ij->i", p, p)
    residual = np.sqrt(np.clip(p_sq[:, None] - 2.0 * p + 1.0, 0.0, None))
    input_norm = np.sqrt(sq_norm + (1.0 if include_bias else 0.0))
    return (p * residual).sum(axis=1) * input_norm
