"""Tests of ``skactive.ActiveLearner``: modAL's learner on today's stack."""

from __future__ import annotations

import modAL.models
import modAL.uncertainty
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.semi_supervised import (
    LabelPropagation,
    LabelSpreading,
    SelfTrainingClassifier,
)
from sklearn.utils.validation import check_is_fitted

from skactive import UNLABELED, ActiveLearner, learns_from_unlabeled
from skactive import scores as sk_scores
from skactive.nets import DeepClassifier, SmallCNN
from skactive.strategies import (
    RandomSampling,
    UncertaintySampling,
    entropy_sampling,
    least_confidence_sampling,
    margin_sampling,
)

# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """Tiny nets train far faster on one thread on a shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _copy(X):
    if isinstance(X, torch.Tensor):
        return X.detach().clone()
    if sp.issparse(X):
        return X.copy()
    if hasattr(X, "iloc"):
        return X.copy()
    return np.array(X, copy=True)


def spy_on(estimator, method="fit"):
    """Record every call of ``estimator.<method>`` (arguments copied)."""
    calls = []
    original = getattr(estimator, method)

    def wrapper(X, *args, **kwargs):
        y = args[0] if args else kwargs.get("y")
        calls.append(
            {
                "X": _copy(X),
                "y": None if y is None else np.array(y, copy=True),
                "kwargs": {k: v for k, v in kwargs.items() if k != "y"},
            }
        )
        return original(X, *args, **kwargs)

    setattr(estimator, method, wrapper)
    return calls


def as_array(X):
    if isinstance(X, torch.Tensor):
        return X.detach().cpu().numpy()
    if sp.issparse(X):
        return X.toarray()
    return np.asarray(X)


def logreg():
    return LogisticRegression(max_iter=1000)


def _flatten(X):
    return np.asarray(X).reshape(len(X), -1)


def flat_logreg():
    return make_pipeline(FunctionTransformer(_flatten), logreg())


def top_k_set(scores, k):
    return set(np.argsort(-np.asarray(scores), kind="stable")[:k].tolist())


@pytest.fixture(scope="module")
def data(digits):
    X, y = digits
    return X[:400], y[:400]


@pytest.fixture
def learner(data):
    X, y = data
    return ActiveLearner(
        logreg(), entropy_sampling, X_training=X[:30], y_training=y[:30]
    )


# --------------------------------------------------------------------------- #
# modAL interface: construction, fit, teach
# --------------------------------------------------------------------------- #


def test_is_a_modal_active_learner(learner):
    assert isinstance(learner, modAL.models.ActiveLearner)
    assert isinstance(learner, modAL.models.base.BaseLearner)


def test_constructor_fits_on_the_initial_rows(data):
    X, y = data
    est = logreg()
    calls = spy_on(est)
    learner = ActiveLearner(est, X_training=X[:30], y_training=y[:30])
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0]["X"], X[:30])
    np.testing.assert_array_equal(calls[0]["y"], y[:30])
    check_is_fitted(learner.estimator)
    np.testing.assert_array_equal(learner.X_training, X[:30])
    np.testing.assert_array_equal(learner.y_training, y[:30])
    ref = logreg().fit(X[:30], y[:30])
    np.testing.assert_array_equal(learner.predict(X[100:200]), ref.predict(X[100:200]))
    assert learner.query_strategy is entropy_sampling  # the documented default


def test_constructor_without_rows_does_not_fit(data):
    est = logreg()
    calls = spy_on(est)
    learner = ActiveLearner(est)
    assert calls == []
    assert learner.X_training is None and learner.y_training is None
    with pytest.raises(NotFittedError):
        check_is_fitted(learner.estimator)


@pytest.mark.parametrize("which", ["X", "y"])
def test_constructor_needs_both_x_and_y(data, which):
    X, y = data
    kwargs = {"X_training": X[:10]} if which == "X" else {"y_training": y[:10]}
    with pytest.raises(ValueError, match="together"):
        ActiveLearner(logreg(), **kwargs)


def test_constructor_passes_fit_kwargs(data):
    X, y = data
    est = logreg()
    calls = spy_on(est)
    w = np.linspace(0.5, 1.5, 30)
    ActiveLearner(est, X_training=X[:30], y_training=y[:30], sample_weight=w)
    np.testing.assert_array_equal(calls[0]["kwargs"]["sample_weight"], w)


def test_fit_forgets_the_old_rows(data):
    X, y = data
    est = logreg()
    calls = spy_on(est)
    learner = ActiveLearner(est, X_training=X[:30], y_training=y[:30])
    out = learner.fit(X[100:140], y[100:140])
    assert out is learner
    np.testing.assert_array_equal(learner.X_training, X[100:140])
    np.testing.assert_array_equal(learner.y_training, y[100:140])
    assert len(calls) == 2
    np.testing.assert_array_equal(calls[-1]["X"], X[100:140])
    np.testing.assert_array_equal(calls[-1]["y"], y[100:140])


def test_teach_appends_and_refits(data):
    X, y = data
    est = logreg()
    calls = spy_on(est)
    learner = ActiveLearner(est, X_training=X[:30], y_training=y[:30])
    learner.teach(X[200:210], y[200:210])
    expected_X = np.concatenate([X[:30], X[200:210]])
    expected_y = np.concatenate([y[:30], y[200:210]])
    np.testing.assert_array_equal(learner.X_training, expected_X)
    np.testing.assert_array_equal(learner.y_training, expected_y)
    assert len(calls) == 2
    np.testing.assert_array_equal(calls[-1]["X"], expected_X)
    np.testing.assert_array_equal(calls[-1]["y"], expected_y)
    ref = logreg().fit(expected_X, expected_y)
    np.testing.assert_allclose(
        learner.predict_proba(X[300:]), ref.predict_proba(X[300:]), rtol=1e-6
    )


