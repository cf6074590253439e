"""What ``simulate`` gives on one small, fixed case, before and after a refactor.

``python tests/experiment/reference.py OUT.json`` writes it; the stored file
``tests/data/simulate_reference.json`` was written by the code *before* the
experiment package (commit fc56117, ``skactive/experiment.py``), and
``test_loop.py::test_same_results_as_before_the_package`` checks that today's
code labels the same rows in every round and measures the same accuracies.

Only arguments both versions take are used (``budgets``, an int
``random_state``), and the labeled rows are read from the checkpoint's
``"runs"``, whose layout both versions share.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive.experiment import simulate
from skactive.strategies import RandomSampling, UncertaintySampling, make_strategy

KEYS = ("strategy", "repeat", "round", "n_labels", "accuracy", "macro_f1")


def first_rows(learner, X_pool, n_instances=1):
    """A modAL-style function strategy: the first rows of the remaining pool."""
    return np.arange(n_instances)


def compute():
    """``{"records": [...], "labeled": {run: [[indices] per round]}}``."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = Path(folder) / "state.json"
        result = simulate(
            LogisticRegression(max_iter=500),
            {
                "random": RandomSampling(),
                "margin": UncertaintySampling("margin"),
                "first": first_rows,
                "coreset": make_strategy("coreset"),
            },
            X[:400],
            y[:400],
            X_test=X[1500:1700],
            y_test=y[1500:1700],
            initial=12,
            budgets=[20, 27, 40],
            n_repeats=2,
            random_state=7,
            checkpoint=checkpoint,
            progress=False,
        )
        state = json.loads(checkpoint.read_text())
    return {
        "records": [{k: r[k] for k in KEYS} for r in result.records],
        "labeled": {k: run["labeled"] for k, run in state["runs"].items()},
    }


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(compute(), indent=1) + "\n")
