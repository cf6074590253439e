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

Probability inputs are checked (:func:`check_proba`, :func:`check_samples`):
finite, in ``[0, 1]`` up to :data:`PROBA_ATOL`, and -- for the scores defined
on a distribution -- with rows summing to 1 up to a tolerance that grows with
the number of classes (see :func:`check_proba`). Per score:

* rows must sum to 1: :func:`least_confidence`, :func:`margin`,
  :func:`entropy` (the maximum or the entropy of a distribution),
  :func:`bald`, :func:`max_entropy`, :func:`consensus_entropy`,
  :func:`max_disagreement` (entropies and divergences of distributions) and
  :func:`expected_gradient_length` (the softmax gradient ``p - e_y`` and the
  expectation over ``p(y | x)``);
* values in ``[0, 1]`` only: :func:`variation_ratio` (reads each draw's
  argmax only), :func:`mean_std` and :func:`consistency` (the spread of each
  class probability separately);
* :func:`vote_entropy` takes votes (class indices), not probabilities.

Every bad argument raises :class:`~skactive._validation.InvalidParameterError`
(both a ``ValueError`` and a ``TypeError``), naming the argument.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import entr, rel_entr

from ._validation import (
    POSITIVE_INT,
    InvalidParameterError,
    validate_params,
)