def test_teach_only_new_fits_on_the_new_rows_only(data):
    X, y = data
    est = logreg()
    calls = spy_on(est)
    learner = ActiveLearner(est, X_training=X[:30], y_training=y[:30])
    learner.teach(X[200:240], y[200:240], only_new=True)
    assert calls[-1]["X"].shape == (40, 64)
    np.testing.assert_array_equal(calls[-1]["X"], X[200:240])
    np.testing.assert_array_equal(calls[-1]["y"], y[200:240])
    # the new rows are still remembered for later full refits
    assert learner.X_training.shape == (70, 64)
    learner.teach(X[240:245], y[240:245])
    assert calls[-1]["X"].shape == (75, 64)


def test_teach_passes_fit_kwargs(learner, data):
    X, y = data
    calls = spy_on(learner.estimator)
    w = np.ones(35)
    learner.teach(X[200:205], y[200:205], sample_weight=w)
    assert calls[-1]["kwargs"]["sample_weight"] is w


def _bootstrap_fit(random_state, data, n=60):
    X, y = data
    est = logreg()
    calls = spy_on(est)
    ActiveLearner(
        est,
        X_training=X[:n],
        y_training=y[:n],
        bootstrap_init=True,
        random_state=random_state,
    )
    return calls[-1]["X"], calls[-1]["y"]


def test_bootstrap_is_deterministic_with_random_state(data):
    X, y = data
    X0, y0 = _bootstrap_fit(0, data)
    X0b, y0b = _bootstrap_fit(0, data)
    X1, _ = _bootstrap_fit(1, data)
    np.testing.assert_array_equal(X0, X0b)
    np.testing.assert_array_equal(y0, y0b)
    assert X0.shape == (60, 64)
    assert not np.array_equal(X0, X1)
    # a resample with replacement: every row is a training row, some repeat
    rows = {r.tobytes(): label for r, label in zip(X[:60], y[:60], strict=True)}
    assert all(rows[r.tobytes()] == label for r, label in zip(X0, y0, strict=True))
    assert len({r.tobytes() for r in X0}) < 60


def test_teach_bootstrap_is_deterministic_with_random_state(data):
    X, y = data
    fitted = []
    for _ in range(2):
        est = logreg()
        learner = ActiveLearner(
            est, X_training=X[:30], y_training=y[:30], random_state=3
        )
        calls = spy_on(est)
        learner.teach(X[30:60], y[30:60], bootstrap=True)
        fitted.append(calls[-1]["X"])
    np.testing.assert_array_equal(fitted[0], fitted[1])
    assert fitted[0].shape == (60, 64)
    assert len({r.tobytes() for r in fitted[0]}) < 60


# --------------------------------------------------------------------------- #
# data types and layouts
# --------------------------------------------------------------------------- #


def test_numpy_rows(learner, data):
    X, y = data
    learner.teach(X[200:210], y[200:210])
    assert isinstance(learner.X_training, np.ndarray)
    idx, rows = learner.query(X[300:], n_instances=4)
    assert isinstance(rows, np.ndarray)
    np.testing.assert_array_equal(rows, X[300:][idx])


def test_torch_training_rows_stay_a_tensor(data):
    X, y = data
    Xt = torch.as_tensor(X)
    learner = ActiveLearner(
        logreg(),
        entropy_sampling,
        X_training=Xt[:30],
        y_training=torch.as_tensor(y[:30]),
    )
    learner.teach(Xt[200:210], y[200:210])
    assert isinstance(learner.X_training, torch.Tensor)
    assert tuple(learner.X_training.shape) == (40, 64)
    torch.testing.assert_close(learner.X_training, torch.cat([Xt[:30], Xt[200:210]]))
    np.testing.assert_array_equal(
        learner.y_training, np.concatenate([y[:30], y[200:210]])
    )
    # numpy rows taught to a tensor learner keep it a tensor
    learner.teach(X[210:215], y[210:215])
    assert isinstance(learner.X_training, torch.Tensor)
    assert tuple(learner.X_training.shape) == (45, 64)
    pool = Xt[300:]
    idx, rows = learner.query(pool, n_instances=3)
    assert isinstance(rows, torch.Tensor)
    torch.testing.assert_close(rows, pool[torch.as_tensor(idx)])


def _layout(images, layout):
    if layout == "NHW":
        return images
    if layout == "NHWC":
        return np.repeat(images[..., None], 3, axis=-1)
    return np.repeat(images[:, None], 3, axis=1)  # NCHW


@pytest.mark.parametrize("layout", ["NHW", "NHWC", "NCHW"])
def test_image_batches_with_a_flattening_pipeline(digit_images, layout):
    images, y = digit_images
    X = _layout(images[:400], layout)
    learner = ActiveLearner(
        flat_logreg(), margin_sampling, X_training=X[:30], y_training=y[:30]
    )
    learner.teach(X[30:40], y[30:40])
    assert learner.X_training.shape == (40, *X.shape[1:])
    assert learner.X_training.dtype == np.uint8
    pool = X[100:]
    idx, rows = learner.query(pool, n_instances=5)
    assert rows.shape == (5, *X.shape[1:])
    np.testing.assert_array_equal(rows, pool[idx])
    proba = learner.estimator.predict_proba(pool)
    assert set(idx.tolist()) == top_k_set(sk_scores.margin(proba), 5)


@pytest.mark.parametrize("layout", ["NHW", "NHWC", "NCHW"])
def test_image_batches_with_a_deep_classifier(digit_images, layout):
    images, y = digit_images
    X = _layout(images[:300], layout)
    net = DeepClassifier(
        SmallCNN, max_epochs=2, batch_size=16, random_state=0, classes=np.arange(10)
    )
    learner = ActiveLearner(net, entropy_sampling, X_training=X[:30], y_training=y[:30])
    learner.teach(X[30:40], y[30:40])
    assert learner.X_training.dtype == np.uint8
    assert learner.X_training.shape == (40, *X.shape[1:])
    assert net.input_shape_ == X.shape[1:]
    assert net.module_.in_channels == (1 if layout == "NHW" else 3)
    pool = X[100:]
    idx, rows = learner.query(pool, n_instances=3)
    assert rows.dtype == np.uint8
    np.testing.assert_array_equal(rows, pool[idx])
    proba = net.predict_proba(pool)
    assert proba.shape == (200, 10)
    assert set(idx.tolist()) == top_k_set(sk_scores.entropy(proba), 3)


