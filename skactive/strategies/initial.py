"""Cold-start query strategy: diversity sampling in a learned embedding.

:class:`InitialSelection` needs no fitted model, only a transformer that
embeds the pool (a representation learner of :mod:`skactive.representation`
or any scikit-learn transformer); the picks are temperature-controlled
diversity sampling (:func:`skactive.selection.diversity_sampling`) in that
embedding (Buchert et al. 2023). :func:`skactive.representation.initial_selection`
is the same selection as a function.
"""

from __future__ import annotations

import numbers

from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .._inference import transform_pool
from .._validation import HasMethods, Interval, InvalidParameterError
from ..diversity import diversity_sampling
from ._base import QueryStrategy

__all__ = ["InitialSelection"]


def _check_embedder(embedder):
    for method in ("fit", "transform"):
        if not callable(getattr(embedder, method, None)):
            raise InvalidParameterError(
                "embedder must be a scikit-learn transformer with fit and transform "
                f"(e.g. skactive.representation.RotNet), got {embedder!r}."
            )


def _is_fitted(embedder):
    try:
        check_is_fitted(embedder)
    except NotFittedError:
        return False
    return True


def _diverse_picks(X, n, embedder, temperature, random_state, labeled=None):
    emb = transform_pool(embedder, X)
    lab = None if labeled is None else transform_pool(embedder, labeled)
    return diversity_sampling(
        emb,
        n,
        labeled=lab,
        temperature=temperature,
        random_state=random_state,
        return_distances=True,
    )


class InitialSelection(QueryStrategy):
    """Cold-start query strategy: diversity sampling in a learned embedding.

    The first query of an active learner that has no labels yet (it does not
    need the learner's estimator to be fitted): the pool is embedded with
    ``embedder`` and rows are picked by temperature-controlled diversity
    sampling (:func:`initial_selection`). Later queries may use it too: the
    labeled rows (``X_labeled=`` keyword of the query, else the modAL
    learner's ``X_training``) then count as already selected.

    Parameters
    ----------
    embedder : transformer
        A representation learner of :mod:`skactive.representation` or any
        scikit-learn transformer. A fitted embedder is used as it is; an
        unfitted one is cloned and the clone fitted on the candidates at
        every call (the strategy keeps no fitted state), so fit it once
        beforehand on the pool to reuse it (and its ``encoder_``).
    temperature : float, default=0.5
        ``T >= 0`` of the diversity sampling.
    R : int or None, default=None
        Candidate subsample size; ``None`` uses the whole pool.
    random_state : int, RandomState instance or None, default=None
        Seeds the candidate subsample and the picks. Pass an int for
        reproducible output across multiple function calls.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive import ActiveLearner
    >>> from skactive.nets import DeepClassifier, SmallCNN
    >>> from skactive.representation import RotNet
    >>> from skactive.strategies import InitialSelection
    >>> X = (load_digits().images[:300] * 255 / 16).astype(np.uint8)
    >>> rot = RotNet(max_epochs=1, random_state=0).fit(X)
    >>> learner = ActiveLearner(
    ...     DeepClassifier(SmallCNN, max_epochs=1),  # not fitted yet
    ...     InitialSelection(rot, temperature=0.5, random_state=0),
    ... )
    >>> idx, rows = learner.query(X, n_instances=10)
    >>> idx.shape
    (10,)
    """

    _requires_fit = False

    _parameter_constraints = {
        "embedder": [HasMethods(["fit", "transform"])],
        "temperature": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(self, embedder, temperature=0.5, *, R=None, random_state=None):
        super().__init__(R=R, random_state=random_state)
        self.embedder = embedder
        self.temperature = temperature

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        X_labeled, _ = self._labeled_rows(estimator, learner, kwargs)
        self._reject_kwargs(kwargs, type(self).__name__)
        embedder = self.embedder
        if not _is_fitted(embedder):
            embedder = clone(embedder).fit(X)
        indices, distances = _diverse_picks(
            X, n_instances, embedder, self.temperature, rng, labeled=X_labeled
        )
        return indices, distances
