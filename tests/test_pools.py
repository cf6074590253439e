"""Lazy pools: ArrayFile, ShardedArray, DatasetRows, PoolView, as_pool."""

import os
import pickle

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from skactive._errors import InvalidParameterError
from skactive._validation import invalid_values, parameter_constraints
from skactive.pools import (
    ArrayFile,
    ConcatRows,
    DatasetRows,
    PoolView,
    ShardedArray,
    as_pool,
    concat_pools,
    flat_rows,
    is_lazy_pool,
)


@pytest.fixture
def npy(tmp_path):
    X = np.random.default_rng(0).normal(size=(50, 3, 4)).astype(np.float32)
    path = tmp_path / "pool.npy"
    np.save(path, X)
    return X, path


def test_array_file_reads_rows_like_the_array(npy):
    X, path = npy
    pool = ArrayFile(path)
    assert pool.shape == X.shape and pool.dtype == X.dtype and len(pool) == 50
    np.testing.assert_array_equal(pool[3:17], X[3:17])
    np.testing.assert_array_equal(pool[-1], X[-1])
    np.testing.assert_array_equal(pool[::7], X[::7])
    idx = np.array([9, 2, 2, 40, 3, 4, 5, -1])
    np.testing.assert_array_equal(pool[idx], X[idx])
    mask = np.zeros(50, bool)
    mask[[1, 30]] = True
    np.testing.assert_array_equal(pool[mask], X[mask])
    np.testing.assert_array_equal(pool[torch.tensor([4, 0])], X[[4, 0]])
    assert pool[10:5].shape == (0, 3, 4)


def test_array_file_refuses_materialising_and_bad_rows(npy):
    _, path = npy
    pool = ArrayFile(path)
    with pytest.raises(TypeError, match="whole pool"):
        np.asarray(pool)
    with pytest.raises(IndexError, match="out of range"):
        pool[[0, 50]]
    with pytest.raises(IndexError, match="out of range"):
        pool[50]


def test_array_file_from_memmap_and_its_views(tmp_path):
    path = tmp_path / "raw.bin"
    X = np.arange(60, dtype=np.float16).reshape(20, 3)
    X.tofile(path)
    mm = np.memmap(path, dtype=np.float16, mode="r", shape=(20, 3))
    pool = ArrayFile(mm)
    assert pool.dtype == np.float16
    np.testing.assert_array_equal(pool[:], X)
    view = ArrayFile(mm[5:9])  # a slice of a memmap starts later in the file
    np.testing.assert_array_equal(view[:], X[5:9])
    offset = np.memmap(path, dtype=np.float16, mode="r", shape=(10, 3), offset=6 * 2)
    np.testing.assert_array_equal(
        ArrayFile(offset)[:], X.reshape(-1)[6:36].reshape(10, 3)
    )


def test_array_file_pickles_by_path(npy):
    X, path = npy
    pool = ArrayFile(path)
    pool[0]  # opens a handle, which must not travel
    back = pickle.loads(pickle.dumps(pool))
    assert len(pickle.dumps(pool)) < 1000
    np.testing.assert_array_equal(back[[7, 1]], X[[7, 1]])


def test_array_file_errors(tmp_path):
    with pytest.raises(InvalidParameterError, match="no such file"):
        ArrayFile(tmp_path / "missing.npy")
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"not numpy")
    with pytest.raises(InvalidParameterError, match="not a .npy file"):
        ArrayFile(bad)
    fortran = tmp_path / "f.npy"
    np.save(fortran, np.asfortranarray(np.zeros((4, 3))))
    with pytest.raises(InvalidParameterError, match="Fortran"):
        ArrayFile(fortran)
    with pytest.raises(InvalidParameterError, match="source must be"):
        ArrayFile(3)
    short = tmp_path / "short.npy"
    np.save(short, np.zeros((100, 8)))
    with open(short, "r+b") as fh:
        fh.truncate(os.path.getsize(short) - 64)
    with pytest.raises(InvalidParameterError, match="truncated"):
        ArrayFile(short)


def test_sharded_array_is_the_concatenation(tmp_path):
    rng = np.random.default_rng(1)
    parts = [rng.normal(size=(n, 4)).astype(np.float32) for n in (5, 1, 7)]
    paths = []
    for i, p in enumerate(parts):
        paths.append(tmp_path / f"{i}.npy")
        np.save(paths[-1], p)
    X = np.concatenate(parts)
    pool = ShardedArray(paths)
    assert pool.shape == (13, 4)
    np.testing.assert_array_equal(pool[:], X)
    np.testing.assert_array_equal(pool[4:7], X[4:7])
    np.testing.assert_array_equal(pool[5], X[5])
    idx = [12, 0, 5, 6, 5]
    np.testing.assert_array_equal(pool[idx], X[idx])
    np.save(tmp_path / "odd.npy", np.zeros((2, 3), np.float32))
    with pytest.raises(InvalidParameterError, match="same"):
        ShardedArray([paths[0], tmp_path / "odd.npy"])
    with pytest.raises(InvalidParameterError, match="non-empty list"):
        ShardedArray([])


