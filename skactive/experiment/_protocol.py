"""The evaluation protocol: does active learning pay on this data?

:func:`evaluate_strategies` runs many seeds × strategies × budgets on cached
embeddings (a frozen embedder and a linear head: the Selection-via-Proxy
idea, Coleman et al. 2020) through :func:`~skactive.experiment.simulate`,
and returns an :class:`EvaluationResult` that records the seeds, versions
and hardware. The summaries are functions of any
:class:`~skactive.experiment.SimulationResult`:

* :func:`aubc` -- normalised area under the budget curve, with a Student-t
  confidence interval over seeds;
* :func:`penalty_matrix` -- Lüth et al.'s (2023) pairwise-penalty matrix
  (paired t-test at every budget, α = 0.05), and
  :func:`plot_penalty_matrix`;
* :func:`labels_saved` -- the labels at which each strategy reaches the
  accuracy random reaches at the full budget, with a bootstrap interval over
  seeds, and :func:`format_labels_saved`, one line per strategy.
"""

from __future__ import annotations

import os
import platform
import time
from numbers import Integral, Real

import numpy as np
from scipy import stats

from .._validation import (
    N_JOBS,
    HasMethods,
    Interval,
    InvalidParameterError,
    validate_params,
)
from ._results import SimulationResult, _save_figure

__all__ = [
    "EvaluationResult",
    "evaluate_strategies",
    "aubc",
    "penalty_matrix",
    "plot_penalty_matrix",
    "labels_saved",
    "format_labels_saved",
    "run_metadata",
]


