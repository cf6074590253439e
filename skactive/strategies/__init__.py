"""Query strategies: callables that pick rows of a pool to label.

Every strategy is a small scikit-learn-style object (parameters stored in
``__init__``, ``get_params``/``set_params``, :func:`sklearn.base.clone`) called
with the modAL protocol ``strategy(estimator, X_pool, n_instances=1, **kwargs)``;
see :class:`QueryStrategy` for the return convention.
"""

from ._base import QueryStrategy, ScoreStrategy, expects_scores
from ._registry import available_strategies, make_strategy, strategy_needs
from .bayesian import (
    BALD,
    BatchBALD,
    MaxEntropy,
    MCDropoutSampling,
    MeanSTD,
    VariationRatios,
    batchbald_select,
    consistent_mc_dropout,
)
from .cal import CAL, nearest_labeled
from .committee import QueryByCommittee, resolve_committee
from .consistency import Consistency, ConsistencyEmbedding
from .dispersion import LabelDispersion, PredictionRecorder
from .diversity import (
    BADGE,
    CoreSet,
    DiverseMiniBatch,
    DiversitySampling,
    ProbCover,
    TypiClust,
)
from .epmcm import EPMCM
from .gradient import ExpectedGradientLength
from .initial import InitialSelection
from .modal_dropout import (
    mc_dropout_bald,
    mc_dropout_max_entropy,
    mc_dropout_max_variationRatios,
    mc_dropout_mean_st,
)
from .uncertainty import (
    RandomSampling,
    UncertaintySampling,
    entropy_sampling,
    least_confidence_sampling,
    margin_sampling,
    random_sampling,
)
from .weibull import WeibullOutlier

__all__ = [
    "QueryStrategy",
    "ScoreStrategy",
    "expects_scores",
    "available_strategies",
    "make_strategy",
    "strategy_needs",
    "RandomSampling",
    "UncertaintySampling",
    "random_sampling",
    "least_confidence_sampling",
    "margin_sampling",
    "entropy_sampling",
    "CoreSet",
    "DiversitySampling",
    "BADGE",
    "DiverseMiniBatch",
    "TypiClust",
    "ProbCover",
    "MCDropoutSampling",
    "BALD",
    "BatchBALD",
    "MaxEntropy",
    "MeanSTD",
    "VariationRatios",
    "batchbald_select",
    "consistent_mc_dropout",
    "QueryByCommittee",
    "resolve_committee",
    "ExpectedGradientLength",
    "CAL",
    "nearest_labeled",
    "Consistency",
    "ConsistencyEmbedding",
    "EPMCM",
    "WeibullOutlier",
    "LabelDispersion",
    "PredictionRecorder",
    "InitialSelection",
    "mc_dropout_bald",
    "mc_dropout_mean_st",
    "mc_dropout_max_entropy",
    "mc_dropout_max_variationRatios",
]
