"""Cold-start initial selection: initial_selection, InitialSelection, metrics."""

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skactive import ActiveLearner
from skactive.diversity import batch_diversity, diversity_sampling
from skactive.representation import (
    InitialSelection,
    RotNet,
    evaluate_initial_set,
    initial_selection,
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny nets and probes run faster on one thread when the cores are busy."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def blobs():
    # ten well-separated, equally large clusters
    X, y = make_blobs(
        n_samples=1000, centers=10, n_features=8, cluster_std=2.0, random_state=0
    )
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def tiny_rotnet(digit_images):
    X, _ = digit_images
    rot = RotNet(
        module_kwargs=dict(channels=(8, 16), hidden_units=32),
        max_epochs=1,
        batch_size=64,
        random_state=0,
    )
    return rot.fit(X[:300])


class CountingScaler(TransformerMixin, BaseEstimator):
    """A StandardScaler that counts its fits."""

    n_fits = 0

    def fit(self, X, y=None):
        type(self).n_fits += 1
        self.scaler_ = StandardScaler().fit(np.asarray(X).reshape(len(X), -1))
        return self

    def transform(self, X):
        if not hasattr(self, "scaler_"):
            raise NotFittedError("not fitted")
        return self.scaler_.transform(np.asarray(X).reshape(len(X), -1))


# ------------------------------------------------------- initial_selection
@pytest.mark.parametrize("temperature", [0.0, 0.25, 0.5, 1.0])
def test_returns_n_unique_indices(temperature, blobs):
    X, _ = blobs
    idx = initial_selection(
        X, 50, embedder=StandardScaler(), temperature=temperature, random_state=0
    )
    assert idx.dtype == np.int64 and idx.shape == (50,)
    assert len(np.unique(idx)) == 50
    assert idx.min() >= 0 and idx.max() < len(X)


def test_with_a_representation_learner(tiny_rotnet, digit_images):
    X, _ = digit_images
    idx = initial_selection(X[:300], 20, embedder=tiny_rotnet, random_state=0)
    assert len(np.unique(idx)) == 20
    emb = tiny_rotnet.transform(X[:300])
    expected = diversity_sampling(emb, 20, temperature=0.5, random_state=0)
    np.testing.assert_array_equal(idx, expected)


def test_fits_an_unfitted_embedder_in_place_and_reuses_a_fitted_one(blobs):
    X, _ = blobs
    CountingScaler.n_fits = 0
    emb = CountingScaler()
    initial_selection(X, 5, embedder=emb, random_state=0)
    assert CountingScaler.n_fits == 1 and hasattr(emb, "scaler_")
    initial_selection(X, 5, embedder=emb, random_state=0)
    assert CountingScaler.n_fits == 1


def test_seeded(blobs):
    X, _ = blobs
    a = initial_selection(X, 30, embedder=PCA(4), random_state=3)
    b = initial_selection(X, 30, embedder=PCA(4), random_state=3)
    c = initial_selection(X, 30, embedder=PCA(4), random_state=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_zero_temperature_is_kcenter_greedy(seed, blobs):
    X, _ = blobs
    emb = StandardScaler().fit(X)
    idx = initial_selection(X, 40, embedder=emb, temperature=0, random_state=seed)
    expected = diversity_sampling(
        emb.transform(X), 40, temperature=0, random_state=seed
    )
    np.testing.assert_array_equal(idx, expected)
    # k-center greedy: every pick is the row farthest from the earlier picks
    E = emb.transform(X).astype(np.float64)
    for k in range(1, 10):
        d = np.min(np.linalg.norm(E[:, None, :] - E[idx[:k]][None], axis=2), axis=1)
        assert np.isclose(d[idx[k]], d.max())


def test_temperature_trades_diversity_for_representativeness(blobs):
    """Buchert et al. Fig. 4 on well-clustered data, averaged over seeds."""
    X, y = blobs
    emb = StandardScaler().fit(X)
    E = emb.transform(X)
    results = {}
    for name, temperature in [("T0", 0.0), ("T0.5", 0.5), ("random", None)]:
        cdd, div = [], []
        for seed in range(10):
            if temperature is None:
                idx = np.random.RandomState(seed).choice(len(X), 50, replace=False)
            else:
                idx = initial_selection(
                    X, 50, embedder=emb, temperature=temperature, random_state=seed
                )
            m = evaluate_initial_set(idx, y, E)
            cdd.append(m["class_distribution_distance"])
            div.append(m["diversity"])
        results[name] = (np.mean(cdd), np.mean(div))
    cdd_t05, div_t05 = results["T0.5"]
    cdd_rand, div_rand = results["random"]
    assert abs(cdd_t05 - cdd_rand) < 0.04, results
    assert div_t05 > div_rand + 0.05, results
    assert results["T0"][1] > div_t05, results  # T = 0 is the most diverse


@pytest.mark.parametrize("n", [0, -1, 1001])
def test_bad_n(n, blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="n"):
        initial_selection(X, n, embedder=StandardScaler())
    with pytest.raises(TypeError, match="n must be an int >= 1"):
        initial_selection(X, 2.5, embedder=StandardScaler())


def test_bad_n_fails_before_training(digit_images):
    X, _ = digit_images
    rot = RotNet(max_epochs=1)
    with pytest.raises(ValueError, match="larger than the pool"):
        initial_selection(X[:10], 11, embedder=rot)
    with pytest.raises(ValueError, match="temperature"):
        initial_selection(X[:10], 2, embedder=rot, temperature=-0.5)
    with pytest.raises(TypeError, match="temperature"):
        InitialSelection(rot, temperature="hot")(None, X[:10], 2)
    assert not hasattr(rot, "encoder_")


def test_bad_embedder_and_input(blobs, tiny_rotnet):
    X, _ = blobs
    with pytest.raises(TypeError, match=r"embedder must be an object with fit\(\)"):
        initial_selection(X, 3, embedder=LogisticRegression())
    with pytest.raises(ValueError, match="image batch"):
        initial_selection(X, 3, embedder=RotNet(max_epochs=1))
    with pytest.raises(ValueError, match="fitted on rows of shape"):
        initial_selection(np.zeros((20, 6, 6), np.uint8), 3, embedder=tiny_rotnet)
    with pytest.raises(ValueError, match="temperature"):
        initial_selection(X, 3, embedder=StandardScaler(), temperature=-1)


# ----------------------------------------------------- evaluate_initial_set
def test_evaluate_initial_set_values():
    y = np.array(["a", "a", "a", "b", "b", "c"])
    emb = np.arange(12, dtype=float).reshape(6, 2)
    m = evaluate_initial_set([0, 3, 5], y, emb)
    # p = (1/2, 1/3, 1/6), p~ = (1/3, 1/3, 1/3)
    assert np.isclose(m["class_distribution_distance"], 1 / 6)
    assert np.isclose(m["diversity"], batch_diversity(emb[[0, 3, 5]]))
    assert m["n_classes_selected"] == 3
    whole = evaluate_initial_set(np.arange(6), y, emb)
    assert whole["class_distribution_distance"] == 0.0


def test_evaluate_initial_set_errors():
    y = np.array([0, 1, 1])
    emb = np.zeros((3, 2))
    with pytest.raises(ValueError, match="indices must lie"):
        evaluate_initial_set([0, 3], y, emb)
    with pytest.raises(TypeError, match="integers"):
        evaluate_initial_set([0.5], y, emb)
    with pytest.raises(ValueError, match="embeddings must have shape"):
        evaluate_initial_set([0], y, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="non-empty"):
        evaluate_initial_set([], y, emb)


# --------------------------------------------------------- InitialSelection
def test_strategy_matches_function(blobs):
    X, _ = blobs
    emb = StandardScaler().fit(X)
    s = InitialSelection(emb, temperature=0.5, random_state=0)
    idx, scores = s.select(None, X, 25)
    expected = initial_selection(
        X, 25, embedder=emb, temperature=0.5, random_state=np.random.RandomState(0)
    )
    np.testing.assert_array_equal(idx, expected)
    assert scores.shape == (25,) and np.isinf(scores[0])
    np.testing.assert_array_equal(s(None, X, 25), idx)


def test_strategy_is_the_first_query_of_an_unfitted_learner(blobs):
    X, y = blobs
    learner = ActiveLearner(
        LogisticRegression(), InitialSelection(StandardScaler(), random_state=0)
    )
    idx, rows = learner.query(X, n_instances=10)
    assert len(np.unique(idx)) == 10
    np.testing.assert_array_equal(rows, X[idx])
    learner.teach(X[idx], y[idx])
    # with labeled rows, the next picks keep away from them
    idx2, _ = learner.query(X, n_instances=5)
    assert not set(idx2) & set(idx)


def test_strategy_in_a_modal_learner(blobs):
    from modAL.models import ActiveLearner as ModalLearner

    X, _ = blobs
    learner = ModalLearner(
        estimator=LogisticRegression(),
        query_strategy=InitialSelection(StandardScaler(), random_state=0),
    )
    idx = learner.query(X, n_instances=10)[0]
    assert len(np.unique(idx)) == 10


def test_strategy_clones_an_unfitted_embedder(blobs):
    X, _ = blobs
    emb = CountingScaler()
    s = InitialSelection(emb, random_state=0)
    a = s(None, X, 5)
    assert not hasattr(emb, "scaler_")  # the parameter is left alone
    np.testing.assert_array_equal(clone(s)(None, X, 5), a)


def test_strategy_candidates_and_labeled(blobs):
    X, _ = blobs
    emb = StandardScaler().fit(X)
    s = InitialSelection(emb, R=100, random_state=0)
    idx = s(None, X, 5)
    cand = np.sort(np.random.RandomState(0).choice(len(X), 100, replace=False))
    assert set(idx) <= set(cand)
    lab = X[:10]
    idx = InitialSelection(emb, temperature=0, random_state=0)(
        None, X, 3, X_labeled=lab
    )
    E = emb.transform(X)
    d = np.min(np.linalg.norm(E[:, None] - emb.transform(lab)[None], axis=2), axis=1)
    assert idx[0] == np.argmax(d)
    with pytest.raises(TypeError, match="unexpected keyword"):
        s(None, X, 3, foo=1)
    with pytest.raises(ValueError, match="n_instances"):
        s(None, X, 0)


def test_strategy_with_a_representation_learner(tiny_rotnet, digit_images):
    X, _ = digit_images
    s = InitialSelection(tiny_rotnet, temperature=0.5, random_state=0)
    idx = s(None, X[:300], 12)
    assert len(np.unique(idx)) == 12
    assert clone(s).get_params()["temperature"] == 0.5
