"""Stochastic batch acquisition over any score strategy (Kirsch et al. 2023).

:class:`StochasticBatch` asks a score strategy (uncertainty, BALD, EPMCM...)
for the scores of the candidates and draws the batch with
:func:`skactive.selection.stochastic_sampling` instead of taking the top
``n``: power, softmax or soft-rank sampling, seeded through
``random_state`` (baal's is not).
"""

from __future__ import annotations

import numbers

from .._validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_estimator_params,
)
from ..selection import stochastic_sampling
from ._base import QueryStrategy

__all__ = ["StochasticBatch"]

_SCORE_NAMES = {"entropy", "margin", "least_confidence"}


class StochasticBatch(QueryStrategy):
    """Sample the batch in proportion to a score strategy's scores.

    Parameters
    ----------
    strategy : ScoreStrategy or {"entropy", "margin", "least_confidence"}, \
default="entropy"
        Gives the scores (through its ``score_pool``); a name builds
        :class:`~skactive.strategies.UncertaintySampling` with that measure.
    mode : {"power", "softmax", "softrank"}, default="power"
        ``"power"``: ``p ∝ s ** beta`` (non-negative scores: entropy, least
        confidence, BALD); ``"softmax"``: ``p ∝ exp(beta s)``;
        ``"softrank"``: ``p ∝ rank ** -beta`` (any scores, margin included).
    beta : float, default=1.0
        Inverse temperature (Kirsch et al. use 1); ``0`` is random sampling.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Draws the batch (and the candidate subsample). Pass an int for
        reproducible output across multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import StochasticBatch
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:50], y[:50])
    >>> StochasticBatch("entropy", random_state=0)(clf, X[50:], 4).shape
    (4,)
    """

    _parameter_constraints = {
        "strategy": [StrOptions(_SCORE_NAMES), HasMethods(["score_pool"])],
        "mode": [StrOptions({"power", "softmax", "softrank"})],
        "beta": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(
        self, strategy="entropy", *, mode="power", beta=1.0, R=None, random_state=None
    ):
        super().__init__(R=R, random_state=random_state)
        self.strategy = strategy
        self.mode = mode
        self.beta = beta

    def _scorer(self):
        if isinstance(self.strategy, str):
            from .uncertainty import UncertaintySampling

            return UncertaintySampling(self.strategy)
        validate_estimator_params(self.strategy)
        return self.strategy

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        scores = self._scorer()._score(estimator, X)
        indices = stochastic_sampling(
            scores, n_instances, mode=self.mode, beta=self.beta, random_state=rng
        )
        return indices, scores[indices]