def test_sparse_rows(data):
    X, y = data
    Xs = sp.csr_matrix(X)
    learner = ActiveLearner(
        logreg(), entropy_sampling, X_training=Xs[:30], y_training=y[:30]
    )
    learner.teach(Xs[200:210], y[200:210])
    assert sp.issparse(learner.X_training)
    assert learner.X_training.shape == (40, 64)
    np.testing.assert_array_equal(
        learner.X_training.toarray(), np.concatenate([X[:30], X[200:210]])
    )
    pool = Xs[300:]
    idx, rows = learner.query(pool, n_instances=3)
    assert sp.issparse(rows)
    np.testing.assert_array_equal(rows.toarray(), X[300:][idx])
    ref = logreg().fit(np.concatenate([X[:30], X[200:210]]), learner.y_training)
    assert set(idx.tolist()) == top_k_set(
        sk_scores.entropy(ref.predict_proba(X[300:])), 3
    )


def test_dataframe_rows(data):
    X, y = data
    df = pd.DataFrame(X, columns=[f"px{i}" for i in range(64)])
    learner = ActiveLearner(
        logreg(),
        entropy_sampling,
        X_training=df.iloc[:30],
        y_training=y[:30],
        X_pool=df.iloc[100:],
    )
    learner.teach(df.iloc[200:210], y[200:210])
    assert isinstance(learner.X_training, pd.DataFrame)
    assert list(learner.X_training.columns) == list(df.columns)
    np.testing.assert_array_equal(
        learner.X_training.to_numpy(), np.concatenate([X[:30], X[200:210]])
    )
    pool = learner.X_pool
    idx, rows = learner.query(n_instances=3)
    assert isinstance(rows, pd.DataFrame)
    pd.testing.assert_frame_equal(rows, pool.iloc[idx])
    learner.label(idx, y[100:][idx])
    assert len(learner.X_pool) == 300 - 3
    assert len(learner.X_training) == 43
    np.testing.assert_array_equal(learner.X_training.to_numpy()[-3:], X[100:][idx])


# --------------------------------------------------------------------------- #
# query: every strategy convention, once per query
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("strategy", "measure"),
    [
        (entropy_sampling, sk_scores.entropy),
        (margin_sampling, sk_scores.margin),
        (least_confidence_sampling, sk_scores.least_confidence),
    ],
)
@pytest.mark.parametrize("n", [1, 5])
def test_query_with_skactive_uncertainty_strategies(data, strategy, measure, n):
    X, y = data
    learner = ActiveLearner(logreg(), strategy, X_training=X[:30], y_training=y[:30])
    pool = X[100:]
    idx, rows, scores = learner.query(pool, n_instances=n, return_metrics=True)
    assert idx.shape == (n,)
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(rows, pool[idx])
    all_scores = measure(learner.estimator.predict_proba(pool))
    assert set(idx.tolist()) == top_k_set(all_scores, n)
    np.testing.assert_allclose(scores, all_scores[idx], rtol=1e-6)


def test_query_with_random_sampling_is_seeded(data):
    X, y = data
    picks = []
    for _ in range(2):
        learner = ActiveLearner(
            logreg(),
            RandomSampling(random_state=7),
            X_training=X[:30],
            y_training=y[:30],
        )
        idx, rows, scores = learner.query(X[100:], n_instances=6, return_metrics=True)
        np.testing.assert_array_equal(rows, X[100:][idx])
        assert scores is None
        assert len(set(idx.tolist())) == 6
        picks.append(idx)
    np.testing.assert_array_equal(picks[0], picks[1])


class CountingEntropy(UncertaintySampling):
    """An skactive strategy that counts how often it scores a pool."""

    def _score(self, estimator, X):
        self.n_scored_ = getattr(self, "n_scored_", 0) + 1
        return super()._score(estimator, X)


def test_skactive_strategy_runs_once_per_query(data):
    X, y = data
    strategy = CountingEntropy()
    est = logreg()
    learner = ActiveLearner(est, strategy, X_training=X[:30], y_training=y[:30])
    proba_calls = spy_on(est, "predict_proba")
    for k in range(1, 4):
        learner.query(X[100:], n_instances=2)
        assert strategy.n_scored_ == k
        assert len(proba_calls) == k


# foreign strategies, one per convention ------------------------------------ #
PICKS = np.array([5, 3, 11, 0])
PICK_SCORES = np.array([0.9, 0.8, 0.7, 0.6])


def indices_only(learner, X_pool, n_instances=1):
    """modAL 0.4.1 style: the index array alone."""
    return PICKS[:n_instances].copy()


def indices_and_scores(learner, X_pool, n_instances=1):
    """modAL 0.4.2 style: (indices, scores)."""
    return PICKS[:n_instances].copy(), PICK_SCORES[:n_instances].copy()


def indices_and_rows(learner, X_pool, n_instances=1):
    """Legacy modAL style: (indices, rows)."""
    idx = PICKS[:n_instances].copy()
    if isinstance(X_pool, list):
        return idx, [X_pool[i] for i in idx]
    return idx, X_pool[idx]


def indices_as_list(learner, X_pool, n_instances=1):
    return PICKS[:n_instances].tolist()


@pytest.mark.parametrize(
    ("strategy", "has_scores"),
    [
        (indices_only, False),
        (indices_and_scores, True),
        (indices_and_rows, False),
        (indices_as_list, False),
    ],
)
@pytest.mark.parametrize("n", [1, 2, 3])
def test_query_with_foreign_strategies(data, strategy, has_scores, n):
    X, y = data
    calls = []

    def counted(learner, X_pool, *args, **kwargs):
        calls.append(kwargs)
        return strategy(learner, X_pool, *args, **kwargs)

    learner = ActiveLearner(logreg(), counted, X_training=X[:30], y_training=y[:30])
    pool = X[100:200]
    idx, rows = learner.query(pool, n_instances=n)
    assert len(calls) == 1
    assert calls[0] == {"n_instances": n}
    np.testing.assert_array_equal(idx, PICKS[:n])
    np.testing.assert_array_equal(rows, pool[PICKS[:n]])

    idx, rows, scores = learner.query(pool, n_instances=n, return_metrics=True)
    assert len(calls) == 2
    np.testing.assert_array_equal(idx, PICKS[:n])
    np.testing.assert_array_equal(rows, pool[PICKS[:n]])
    if has_scores:
        np.testing.assert_array_equal(scores, PICK_SCORES[:n])
        np.testing.assert_array_equal(learner.history_[-1]["scores"], scores)
    else:
        assert scores is None
        assert learner.history_[-1]["scores"] is None


