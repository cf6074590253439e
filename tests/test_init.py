"""Tests of the package namespace: public names that resolve lazily (PEP 562)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import skactive
import skactive.strategies

ROOT = Path(__file__).resolve().parents[1]

PUBLIC = [
    "__version__",
    "ActiveLearner",
    "DeepActiveLearner",
    "learns_from_unlabeled",
    "UNLABELED",
    "QueryStrategy",
    "ScoreStrategy",
    "RandomSampling",
    "UncertaintySampling",
    "random_sampling",
    "least_confidence_sampling",
    "margin_sampling",
    "entropy_sampling",
    "shared_inference",
    "FixMatchClassifier",
    "FlexMatchClassifier",
]


def run_python(code):
    """The standard output of ``python -c code`` in a fresh process (this checkout)."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_import_skactive_imports_no_torch():
    code = "import skactive, sys; print('torch' in sys.modules)"
    assert run_python(code) == "False"


@pytest.mark.parametrize(
    "statement",
    [
        "import skactive",
        "import skactive.cli",
        "import skactive.strategies",
        "from skactive import __version__",
        "from skactive.strategies import available_strategies, strategy_needs",
    ],
)
def test_light_imports(statement):
    code = (
        f"{statement}; import sys; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'torch', 'skorch', 'modAL', 'sklearn', 'scipy', 'numpy'}))"
    )
    assert run_python(code) == "[]"


def test_a_public_name_imports_what_it_needs():
    code = (
        "import sys; from skactive import ActiveLearner; "
        "print(ActiveLearner.__module__, 'torch' in sys.modules)"
    )
    assert run_python(code) == "skactive.learner True"


def test_all_lists_the_public_names_and_every_name_resolves():
    assert skactive.__all__ == PUBLIC
    from skactive.learner import ActiveLearner
    from skactive.strategies import UncertaintySampling

    assert skactive.ActiveLearner is ActiveLearner
    assert skactive.UncertaintySampling is UncertaintySampling
    for name in skactive.__all__:
        assert getattr(skactive, name) is not None
    assert isinstance(skactive.__version__, str)


def test_dir_lists_the_public_names():
    for module in (skactive, skactive.strategies):
        listed = dir(module)
        assert set(module.__all__) <= set(listed)
        assert listed == sorted(listed)


def test_star_import():
    namespace = {}
    exec("from skactive import *", namespace)
    assert set(PUBLIC) <= set(namespace)
    exec("from skactive.strategies import *", namespace)
    assert set(skactive.strategies.__all__) <= set(namespace)


def test_every_strategy_name_resolves_to_its_module():
    import importlib

    assert set(skactive.strategies._LAZY) == set(skactive.strategies.__all__)
    for name in skactive.strategies.__all__:
        module = importlib.import_module(
            f"skactive.strategies.{skactive.strategies._LAZY[name]}"
        )
        assert getattr(skactive.strategies, name) is getattr(module, name), name


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="module 'skactive' has no attribute"):
        skactive.no_such_name  # noqa: B018
    with pytest.raises(AttributeError, match="skactive.strategies' has no attr"):
        skactive.strategies.NoSuchStrategy  # noqa: B018
    with pytest.raises(ImportError):
        exec("from skactive import no_such_name", {})
    assert not hasattr(skactive, "no_such_name")


def test_subpackages_are_attributes_after_a_bare_import():
    code = "import skactive; print(skactive.nets.DeepClassifier.__name__)"
    assert run_python(code) == "DeepClassifier"


def test_the_version_is_static():
    # setuptools reads ``skactive.__version__`` from the source, unimported
    import ast

    tree = ast.parse((ROOT / "skactive" / "__init__.py").read_text())
    assigned = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
    }
    assert assigned["__version__"] == skactive.__version__
