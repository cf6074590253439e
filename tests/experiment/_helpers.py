"""Helpers of the tests of ``skactive.experiment``."""

from __future__ import annotations

import json

import numpy as np
from sklearn.linear_model import LogisticRegression

from skactive.experiment import simulate
from skactive.strategies import UncertaintySampling

N_POOL = 600
TIMINGS = ("fit_seconds", "query_seconds")


class FitRaises(LogisticRegression):
    """An estimator whose fit fails loudly: no check may come after a fit."""

    def fit(self, X, y, sample_weight=None):
        raise AssertionError("fit was called before the parameters were checked")


def run(split, strategy=None, estimator=None, **kwargs):
    """``simulate`` on ``split`` with a logistic regression and entropy sampling."""
    X, y, X_test, y_test = split
    kwargs.setdefault("random_state", 0)
    kwargs.setdefault("progress", False)
    return simulate(
        LogisticRegression(max_iter=1000) if estimator is None else estimator,
        UncertaintySampling("entropy") if strategy is None else strategy,
        X,
        y,
        X_test=X_test,
        y_test=y_test,
        **kwargs,
    )


def labeled_per_round(checkpoint, key):
    """The indices labeled in each round (round 0: the initial set)."""
    state = json.loads(checkpoint.read_text())
    return [np.asarray(idx) for idx in state["runs"][key]["labeled"]]


def without_timings(records):
    """Rows without their timings, NaN replaced by None so rows compare equal."""
    return [
        {
            k: None if isinstance(v, float) and np.isnan(v) else v
            for k, v in r.items()
            if k not in TIMINGS
        }
        for r in records
    ]
