"""BALD family and BatchBALD: brute-force references, nets, learners, errors."""

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from skorch import NeuralNetClassifier

from skactive import ActiveLearner
from skactive.nets import MLP, DeepClassifier
from skactive.scores import bald, max_entropy, mean_std, variation_ratio
from skactive.strategies.bayesian import (
    BALD,
    BatchBALD,
    MaxEntropy,
    MCDropoutSampling,
    MeanSTD,
    VariationRatios,
    consistent_mc_dropout,
)

SCORE_STRATEGIES = {
    BALD: bald,
    VariationRatios: variation_ratio,
    MeanSTD: mean_std,
    MaxEntropy: max_entropy,
}
ALL = [*SCORE_STRATEGIES, BatchBALD]


class FixedSamples(ClassifierMixin, BaseEstimator):
    """A fitted stand-in whose MC samples are fixed: row ``i`` is ``X[i, 0]``."""

    def __init__(self, samples=None):
        self.samples = samples

    def fit(self, X=None, y=None):
        self.classes_ = np.arange(self.samples.shape[2])
        self.n_features_in_ = 1
        return self

    def predict_proba_samples(self, X, n_samples=20, random_state=None):
        rows = np.asarray(X)[:, 0].astype(int)
        return self.samples[:n_samples, rows]


def _stub(samples):
    X = np.arange(samples.shape[1], dtype=float)[:, None]
    return FixedSamples(samples).fit(), X


@pytest.fixture(scope="module")
def net(digits):
    X, y = digits
    return DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])


@pytest.fixture(scope="module")
def logreg(digits):
    X, y = digits
    return LogisticRegression(max_iter=300).fit(X[:100], y[:100])


@pytest.fixture(scope="module")
def pool(digits):
    return digits[0][100:200]


# ------------------------------------------------------------ score family
@pytest.mark.parametrize("cls", list(SCORE_STRATEGIES), ids=lambda c: c.__name__)
@pytest.mark.parametrize("k", [1, 4])
def test_score_strategies_pick_the_brute_force_best(cls, k):
    P = np.random.RandomState(0).dirichlet(np.full(5, 0.4), size=(8, 60))
    est, X = _stub(P)
    scores = SCORE_STRATEGIES[cls](P)
    idx, picked = cls(n_samples=8, random_state=0).select(est, X, k)
    # ties aside, the best k scores are picked, best first
    assert np.all(picked >= np.sort(scores)[-k] - 1e-12)
    np.testing.assert_allclose(picked, scores[idx])
    assert np.all(np.diff(picked) <= 0)
    np.testing.assert_allclose(cls(n_samples=8).score_pool(est, X), scores)


@pytest.mark.parametrize("cls", list(SCORE_STRATEGIES), ids=lambda c: c.__name__)
def test_score_strategies_on_a_net_use_its_mc_samples(cls, net, pool):
    strategy = cls(n_samples=5, random_state=0)
    idx, picked = strategy.select(net, pool, 3)
    # same seed derivation by hand: one chunk, seed = first draw of RandomState(0)
    seed = np.random.RandomState(0).randint(0, np.iinfo(np.int64).max, dtype=np.int64)
    P = net.predict_proba_samples(pool, n_samples=5, random_state=int(seed))
    np.testing.assert_allclose(picked, SCORE_STRATEGIES[cls](P)[idx], rtol=1e-6)


def test_chunks_are_seeded_independently(net, pool):
    a = BALD(n_samples=4, random_state=0).score_pool(net, pool)
    b = BALD(n_samples=4, batch_size=100, random_state=0).score_pool(net, pool)
    assert a.shape == b.shape == (len(pool),)
    dup = np.concatenate([pool[:50], pool[:50]])
    s = BALD(n_samples=4, batch_size=50, random_state=0).score_pool(net, dup)
    assert not np.allclose(s[:50], s[50:])  # different masks in each chunk


# --------------------------------------------------------------- BatchBALD
# (the selector batchbald_select itself: tests/selection/test_batchbald.py)
def test_batchbald_first_pick_is_balds_top_pick():
    P = np.random.RandomState(5).dirichlet(np.full(4, 0.3), size=(10, 200))
    est, X = _stub(P)
    (idx,), (score,) = BatchBALD(n_samples=10, random_state=0).select(est, X, 1)
    assert idx == int(np.argmax(bald(P)))
    np.testing.assert_allclose(score, bald(P).max(), rtol=1e-10)
    np.testing.assert_array_equal(BALD(n_samples=10, random_state=0)(est, X, 1), [idx])


def test_consistent_dropout_shares_masks_across_rows_and_batches(net, pool):
    dup = np.concatenate([pool[:20], pool[:20]])  # copies 20 rows apart
    net_small = clone(net).set_params(
        batch_size=7,
        **{f"module__{k}": v for k, v in net._inferred_module_kwargs_.items()},
    )
    net_small.initialize()
    net_small.module_.load_state_dict(net.module_.state_dict())
    net_small.classes_inferred_ = net.classes_inferred_
    net_small.input_shape_ = net.input_shape_
    state = torch.get_rng_state()
    P = consistent_mc_dropout(net_small, dup, 6, random_state=0)
    assert torch.equal(state, torch.get_rng_state())
    assert P.shape == (6, 40, 10)
    # row i and its copy 20 rows (and a few batches) later share every mask
    np.testing.assert_allclose(P[:, :20], P[:, 20:], rtol=1e-6)
    assert not np.allclose(P[0], P[1])
    # the masks do not depend on how the pool is batched
    np.testing.assert_allclose(
        P, consistent_mc_dropout(net, dup, 6, random_state=0), rtol=1e-5
    )
    # per-row MC dropout draws different masks for the copies
    Q = net.predict_proba_samples(dup, n_samples=6, random_state=0)
    assert not np.allclose(Q[:, :20], Q[:, 20:])


