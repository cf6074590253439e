import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skactive import ActiveLearner
from skactive import selection as sel
from skactive.nets import MLP, DeepClassifier
from skactive.scores import margin
from skactive.selection._badge import _badge_sampling_naive
from skactive.strategies import (
    BADGE,
    CoreSet,
    DiverseMiniBatch,
    DiversitySampling,
    ProbCover,
    TypiClust,
    UncertaintySampling,
)


@pytest.fixture(scope="module")
def clf_setting(digits):
    X, y = digits
    return LogisticRegression(max_iter=2000).fit(X[:60], y[:60]), X[:60], X[60:500]


@pytest.fixture(scope="module")
def net_setting(digits):
    X, y = digits
    net = DeepClassifier(MLP, max_epochs=3, random_state=0).fit(X[:80], y[:80])
    return net, X[:80], X[80:500]


def test_coreset_is_kcenter_greedy_on_raw_features(clf_setting):
    clf, X_lab, X_pool = clf_setting
    idx = CoreSet(random_state=0)(clf, X_pool, 6, X_labeled=X_lab)
    expected = sel.kcenter_greedy(
        X_pool, 6, labeled=X_lab, random_state=np.random.RandomState(0)
    )
    np.testing.assert_array_equal(idx, expected)
    # first pick: the pool row farthest from the labeled set (brute force)
    d = np.sqrt(((X_pool[:, None, :] - X_lab[None]) ** 2).sum(-1)).min(1)
    assert idx[0] == np.argmax(d)


def test_coreset_on_net_embeddings_and_learner_fallback(net_setting, digits):
    net, X_lab, X_pool = net_setting
    expected = sel.kcenter_greedy(
        net.embed(X_pool),
        5,
        labeled=net.embed(X_lab),
        random_state=np.random.RandomState(0),
    )
    np.testing.assert_array_equal(
        CoreSet(random_state=0)(net, X_pool, 5, X_labeled=X_lab), expected
    )
    X, y = digits
    learner = ActiveLearner(
        clone(net), CoreSet(random_state=0), X_training=X_lab, y_training=y[:80]
    )
    idx, _ = learner.query(X_pool, n_instances=5)  # labeled rows from the learner
    expected = sel.kcenter_greedy(
        learner.estimator.embed(X_pool),
        5,
        labeled=learner.estimator.embed(X_lab),
        random_state=np.random.RandomState(0),
    )
    np.testing.assert_array_equal(idx, expected)


def test_coreset_scores_are_decreasing_distances(clf_setting):
    clf, X_lab, X_pool = clf_setting
    idx, scores = CoreSet(random_state=0).select(clf, X_pool, 8, X_labeled=X_lab)
    assert np.all(np.diff(scores) <= 1e-6)


def test_diversity_sampling_temperature(clf_setting):
    clf, X_lab, X_pool = clf_setting
    a = DiversitySampling(0.5, random_state=1)(clf, X_pool, 5, X_labeled=X_lab)
    b = sel.diversity_sampling(
        X_pool,
        5,
        labeled=X_lab,
        temperature=0.5,
        random_state=np.random.RandomState(1),
    )
    np.testing.assert_array_equal(a, b)
    cold = DiversitySampling(1e-6, random_state=1)(clf, X_pool, 5, X_labeled=X_lab)
    np.testing.assert_array_equal(
        cold, CoreSet(random_state=1)(clf, X_pool, 5, X_labeled=X_lab)
    )


def test_pipeline_embeddings_are_the_final_steps_features(digits):
    X, y = digits
    pipe = make_pipeline(PCA(8, random_state=0), LogisticRegression(max_iter=2000))
    pipe.fit(X[:100], y[:100])
    idx = CoreSet(random_state=0)(pipe, X[100:400], 4, X_labeled=X[:100])
    expected = sel.kcenter_greedy(
        pipe[:-1].transform(X[100:400]),
        4,
        labeled=pipe[:-1].transform(X[:100]),
        random_state=np.random.RandomState(0),
    )
    np.testing.assert_array_equal(idx, expected)


