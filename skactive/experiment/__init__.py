"""Simulate active learning on a labeled dataset: curves, summaries, checkpoints.

:func:`simulate` runs rounds of query → reveal labels → refit → test for one
or several strategies over repeats, with the same initial sets and seeds for
every strategy (a paired comparison), and returns a :class:`SimulationResult`
with one row per strategy × repeat × round. With ``checkpoint=path`` the state
is written atomically after every round and a rerun resumes where it stopped.

:func:`evaluate_strategies` is the evaluation protocol: many paired seeds ×
strategies × budgets (1 label per class included) on cached embeddings with a
linear head; :func:`aubc`, :func:`penalty_matrix` and :func:`labels_saved`
summarise any result, and :func:`run_metadata` records versions and hardware.

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
    "EvaluationResult": "._protocol",
    "evaluate_strategies": "._protocol",
    "aubc": "._protocol",
    "penalty_matrix": "._protocol",
    "plot_penalty_matrix": "._protocol",
    "labels_saved": "._protocol",
    "format_labels_saved": "._protocol",
    "run_metadata": "._protocol",
    "class_distribution_distance": "..metrics",
}

if _typing.TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ..metrics import class_distribution_distance, learning_curve_auc
    from ._loop import simulate
    from ._protocol import (
        EvaluationResult,
        aubc,
        evaluate_strategies,
        format_labels_saved,
        labels_saved,
        penalty_matrix,
        plot_penalty_matrix,
        run_metadata,
    )
    from ._results import SimulationResult, plot_learning_curves

__all__ = [
    "simulate",
    "SimulationResult",
    "learning_curve_auc",
    "class_distribution_distance",
    "plot_learning_curves",
    "EvaluationResult",
    "evaluate_strategies",
    "aubc",
    "penalty_matrix",
    "plot_penalty_matrix",
    "labels_saved",
    "format_labels_saved",
    "run_metadata",
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