def run_metadata():
    """Versions and hardware of this run, so that it can be re-checked.

    Returns
    -------
    dict
        ``{"versions": {package: version}, "hardware": {...}}``: Python,
        skactive, numpy, scipy, scikit-learn, torch, skorch; the platform,
        machine, processor, CPU count, torch threads and the CUDA device (or
        ``None``).

    Examples
    --------
    >>> from skactive.experiment import run_metadata
    >>> meta = run_metadata()
    >>> sorted(meta), "numpy" in meta["versions"]
    (['hardware', 'versions'], True)
    """
    import importlib.metadata as md

    versions = {"python": platform.python_version()}
    for package in ("skactive", "numpy", "scipy", "scikit-learn", "torch", "skorch"):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            versions[package] = None
    hardware = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "torch_threads": None,
        "cuda_device": None,
    }
    try:
        import torch

        hardware["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            hardware["cuda_device"] = torch.cuda.get_device_name(0)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return {"versions": versions, "hardware": hardware}


run_metadata.__skactive_constraints__ = {}


class EvaluationResult(SimulationResult):
    """A :class:`SimulationResult` that also records how it was produced.

    Parameters
    ----------
    records : iterable of dict
        The rows (see :class:`SimulationResult`).
    metadata : dict or None, default=None
        ``seed`` (the base seed), ``seeds`` (each repeat's initial-set seed),
        ``budgets``, ``versions``, ``hardware``, the strategies, head and
        embedder (their reprs) and the wall time; written by
        :meth:`to_json` next to the rows.

    Examples
    --------
    >>> from skactive.experiment import EvaluationResult
    >>> EvaluationResult([], metadata={"seed": 0}).metadata
    {'seed': 0}
    """

    _parameter_constraints = {
        **SimulationResult._parameter_constraints,
        "metadata": [dict, None],
    }

    def __init__(self, records, metadata=None):
        from .._validation import validate_parameter_constraints

        validate_parameter_constraints(
            {"metadata": [dict, None]}, {"metadata": metadata}, "EvaluationResult"
        )
        super().__init__(records)
        self.metadata = {} if metadata is None else dict(metadata)

    def _json_text(self):
        from ._files import strict_json

        payload = {
            "metadata": self.metadata,
            "records": self.records,
            "summary": self.summary(),
        }
        return strict_json(payload, indent=1, default=float)


class _ColdStart:
    """The first pick of a strategy that only embeds, made before any label.

    Embedding strategies (TypiClust, ProbCover, diversity sampling, core-set)
    ask a fitted model for embeddings only; on cached embeddings any
    estimator that is not a pipeline embeds a row as itself, so they are
    given a label-free stand-in (a :class:`~sklearn.dummy.DummyClassifier`
    fitted on one row with a placeholder label). ``random_state`` is set by
    :func:`simulate` per repeat, through ``get_params``/``set_params``.
    """

    def __init__(self, strategy, random_state=None):
        self.strategy = strategy
        self.random_state = random_state

    def get_params(self, deep=False):
        return {"strategy": self.strategy, "random_state": self.random_state}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def __repr__(self):
        return f"_ColdStart({self.strategy!r})"

    def __call__(self, estimator, X, n_instances):
        from sklearn.base import clone
        from sklearn.dummy import DummyClassifier

        from .._rows import take_rows

        strategy = clone(self.strategy)
        if "random_state" in strategy.get_params(deep=False):
            strategy.set_params(random_state=self.random_state)
        stand_in = DummyClassifier().fit(take_rows(X, [0]), [0])
        return strategy(stand_in, X, n_instances)


def _picks_cold(strategy):
    """Whether ``strategy`` can pick the first budget without labels."""
    from ..strategies import CoreSet, DiversitySampling, ProbCover, TypiClust

    if not getattr(strategy, "_requires_fit", True):
        return "itself"
    if getattr(strategy, "_cold_start", False) or isinstance(
        strategy, CoreSet | DiversitySampling | ProbCover | TypiClust
    ):
        return "stand-in"
    return None


def _initial_seeds(seed, n_seeds):
    from ._loop import _INITIAL, _round_seed

    return [_round_seed(seed, repeat, 0, _INITIAL) for repeat in range(n_seeds)]


def _resolve_strategies(strategies):
    from ..strategies import make_strategy

    if isinstance(strategies, list | tuple):
        return {name: make_strategy(name) for name in strategies}
    if not isinstance(strategies, dict) or not strategies:
        raise InvalidParameterError(
            "evaluate_strategies: strategies must be a non-empty dict of name to "
            f"strategy or a list of registered names, got {strategies!r}."
        )
    return {
        name: make_strategy(s) if isinstance(s, str) else s
        for name, s in strategies.items()
    }


def _check_budgets_per_class(budgets):
    values = list(budgets) if isinstance(budgets, list | tuple | np.ndarray) else None
    if (
        values is None
        or len(values) < 2
        or not all(isinstance(v, Integral) and not isinstance(v, bool) for v in values)
        or values[0] < 1
        or any(b <= a for a, b in zip(values, values[1:], strict=False))
    ):
        raise InvalidParameterError(
            "evaluate_strategies: budgets_per_class must be a strictly increasing "
            f"list of at least 2 ints >= 1 (labels per class), got {budgets!r}."
        )
    return [int(v) for v in values]


@validate_params(
    {
        "strategies": [dict, list, tuple],
        "X": ["array-like"],
        "y": ["array-like"],
        "X_test": ["array-like"],
        "y_test": ["array-like"],
        "embedder": [HasMethods(["fit", "transform"]), None],
        "head": [HasMethods(["fit", "predict_proba"]), None],
        "budgets_per_class": [list, tuple, np.ndarray],
        "n_seeds": [Interval(Integral, 1, None, closed="left")],
        "cold_start": ["boolean"],
        "standardize": ["boolean"],
        "stop": [callable, dict, None],
        "random_state": ["random_state"],
        "progress": ["boolean"],
        "n_jobs": N_JOBS,
    }
)
def evaluate_strategies(
    strategies,
    X,
    y,
    *,
    X_test,
    y_test,
    embedder=None,
    head=None,
    budgets_per_class=(1, 2, 4, 10, 20),
    n_seeds=50,
    cold_start=True,
    standardize=False,
    stop=None,
    random_state=0,
    progress=False,
    n_jobs=None,
):
    """Compare strategies over many seeds and budgets on cached embeddings.

    The pool and the test rows are embedded once (``embedder`` fitted on the
    pool without labels, or ``X`` taken as embeddings already), and every strategy runs
    :func:`~skactive.experiment.simulate` with a linear ``head`` refitted from
    scratch every round, over the same ``n_seeds`` paired seeds: the same
    initial sets, the same fit seeds, the same training recipe for the random
    baseline as for every other strategy.

    The budget curve has a point at every entry of ``budgets_per_class``
    times the number of classes (1 label per class included). With
    ``cold_start=True`` a strategy that needs no labels to choose (random,
    and the strategies that only embed: TypiClust, ProbCover, diversity
    sampling, core-set, TCM below its switch point) also picks the first
    budget, in the cached embedding; the others start from the random
    initial set of the seed (random's own).

    Parameters
    ----------
    strategies : dict of str to strategy, or list of str
        Strategies by name; a list holds registered names
        (:func:`~skactive.strategies.make_strategy`).
    X : array-like of shape (n_pool, ...)
        The pool (rows, or images for ``embedder``).
    y : array-like of shape (n_pool,)
        Its hidden labels.
    X_test, y_test : array-like
        Held-out rows and labels.
    embedder : transformer or None, default=None
        Fitted on ``X`` (``fit(X)``) and applied to ``X`` and ``X_test``
        (a :mod:`skactive.representation` transformer, a PCA...); ``None``
        takes ``X`` and ``X_test`` as embeddings.
    head : classifier or None, default=None
        The model refitted every round (``LogisticRegression(max_iter=1000)``
        when ``None``).
    budgets_per_class : list of int, default=(1, 2, 4, 10, 20)
        Labels per class at every point of the curve, strictly increasing.
    n_seeds : int, default=50
        Paired repeats.
    cold_start : bool, default=True
        Let strategies that need no fitted model pick the first budget.
    standardize : bool, default=False
        Standardise the embeddings with the pool's mean and standard
        deviation (no labels used). Off by default: on PCA components it
        amplifies the noisy ones (MNIST, PCA-50, 200 labels: 0.77 test
        accuracy unscaled, 0.72 standardised).
    stop : stopping criterion, dict or None, default=None
        As in :func:`~skactive.experiment.simulate`.
    random_state : int, RandomState instance or None, default=0
        The base seed. Pass an int for reproducible output across multiple
        function calls.
    progress : bool, default=False
        A progress bar per strategy.
    n_jobs : int or None, default=None
        Strategies evaluated in parallel worker processes (joblib's loky
        backend; ``None`` means 1, ``-1`` all cores). Each worker's BLAS and
        OpenMP pools get ``cores // n_jobs`` threads, which matters as much
        as the parallelism: a logistic-regression fit on 200 rows of 50
        features takes 17 ms on one BLAS thread and up to 240 ms on two
        threads of a busy 2-core machine. The results do not depend on
        ``n_jobs``.

    Returns
    -------
    EvaluationResult
        The rows of every strategy, and ``metadata`` with the seeds,
        budgets, versions and hardware.

    See Also
    --------
    aubc, penalty_matrix, labels_saved : Its summaries.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.experiment import evaluate_strategies, aubc
    >>> X, y = load_digits(return_X_y=True)
    >>> res = evaluate_strategies(["random", "margin"], X[:1000], y[:1000],
    ...     X_test=X[1000:], y_test=y[1000:], budgets_per_class=[1, 2, 4],
    ...     n_seeds=3)
    >>> res.metadata["budgets"], len(res.metadata["seeds"])
    ([10, 20, 40], 3)
    >>> sorted(aubc(res))
    ['margin', 'random']
    """
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    from .._random import seed_from_random_state

    strategies = _resolve_strategies(strategies)
    per_class = _check_budgets_per_class(budgets_per_class)
    y = np.asarray(y)
    y_test = np.asarray(y_test)
    n_classes = int(np.unique(y).size)
    budgets = [b * n_classes for b in per_class]
    seed = seed_from_random_state(random_state)
    t0 = time.perf_counter()
    if embedder is not None:
        embedder = clone(embedder).fit(X)
        E, E_test = embedder.transform(X), embedder.transform(X_test)
    else:
        E, E_test = X, X_test
    E = np.asarray(E, dtype=np.float64).reshape(len(y), -1)
    E_test = np.asarray(E_test, dtype=np.float64).reshape(len(y_test), -1)
    if standardize:
        mean, std = E.mean(axis=0), E.std(axis=0)
        std[std == 0] = 1.0
        E, E_test = (E - mean) / std, (E_test - mean) / std
    embed_seconds = time.perf_counter() - t0
    head = LogisticRegression(max_iter=1000) if head is None else head
    jobs = []
    for name, strategy in strategies.items():
        cold = _picks_cold(strategy) if cold_start else None
        initial = budgets[0]
        if cold == "itself":
            initial = (strategy, budgets[0])
        elif cold == "stand-in":
            initial = (_ColdStart(strategy), budgets[0])
        jobs.append((name, strategy, initial))
    common = dict(
        E=E,
        y=y,
        E_test=E_test,
        y_test=y_test,
        budgets=budgets[1:],
        n_seeds=n_seeds,
        seed=seed,
        progress=progress,
        stop=stop,
    )
    if n_jobs is None or n_jobs == 1 or len(jobs) == 1:
        done = [_evaluate_one(head, *job, **common) for job in jobs]
    else:
        from joblib import Parallel, delayed

        done = Parallel(n_jobs=n_jobs)(
            delayed(_evaluate_one)(head, *job, **common) for job in jobs
        )
    records = [row for rows, _ in done for row in rows]
    seconds = {job[0]: sec for job, (_, sec) in zip(jobs, done, strict=True)}
    metadata = {
        "seed": seed,
        "seeds": _initial_seeds(seed, n_seeds),
        "n_seeds": int(n_seeds),
        "budgets_per_class": per_class,
        "budgets": budgets,
        "n_classes": n_classes,
        "cold_start": bool(cold_start),
        "strategies": {k: repr(v) for k, v in strategies.items()},
        "head": repr(head),
        "embedder": repr(embedder),
        "embedding_dim": int(E.shape[1]),
        "seconds": {"embed": embed_seconds, **seconds},
        **run_metadata(),
    }
    return EvaluationResult(records, metadata=metadata)


def _evaluate_one(
    head,
    name,
    strategy,
    initial,
    *,
    E,
    y,
    E_test,
    y_test,
    budgets,
    n_seeds,
    seed,
    progress,
    stop,
):
    """One strategy's paired runs: ``(records, seconds)``."""
    from ._loop import simulate

    t1 = time.perf_counter()
    result = simulate(
        head,
        {name: strategy},
        E,
        y,
        X_test=E_test,
        y_test=y_test,
        initial=initial,
        budgets=budgets,
        n_repeats=n_seeds,
        random_state=seed,
        progress=progress,
        batch_metrics=False,
        stop=stop,
    )
    return result.records, time.perf_counter() - t1


def _t_half_width(values, confidence):
    n = values.shape[0]
    if n < 2:
        return np.full(values.shape[1:], np.nan)
    sem = values.std(axis=0, ddof=1) / np.sqrt(n)
    return stats.t.ppf(0.5 + confidence / 2, n - 1) * sem


_CONFIDENCE = [Interval(Real, 0, 1, closed="neither")]


@validate_params(
    {"result": [SimulationResult], "metric": [str], "confidence": _CONFIDENCE}
)
def aubc(result, *, metric="accuracy", confidence=0.95):
    """Normalised area under the budget curve, with a confidence interval.

    The area under each seed's curve (trapezoids over the label counts),
    divided by the width of the budget axis
    (:func:`~skactive.metrics.learning_curve_auc`): a curve constant at
    accuracy ``a`` has AUBC ``a``. The interval is Student's t over seeds.

    Parameters
    ----------
    result : SimulationResult
    metric : str, default="accuracy"
    confidence : float, default=0.95

    Returns
    -------
    dict
        ``{strategy: {"mean", "low", "high", "n"}}``.

    Examples
    --------
    >>> from skactive.experiment import SimulationResult, aubc
    >>> rows = [{"strategy": "s", "repeat": k, "round": r, "n_labels": n,
    ...          "accuracy": a + 0.1 * k}
    ...         for k in range(2) for r, (n, a) in enumerate([(10, .5), (30, .7)])]
    >>> {k: round(v, 3) for k, v in aubc(SimulationResult(rows))["s"].items()}
    {'mean': 0.65, 'low': 0.015, 'high': 1.285, 'n': 2}
    """
    out = {}
    for name, values in result.auc(metric).items():
        mean = float(values.mean())
        half = float(_t_half_width(values[:, None], confidence)[0])
        out[name] = {
            "mean": mean,
            "low": mean - half,
            "high": mean + half,
            "n": int(values.size),
        }
    return out


def _as_results(results):
    if isinstance(results, SimulationResult):
        return [results]
    results = list(results)
    if not results or not all(isinstance(r, SimulationResult) for r in results):
        raise InvalidParameterError(
            "penalty_matrix: results must be a SimulationResult or a non-empty "
            "list of them."
        )
    return results


@validate_params(
    {
        "results": [SimulationResult, list, tuple],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "metric": [str],
    }
)
def penalty_matrix(results, *, alpha=0.05, metric="accuracy"):
    """Lüth et al.'s pairwise-penalty matrix over budgets (and experiments).

    For every experiment (one :class:`SimulationResult`: a dataset, say) and
    every budget point of its curves, strategies ``i`` and ``j`` are
    compared by a two-sided paired t-test over the seeds; when ``i`` is
    significantly better (``p < alpha``, mean difference > 0),
    ``P[i, j] += 1 / n_points`` of that experiment. An experiment thus adds
    at most 1 to an entry; a column ``j`` with large entries is a strategy
    that often loses, and a strategy "never loses" when its column is all
    zeros (Ash et al. 2020; Lüth et al. 2023).

    Parameters
    ----------
    results : SimulationResult or list of SimulationResult
        The experiments; each must hold every strategy, on paired repeats.
    alpha : float, default=0.05
    metric : str, default="accuracy"

    Returns
    -------
    names : list of str
        The strategies, in the order of the first experiment.
    matrix : ndarray of shape (n_strategies, n_strategies)
        ``matrix[i, j]``: how often ``i`` beats ``j`` significantly.

    Examples
    --------
    >>> from skactive.experiment import SimulationResult, penalty_matrix
    >>> rows = [{"strategy": s, "repeat": k, "round": r, "n_labels": 10 * (r + 1),
    ...          "accuracy": 0.5 + 0.1 * r + (0.05 + 0.01 * k) * (s == "good")}
    ...         for s in ("random", "good") for k in range(4) for r in range(2)]
    >>> names, P = penalty_matrix(SimulationResult(rows))
    >>> names, P.tolist()
    (['random', 'good'], [[0.0, 0.0], [1.0, 0.0]])
    """
    results = _as_results(results)
    names = results[0].strategies
    k = len(names)
    matrix = np.zeros((k, k))
    for result in results:
        curves = result.curves(metric)
        missing = [n for n in names if n not in curves]
        if missing:
            raise InvalidParameterError(
                f"penalty_matrix: an experiment lacks the strategies {missing}."
            )
        x = curves[names[0]][0]
        for name in names:
            if not np.array_equal(curves[name][0], x):
                raise InvalidParameterError(
                    f"penalty_matrix: strategy {name!r} was measured at other "
                    "budgets than the others in one experiment."
                )
        values = np.stack([curves[n][1] for n in names])  # (k, seeds, points)
        n = values.shape[1]
        if n < 2:
            raise InvalidParameterError(
                "penalty_matrix: a paired t-test needs at least 2 seeds, got 1."
            )
        diff = values[:, None] - values[None, :]  # (k, k, seeds, points)
        mean = diff.mean(axis=2)
        sd = diff.std(axis=2, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = mean / (sd / np.sqrt(n))
        p = 2 * stats.t.sf(np.abs(t), n - 1)
        wins = (p < alpha) & (mean > 0) & (sd > 0)
        matrix += wins.sum(axis=2) / x.size
    return list(names), matrix


@validate_params(
    {
        "names": [list, tuple],
        "matrix": ["array-like"],
        "ax": [HasMethods(["imshow"]), None],
        "path": [str, os.PathLike, None],
    }
)
def plot_penalty_matrix(names, matrix, *, ax=None, path=None):
    """Draw a penalty matrix with its values and column sums.

    Parameters
    ----------
    names : list of str
    matrix : array-like of shape (n, n)
        From :func:`penalty_matrix`.
    ax : matplotlib Axes or None, default=None
    path : str, path-like or None, default=None
        Save the figure there (format of its suffix), atomically.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skactive.experiment import plot_penalty_matrix
    >>> ax = plot_penalty_matrix(["a", "b"], [[0, 1], [0.2, 0]])
    >>> ax.get_title()
    'pairwise penalty: row beats column'
    """
    import matplotlib.pyplot as plt

    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (len(names), len(names)):
        raise InvalidParameterError(
            f"plot_penalty_matrix: matrix has shape {matrix.shape} for "
            f"{len(names)} names."
        )
    if ax is None:
        size = 1.0 + 0.6 * len(names)
        _, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(matrix, cmap="Reds", vmin=0)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, f"{matrix[i, j]:.1f}", ha="center", va="center", fontsize=8)
    column = matrix.sum(axis=0)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(
        [f"{n}\n({c:.1f})" for n, c in zip(names, column, strict=True)],
        rotation=90,
        fontsize=8,
    )
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=8)
    ax.set_title("pairwise penalty: row beats column")
    ax.figure.colorbar(image, ax=ax)
    if path is not None:
        _save_figure(ax.figure, path)
    return ax


