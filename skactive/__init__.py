"""skactive: scikit-learn-compatible active learning for label-efficient deep learning.

Query strategies that plug into modAL loops, skorch nets that expose what the
strategies need, and the tools to simulate and compare active learning.
"""

__version__ = "0.1.0.dev0"

from .learner import UNLABELED, ActiveLearner, DeepActiveLearner, learns_from_unlabeled
from .strategies import (
    QueryStrategy,
    RandomSampling,
    ScoreStrategy,
    UncertaintySampling,
    entropy_sampling,
    least_confidence_sampling,
    margin_sampling,
    random_sampling,
)

__all__ = [
    "__version__",
    "ActiveLearner",
    "DeepActiveLearner",
    "learns_from_unlabeled",
    "UNLABELED",
    "QueryStrategy",
    "ScoreStrategy",
    "RandomSampling",
    "UncertaintySampling",
    "random_sampling",
    "least_confidence_sampling",
    "margin_sampling",
    "entropy_sampling",
]
