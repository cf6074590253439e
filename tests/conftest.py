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
def modal_site(tmp_path_factory):
    """Return a function installing a modAL release (``--no-deps``) into a folder.

    modAL-python 0.4.2.1 pins skorch==0.9.0, which does not import on current
    setuptools, so each release is installed alone with ``--no-deps`` into a
    folder prepended to ``PYTHONPATH`` of a subprocess; the rest of the stack is
    the test environment's.
    """
    cache = {}

    def install(version):
        if version not in cache:
            target = tmp_path_factory.mktemp(f"modal-{version}")
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
                f"modAL-python=={version}",
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            assert proc.returncode == 0, (
                f"could not install modAL-python=={version}:\n{proc.stderr}"
            )
            cache[version] = Path(target)
        return cache[version]

    return install


def run_with_modal(site, script, *args, timeout=600):
    """Run ``script`` in a subprocess where ``site`` shadows the installed modAL."""
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
