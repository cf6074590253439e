"""Checks every exported strategy must pass (the strategies' peer test suite),
and generated bad values for the declared parameters of strategies, nets and
the learner."""

import inspect

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

import skactive.strategies as strategies_module
from skactive import ActiveLearner, DeepActiveLearner
from skactive._validation import (
    InvalidParameterError,
    invalid_values,
    parameter_constraints,
)
from skactive.experiment import SimulationResult, plot_learning_curves
from skactive.losses import GradientReversal, MinimaxEntropyLoss
from skactive.nets import (
    MLP,
    BarlowTwinsClassifier,
    BayesByBackpropClassifier,
    CosineClassifier,
    DeepClassifier,
    FixMatchClassifier,
    FlexMatchClassifier,
    ISDAClassifier,
    LabelPropagationClassifier,
    LossPredictionClassifier,
    MinimaxClassifier,
    MixMatchClassifier,
    PseudoLabelClassifier,
    ResNet18,
    SemiSupervisedClassifier,
    SemiSupervisedDataset,
    SemiSupervisedLoader,
    SmallCNN,
    WideResNet,
)
from skactive.project import ExportRow, ImageFiles, ImportReport
from skactive.project.labelstudio import LabelStudio
from skactive.strategies import (
    BALD,
    CAL,
    EPMCM,
    VAAL,
    BatchBALD,
    Consistency,
    ConsistencyEmbedding,
    InitialSelection,
    LabelDispersion,
    LearningLoss,
    MaxEntropy,
    MCDropoutSampling,
    MeanSTD,
    MinimaxSampling,
    QueryByCommittee,
    QueryStrategy,
    SelectionViaProxy,
    SuggestiveAnnotation,
    VariationRatios,
    WeibullOutlier,
)

MC_DROPOUT = (
    BALD,
    BatchBALD,
    MaxEntropy,
    MeanSTD,
    VariationRatios,
    MCDropoutSampling,
    SuggestiveAnnotation,
)
AUGMENTING = (Consistency, ConsistencyEmbedding)
NEEDS_LABELS = (EPMCM, WeibullOutlier, SelectionViaProxy)
# LabelDispersion reads predictions recorded on exactly the pool being queried
# during training (no candidate subsample); tests/test_dispersion.py covers it.
NOT_COMMON = (LabelDispersion,)


def _noise(x, generator=None):
    """A per-sample augmentation for flat features (digits as 64 columns)."""
    return x + 0.1 * torch.randn(x.shape, generator=generator)


def _make_estimator(strategy):
    """The kind of model each strategy needs (a net for MC dropout, ...)."""
    if isinstance(strategy, MC_DROPOUT + AUGMENTING):
        return DeepClassifier(MLP, max_epochs=2, random_state=0)
    if isinstance(strategy, QueryByCommittee):
        return RandomForestClassifier(10, random_state=0)
    if isinstance(strategy, LearningLoss):
        return LossPredictionClassifier(MLP, max_epochs=2, random_state=0)
    if isinstance(strategy, MinimaxSampling):
        return MinimaxClassifier(
            MLP, max_epochs=2, random_state=0, discriminator_width=16
        )
    return LogisticRegression(max_iter=2000)


def _configure(strategy):
    if isinstance(strategy, MC_DROPOUT):
        strategy = strategy.set_params(n_samples=4)
    if isinstance(strategy, AUGMENTING):
        strategy = strategy.set_params(augmentation=_noise, n_augmentations=3)
    if isinstance(strategy, VAAL):
        strategy = strategy.set_params(n_iterations=10, hidden_units=(16,))
    return strategy


def _exported_strategy_classes():
    classes = []
    for name in strategies_module.__all__:
        obj = getattr(strategies_module, name)
        if (
            isinstance(obj, type)
            and issubclass(obj, QueryStrategy)
            and not getattr(obj, "__abstractmethods__", None)
            and not issubclass(obj, NOT_COMMON)
        ):
            classes.append(obj)
    return classes


def _construct(cls):
    """An instance of every exported strategy class (required arguments given)."""
    if cls is InitialSelection:
        return cls(StandardScaler(), random_state=0)
    return cls(random_state=0)


STRATEGIES = [_configure(_construct(cls)) for cls in _exported_strategy_classes()]
INSTANCES = [
    getattr(strategies_module, name)
    for name in strategies_module.__all__
    if isinstance(getattr(strategies_module, name), QueryStrategy)
]


