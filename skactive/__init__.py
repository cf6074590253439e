"""skactive: scikit-learn-compatible active learning for label-efficient deep learning.

Query strategies that plug into modAL loops, skorch nets that expose what the
strategies need, and the tools to simulate and compare active learning.
"""

import importlib as _importlib
import typing as _typing

__version__ = "0.1.0.dev0"

# The public names resolve lazily (PEP 562): ``import skactive`` imports
# neither torch nor skorch nor modAL, so that the ``skactive`` command answers
# ``--help`` at once; ``from skactive import ActiveLearner`` imports the
# learner (and torch) when it is asked for.
_LAZY = {
    "ActiveLearner": "learner",
    "DeepActiveLearner": "learner",
    "learns_from_unlabeled": "learner",
    "UNLABELED": "learner",
    "QueryStrategy": "strategies",
    "ScoreStrategy": "strategies",
    "RandomSampling": "strategies",
    "UncertaintySampling": "strategies",
    "random_sampling": "strategies",
    "least_confidence_sampling": "strategies",
    "margin_sampling": "strategies",
    "entropy_sampling": "strategies",
    "shared_inference": "_cache",
    "FixMatchClassifier": "nets",
    "FlexMatchClassifier": "nets",
}

# Subpackages reachable as attributes after a bare ``import skactive``, as
# when the learner's import chain used to load them.
_SUBMODULES = (
    "augment",
    "callbacks",
    "cli",
    "diversity",
    "experiment",
    "learner",
    "losses",
    "metrics",
    "nets",
    "pools",
    "project",
    "representation",
    "scores",
    "selection",
    "strategies",
)

if _typing.TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ._cache import shared_inference
    from .learner import (
        UNLABELED,
        ActiveLearner,
        DeepActiveLearner,
        learns_from_unlabeled,
    )
    from .nets import FixMatchClassifier, FlexMatchClassifier
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
    "shared_inference",
    "FixMatchClassifier",
    "FlexMatchClassifier",
]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(_importlib.import_module(f".{module}", __name__), name)
    elif name in _SUBMODULES:
        value = _importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # resolved once
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