def test_dataset_rows_stacks_items_and_ignores_labels():
    data = torch.arange(24.0).reshape(6, 4)
    pool = DatasetRows(TensorDataset(data, torch.zeros(6)))
    assert pool.shape == (6, 4)
    assert torch.equal(pool[[5, 1]], data[[5, 1]])
    assert torch.equal(pool[2:4], data[2:4])
    assert torch.equal(pool[3], data[3])
    with pytest.raises(InvalidParameterError, match="map-style"):
        DatasetRows(object())


def test_pool_view_flattens_and_reads_through(npy):
    X, path = npy
    view = PoolView(ArrayFile(path), [10, 3, 44, 0])
    assert view.shape == (4, 3, 4)
    np.testing.assert_array_equal(view[1:3], X[[3, 44]])
    inner = PoolView(view, [2, 0])
    assert isinstance(inner.source, ArrayFile)
    np.testing.assert_array_equal(inner[:], X[[44, 10]])
    np.testing.assert_array_equal(PoolView(X, [1])[0], X[1])
    with pytest.raises(InvalidParameterError, match="outside"):
        PoolView(X, [50])


def test_as_pool_and_is_lazy_pool(npy, tmp_path):
    X, path = npy
    assert isinstance(as_pool(str(path)), ArrayFile)
    assert isinstance(as_pool([path, path]), ShardedArray)
    mm = np.load(path, mmap_mode="r")
    assert isinstance(as_pool(mm), ArrayFile)
    assert isinstance(as_pool(TensorDataset(torch.zeros(3, 2))), DatasetRows)
    assert as_pool(X) is X
    assert is_lazy_pool(mm) and is_lazy_pool(ArrayFile(path))
    assert is_lazy_pool(TensorDataset(torch.zeros(3, 2)))
    assert not is_lazy_pool(X) and not is_lazy_pool(torch.zeros(3))
    da = pytest.importorskip("dask.array")
    assert is_lazy_pool(da.zeros((10, 2), chunks=5))


def test_array_file_create_write_and_flat(tmp_path):
    path = tmp_path / "out.npy"
    out = ArrayFile.create(path, (5, 2, 3), "float16")
    block = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    out.write(3, block)
    back = np.load(path)
    assert back.dtype == np.float16 and back.shape == (5, 2, 3)
    np.testing.assert_array_equal(back[3:], block)
    assert not back[:3].any()
    flat = out.flat()
    assert flat.shape == (5, 6) and flat.path == out.path
    np.testing.assert_array_equal(flat[3:], block.reshape(2, 6))
    with pytest.raises(InvalidParameterError, match="do not fit"):
        out.write(4, block)
    with pytest.raises(InvalidParameterError, match="do not fit"):
        out.write(0, np.zeros((1, 6)))


def test_concat_rows_and_concat_pools(npy):
    from skactive.pools import ConcatRows, concat_pools

    X, path = npy
    pool = ArrayFile(path)
    a, b = PoolView(pool, [3, 1]), PoolView(pool, [7])
    merged = concat_pools(a, b)
    assert isinstance(merged, PoolView) and merged.indices.tolist() == [3, 1, 7]
    mixed = concat_pools(X[:2], a)
    assert isinstance(mixed, ConcatRows) and mixed.shape == (4, 3, 4)
    np.testing.assert_array_equal(mixed[:], X[[0, 1, 3, 1]])
    np.testing.assert_array_equal(mixed[[3, 0]], X[[1, 0]])
    np.testing.assert_array_equal(mixed[2], X[3])
    nested = ConcatRows([mixed, b])
    assert len(nested.parts) == 3 and nested.shape[0] == 5
    with pytest.raises(InvalidParameterError, match="same"):
        ConcatRows([X, np.zeros((2, 5))])
    with pytest.raises(TypeError, match="whole pool"):
        np.asarray(mixed)


def test_concat_rows_slices_span_parts_and_copy(npy, tmp_path):
    from skactive.pools import ConcatRows

    X, path = npy
    np.save(tmp_path / "b.npy", X[10:20])
    parts = [X[:4], PoolView(ArrayFile(path), [8, 9]), ArrayFile(tmp_path / "b.npy")]
    rows = ConcatRows(parts)
    want = np.concatenate([X[:4], X[8:10], X[10:20]])
    for a, b in [(0, 16), (2, 5), (3, 4), (4, 6), (5, 13), (6, 16), (7, 7)]:
        np.testing.assert_array_equal(rows[a:b], want[a:b])
    got = rows[0:3]  # inside an in-memory part: a copy, not a view
    got[:] = 0
    assert X[0].any()
    sharded = ShardedArray([tmp_path / "b.npy", path])
    assert sharded.shards == sharded.parts and len(sharded.shards) == 2
    np.testing.assert_array_equal(sharded[5:15], np.concatenate([X[15:20], X[:5]]))
    nested = ConcatRows([X[:1], sharded])  # a sharded array is flattened in
    assert len(nested.parts) == 3
    np.testing.assert_array_equal(nested[9:13], np.concatenate([X[18:20], X[:2]]))


