"""DropQuery: rows whose prediction breaks under feature dropout (Gupte et al. 2024).

:class:`DropQuery` predicts every candidate ``n_drops`` times with a random
share ``p`` of its input features zeroed (inverted-dropout scaling), keeps
the candidates whose predicted class changes on more than half of the drops
(inconsistent, hence informative), and clusters them with k-means into
``n_instances`` clusters, taking the row nearest to each centre. On cached
embeddings with a linear head, the features are the embeddings, as in the
paper.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._inference import embed_pool
from .._validation import N_JOBS, Interval
from ..selection import nearest_to_centers, weighted_kmeans
from ._base import QueryStrategy

__all__ = ["DropQuery"]


def _predict(estimator, X):
    from .._inference import predict_proba_pool

    return np.asarray(predict_proba_pool(estimator, X)).argmax(axis=1)


class DropQuery(QueryStrategy):
    """DropQuery (Gupte et al. 2024): inconsistency under feature dropout, then k-means.

    Parameters
    ----------
    p : float, default=0.75
        Share of the features dropped in every copy (the kept ones scaled
        by ``1 / (1 - p)``).
    n_drops : int, default=3
        Dropout copies per row; a row is a candidate when its predicted class
        changes on more than half of them.
    n_jobs : int or None, default=None
        Parallel chunks for scoring a pool with a scikit-learn estimator.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Draws the dropout masks and seeds the k-means. Pass an int for
        reproducible output across multiple function calls.

    Notes
    -----
    When fewer than ``n_instances`` rows are inconsistent, the most
    inconsistent rows (most changed drops, then at random) fill the set that
    is clustered. The features are the model's input rows, flattened (the
    estimator must predict from them).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import DropQuery
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:50], y[:50])
    >>> DropQuery(random_state=0)(clf, X[50:], 3).shape
    (3,)
    """

    _parameter_constraints = {
        "p": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_drops": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_jobs": N_JOBS,
    }

    def __init__(self, p=0.75, *, n_drops=3, n_jobs=None, R=None, random_state=None):
        super().__init__(R=R, random_state=random_state)
        self.p = p
        self.n_drops = n_drops
        self.n_jobs = n_jobs

    def changes(self, estimator, X, rng):
        """How many of the ``n_drops`` dropout copies change each row's class.

        Parameters
        ----------
        estimator : fitted classifier
        X : array-like of shape (n_samples, n_features)
        rng : numpy.random.RandomState
            Draws the masks (``n_drops`` masks of ``X``'s shape, in order).

        Returns
        -------
        ndarray of int of shape (n_samples,)
        """
        X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        base = _predict(estimator, X)
        count = np.zeros(len(X), dtype=np.int64)
        for _ in range(self.n_drops):
            keep = rng.random_sample(X.shape) >= self.p
            count += _predict(estimator, X * keep / (1.0 - self.p)) != base
        return count

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        count = self.changes(estimator, X, rng)
        chosen = np.flatnonzero(count > self.n_drops / 2)
        if chosen.size < n_instances:
            order = np.lexsort((rng.random_sample(count.size), -count))
            chosen = np.sort(order[:n_instances])
        emb = np.asarray(embed_pool(estimator, X, n_jobs=self.n_jobs))[chosen]
        centers, _ = weighted_kmeans(emb, n_instances, random_state=rng)
        local = np.asarray(nearest_to_centers(emb, centers), dtype=np.int64)
        indices = chosen[local]
        return indices, count[indices].astype(np.float64)
