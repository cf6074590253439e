"""The simulation loop: rounds of query -> reveal labels -> refit -> test."""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, replace
from numbers import Integral
from typing import Any

import numpy as np
import torch
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score
from tqdm.auto import tqdm

from .._inference import embed_pool
from .._random import seed_from_random_state
from .._rows import is_lazy, n_rows, row_chunks, subset_rows, take_rows
from .._validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    check_pool,
    validate_parameter,
    validate_params,
)
from ..learner import ActiveLearner
from ..metrics import batch_diversity, class_distribution_distance
from ._checkpoint import Checkpoint, Layout, fingerprint
from ._files import check_file_path
from ._results import SimulationResult, check_results_folder, write_results

__all__ = ["simulate"]

# The roles of the seeds derived from (random_state, repeat, round, role).
_INITIAL, _FIT, _QUERY = 0, 1, 2


_PARAMETER_CONSTRAINTS = {
    "estimator": [HasMethods(["fit", "predict"])],
    "strategy": [callable, dict],
    "X": ["array-like"],
    "y": ["array-like"],
    "X_test": ["array-like"],
    "y_test": ["array-like"],
    "initial": [Interval(Integral, 1, None, closed="left"), tuple],
    "budgets": ["array-like", Interval(Integral, 1, None, closed="left"), None],
    "n_rounds": [Interval(Integral, 1, None, closed="left"), None],
    "n_instances": [Interval(Integral, 1, None, closed="left"), None],
    "n_repeats": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "checkpoint": [str, os.PathLike, None],
    "out": [str, os.PathLike, None],
    "overwrite": ["boolean"],
    "progress": ["boolean"],
    "batch_metrics": ["boolean"],
    "batch_size": [Interval(Integral, 1, None, closed="left"), None],
    "stop": [callable, dict, None],
}


#: rows of a lazy test set predicted at a time
_PREDICT_CHUNK = 4096


def _predict_rows(learner, X):
    """``learner.predict(X)``; a lazy test set is read and predicted in blocks."""
    if not is_lazy(X):
        return learner.predict(X)
    return np.concatenate(
        [
            np.asarray(learner.predict(rows))
            for _, _, rows in row_chunks(X, _PREDICT_CHUNK)
        ]
    )


