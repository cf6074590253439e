"""Shared fixtures: small data, and genuine modAL releases installed on demand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

#: modAL releases the compatibility tests install, each into its own folder.
MODAL_RELEASES = ("0.4.1", "0.4.2.1")


@pytest.fixture(scope="session")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


@pytest.fixture(scope="session")
def digit_images():
    X, y = load_digits(return_X_y=True)
    return np.round(X.reshape(-1, 8, 8) * (255 / 16)).astype(np.uint8), y


@pytest.fixture(scope="session")
def digits_50_labels(digit_images):
    """The semi-supervised benchmark of the nets' tests, built once.

    ``load_digits`` images split 67/33 (seed 1), 5 labels per class in the
    training part (the rest ``y == -1``), and the held-out accuracy of an
    MLP trained supervised on the 50 labels, the baseline every
    semi-supervised net must beat.
    """
    from types import SimpleNamespace

    from sklearn.model_selection import train_test_split

    from skactive.nets import MLP, DeepClassifier

    X, y = digit_images
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.33, stratify=y, random_state=1
    )
    rng = np.random.RandomState(1)
    labeled = np.concatenate(
        [rng.choice(np.flatnonzero(y_tr == c), 5, replace=False) for c in range(10)]
    )
    y_semi = np.full(len(y_tr), -1)
    y_semi[labeled] = y_tr[labeled]
    supervised = DeepClassifier(
        MLP,
        max_epochs=300,
        batch_size=32,
        lr=3e-3,
        iterator_train__shuffle=True,
        random_state=1,
    ).fit(X_tr[labeled], y_tr[labeled])
    return SimpleNamespace(
        X_train=X_tr,
        y_semi=y_semi,
        X_test=X_te,
        y_test=y_te,
        supervised_accuracy=float(np.mean(supervised.predict(X_te) == y_te)),
    )


@pytest.fixture(scope="session")
def pip_site(tmp_path_factory):
    """Return a function installing one requirement (``--no-deps``) into a folder.

    The folder is prepended to ``PYTHONPATH`` of a subprocess (see
    :func:`run_with_site`), so that release shadows the installed one while
    the rest of the stack is the test environment's. modAL-python 0.4.2.1 pins
    skorch==0.9.0, which does not import on current setuptools: hence
    ``--no-deps``.
    """
    cache = {}

    def install(requirement):
        if requirement not in cache:
            name = "".join(c if c.isalnum() else "-" for c in requirement)
            target = tmp_path_factory.mktemp(name)
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--disable-pip-version-check",
                "--target",
                str(target),
                requirement,
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            assert proc.returncode == 0, (
                f"could not install {requirement}:\n{proc.stderr}"
            )
            cache[requirement] = Path(target)
        return cache[requirement]

    return install


@pytest.fixture(scope="session")
def modal_site(pip_site):
    """Install a modAL release: ``modal_site("0.4.2.1")``."""
    return lambda version: pip_site(f"modAL-python=={version}")


def run_with_site(site, script, *args, timeout=600):
    """Run ``script`` in a subprocess where ``site`` shadows installed packages."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    return subprocess.run(
        [sys.executable, str(script), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tiny test nets run fastest on one thread (no oversubscription)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def pytest_collection_modifyitems(config, items):
    """Leave out scikit-learn's array-API check (it could only skip here).

    ``check_array_api_input`` runs only with ``SCIPY_ARRAY_API=1`` and the
    array-api-strict package; skactive's nets take numpy arrays and torch
    tensors, which their own tests cover.
    """
    kept = [item for item in items if "check_array_api_input" not in item.nodeid]
    if len(kept) != len(items):
        config.hook.pytest_deselected(
            items=[item for item in items if item not in kept]
        )
        items[:] = kept