@pytest.fixture(scope="module")
def fitted_models(digits):
    X, y = digits
    cache = {}

    def get(strategy):
        key = type(_make_estimator(strategy)).__name__
        if key not in cache:
            cache[key] = _make_estimator(strategy).fit(X[:80], y[:80])
        return cache[key]

    return get


@pytest.fixture
def setting(request, digits, fitted_models):
    """(model, pool, X, y, extra kwargs) for the strategy under test."""
    X, y = digits
    strategy = request.node.callspec.params["strategy"]
    kwargs = {"X_labeled": X[:80]} if isinstance(strategy, CAL) else {}
    if isinstance(strategy, NEEDS_LABELS):
        kwargs = {"X_labeled": X[:80], "y_labeled": y[:80]}
    return fitted_models(strategy), X[80:480], X, y, kwargs


def _ids(strategy):
    return repr(strategy)


def test_every_public_strategy_is_covered():
    assert len(STRATEGIES) >= 2 and len(INSTANCES) >= 4


@pytest.mark.parametrize("strategy", STRATEGIES + INSTANCES, ids=_ids)
@pytest.mark.parametrize("k", [1, 2, 5])
def test_unique_in_range_exact_count(strategy, k, setting):
    clf, X_pool, _, _, kw = setting
    idx, scores = strategy.select(clf, X_pool, k, **kw)
    assert idx.dtype == np.int64 and idx.shape == (k,)
    assert len(np.unique(idx)) == k
    assert idx.min() >= 0 and idx.max() < len(X_pool)
    assert scores is None or np.shape(scores) == (k,)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=_ids)
def test_seed_deterministic(strategy, setting):
    clf, X_pool, _, _, kw = setting
    a = clone(strategy)(clf, X_pool, 5, **kw)
    b = clone(strategy)(clf, X_pool, 5, **kw)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=_ids)
def test_candidate_subsample_returns_pool_indices(strategy, setting):
    clf, X_pool, _, _, kw = setting
    s = clone(strategy).set_params(R=30)
    idx = s(clf, X_pool, 5, **kw)
    rng = np.random.RandomState(0)
    candidates = np.sort(rng.choice(len(X_pool), 30, replace=False))
    assert set(idx) <= set(candidates)
    with pytest.raises(ValueError, match="R=3 is smaller than n_instances=5"):
        clone(strategy).set_params(R=3)(clf, X_pool, 5, **kw)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=_ids)
def test_in_skactive_learner(strategy, setting):
    clf, X_pool, X, y, _ = setting
    learner = ActiveLearner(
        _make_estimator(strategy),
        clone(strategy),
        X_training=X[:80],
        y_training=y[:80],
    )
    idx, rows = learner.query(X_pool, n_instances=3)
    np.testing.assert_array_equal(rows, X_pool[idx])
    assert len(learner.history_) == 1
    np.testing.assert_array_equal(learner.history_[0]["indices"], idx)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=_ids)
@pytest.mark.parametrize(
    "n, exc", [(0, ValueError), (-1, ValueError), (1.5, TypeError), (401, ValueError)]
)
def test_bad_n_instances(strategy, n, exc, setting):
    clf, X_pool, _, _, kw = setting
    with pytest.raises(exc, match="n_instances"):
        strategy(clf, X_pool, n, **kw)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=_ids)
def test_bad_pools(strategy, setting):
    clf, X_pool, _, _, kw = setting
    with pytest.raises(ValueError, match="empty"):
        strategy(clf, X_pool[:0], 1, **kw)
    bad = X_pool.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        strategy(clf, bad, 1, **kw)
    if strategy._requires_fit:  # a sequence of numbers for a model of rows
        with pytest.raises(ValueError, match="X_pool is 1-D"):
            strategy(clf, X_pool[0], 1, **kw)


@pytest.mark.parametrize(
    "strategy", [s for s in STRATEGIES if s._requires_fit], ids=_ids
)
def test_unfitted_estimator_is_refused(strategy, setting):
    clf, X_pool, _, _, kw = setting
    with pytest.raises(NotFittedError):
        strategy(clone(_make_estimator(strategy)), X_pool, 1, **kw)