def _accuracy_macro_f1(y_true, y_pred):
    """``accuracy_score`` and ``f1_score(average="macro")`` in one pass.

    The same arithmetic as scikit-learn's (per label of ``y_true`` or
    ``y_pred``: ``2 tp / (true + pred)``, then the plain mean), so the
    values are bit-identical, without its input validation, which cost a
    fast-mode evaluation more than the metric itself (19 ms of f1 per round
    on 2,000 test rows). 1-D labels only; others go to scikit-learn.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim != 1 or y_pred.shape != y_true.shape or y_true.size == 0:
        return (
            float(accuracy_score(y_true, y_pred)),
            float(f1_score(y_true, y_pred, average="macro")),
        )
    labels, codes = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    t, p = codes[: y_true.size], codes[y_true.size :]
    hit = t == p
    n = labels.size
    tp = np.bincount(t[hit], minlength=n).astype(np.float64)
    true_sum = np.bincount(t, minlength=n).astype(np.float64)
    pred_sum = np.bincount(p, minlength=n).astype(np.float64)
    f = 2.0 * tp / (true_sum + pred_sum)
    return float(np.average(hit)), float(np.mean(f))


def _check_stop(stop, checkpoint):
    """``{record column: criterion}`` from ``stop`` (one criterion or a dict)."""
    if stop is None:
        return {}
    if not isinstance(stop, dict):
        _check_checkpointable("stop", stop, checkpoint)
        return {"stop": stop}
    if not stop:
        raise InvalidParameterError(
            "simulate: stop must be a stopping criterion or a non-empty dict of "
            "them, got an empty dict."
        )
    for name, criterion in stop.items():
        if not isinstance(name, str) or not name:
            raise InvalidParameterError(
                f"simulate: the names of the stopping criteria must be non-empty "
                f"strings, got {name!r}."
            )
        if not callable(criterion):
            raise InvalidParameterError(
                f"simulate: stopping criterion {name!r} is not callable: {criterion!r}."
            )
        _check_checkpointable(f"stop[{name!r}]", criterion, checkpoint)
    return {f"stop_{name}": criterion for name, criterion in stop.items()}


def _check_checkpointable(what, criterion, checkpoint):
    """With a checkpoint, a criterion must give and take its state as JSON."""
    if checkpoint is None:
        return
    if not (
        callable(getattr(criterion, "get_state", None))
        and callable(getattr(criterion, "set_state", None))
    ):
        raise InvalidParameterError(
            f"simulate: {what}={criterion!r} cannot be combined with checkpoint: "
            "its state across rounds could not be stored. Use a "
            "skactive.stopping criterion (it has get_state and set_state)."
        )


def _check_strategies(strategy):
    """``{name: strategy}`` from one strategy or a dict of them."""
    if not isinstance(strategy, dict):
        return {type(strategy).__name__: strategy}
    if not strategy:
        raise InvalidParameterError(
            "simulate: strategy must be a strategy or a non-empty dict of them, "
            "got an empty dict."
        )
    for name, s in strategy.items():
        if not isinstance(name, str) or not name:
            raise InvalidParameterError(
                f"simulate: the names of the strategies must be non-empty "
                f"strings, got {name!r}."
            )
        if not callable(s):
            raise InvalidParameterError(
                f"simulate: strategy {name!r} is not callable: {s!r}."
            )
    return dict(strategy)


def _check_labels(labels, name, n, rows_name):
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise InvalidParameterError(
            f"simulate: {name} must be 1-D (one label per row of {rows_name}), "
            f"got an array of shape {labels.shape}."
        )
    if labels.shape[0] != n:
        raise InvalidParameterError(
            f"simulate: {name} has {labels.shape[0]} labels but {rows_name} has "
            f"{n} rows."
        )
    return labels


def _check_data(X, y, X_test, y_test):
    """The pool and the test set, checked against each other."""
    X = check_pool(X, name="X")
    X_test = check_pool(X_test, name="X_test")
    if tuple(X_test.shape[1:]) != tuple(X.shape[1:]):
        raise InvalidParameterError(
            f"simulate: X_test has rows of shape {tuple(X_test.shape[1:])} but X "
            f"has rows of shape {tuple(X.shape[1:])}; the test rows must have "
            "the shape of the pool's."
        )
    y = _check_labels(y, "y", n_rows(X), "X")
    y_test = _check_labels(y_test, "y_test", n_rows(X_test), "X_test")
    unseen = np.setdiff1d(y_test, y)
    if unseen.size:
        raise InvalidParameterError(
            f"simulate: y_test has classes {unseen.tolist()} that never occur in "
            "y: the simulation could never learn them."
        )
    return X, y, X_test, y_test


def _check_initial(initial):
    """``(initial_strategy or None, n_initial)`` from ``initial``."""
    if not isinstance(initial, tuple):
        return None, int(initial)
    if len(initial) != 2:
        raise InvalidParameterError(
            "simulate: initial must be an int or a pair (strategy, int), got a "
            f"tuple of {len(initial)} values."
        )
    strategy, n = initial
    if not callable(strategy):
        raise InvalidParameterError(
            f"simulate: the strategy of initial=(strategy, n) must be callable, "
            f"got {strategy!r}."
        )
    validate_parameter(
        n, "n of initial=(strategy, n)", [Interval(Integral, 1, None)], "simulate"
    )
    return strategy, int(n)


def _resolve_budgets(n_initial, budgets, n_rounds, n_instances, n_pool):
    """Total labels after each round."""
    if budgets is not None:
        if n_rounds is not None or n_instances is not None:
            raise InvalidParameterError(
                "simulate: give either budgets or n_rounds and n_instances, not both."
            )
        values = np.atleast_1d(np.asarray(budgets))
        if (
            values.ndim != 1
            or values.size == 0
            or values.dtype == bool
            or not np.issubdtype(values.dtype, np.number)
            or not np.all(np.isfinite(values))
            or not np.all(values == np.round(values))
        ):
            raise InvalidParameterError(
                "simulate: budgets must be a non-empty list of label counts "
                f"(ints), got {budgets!r}."
            )
        budgets = [int(b) for b in values]
    else:
        n_rounds = 5 if n_rounds is None else int(n_rounds)
        n_instances = 10 if n_instances is None else int(n_instances)
        budgets = [n_initial + n_instances * (r + 1) for r in range(n_rounds)]
    steps = np.diff([n_initial, *budgets])
    if np.any(steps <= 0):
        raise InvalidParameterError(
            f"simulate: budgets must be strictly increasing and above "
            f"initial={n_initial}, got {budgets}."
        )
    if budgets[-1] > n_pool:
        raise InvalidParameterError(
            f"simulate: the last budget ({budgets[-1]} labels) is larger than the "
            f"pool, which has {n_pool} rows."
        )
    return budgets


def _round_seed(seed, *keys):
    """A 32-bit seed derived from the base ``seed`` and ``keys``.

    32 bits, so that every estimator and strategy takes it (a
    :class:`~numpy.random.RandomState` does not take more).
    """
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1)[0])


def _with_seed(obj, seed):
    """A clone of ``obj`` whose ``random_state`` (if it has one) is ``seed``.

    Plain functions (modAL's strategies, say) are used as they are.
    """
    if not hasattr(obj, "get_params"):
        return obj
    obj = clone(obj)
    if "random_state" in obj.get_params(deep=False):
        obj.set_params(random_state=seed)
    return obj


@dataclass(frozen=True)
class _Run:
    """One strategy on one repeat: what its rounds need, and its learners.

    Attributes
    ----------
    name : str
        The strategy's name in the records.
    strategy, estimator : object
        As given to :func:`simulate` (never fitted: cloned every round).
    X, y, X_test, y_test : array-like
        The pool with its hidden labels, and the test set.
    budgets : tuple of int
        Total labels after each round.
    repeat : int
        The repeat's number.
    seed : int
        The base seed of the simulation.
    batch_metrics : bool
        Record class distance and diversity of every queried batch.
    stop : dict
        ``{record column: stopping criterion}`` (cloned per run).
    """

    name: str
    strategy: Any
    estimator: Any
    X: Any
    y: np.ndarray
    X_test: Any
    y_test: np.ndarray
    budgets: tuple
    repeat: int
    seed: int
    batch_metrics: bool
    stop: Any = None

    def round_seed(self, round_, role):
        """The seed of ``role`` (initial set, fit, query) in round ``round_``."""
        return _round_seed(self.seed, self.repeat, round_, role)

    def learner(self, labeled, round_):
        """The learner of round ``round_``, built from the labels so far.

        A fresh :class:`~skactive.ActiveLearner` fitted on the rows
        ``labeled`` (in the order they were labeled) with a clone of the
        estimator seeded for this round, holding the rest of the pool, and
        the strategy cloned with the seed of the next round's query.

        Returns
        -------
        learner : ActiveLearner
        unlabeled : ndarray of int
            The pool rows the learner holds, by their index in ``X``: its pool
            position ``i`` is the row ``unlabeled[i]``.
        """
        unlabeled = np.setdiff1d(np.arange(n_rows(self.X)), labeled)
        learner = ActiveLearner(
            _with_seed(self.estimator, self.round_seed(round_, _FIT)),
            _with_seed(self.strategy, self.round_seed(round_ + 1, _QUERY)),
            X_training=take_rows(self.X, labeled),
            y_training=self.y[labeled],
            # a learner cannot hold an empty pool: once every row is labeled
            # it holds none, which fits the same (no rows labeled -1)
            # (of a lazy pool, a view: nothing is read)
            X_pool=subset_rows(self.X, unlabeled) if unlabeled.size else None,
        )
        return learner, unlabeled

    def evaluate(self, learner):
        """Test accuracy and macro F1 of ``learner``."""
        return _accuracy_macro_f1(self.y_test, _predict_rows(learner, self.X_test))

    def record(
        self,
        round_,
        n_labels,
        accuracy,
        macro_f1,
        fit_seconds,
        query_seconds,
        class_distance=float("nan"),
        diversity=float("nan"),
    ):
        """The result row of a round (round 0 has no batch to measure)."""
        return {
            "strategy": self.name,
            "repeat": self.repeat,
            "round": round_,
            "n_labels": int(n_labels),
            "accuracy": accuracy,
            "macro_f1": macro_f1,
            "fit_seconds": fit_seconds,
            "query_seconds": query_seconds,
            "class_distance": class_distance,
            "diversity": diversity,
        }


@validate_params(_PARAMETER_CONSTRAINTS)
def simulate(
    estimator,
    strategy,
    X,
    y,
    *,
    X_test,
    y_test,
    initial=20,
    budgets=None,
    n_rounds=None,
    n_instances=None,
    n_repeats=1,
    random_state=0,
    checkpoint=None,
    out=None,
    overwrite=False,
    progress=True,
    batch_metrics=True,
    batch_size=None,
    stop=None,
):
    """Simulate pool-based active learning on a fully labeled dataset.

    For each repeat, an initial set is labeled (the same for every strategy),
    then each strategy runs rounds of query → reveal labels → refit → test
    until the label budget is spent. Every round builds a fresh
    :class:`skactive.ActiveLearner` on the rows labeled so far, with clones
    of the estimator and of the strategy seeded from ``(random_state, repeat,
    round)``: runs are reproducible and strategies are compared on paired
    repeats.

    Every parameter is checked before anything is computed (the data against
    each other, the budgets against the pool, the checkpoint and the ``out``
    folder), and a mistake raises
    :class:`~skactive._validation.InvalidParameterError` (a ``ValueError``
    and a ``TypeError``) naming the parameter.

    Parameters
    ----------
    estimator : classifier
        Cloned (and refitted from scratch) every round; never fitted itself.
    strategy : query strategy or dict of str to query strategy
        Several strategies are compared in one call when a dict is given
        (its keys name them in the results); one strategy is named after its
        class.
    X : array-like of shape (n_pool, n_features) or (n_pool, ...)
        The pool: rows or images.
    y : array-like of shape (n_pool,)
        The pool's hidden labels.
    X_test : array-like of shape (n_test, ...)
        Held-out rows, of the shape of ``X``'s rows.
    y_test : array-like of shape (n_test,)
        Their labels; every test class must occur in ``y``.
    initial : int or tuple of (strategy, int), default=20
        An int draws that many random rows (seeded per repeat). A pair
        ``(strategy, n)`` asks a strategy that needs no fitted model
        (``RandomSampling``, an initial-selection strategy) for ``n`` rows.
        Either way every strategy starts from the same initial set.
    budgets : list of int or None, default=None
        Total labels after each round (strictly increasing, above
        ``initial``, at most the pool's size); an alternative to
        ``n_rounds`` and ``n_instances``.
    n_rounds : int or None, default=None
        Number of query rounds (5 when ``None``).
    n_instances : int or None, default=None
        Labels queried per round (10 when ``None``).
    n_repeats : int, default=1
        Repeats, each with its own initial set and seeds (paired between
        strategies).
    random_state : int, RandomState instance or None, default=0
        Seeds everything (initial sets, strategies, estimators) through one
        base seed: the int itself, one draw of a
        :class:`~numpy.random.RandomState` (which advances it), or fresh
        entropy for ``None``. Pass an int for reproducible output across
        multiple function calls.
    checkpoint : str, path-like or None, default=None
        A JSON file written atomically (temporary file + rename) after every
        round; if it exists, the run resumes from it. It holds the labeled
        indices of every round and the result rows, with a format version
        and a sha256 checksum of its content: a checkpoint written by a
        different configuration is refused naming the differences, and a
        damaged one (truncated, edited, not a checkpoint...) is refused in
        one line that names it. Since estimators are refitted from scratch
        every round with a seed derived from ``(random_state, repeat,
        round)``, no model object is pickled, and a resumed run reproduces an
        uninterrupted one exactly (timings aside). With
        ``random_state=None`` a run resumes with the seed stored in its
        checkpoint.
    out : str, path-like or None, default=None
        A folder to write ``results.csv``, ``results.json`` (strict JSON: the
        rows and the summary) and ``learning_curves.png`` into when the
        simulation ends, atomically, with the user's umask; created if
        missing. It is checked before anything is computed: it must not be a
        file, it must be creatable or writable, and no symbolic link may
        stand where a result file goes (never written through).
    overwrite : bool, default=False
        Replace result files already in ``out``; without it they are
        refused, naming the file, before anything is computed.
    progress : bool, default=True
        A tqdm progress bar over all rounds, on standard error.
    batch_metrics : bool, default=True
        Record the class-distribution distance and diversity of each batch
        (diversity needs embeddings: one extra pass over the batch).
    batch_size : int or None, default=None
        Deprecated alias of ``n_instances``, which it is renamed to: in
        skactive ``batch_size`` means rows per forward pass. Passing it
        warns with a :class:`FutureWarning`; it will be removed.
    stop : stopping criterion, dict of str to criterion, or None, default=None
        Consulted after every round (round 0 included) of every run, on a
        fresh clone per strategy × repeat (see :mod:`skactive.stopping`):
        ``criterion(estimator, X, n_labels=..., metric=test_accuracy)``, with
        the whole pool ``X`` as the fixed stop set and the test accuracy as
        the metric (an oracle: :class:`~skactive.stopping.MetricPlateau`
        then marks where the curve flattens). The simulation still runs to
        the last budget; each row records whether the criterion had fired
        by then, in a column ``"stop"`` (one criterion) or
        ``"stop_<name>"`` (a dict), and
        :meth:`SimulationResult.stopping` gives the labels at which it
        fired. With ``checkpoint``, each criterion's state
        (:meth:`~skactive.stopping.StoppingCriterion.get_state`: counters,
        history, the last predictions on the stop set) is stored with every
        round and restored on resume, so a resumed run fires in the same
        round as an uninterrupted one; a criterion without ``get_state`` and
        ``set_state`` is then refused.

    Returns
    -------
    SimulationResult
        One row per strategy × repeat × round (round 0: the initial set).

    See Also
    --------
    SimulationResult.summary : AUC per strategy and paired differences.
    plot_learning_curves : The mean learning curves.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.experiment import simulate
    >>> from skactive.strategies import RandomSampling, UncertaintySampling
    >>> X, y = load_digits(return_X_y=True)
    >>> strategies = {"random": RandomSampling(),
    ...               "margin": UncertaintySampling("margin")}
    >>> res = simulate(LogisticRegression(max_iter=1000), strategies,
    ...                X[:1500], y[:1500], X_test=X[1500:], y_test=y[1500:],
    ...                n_rounds=2, n_instances=10, n_repeats=2, progress=False)
    >>> len(res), sorted(res.auc())
    (12, ['margin', 'random'])
    >>> [r["n_labels"] for r in res.records[:3]]
    [20, 30, 40]

    A checkpoint makes an interrupted run resumable, and ``out`` writes the
    result files:

    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.mkdtemp()
    >>> again = simulate(LogisticRegression(max_iter=1000), strategies,
    ...                  X[:1500], y[:1500], X_test=X[1500:], y_test=y[1500:],
    ...                  n_rounds=2, n_repeats=2, progress=False,
    ...                  checkpoint=f"{folder}/state.json", out=folder)
    >>> sorted(p.name for p in Path(folder).iterdir())
    ['learning_curves.png', 'results.csv', 'results.json', 'state.json']
    """
    if batch_size is not None:
        if n_instances is not None:
            raise InvalidParameterError(
                "simulate: give n_instances only; batch_size is its deprecated alias."
            )
        warnings.warn(
            "simulate: batch_size is deprecated and will be removed; use "
            "n_instances (labels per round) instead. In skactive batch_size "
            "means rows per forward pass.",
            FutureWarning,
            stacklevel=3,  # the caller of the validate_params wrapper
        )
        n_instances = batch_size
    strategies = _check_strategies(strategy)
    stop = _check_stop(stop, checkpoint)
    X, y, X_test, y_test = _check_data(X, y, X_test, y_test)
    initial_strategy, n_initial = _check_initial(initial)
    budgets = _resolve_budgets(n_initial, budgets, n_rounds, n_instances, n_rows(X))
    n_repeats = int(n_repeats)
    seed = seed_from_random_state(random_state)
    if out is not None:
        check_results_folder(out, overwrite=overwrite)

    config = {
        "estimator": repr(estimator),
        "strategies": {k: repr(v) for k, v in strategies.items()},
        "initial": repr(initial_strategy) + f"/{n_initial}",
        "budgets": budgets,
        "n_repeats": n_repeats,
        "seed": seed,
        "X": fingerprint(X if not hasattr(X, "numpy") else X.numpy()),
        "y": fingerprint(y),
        "X_test": fingerprint(
            X_test if not hasattr(X_test, "numpy") else X_test.numpy()
        ),
        "y_test": fingerprint(y_test),
    }
    if stop:
        config["stop"] = {k: repr(v) for k, v in stop.items()}
    keys = {
        f"{name}/{repeat}": (name, repeat)
        for repeat in range(n_repeats)
        for name in strategies
    }
    state = _open_checkpoint(
        checkpoint,
        config,
        Layout(
            runs=keys,
            sizes=tuple(np.diff([0, n_initial, *budgets]).tolist()),
            n_pool=n_rows(X),
            stop_columns=tuple(stop),
        ),
        adopt_seed=random_state is None,
    )
    seed = state.config["seed"]

    total = len(keys) * (len(budgets) + 1)
    bar = tqdm(
        total=total, initial=state.n_records(), disable=not progress, desc="simulate"
    )
    base = _Run(
        name="",
        strategy=None,
        estimator=estimator,
        X=X,
        y=y,
        X_test=X_test,
        y_test=y_test,
        budgets=tuple(budgets),
        repeat=0,
        seed=seed,
        batch_metrics=batch_metrics,
        stop=stop,
    )
    try:
        for repeat in range(n_repeats):
            initial_idx = _initial_set(initial_strategy, n_initial, X, seed, repeat)
            for name, strat in strategies.items():
                run = replace(base, name=name, strategy=strat, repeat=repeat)
                progress_state = state.runs.setdefault(
                    f"{name}/{repeat}",
                    {"labeled": [initial_idx.tolist()], "records": []},
                )
                _run_strategy(run, progress_state, state.save, bar)
    finally:
        bar.close()
    result = SimulationResult(r for key in keys for r in state.runs[key]["records"])
    if out is not None:
        write_results(result, out, overwrite=overwrite)
    return result


def _open_checkpoint(path, config, layout, *, adopt_seed):
    """The checkpoint to resume (checked against ``config``) or a new one.

    With ``adopt_seed`` (``random_state=None``) a stored checkpoint's seed is
    taken, so that the run it holds is resumed rather than refused.
    """
    if path is None:
        return Checkpoint(None, config)
    stored = Checkpoint.resume(path, config, layout, adopt_seed=adopt_seed)
    if stored is None:
        check_file_path(path, "checkpoint")
        return Checkpoint(path, config)
    return stored


def _initial_set(initial_strategy, n_initial, X, seed, repeat):
    seed = _round_seed(seed, repeat, 0, _INITIAL)
    if initial_strategy is None:
        rng = np.random.RandomState(seed)
        return np.sort(rng.choice(n_rows(X), n_initial, replace=False))
    s = _with_seed(initial_strategy, seed)
    idx = s(None, X, n_initial)
    return np.asarray(idx, dtype=np.int64)


def _run_strategy(run, state, save, bar):
    """Run (or resume) the rounds of ``run`` not yet in ``state``.

    ``state`` is the run's part of the checkpoint: ``"labeled"``, the
    indices labeled in each round (round 0: the initial set), and
    ``"records"``, one row per completed round; both grow here, and ``save``
    is called after every round.
    """
    n_done = len(state["records"])
    if n_done == len(run.budgets) + 1:
        return
    labeled = np.concatenate([np.asarray(i, dtype=np.int64) for i in state["labeled"]])
    t0 = time.perf_counter()
    learner, unlabeled = run.learner(labeled, max(n_done - 1, 0))
    fit_seconds = time.perf_counter() - t0
    criteria = {k: _fresh(c) for k, c in (run.stop or {}).items()}
    for column, saved in state.get("stop", {}).items():
        criteria[column].set_state(saved)  # rounds consulted before the resume
    if n_done == 0:
        accuracy, macro_f1 = run.evaluate(learner)
        state["records"].append(
            _consult(
                criteria,
                run,
                learner,
                run.record(0, len(labeled), accuracy, macro_f1, fit_seconds, 0.0),
            )
        )
        _store_stop_state(criteria, state)
        save()
        bar.update(1)
    for r in range(max(n_done, 1), len(run.budgets) + 1):
        t0 = time.perf_counter()
        idx, _ = learner.query(n_instances=run.budgets[r - 1] - len(labeled))
        query_seconds = time.perf_counter() - t0
        picked = unlabeled[idx]
        distance, diversity = float("nan"), float("nan")
        if run.batch_metrics:
            distance = class_distribution_distance(run.y[picked], run.y)
            if len(picked) > 1:
                emb = embed_pool(learner.estimator, take_rows(run.X, picked))
                diversity = float(batch_diversity(emb))
        labeled = np.concatenate([labeled, picked])
        t0 = time.perf_counter()
        learner, unlabeled = run.learner(labeled, r)
        fit_seconds = time.perf_counter() - t0
        accuracy, macro_f1 = run.evaluate(learner)
        state["labeled"].append(picked.tolist())
        state["records"].append(
            _consult(
                criteria,
                run,
                learner,
                run.record(
                    r,
                    len(labeled),
                    accuracy,
                    macro_f1,
                    fit_seconds,
                    query_seconds,
                    class_distance=distance,
                    diversity=diversity,
                ),
            )
        )
        _store_stop_state(criteria, state)
        save()
        bar.update(1)
        bar.set_postfix(
            strategy=run.name, labels=len(labeled), accuracy=f"{accuracy:.3f}"
        )


def _fresh(criterion):
    """A clone of ``criterion`` with no rounds seen (plain callables as given)."""
    if hasattr(criterion, "get_params"):
        return clone(criterion)
    return criterion


def _store_stop_state(criteria, state):
    """Keep each criterion's state in the run's checkpoint (``"stop"``).

    Only criteria with ``get_state`` are stored (with a checkpoint, every
    criterion has one: :func:`_check_stop`); the state is saved with the
    round's record, so a resumed run consults criteria that have seen
    exactly the rounds on disk.
    """
    states = {
        column: c.get_state()
        for column, c in criteria.items()
        if callable(getattr(c, "get_state", None))
    }
    if states and len(states) == len(criteria):
        state["stop"] = states


def _consult(criteria, run, learner, record):
    """``record`` with whether each stopping criterion has fired by its round."""
    for column, criterion in criteria.items():
        record[column] = bool(
            criterion(
                learner.estimator,
                run.X,
                n_labels=record["n_labels"],
                metric=record["accuracy"],
            )
        )
    return record
