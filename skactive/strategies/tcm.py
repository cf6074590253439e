"""TCM: TypiClust first, then margin (Doucet et al. 2024).

At low budgets typical, diverse picks beat uncertainty; once the model has
seen enough labels, uncertainty wins (Hacohen et al. 2022). :class:`TCM`
switches from :class:`~skactive.strategies.TypiClust` to margin sampling once
the labeled set reaches a switch point, which makes it a budget-aware
default (``make_strategy("auto")``).

The default strategy adds a data-dependent condition to the switch
(``min_purity``): typical, diverse picks assume that rows close in the
embedding share a label (the purity assumption of ProbCover and the
cluster assumption of TypiClust). TCM checks it on the labels it has: the
share of labeled rows whose nearest other labeled row, in the embedding
TypiClust clusters, carries the same label. While that share is at least
``min_purity``, the geometry still predicts the labels and TypiClust goes
on; once it falls below, margin sampling takes over.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._inference import embed_pool
from .._rows import n_rows
from .._validation import N_JOBS, Interval
from ._base import QueryStrategy

__all__ = ["TCM", "nearest_label_agreement"]


def nearest_label_agreement(embeddings, labels, *, chunk_size=1024):
    """Share of rows whose nearest other row (Euclidean) has the same label.

    The leave-one-out accuracy of a 1-nearest-neighbour classifier on the
    labeled rows: an estimate, from labels alone, of how well the geometry
    of the embedding predicts the labels. Ties between equidistant
    neighbours go to the lowest row index. Distances are computed in chunks
    of ``chunk_size`` rows (``chunk_size x n`` at a time).

    Parameters
    ----------
    embeddings : ndarray of shape (n, n_features)
        The labeled rows' embeddings, ``n >= 2``.
    labels : ndarray of shape (n,)
        Their labels.
    chunk_size : int, default=1024

    Returns
    -------
    float
        In ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies.tcm import nearest_label_agreement
    >>> E = np.array([[0.0], [0.1], [5.0], [5.2], [9.0]])
    >>> nearest_label_agreement(E, np.array([0, 0, 1, 1, 0]))
    0.8
    """
    E = np.asarray(embeddings, dtype=np.float64).reshape(len(labels), -1)
    labels = np.asarray(labels)
    sq = np.einsum("ij,ij->i", E, E)
    nearest = np.empty(len(E), dtype=np.int64)
    for a in range(0, len(E), chunk_size):
        b = min(a + chunk_size, len(E))
        d = sq[a:b, None] - 2.0 * E[a:b] @ E.T + sq[None, :]
        d[np.arange(b - a), np.arange(a, b)] = np.inf
        nearest[a:b] = d.argmin(axis=1)
    return float(np.mean(labels[nearest] == labels))


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
    then on, unless ``min_purity`` keeps TypiClust going: past the switch
    point, a batch is still TypiClust's while the labeled rows' nearest-
    labeled-neighbour agreement in the embedding
    (:func:`nearest_label_agreement`) is at least ``min_purity``. The phase
    is decided once per batch, from the labeled rows (the ``X_labeled`` and
    ``y_labeled`` keywords, else the learner's ``X_training`` and
    ``y_training``; without labels ``min_purity`` is not consulted). Like
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
    min_purity : float in [0, 1] or None, default=None
        Past the switch point, stay with TypiClust while the labeled rows'
        nearest-labeled-neighbour agreement is at least this (``0`` never
        switches); ``None`` switches at the switch point whatever the labels
        say. ``make_strategy("auto")`` uses 0.5: stay while a labeled row's
        nearest labeled row shares its label more often than not.
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
    >>> import numpy as np
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

    With ``min_purity`` the labels decide past the switch point: on the
    digits' pixels 87% of the first 30 rows share their nearest row's
    label, shuffled labels none:

    >>> auto = TCM(3, min_purity=0.5)
    >>> auto.phase(clf, n_labeled=30, X_labeled=X[:30], y_labeled=y[:30])
    'typiclust'
    >>> auto.phase(clf, n_labeled=30, X_labeled=X[:30],
    ...            y_labeled=np.random.RandomState(0).permutation(y[:30]))
    'margin'
    """

    _cold_start = True
    _parameter_constraints = {
        "switch_per_class": [Interval(numbers.Integral, 0, None, closed="left")],
        "switch": [Interval(numbers.Integral, 0, None, closed="left"), None],
        "min_purity": [Interval(numbers.Real, 0, 1, closed="both"), None],
        "k_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_jobs": N_JOBS,
    }

    def __init__(
        self,
        switch_per_class=3,
        *,
        switch=None,
        min_purity=None,
        k_neighbors=20,
        n_jobs=None,
        R=None,
        random_state=None,
    ):
        super().__init__(R=R, random_state=random_state)
        self.switch_per_class = switch_per_class
        self.switch = switch
        self.min_purity = min_purity
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

    def phase(self, estimator, *, n_labeled, X_labeled=None, y_labeled=None):
        """``"typiclust"`` or ``"margin"``: the batch TCM picks after ``n_labeled``.

        Parameters
        ----------
        estimator : fitted classifier or modAL learner
        n_labeled : int
            Labeled rows so far.
        X_labeled, y_labeled : array-like or None, default=None
            The labeled rows and their labels, for ``min_purity`` (embedded
            as TypiClust embeds them).

        Returns
        -------
        str
        """
        if n_labeled < self.switch_point(estimator):
            return "typiclust"
        if (
            self.min_purity is not None
            and X_labeled is not None
            and y_labeled is not None
            and n_rows(X_labeled) >= 2
        ):
            model = getattr(estimator, "estimator", estimator)
            emb = embed_pool(model, X_labeled, n_jobs=self.n_jobs)
            emb = emb.numpy() if hasattr(emb, "numpy") else np.asarray(emb)
            agreement = nearest_label_agreement(emb, np.asarray(y_labeled))
            if agreement >= self.min_purity:
                return "typiclust"
        return "margin"

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        from .diversity import TypiClust
        from .uncertainty import UncertaintySampling

        X_labeled, y_labeled = None, None
        if self.min_purity is not None:
            # read from a copy: TypiClust still needs ``X_labeled`` below
            X_labeled, y_labeled = self._labeled_rows(
                estimator, learner, dict(kwargs), labels=True
            )
        phase = self.phase(
            estimator,
            n_labeled=_n_labeled(learner, kwargs),
            X_labeled=X_labeled,
            y_labeled=y_labeled,
        )
        kwargs.pop("y_labeled", None)
        if phase == "margin":
            kwargs.pop("X_labeled", None)
            margin = UncertaintySampling("margin", n_jobs=self.n_jobs)
            return margin._select(estimator, X, n_instances, rng, **kwargs)
        typiclust = TypiClust(self.k_neighbors, n_jobs=self.n_jobs)
        return typiclust._select(
            estimator, X, n_instances, rng, learner=learner, **kwargs
        )