def test_query_with_a_legacy_strategy_on_image_batches(digit_images):
    images, y = digit_images
    learner = ActiveLearner(
        flat_logreg(), indices_and_rows, X_training=images[:30], y_training=y[:30]
    )
    pool = images[100:200]
    for n in (1, 2):
        idx, rows, scores = learner.query(pool, n_instances=n, return_metrics=True)
        np.testing.assert_array_equal(idx, PICKS[:n])
        np.testing.assert_array_equal(rows, pool[PICKS[:n]])
        assert scores is None


def test_query_with_a_single_integer_index(data):
    X, y = data
    learner = ActiveLearner(
        logreg(),
        lambda lrn, X_pool, **kw: np.int64(7),
        X_training=X[:30],
        y_training=y[:30],
    )
    idx, rows = learner.query(X[100:200])
    assert idx == 7  # one index, one row, as modAL returns it
    assert rows.shape == (64,)
    np.testing.assert_array_equal(rows, X[107])
    np.testing.assert_array_equal(learner.history_[-1]["indices"], [7])


@pytest.mark.parametrize("strategy", [indices_and_scores, indices_and_rows])
def test_query_on_a_list_pool(data, strategy):
    X, y = data
    learner = ActiveLearner(logreg(), strategy, X_training=X[:30], y_training=y[:30])
    pool = X[100:200].tolist()
    idx, rows = learner.query(pool, n_instances=2)
    np.testing.assert_array_equal(idx, PICKS[:2])
    np.testing.assert_array_equal(np.asarray(rows), X[100:200][PICKS[:2]])


def test_query_with_modals_own_entropy_sampling(data):
    X, y = data
    pool = X[100:]
    theirs = ActiveLearner(
        logreg(),
        modAL.uncertainty.entropy_sampling,
        X_training=X[:30],
        y_training=y[:30],
    )
    ours = ActiveLearner(
        logreg(), entropy_sampling, X_training=X[:30], y_training=y[:30]
    )
    idx_theirs, rows = theirs.query(pool, n_instances=4)
    idx_ours, _ = ours.query(pool, n_instances=4)
    assert set(idx_theirs.tolist()) == set(idx_ours.tolist())
    np.testing.assert_array_equal(rows, pool[idx_theirs])


def _returns(value):
    def bad_strategy(learner, X_pool, n_instances=1):
        return value

    return bad_strategy


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.array([0, 100]), "outside"),
        (np.array([-1]), "outside"),
        (np.array([1.0, 2.0]), "integer"),
        (np.array([[1, 2]]), "1-D"),
        ((np.array([1]), np.array([0.5]), "extra"), "tuple of 3"),
    ],
)
def test_bad_strategy_output_is_a_value_error_naming_the_strategy(data, value, match):
    X, y = data
    learner = ActiveLearner(
        logreg(), _returns(value), X_training=X[:30], y_training=y[:30]
    )
    with pytest.raises(ValueError, match=match) as info:
        learner.query(X[100:200], n_instances=2)
    if match != "tuple of 3":
        assert "bad_strategy" in str(info.value)
    assert learner.history_ == []


def test_query_passes_strategy_options(data):
    X, y = data
    learner = ActiveLearner(
        logreg(),
        modAL.uncertainty.margin_sampling,
        X_training=X[:30],
        y_training=y[:30],
    )
    seen = []
    original = learner.query_strategy

    def strategy(lrn, X_pool, n_instances=1, **kwargs):
        seen.append(kwargs)
        return original(lrn, X_pool, n_instances=n_instances, **kwargs)

    learner.query_strategy = strategy
    idx, _ = learner.query(X[100:], n_instances=3, random_tie_break=True)
    assert seen == [{"random_tie_break": True}]
    assert idx.shape == (3,)


# --------------------------------------------------------------------------- #
# history
# --------------------------------------------------------------------------- #


def test_history_records_rounds(data):
    X, y = data
    learner = ActiveLearner(
        logreg(),
        entropy_sampling,
        X_training=X[:30],
        y_training=y[:30],
        X_pool=X[100:],
    )
    y_pool = y[100:].copy()
    for r in range(2):
        idx, _, scores = learner.query(n_instances=4, return_metrics=True)
        entry = learner.history_[-1]
        assert entry["round"] == r
        np.testing.assert_array_equal(entry["indices"], idx)
        np.testing.assert_array_equal(entry["scores"], scores)
        assert entry["labels"] is None
        assert entry["n_labeled"] == 30 + 4 * r
        learner.label(idx, y_pool[idx])
        np.testing.assert_array_equal(learner.history_[-1]["labels"], y_pool[idx])
        y_pool = np.delete(y_pool, idx)
    assert len(learner.history_) == 2


def test_history_after_query_then_teach(learner, data):
    X, y = data
    idx, rows = learner.query(X[100:], n_instances=3)
    learner.teach(rows, y[100:][idx])
    assert len(learner.history_) == 1
    np.testing.assert_array_equal(learner.history_[0]["indices"], idx)
    np.testing.assert_array_equal(learner.history_[0]["labels"], y[100:][idx])


def test_teach_without_query_adds_an_entry_without_indices(learner, data):
    X, y = data
    learner.teach(X[200:205], y[200:205])
    assert len(learner.history_) == 1
    entry = learner.history_[0]
    assert entry["indices"] is None
    assert entry["scores"] is None
    np.testing.assert_array_equal(entry["labels"], y[200:205])
    assert entry["n_labeled"] == 30
    # a second teach after a labeled round opens a new entry
    learner.teach(X[205:207], y[205:207])
    assert len(learner.history_) == 2
    assert learner.history_[1]["round"] == 1
    assert learner.history_[1]["n_labeled"] == 35


