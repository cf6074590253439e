"""The public API's docstrings pass numpydoc's validation.

Every class and function named in the ``__all__`` of the public modules is
validated with :func:`numpydoc.validate.validate`, and so is every public
method or property of those classes that is defined in skactive (including
skactive base classes), not the ones inherited from scikit-learn, skorch or
PyTorch. Each method is checked once, under the class that defines it.

The error codes in ``STRICT_CODES`` are checked; any violation fails.
"""

import importlib
import inspect
from functools import lru_cache

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

PUBLIC_MODULES = (
    "skactive",
    "skactive.strategies",
    "skactive.nets",
    "skactive.scores",
    "skactive.diversity",
    "skactive.experiment",
    "skactive.metrics",
    "skactive.selection",
    "skactive.distributed",
    "skactive.representation",
    "skactive.losses",
    "skactive.augment",
    "skactive.callbacks",
    "skactive.cli",
    "skactive.project",
    "skactive.project.labelstudio",
    "skactive.stopping",
    "skactive.calibration",
)

STRICT_CODES = {
    "GL01": "summary starts on the line after the opening quotes",
    "GL02": "closing quotes on their own line",
    "GL03": "no double blank lines",
    "GL05": "no tabs",
    "GL06": "known section names",
    "GL07": "sections in the standard order",
    "GL09": "deprecation warning placement",
    "GL10": "directive double colons",
    "SS01": "a summary line",
    "SS03": "summary ends with a period",
    "SS04": "summary without leading whitespace",
    "PR02": "no documented parameter that the signature lacks",
    "PR05": "parameter types without a trailing period",
    "PR06": "standard type names (int, bool, str)",
    "PR09": "parameter descriptions end with a period",
    "PR10": "a space before the colon of a parameter",
    "RT05": "return descriptions end with a period",
    "SA02": "See Also descriptions end with a period",
    "SA04": "See Also entries have a description",
    "YD01": "generators have a Yields section",
    "GL08": "the object has a docstring",
    "PR01": "every parameter is documented",
}


def _is_member(value):
    return inspect.isfunction(value) or isinstance(
        value, property | classmethod | staticmethod
    )


def public_objects():
    """Import paths of the public classes, functions and methods to validate."""
    paths = set()
    for module_name in PUBLIC_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # an optional public module
            continue
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj):
                paths.add(f"{module_name}.{name}")
                for klass in obj.__mro__:
                    if not klass.__module__.startswith("skactive"):
                        continue
                    for attr, value in vars(klass).items():
                        if not attr.startswith("_") and _is_member(value):
                            paths.add(f"{klass.__module__}.{klass.__qualname__}.{attr}")
            elif inspect.isfunction(obj):
                paths.add(f"{obj.__module__}.{obj.__qualname__}")
    return sorted(paths)


@lru_cache(maxsize=1)
def _errors():
    """``{(object, code): message}`` for every public object."""
    errors = {}
    for path in public_objects():
        for code, message in numpydoc_validate.validate(path)["errors"]:
            errors[(path, code)] = message
    return errors


def _report(failures):
    return "\n".join(f"{path}: {code} {message}" for (path, code), message in failures)


def test_public_objects_are_found():
    paths = public_objects()
    assert len(paths) > 100
    assert "skactive.learner.ActiveLearner.query" in paths
    assert "skactive.experiment._loop.simulate" in paths  # skactive.experiment's
    # Methods inherited from third-party bases are not skactive's to document.
    assert not any(p.endswith(".DeepClassifier.fit_loop") for p in paths)


def test_strict_codes():
    failures = sorted(
        (key, message) for key, message in _errors().items() if key[1] in STRICT_CODES
    )
    assert not failures, "numpydoc validation failed:\n" + _report(failures)
