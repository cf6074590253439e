"""Tests of the augmentation-consistency strategies."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner
from skactive.augment import make_augmentation
from skactive.nets import MLP, DeepClassifier, SmallCNN
from skactive.scores import consistency
from skactive.strategies.consistency import Consistency, ConsistencyEmbedding


@pytest.fixture(scope="module")
def cnn(digit_images):
    X, y = digit_images
    net = DeepClassifier(SmallCNN, max_epochs=2, random_state=0).fit(X[:200], y[:200])
    return net, X[:200], y[:200], X[200:400]


def test_consistency_score_is_population_variance():
    rng = np.random.RandomState(0)
    views = rng.dirichlet(np.ones(4), size=(6, 5))
    expected = np.array(
        [
            sum(np.var(views[:, i, c], ddof=0) for c in range(4))
            for i in range(views.shape[1])
        ]
    )
    np.testing.assert_allclose(consistency(views), expected)
    np.testing.assert_allclose(
        consistency(np.repeat(views[:1], 3, axis=0)), 0, atol=1e-30
    )
    with pytest.raises(ValueError, match="at least 2"):
        consistency(views[:1])


def test_consistency_matches_loop_over_augmentations(cnn):
    net, _, _, X_pool = cnn
    X_pool = X_pool[: net.batch_size]  # one batch: one generator stream
    n_aug = 5
    aug = make_augmentation("standard", (1, 8, 8))
    views, f = net.predict_proba_augmented(
        X_pool, aug, n_aug, return_embedding=True, random_state=3
    )
    # a manual loop with the same seeded generator reproduces every view
    g = torch.Generator().manual_seed(3)
    x = net._transform_input(torch.as_tensor(X_pool))
    net.module_.eval()
    loop = [net.predict_proba(X_pool)]
    with torch.no_grad():
        for _ in range(n_aug):
            loop.append(torch.softmax(net.module_(aug(x, generator=g)), -1).numpy())
    loop = np.stack(loop)
    np.testing.assert_allclose(views, loop, atol=1e-5)
    c_loop = np.var(loop, axis=0).sum(axis=1)
    np.testing.assert_allclose(consistency(views), c_loop, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(f, net.embed(X_pool), atol=1e-5)


def test_consistency_strategy_picks_highest(cnn):
    net, _, _, X_pool = cnn
    strategy = Consistency(n_augmentations=4, random_state=0)
    idx, scores = strategy.select(net, X_pool, 5)
    all_scores = strategy.score_pool(net, X_pool, random_state=None)
    assert idx.shape == (5,) and len(set(idx.tolist())) == 5
    assert np.all(np.diff(scores) <= 1e-12)
    np.testing.assert_array_equal(strategy.select(net, X_pool, 5)[0], idx)
    assert all_scores.shape == (len(X_pool),) and np.all(all_scores >= 0)


def test_consistency_embedding_norm(cnn):
    net, X_lab, _, X_pool = cnn
    strategy = ConsistencyEmbedding(n_augmentations=4, random_state=0)
    g, c = strategy._embedding(net, X_pool, np.random.RandomState(1))
    views, f = net.predict_proba_augmented(
        X_pool,
        make_augmentation("standard", (1, 8, 8)),
        4,
        return_embedding=True,
        random_state=int(np.random.RandomState(1).randint(np.iinfo(np.int32).max)),
    )
    np.testing.assert_allclose(c, consistency(views), rtol=1e-6)
    np.testing.assert_allclose(
        np.linalg.norm(g, axis=1), c * np.linalg.norm(f, axis=1), rtol=1e-5
    )
    idx, sc = strategy.select(net, X_pool, 6, X_labeled=X_lab)
    assert len(set(idx.tolist())) == 6 and sc.shape == (6,)
    idx2, _ = ConsistencyEmbedding(
        n_augmentations=4, temperature=0.5, random_state=0
    ).select(net, X_pool, 6)
    assert len(set(idx2.tolist())) == 6


@pytest.mark.parametrize("cls", [Consistency, ConsistencyEmbedding])
def test_in_active_learner(cnn, cls):
    net, X_lab, y_lab, X_pool = cnn
    learner = ActiveLearner(
        net, cls(n_augmentations=2, random_state=0), X_training=X_lab, y_training=y_lab
    )
    idx, rows = learner.query(X_pool, n_instances=3)
    assert idx.shape == (3,)
    learner.teach(rows, np.zeros(3, dtype=int))


@pytest.mark.parametrize("cls", [Consistency, ConsistencyEmbedding])
def test_errors(cnn, digits, cls):
    net, _, _, X_pool = cnn
    with pytest.raises(ValueError, match="n_augmentations must be an int >= 1"):
        cls(n_augmentations=0).select(net, X_pool, 2)
    with pytest.raises(TypeError, match="n_augmentations must be an int"):
        cls(n_augmentations=2.5).select(net, X_pool, 2)
    X, y = digits
    clf = LogisticRegression(max_iter=200).fit(X[:100], y[:100])
    with pytest.raises(TypeError, match="predict_proba_augmented"):
        cls().select(clf, X[100:150], 2)
    mlp = DeepClassifier(MLP, max_epochs=1, random_state=0).fit(X[:100], y[:100])
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        cls(n_augmentations=2).select(mlp, X[100:150], 2)
    # a callable augmentation works for any input
    idx = cls(lambda x: x + 0.01 * torch.randn_like(x), 2, random_state=0)(
        mlp, X[100:150], 2
    )
    assert idx.shape == (2,)
    with pytest.raises(TypeError, match="augmentation"):
        cls(augmentation=3).select(net, X_pool, 2)
    with pytest.raises(TypeError, match="unexpected"):
        cls(n_augmentations=2).select(net, X_pool, 2, bogus=1)


def test_clone_params_and_subsample(cnn):
    from sklearn.base import clone

    net, _, _, X_pool = cnn
    s = ConsistencyEmbedding(n_augmentations=3, temperature=0.5, R=50, random_state=0)
    assert clone(s).get_params() == s.get_params()
    idx = Consistency(n_augmentations=2, R=50, random_state=0)(net, X_pool, 4)
    assert idx.shape == (4,) and idx.max() < len(X_pool)