# --------------------------------------------------------------------------- #
# the pool
# --------------------------------------------------------------------------- #


def test_query_uses_the_constructor_pool(data):
    X, y = data
    pool = X[100:]
    learner = ActiveLearner(
        logreg(), entropy_sampling, X_training=X[:30], y_training=y[:30], X_pool=pool
    )
    assert learner.X_pool is pool
    idx, rows = learner.query(n_instances=4)
    np.testing.assert_array_equal(rows, pool[idx])
    ref_idx, _ = learner.query(pool, n_instances=4)
    np.testing.assert_array_equal(idx, ref_idx)


def test_set_pool(learner, data):
    X, _ = data
    assert learner.X_pool is None
    assert learner.set_pool(X[300:]) is learner
    idx, rows = learner.query(n_instances=2)
    assert idx.max() < 100
    np.testing.assert_array_equal(rows, X[300:][idx])
    assert learner.set_pool(None) is learner
    assert learner.X_pool is None
    with pytest.raises(ValueError, match="X_pool"):
        learner.query()


def test_duplicate_indices_pass_through_with_a_warning(data):
    X, y = data
    learner = ActiveLearner(
        logreg(), _returns(np.array([4, 4])), X_training=X[:30], y_training=y[:30]
    )
    with pytest.warns(UserWarning, match=r"duplicate indices \[4, 4\]"):
        idx, rows = learner.query(X[100:200], n_instances=2)
    np.testing.assert_array_equal(idx, [4, 4])  # as modAL returns them
    learner.set_pool(X[100:200])
    with pytest.raises(ValueError, match="duplicate"):
        learner.label(idx, y[[104, 104]])


@pytest.mark.parametrize(
    "bad",
    [
        np.full((5, 64), np.nan),
        np.zeros(64),
        np.zeros((0, 64)),
    ],
)
def test_set_pool_validates(learner, bad):
    with pytest.raises(ValueError, match="X_pool"):
        learner.set_pool(bad)


def test_explicit_pool_overrides_the_held_pool(data):
    X, y = data
    learner = ActiveLearner(
        logreg(), indices_only, X_training=X[:30], y_training=y[:30], X_pool=X[100:200]
    )
    _, rows = learner.query(X[200:300], n_instances=2)
    np.testing.assert_array_equal(rows, X[200:300][PICKS[:2]])
    assert learner.X_pool.shape == (100, 64)


def test_label_moves_rows_from_pool_to_training(data):
    X, y = data
    pool, y_pool = X[100:200], y[100:200]
    learner = ActiveLearner(
        logreg(), entropy_sampling, X_training=X[:30], y_training=y[:30], X_pool=pool
    )
    idx, rows = learner.query(n_instances=5)
    learner.label(idx, y_pool[idx])
    assert learner.X_pool.shape == (95, 64)
    assert learner.X_training.shape == (35, 64)
    np.testing.assert_array_equal(learner.X_training[:30], X[:30])
    np.testing.assert_array_equal(learner.X_training[30:], pool[idx])
    np.testing.assert_array_equal(learner.y_training[30:], y_pool[idx])
    keep = np.setdiff1d(np.arange(100), idx)  # order of the rest is kept
    np.testing.assert_array_equal(learner.X_pool, pool[keep])
    # the estimator was refitted on the 35 rows
    ref = logreg().fit(learner.X_training, learner.y_training)
    np.testing.assert_allclose(
        learner.predict_proba(X[300:]), ref.predict_proba(X[300:]), rtol=1e-6
    )
    # next query's indices refer to the shrunken pool
    idx2, rows2 = learner.query(n_instances=3)
    assert idx2.max() < 95
    np.testing.assert_array_equal(rows2, pool[keep][idx2])


def test_label_without_a_pool_is_a_value_error(learner, data):
    _, y = data
    with pytest.raises(ValueError, match="no pool"):
        learner.label([0], y[:1])


def test_query_with_neither_pool_is_a_value_error(learner):
    with pytest.raises(ValueError, match="X_pool"):
        learner.query()
    with pytest.raises(ValueError, match="X_pool"):
        learner.query(n_instances=2)


@pytest.mark.parametrize(
    ("indices", "labels"),
    [
        ([0, 100], [1, 2]),  # out of range
        ([3, 3], [1, 1]),  # duplicates
        ([0, 1], [1]),  # labels of the wrong length
    ],
)
def test_failed_label_leaves_pool_and_training_alone(data, indices, labels):
    X, y = data
    learner = ActiveLearner(
        logreg(),
        entropy_sampling,
        X_training=X[:30],
        y_training=y[:30],
        X_pool=X[100:200],
    )
    with pytest.raises(ValueError):
        learner.label(indices, labels)
    assert learner.X_pool.shape == (100, 64)
    np.testing.assert_array_equal(learner.X_pool, X[100:200])
    assert learner.X_training.shape == (30, 64)


def test_failed_label_does_not_mark_the_query_as_labeled(data):
    X, y = data
    labels = np.array([f"digit{v}" for v in y])
    learner = ActiveLearner(
        LabelSpreading(max_iter=100),
        entropy_sampling,
        X_training=X[:30],
        y_training=y[:30],
        X_pool=X[100:200],
    )
    idx, _ = learner.query(n_instances=2)
    with pytest.raises(TypeError):
        learner.label(idx, labels[100:200][idx])  # the refit fails
    assert learner.X_pool.shape == (100, 64)
    assert learner.X_training.shape == (30, 64)
    np.testing.assert_array_equal(learner.y_training, y[:30])
    assert len(learner.history_) == 1
    assert learner.history_[0]["labels"] is None  # nothing was labeled
    # labeling the same query again then fills that round
    learner.label(idx, y[100:200][idx])
    assert len(learner.history_) == 1
    np.testing.assert_array_equal(learner.history_[0]["indices"], idx)
    np.testing.assert_array_equal(learner.history_[0]["labels"], y[100:200][idx])


