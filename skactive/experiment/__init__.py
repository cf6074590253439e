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