def _labels_needed(x, curves, target):
    """Label count where each mean curve first reaches its target (interpolated).

    ``curves`` has shape ``(..., n_points)``, ``target`` shape ``(...)``;
    ``nan`` where a curve never reaches it.
    """
    # a tolerance: the target and the curve's last point are the same mean
    # computed two ways (they may differ in the last bit)
    reached = curves >= target[..., None] - 1e-12
    any_reached = reached.any(axis=-1)
    i = np.argmax(reached, axis=-1)
    prev = np.maximum(i - 1, 0)
    c_i = np.take_along_axis(curves, i[..., None], -1)[..., 0]
    c_p = np.take_along_axis(curves, prev[..., None], -1)[..., 0]
    x_i, x_p = x[i], x[prev]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(c_i > c_p, (target - c_p) / (c_i - c_p), 1.0)
    needed = np.where(i == 0, x[0], x_p + frac * (x_i - x_p))
    return np.where(any_reached, needed, np.nan)


@validate_params(
    {
        "result": [SimulationResult],
        "baseline": [str],
        "metric": [str],
        "n_bootstrap": [Interval(Integral, 1, None, closed="left")],
        "confidence": _CONFIDENCE,
        "random_state": ["random_state"],
    }
)
def labels_saved(
    result,
    *,
    baseline="random",
    metric="accuracy",
    n_bootstrap=1000,
    confidence=0.95,
    random_state=0,
):
    """Labels each strategy saves to reach the baseline's full-budget accuracy.

    The target is the baseline's mean accuracy at its last budget. A
    strategy's *labels needed* is where its mean curve first reaches the
    target (to within 1e-12; linear interpolation between budget points);
    its saving is the
    last budget minus that. The interval is a paired bootstrap over seeds
    (the same resampled seeds for the strategy and the target), percentile
    method; bootstrap samples in which the curve never reaches the target
    are left out of the interval and counted in ``reached``.

    Parameters
    ----------
    result : SimulationResult
        Every strategy on the same budgets and paired repeats, the baseline
        among them.
    baseline : str, default="random"
    metric : str, default="accuracy"
    n_bootstrap : int, default=1000
    confidence : float, default=0.95
    random_state : int, RandomState instance or None, default=0
        Draws the bootstrap samples. Pass an int for reproducible output
        across multiple function calls.

    Returns
    -------
    dict
        ``{strategy: {"target", "budget", "needed", "saved", "low", "high",
        "reached"}}``: ``needed`` and ``saved`` are ``nan`` when the mean
        curve never reaches the target; ``reached`` is the share of
        bootstrap samples where it does.

    Examples
    --------
    >>> from skactive.experiment import SimulationResult, labels_saved
    >>> curves = {"random": (0.5, 0.6, 0.7), "good": (0.5, 0.7, 0.8)}
    >>> rows = [{"strategy": s, "repeat": k, "round": r, "n_labels": n,
    ...          "accuracy": a} for s, c in curves.items() for k in range(3)
    ...         for r, (n, a) in enumerate(zip((10, 20, 40), c))]
    >>> out = labels_saved(SimulationResult(rows), n_bootstrap=50)
    >>> out["good"]["needed"], out["good"]["saved"], out["random"]["saved"]
    (20.0, 20.0, 0.0)
    """
    from sklearn.utils import check_random_state

    curves = result.curves(metric)
    if baseline not in curves:
        raise InvalidParameterError(
            f"labels_saved: no strategy named {baseline!r} (the baseline); "
            f"strategies: {list(curves)}."
        )
    x, base = curves[baseline]
    x = x.astype(float)
    n = base.shape[0]
    rng = check_random_state(random_state)
    boot = rng.randint(0, n, size=(n_bootstrap, n))
    target = float(base[:, -1].mean())
    target_b = base[boot, -1].mean(axis=1)
    lo_q, hi_q = 50 * (1 - confidence), 50 * (1 + confidence)
    out = {}
    for name, (xs, values) in curves.items():
        if not np.array_equal(xs, x) or values.shape[0] != n:
            raise InvalidParameterError(
                f"labels_saved: strategy {name!r} has other budgets or repeats "
                f"than {baseline!r}."
            )
        needed = float(_labels_needed(x, values.mean(axis=0), np.asarray(target)))
        needed_b = _labels_needed(x, values[boot].mean(axis=1), target_b)
        saved_b = x[-1] - needed_b
        finite = saved_b[np.isfinite(saved_b)]
        out[name] = {
            "target": target,
            "budget": float(x[-1]),
            "needed": needed,
            "saved": float(x[-1] - needed),
            "low": float(np.percentile(finite, lo_q)) if finite.size else np.nan,
            "high": float(np.percentile(finite, hi_q)) if finite.size else np.nan,
            "reached": float(finite.size / n_bootstrap),
        }
    return out


