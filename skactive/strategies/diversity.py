"""Diversity strategies: core-set, temperature diversity sampling, BADGE,
diverse mini-batch, TypiClust and ProbCover.

Each one embeds the candidates (:func:`skactive._inference.embed_pool`) and
hands the embeddings to a selector of :mod:`skactive.diversity`.

Embeddings
----------
skactive nets give their penultimate embeddings (the input of the final
linear layer). A scikit-learn :class:`~sklearn.pipeline.Pipeline` gives the
features its final step sees; any other estimator gives the input rows,
flattened.

Labeled rows
------------
Strategies that take the labeled set into account (core-set, diversity
sampling, TypiClust, ProbCover) read it from the ``X_labeled`` keyword argument
of the call (``learner.query(X_pool, n_instances=k, X_labeled=X_train)``);
without it they fall back to the modAL learner's ``X_training`` when the
strategy is called with a learner, and to no labeled set otherwise.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import diversity as _div
from .. import scores as _scores
from .._inference import embed_pool
from .._validation import N_JOBS, Interval, StrOptions
from ..selection import top_k
from ._base import QueryStrategy

__all__ = [
    "CoreSet",
    "DiversitySampling",
    "BADGE",
    "DiverseMiniBatch",
    "TypiClust",
    "ProbCover",
]


class _EmbeddingStrategy(QueryStrategy):
    """Shared parameters of the strategies that select in embedding space."""

    _parameter_constraints = {"n_jobs": N_JOBS}

    def __init__(self, *, n_jobs=None, R=None, random_state=None):
        super().__init__(R=R, random_state=random_state)
        self.n_jobs = n_jobs

    def _embed(self, estimator, X):
        # the selectors read embeddings in blocks: a lazy pool's rows, or a
        # net's embeddings in a file, stay where they are
        return embed_pool(estimator, X, n_jobs=self.n_jobs, lazy=True)

    def _pop_labeled(self, estimator, learner, kwargs):
        """Embeddings of the labeled rows (keyword first, then the learner's)."""
        X_labeled, _ = self._labeled_rows(estimator, learner, kwargs)
        self._reject_kwargs(kwargs, type(self).__name__)
        if X_labeled is None:
            return None
        return embed_pool(estimator, X_labeled, n_jobs=self.n_jobs)


class _TorchEmbeddingStrategy(_EmbeddingStrategy):
    """An embedding strategy whose selection runs in torch (``device``)."""

    _parameter_constraints = {"device": ["device", None]}

    def __init__(self, *, device=None, n_jobs=None, R=None, random_state=None):
        super().__init__(n_jobs=n_jobs, R=R, random_state=random_state)
        self.device = device


class DiversitySampling(_TorchEmbeddingStrategy):
    """Temperature-controlled diversity sampling (Buchert et al. 2023, eq. 1–2).

    Each pick is drawn with probability proportional to ``d_i^(1/T)``, the
    distance of candidate ``i`` to its nearest labeled or already selected row.
    ``temperature=0`` is k-center greedy (:class:`CoreSet`), ``0.5`` is
    k-means++ seeding.

    Parameters
    ----------
    temperature : float, default=0.5
        ``T >= 0``.
    device : str, torch.device or None, default=None
        Where the distance updates run (``"cuda"`` for a GPU).
    n_jobs : int or None, default=None
        Parallel chunks for embedding a pool with a scikit-learn estimator.
    R : int or None, default=None
        Candidate subsample size.
    random_state : int, RandomState instance or None, default=None
        Pass an int for reproducible output across multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import DiversitySampling
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:50], y[:50])
    >>> DiversitySampling(0.5, random_state=0)(clf, X[50:], 3, X_labeled=X[:50]).shape
    (3,)
    """

    _parameter_constraints = {
        "temperature": [Interval(numbers.Real, 0, None, closed="left")]
    }

    def __init__(
        self, temperature=0.5, *, device=None, n_jobs=None, R=None, random_state=None
    ):
        super().__init__(device=device, n_jobs=n_jobs, R=R, random_state=random_state)
        self.temperature = temperature

    def _temperature(self):
        return self.temperature

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        from ._distributed import cluster_for, distributed_diversity

        client = cluster_for(X, kwargs.pop("client", None))
        labeled = self._pop_labeled(estimator, learner, kwargs)
        if client is not None:  # embedded and selected on the workers
            indices, distances = distributed_diversity(
                self,
                estimator,
                X,
                n_instances,
                rng,
                client,
                labeled=labeled,
                temperature=self._temperature(),
            )
            return indices, np.asarray(distances)
        emb = self._embed(estimator, X)
        indices, distances = _div.diversity_sampling(
            emb,
            n_instances,
            labeled=labeled,
            temperature=self._temperature(),
            random_state=rng,
            device=self.device,
            return_distances=True,
        )
        return indices, np.asarray(distances)


class CoreSet(DiversitySampling):
    """Core-set selection by k-center greedy (Sener & Savarese 2018).

    "Geometry" in Siméoni et al. 2020: each pick is the candidate farthest from
    its nearest labeled or already selected row, in penultimate-embedding
    space. Scores are those distances at the time of each pick.

    Parameters
    ----------
    device : str, torch.device or None, default=None
        Where the distance updates run.
    n_jobs : int or None, default=None
        Parallel chunks for embedding with a scikit-learn estimator.
    R : int or None, default=None
        Candidate subsample size.
    random_state : int, RandomState instance or None, default=None
        Breaks ties and picks the first row when nothing is labeled.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import CoreSet
    >>> X = np.array([[0.0, 0], [0.1, 0], [5, 5], [9, 9]])
    >>> clf = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> CoreSet(random_state=0)(clf, X, 2, X_labeled=X[:1])
    array([3, 2])
    """

    def __init__(self, *, device=None, n_jobs=None, R=None, random_state=None):
        super().__init__(
            0.0, device=device, n_jobs=n_jobs, R=R, random_state=random_state
        )

    def _temperature(self):
        return 0.0


class BADGE(_TorchEmbeddingStrategy):
    """Batch active learning by diverse gradient embeddings (Ash et al. 2020).

    k-means++ seeding on the gradient embeddings ``(p - e_yhat) ⊗ f`` of the
    cross-entropy loss w.r.t. the final layer, computed without materialising
    them (memory ``O(n (d + C))``; see
    :func:`skactive.diversity.badge_sampling`). The first centre is the row with
    the largest gradient norm.

    Parameters
    ----------
    device : str, torch.device or None, default=None
    n_jobs : int or None, default=None
    R : int or None, default=None
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import BADGE
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:50], y[:50])
    >>> BADGE(random_state=0)(clf, X[50:], 4).shape
    (4,)
    """

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        from ._distributed import cluster_for, distributed_badge

        client = cluster_for(X, kwargs.pop("client", None))
        self._reject_kwargs(kwargs, type(self).__name__)
        if client is not None:  # gradient embeddings on the workers
            return distributed_badge(self, estimator, X, n_instances, rng, client)
        proba, emb = embed_pool(
            estimator, X, return_proba=True, n_jobs=self.n_jobs, lazy=True
        )
        indices = _div.badge_sampling(
            proba, emb, n_instances, random_state=rng, device=self.device
        )
        u = proba.copy()
        u[np.arange(len(u)), proba.argmax(1)] -= 1.0
        norms = np.linalg.norm(u[indices], axis=1) * np.linalg.norm(
            emb[indices], axis=1
        )
        return indices, norms


class DiverseMiniBatch(_EmbeddingStrategy):
    """Diverse mini-batch active learning (Zhdanov 2019).

    Prefilter the ``beta * n`` most uncertain candidates, cluster them with
    weighted k-means into ``n`` clusters (weights = uncertainty), and return
    the candidate nearest each centroid.

    Parameters
    ----------
    beta : int, default=10
        Prefilter factor.
    measure : {"margin", "entropy", "least_confidence"}, default="margin"
        Uncertainty used to prefilter and weight; the margin enters as
        ``1 - (p_1 - p_2)`` so every weight is positive.
    n_jobs, R, random_state
        As in :class:`DiversitySampling` (the clustering and neighbour
        searches run on the CPU, in NumPy and scikit-learn).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import DiverseMiniBatch
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:50], y[:50])
    >>> DiverseMiniBatch(beta=5, random_state=0)(clf, X[50:], 4).shape
    (4,)
    """

    _parameter_constraints = {
        "beta": [Interval(numbers.Integral, 1, None, closed="left")],
        "measure": [StrOptions({"margin", "entropy", "least_confidence"})],
    }

    def __init__(
        self,
        beta=10,
        measure="margin",
        *,
        n_jobs=None,
        R=None,
        random_state=None,
    ):
        super().__init__(n_jobs=n_jobs, R=R, random_state=random_state)
        self.beta = beta
        self.measure = measure

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        measures = {
            "margin": lambda p: 1.0 + _scores.margin(p),
            "entropy": _scores.entropy,
            "least_confidence": _scores.least_confidence,
        }
        proba, emb = embed_pool(
            estimator, X, return_proba=True, n_jobs=self.n_jobs, lazy=True
        )
        uncertainty = measures[self.measure](proba)
        n_keep = min(len(uncertainty), self.beta * n_instances)
        keep = top_k(uncertainty, n_keep, random_state=rng)
        weights = np.maximum(uncertainty[keep], np.finfo(np.float64).tiny)
        centers, _ = _div.weighted_kmeans(
            emb[keep], n_instances, sample_weight=weights, random_state=rng
        )
        nearest = _div.nearest_to_centers(emb[keep], centers)
        indices = keep[nearest]
        return indices, uncertainty[indices]


class TypiClust(_EmbeddingStrategy):
    """TypiClust (Hacohen et al. 2022): the most typical row of uncovered clusters.

    Meant for the low-budget regime and cold start: clusters the candidates and
    labeled rows into ``n_labeled + n`` clusters and takes, from the largest
    clusters without labeled rows, the row of highest typicality (inverse mean
    distance to its ``k_neighbors`` nearest neighbours in the cluster).

    Parameters
    ----------
    k_neighbors : int, default=20
    n_jobs, R, random_state
        As in :class:`DiversitySampling` (the clustering and neighbour
        searches run on the CPU; an embedding in a file, a lazy pool's or
        one ``shared_inference(directory=...)`` wrote, is read by blocks:
        see :func:`~skactive.selection.typiclust_sampling`).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import TypiClust
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:50], y[:50])
    >>> TypiClust(random_state=0)(clf, X[50:], 3).shape
    (3,)
    """

    _parameter_constraints = {
        "k_neighbors": [Interval(numbers.Integral, 1, None, closed="left")]
    }

    def __init__(self, k_neighbors=20, *, n_jobs=None, R=None, random_state=None):
        super().__init__(n_jobs=n_jobs, R=R, random_state=random_state)
        self.k_neighbors = k_neighbors

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        labeled = self._pop_labeled(estimator, learner, kwargs)
        emb = self._embed(estimator, X)
        indices = _div.typiclust_sampling(
            emb,
            n_instances,
            labeled=labeled,
            k_neighbors=self.k_neighbors,
            random_state=rng,
        )
        return indices, None


class ProbCover(_EmbeddingStrategy):
    """ProbCover (Yehuda et al. 2022): greedy coverage of delta-balls.

    Parameters
    ----------
    delta : float
        Ball radius in embedding space. Yehuda et al. choose the largest radius
        whose balls stay 95% pure with respect to a k-means clustering into as
        many clusters as classes.
    n_jobs, R, random_state
        As in :class:`DiversitySampling` (the distance passes run on the
        CPU; an embedding in a file, a lazy pool's or one
        ``shared_inference(directory=...)`` wrote, is read by blocks: see
        :func:`~skactive.selection.probcover_sampling`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import ProbCover
    >>> X = np.array([[0.0, 0], [0.1, 0], [0, 0.1], [5, 5], [5.1, 5]])
    >>> clf = LogisticRegression().fit(X, [0, 0, 0, 1, 1])
    >>> sorted(ProbCover(delta=0.5, random_state=0)(clf, X, 2).tolist())[1] >= 3
    True
    """

    _parameter_constraints = {
        "delta": [Interval(numbers.Real, 0, None, closed="neither")]
    }

    def __init__(self, delta=1.0, *, n_jobs=None, R=None, random_state=None):
        super().__init__(n_jobs=n_jobs, R=R, random_state=random_state)
        self.delta = delta

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        labeled = self._pop_labeled(estimator, learner, kwargs)
        emb = self._embed(estimator, X)
        indices = _div.probcover_sampling(
            emb, n_instances, delta=self.delta, labeled=labeled, random_state=rng
        )
        return indices, None