# --------------------------------------------------------------------------- #
# semi-supervised estimators
# --------------------------------------------------------------------------- #


class Declared:
    _learns_from_unlabeled = True


class DeclaredNot(LabelSpreading):
    _learns_from_unlabeled = False


class SpyLabelSpreading(LabelSpreading):
    """A user's subclass of LabelSpreading recording what it is fitted on."""

    def fit(self, X, y):
        self.fitted_y_ = np.array(y, copy=True)
        self.fitted_X_ = np.array(X, copy=True)
        return super().fit(X, y)


@pytest.mark.parametrize(
    ("estimator", "expected"),
    [
        (LabelSpreading(), True),
        (LabelPropagation(), True),
        (SelfTrainingClassifier(LogisticRegression()), True),
        (LogisticRegression(), False),
        (make_pipeline(StandardScaler(), LabelSpreading()), True),
        (make_pipeline(StandardScaler(), LogisticRegression()), False),
        (make_pipeline(LabelSpreading(), LogisticRegression()), False),
        (Declared(), True),
        (DeclaredNot(), False),
        (SpyLabelSpreading(), True),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, bool) else str(v),
)
def test_learns_from_unlabeled(estimator, expected):
    assert learns_from_unlabeled(estimator) is expected


def test_semi_supervised_estimator_is_fitted_on_the_pool_with_minus_one(data):
    X, y = data
    est = LabelSpreading(max_iter=100)
    calls = spy_on(est)
    pool = X[100:200]
    learner = ActiveLearner(
        est, entropy_sampling, X_training=X[:30], y_training=y[:30], X_pool=pool
    )
    assert UNLABELED == -1
    np.testing.assert_array_equal(calls[-1]["X"], np.concatenate([X[:30], pool]))
    np.testing.assert_array_equal(
        calls[-1]["y"], np.concatenate([y[:30], np.full(100, -1)])
    )
    idx, _ = learner.query(n_instances=4)
    learner.label(idx, y[100:200][idx])
    keep = np.setdiff1d(np.arange(100), idx)
    np.testing.assert_array_equal(
        calls[-1]["X"], np.concatenate([X[:30], pool[idx], pool[keep]])
    )
    np.testing.assert_array_equal(
        calls[-1]["y"], np.concatenate([y[:30], y[100:200][idx], np.full(96, -1)])
    )
    # only_new: the new rows plus the pool
    learner.teach(X[300:305], y[300:305], only_new=True)
    np.testing.assert_array_equal(
        calls[-1]["y"], np.concatenate([y[300:305], np.full(96, -1)])
    )
    # the learner's own labeled set never holds -1
    assert (learner.y_training >= 0).all()
    assert len(learner.y_training) == 39


def test_subclass_of_label_spreading_is_fitted_on_the_pool(data):
    X, y = data
    learner = ActiveLearner(
        SpyLabelSpreading(max_iter=100),
        X_training=X[:30],
        y_training=y[:30],
        X_pool=X[100:150],
    )
    seen = learner.estimator.fitted_y_
    assert seen.shape == (80,)
    np.testing.assert_array_equal(seen, np.concatenate([y[:30], np.full(50, -1)]))


def test_supervised_estimator_never_sees_minus_one(data):
    X, y = data
    est = logreg()
    calls = spy_on(est)
    learner = ActiveLearner(
        est, entropy_sampling, X_training=X[:30], y_training=y[:30], X_pool=X[100:200]
    )
    idx, _ = learner.query(n_instances=5)
    learner.label(idx, y[100:200][idx])
    learner.teach(X[300:305], y[300:305], only_new=True)
    assert [c["X"].shape[0] for c in calls] == [30, 35, 5]
    for c in calls:
        assert (c["y"] != UNLABELED).all()


def test_pipeline_ending_in_a_semi_supervised_step(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), LabelSpreading(max_iter=100))
    calls = spy_on(pipe)
    ActiveLearner(pipe, X_training=X[:30], y_training=y[:30], X_pool=X[100:150])
    assert calls[-1]["X"].shape == (80, 64)
    assert (calls[-1]["y"][30:] == -1).all()
    np.testing.assert_array_equal(calls[-1]["y"][:30], y[:30])


def test_string_labels_with_a_semi_supervised_estimator(data):
    X, y = data
    labels = np.array([f"digit{v}" for v in y])
    with pytest.raises(TypeError, match="numeric labels"):
        ActiveLearner(
            LabelSpreading(),
            X_training=X[:30],
            y_training=labels[:30],
            X_pool=X[100:150],
        )
    # supervised estimators take string labels, pool or not
    learner = ActiveLearner(
        logreg(), X_training=X[:30], y_training=labels[:30], X_pool=X[100:150]
    )
    assert set(learner.predict(X[200:220])) <= set(labels[:30])


# --------------------------------------------------------------------------- #
# bad input
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_training_rows(data, value):
    X, y = data
    bad = X[:30].copy()
    bad[3, 5] = value
    with pytest.raises(ValueError, match="NaN or infinity"):
        ActiveLearner(logreg(), X_training=bad, y_training=y[:30])
    learner = ActiveLearner(logreg(), X_training=X[:30], y_training=y[:30])
    with pytest.raises(ValueError, match="NaN or infinity"):
        learner.teach(bad[:5], y[:5])
    with pytest.raises(ValueError, match="NaN or infinity"):
        learner.teach(torch.as_tensor(bad[:5]), y[:5])
    assert learner.X_training.shape == (30, 64)
    assert learner.history_ == []


def test_wrong_number_of_labels(data):
    X, y = data
    with pytest.raises(ValueError, match="29 labels but X has 30 rows"):
        ActiveLearner(logreg(), X_training=X[:30], y_training=y[:29])
    learner = ActiveLearner(logreg(), X_training=X[:30], y_training=y[:30])
    with pytest.raises(ValueError, match="labels"):
        learner.teach(X[30:40], y[30:35])
    with pytest.raises(ValueError, match="labels"):
        learner.fit(X[30:40], y[30:35])


