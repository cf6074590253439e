"""Data shared by the tests of ``skactive.experiment``."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive.experiment import simulate
from skactive.strategies import RandomSampling, UncertaintySampling

from ._helpers import N_POOL


@pytest.fixture(scope="module")
def split(digits):
    """A 600-row pool of scaled digits and a held-out test set."""
    X, y = digits
    return X[:N_POOL], y[:N_POOL], X[1500:], y[1500:]


@pytest.fixture(scope="module")
def digits_split():
    """1200 raw digits as the pool, the rest as the test set."""
    X, y = load_digits(return_X_y=True)
    return X[:1200], y[:1200], X[1200:], y[1200:]


@pytest.fixture(scope="module")
def paired(digits_split):
    """Random vs entropy sampling over three paired repeats."""
    X, y, X_test, y_test = digits_split
    return simulate(
        LogisticRegression(max_iter=500),
        {"random": RandomSampling(), "entropy": UncertaintySampling("entropy")},
        X,
        y,
        X_test=X_test,
        y_test=y_test,
        initial=15,
        budgets=[25, 40, 60],
        n_repeats=3,
        random_state=0,
        progress=False,
    )
