"""Simulate active learning on a labeled dataset."""

from __future__ import annotations

import numbers
import time

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from tqdm.auto import tqdm

from ._validation import check_n_instances, n_rows, take_rows
from .learner import ActiveLearner

__all__ = ["simulate"]


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def simulate(
    estimator,
    strategy,
    X,
    y,
    *,
    X_test,
    y_test,
    n_initial=20,
    n_rounds=5,
    batch_size=10,
    random_state=None,
    progress=True,
):
    """Simulate pool-based active learning on a fully labeled dataset.

    A random initial set of ``n_initial`` rows is labeled, then for each of
    ``n_rounds`` rounds the strategy picks ``batch_size`` rows of the remaining
    pool, their labels are revealed and the estimator is refitted. Test
    accuracy is measured before the first query and after every round.

    Parameters
    ----------
    estimator : classifier
        Cloned before use; the argument is left untouched.
    strategy : callable
        A query strategy (``strategy(learner, X_pool, n_instances)``).
    X, y : array-like
        The pool with its hidden labels.
    X_test, y_test : array-like
        Held-out rows for accuracy.
    n_initial : int, default=20
        Size of the random initial labeled set.
    n_rounds : int, default=5
        Number of query rounds.
    batch_size : int, default=10
        Rows queried per round.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial set. Pass an int for reproducible output across
        multiple function calls.
    progress : bool, default=True
        Show a tqdm progress bar over rounds.

    Returns
    -------
    results : list of dict
        One entry per evaluation: ``round`` (0 = initial model), ``n_labels``,
        ``accuracy``, ``fit_seconds`` and ``query_seconds``, and ``indices``
        (positions in ``X`` labeled in that round).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.experiment import simulate
    >>> from skactive.strategies import entropy_sampling
    >>> X, y = load_digits(return_X_y=True)
    >>> res = simulate(LogisticRegression(max_iter=1000), entropy_sampling,
    ...                X[:1500], y[:1500], X_test=X[1500:], y_test=y[1500:],
    ...                n_rounds=2, random_state=0, progress=False)
    >>> [r["n_labels"] for r in res]
    [20, 30, 40]
    """
    n_pool = n_rows(X)
    n_initial = _positive_int(n_initial, "n_initial")
    n_rounds = _positive_int(n_rounds, "n_rounds")
    batch_size = _positive_int(batch_size, "batch_size")
    check_n_instances(n_initial + n_rounds * batch_size, n_pool, name="label budget")
    y = np.asarray(y)
    rng = check_random_state(random_state)
    initial = rng.choice(n_pool, n_initial, replace=False)
    unlabeled = np.setdiff1d(np.arange(n_pool), initial)

    t0 = time.perf_counter()
    learner = ActiveLearner(
        clone(estimator),
        strategy,
        X_training=take_rows(X, initial),
        y_training=y[initial],
        X_pool=take_rows(X, unlabeled),
    )
    fit_seconds = time.perf_counter() - t0
    results = [
        {
            "round": 0,
            "n_labels": n_initial,
            "accuracy": float(learner.score(X_test, y_test)),
            "fit_seconds": fit_seconds,
            "query_seconds": 0.0,
            "indices": initial,
        }
    ]
    bar = tqdm(range(1, n_rounds + 1), disable=not progress, desc="rounds")
    for r in bar:
        t0 = time.perf_counter()
        idx, _ = learner.query(n_instances=batch_size)
        query_seconds = time.perf_counter() - t0
        picked = unlabeled[idx]
        unlabeled = np.delete(unlabeled, idx)
        t0 = time.perf_counter()
        learner.label(idx, y[picked])
        fit_seconds = time.perf_counter() - t0
        acc = float(learner.score(X_test, y_test))
        results.append(
            {
                "round": r,
                "n_labels": n_initial + r * batch_size,
                "accuracy": acc,
                "fit_seconds": fit_seconds,
                "query_seconds": query_seconds,
                "indices": picked,
            }
        )
        bar.set_postfix(labels=results[-1]["n_labels"], accuracy=f"{acc:.3f}")
    return results