# ----------------------------------------------------------------------------
# Generated bad inputs: every declared parameter of every public strategy,
# net and learner refuses values that break its declaration, with an
# InvalidParameterError naming it (scikit-learn's test_public_functions idea).
# ----------------------------------------------------------------------------
def _strategy_case(cls):
    """(constructor kwargs, model kind, call kwargs) of a valid strategy call."""
    kw = {"random_state": 0}
    call = {}
    if cls is InitialSelection:
        kw["embedder"] = StandardScaler()
    if issubclass(cls, MC_DROPOUT):
        kw["n_samples"] = 3
    if issubclass(cls, AUGMENTING):
        kw.update(augmentation=_noise, n_augmentations=2)
    if cls is VAAL:
        kw.update(n_iterations=5, hidden_units=(8,))
    if issubclass(cls, (CAL, *NEEDS_LABELS)):
        call = {"X_labeled": None, "y_labeled": None}  # filled with data below
    return kw, call


def _strategy_bad_cases():
    for cls in _exported_strategy_classes():
        kw, _ = _strategy_case(cls)
        params = cls(**kw).get_params(deep=False)
        for param, spec in parameter_constraints(cls).items():
            if param not in params or spec == "no_validation":
                continue
            for value in invalid_values(spec):
                yield pytest.param(
                    cls, param, value, id=f"{cls.__name__}-{param}-{value!r}"
                )


@pytest.mark.parametrize("cls, param, value", list(_strategy_bad_cases()))
def test_strategy_parameters_refuse_bad_values(
    cls, param, value, digits, fitted_models
):
    X, y = digits
    kw, call = _strategy_case(cls)
    strategy = cls(**{**kw, param: value})
    if call:
        call = {"X_labeled": X[:80], "y_labeled": y[:80]}
    model = fitted_models(cls(**kw))
    with pytest.raises(InvalidParameterError, match=f"{cls.__name__}: {param} must"):
        strategy.select(model, X[80:200], 2, **call)


def _semi_y(y):
    return np.where(np.arange(len(y)) < 60, y, -1)


NETS = {
    DeepClassifier: {},
    ISDAClassifier: {},
    SemiSupervisedClassifier: {"semi": True},
    MixMatchClassifier: {"semi": True, "augmentation": "none"},
    FixMatchClassifier: {"semi": True, "weak": "none", "strong": "none"},
    FlexMatchClassifier: {"semi": True, "weak": "none", "strong": "none"},
    PseudoLabelClassifier: {"semi": True},
    LabelPropagationClassifier: {"semi": True, "k": 5},
    BarlowTwinsClassifier: {"semi": True, "augmentation": _noise},
    LossPredictionClassifier: {},
    MinimaxClassifier: {"semi": True, "discriminator_width": 16},
    BayesByBackpropClassifier: {},
}


def _net_bad_cases():
    for cls, extra in NETS.items():
        kw = {k: v for k, v in extra.items() if k != "semi"}
        params = cls(MLP, **kw).get_params(deep=False)
        for param, spec in parameter_constraints(cls).items():
            if param not in params or spec == "no_validation":
                continue
            for value in invalid_values(spec):
                yield pytest.param(
                    cls, param, value, id=f"{cls.__name__}-{param}-{value!r}"
                )


@pytest.mark.parametrize("cls, param, value", list(_net_bad_cases()))
def test_net_parameters_refuse_bad_values_at_fit(cls, param, value, digits):
    X, y = digits
    extra = dict(NETS[cls])
    semi = extra.pop("semi", False)
    kw = {"max_epochs": 1, "random_state": 0, **extra, param: value}
    args = (MLP,) if param != "module" else ()
    net = cls(*args, **kw)  # __init__ only stores
    with pytest.raises(InvalidParameterError, match=f"{cls.__name__}: {param} must"):
        net.fit(X[:120], _semi_y(y[:120]) if semi else y[:120])


def _learner_bad_cases():
    for param, spec in ActiveLearner._parameter_constraints.items():
        for value in invalid_values(spec):
            yield pytest.param(param, value, id=f"ActiveLearner-{param}-{value!r}")


@pytest.mark.parametrize("param, value", list(_learner_bad_cases()))
def test_learner_parameters_refuse_bad_values(param, value, digits):
    X, y = digits
    kw = {
        "estimator": LogisticRegression(max_iter=200),
        "X_training": X[:30],
        "y_training": y[:30],
        param: value,
    }
    with pytest.raises(InvalidParameterError, match=f"ActiveLearner: {param} must"):
        ActiveLearner(**kw)


