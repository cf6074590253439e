"""CAL against a brute-force double loop; neighbour search; labeled rows; errors."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner
from skactive.nets import MLP, DeepClassifier
from skactive.strategies.cal import CAL, nearest_labeled


def kl_divergence(p, q):
    return sum(pi * np.log(pi / qi) for pi, qi in zip(p, q, strict=True) if pi > 0)


def _brute_force(proba_pool, feat_pool, proba_lab, feat_lab, k):
    scores = []
    for i in range(len(feat_pool)):
        dist = [
            np.linalg.norm(feat_pool[i] - feat_lab[j]) for j in range(len(feat_lab))
        ]
        nearest = np.argsort(dist, kind="stable")[:k]
        kls = [kl_divergence(proba_lab[j], proba_pool[i]) for j in nearest]
        scores.append(np.mean(kls))
    return np.array(scores)


@pytest.fixture(scope="module")
def setting(digits):
    X, y = digits
    clf = LogisticRegression(max_iter=2000).fit(X[:60], y[:60])
    return clf, X[:60], y[:60], X[60:260]


@pytest.mark.parametrize("k", [1, 5, 10])
def test_matches_brute_force_for_sklearn_estimators(setting, k):
    clf, X_lab, y_lab, pool = setting
    X_lab64, pool64 = X_lab.astype(np.float64), pool.astype(np.float64)
    proba_pool = clf.predict_proba(pool).astype(np.float64)
    proba_lab = clf.predict_proba(X_lab).astype(np.float64)
    ref = _brute_force(proba_pool, pool64, proba_lab, X_lab64, k)
    strategy = CAL(n_neighbors=k, random_state=0)
    scores = strategy.score_pool(clf, pool, X_labeled=X_lab)
    np.testing.assert_allclose(scores, ref, rtol=1e-9, atol=1e-12)
    idx, picked = strategy.select(clf, pool, 5, X_labeled=X_lab, y_labeled=y_lab)
    np.testing.assert_allclose(picked, scores[idx])
    assert set(idx) == set(np.argsort(-ref, kind="stable")[:5])


@pytest.fixture(scope="module")
def net(digits):
    X, y = digits
    return DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:60], y[:60])


def test_matches_brute_force_for_nets_in_embedding_space(net, setting):
    _, X_lab, _, pool = setting
    pool = pool[:80]
    proba_pool, emb_pool = net.predict_proba_with_embedding(pool)
    proba_lab, emb_lab = net.predict_proba_with_embedding(X_lab)
    ref = _brute_force(
        proba_pool.astype(np.float64),
        emb_pool.astype(np.float64),
        proba_lab.astype(np.float64),
        emb_lab.astype(np.float64),
        10,
    )
    scores = CAL().score_pool(net, pool, X_labeled=X_lab)
    np.testing.assert_allclose(scores, ref, rtol=1e-4, atol=1e-7)
    chunked = CAL(batch_size=13).score_pool(net, pool, X_labeled=X_lab)
    np.testing.assert_allclose(chunked, scores, rtol=1e-4, atol=1e-8)


def test_nearest_labeled_in_blocks_matches_a_full_sort():
    rng = np.random.RandomState(0)
    pool, lab = rng.randn(57, 6), rng.randn(23, 6)
    full = np.argsort(((pool[:, None] - lab[None]) ** 2).sum(-1), axis=1)[:, :4]
    for block in (1, 7, 23 * 5, 1 << 22):
        np.testing.assert_array_equal(nearest_labeled(pool, lab, 4, block=block), full)
    # sparse rows give the same neighbours
    pool[pool < 0.5] = 0
    lab[lab < 0.5] = 0
    full = np.argsort(((pool[:, None] - lab[None]) ** 2).sum(-1), axis=1)[:, :4]
    sparse = nearest_labeled(sp.csr_matrix(pool), sp.csr_matrix(lab), 4, block=50)
    dist = ((pool[:, None] - lab[None]) ** 2).sum(-1)
    np.testing.assert_allclose(
        np.take_along_axis(dist, sparse, 1), np.take_along_axis(dist, full, 1)
    )
    with pytest.raises(ValueError, match="n_neighbors"):
        nearest_labeled(pool, lab, 24)


def test_learner_training_rows_are_the_fallback(setting):
    clf, X_lab, y_lab, pool = setting
    learner = ActiveLearner(
        LogisticRegression(max_iter=2000),
        CAL(n_neighbors=5, random_state=0),
        X_training=X_lab,
        y_training=y_lab,
    )
    idx, rows = learner.query(pool, n_instances=4)
    np.testing.assert_array_equal(rows, pool[idx])
    expected = CAL(n_neighbors=5, random_state=0)(clf, pool, 4, X_labeled=X_lab)
    np.testing.assert_array_equal(idx, expected)
    # an explicit X_labeled wins over the learner's rows
    other = CAL(n_neighbors=5, random_state=0)(learner, pool, 4, X_labeled=pool[:30])
    ref = CAL(n_neighbors=5, random_state=0)(clf, pool, 4, X_labeled=pool[:30])
    np.testing.assert_array_equal(other, ref)


def test_net_in_skactive_learner(digits, net, setting):
    X, y = digits
    _, _, _, pool = setting
    learner = ActiveLearner(net, CAL(random_state=0))
    learner.X_training, learner.y_training = X[:60], y[:60]  # net is fitted on them
    idx, rows = learner.query(pool, n_instances=3)
    np.testing.assert_array_equal(rows, pool[idx])
    np.testing.assert_allclose(
        learner.history_[0]["scores"],
        CAL().score_pool(net, pool, X_labeled=X[:60])[idx],
    )


def test_k_is_capped_at_the_labeled_rows(setting):
    clf, X_lab, _, pool = setting
    np.testing.assert_allclose(
        CAL(n_neighbors=500).score_pool(clf, pool, X_labeled=X_lab[:8]),
        CAL(n_neighbors=8).score_pool(clf, pool, X_labeled=X_lab[:8]),
    )


def test_bad_inputs(setting):
    clf, X_lab, y_lab, pool = setting
    with pytest.raises(ValueError, match="CAL needs the labeled rows"):
        CAL()(clf, pool, 1)
    with pytest.raises(ValueError, match="n_neighbors must be an int >= 1"):
        CAL(n_neighbors=0)(clf, pool, 1, X_labeled=X_lab)
    with pytest.raises(TypeError, match="n_neighbors"):
        CAL(n_neighbors=2.0)(clf, pool, 1, X_labeled=X_lab)
    with pytest.raises(ValueError, match="y_labeled has 3 labels"):
        CAL()(clf, pool, 1, X_labeled=X_lab, y_labeled=y_lab[:3])
    with pytest.raises(ValueError, match="X_labeled is empty"):
        CAL()(clf, pool, 1, X_labeled=X_lab[:0])
    with pytest.raises(ValueError, match="X_labeled has 10 features"):
        CAL()(clf, pool, 1, X_labeled=X_lab[:, :10])
    with pytest.raises(TypeError, match="unexpected keyword"):
        CAL()(clf, pool, 1, X_labeled=X_lab, labels=y_lab)
