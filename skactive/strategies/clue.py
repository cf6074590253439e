"""CLUE: clustering uncertainty-weighted embeddings (Prabhu et al. 2021).

:class:`CLUE` clusters the candidates' embeddings by k-means weighted by the
model's predictive entropy, into as many clusters as rows to pick, and takes
the row nearest to every centre: diverse picks, pulled towards the
uncertain regions.
"""

from __future__ import annotations

import numpy as np

from .. import scores as _scores
from .._inference import embed_pool, predict_proba_pool
from .._validation import N_JOBS, check_has_method
from ..selection import nearest_to_centers, weighted_kmeans
from ._base import QueryStrategy

__all__ = ["CLUE"]


class CLUE(QueryStrategy):
    """Clustering Uncertainty-weighted Embeddings (Prabhu et al. 2021).

    Weighted k-means (:func:`skactive.selection.weighted_kmeans`, k-means++
    initialisation) of the candidates' embeddings with ``n_instances``
    clusters and the predictive entropy of every row as its weight; the
    batch is the distinct row nearest to each centre
    (:func:`skactive.selection.nearest_to_centers`). Rows with zero entropy
    weigh nothing; when fewer rows than ``n_instances`` have a positive
    entropy, every row gets a tiny floor weight.

    Parameters
    ----------
    n_jobs : int or None, default=None
        Parallel chunks for scoring or embedding a pool with a scikit-learn
        estimator.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Seeds the k-means initialisation. Pass an int for reproducible output
        across multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import CLUE
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:50], y[:50])
    >>> CLUE(random_state=0)(clf, X[50:], 3).shape
    (3,)
    """

    _parameter_constraints = {"n_jobs": N_JOBS}

    def __init__(self, *, n_jobs=None, R=None, random_state=None):
        super().__init__(R=R, random_state=random_state)
        self.n_jobs = n_jobs

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        check_has_method(estimator, "predict_proba", purpose=type(self).__name__)
        proba = predict_proba_pool(estimator, X, n_jobs=self.n_jobs)
        weights = np.asarray(_scores.entropy(proba), dtype=np.float64)
        if np.count_nonzero(weights > 0) < n_instances:
            weights = np.maximum(weights, np.finfo(np.float64).tiny)
        emb = np.asarray(embed_pool(estimator, X, n_jobs=self.n_jobs))
        centers, _ = weighted_kmeans(
            emb, n_instances, sample_weight=weights, random_state=rng
        )
        indices = np.asarray(nearest_to_centers(emb, centers), dtype=np.int64)
        return indices, weights[indices]
