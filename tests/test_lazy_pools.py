"""Every strategy picks the same rows from a lazy pool as from the array.

The 59 stored cases of ``tests/picks_reference.py`` run again with every pool
passed as a ``.npy`` file (:class:`~skactive.pools.ArrayFile`), a memmap, a
view of a larger file, a torch dataset and a dask array; the picks must be
exactly the stored ones. A pool that counts its reads checks that nothing
reads a pool whole.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from skactive.pools import ArrayFile, DatasetRows, PoolView

from .picks_reference import compute

STORED = json.loads(
    (Path(__file__).parent / "data" / "strategy_picks.json").read_text()
)


class _Files:
    """Saves each pool array into its own ``.npy`` file."""

    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    def path(self, array):
        self.count += 1
        path = self.folder / f"pool{self.count}.npy"
        np.save(path, array)
        return path


def _as_file(files):
    return lambda a: ArrayFile(files.path(a))


def _as_memmap(files):
    return lambda a: np.load(files.path(a), mmap_mode="r")


def _as_view(files):
    # the rows sit at odd places of a file twice as long, in reverse order
    def view(a):
        n = a.shape[0]
        big = np.zeros((2 * n, *a.shape[1:]), dtype=a.dtype)
        positions = np.arange(2 * n - 1, 0, -2)
        big[positions] = a
        return PoolView(ArrayFile(files.path(big)), positions)

    return view


def _as_dataset(files):
    return lambda a: DatasetRows(
        torch.utils.data.TensorDataset(torch.from_numpy(a), torch.zeros(len(a)))
    )


def _as_dask(files):
    da = pytest.importorskip("dask.array")
    return lambda a: da.from_array(a, chunks=(70, *a.shape[1:]))


KINDS = {
    "file": _as_file,
    "memmap": _as_memmap,
    "view": _as_view,
    "dataset": _as_dataset,
    "dask": _as_dask,
}


@pytest.fixture(scope="module", params=sorted(KINDS))
def lazy_picks(request, tmp_path_factory):
    files = _Files(tmp_path_factory.mktemp(request.param))
    return request.param, compute(pool=KINDS[request.param](files))


def test_every_strategy_picks_the_stored_rows_from_a_lazy_pool(lazy_picks):
    kind, picks = lazy_picks
    assert sorted(picks) == sorted(STORED)
    wrong = {name: picks[name] for name in STORED if picks[name] != STORED[name]}
    assert not wrong, f"{kind}: {sorted(wrong)}"


# --------------------------------------------------------------- bounded reads
class CountingFile(ArrayFile):
    """An ArrayFile that records how many rows each read asks for."""

    def _read(self, start, stop, out=None):
        self.reads.append(stop - start)
        return super()._read(start, stop, out)


def _counting(path):
    pool = CountingFile(path)
    pool.reads = []
    return pool


@pytest.fixture(scope="module")
def digits_file(tmp_path_factory):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    path = tmp_path_factory.mktemp("digits") / "digits.npy"
    np.save(path, X)
    return X, y, path


@pytest.fixture(scope="module")
def small_net(digits_file):
    from skactive.nets import MLP, DeepClassifier

    X, y, _ = digits_file
    return DeepClassifier(
        MLP, max_epochs=2, batch_size=64, random_state=0, classes=range(10)
    ).fit(X[:100], y[:100])


@pytest.mark.parametrize("name", ["entropy", "bald", "coreset", "badge"])
def test_a_net_reads_a_lazy_pool_batch_by_batch(
    name, digits_file, small_net, monkeypatch
):
    import skactive._inference as door
    from skactive.strategies import BADGE, BALD, CoreSet, UncertaintySampling

    monkeypatch.setattr(door, "DEFAULT_MC_CHUNK_ROWS", 500)

    X, _, path = digits_file
    strategy = {
        "entropy": UncertaintySampling(random_state=0),
        "bald": BALD(n_samples=4, random_state=0),
        "coreset": CoreSet(random_state=0),
        "badge": BADGE(random_state=0),
    }[name]
    pool = _counting(path)
    picks = strategy(small_net, pool, n_instances=5)
    assert picks.tolist() == strategy(small_net, X, n_instances=5).tolist()
    # one batch of the net at a time (MC dropout: one block of rows, whose
    # T passes run batch by batch)
    assert max(pool.reads) <= (500 if name == "bald" else 64)
    assert sum(pool.reads) == len(X)  # one pass over the pool


def test_a_scikit_learn_model_reads_a_lazy_pool_in_chunks(digits_file, monkeypatch):
    from sklearn.linear_model import LogisticRegression

    import skactive._inference as door
    from skactive.strategies import UncertaintySampling

    X, y, path = digits_file
    monkeypatch.setattr(door, "DEFAULT_CHUNK_ROWS", 500)
    clf = LogisticRegression(max_iter=500).fit(X[:200], y[:200])
    pool = _counting(path)
    strategy = UncertaintySampling("margin", random_state=0)
    assert strategy(clf, pool, 7).tolist() == strategy(clf, X, 7).tolist()
    assert max(pool.reads) == 500 and sum(pool.reads) == len(X)


# ---------------------------------------------------------------- the learner
def test_the_learner_holds_a_lazy_pool_by_index(digits_file):
    from sklearn.base import clone

    from skactive import ActiveLearner
    from skactive.nets import MLP, DeepClassifier
    from skactive.strategies import UncertaintySampling

    X, y, path = digits_file
    net = DeepClassifier(MLP, max_epochs=2, random_state=0, classes=range(10))
    mm = np.load(path, mmap_mode="r")
    lazy = ActiveLearner(clone(net), UncertaintySampling(random_state=0), X_pool=mm)
    eager = ActiveLearner(clone(net), UncertaintySampling(random_state=0), X_pool=X)
    assert isinstance(lazy.X_pool, ArrayFile)  # the memmap is read as a file
    first = np.arange(0, 1797, 60)
    lazy.label(first, y[first])
    eager.label(first, y[first])
    for _ in range(3):
        idx, rows = lazy.query(n_instances=4)
        idx_eager, rows_eager = eager.query(n_instances=4)
        assert idx.tolist() == idx_eager.tolist()
        np.testing.assert_array_equal(rows, rows_eager)
        source_rows = lazy.X_pool.indices[idx]
        lazy.label(idx, y[source_rows])
        eager.label(idx_eager, y[source_rows])
    # views of the one file: nothing was copied
    assert isinstance(lazy.X_pool, PoolView) and isinstance(lazy.X_training, PoolView)
    assert lazy.X_pool.source is lazy.X_training.source
    assert len(lazy.X_training) == len(first) + 12
    assert set(lazy.X_pool.indices).isdisjoint(lazy.X_training.indices)
    assert len(lazy.X_pool) + len(lazy.X_training) == len(X)
    np.testing.assert_array_equal(lazy.X_training[:], eager.X_training)
    np.testing.assert_allclose(
        lazy.estimator.predict_proba(X[:50]), eager.estimator.predict_proba(X[:50])
    )


def test_a_scikit_learn_model_in_the_learner_trains_on_rows_read(digits_file):
    from sklearn.linear_model import LogisticRegression

    from skactive import ActiveLearner

    X, y, path = digits_file
    learner = ActiveLearner(
        LogisticRegression(max_iter=500),
        X_training=X[:30],
        y_training=y[:30],
        X_pool=PoolView(ArrayFile(path), np.arange(30, 1797)),
    )
    idx, _ = learner.query(n_instances=5)
    learner.label(idx, y[30 + idx])
    assert type(learner.X_training).__name__ == "ConcatRows"
    assert learner.X_training.shape == (35, 64)
    reference = LogisticRegression(max_iter=500).fit(
        np.vstack([X[:30], X[30 + idx]]), np.concatenate([y[:30], y[30 + idx]])
    )
    np.testing.assert_allclose(
        learner.predict_proba(X[:20]), reference.predict_proba(X[:20])
    )


def test_simulate_on_a_lazy_pool_gives_the_same_curve(digits_file):
    from sklearn.linear_model import LogisticRegression

    from skactive.experiment import simulate
    from skactive.strategies import UncertaintySampling

    X, y, path = digits_file
    kw = dict(
        X_test=X[:300],
        y_test=y[:300],
        initial=20,
        n_instances=10,
        n_rounds=2,
        random_state=0,
        progress=False,
    )
    strategy = {"margin": UncertaintySampling("margin")}
    est = LogisticRegression(max_iter=300)
    lazy = simulate(est, strategy, ArrayFile(path), y, **kw).records
    eager = simulate(est, strategy, X, y, **kw).records
    assert [r["accuracy"] for r in lazy] == [r["accuracy"] for r in eager]
    assert len(lazy) == 3


# -------------------------------------------------------------- nets' outputs
def test_a_net_writes_embeddings_into_a_file(digits_file, small_net, tmp_path):
    X, _, path = digits_file
    out = small_net.embed(ArrayFile(path), dtype="float16", file=tmp_path / "e.npy")
    assert isinstance(out, ArrayFile) and out.dtype == np.float16
    np.testing.assert_allclose(out[:], small_net.embed(X), rtol=1e-3, atol=1e-3)
    proba, emb = small_net.predict_proba_with_embedding(X, embedding_dtype="float16")
    assert emb.dtype == np.float16 and isinstance(emb, np.ndarray)
    np.testing.assert_array_equal(proba, small_net.predict_proba(X))
    from skactive._errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="embedding_dtype"):
        small_net.predict_proba_with_embedding(X, embedding_dtype="int8")
    with pytest.raises(InvalidParameterError, match="embedding_file"):
        small_net.predict_proba_with_embedding(X, embedding_file=5)


def test_a_net_trains_on_rows_of_a_lazy_pool(digits_file):
    from skactive.nets import MLP, DeepClassifier

    X, y, path = digits_file
    rows = np.arange(0, 1797, 7)
    kw = dict(max_epochs=2, random_state=0, classes=range(10))
    lazy = DeepClassifier(MLP, **kw).fit(PoolView(ArrayFile(path), rows), y[rows])
    eager = DeepClassifier(MLP, **kw).fit(X[rows], y[rows])
    np.testing.assert_array_equal(lazy.predict_proba(X), eager.predict_proba(X))
    assert lazy.input_shape_ == (64,)
    np.save(path.parent / "narrow.npy", X[:, :12])
    with pytest.raises(ValueError, match="12 features"):
        lazy.predict_proba(ArrayFile(path.parent / "narrow.npy"))


def test_a_net_streams_a_torch_dataset_with_worker_processes(digits_file):
    from torch.utils.data import TensorDataset

    from skactive.nets import MLP, DeepClassifier

    X, y, _ = digits_file
    net = DeepClassifier(
        MLP,
        max_epochs=1,
        random_state=0,
        iterator_valid__num_workers=2,
        classes=range(10),
    ).fit(X[:200], y[:200])
    ds = TensorDataset(torch.from_numpy(X))  # items without labels
    np.testing.assert_allclose(
        net.predict_proba(DatasetRows(ds)), net.predict_proba(X), atol=1e-6
    )


def test_a_lazy_pool_is_pinned_for_cuda(digits_file):
    from skactive.nets import MLP, DeepClassifier
    from skactive.nets._inputs import _PoolDataset

    _, _, path = digits_file
    dataset = _PoolDataset(ArrayFile(path))
    # only the loaders are built: no GPU is needed
    assert not DeepClassifier(MLP).get_iterator(dataset).pin_memory
    loader = DeepClassifier(MLP, device="cuda", batch_size=32).get_iterator(dataset)
    assert loader.pin_memory and loader.batch_size == 32
    unpinned = DeepClassifier(MLP, device="cuda", iterator_valid__pin_memory=False)
    assert not unpinned.get_iterator(dataset).pin_memory
    in_memory = torch.utils.data.TensorDataset(torch.zeros(4, 2))
    assert not DeepClassifier(MLP, device="cuda").get_iterator(in_memory).pin_memory