@pytest.mark.parametrize(
    "cls", [*_exported_strategy_classes(), *NETS], ids=lambda c: c.__name__
)
def test_every_constructor_parameter_is_declared(cls):
    """Bad-input coverage grows with the API: a new parameter must be declared."""
    declared = set(parameter_constraints(cls))
    signature = inspect.signature(cls.__init__).parameters
    own = {
        name
        for name, p in signature.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    assert own <= declared, sorted(own - declared)


MODULES = {
    MLP: {"n_features": 4, "n_classes": 3},
    SmallCNN: {"in_channels": 1, "n_classes": 3},
    ResNet18: {},
    WideResNet: {"depth": 10},
}


def _module_bad_cases():
    for cls in MODULES:
        for param, spec in cls._parameter_constraints.items():
            for value in invalid_values(spec):
                yield pytest.param(
                    cls, param, value, id=f"{cls.__name__}-{param}-{value!r}"
                )


@pytest.mark.parametrize("cls, param, value", list(_module_bad_cases()))
def test_module_parameters_refuse_bad_values(cls, param, value):
    with pytest.raises(InvalidParameterError, match=f"{cls.__name__}: {param} must"):
        cls(**{**MODULES[cls], param: value})


@pytest.mark.parametrize("cls", list(MODULES), ids=lambda c: c.__name__)
def test_every_module_parameter_is_declared(cls):
    own = set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert own == set(cls._parameter_constraints)
    cls(**MODULES[cls])  # the valid call works


# ----------------------------------------------------------------------------
# The rest of the public functions and plain classes, and a check that every
# public object of every public module declares all of its parameters: the
# bad-input battery grows with the API by construction.
# ----------------------------------------------------------------------------
PUBLIC_MODULES = (
    "skactive",
    "skactive.strategies",
    "skactive.nets",
    "skactive.scores",
    "skactive.selection",
    "skactive.distributed",
    "skactive.metrics",
    "skactive.experiment",
    "skactive.representation",
    "skactive.losses",
    "skactive.augment",
    "skactive.callbacks",
    "skactive.project",
    "skactive.project.labelstudio",
    "skactive.stopping",
    "skactive.calibration",
    "skactive.pools",
)

#: Public objects that take anything and raise their own errors.
EXEMPT = {
    "learns_from_unlabeled": "answers False for any object",
    "expects_scores": "answers for any caller",
    "resolve_committee": "takes lists, ensembles and committees; clear errors",
    "is_lazy_pool": "answers for any object",
    "as_pool": "returns what it does not recognise as a pool unchanged",
    # ready-made strategy instances: their class is declared and checked
    "random_sampling": "an instance of RandomSampling",
    "least_confidence_sampling": "an instance of UncertaintySampling",
    "margin_sampling": "an instance of UncertaintySampling",
    "entropy_sampling": "an instance of UncertaintySampling",
}


def _public_objects():
    import importlib

    seen = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj) or callable(obj)) and (
                id(obj) not in seen and not isinstance(obj, str)
            ):
                seen[id(obj)] = (name, obj)
    return sorted(seen.values(), key=lambda item: item[0])


def _declared(obj):
    if inspect.isclass(obj):
        return parameter_constraints(obj), inspect.signature(obj.__init__)
    return getattr(obj, "__skactive_constraints__", {}), inspect.signature(obj)


@pytest.mark.parametrize(
    "name, obj", _public_objects(), ids=[n for n, _ in _public_objects()]
)
def test_every_public_object_declares_every_parameter(name, obj):
    if name in EXEMPT:
        return
    declared, signature = _declared(obj)
    params = {
        p
        for p, v in signature.parameters.items()
        if p != "self" and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)
    }
    assert params <= set(declared), sorted(params - set(declared))


def _small_net():
    X = np.random.RandomState(0).rand(40, 6).astype(np.float32)
    y = np.arange(40) % 3
    return DeepClassifier(MLP, max_epochs=1, random_state=0).fit(X, y), X


