"""The strategy protocol: base classes of every query strategy.

Every strategy is a small scikit-learn-style object (parameters stored in
``__init__``, ``get_params``/``set_params``, :func:`sklearn.base.clone`) and is
called with the modAL protocol::

    indices = strategy(estimator, X_pool, n_instances=1, **kwargs)

``estimator`` may be a modAL learner (its ``.estimator`` is used), a fitted
scikit-learn classifier or a skactive net. The strategy validates its inputs,
optionally draws a candidate subsample of ``R`` pool rows, scores or embeds the
candidates, and hands the values to a selector.

Return convention
-----------------
``strategy.select(...)`` always returns ``(indices, scores)``: unique int64
indices into ``X_pool`` in selection order, and the score of each selected row
(``None`` for strategies without scores). Calling the strategy returns what its
caller expects, so the strategy runs exactly once per query:

* a genuine ``modAL`` learner whose ``query`` takes ``return_metrics``
  (modAL-python >= 0.4.2) unpacks two values, so it receives
  ``(indices, scores)``;
* modAL-python 0.4.1, :class:`skactive.ActiveLearner`, and direct calls
  receive the ``indices`` array alone.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from .._rows import n_rows, take_rows
from .._validation import (
    Interval,
    InvalidParameterError,
    _is_modal_learner,
    check_fitted,
    check_n_instances,
    check_pool,
    unwrap_estimator,
    validate_estimator_params,
)
from ..selection import subsample_candidates, top_k

__all__ = ["QueryStrategy", "ScoreStrategy", "expects_scores"]


@functools.lru_cache(maxsize=64)
def _query_unpacks_two(learner_class) -> bool:
    """Whether ``learner_class.query`` unpacks ``(indices, metrics)``.

    modAL-python >= 0.4.2 added ``return_metrics`` to ``query`` together with
    that convention; 0.4.1 expects the indices alone.
    """
    if getattr(learner_class, "_skactive_learner", False):
        return False
    try:
        params = inspect.signature(learner_class.query).parameters
    except (TypeError, ValueError, AttributeError):
        return False
    return "return_metrics" in params


def expects_scores(caller) -> bool:
    """Whether a strategy called with ``caller`` must return ``(indices, scores)``.

    True only for a modAL learner or committee whose ``query`` takes
    ``return_metrics`` (modAL-python >= 0.4.2), which unpacks two values;
    :class:`skactive.ActiveLearner`, modAL-python 0.4.1 and anything else
    expect the indices alone.

    Parameters
    ----------
    caller : object
        The first argument the strategy is called with: a learner, or an
        estimator for direct calls.

    Returns
    -------
    bool
        Whether to return ``(indices, scores)`` rather than ``indices``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import expects_scores
    >>> expects_scores(LogisticRegression())
    False
    """
    return _is_modal_learner(caller) and _query_unpacks_two(type(caller))


class QueryStrategy(BaseEstimator, metaclass=ABCMeta):
    """Base class of skactive query strategies.

    Subclasses implement :meth:`_select` on the candidate rows; this class
    validates inputs, unwraps modAL learners, draws the candidate subsample
    and maps indices back into the full pool.

    Parameters
    ----------
    R : int or None, default=None
        Candidate subsample size: draw ``R`` pool rows at random, select among
        them, and return indices into the full pool (DAST-AL and Beluch et al.
        use ``R = 10000``). ``None`` scores the whole pool.
    random_state : int, RandomState instance or None, default=None
        Controls the candidate subsample, tie-breaking and any sampling done by
        the strategy. Pass an int for reproducible output across multiple
        function calls.
    """

    #: Whether :meth:`_select` needs a fitted estimator.
    _requires_fit = True

    #: What the strategy asks of the estimator: ``"any"`` (any classifier with
    #: ``predict_proba``), ``"net"`` (a skactive net: MC-dropout samples or
    #: predictions under augmentation), ``"ensemble"`` (a committee),
    #: ``"loss_net"`` (a net with a loss-prediction module: ``predict_loss``)
    #: or ``"minimax_net"`` (a MAL net: ``predict_proba_with_discriminator``).
    needs = "any"

    _parameter_constraints = {
        "R": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, *, R=None, random_state=None):
        self.R = R
        self.random_state = random_state

    def select(self, estimator, X_pool, n_instances=1, **kwargs):
        """Select ``n_instances`` rows of ``X_pool``.

        Parameters
        ----------
        estimator : modAL learner, fitted classifier or skactive net
            The model the strategy asks for probabilities or embeddings.
        X_pool : array-like of shape (n_pool, ...)
            Unlabeled rows: a 2-D feature matrix or an image batch
            (``N x H x W``, ``N x H x W x C`` or ``N x C x H x W``), as numpy
            array, torch tensor, scipy sparse matrix or pandas DataFrame.
        n_instances : int, default=1
            Number of rows to select.
        **kwargs : dict
            Strategy-specific keyword arguments.

        Returns
        -------
        indices : ndarray of shape (n_instances,)
            Unique int64 indices into ``X_pool``, in selection order.
        scores : ndarray of shape (n_instances,) or None
            The score of each selected row, or ``None`` for strategies that do
            not score rows.
        """
        validate_estimator_params(self)
        model = unwrap_estimator(estimator)
        if self._requires_fit:
            check_fitted(model)
        X_pool = check_pool(X_pool, estimator=model if self._requires_fit else None)
        n_pool = n_rows(X_pool)
        n_instances = check_n_instances(n_instances, n_pool)
        rng = check_random_state(self.random_state)
        candidates = subsample_candidates(n_pool, self.R, n_instances, rng)
        X = X_pool if candidates is None else take_rows(X_pool, candidates)
        indices, scores = self._select(
            model, X, n_instances, rng, learner=estimator, **kwargs
        )
        indices = np.asarray(indices, dtype=np.int64)
        if candidates is not None:
            indices = candidates[indices]
        return indices, scores

    def __call__(self, estimator, X_pool, n_instances=1, **kwargs):
        """Select rows with the modAL query-strategy protocol.

        Returns ``indices`` (or ``(indices, scores)`` for a modAL >= 0.4.2
        learner, which unpacks two values); see :meth:`select`.
        """
        indices, scores = self.select(estimator, X_pool, n_instances, **kwargs)
        if expects_scores(estimator):
            return indices, scores
        return indices

    @abstractmethod
    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        """Select ``n_instances`` rows of the candidates ``X``.

        Returns ``(indices into X, scores of the selected rows or None)``.
        """

    @staticmethod
    def _reject_kwargs(kwargs, name):
        if kwargs:
            raise InvalidParameterError(
                f"{name} got unexpected keyword argument(s): "
                f"{', '.join(sorted(kwargs))}."
            )

    def _labeled_rows(self, model, learner, kwargs, *, labels=False):
        """The labeled rows: ``X_labeled`` (``y_labeled``) keywords, else the learner's.

        Pops ``X_labeled`` (and, with ``labels=True``, ``y_labeled``) from
        ``kwargs``; without them, reads the modAL / skactive learner's
        ``X_training`` (``y_training``). Returns ``(None, None)`` when there
        are no labeled rows, ``(X_labeled, y_labeled or None)`` otherwise,
        ``X_labeled`` checked like a pool of ``model``'s rows.
        """
        X_labeled = kwargs.pop("X_labeled", None)
        y_labeled = kwargs.pop("y_labeled", None)
        if X_labeled is None:
            X_labeled = getattr(learner, "X_training", None)
            y_labeled = getattr(learner, "y_training", None) if labels else y_labeled
        if X_labeled is None or n_rows(X_labeled) == 0:
            return None, None
        X_labeled = check_pool(
            X_labeled, name="X_labeled", estimator=model if self._requires_fit else None
        )
        if y_labeled is not None:
            y_labeled = np.asarray(y_labeled)
            if y_labeled.ndim != 1 or len(y_labeled) != n_rows(X_labeled):
                raise InvalidParameterError(
                    f"y_labeled has {len(y_labeled)} labels but X_labeled has "
                    f"{n_rows(X_labeled)} rows; they must describe the same rows."
                )
        return X_labeled, y_labeled


class ScoreStrategy(QueryStrategy):
    """A strategy that scores every candidate and takes the ``n`` best.

    Subclasses implement ``_score(estimator, X)``, returning one value per
    row where higher is more informative (:meth:`score_pool` exposes it);
    ties are broken through ``random_state``. Calls take no strategy-specific
    keyword arguments but ``client=``: on a dask-array or
    :class:`~skactive.pools.ShardedArray` pool, with that client or the
    active ``dask.distributed`` one, the chunks are scored where they live
    and merged exactly (:func:`skactive.distributed.top_k`): the same picks.

    Parameters
    ----------
    R : int or None, default=None
        Candidate subsample size: draw ``R`` pool rows at random, score and
        select among them, and return indices into the full pool. ``None``
        scores the whole pool.
    random_state : int, RandomState instance or None, default=None
        Controls the candidate subsample, tie-breaking and any sampling done by
        the strategy. Pass an int for reproducible output across multiple
        function calls.
    """

    def score_pool(self, estimator, X_pool):
        """Informativeness of every row of ``X_pool`` (higher is better).

        Parameters
        ----------
        estimator : modAL learner, fitted classifier or skactive net
        X_pool : array-like of shape (n_pool, ...)

        Returns
        -------
        scores : ndarray of shape (n_pool,)
        """
        validate_estimator_params(self)
        model = unwrap_estimator(estimator)
        check_fitted(model)
        X_pool = check_pool(X_pool, estimator=model)
        return self._score(model, X_pool)

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        from ._distributed import cluster_for, distributed_top_k

        client = cluster_for(X, kwargs.pop("client", None))
        self._reject_kwargs(kwargs, type(self).__name__)
        if client is not None:  # scored where the chunks live, same picks
            return distributed_top_k(
                self, estimator, X, n_instances, rng, client, seeded=False
            )
        scores = np.asarray(self._score(estimator, X))
        indices = top_k(scores, n_instances, random_state=rng)
        return indices, scores[indices]

    @abstractmethod
    def _score(self, estimator, X):
        """Scores of every row of ``X`` (higher is more informative)."""