def test_batchbald_on_a_net(net, pool):
    idx, scores = BatchBALD(n_samples=5, random_state=0).select(net, pool, 4)
    assert idx.dtype == np.int64 and len(set(idx)) == 4
    assert np.all(np.diff(scores) > -1e-9)
    np.testing.assert_array_equal(
        idx, BatchBALD(n_samples=5, random_state=0)(net, pool, 4)
    )
    # with per-row samples, the first pick is BALD's (same seeds)
    idx2 = BatchBALD(n_samples=5, consistent_dropout=False, random_state=0)(
        net, pool, 2
    )
    assert idx2[0] == BALD(n_samples=5, random_state=0)(net, pool, 1)[0]


# ---------------------------------------------------------- learners, errors
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_in_skactive_learner_with_a_net(cls, digits, net, pool):
    X, y = digits
    learner = ActiveLearner(clone(net), cls(n_samples=4, random_state=0))
    learner.estimator = net  # already fitted on X[:100]
    learner.X_training, learner.y_training = X[:100], y[:100]
    idx, rows = learner.query(pool, n_instances=3)
    np.testing.assert_array_equal(rows, pool[idx])
    np.testing.assert_array_equal(learner.history_[0]["indices"], idx)
    assert learner.history_[0]["scores"].shape == (3,)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_candidate_subsample(cls):
    P = np.random.RandomState(0).dirichlet(np.ones(3), size=(4, 50))
    est, X = _stub(P)
    idx = cls(n_samples=4, R=20, random_state=3)(est, X, 5)
    candidates = np.sort(np.random.RandomState(3).choice(50, 20, replace=False))
    assert set(idx) <= set(candidates) and len(set(idx)) == 5


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_estimator_without_mc_samples_is_refused(cls, logreg, pool):
    clf = logreg
    with pytest.raises(TypeError, match=r"predict_proba_samples\(\)"):
        cls(random_state=0)(clf, pool, 1)


def test_plain_skorch_nets_are_sampled_with_their_dropout_active(digits, pool):
    """modAL's nets are plain skorch nets: MC dropout works on them too."""
    X, y = digits
    # MLP returns logits: with skorch's default NLLLoss, predict_proba would
    # return those logits, which the scores refuse as probabilities
    plain = NeuralNetClassifier(
        MLP,
        module__n_features=64,
        module__n_classes=10,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=1,
        train_split=None,
        verbose=0,
    ).fit(X[:100], y[:100].astype(np.int64))
    idx, scores = BALD(n_samples=4, random_state=0).select(plain, pool, 3)
    again, _ = BALD(n_samples=4, random_state=0).select(plain, pool, 3)
    np.testing.assert_array_equal(idx, again)  # seeded
    assert np.all(scores > 0)  # the passes disagree: dropout was active
    assert not any(m.training for m in plain.module_.modules())
    # BatchBALD draws consistent masks itself, through the net's module_
    assert len(BatchBALD(n_samples=3, random_state=0)(plain, pool, 2)) == 2


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "n_samples, exc", [(1, ValueError), (0, ValueError), (2.5, TypeError)]
)
def test_bad_n_samples(cls, n_samples, exc, net, pool):
    with pytest.raises(exc, match="n_samples"):
        cls(n_samples=n_samples, random_state=0)(net, pool, 1)


def test_bad_batchbald_parameters(net, pool):
    with pytest.raises(ValueError, match="max_configurations"):
        BatchBALD(max_configurations=0)(net, pool, 1)
    with pytest.raises(TypeError, match="n_configurations"):
        BatchBALD(n_configurations=2.0)(net, pool, 1)
    with pytest.raises(TypeError, match="consistent_dropout"):
        BatchBALD(consistent_dropout="yes")(net, pool, 1)


def test_net_without_dropout_is_refused(digits, pool):
    X, y = digits
    net = DeepClassifier(MLP, module__dropout=0.0, max_epochs=1, random_state=0)
    net.fit(X[:50], y[:50])
    for cls in ALL:
        with pytest.raises(ValueError, match="no dropout"):
            cls(n_samples=3, random_state=0)(net, pool, 1)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_unfitted_and_unexpected_kwargs(cls, net, pool):
    with pytest.raises(NotFittedError):
        cls()(DeepClassifier(MLP), pool, 1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        cls(n_samples=3)(net, pool, 1, foo=1)


@pytest.mark.parametrize(
    "measure, named",
    [
        ("bald", BALD),
        ("variation_ratio", VariationRatios),
        ("mean_std", MeanSTD),
        ("max_entropy", MaxEntropy),
    ],
)
def test_mc_dropout_sampling_measures_are_the_named_strategies(
    net, pool, measure, named
):
    general = MCDropoutSampling(measure, n_samples=4, random_state=3)
    idx, scores = general.select(net, pool, 6)
    idx_n, scores_n = named(n_samples=4, random_state=3).select(net, pool, 6)
    np.testing.assert_array_equal(idx, idx_n)
    np.testing.assert_allclose(scores, scores_n)
    assert named().measure == measure
    assert "measure" not in named().get_params()
    assert clone(named(n_samples=7)).get_params()["n_samples"] == 7


def test_mc_dropout_sampling_refuses_an_unknown_measure(net, pool):
    with pytest.raises(ValueError, match="measure must be one of 'bald'"):
        MCDropoutSampling("entropy").select(net, pool, 2)


def test_mc_dropout_strategies_declare_that_they_need_a_net():
    assert MCDropoutSampling.needs == BALD.needs == BatchBALD.needs == "net"