def test_labels_of_another_kind_are_refused(data):
    """Strings after numbers would turn every label and prediction into strings."""
    X, y = data
    learner = ActiveLearner(logreg(), X_training=X[:30], y_training=y[:30])
    with pytest.raises(ValueError, match="string labels but the learner's labels"):
        learner.teach(X[30:35], np.array(["a"] * 5))
    assert len(learner.y_training) == 30
    assert np.issubdtype(learner.predict(X[:3]).dtype, np.integer)
    named = ActiveLearner(
        logreg(), X_training=X[:30], y_training=np.array([f"c{v}" for v in y[:30]])
    )
    with pytest.raises(ValueError, match="number labels but the learner's labels"):
        named.teach(X[30:35], y[30:35])
    mixed = np.array([1, "a", 2, 3, 4], dtype=object)
    with pytest.raises(ValueError, match="mixes labels of different kinds"):
        learner.teach(X[30:35], mixed)
    learner.teach(X[30:35], y[30:35].astype(np.float64))  # numbers stay numbers
    assert len(learner.y_training) == 35


def test_minus_one_is_refused_for_a_semi_supervised_estimator(data):
    X, y = data
    semi = ActiveLearner(
        LabelSpreading(), X_training=X[:30], y_training=y[:30], X_pool=X[30:60]
    )
    with pytest.raises(ValueError, match="marks unlabeled rows"):
        semi.label([0, 1], [3, UNLABELED])
    assert len(semi.y_training) == 30 and len(semi.X_pool) == 30
    with pytest.raises(ValueError, match="marks unlabeled rows"):
        ActiveLearner(LabelSpreading(), X_training=X[:5], y_training=[0, 1, -1, 2, 3])
    # a supervised estimator may have -1 as a class (scikit-learn's {-1, 1})
    binary = np.where(y[:30] % 2 == 0, -1, 1)
    sup = ActiveLearner(logreg(), X_training=X[:30], y_training=binary)
    sup.teach(X[30:32], [-1, 1])
    assert set(sup.predict(X[:50])) <= {-1, 1}


def test_mismatched_feature_shapes_between_batches(data, digit_images):
    X, y = data
    learner = ActiveLearner(logreg(), X_training=X[:30], y_training=y[:30])
    calls = spy_on(learner.estimator)
    with pytest.raises(ValueError, match="shape"):
        learner.teach(X[30:40, :32], y[30:40])
    images, _ = digit_images
    with pytest.raises(ValueError, match="shape"):
        learner.teach(images[30:40], y[30:40])
    assert learner.X_training.shape == (30, 64)
    assert calls == []


@pytest.mark.parametrize("strategy", ["entropy", None, 3])
def test_non_callable_query_strategy(strategy):
    with pytest.raises(TypeError, match="callable"):
        ActiveLearner(logreg(), strategy)


def test_force_all_finite_must_be_a_bool():
    with pytest.raises(TypeError, match="force_all_finite"):
        ActiveLearner(logreg(), force_all_finite="yes")


@pytest.mark.parametrize(
    "strategy", [entropy_sampling, margin_sampling, least_confidence_sampling]
)
def test_unfitted_estimator_is_never_queried(data, strategy):
    X, _ = data
    learner = ActiveLearner(logreg(), strategy, X_pool=X[100:])
    with pytest.raises(NotFittedError):
        learner.query(n_instances=3)
    with pytest.raises(NotFittedError):
        learner.query(X[100:200])
    assert learner.history_ == []


# --------------------------------------------------------------------------- #
# end to end on load_digits
# --------------------------------------------------------------------------- #


def _active_learning_curve(estimator, strategy, X, y, seed):
    X_pool, X_test, y_pool, y_test = X[:1500], X[1500:], y[:1500], y[1500:]
    rng = np.random.RandomState(seed)
    initial = rng.choice(len(X_pool), 20, replace=False)
    rest = np.setdiff1d(np.arange(len(X_pool)), initial)
    learner = ActiveLearner(
        estimator,
        strategy,
        X_training=X_pool[initial],
        y_training=y_pool[initial],
        X_pool=X_pool[rest],
    )
    accuracies = [learner.score(X_test, y_test)]
    for _ in range(3):
        idx, _ = learner.query(n_instances=10)
        learner.label(idx, y_pool[rest[idx]])
        rest = np.delete(rest, idx)
        accuracies.append(learner.score(X_test, y_test))
    assert len(learner.y_training) == 50
    assert len(rest) == learner.X_pool.shape[0] == 1500 - 50
    # the labels taught are those of the rows queried
    taught = np.setdiff1d(np.arange(1500), rest)
    assert sorted(learner.y_training.tolist()) == sorted(y_pool[taught].tolist())
    return accuracies


def test_end_to_end_logistic_regression_with_entropy_sampling(digits):
    X, y = digits
    acc = _active_learning_curve(
        LogisticRegression(max_iter=2000), entropy_sampling, X, y, seed=0
    )
    assert acc[-1] >= acc[0] + 0.05, acc


def test_end_to_end_deep_classifier_with_entropy_sampling(digit_images):
    images, y = digit_images
    X_pool, X_test, y_pool, y_test = train_test_split(
        images, y, test_size=0.25, random_state=0, stratify=y
    )
    net = DeepClassifier(
        SmallCNN,
        max_epochs=30,
        batch_size=16,
        lr=2e-3,
        random_state=0,
        classes=np.arange(10),
    )
    rng = np.random.RandomState(0)
    initial = rng.choice(len(X_pool), 20, replace=False)
    rest = np.setdiff1d(np.arange(len(X_pool)), initial)
    learner = ActiveLearner(
        net,
        UncertaintySampling("entropy", random_state=0),
        X_training=X_pool[initial],
        y_training=y_pool[initial],
        X_pool=X_pool[rest],
    )
    accuracies = [learner.score(X_test, y_test)]
    for _ in range(3):
        idx, rows = learner.query(n_instances=10)
        np.testing.assert_array_equal(rows, X_pool[rest[idx]])
        learner.label(idx, y_pool[rest[idx]])
        rest = np.delete(rest, idx)
        accuracies.append(learner.score(X_test, y_test))
    assert learner.X_training.dtype == np.uint8
    assert learner.X_training.shape == (50, 8, 8)
    assert accuracies[-1] >= accuracies[0] + 0.1, accuracies


