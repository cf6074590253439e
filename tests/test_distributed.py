"""skactive.distributed on a real LocalCluster: the picks of one process.

Two worker processes (one thread each); every result is compared with the
one-process call on the same data (top_k, diversity_sampling) or with a
float64 brute force (k-center greedy).
"""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from skactive import selection  # noqa: E402
from skactive._validation import InvalidParameterError  # noqa: E402
from skactive.distributed import (  # noqa: E402
    diversity_sampling,
    get_client,
    is_distributed_pool,
    kcenter_greedy,
    map_rows,
    pool_chunks,
    top_k,
)
from skactive.pools import ShardedArray  # noqa: E402

from .selection._helpers import greedy_with_gap  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        memory_limit="1GiB",
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _shards(tmp_path, X, sizes):
    paths, start = [], 0
    for k, size in enumerate(sizes):
        path = tmp_path / f"shard{k}.npy"
        np.save(path, X[start : start + size])
        paths.append(str(path))
        start += size
    return paths


def test_workers_run_this_checkout(client):
    import skactive

    here = skactive.__file__
    there = client.run(lambda: __import__("skactive").__file__)
    assert set(there.values()) == {here}


def test_get_client(client):
    assert get_client() is client
    assert get_client(client) is client
    with pytest.raises(InvalidParameterError, match="client must be"):
        get_client("tcp://nowhere")


def test_pool_chunks_describe_where_rows_live(client, tmp_path):
    X = np.arange(40.0).reshape(20, 2)
    chunks = pool_chunks(da.from_array(X, chunks=(7, 1)), client)
    assert chunks.starts == [0, 7, 14] and chunks.stops == [7, 14, 20]
    assert set(chunks.workers) <= set(client.scheduler_info()["workers"])
    paths = _shards(tmp_path, X, [5, 15])
    chunks = pool_chunks(paths, client, chunk_rows=6)
    assert chunks.starts == [0, 5, 11, 17] and chunks.shape == (20, 2)
    assert is_distributed_pool(paths) and is_distributed_pool(ShardedArray(paths))
    assert not is_distributed_pool(X)


class CountedModel:
    """A model that records, in a file, every time it is pickled."""

    def __init__(self, path):
        self.path = path
        self.scale = 3.0

    def __reduce__(self):
        with open(self.path, "a") as f:
            f.write("x")
        return (_rebuild, (self.path, self.scale))


def _rebuild(path, scale):
    m = object.__new__(CountedModel)
    m.path, m.scale = path, scale
    return m


def _scaled_sum(model, rows, start):
    return np.asarray(rows).sum(axis=1) * model.scale + 0 * start


def _start_of_row(model, rows, start):
    return start + np.arange(len(rows))


def test_map_rows_aligns_results_and_sends_the_model_once(client, tmp_path):
    X = np.random.default_rng(0).normal(size=(103, 4))
    count = tmp_path / "pickles.txt"
    model = CountedModel(str(count))
    got = map_rows(_scaled_sum, model, da.from_array(X, chunks=(10, 4)))
    np.testing.assert_allclose(got, X.sum(axis=1) * 3.0)
    # pickled for the scatter (at most once per worker), not with each of
    # the 11 chunks
    assert 1 <= len(count.read_text()) <= len(client.scheduler_info()["workers"])
    paths = _shards(tmp_path, X, [50, 53])
    np.testing.assert_array_equal(
        map_rows(_start_of_row, None, paths, chunk_rows=16), np.arange(103)
    )


def _first_column(model, rows, start):
    return np.asarray(rows)[:, 0]


@pytest.mark.parametrize("seed", range(4))
def test_top_k_is_the_one_process_top_k(client, tmp_path, seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 5, size=157).astype(np.float64)  # many ties
    X = np.c_[scores, np.zeros_like(scores)]
    for k in (1, 10, 60):
        want = selection.top_k(scores, k, random_state=seed)
        got = top_k(
            _first_column, None, da.from_array(X, chunks=(23, 2)), k, random_state=seed
        )
        np.testing.assert_array_equal(got, want)
    paths = _shards(tmp_path, X, [40, 117])
    np.testing.assert_array_equal(
        top_k(_first_column, None, paths, 25, random_state=seed, chunk_rows=30),
        selection.top_k(scores, 25, random_state=seed),
    )


def _data(seed=0, n=300, d=16, dtype=np.float32):
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(n, d)) + 3.0).astype(dtype)
    X[50:54] = X[3]  # duplicates, in different chunks with chunks of 70
    X[200] = X[3]
    return X