CALLS = {
    "make_strategy": lambda: {"name": "margin"},
    "strategy_needs": lambda: {"name": "bald"},
    "consistent_mc_dropout": lambda: dict(
        zip(("net", "X"), _small_net(), strict=True), n_samples=2
    ),
    "nearest_labeled": lambda: {
        "pool": np.zeros((4, 2)),
        "labeled": np.ones((3, 2)),
        "n_neighbors": 2,
        "block": 10,
    },
    "confident_pseudo_labels": lambda: {
        "proba": np.array([[0.9, 0.1]]),
        "confidence": "max_proba",
        "threshold": 0.5,
    },
    "make_projector": lambda: {"in_features": 4, "dims": (8, 2)},
    "flexmatch_thresholds": lambda: {
        "selected_label": torch.tensor([0, 1, -1]),
        "n_classes": 2,
    },
    "to_float_tensor": lambda: {"x": torch.zeros(2, 3)},
    "minimax_scores": lambda: {
        "proba": np.array([[0.5, 0.5], [0.9, 0.1]]),
        "p_labeled": [0.2, 0.8],
    },
    **{
        name: (
            lambda: dict(
                zip(("classifier", "X"), _small_net(), strict=True),
                n_instances=2,
                num_cycles=2,
            )
        )
        for name in (
            "mc_dropout_bald",
            "mc_dropout_mean_st",
            "mc_dropout_max_entropy",
            "mc_dropout_max_variationRatios",
        )
    },
}


def _function_bad_cases():
    import skactive.nets
    import skactive.strategies

    for name in sorted(CALLS):
        func = getattr(skactive.strategies, name, None) or getattr(skactive.nets, name)
        for param, spec in func.__skactive_constraints__.items():
            for value in invalid_values(spec):
                yield pytest.param(func, param, value, id=f"{name}-{param}-{value!r}")


@pytest.mark.parametrize("func, param, value", list(_function_bad_cases()))
def test_function_parameters_refuse_bad_values(func, param, value):
    name = func.__name__
    kwargs = CALLS[name]()
    func(**kwargs)  # the valid call works
    with pytest.raises(InvalidParameterError, match=f"{name}: {param} must"):
        func(**{**kwargs, param: value})


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (
            SemiSupervisedDataset,
            {
                "X": np.zeros((3, 2)),
                "y": [0, 1, -1],
                "labeled_index": [0, 1],
                "unlabeled_index": [2],
            },
        ),
        (SimulationResult, {"records": []}),
        (DeepActiveLearner, {"estimator": DeepClassifier(MLP)}),
        (ImageFiles, {"paths": ["a.png"]}),
        (ExportRow, {"row": 1, "ref": "a.png"}),
        (ImportReport, {}),
        (GradientReversal, {}),
        (MinimaxEntropyLoss, {}),
        (CosineClassifier, {"in_features": 2, "out_features": 2}),
        (LabelStudio, {"url": "http://localhost:8080", "api_key": "k"}),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_plain_class_parameters_refuse_bad_values(cls, kwargs):
    cls(**kwargs)  # the valid call works
    for param, spec in parameter_constraints(cls).items():
        if param not in inspect.signature(cls.__init__).parameters:
            continue
        for value in invalid_values(spec):
            with pytest.raises(InvalidParameterError, match=f"{cls.__name__}: {param}"):
                cls(**{**kwargs, param: value})


def test_loader_parameters_refuse_bad_values():
    ds = SemiSupervisedDataset(np.zeros((3, 2)), [0, 1, -1], [0, 1], [2])
    SemiSupervisedLoader(ds, batch_size=2)
    for param, spec in SemiSupervisedLoader._parameter_constraints.items():
        for value in invalid_values(spec):
            kwargs = {"dataset": ds, "batch_size": 2, param: value}
            with pytest.raises(
                InvalidParameterError, match=f"SemiSupervisedLoader: {param}"
            ):
                SemiSupervisedLoader(**kwargs)


def test_plot_learning_curves_refuses_bad_values():
    import matplotlib

    matplotlib.use("Agg")
    result = SimulationResult(
        {"strategy": "s", "repeat": 0, "round": r, "n_labels": r + 1, "accuracy": 0.5}
        for r in range(2)
    )
    plot_learning_curves(result)
    constraints = plot_learning_curves.__skactive_constraints__
    for param, spec in constraints.items():
        for value in invalid_values(spec):
            kwargs = {"result": result, param: value}
            with pytest.raises(
                InvalidParameterError, match=f"plot_learning_curves: {param} must"
            ):
                plot_learning_curves(**kwargs)