def test_badge_matches_the_kernel_and_the_naive_version(net_setting):
    net, _, X_pool = net_setting
    proba, emb = net.predict_proba_with_embedding(X_pool)
    idx, norms = BADGE(random_state=3).select(net, X_pool, 6)
    np.testing.assert_array_equal(
        idx,
        sel.badge_sampling(proba, emb, 6, random_state=np.random.RandomState(3)),
    )
    naive = _badge_sampling_naive(
        proba.astype(np.float64),
        emb.astype(np.float64),
        6,
        random_state=np.random.RandomState(3),
    )
    np.testing.assert_array_equal(idx, naive)
    # first centre: the largest gradient embedding norm
    u = proba.copy()
    u[np.arange(len(u)), proba.argmax(1)] -= 1
    g_norm = np.linalg.norm(u, axis=1) * np.linalg.norm(emb, axis=1)
    assert idx[0] == np.argmax(g_norm)
    np.testing.assert_allclose(norms[0], g_norm.max(), rtol=1e-5)


def test_diverse_mini_batch_picks_among_the_most_uncertain(clf_setting):
    clf, _, X_pool = clf_setting
    idx, scores = DiverseMiniBatch(beta=3, random_state=0).select(clf, X_pool, 5)
    uncertainty = 1 + margin(clf.predict_proba(X_pool))
    top15 = np.argsort(-uncertainty, kind="stable")[:15]
    assert set(idx) <= set(top15)
    np.testing.assert_allclose(scores, uncertainty[idx])
    with pytest.raises(ValueError, match="beta must be an int >= 1"):
        DiverseMiniBatch(beta=0)(clf, X_pool, 2)
    with pytest.raises(ValueError, match="measure must be one of"):
        DiverseMiniBatch(measure="bald")(clf, X_pool, 2)


def test_typiclust_and_probcover_cover_separated_blobs():
    rng = np.random.RandomState(0)
    centers = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=float)
    X = np.concatenate([c + 0.3 * rng.randn(50, 2) for c in centers])
    blob = np.repeat(np.arange(4), 50)
    clf = LogisticRegression().fit(X, blob)
    for strategy in (TypiClust(random_state=0), ProbCover(delta=2.0, random_state=0)):
        idx = strategy(clf, X, 4)
        assert sorted(blob[idx]) == [0, 1, 2, 3], strategy
    # a labeled row in blob 0 moves both away from it
    for strategy in (TypiClust(random_state=0), ProbCover(delta=2.0, random_state=0)):
        idx = strategy(clf, X, 3, X_labeled=X[:1])
        assert sorted(blob[idx]) == [1, 2, 3], strategy


def test_unexpected_keyword(clf_setting):
    clf, _, X_pool = clf_setting
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        CoreSet()(clf, X_pool, 2, labeled=X_pool[:3])
    with pytest.raises(ValueError, match="X_labeled"):
        CoreSet()(clf, X_pool, 2, X_labeled=X_pool[:3, :10])


def test_parallel_chunks_under_a_dask_cluster_give_the_same_picks(digits):
    """Score a pool under joblib's Dask backend on a LocalCluster of processes."""
    from dask.distributed import Client, LocalCluster
    from joblib import parallel_config

    X, y = digits
    clf = LogisticRegression(max_iter=2000).fit(X[:100], y[:100])
    X_pool = np.tile(X, (3, 1))[:5000]
    strategy = UncertaintySampling("margin", batch_size=700, n_jobs=2, random_state=0)
    sequential = clone(strategy).set_params(n_jobs=None)(clf, X_pool, 20)
    local = strategy(clf, X_pool, 20)
    pipe = make_pipeline(PCA(10, random_state=0), LogisticRegression(max_iter=2000))
    pipe.fit(X[:100], y[:100])
    core = CoreSet(n_jobs=2, random_state=0)
    core_local = core(pipe, X_pool, 10, X_labeled=X[:100])
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
        parallel_config(backend="dask"),
    ):
        distributed = strategy(clf, X_pool, 20)
        core_distributed = core(pipe, X_pool, 10, X_labeled=X[:100])
        workers = len(client.scheduler_info()["workers"])
    assert workers == 2
    np.testing.assert_array_equal(local, sequential)
    np.testing.assert_array_equal(distributed, sequential)
    np.testing.assert_array_equal(core_distributed, core_local)