__all__ = [
    "PROBA_ATOL",
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


#: How far a probability may stray outside ``[0, 1]``. Probabilities computed
#: in float32 (a net's softmax) can land a few ulps (float32 eps = 1.2e-7)
#: beyond the bounds, and ``1 - p`` style arithmetic a few float64 ulps below 0;
#: 1e-6 accepts that rounding with a wide margin, while every genuine mistake
#: (logits, percentages, negative scores) is off by far more.
PROBA_ATOL = 1e-6


def _sum_atol(n_classes):
    """Tolerance on a row sum of ``n_classes`` probabilities.

    A float32 softmax divides by a float32 sum of ``C`` terms, whose rounding
    error grows with ``C`` (at most about ``C * 6e-8`` relative), so every row
    it returns sums to 1 up to that; ``PROBA_ATOL`` per class stays an order
    of magnitude above it for any ``C``, while unnormalised scores, sigmoid or
    one-vs-rest outputs and a missing class column are off by far more.
    """
    return PROBA_ATOL * max(1, int(n_classes))


def _as_float_array(values, name):
    """``values`` as a float array (float32 / float64 kept, others to float64)."""
    try:
        arr = np.asarray(values)
        if not np.issubdtype(arr.dtype, np.floating):
            arr = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:  # ragged lists, strings
        raise InvalidParameterError(
            f"{name} must be an array of numbers, got {type(values).__name__}: {exc}"
        ) from None
    return arr


def _check_probabilities(P, name, normalized):
    """Finite values in ``[0, 1]``; rows summing to 1 when ``normalized``."""
    if not np.isfinite(P).all():
        raise InvalidParameterError(f"{name} contains NaN or infinity.")
    if P.size == 0:
        return
    lo, hi = float(P.min()), float(P.max())
    if lo < -PROBA_ATOL or hi > 1.0 + PROBA_ATOL:
        raise InvalidParameterError(
            f"{name} must hold probabilities in [0, 1], got values in "
            f"[{lo:.6g}, {hi:.6g}]."
        )
    if normalized:
        sums = P.sum(axis=-1, dtype=np.float64)
        tol = _sum_atol(P.shape[-1])
        bad = np.abs(sums - 1.0) > tol
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            at = where[0] if len(where) == 1 else where
            raise InvalidParameterError(
                f"{name} must hold rows of probabilities summing to 1 (within "
                f"{tol:.2g}); the row at {at} sums to {sums[where]:.6g}."
            )


@validate_params({"proba": ["array-like"], "name": [str], "normalized": ["boolean"]})
def check_proba(proba, *, name="proba", normalized=False):
    """Validate a matrix of class probabilities and return it as a float array.

    The values must be finite and lie in ``[0, 1]`` up to
    :data:`PROBA_ATOL` (float32 rounding); with ``normalized=True`` every row
    must also sum to 1, up to ``PROBA_ATOL * n_classes`` (a float32 softmax
    over ``C`` classes normalises with a sum of ``C`` rounded terms).

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Rows of class probabilities.
    name : str, default="proba"
        Name used in error messages.
    normalized : bool, default=False
        Also require every row to sum to 1 (for scores defined on a
        distribution).

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        The probabilities as a floating-point array (float32 or float64).

    Examples
    --------
    >>> from skactive.scores import check_proba
    >>> check_proba([[0.2, 0.8]], normalized=True)
    array([[0.2, 0.8]])
    """
    proba = _as_float_array(proba, name)
    if proba.ndim != 2:
        raise InvalidParameterError(
            f"{name} must be 2-D (n_samples, n_classes), got shape {proba.shape}."
        )
    if proba.shape[1] < 1:
        raise InvalidParameterError(f"{name} must have at least one class column.")
    _check_probabilities(proba, name, normalized)
    return proba


@validate_params({"proba": ["array-like"]})
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
    proba = check_proba(proba, normalized=True)
    return 1.0 - proba.max(axis=1)


@validate_params({"proba": ["array-like"]})
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
    proba = check_proba(proba, normalized=True)
    if proba.shape[1] == 1:
        return -np.ones(proba.shape[0], dtype=proba.dtype)
    top2 = -np.partition(-proba, 1, axis=1)[:, :2]
    return -(top2[:, 0] - top2[:, 1])


@validate_params({"proba": ["array-like"]})
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
    proba = check_proba(proba, normalized=True)
    return entr(np.clip(proba, 0.0, None)).sum(axis=1)


# --------------------------------------------------------------------------
# Bayesian scores over Monte-Carlo samples, committee scores, EGL
# --------------------------------------------------------------------------
@validate_params(
    {
        "samples": ["array-like"],
        "name": [str],
        "min_samples": POSITIVE_INT,
        "what": [str],
        "normalized": ["boolean"],
    }
)
def check_samples(
    samples, *, name="samples", min_samples=2, what="MC samples", normalized=False
):
    """Validate a stack of probability matrices and return it as a float array.

    The values must be finite and lie in ``[0, 1]`` up to
    :data:`PROBA_ATOL`; with ``normalized=True`` every row of every matrix
    must also sum to 1, with the tolerance of :func:`check_proba`.

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
    normalized : bool, default=False
        Also require every row of every matrix to sum to 1.

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
    samples = _as_float_array(samples, name)
    if samples.ndim != 3:
        raise InvalidParameterError(
            f"{name} must be 3-D (n_draws, n_samples, n_classes), got shape "
            f"{samples.shape}."
        )
    if samples.shape[0] < min_samples:
        raise InvalidParameterError(
            f"{name} must hold at least {min_samples} {what} along its first "
            f"axis, got {samples.shape[0]} (shape {samples.shape})."
        )
    if samples.shape[2] < 1:
        raise InvalidParameterError(f"{name} must have at least one class column.")
    _check_probabilities(samples, name, normalized)
    return samples


def _row_entropy(proba):
    """Entropy in nats of each row along the last axis (``0 log 0 = 0``)."""
    return entr(np.clip(proba, 0.0, None)).sum(axis=-1)


@validate_params({"samples": ["array-like"]})
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
    P = check_samples(samples, normalized=True)
    scores = _row_entropy(P.mean(axis=0)) - _row_entropy(P).mean(axis=0)
    return np.maximum(scores, 0.0)


@validate_params({"samples": ["array-like"]})
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
    P = check_samples(samples, normalized=True)
    return _row_entropy(P.mean(axis=0))


@validate_params({"samples": ["array-like"]})
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


@validate_params({"samples": ["array-like"]})
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


@validate_params({"votes": ["array-like"], "n_classes": POSITIVE_INT})
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
    votes = np.asarray(votes)
    if votes.ndim != 2:
        raise InvalidParameterError(
            f"votes must be 2-D (n_members, n_samples), got shape {votes.shape}."
        )
    if votes.shape[0] < 2:
        raise InvalidParameterError(
            "a committee needs at least 2 members; votes has "
            f"{votes.shape[0]} row(s) (shape {votes.shape})."
        )
    if votes.size and not np.issubdtype(votes.dtype, np.integer):
        if not np.issubdtype(votes.dtype, np.floating) or not np.all(
            np.isfinite(votes) & (votes == np.round(votes))
        ):
            raise InvalidParameterError("votes must hold integer class indices.")
        votes = votes.astype(np.int64)
    if votes.size and (votes.min() < 0 or votes.max() >= n_classes):
        raise InvalidParameterError(
            f"votes must be class indices in [0, {n_classes}), got values in "
            f"[{votes.min()}, {votes.max()}]."
        )
    K = votes.shape[0]
    counts = _vote_counts(votes, int(n_classes))
    return entr(counts / K).sum(axis=1)


@validate_params({"member_proba": ["array-like"]})
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
    P = check_samples(
        member_proba, name="member_proba", what="committee members", normalized=True
    )
    return _row_entropy(P.mean(axis=0))


@validate_params({"member_proba": ["array-like"]})
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
    P = check_samples(
        member_proba, name="member_proba", what="committee members", normalized=True
    )
    P = np.clip(P, 0.0, None)
    consensus = P.mean(axis=0, keepdims=True)
    return rel_entr(P, consensus).sum(axis=2).mean(axis=0)


@validate_params(
    {
        "proba": ["array-like"],
        "embeddings": ["array-like", "sparse matrix"],
        "include_bias": ["boolean"],
    }
)
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
    proba = check_proba(proba, normalized=True)
    if sp.issparse(embeddings):
        if embeddings.ndim != 2:
            raise InvalidParameterError(
                "embeddings must be 2-D (n_samples, n_features)."
            )
        sq_norm = np.asarray(
            embeddings.multiply(embeddings).sum(axis=1), dtype=np.float64
        ).ravel()
        if not np.isfinite(sq_norm).all():
            raise InvalidParameterError("embeddings contains NaN or infinity.")
    else:
        f = np.asarray(embeddings)
        if not np.issubdtype(f.dtype, np.number):
            raise InvalidParameterError(
                f"embeddings must be numeric, got dtype {f.dtype}."
            )
        if f.ndim != 2:
            raise InvalidParameterError(
                f"embeddings must be 2-D (n_samples, n_features), got shape {f.shape}."
            )
        f = f.astype(np.float64, copy=False)
        if not np.isfinite(f).all():
            raise InvalidParameterError("embeddings contains NaN or infinity.")
        sq_norm = np.einsum("ij,ij->i", f, f)
    if sq_norm.shape[0] != proba.shape[0]:
        raise InvalidParameterError(
            f"proba has {proba.shape[0]} rows but embeddings has {sq_norm.shape[0]}."
        )
    p = proba.astype(np.float64, copy=False)
    # ||p - e_y||^2 = ||p||^2 - 2 p_y + 1
    p_sq = np.einsum("ij,ij->i", p, p)
    residual = np.sqrt(np.clip(p_sq[:, None] - 2.0 * p + 1.0, 0.0, None))
    input_norm = np.sqrt(sq_norm + (1.0 if include_bias else 0.0))
    return (p * residual).sum(axis=1) * input_norm


# --------------------------------------------------------------------------
# Augmentation consistency, EPMCM and label dispersion.

__all__ += [
    "consistency",
    "epmcm_closed_form",
    "epmcm_monte_carlo",
    "label_dispersion",
]


@validate_params({"proba_views": ["array-like"]})
def consistency(proba_views):
    """Augmentation inconsistency (Gao et al. 2020; Buchert et al. 2023, eq. 3–4).

    ``c_i = sum_c Var[p(y_c | s_i), p(y_c | s~_i1), ..., p(y_c | s~_iNa)]``: the
    **population** variance (divide by ``1 + N_a``, ``ddof=0``) of each class
    probability over the un-augmented prediction and its ``N_a`` augmented
    copies, summed over classes. Higher means less consistent (more
    informative).

    Parameters
    ----------
    proba_views : array-like of shape (1 + n_augmentations, n_samples, n_classes)
        Views axis first, the un-augmented prediction usually first (the order
        does not matter). At least 2 views.

    Returns
    -------
    scores : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import consistency
    >>> views = np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.5, 0.5]]])
    >>> consistency(views)
    array([0.5, 0. ])
    """
    views = check_samples(
        proba_views, name="proba_views", min_samples=2, what="views (1 + N_a)"
    ).astype(np.float64, copy=False)
    return views.var(axis=0).sum(axis=1)


def _float64(value, name):
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"{name} must hold numbers: {exc}") from None


def _check_epmcm_inputs(features, W, b, covariances, y_hat):
    a = _float64(features, "features")
    W = _float64(W, "W")
    b = _float64(b, "b")
    S = _float64(covariances, "covariances")
    y_hat = np.asarray(y_hat)
    if a.ndim != 2:
        raise InvalidParameterError(
            f"features must be 2-D (n, d), got shape {a.shape}."
        )
    n, d = a.shape
    if W.ndim != 2 or W.shape[1] != d:
        raise InvalidParameterError(
            f"W must have shape (n_classes, {d}), got {W.shape}."
        )
    C = W.shape[0]
    if b.shape != (C,):
        raise InvalidParameterError(f"b must have shape ({C},), got {b.shape}.")
    if S.shape not in ((C, d, d), (C, d)):
        raise InvalidParameterError(
            f"covariances must have shape ({C}, {d}, {d}) or diagonal ({C}, {d}), "
            f"got {S.shape}."
        )
    if y_hat.shape != (n,) or not np.issubdtype(y_hat.dtype, np.integer):
        raise InvalidParameterError(f"y_hat must be {n} integer class indices.")
    if n and (y_hat.min() < 0 or y_hat.max() >= C):
        raise InvalidParameterError(f"y_hat must lie in [0, {C}).")
    for name, v in (("features", a), ("W", W), ("b", b), ("covariances", S)):
        if not np.isfinite(v).all():
            raise InvalidParameterError(f"{name} contains NaN or infinity.")
    return a, W, b, S, y_hat.astype(np.intp)


def _quadratic_table(W, S):
    """``Q[k, j] = 1/2 (w_j - w_k)^T S_k (w_j - w_k)`` for all class pairs.

    ``O(C^2 d^2)`` (``O(C^2 d)`` diagonal) once per call, never per row.
    """
    if S.ndim == 2:  # diagonal: Q[k, j] = 1/2 sum_l S[k, l] (W[j, l] - W[k, l])^2
        WW = W * W
        quad = S @ WW.T - 2.0 * (S * W) @ W.T + (S * WW).sum(1)[:, None]
    else:
        SW = np.einsum("kab,jb->kja", S, W)  # S_k w_j, (C, C, d)
        wSw = np.einsum("ja,kja->kj", W, SW)  # w_j^T S_k w_j
        kSk = np.einsum("ka,kka->k", W, SW)  # w_k^T S_k w_k
        cross = np.einsum("ka,kja->kj", W, SW)  # w_k^T S_k w_j
        quad = wSw - 2.0 * cross + kSk[:, None]
    return 0.5 * quad


_EPMCM_INPUTS = {
    "features": ["array-like"],
    "W": ["array-like"],
    "b": ["array-like"],
    "covariances": ["array-like"],
    "y_hat": ["array-like"],
}


@validate_params(_EPMCM_INPUTS)
def epmcm_closed_form(features, W, b, covariances, y_hat):
    r"""Expected prediction mismatch, closed-form upper bound (DAST-AL eq. 6–7).

    With the penultimate features :math:`a_u`, the final layer :math:`W, b`,
    the predicted class :math:`\hat y` and its feature covariance
    :math:`\Sigma_{\hat y}` (ISDA), the logit differences
    :math:`\tilde z_j - \tilde z_{\hat y}` of :math:`\tilde a \sim
    N(a_u, \Sigma_{\hat y})` are Gaussian, and

    .. math::

        s(x_u) = \sum_j \exp\big((w_j - w_{\hat y})^T a_u + (b_j - b_{\hat y})
                 + \tfrac12 (w_j - w_{\hat y})^T \Sigma_{\hat y}
                 (w_j - w_{\hat y})\big) - 1

    is :math:`E[\sum_j e^{\tilde z_j - \tilde z_{\hat y}}] - 1
    = E[1/\mathrm{softmax}_{\hat y}] - 1 \ge E[1 - \mathrm{softmax}_{\hat y}]`.
    The ``C x C`` table of quadratic terms is computed once, so scoring is
    ``O(n C d)`` for the linear part plus ``O(n C)``.

    Parameters
    ----------
    features : array-like of shape (n_samples, d)
    W : array-like of shape (n_classes, d)
    b : array-like of shape (n_classes,)
    covariances : array-like of shape (n_classes, d, d) or (n_classes, d)
        Per-class covariance matrices, or their diagonals.
    y_hat : array-like of int of shape (n_samples,)
        Predicted class index of each row.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Non-negative; higher is more informative.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import epmcm_closed_form
    >>> W, b = np.eye(2), np.zeros(2)
    >>> a = np.array([[1.0, 1.0], [3.0, 0.0]])
    >>> np.round(epmcm_closed_form(a, W, b, np.zeros((2, 2)), [0, 0]), 4)
    array([1.    , 0.0498])
    """
    a, W, b, S, y_hat = _check_epmcm_inputs(features, W, b, covariances, y_hat)
    Q = _quadratic_table(W, S)
    logits = a @ W.T + b
    diff = logits - logits[np.arange(len(a)), y_hat][:, None] + Q[y_hat]
    # the j = y_hat term is exp(0) = 1; subtract it exactly
    diff[np.arange(len(a)), y_hat] = -np.inf
    return np.exp(diff).sum(axis=1)


@validate_params(
    {**_EPMCM_INPUTS, "n_samples": POSITIVE_INT, "random_state": ["random_state"]}
)
def epmcm_monte_carlo(
    features, W, b, covariances, y_hat, n_samples=100, *, random_state=None
):
    r"""Monte-Carlo expected prediction mismatch (DAST-AL eq. 6).

    :math:`E_{\tilde a \sim N(a_u, \Sigma_{\hat y})}
    [1 - \mathrm{softmax}(W \tilde a + b)_{\hat y}]`, estimated from
    ``n_samples`` draws per row (processed in chunks of rows, memory
    ``O(chunk * n_samples * C)``). :func:`epmcm_closed_form` is its upper bound.

    Parameters
    ----------
    features, W, b, covariances, y_hat
        As in :func:`epmcm_closed_form`.
    n_samples : int, default=100
        Draws per row, at least 1.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws.

    Returns
    -------
    scores : ndarray of shape (n_samples_rows,)
        In ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import epmcm_monte_carlo
    >>> W, b = np.eye(2), np.zeros(2)
    >>> a = np.array([[1.0, 1.0]])
    >>> epmcm_monte_carlo(a, W, b, np.zeros((2, 2)), [0], 10, random_state=0)
    array([0.5])
    """
    from sklearn.utils import check_random_state

    a, W, b, S, y_hat = _check_epmcm_inputs(features, W, b, covariances, y_hat)
    try:
        rng = check_random_state(random_state)
    except ValueError as exc:  # an int seed numpy cannot take (>= 2**32)
        raise InvalidParameterError(
            f"epmcm_monte_carlo: random_state must be a seed numpy accepts: {exc}"
        ) from None
    n, d = a.shape
    C = W.shape[0]
    if S.ndim == 2:
        root = np.sqrt(np.clip(S, 0.0, None))  # (C, d)
    else:  # symmetric square root, robust to PSD (singular) matrices
        vals, vecs = np.linalg.eigh(0.5 * (S + S.transpose(0, 2, 1)))
        root = vecs * np.sqrt(np.clip(vals, 0.0, None))[:, None, :]  # (C, d, d)
    # noise in logit space: W eps, eps ~ N(0, S_k) -> W L_k z, z ~ N(0, I)
    WL = W @ root.T if S.ndim == 2 else np.einsum("ja,kab->kjb", W, root)
    out = np.empty(n)
    base = a @ W.T + b
    chunk = max(1, 2**22 // max(1, n_samples * max(C, d)))
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        z = rng.standard_normal((e - s, n_samples, d))
        k = y_hat[s:e]
        if S.ndim == 2:
            noise = np.einsum("rtd,jd,rd->rtj", z, W, root[k])
        else:
            noise = np.einsum("rtb,rjb->rtj", z, WL[k])
        logits = base[s:e, None, :] + noise
        logits -= logits.max(axis=2, keepdims=True)
        p = np.exp(logits)
        p_hat = p[np.arange(e - s), :, k] / p.sum(axis=2)
        out[s:e] = 1.0 - p_hat.mean(axis=1)
    return out


@validate_params({"predictions": ["array-like"]})
def label_dispersion(predictions):
    """Label dispersion over training epochs (Bengar et al. 2021).

    ``dispersion(x) = 1 - f_x / T`` where ``T`` is the number of recorded
    epochs and ``f_x`` how often the most frequent predicted label of ``x``
    occurs among them. 0 means the prediction never changed.

    Parameters
    ----------
    predictions : array-like of int of shape (n_samples, n_epochs)
        Predicted label of each row at the end of each epoch.

    Returns
    -------
    scores : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.scores import label_dispersion
    >>> label_dispersion(np.array([[1, 1, 1, 1], [0, 1, 2, 1]]))
    array([0. , 0.5])
    """
    P = np.asarray(predictions)
    if P.ndim != 2:
        raise InvalidParameterError(
            f"predictions must be 2-D (n_samples, n_epochs), got shape {P.shape}."
        )
    if P.shape[1] < 1:
        raise InvalidParameterError("predictions must hold at least one epoch.")
    if not np.issubdtype(P.dtype, np.integer):
        raise InvalidParameterError(
            f"predictions must be integer labels, got dtype {P.dtype}."
        )
    T = P.shape[1]
    S = np.sort(P, axis=1)
    # longest run of equal values in each sorted row = count of the mode
    change = np.ones((S.shape[0], T + 1), dtype=bool)
    change[:, 1:T] = S[:, 1:] != S[:, :-1]
    best = np.zeros(S.shape[0], dtype=np.int64)
    pos = np.flatnonzero(change.ravel())
    rows = pos // (T + 1)
    cols = pos % (T + 1)
    # run lengths: differences between consecutive change positions per row
    run = np.diff(cols)
    same_row = rows[1:] == rows[:-1]
    np.maximum.at(best, rows[1:][same_row], run[same_row])
    return 1.0 - best / T
