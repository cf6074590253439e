"""Query strategies: callables that pick rows of a pool to label.

Every strategy is a small scikit-learn-style object (parameters stored in
``__init__``, ``get_params``/``set_params``, :func:`sklearn.base.clone`) called
with the modAL protocol ``strategy(estimator, X_pool, n_instances=1, **kwargs)``;
see :class:`QueryStrategy` for the return convention.
"""

import importlib as _importlib
import typing as _typing

# Every name resolves lazily (PEP 562), importing only its own module: the
# registry (names, descriptions, needs) answers without torch, and
# ``from skactive.strategies import BALD`` imports the Bayesian family alone.
_LAZY = {
    "QueryStrategy": "_base",
    "ScoreStrategy": "_base",
    "expects_scores": "_base",
    "available_strategies": "_registry",
    "make_strategy": "_registry",
    "strategy_needs": "_registry",
    "RandomSampling": "uncertainty",
    "UncertaintySampling": "uncertainty",
    "random_sampling": "uncertainty",
    "least_confidence_sampling": "uncertainty",
    "margin_sampling": "uncertainty",
    "entropy_sampling": "uncertainty",
    "CoreSet": "diversity",
    "DiversitySampling": "diversity",
    "BADGE": "diversity",
    "DiverseMiniBatch": "diversity",
    "TypiClust": "diversity",
    "ProbCover": "diversity",
    "MCDropoutSampling": "bayesian",
    "BALD": "bayesian",
    "BatchBALD": "bayesian",
    "MaxEntropy": "bayesian",
    "MeanSTD": "bayesian",
    "VariationRatios": "bayesian",
    "batchbald_select": "bayesian",
    "consistent_mc_dropout": "bayesian",
    "QueryByCommittee": "committee",
    "resolve_committee": "committee",
    "ExpectedGradientLength": "gradient",
    "CAL": "cal",
    "nearest_labeled": "cal",
    "Consistency": "consistency",
    "ConsistencyEmbedding": "consistency",
    "EPMCM": "epmcm",
    "WeibullOutlier": "weibull",
    "LabelDispersion": "dispersion",
    "PredictionRecorder": "dispersion",
    "InitialSelection": "initial",
    "LearningLoss": "learning_loss",
    "VAAL": "vaal",
    "MinimaxSampling": "mal",
    "minimax_scores": "mal",
    "SuggestiveAnnotation": "suggestive",
    "SelectionViaProxy": "proxy",
    "frozen_embedding_proxy": "proxy",
    "TCM": "tcm",
    "MaxHerding": "herding",
    "CLUE": "clue",
    "DropQuery": "dropquery",
    "Falcun": "falcun",
    "UncertaintyHerding": "herding",
    "StochasticBatch": "stochastic",
    "mc_dropout_bald": "modal_dropout",
    "mc_dropout_mean_st": "modal_dropout",
    "mc_dropout_max_entropy": "modal_dropout",
    "mc_dropout_max_variationRatios": "modal_dropout",
}

if _typing.TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
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
    from .clue import CLUE
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
    from .dropquery import DropQuery
    from .epmcm import EPMCM
    from .falcun import Falcun
    from .gradient import ExpectedGradientLength
    from .herding import MaxHerding, UncertaintyHerding
    from .initial import InitialSelection
    from .learning_loss import LearningLoss
    from .mal import MinimaxSampling, minimax_scores
    from .modal_dropout import (
        mc_dropout_bald,
        mc_dropout_max_entropy,
        mc_dropout_max_variationRatios,
        mc_dropout_mean_st,
    )
    from .proxy import SelectionViaProxy, frozen_embedding_proxy
    from .stochastic import StochasticBatch
    from .suggestive import SuggestiveAnnotation
    from .tcm import TCM
    from .uncertainty import (
        RandomSampling,
        UncertaintySampling,
        entropy_sampling,
        least_confidence_sampling,
        margin_sampling,
        random_sampling,
    )
    from .vaal import VAAL
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
    "LearningLoss",
    "VAAL",
    "MinimaxSampling",
    "minimax_scores",
    "SuggestiveAnnotation",
    "SelectionViaProxy",
    "frozen_embedding_proxy",
    "TCM",
    "StochasticBatch",
    "MaxHerding",
    "UncertaintyHerding",
    "CLUE",
    "DropQuery",
    "Falcun",
    "mc_dropout_bald",
    "mc_dropout_mean_st",
    "mc_dropout_max_entropy",
    "mc_dropout_max_variationRatios",
]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # resolved once
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