@pytest.mark.parametrize("temperature", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("with_labeled", [True, False])
def test_diversity_sampling_is_the_one_process_call(client, temperature, with_labeled):
    X = _data()
    L = X[:2].astype(np.float64) + 0.5 if with_labeled else None
    want, want_d = selection.diversity_sampling(
        X,
        40,
        labeled=L,
        temperature=temperature,
        random_state=1,
        return_distances=True,
    )
    got, got_d = diversity_sampling(
        da.from_array(X, chunks=(70, 16)),
        40,
        labeled=L,
        temperature=temperature,
        random_state=1,
        return_distances=True,
    )
    np.testing.assert_array_equal(got, want)
    # the distances of the picks: float32 values of a pass over a chunk, not
    # over the whole pool (they may differ in the last bit)
    np.testing.assert_allclose(got_d, want_d, rtol=1e-6)


def test_fill_up_after_every_distance_is_zero(client):
    X = np.repeat(np.eye(3, dtype=np.float32), 20, axis=0)  # 3 distinct rows
    want = selection.diversity_sampling(X, 10, random_state=4)
    got = diversity_sampling(da.from_array(X, chunks=(13, 3)), 10, random_state=4)
    np.testing.assert_array_equal(got, want)


def test_kcenter_on_float16_shards_equals_float64_bruteforce(client, tmp_path):
    X = np.random.default_rng(5).normal(size=(240, 24)).astype(np.float16)
    L = X[:3].astype(np.float64)
    expected, gap = greedy_with_gap(X.astype(np.float64), L, 20)
    assert gap > 1e-9
    paths = _shards(tmp_path, X, [100, 140])
    got = kcenter_greedy(ShardedArray(paths), 20, labeled=L, chunk_rows=64)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, selection.kcenter_greedy(X, 20, labeled=L))


def test_errors_name_the_problem(client):
    with pytest.raises(InvalidParameterError, match="embeddings must be a dask"):
        diversity_sampling(np.zeros((4, 2)), 1)
    with pytest.raises(InvalidParameterError, match="n_instances"):
        kcenter_greedy(da.zeros((4, 2), chunks=2), 5)
    bad = np.ones((20, 2), dtype=np.float32)
    bad[13, 1] = np.nan
    with pytest.raises(InvalidParameterError, match="embeddings contains NaN"):
        diversity_sampling(da.from_array(bad, chunks=5), 2)


def test_no_client_is_refused(monkeypatch):
    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "get_client", no_client)
    assert get_client() is None
    with pytest.raises(InvalidParameterError, match="top_k: no dask.distributed"):
        top_k(_first_column, None, da.zeros((4, 2), chunks=2), 1)


# ---------------------------------------------------------------- strategies
@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X[:500] / 16).astype(np.float32), y[:500]


@pytest.mark.parametrize("measure", ["entropy", "margin", "least_confidence"])
def test_score_strategies_pick_as_in_one_process(client, digits, measure):
    from sklearn.linear_model import LogisticRegression

    from skactive.strategies import UncertaintySampling

    X, y = digits
    clf = LogisticRegression(max_iter=300).fit(X[:60], y[:60])
    strategy = UncertaintySampling(measure, random_state=3)
    want, want_s = strategy.select(clf, X, 15)
    got, got_s = strategy.select(clf, da.from_array(X, chunks=(70, 64)), 15)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_s, want_s, rtol=1e-12)


def test_a_sharded_pool_and_an_explicit_client(client, digits, tmp_path):
    from sklearn.linear_model import LogisticRegression

    from skactive.strategies import UncertaintySampling

    X, y = digits
    clf = LogisticRegression(max_iter=300).fit(X[:60], y[:60])
    pool = ShardedArray(_shards(tmp_path, X, [123, 377]))
    strategy = UncertaintySampling("entropy", random_state=0)
    want, _ = strategy.select(clf, X, 10)
    got, _ = strategy.select(clf, pool, 10, client=client)
    np.testing.assert_array_equal(got, want)


def test_bald_draws_the_masks_of_the_absolute_rows(client, digits):
    from skactive.nets import MLP, DeepClassifier
    from skactive.strategies import BALD

    X, y = digits
    net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:80], y[:80])
    strategy = BALD(n_samples=5, batch_size=50, random_state=7)
    want, want_s = strategy.select(net, X, 12)
    # chunks of 100 rows start at multiples of batch_size: the same seeds
    got, got_s = strategy.select(net, da.from_array(X, chunks=(100, 64)), 12)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_s, want_s, rtol=1e-6)