@validate_params({"saved": [dict], "baseline": [str]})
def format_labels_saved(saved, *, baseline="random"):
    """One line per strategy of :func:`labels_saved`'s answer.

    Parameters
    ----------
    saved : dict
        The output of :func:`labels_saved`.
    baseline : str, default="random"
        Its name, for the text.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from skactive.experiment import format_labels_saved
    >>> row = {"target": 0.8, "budget": 200.0, "needed": 140.0, "saved": 60.0,
    ...        "low": 20.0, "high": 90.0, "reached": 1.0}
    >>> format_labels_saved({"margin": row})[0]
    "margin: 60 labels saved of 200 [95% CI 20, 90] (reaches random's final accuracy 0.8000 at 140 labels)"
    """  # noqa: E501
    width = max([len(k) for k in saved] or [0])
    lines = []
    for name, row in saved.items():
        head = f"{name + ':':<{width + 1}}"
        if not np.isfinite(row["saved"]):
            lines.append(
                f"{head} does not reach {baseline}'s final accuracy "
                f"{row['target']:.4f} within {row['budget']:.0f} labels "
                f"(reached in {100 * row['reached']:.0f}% of bootstrap samples)"
            )
            continue
        ci = f"[95% CI {row['low']:.0f}, {row['high']:.0f}]"
        if row["reached"] < 1:
            ci += f", reached in {100 * row['reached']:.0f}% of bootstrap samples"
        lines.append(
            f"{head} {row['saved']:.0f} labels saved of {row['budget']:.0f} {ci} "
            f"(reaches {baseline}'s final accuracy {row['target']:.4f} at "
            f"{row['needed']:.0f} labels)"
        )
    return lines