def test_load_digits_fixture_matches(digits):
    # the end-to-end tests rely on the fixture being load_digits scaled to [0, 1]
    X, y = digits
    X_ref, y_ref = load_digits(return_X_y=True)
    np.testing.assert_allclose(X, X_ref / 16, rtol=1e-6)
    np.testing.assert_array_equal(y, y_ref)


# ---------------------------------------------------------- modAL drop-in
def test_every_constructor_argument_is_a_parameter(data):
    from sklearn.base import clone

    X, y = data
    learner = ActiveLearner(
        logreg(),
        entropy_sampling,
        X_training=X[:30],
        y_training=y[:30],
        bootstrap_init=False,
        X_pool=X[30:60],
        random_state=3,
    )
    params = learner.get_params(deep=False)
    assert set(params) == {
        "estimator",
        "query_strategy",
        "X_training",
        "y_training",
        "bootstrap_init",
        "on_transformed",
        "X_pool",
        "random_state",
        "force_all_finite",
        "stop",
    }
    twin = clone(learner)
    assert twin.random_state == 3 and len(twin.y_training) == 30
    assert twin.X_pool.shape == (30, 64)
    twin.set_params(query_strategy=margin_sampling)
    assert twin.query_strategy is margin_sampling


def test_a_list_of_documents_is_a_pool():
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = ["good movie", "bad film", "great cast", "awful plot", "fine", "poor"]
    learner = ActiveLearner(
        make_pipeline(TfidfVectorizer(), LogisticRegression()),
        UncertaintySampling("margin", random_state=0),
        X_training=docs[:4],
        y_training=[1, 0, 1, 0],
        X_pool=docs[4:],
    )
    idx, rows = learner.query(n_instances=1)
    assert isinstance(rows, list) and rows[0] in docs[4:]
    learner.label(idx, [1])
    assert learner.X_training[-1] == rows[0] and len(learner.X_pool) == 1
    # a 1-D object array stays one
    pool = np.array(docs[4:], dtype=object)
    idx, rows = learner.query(pool, n_instances=1)
    assert isinstance(rows, np.ndarray) and rows.dtype == object


def test_a_1d_pool_for_a_model_of_feature_rows_is_refused(learner, data):
    X, _ = data
    with pytest.raises(ValueError, match="X_pool is 1-D"):
        learner.query(X[100], n_instances=1)


def _plain_net(**kwargs):
    from skorch import NeuralNetClassifier

    from skactive.nets import MLP

    return NeuralNetClassifier(
        MLP,
        module__n_features=64,
        module__n_classes=10,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=2,
        train_split=None,
        verbose=0,
        **kwargs,
    )


def test_teach_only_new_with_a_reinitialising_net_trains_on_every_label(data):
    X, y = data
    X = X.astype(np.float32)
    learner = ActiveLearner(_plain_net(), X_training=X[:50], y_training=y[:50])
    calls = []
    fit = learner.estimator.fit
    learner.estimator.fit = lambda X, y, **kw: calls.append(len(X)) or fit(X, y, **kw)
    with pytest.warns(UserWarning, match="training on all 60 labeled rows"):
        learner.teach(X[50:60], y[50:60], only_new=True)
    assert calls == [60]
    warm = ActiveLearner(
        _plain_net(warm_start=True), X_training=X[:50], y_training=y[:50]
    )
    fit = warm.estimator.fit
    calls.clear()
    warm.estimator.fit = lambda X, y, **kw: calls.append(len(X)) or fit(X, y, **kw)
    warm.teach(X[50:60], y[50:60], only_new=True)  # continues on the new rows
    assert calls == [10]


def test_deep_active_learner_semantics(data):
    from sklearn.exceptions import NotFittedError

    from skactive import DeepActiveLearner
    from skactive.nets import MLP, DeepClassifier

    X, y = data
    X = X.astype(np.float32)
    plain = DeepActiveLearner(_plain_net())
    assert plain.estimator.initialized_  # as modAL does
    with pytest.raises(NotFittedError, match="not been taught"):
        plain.query(X[:50], n_instances=2)
    net = DeepClassifier(MLP, max_epochs=1, classes=np.arange(10), random_state=0)
    learner = DeepActiveLearner(net)
    assert not net.initialized_  # sizes come from the data
    learner.teach(X[:100], y[:100])
    weights = net.module_.classifier.weight.detach().clone()
    learner.teach(X[100:120], y[100:120])  # warm start: the same module, trained
    assert not torch.equal(weights, net.module_.classifier.weight)
    module = net.module_
    learner.teach(X[:100], y[:100], warm_start=False)
    assert net.module_ is not module  # a fresh start
    assert learner.X_training is None and learner.n_teach_ == 3
    idx, rows = learner.query(X[200:300], n_instances=3)
    assert rows.shape == (3, 64)
    learner.num_epochs, learner.batch_size = 4, 16
    assert (net.max_epochs, net.batch_size) == (4, 16)
    with pytest.raises(ValueError, match="num_epochs must be an int >= 1"):
        learner.num_epochs = 0
    with pytest.raises(TypeError, match="batch_size must be an int"):
        learner.batch_size = 2.5


def test_deep_active_learner_counts_the_labels_it_is_taught():
    from skactive import DeepActiveLearner
    from skactive.nets import MLP
    from skactive.stopping import LabelBudget

    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    net = DeepClassifier(MLP, max_epochs=1, classes=np.arange(10), random_state=0)
    learner = DeepActiveLearner(net, stop=LabelBudget(30))
    learner.teach(X[:20], y[:20])
    assert learner.n_labels_ == 20 and not learner.should_stop(X[100:200])
    learner.teach(X[20:30], y[20:30])
    assert learner.n_labels_ == 30 and learner.should_stop(X[100:200])
    assert learner.stop.labels_[-2:] == [20, 30]
    learner.fit(X[:15], y[:15])  # from scratch: these labels only
    assert learner.n_labels_ == 15
