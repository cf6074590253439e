"""Herding strategies: MaxHerding and Uncertainty Herding (Bae et al. 2024, 2025).

Both greedily maximise a kernel coverage of the pool in embedding space
(:func:`skactive.selection.herding_sampling`): MaxHerding the plain coverage
(a low-budget, typical-and-diverse strategy that needs no trained model
beyond its embedding), Uncertainty Herding the coverage weighted by the
model's temperature-calibrated uncertainty (:mod:`skactive.calibration`),
which moves from coverage at low budget towards uncertainty as the model
becomes informative.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._inference import embed_pool, predict_proba_pool
from .._validation import N_JOBS, Interval, StrOptions
from ..selection import herding_sampling
from ._base import QueryStrategy

__all__ = ["MaxHerding", "UncertaintyHerding"]


class _Herding(QueryStrategy):
    _parameter_constraints = {
        "bandwidth": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "n_candidates": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_jobs": N_JOBS,
    }

    def _labeled_embeddings(self, estimator, learner, kwargs, labels=False):
        X_labeled, y_labeled = self._labeled_rows(
            estimator, learner, kwargs, labels=labels
        )
        if X_labeled is None:
            return None, None, None
        return (
            embed_pool(estimator, X_labeled, n_jobs=self.n_jobs),
            X_labeled,
            y_labeled,
        )


class MaxHerding(_Herding):
    """MaxHerding (Bae et al. 2024): greedy generalised coverage of the pool.

    The batch greedily maximises ``sum_x max_{s in L ∪ S} k(x, s)`` with a
    Gaussian kernel on the embeddings (the labeled rows ``L`` from the
    ``X_labeled`` keyword, else the learner's ``X_training``).

    Parameters
    ----------
    bandwidth : float or None, default=None
        The kernel's ``σ``; ``None``: the median distance between random
        pairs of candidates.
    n_candidates : int or None, default=2000
        Rows considered for a pick (coverage is measured on all rows).
    n_jobs : int or None, default=None
        Parallel chunks for embedding a pool with a scikit-learn estimator.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Pass an int for reproducible output across multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import MaxHerding
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:50], y[:50])
    >>> MaxHerding(random_state=0)(clf, X[50:], 3, X_labeled=X[:50]).shape
    (3,)
    """

    _cold_start = True

    def __init__(
        self,
        *,
        bandwidth=None,
        n_candidates=2000,
        n_jobs=None,
        R=None,
        random_state=None,
    ):
        super().__init__(R=R, random_state=random_state)
        self.bandwidth = bandwidth
        self.n_candidates = n_candidates
        self.n_jobs = n_jobs

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        labeled, _, _ = self._labeled_embeddings(estimator, learner, kwargs)
        self._reject_kwargs(kwargs, type(self).__name__)
        emb = embed_pool(estimator, X, n_jobs=self.n_jobs)
        indices = herding_sampling(
            emb,
            n_instances,
            labeled=labeled,
            bandwidth=self.bandwidth,
            n_candidates=self.n_candidates,
            random_state=rng,
        )
        return indices, None


def _uncertainty(proba, measure):
    if measure == "entropy":
        p = np.clip(proba, 1e-300, 1.0)
        k = max(proba.shape[1], 2)
        return -(proba * np.log(p)).sum(axis=1) / np.log(k)
    if measure == "least_confidence":
        return 1.0 - proba.max(axis=1)
    if proba.shape[1] < 2:
        return np.zeros(proba.shape[0])
    top2 = -np.partition(-proba, 1, axis=1)[:, :2]
    return 1.0 - (top2[:, 0] - top2[:, 1])


class UncertaintyHerding(_Herding):
    """Uncertainty Herding (Bae, Sutherland & Oliveira 2025).

    Greedily maximises the uncertainty-weighted coverage
    ``sum_x U(x) max_{s in L ∪ S} k(x, s)``, with ``U`` the uncertainty of
    the model's temperature-scaled probabilities (:func:`skactive.
    calibration.calibrate`). The temperature is fitted on the
    ``X_calibration``/``y_calibration`` keywords when given (held-out
    labeled rows, as it should be), else on the labeled rows (``X_labeled``
    / ``y_labeled``, or the learner's training rows); with
    ``calibrate=False`` or fewer than 2 labeled rows it is 1.

    Parameters
    ----------
    measure : {"margin", "entropy", "least_confidence"}, default="margin"
        ``U`` in ``[0, 1]``: ``1 - (p_1 - p_2)``, entropy over
        ``log(n_classes)``, or ``1 - max p``.
    calibrate : bool, default=True
        Temperature-scale the probabilities first.
    bandwidth, n_candidates, n_jobs, R, random_state
        As in :class:`MaxHerding`.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import UncertaintyHerding
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:50], y[:50])
    >>> UncertaintyHerding(random_state=0)(
    ...     clf, X[50:], 3, X_labeled=X[:50], y_labeled=y[:50]).shape
    (3,)
    """

    _parameter_constraints = {
        "measure": [StrOptions({"margin", "entropy", "least_confidence"})],
        "calibrate": ["boolean"],
    }

    def __init__(
        self,
        measure="margin",
        *,
        calibrate=True,
        bandwidth=None,
        n_candidates=2000,
        n_jobs=None,
        R=None,
        random_state=None,
    ):
        super().__init__(R=R, random_state=random_state)
        self.measure = measure
        self.calibrate = calibrate
        self.bandwidth = bandwidth
        self.n_candidates = n_candidates
        self.n_jobs = n_jobs

    def _model(self, estimator, X_cal, y_cal):
        from ..calibration import calibrate

        if not self.calibrate or X_cal is None or y_cal is None or len(y_cal) < 2:
            return estimator
        return calibrate(estimator, X_cal, y_cal)

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        X_cal = kwargs.pop("X_calibration", None)
        y_cal = kwargs.pop("y_calibration", None)
        labeled, X_lab, y_lab = self._labeled_embeddings(
            estimator, learner, kwargs, labels=True
        )
        self._reject_kwargs(kwargs, type(self).__name__)
        if X_cal is None:
            X_cal, y_cal = X_lab, y_lab
        model = self._model(estimator, X_cal, y_cal)
        proba = predict_proba_pool(model, X, n_jobs=self.n_jobs)
        weights = _uncertainty(np.asarray(proba, dtype=np.float64), self.measure)
        emb = embed_pool(estimator, X, n_jobs=self.n_jobs)
        indices = herding_sampling(
            emb,
            n_instances,
            weights=weights,
            labeled=labeled,
            bandwidth=self.bandwidth,
            n_candidates=self.n_candidates,
            random_state=rng,
        )
        return indices, weights[indices]