def test_flat_rows(npy):
    from skactive.pools import flat_rows

    X, path = npy
    flat = flat_rows(PoolView(ArrayFile(path), [4, 2]))
    assert flat.shape == (2, 12)
    np.testing.assert_array_equal(flat[:], X[[4, 2]].reshape(2, 12))
    np.testing.assert_array_equal(flat[1], X[2].reshape(-1))
    assert flat_rows(ArrayFile(path)).shape == (50, 12)
    two_d = ArrayFile(path).flat()
    assert flat_rows(two_d) is two_d
    da = pytest.importorskip("dask.array")
    assert flat_rows(da.zeros((4, 2, 3), chunks=2)).shape == (4, 6)


def test_check_pool_checks_the_shape_of_a_lazy_pool_only(npy, tmp_path):
    from sklearn.linear_model import LogisticRegression

    from skactive._validation import check_pool

    X, path = npy
    mm = np.load(path, mmap_mode="r")
    checked = check_pool(mm)
    assert isinstance(checked, ArrayFile) and checked.shape == X.shape
    with pytest.raises(InvalidParameterError, match="must be 2-D"):
        check_pool(ArrayFile(path), allow_nd=False)
    clf = LogisticRegression().fit(
        np.random.default_rng(0).normal(size=(20, 5)), np.arange(20) % 2
    )
    with pytest.raises(InvalidParameterError, match="12 features.*5 features"):
        check_pool(ArrayFile(path).flat(), estimator=clf)
    np.save(tmp_path / "empty.npy", np.zeros((0, 3)))
    with pytest.raises(InvalidParameterError, match="empty"):
        check_pool(ArrayFile(tmp_path / "empty.npy"))
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(InvalidParameterError, match="at least one value"):
        check_pool(ArrayFile(tmp_path / "one.npy"))
    # values are not read: a NaN in a lazy pool passes the check
    bad = X.copy()
    bad[3, 0, 0] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    assert check_pool(ArrayFile(tmp_path / "nan.npy")).shape == X.shape
    ds = TensorDataset(torch.zeros(4, 2))
    assert isinstance(check_pool(ds), DatasetRows)


def test_array_file_takes_dask_style_tuple_keys(tmp_path):
    X = np.arange(6 * 4 * 5, dtype=np.float32).reshape(6, 4, 5)
    np.save(tmp_path / "x.npy", X)
    f = ArrayFile(tmp_path / "x.npy")
    for key in [
        (slice(1, 4), slice(0, 4), slice(0, 5)),
        (slice(0, 6), slice(1, 3)),
        (2, slice(1, 3)),
        (np.array([4, 0]), slice(None), 3),
        (slice(2, 5),),
    ]:
        np.testing.assert_array_equal(f[key], X[key])


def test_a_dask_array_of_a_file_reads_its_blocks(tmp_path):
    import dask.array as da

    X = np.arange(10 * 3 * 2, dtype=np.float32).reshape(10, 3, 2)
    np.save(tmp_path / "x.npy", X)
    d = da.from_array(ArrayFile(tmp_path / "x.npy"), chunks=(4, 3, 2), asarray=False)
    np.testing.assert_array_equal(d.compute(scheduler="synchronous"), X)


def _valid_calls(path):
    X = np.zeros((4, 2))
    return {
        ArrayFile: {"source": path},
        ShardedArray: {"shards": [path, path]},
        DatasetRows: {"dataset": TensorDataset(torch.zeros(3, 2))},
        PoolView: {"source": X, "indices": [1, 0]},
        ConcatRows: {"parts": [X, X]},
        concat_pools: {"a": X, "b": X},
        flat_rows: {"X": path},
    }


def test_bad_values_are_refused_naming_the_parameter(npy):
    _, path = npy
    for obj, kwargs in _valid_calls(path).items():
        obj(**kwargs)  # the valid call works
        if isinstance(obj, type):
            constraints = parameter_constraints(obj)
        else:
            constraints = obj.__skactive_constraints__
        assert set(constraints) == set(kwargs), obj.__name__
        for param, spec in constraints.items():
            bad = invalid_values(spec)
            assert bad, (obj.__name__, param)
            for value in bad:
                with pytest.raises(
                    InvalidParameterError, match=f"{obj.__name__}: {param} must"
                ):
                    obj(**{**kwargs, param: value})
