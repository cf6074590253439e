"""Simulate active learning on a labeled dataset: curves, summaries, checkpoints.

:func:`simulate` runs rounds of query → reveal labels → refit → test for one
or several strategies over repeats, with the same initial sets and seeds for
every strategy (a paired comparison), and returns a :class:`SimulationResult`
with one row per strategy × repeat × round. With ``checkpoint=path`` the state
is written atomically after every round and a rerun resumes where it stopped.

With ``out=folder`` it writes ``results.csv``, ``results.json`` and
``learning_curves.png`` there when it ends.

:func:`~skactive.metrics.learning_curve_auc` and
:func:`~skactive.metrics.class_distribution_distance` live in
:mod:`skactive.metrics` and are re-exported here for compatibility.
"""

import importlib as _importlib
import typing as _typing

# resolved lazily (PEP 562): the command line checks --out and --checkpoint
# through the light modules _files and _checkpoint before torch is imported
_LAZY = {
    "simulate": "._loop",
    "SimulationResult": "._results",
    "plot_learning_curves": "._results",
    "learning_curve_auc": "..metrics",
    "class_distribution_distance": "..metrics",
}

if _typing.TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ..metrics import class_distribution_distance, learning_curve_auc
    from ._loop import simulate
    from ._results import SimulationResult, plot_learning_curves

__all__ = [
    "simulate",
    "SimulationResult",
    "learning_curve_auc",
    "class_distribution_distance",
    "plot_learning_curves",
]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
