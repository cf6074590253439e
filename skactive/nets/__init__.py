"""Deep estimators: skorch classifiers and the modules they train."""

from ._classifier import DeepClassifier
from ._inputs import to_float_tensor
from ._semi import SemiSupervisedClassifier
from ._semi_data import SemiSupervisedBatch, SemiSupervisedDataset, SemiSupervisedLoader
from .barlow_twins import BarlowTwinsClassifier
from .bayes_by_backprop import BayesByBackpropClassifier, BayesLinear, BayesMLP
from .ensemble import DeepEnsembleClassifier
from .fixmatch import FixMatchClassifier
from .flexmatch import FlexMatchClassifier, flexmatch_thresholds
from .isda import ISDAClassifier
from .label_propagation import LabelPropagationClassifier, knn_graph, label_propagation
from .loss_prediction import LossPredictionClassifier, LossPredictionModule
from .minimax import CosineClassifier, MinimaxClassifier
from .mixmatch import MixMatchClassifier
from .modules import MLP, ResNet18, SmallCNN, WideResNet, make_projector
from .pseudo_label import PseudoLabelClassifier, confident_pseudo_labels

__all__ = [
    "DeepClassifier",
    "ISDAClassifier",
    "SemiSupervisedClassifier",
    "SemiSupervisedLoader",
    "SemiSupervisedDataset",
    "SemiSupervisedBatch",
    "MixMatchClassifier",
    "FixMatchClassifier",
    "FlexMatchClassifier",
    "flexmatch_thresholds",
    "PseudoLabelClassifier",
    "confident_pseudo_labels",
    "LabelPropagationClassifier",
    "label_propagation",
    "knn_graph",
    "BarlowTwinsClassifier",
    "LossPredictionClassifier",
    "DeepEnsembleClassifier",
    "BayesByBackpropClassifier",
    "BayesLinear",
    "BayesMLP",
    "LossPredictionModule",
    "MinimaxClassifier",
    "CosineClassifier",
    "make_projector",
    "to_float_tensor",
    "MLP",
    "SmallCNN",
    "ResNet18",
    "WideResNet",
]
