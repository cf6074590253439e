"""Simulate active learning on a labeled dataset: curves, summaries, checkpoints.

:func:`simulate` runs rounds of query → reveal labels → refit → test for one
or several strategies over repeats, with the same initial sets and seeds for
every strategy (a paired comparison), and returns a :class:`SimulationResult`
with one row per strategy × repeat × round. With ``checkpoint=path`` the state
is written atomically after every round and a rerun resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score
from tqdm.auto import tqdm

from ._inference import embed_pool
from ._rows import n_rows, take_rows
from ._validation import check_pool
from .learner import ActiveLearner
from .metrics import batch_diversity, class_distribution_distance, learning_curve_auc

__all__ = [
    "simulate",
    "SimulationResult",
    "learning_curve_auc",
    "class_distribution_distance",
    "plot_learning_curves",
]

_TIMING_KEYS = ("fit_seconds", "query_seconds")
_CHECKPOINT_VERSION = 1


# ----------------------------------------------------------------- result
class SimulationResult:
    """Rows of a simulation (one per strategy × repeat × round) and summaries.

    :func:`simulate` returns it; it can also be rebuilt from saved rows (the
    ``"records"`` of :meth:`to_json`'s file, say).

    Parameters
    ----------
    records : iterable of dict
        The rows, with the keys listed under ``records`` below; stored as a
        list.

    Attributes
    ----------
    records : list of dict
        ``strategy``, ``repeat``, ``round``, ``n_labels``, ``accuracy``,
        ``macro_f1``, ``fit_seconds``, ``query_seconds``, ``class_distance``
        (of the batch queried in that round, vs the pool's classes; ``nan`` for
        round 0) and ``diversity`` (mean pairwise embedding distance within the
        batch; ``nan`` for round 0 or a one-row batch).
    """

    def __init__(self, records):
        self.records = list(records)

    def __len__(self):
        return len(self.records)

    def __repr__(self):
        names = sorted({r["strategy"] for r in self.records})
        return f"SimulationResult({len(self.records)} rows, strategies={names})"

    @property
    def strategies(self):
        """Strategy names, in order of appearance."""
        return list(dict.fromkeys(r["strategy"] for r in self.records))

    def to_frame(self):
        """The rows as a :class:`pandas.DataFrame` (pandas must be installed)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records)

    def curves(self, metric="accuracy"):
        """Learning curves of every strategy, one row per repeat.

        Parameters
        ----------
        metric : str, default="accuracy"
            The column of the rows to read: ``"accuracy"``, ``"macro_f1"``, or
            any other numeric key of :attr:`records`.

        Returns
        -------
        dict
            ``{strategy: (n_labels, values)}``, in order of appearance:
            ``n_labels`` is the sorted array of the label counts of the
            strategy's rows (shape ``(n_points,)``) and ``values`` the metric,
            an array of shape ``(n_repeats, n_points)`` (repeats sorted;
            ``nan`` where a repeat has no row at that label count).
        """
        out = {}
        for name in self.strategies:
            rows = [r for r in self.records if r["strategy"] == name]
            repeats = sorted({r["repeat"] for r in rows})
            labels = sorted({r["n_labels"] for r in rows})
            values = np.full((len(repeats), len(labels)), np.nan)
            for r in rows:
                values[repeats.index(r["repeat"]), labels.index(r["n_labels"])] = r[
                    metric
                ]
            out[name] = (np.asarray(labels), values)
        return out

    def auc(self, metric="accuracy"):
        """Normalised area under every learning curve, per strategy and repeat.

        Parameters
        ----------
        metric : str, default="accuracy"
            The column of the rows to read (see :meth:`curves`).

        Returns
        -------
        dict
            ``{strategy: aucs}``: an array of shape ``(n_repeats,)`` of the
            :func:`learning_curve_auc` of each repeat's curve (repeats sorted).
        """
        return {
            name: np.array([learning_curve_auc(x, row) for row in values])
            for name, (x, values) in self.curves(metric).items()
        }

    def summary(self, metric="accuracy", baseline="random", confidence=0.95):
        """Per strategy: AUC mean ± standard error, paired difference to a baseline.

        The difference to ``baseline`` is paired by repeat (same initial set
        and seeds); its interval is Student's t over the repeats.

        Parameters
        ----------
        metric : str, default="accuracy"
            The column of the rows to read (see :meth:`curves`).
        baseline : str, default="random"
            Name of the strategy the others are compared with. When no
            strategy has that name, the rows carry no difference.
        confidence : float, default=0.95
            Level of the interval of the difference, in ``(0, 1)``. With one
            repeat the interval bounds are ``nan``.

        Returns
        -------
        list of dict
            One per strategy: ``strategy``, ``auc_mean``, ``auc_sem``,
            ``final_mean`` (mean of the last point of the curves) and, when the
            baseline is present, on the other strategies' rows ``diff_mean``,
            ``diff_low``, ``diff_high``.
        """
        aucs = self.auc(metric)
        curves = self.curves(metric)
        rows = []
        for name, values in aucs.items():
            n = len(values)
            row = {
                "strategy": name,
                "auc_mean": float(values.mean()),
                "auc_sem": float(values.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0,
                "final_mean": float(curves[name][1][:, -1].mean()),
            }
            if baseline in aucs and name != baseline:
                diff = values - aucs[baseline]
                mean = float(diff.mean())
                if n > 1:
                    half = float(
                        stats.t.ppf(0.5 + confidence / 2, n - 1)
                        * diff.std(ddof=1)
                        / np.sqrt(n)
                    )
                else:
                    half = float("nan")
                row.update(diff_mean=mean, diff_low=mean - half, diff_high=mean + half)
            rows.append(row)
        return rows

    def to_csv(self, path):
        """Write the rows as CSV (atomically).

        One line per row under a header of the first row's keys; a value
        containing a comma is quoted.

        Parameters
        ----------
        path : str or pathlib.Path
            The file to write (replaced if it exists); missing parent
            directories are created.
        """
        keys = list(self.records[0]) if self.records else []
        lines = [",".join(keys)]
        for r in self.records:
            lines.append(",".join(_csv_cell(r[k]) for k in keys))
        _atomic_write_text(Path(path), "\n".join(lines) + "\n")

    def to_json(self, path):
        """Write the rows and the summary as JSON (atomically).

        The file holds ``{"records": rows, "summary": summary()}``, the
        summary with its default arguments.

        Parameters
        ----------
        path : str or pathlib.Path
            The file to write (replaced if it exists); missing parent
            directories are created.
        """
        payload = {"records": self.records, "summary": self.summary()}
        _atomic_write_text(Path(path), json.dumps(payload, indent=1, default=float))


def _csv_cell(value):
    text = str(value)
    return f'"{text}"' if "," in text else text


def plot_learning_curves(result, *, metric="accuracy", ax=None, path=None):
    """Plot mean learning curves with a shaded standard error, one per strategy.

    Parameters
    ----------
    result : SimulationResult
    metric : str, default="accuracy"
    ax : matplotlib Axes or None
        Drawn on a new figure when None.
    path : str or Path or None
        Save the figure there.

    Returns
    -------
    ax : matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for name, (x, values) in result.curves(metric).items():
        mean = np.nanmean(values, axis=0)
        n = np.sum(~np.isnan(values), axis=0)
        sem = (
            np.nanstd(values, axis=0, ddof=1) / np.sqrt(n) if values.shape[0] > 1 else 0
        )
        (line,) = ax.plot(x, mean, marker="o", ms=3, label=name)
        ax.fill_between(x, mean - sem, mean + sem, alpha=0.2, color=line.get_color())
    ax.set_xlabel("labels")
    ax.set_ylabel(metric.replace("_", " "))
    ax.legend()
    ax.grid(alpha=0.3)
    if path is not None:
        ax.figure.savefig(path, bbox_inches="tight", dpi=120)
    return ax


# ------------------------------------------------------------ checkpoints
def _atomic_write_text(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _fingerprint(array):
    a = np.ascontiguousarray(np.asarray(array))
    h = hashlib.sha256()
    h.update(str((a.shape, a.dtype.str)).encode())
    h.update(a.tobytes())
    return h.hexdigest()[:16]


def _load_checkpoint(path, config):
    path = Path(path)
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    old = state.get("config", {})
    differ = sorted(k for k in set(old) | set(config) if old.get(k) != config.get(k))
    if differ:
        details = "; ".join(
            f"{k}: checkpoint {old.get(k)!r} vs now {config.get(k)!r}" for k in differ
        )
        raise ValueError(
            f"checkpoint {str(path)!r} was written by a different configuration "
            f"({details}); use another checkpoint path or remove it."
        )
    return state


# --------------------------------------------------------------- simulate
def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _resolve_budgets(n_initial, budgets, n_rounds, batch_size, n_pool):
    if budgets is not None:
        if n_rounds is not None or batch_size is not None:
            raise ValueError(
                "give either budgets or n_rounds and batch_size, not both."
            )
        budgets = [int(b) for b in np.atleast_1d(budgets)]
    else:
        n_rounds = _positive_int(5 if n_rounds is None else n_rounds, "n_rounds")
        batch_size = _positive_int(
            10 if batch_size is None else batch_size, "batch_size"
        )
        budgets = [n_initial + batch_size * (r + 1) for r in range(n_rounds)]
    steps = np.diff([n_initial, *budgets])
    if len(budgets) == 0 or np.any(steps <= 0):
        raise ValueError(
            f"budgets must be strictly increasing and above n_initial={n_initial}, "
            f"got {budgets}."
        )
    if budgets[-1] > n_pool:
        raise ValueError(
            f"the last budget ({budgets[-1]} labels) is larger than the pool, which "
            f"has {n_pool} rows."
        )
    return budgets


def _round_seed(random_state, *keys):
    base = 0 if random_state is None else int(random_state)
    return int(np.random.SeedSequence([base, *keys]).generate_state(1)[0])


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
    batch_size=None,
    n_repeats=1,
    random_state=0,
    checkpoint=None,
    progress=True,
    batch_metrics=True,
):
    """Simulate pool-based active learning on a fully labeled dataset.

    For each repeat, an initial set is labeled (the same for every strategy),
    then each strategy runs rounds of query → reveal labels → refit → test
    until the label budget is spent. Strategies and estimators are cloned with
    a ``random_state`` derived from ``(random_state, repeat, round)``, so runs
    are reproducible and strategies are compared on paired repeats.

    Parameters
    ----------
    estimator : classifier
        Cloned (and refitted from scratch) every round.
    strategy : query strategy or dict of name -> strategy
        Several strategies are compared in one call when a dict is given.
    X, y : array-like
        The pool and its hidden labels.
    X_test, y_test : array-like
        Held-out rows; every test class must occur in ``y``.
    initial : int or (strategy, int), default=20
        An int draws that many random rows (seeded per repeat). A pair
        ``(strategy, n)`` asks a strategy that needs no fitted model
        (``RandomSampling``, an initial-selection strategy) for ``n`` rows.
        Either way every strategy starts from the same initial set.
    budgets : list of int or None
        Total labels after each round (strictly increasing).
    n_rounds, batch_size : int or None
        Alternative to ``budgets``: ``n_rounds`` rounds of ``batch_size``
        (defaults 5 and 10).
    n_repeats : int, default=1
    random_state : int, default=0
        Seeds everything (initial sets, strategies, estimators).
    checkpoint : str or Path or None
        A JSON file written atomically (temporary file + rename) after every
        round; if it exists, the run resumes from it, refusing one written by a
        different configuration. It holds the labeled indices of every round
        and the result rows; since estimators are refitted from scratch every
        round with a seed derived from ``(random_state, repeat, round)``, no
        model object is pickled, and a resumed run reproduces an uninterrupted
        one exactly (timings aside).
    progress : bool, default=True
        tqdm progress bar over all rounds.
    batch_metrics : bool, default=True
        Record the class-distribution distance and diversity of each batch
        (diversity needs embeddings: one extra pass over the batch).

    Returns
    -------
    SimulationResult

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
    ...                n_rounds=2, n_repeats=2, progress=False)
    >>> len(res), sorted(res.auc())
    (12, ['margin', 'random'])
    """
    strategies = (
        strategy if isinstance(strategy, dict) else {type(strategy).__name__: strategy}
    )
    if not strategies:
        raise ValueError("strategy must be a strategy or a non-empty dict of them.")
    for name, s in strategies.items():
        if not callable(s):
            raise TypeError(f"strategy {name!r} is not callable: {s!r}.")
    X = check_pool(X, name="X")
    y = np.asarray(y)
    n_pool = n_rows(X)
    if y.shape[0] != n_pool:
        raise ValueError(f"y has {y.shape[0]} labels but X has {n_pool} rows.")
    X_test = check_pool(X_test, name="X_test")
    y_test = np.asarray(y_test)
    unseen = np.setdiff1d(y_test, y)
    if unseen.size:
        raise ValueError(
            f"y_test has classes {unseen.tolist()} that never occur in y: the "
            "simulation could never learn them."
        )
    initial_strategy = None
    if isinstance(initial, tuple):
        initial_strategy, initial = initial
    n_initial = _positive_int(initial, "initial")
    budgets = _resolve_budgets(n_initial, budgets, n_rounds, batch_size, n_pool)
    n_repeats = _positive_int(n_repeats, "n_repeats")
    if random_state is not None and not isinstance(random_state, numbers.Integral):
        raise TypeError(f"random_state must be an int or None, got {random_state!r}.")

    config = {
        "version": _CHECKPOINT_VERSION,
        "estimator": repr(estimator),
        "strategies": {k: repr(v) for k, v in strategies.items()},
        "initial": repr(initial_strategy) + f"/{n_initial}",
        "budgets": budgets,
        "n_repeats": n_repeats,
        "random_state": random_state,
        "X": _fingerprint(X if not hasattr(X, "numpy") else X.numpy()),
        "y": _fingerprint(y),
        "X_test": _fingerprint(
            X_test if not hasattr(X_test, "numpy") else X_test.numpy()
        ),
        "y_test": _fingerprint(y_test),
    }
    state = _load_checkpoint(checkpoint, config) if checkpoint is not None else None
    if state is None:
        state = {"config": config, "runs": {}}

    total = len(strategies) * n_repeats * (len(budgets) + 1)
    done = sum(len(run["records"]) for run in state["runs"].values())
    bar = tqdm(total=total, initial=done, disable=not progress, desc="simulate")
    try:
        for repeat in range(n_repeats):
            initial_idx = _initial_set(
                initial_strategy, n_initial, X, random_state, repeat
            )
            for name, strat in strategies.items():
                key = f"{name}/{repeat}"
                run = state["runs"].setdefault(
                    key, {"labeled": [initial_idx.tolist()], "records": []}
                )
                _run_strategy(
                    run,
                    name,
                    strat,
                    estimator,
                    X,
                    y,
                    X_test,
                    y_test,
                    budgets,
                    repeat,
                    random_state,
                    batch_metrics,
                    bar,
                    lambda: (
                        checkpoint is not None
                        and _atomic_write_text(Path(checkpoint), json.dumps(state))
                    ),
                )
    finally:
        bar.close()
    records = [r for run in state["runs"].values() for r in run["records"]]
    return SimulationResult(records)


def _initial_set(initial_strategy, n_initial, X, random_state, repeat):
    seed = _round_seed(random_state, repeat, 0, 0)
    if initial_strategy is None:
        rng = np.random.RandomState(seed % (2**32))
        return np.sort(rng.choice(n_rows(X), n_initial, replace=False))
    s = _with_seed(initial_strategy, seed % (2**32))
    idx = s(None, X, n_initial)
    return np.asarray(idx, dtype=np.int64)


def _evaluate(learner, X_test, y_test):
    pred = learner.predict(X_test)
    return (
        float(accuracy_score(y_test, pred)),
        float(f1_score(y_test, pred, average="macro")),
    )


def _run_strategy(
    run,
    name,
    strategy,
    estimator,
    X,
    y,
    X_test,
    y_test,
    budgets,
    repeat,
    random_state,
    batch_metrics,
    bar,
    save,
):
    labeled = [np.asarray(idx, dtype=np.int64) for idx in run["labeled"]]
    start_round = len(run["records"])
    all_labeled = np.concatenate(labeled)
    if start_round == 0 or start_round < len(budgets) + 1:
        # (re)build the learner on the labels acquired so far
        est_seed = _round_seed(random_state, repeat, max(start_round - 1, 0), 1)
        t0 = time.perf_counter()
        unlabeled = np.setdiff1d(np.arange(n_rows(X)), all_labeled)
        learner = ActiveLearner(
            _with_seed(estimator, est_seed % (2**32)),
            strategy,
            X_training=take_rows(X, all_labeled),
            y_training=y[all_labeled],
            X_pool=take_rows(X, unlabeled),
        )
        fit_seconds = time.perf_counter() - t0
    if start_round == 0:
        acc, f1 = _evaluate(learner, X_test, y_test)
        run["records"].append(
            _record(name, repeat, 0, len(all_labeled), acc, f1, fit_seconds, 0.0)
        )
        save()
        bar.update(1)
    for r in range(max(start_round, 1), len(budgets) + 1):
        n_new = budgets[r - 1] - len(all_labeled)
        seed = _round_seed(random_state, repeat, r, 2) % (2**32)
        learner.query_strategy = _with_seed(strategy, seed)
        t0 = time.perf_counter()
        idx, _ = learner.query(n_instances=n_new)
        query_seconds = time.perf_counter() - t0
        picked = unlabeled[idx]
        distance, diversity = float("nan"), float("nan")
        if batch_metrics:
            distance = class_distribution_distance(y[picked], y)
            if len(picked) > 1:
                emb = embed_pool(learner.estimator, take_rows(X, picked))
                diversity = float(batch_diversity(emb))
        unlabeled = np.delete(unlabeled, idx)
        learner.estimator = _with_seed(
            estimator, _round_seed(random_state, repeat, r, 1) % (2**32)
        )
        t0 = time.perf_counter()
        learner.label(idx, y[picked])
        fit_seconds = time.perf_counter() - t0
        all_labeled = np.concatenate([all_labeled, picked])
        acc, f1 = _evaluate(learner, X_test, y_test)
        run["labeled"].append(picked.tolist())
        rec = _record(
            name, repeat, r, len(all_labeled), acc, f1, fit_seconds, query_seconds
        )
        rec["class_distance"] = distance
        rec["diversity"] = diversity
        run["records"].append(rec)
        save()
        bar.update(1)
        bar.set_postfix(strategy=name, labels=len(all_labeled), accuracy=f"{acc:.3f}")


def _record(name, repeat, r, n_labels, acc, f1, fit_seconds, query_seconds):
    return {
        "strategy": name,
        "repeat": repeat,
        "round": r,
        "n_labels": int(n_labels),
        "accuracy": acc,
        "macro_f1": f1,
        "fit_seconds": fit_seconds,
        "query_seconds": query_seconds,
        "class_distance": float("nan"),
        "diversity": float("nan"),
    }
