"""TCM: TypiClust first, then margin (Doucet et al. 2024).

At low budgets typical, diverse picks beat uncertainty; once the model has
seen enough labels, uncertainty wins (Hacohen et al. 2022). :class:`TCM`
switches from :class:`~skactive.strategies.TypiClust` to margin sampling once
the labeled set reaches a switch point, which makes it a budget-aware
default (``make_strategy("auto")``).
"""

from __future__ import annotations

import numbers

import numpy as np

from .._rows import n_rows
from .._validation import N_JOBS, Interval
from ._base import QueryStrategy

__all__ = ["TCM"]


def _n_labeled(learner, kwargs):
    X_labeled = kwargs.get("X_labeled")
    if X_labeled is None:
        X_labeled = getattr(learner, "X_training", None)
    return 0 if X_labeled is None else int(n_rows(X_labeled))


class TCM(QueryStrategy):
    """TypiClust until a switch point, then margin sampling (Doucet et al. 2024).

    A batch is TypiClust's (:class:`~skactive.strategies.TypiClust`) while
    the labeled set is smaller than the switch point, margin sampling's
    (:class:`~skactive.strategies.UncertaintySampling` ``"margin"``) from
    then on; the phase is decided once per batch, from the labeled rows
    (the ``X_labeled`` keyword, else the learner's ``X_training``). Like
    TypiClust, it can pick a cold-start batch from embeddings alone
    (:func:`~skactive.experiment.evaluate_strategies` lets it).

    Parameters
    ----------
    switch_per_class : int, default=3
        The switch point in labels per class: ``switch_per_class *
        n_classes``, the classes being the estimator's ``classes_``. Doucet
        et al. switch after the first rounds of a low budget. Of the switch
        points measured by ``benchmarks/bench_label_efficiency.py`` (3 and 10
        per class; MNIST and CIFAR-10, cached PCA embeddings, 10 seeds), 3
        lost fewest paired comparisons summed over both datasets (0.6 vs
        0.8 in the penalty matrix); MNIST alone prefers 10.
    switch : int or None, default=None
        The switch point in labels, overriding ``switch_per_class``.
    k_neighbors : int, default=20
        TypiClust's typicality neighbourhood.
    n_jobs : int or None, default=None
        Parallel chunks for embedding or scoring a pool.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Pass an int for reproducible output across multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import TCM
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:20], y[:20])
    >>> tcm = TCM(random_state=0)
    >>> tcm.phase(clf, n_labeled=20), tcm.phase(clf, n_labeled=30)
    ('typiclust', 'margin')
    >>> tcm(clf, X[20:], 3, X_labeled=X[:20]).shape
    (3,)
    """

    _cold_start = True
    _parameter_constraints = {
        "switch_per_class": [Interval(numbers.Integral, 0, None, closed="left")],
        "switch": [Interval(numbers.Integral, 0, None, closed="left"), None],
        "k_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_jobs": N_JOBS,
    }

    def __init__(
        self,
        switch_per_class=3,
        *,
        switch=None,
        k_neighbors=20,
        n_jobs=None,
        R=None,
        random_state=None,
    ):
        super().__init__(R=R, random_state=random_state)
        self.switch_per_class = switch_per_class
        self.switch = switch
        self.k_neighbors = k_neighbors
        self.n_jobs = n_jobs

    def switch_point(self, estimator):
        """The labeled-set size from which the batches are margin's.

        Parameters
        ----------
        estimator : fitted classifier or modAL learner

        Returns
        -------
        int
        """
        if self.switch is not None:
            return int(self.switch)
        model = getattr(estimator, "estimator", estimator)
        classes = getattr(model, "classes_", None)
        n_classes = 1 if classes is None else len(np.atleast_1d(classes))
        return int(self.switch_per_class) * n_classes

    def phase(self, estimator, *, n_labeled):
        """``"typiclust"`` or ``"margin"``: the batch TCM picks after ``n_labeled``.

        Parameters
        ----------
        estimator : fitted classifier or modAL learner
        n_labeled : int
            Labeled rows so far.

        Returns
        -------
        str
        """
        return "typiclust" if n_labeled < self.switch_point(estimator) else "margin"

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        from .diversity import TypiClust
        from .uncertainty import UncertaintySampling

        if self.phase(estimator, n_labeled=_n_labeled(learner, kwargs)) == "margin":
            kwargs.pop("X_labeled", None)
            margin = UncertaintySampling("margin", n_jobs=self.n_jobs)
            return margin._select(estimator, X, n_instances, rng, **kwargs)
        typiclust = TypiClust(self.k_neighbors, n_jobs=self.n_jobs)
        return typiclust._select(
            estimator, X, n_instances, rng, learner=learner, **kwargs
        )