@pytest.mark.parametrize("temperature", [0.0, 0.5])
def test_farthest_point_strategies_embed_and_select_on_the_workers(
    client, digits, temperature
):
    from sklearn.linear_model import LogisticRegression

    from skactive.strategies import DiversitySampling

    X, y = digits
    clf = LogisticRegression(max_iter=300).fit(X[:60], y[:60])
    strategy = DiversitySampling(temperature, random_state=2)
    want, want_d = strategy.select(clf, X, 20, X_labeled=X[:60])
    got, got_d = strategy.select(
        clf, da.from_array(X, chunks=(90, 64)), 20, X_labeled=X[:60]
    )
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_d, want_d, rtol=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_badge_is_the_one_process_badge(client, seed):
    from skactive.distributed import badge_sampling
    from skactive.selection._badge import _badge_sampling_naive

    from .selection._helpers import badge_data

    P, F = badge_data(n=260, d=12, C=4, seed=seed, dtype=np.float32)
    F[100:104] = F[5]  # duplicate embeddings in other chunks
    P[100:104] = P[5]
    want = selection.badge_sampling(P, F, 25, random_state=seed)
    both = map_rows(
        _rows_as_is, None, da.from_array(np.hstack([F, P]), chunks=60), gather=False
    )
    got, norms = badge_sampling(both, 12, 25, random_state=seed, return_scores=True)
    np.testing.assert_array_equal(got, want)
    u = P.astype(np.float64).copy()
    u[np.arange(len(u)), P.argmax(1)] -= 1
    expected_norms = np.linalg.norm(u[got], axis=1) * np.linalg.norm(F[got], axis=1)
    np.testing.assert_allclose(norms, expected_norms, rtol=1e-5)
    # and the gradient-embedding reference (formed explicitly), float64
    np.testing.assert_array_equal(
        _badge_sampling_naive(P.astype(np.float64), F.astype(np.float64), 1), want[:1]
    )


def _rows_as_is(model, rows, start):
    return rows


def test_badge_strategy_on_the_workers(client, digits):
    from sklearn.linear_model import LogisticRegression

    from skactive.strategies import BADGE

    X, y = digits
    clf = LogisticRegression(max_iter=300).fit(X[:60], y[:60])
    strategy = BADGE(random_state=5)
    want, want_s = strategy.select(clf, X, 15)
    got, got_s = strategy.select(clf, da.from_array(X, chunks=(90, 64)), 15)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_s, want_s, rtol=1e-6)


def test_an_in_memory_pool_runs_here_and_a_bad_client_is_refused(client):
    from skactive.strategies._distributed import cluster_for

    X = np.zeros((3, 2))
    assert cluster_for(X) is None and cluster_for(X, client) is None
    assert cluster_for(da.zeros((4, 2), chunks=2)) is client
    with pytest.raises(InvalidParameterError, match="client must be"):
        cluster_for(X, "tcp://nowhere")


# ------------------------------------------------------ torch threads on workers
class _ThreadsProba(BaseEstimator, ClassifierMixin):
    """Probabilities that depend on the torch thread count of the scorer."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        import torch

        z = np.asarray(X)[:, 0] * torch.get_num_threads()
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([p, 1.0 - p])


def _scores_with(strategy, X, threads, **kwargs):
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        clf = _ThreadsProba().fit(None, [0, 1])
        return strategy.select(clf, X, 8, **kwargs)
    finally:
        torch.set_num_threads(old)


def test_workers_score_with_the_callers_torch_threads(client):
    from skactive.distributed import worker_threads
    from skactive.strategies import UncertaintySampling

    X = np.linspace(-1, 1, 60)[:, None]
    pool = da.from_array(X, chunks=(25, 1))
    strategy = UncertaintySampling("entropy", random_state=0)
    assert set(client.run(lambda: __import__("torch").get_num_threads()).values()) == {
        1
    }
    for threads in (1, 3):
        want = _scores_with(strategy, X, threads)
        got = _scores_with(strategy, pool, threads)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
        with worker_threads(2):  # a fixed count, whatever the caller's
            fixed = _scores_with(strategy, pool, threads)
        np.testing.assert_allclose(fixed[1], _scores_with(strategy, X, 2)[1])
        with worker_threads(None):  # the workers' own (one thread)
            own = _scores_with(strategy, pool, threads)
        np.testing.assert_allclose(own[1], _scores_with(strategy, X, 1)[1])
    # the workers are left as they were
    assert set(client.run(lambda: __import__("torch").get_num_threads()).values()) == {
        1
    }


def test_a_cnn_on_two_threads_picks_as_in_one_process(client):
    import torch

    from skactive.nets import DeepClassifier, SmallCNN
    from skactive.strategies import CoreSet, UncertaintySampling

    rng = np.random.default_rng(0)
    X = rng.random((1200, 1, 16, 16), dtype=np.float32)
    y = rng.integers(0, 4, 1200)
    net = DeepClassifier(SmallCNN, max_epochs=1, batch_size=128, random_state=0)
    net.fit(X[:256], y[:256])
    pool = da.from_array(X, chunks=(400, 1, 16, 16))
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        for strategy in (
            UncertaintySampling("entropy", random_state=0),
            CoreSet(random_state=0),
        ):
            want, want_s = strategy.select(net, X, 100)
            got, got_s = strategy.select(net, pool, 100)
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(got_s, want_s)
    finally:
        torch.set_num_threads(old)


def test_worker_threads_refuses_a_bad_count():
    from skactive.distributed import worker_threads

    for bad in (0, -1, "all", 1.5):
        with pytest.raises(InvalidParameterError, match="worker_threads: n must be"):
            with worker_threads(bad):
                pass
