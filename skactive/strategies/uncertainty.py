"""Uncertainty sampling: least confidence, margin, entropy, and the random baseline."""

from __future__ import annotations

import numpy as np

from .. import scores as _scores
from .._inference import predict_proba_pool
from .._rows import n_rows
from .._validation import BATCH_SIZE, N_JOBS, StrOptions, check_has_method
from ._base import QueryStrategy, ScoreStrategy

__all__ = [
    "RandomSampling",
    "UncertaintySampling",
    "random_sampling",
    "least_confidence_sampling",
    "margin_sampling",
    "entropy_sampling",
]


class RandomSampling(QueryStrategy):
    """Uniform random sampling without replacement (the baseline).

    Parameters
    ----------
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`); has no effect on
        the distribution of picks.
    random_state : int, RandomState instance or None, default=None
        Pass an int for reproducible output across multiple function calls.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies import RandomSampling
    >>> X_pool = np.arange(20.0).reshape(10, 2)
    >>> RandomSampling(random_state=0)(None, X_pool, n_instances=3)
    array([2, 8, 4])
    """

    _requires_fit = False

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        indices = rng.choice(n_rows(X), size=n_instances, replace=False)
        return indices.astype(np.int64), None


_MEASURES = {
    "least_confidence": _scores.least_confidence,
    "margin": _scores.margin,
    "entropy": _scores.entropy,
}


class UncertaintySampling(ScoreStrategy):
    """Pick the rows whose predicted class distribution is most uncertain.

    Parameters
    ----------
    measure : {"entropy", "margin", "least_confidence"}, default="entropy"
        ``"least_confidence"``: ``1 - max_c p``; ``"margin"``: the smallest
        ``p_1 - p_2`` first; ``"entropy"``: ``-sum_c p log p``.
    batch_size : int or None, default=None
        Rows per ``predict_proba`` call for estimators that are not skorch nets
        (skorch nets use their own iterator's batch size).
    n_jobs : int or None, default=None
        joblib workers scoring the chunks in parallel (``-1``: all cores).
        Runs under the active joblib backend, so
        ``joblib.parallel_config(backend="dask")`` spreads a large pool over a
        Dask cluster.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Breaks ties and draws the candidate subsample. Pass an int for
        reproducible output across multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import UncertaintySampling
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> strategy = UncertaintySampling("margin", random_state=0)
    >>> strategy(clf, X, n_instances=3).shape
    (3,)
    """

    _parameter_constraints = {
        "measure": [StrOptions(set(_MEASURES))],
        "batch_size": BATCH_SIZE,
        "n_jobs": N_JOBS,
    }

    def __init__(
        self,
        measure="entropy",
        *,
        batch_size=None,
        n_jobs=None,
        R=None,
        random_state=None,
    ):
        super().__init__(R=R, random_state=random_state)
        self.measure = measure
        self.batch_size = batch_size
        self.n_jobs = n_jobs

    def _score(self, estimator, X):
        check_has_method(estimator, "predict_proba", purpose=type(self).__name__)
        proba = predict_proba_pool(
            estimator, X, batch_size=self.batch_size, n_jobs=self.n_jobs
        )
        return _MEASURES[self.measure](proba)


#: Ready-made strategies for the common cases. They hold no fitted state, so
#: sharing them is safe; ``clone`` one to change its parameters.
random_sampling = RandomSampling()
least_confidence_sampling = UncertaintySampling("least_confidence")
margin_sampling = UncertaintySampling("margin")
entropy_sampling = UncertaintySampling("entropy")
