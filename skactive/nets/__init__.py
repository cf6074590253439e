"""Deep estimators: skorch classifiers and the modules they train."""

from ._classifier import DeepClassifier, to_float_tensor
from .isda import ISDAClassifier
from .modules import MLP, ResNet18, SmallCNN, WideResNet

__all__ = [
    "DeepClassifier",
    "ISDAClassifier",
    "to_float_tensor",
    "MLP",
    "SmallCNN",
    "ResNet18",
    "WideResNet",
]
