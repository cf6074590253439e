"""The shared image data of the benchmark scripts: where it is, how it loads.

The files of ``../shared/data/`` (see its README): MNIST and the CIFAR-10
subset, pixels scaled to ``[0, 1]`` and flattened. The folder is ``--data``,
else the environment variable ``SKACTIVE_DATA``, else ``shared/data`` beside
the project's root.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

FILES = {
    "mnist": "mnist_train10k_test10k.npz",
    "cifar10": "cifar10_jpeg_10k_2k.npz",
}


def default_folder():
    """``$SKACTIVE_DATA``, or ``shared/data`` beside the project's root."""
    return os.environ.get(
        "SKACTIVE_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data")
    )


def data_folder(arg):
    """The data folder: ``arg`` when given, else :func:`default_folder`."""
    return Path(arg) if arg else Path(default_folder())


def draw(path, n_pool, n_test, seed):
    """``X, y, X_test, y_test``: ``n_pool`` training and ``n_test`` test images
    of the file ``path``, drawn at random (``seed``) and kept in file order,
    as stored (not rescaled)."""
    with np.load(path) as d:
        rng = np.random.RandomState(seed)
        pool = np.sort(rng.choice(len(d["y_train"]), n_pool, replace=False))
        test = np.sort(rng.choice(len(d["y_test"]), n_test, replace=False))
        return (
            d["X_train"][pool],
            d["y_train"][pool],
            d["X_test"][test],
            d["y_test"][test],
        )


def add_data_arguments(parser, *, seeds):
    """``--data``, ``--seeds`` (default ``seeds``), ``--seed``, ``--pool``,
    ``--test`` and ``--dim`` (the PCA dimension), as the fast-mode scripts
    share them."""
    parser.add_argument("--data", default=default_folder())
    parser.add_argument("--seeds", type=int, default=seeds)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool", type=int, default=5000)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--dim", type=int, default=50)


def load(name, folder, n_pool, n_test):
    """``X, y, X_test, y_test``: the first ``n_pool`` training and ``n_test``
    test images of ``name`` (a key of :data:`FILES`), float32 in ``[0, 1]``."""
    path = Path(folder) / FILES[name]
    if not path.exists():
        raise SystemExit(f"{path} is missing: pass --data or set SKACTIVE_DATA.")
    with np.load(path) as d:
        X = d["X_train"][:n_pool].reshape(n_pool, -1).astype(np.float32) / 255.0
        X_test = d["X_test"][:n_test].reshape(n_test, -1).astype(np.float32) / 255.0
        return X, d["y_train"][:n_pool], X_test, d["y_test"][:n_test]
