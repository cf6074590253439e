"""Extreme-value (Weibull) outlier scoring in latent space (DALBT, Alg. 1)."""

from __future__ import annotations

import numbers

import numpy as np
from scipy.stats import weibull_min

from .._inference import embed_pool
from .._validation import N_JOBS, Interval, InvalidParameterError, validate_parameter
from ..selection import top_k
from ._base import QueryStrategy

__all__ = ["WeibullOutlier", "fit_weibull_tail"]


def fit_weibull_tail(distances, tail_size):
    """Fit a Weibull to the ``tail_size`` largest positive ``distances``.

    The location is fixed at 0 (``scipy.stats.weibull_min.fit(..., floc=0)``),
    as in OpenMax / EVT practice.

    Parameters
    ----------
    distances : array-like of shape (n,)
    tail_size : int

    Returns
    -------
    params : tuple ``(shape, scale)`` or None
        ``None`` when fewer than 2 distinct positive distances are available.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies.weibull import fit_weibull_tail
    >>> d = np.random.RandomState(0).weibull(2.0, 500) * 3
    >>> c, scale = fit_weibull_tail(d, 500)
    >>> bool(abs(c - 2) < 0.3 and abs(scale - 3) < 0.3)
    True
    """
    d = np.asarray(distances, dtype=np.float64)
    d = d[np.isfinite(d) & (d > 0)]
    tail = np.sort(d)[-int(tail_size) :]
    if len(tail) < 2 or np.ptp(tail) <= 1e-12 * tail.max():
        return None
    c, _, scale = weibull_min.fit(tail, floc=0)
    return float(c), float(scale)


class WeibullOutlier(QueryStrategy):
    """Latent-space Weibull outlier sampling (DALBT, Algorithm 1).

    1. Embed the labeled rows; keep those the model classifies correctly.
    2. Per class ``c``: their mean ``mu_c`` and distances ``||z - mu_c||``;
       fit a Weibull (location 0) to the ``tail_size`` largest distances, the
       extreme-value practice of OpenMax (Bendale & Boult 2016).
    3. Score each pool row by the Weibull CDF of its distance to the mean of
       its predicted class, and take the ``n`` highest (ranked by the log
       survival function, so far outliers whose CDF rounds to 1 stay ordered).

    Fallbacks: a class with fewer than 2 correctly classified labeled rows uses
    all its labeled rows for the mean and the distances; a class whose
    distances cannot be fit (fewer than 2 distinct positive values) uses the
    Weibull fit on the pooled tail distances of all classes; a pool row
    predicted as a class without any labeled row scores 1 (maximally novel).

    The labeled rows come from the ``X_labeled`` / ``y_labeled`` keywords,
    else from the learner's ``X_training`` / ``y_training``.

    Parameters
    ----------
    tail_size : int, default=20
        Number of largest distances per class the Weibull is fit to.
    n_jobs : int or None, default=None
        Parallel chunks for embedding with a scikit-learn estimator.
    R : int or None, default=None
        Candidate subsample size.
    random_state : int, RandomState instance or None, default=None
        Breaks ties.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies.weibull import WeibullOutlier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:300], y[:300])
    >>> WeibullOutlier(random_state=0)(
    ...     clf, X[300:], 3, X_labeled=X[:300], y_labeled=y[:300]).shape
    (3,)
    """

    _parameter_constraints = {
        "tail_size": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_jobs": N_JOBS,
    }

    def __init__(self, tail_size=20, *, n_jobs=None, R=None, random_state=None):
        super().__init__(R=R, random_state=random_state)
        self.tail_size = tail_size
        self.n_jobs = n_jobs

    def fit_class_models(self, model, X_labeled, y_labeled):
        """Per-class means and Weibull parameters from the labeled rows.

        Parameters
        ----------
        model : fitted classifier
            Gives the embeddings and predictions of the labeled rows (through
            :func:`skactive._inference.embed_pool`) and ``classes_``.
        X_labeled : array-like of shape (n_labeled, ...)
            The labeled rows.
        y_labeled : ndarray of shape (n_labeled,)
            Their labels (elements of ``model.classes_``).

        Returns
        -------
        means : ndarray of shape (n_classes, d)
            NaN rows for classes without labeled rows.
        params : ndarray of shape (n_classes, 2)
            Weibull ``(shape, scale)`` per class.
        """
        tail = validate_parameter(
            self.tail_size,
            "tail_size",
            self._parameter_constraints["tail_size"],
            type(self).__name__,
        )
        classes = np.asarray(model.classes_)
        proba, z = embed_pool(model, X_labeled, return_proba=True, n_jobs=self.n_jobs)
        z = np.asarray(z, dtype=np.float64)
        correct = classes[np.asarray(proba).argmax(1)] == y_labeled
        C = len(classes)
        means = np.full((C, z.shape[1]), np.nan)
        params = np.full((C, 2), np.nan)
        pooled = []
        for k, label in enumerate(classes):
            rows = correct & (y_labeled == label)
            if rows.sum() < 2:
                rows = y_labeled == label
            if not rows.any():
                continue
            means[k] = z[rows].mean(axis=0)
            d = np.linalg.norm(z[rows] - means[k], axis=1)
            pooled.append(np.sort(d)[-tail:])
            fit = fit_weibull_tail(d, tail)
            if fit is not None:
                params[k] = fit
        missing = np.isnan(params[:, 0]) & ~np.isnan(means[:, 0])
        if missing.any():
            fit = fit_weibull_tail(np.concatenate(pooled), tail) if pooled else None
            if fit is None:
                raise InvalidParameterError(
                    "Cannot fit a Weibull: fewer than 2 distinct positive "
                    "distances to the class means among the labeled rows."
                )
            params[missing] = fit
        return means, params

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        X_labeled, y_labeled = self._labeled_rows(
            estimator, learner, kwargs, labels=True
        )
        self._reject_kwargs(kwargs, type(self).__name__)
        if X_labeled is None or y_labeled is None:
            raise InvalidParameterError(
                "WeibullOutlier needs labeled rows: pass X_labeled and y_labeled "
                "or call it through a learner with training data."
            )
        means, params = self.fit_class_models(estimator, X_labeled, y_labeled)
        proba, z = embed_pool(estimator, X, return_proba=True, n_jobs=self.n_jobs)
        k = np.asarray(proba).argmax(1)
        dist = np.linalg.norm(np.asarray(z, dtype=np.float64) - means[k], axis=1)
        c, scale = params[k, 0], params[k, 1]
        unseen = np.isnan(dist)
        dist = np.where(unseen, 0.0, dist)
        c, scale = np.where(unseen, 1.0, c), np.where(unseen, 1.0, scale)
        neg_logsf = -weibull_min.logsf(dist, c, 0.0, scale)
        # rows of classes without labeled rows rank first (finite for top_k)
        if unseen.any():
            finite = neg_logsf[~unseen]
            top = finite.max() if finite.size else 0.0
            neg_logsf[unseen] = top + 1.0
        cdf = np.where(unseen, 1.0, weibull_min.cdf(dist, c, 0.0, scale))
        indices = top_k(neg_logsf, n_instances, random_state=rng)
        return indices, cdf[indices]
