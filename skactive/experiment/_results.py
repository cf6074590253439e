"""The result of a simulation: its rows, curves, AUC summaries, files and plot."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from scipy import stats

from .._validation import (
    HasMethods,
    InvalidParameterError,
    validate_parameter_constraints,
    validate_params,
)
from ..metrics import learning_curve_auc
from ._files import RESULT_FILES, atomic_write, check_results_folder, strict_json

__all__ = [
    "SimulationResult",
    "plot_learning_curves",
    "RESULT_FILES",
    "check_results_folder",
    "write_results",
]


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

    See Also
    --------
    simulate : Runs the simulation that returns it.
    plot_learning_curves : Plots its mean learning curves.

    Examples
    --------
    >>> from skactive.experiment import SimulationResult
    >>> rows = [
    ...     {"strategy": s, "repeat": 0, "round": r, "n_labels": n, "accuracy": a}
    ...     for s, accuracies in {"random": (0.5, 0.6, 0.7),
    ...                           "margin": (0.5, 0.7, 0.8)}.items()
    ...     for r, (n, a) in enumerate(zip((10, 20, 30), accuracies))
    ... ]
    >>> result = SimulationResult(rows)
    >>> result
    SimulationResult(6 rows, strategies=['margin', 'random'])
    >>> {name: aucs.round(3).tolist() for name, aucs in result.auc().items()}
    {'random': [0.6], 'margin': [0.675]}
    >>> [round(row["diff_mean"], 3) for row in result.summary() if "diff_mean" in row]
    [0.075]
    """

    _parameter_constraints = {"records": [Iterable]}

    def __init__(self, records):
        validate_parameter_constraints(
            self._parameter_constraints, {"records": records}, "SimulationResult"
        )
        self.records = list(records)

    def __len__(self):
        return len(self.records)

    def __repr__(self):
        names = sorted({r["strategy"] for r in self.records})
        return f"SimulationResult({len(self.records)} rows, strategies={names})"

    @property
    def strategies(self):
        """Strategy names, in order of appearance.

        Examples
        --------
        >>> from skactive.experiment import SimulationResult
        >>> result = SimulationResult(
        ...     {"strategy": s, "repeat": 0, "round": r, "n_labels": 10 * (r + 1),
        ...      "accuracy": a}
        ...     for s, curve in {"random": (0.5, 0.6), "margin": (0.5, 0.7)}.items()
        ...     for r, a in enumerate(curve))
        >>> result.strategies
        ['random', 'margin']
        """
        return list(dict.fromkeys(r["strategy"] for r in self.records))

    def to_frame(self):
        """The rows as a :class:`pandas.DataFrame` (pandas must be installed).

        Returns
        -------
        pandas.DataFrame
            One row per record, one column per key.

        Examples
        --------
        >>> from skactive.experiment import SimulationResult
        >>> result = SimulationResult(
        ...     {"strategy": s, "repeat": 0, "round": r, "n_labels": 10 * (r + 1),
        ...      "accuracy": a}
        ...     for s, curve in {"random": (0.5, 0.6), "margin": (0.5, 0.7)}.items()
        ...     for r, a in enumerate(curve))
        >>> result.to_frame().groupby("strategy")["accuracy"].max().to_dict()
        {'margin': 0.7, 'random': 0.6}
        """
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

        Examples
        --------
        >>> from skactive.experiment import SimulationResult
        >>> result = SimulationResult(
        ...     {"strategy": s, "repeat": 0, "round": r, "n_labels": 10 * (r + 1),
        ...      "accuracy": a}
        ...     for s, curve in {"random": (0.5, 0.6), "margin": (0.5, 0.7)}.items()
        ...     for r, a in enumerate(curve))
        >>> n_labels, accuracy = result.curves()["margin"]
        >>> n_labels.tolist(), accuracy.tolist()
        ([10, 20], [[0.5, 0.7]])
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
            :func:`~skactive.metrics.learning_curve_auc` of each repeat's
            curve (repeats sorted).

        Examples
        --------
        >>> from skactive.experiment import SimulationResult
        >>> result = SimulationResult(
        ...     {"strategy": s, "repeat": 0, "round": r, "n_labels": 10 * (r + 1),
        ...      "accuracy": a}
        ...     for s, curve in {"random": (0.5, 0.6), "margin": (0.5, 0.7)}.items()
        ...     for r, a in enumerate(curve))
        >>> {name: aucs.tolist() for name, aucs in result.auc().items()}
        {'random': [0.55], 'margin': [0.6]}
        """
        return {
            name: np.array([learning_curve_auc(x, row) for row in values])
            for name, (x, values) in self.curves(metric).items()
        }

    def stopping(self, column="stop"):
        """The labels at which a stopping criterion fired, per strategy and repeat.

        Parameters
        ----------
        column : str, default="stop"
            The boolean column :func:`simulate` wrote for the criterion
            (``"stop"`` for one criterion, ``"stop_<name>"`` for a dict).

        Returns
        -------
        dict
            ``{strategy: n_labels}``: an array of shape ``(n_repeats,)``
            (repeats sorted) of the label count of the first row where the
            criterion had fired, ``nan`` where it never did.

        Examples
        --------
        >>> from skactive.experiment import SimulationResult
        >>> result = SimulationResult(
        ...     {"strategy": "random", "repeat": rep, "round": r,
        ...      "n_labels": 10 * (r + 1), "accuracy": 0.5, "stop": r >= fire}
        ...     for rep, fire in enumerate((1, 5)) for r in range(3))
        >>> result.stopping()["random"].tolist()
        [20.0, nan]
        """
        if self.records and column not in self.records[0]:
            raise InvalidParameterError(
                f"SimulationResult.stopping: the rows have no column {column!r}; "
                "columns: " + ", ".join(sorted(self.records[0])) + "."
            )
        out = {}
        for name in self.strategies:
            rows = [r for r in self.records if r["strategy"] == name]
            repeats = sorted({r["repeat"] for r in rows})
            fired = np.full(len(repeats), np.nan)
            for r in sorted(rows, key=lambda r: r["n_labels"]):
                i = repeats.index(r["repeat"])
                if r[column] and np.isnan(fired[i]):
                    fired[i] = r["n_labels"]
            out[name] = fired
        return out

    def labels_saved(self, baseline="random", *, n_bootstrap=1000, random_state=0):
        """One line per strategy: labels saved to reach the baseline's final accuracy.

        See :func:`~skactive.experiment.labels_saved` (the numbers) and
        :func:`~skactive.experiment.format_labels_saved` (the lines).

        Parameters
        ----------
        baseline : str, default="random"
            The strategy whose full-budget accuracy is the target.
        n_bootstrap : int, default=1000
            Bootstrap samples over repeats.
        random_state : int, RandomState instance or None, default=0
            Draws the bootstrap samples. Pass an int for reproducible output
            across multiple function calls.

        Returns
        -------
        list of str

        Examples
        --------
        >>> from skactive.experiment import SimulationResult
        >>> curves = {"random": (0.5, 0.6, 0.7), "good": (0.5, 0.7, 0.8)}
        >>> result = SimulationResult(
        ...     {"strategy": s, "repeat": k, "round": r, "n_labels": n,
        ...      "accuracy": a} for s, c in curves.items() for k in range(3)
        ...     for r, (n, a) in enumerate(zip((10, 20, 40), c)))
        >>> result.labels_saved(n_bootstrap=20)[1].split(" [")[0]
        'good:   20 labels saved of 40'
        """
        from ._protocol import format_labels_saved, labels_saved

        saved = labels_saved(
            self, baseline=baseline, n_bootstrap=n_bootstrap, random_state=random_state
        )
        return format_labels_saved(saved, baseline=baseline)

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
            One per strategy: ``strategy``, ``auc_mean``, ``auc_sem`` (0 with
            one repeat), ``final_mean`` (mean of the last point of the curves),
            ``fit_seconds_mean`` and ``query_seconds_mean`` (the mean seconds
            per round of the refit and of the selection, over the rounds
            after the first; present when the rows record them), so that,
            say, a strategy and its :class:`~skactive.strategies.SelectionViaProxy`
            compare selection time and final accuracy side by side; and, when
            the baseline is present, on the other strategies' rows
            ``diff_mean``, ``diff_low``, ``diff_high``.

        Examples
        --------
        >>> from skactive.experiment import SimulationResult
        >>> result = SimulationResult(
        ...     {"strategy": s, "repeat": 0, "round": r, "n_labels": 10 * (r + 1),
        ...      "accuracy": a}
        ...     for s, curve in {"random": (0.5, 0.6), "margin": (0.5, 0.7)}.items()
        ...     for r, a in enumerate(curve))
        >>> margin = result.summary(baseline="random")[1]
        >>> margin["strategy"], round(margin["diff_mean"], 3), margin["diff_low"]
        ('margin', 0.05, nan)
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
            row.update(self._mean_seconds(name))
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

    def _mean_seconds(self, name):
        """``{key_mean: seconds}`` per round of ``name``'s queries and refits."""
        rows = [
            r for r in self.records if r["strategy"] == name and r.get("round", 0) > 0
        ]
        out = {}
        for key in ("fit_seconds", "query_seconds"):
            if rows and all(key in r for r in rows):
                values = np.asarray([r[key] for r in rows], dtype=np.float64)
                if np.isfinite(values).any():
                    out[f"{key}_mean"] = float(np.nanmean(values))
        return out

    def to_csv(self, path):
        """Write the rows as CSV (atomically).

        One line per row under a header of the first row's keys; a value
        containing a comma is quoted.

        Parameters
        ----------
        path : str or pathlib.Path
            The file to write (replaced if it exists; a symbolic link there is
            replaced, not written through); missing parent directories are
            created.

        Examples
        --------
        >>> from skactive.experiment import SimulationResult
        >>> result = SimulationResult(
        ...     {"strategy": s, "repeat": 0, "round": r, "n_labels": 10 * (r + 1),
        ...      "accuracy": a}
        ...     for s, curve in {"random": (0.5, 0.6), "margin": (0.5, 0.7)}.items()
        ...     for r, a in enumerate(curve))
        >>> import tempfile
        >>> from pathlib import Path
        >>> path = Path(tempfile.mkdtemp()) / "results.csv"
        >>> result.to_csv(path)
        >>> path.read_text().splitlines()[:2]
        ['strategy,repeat,round,n_labels,accuracy', 'random,0,0,10,0.5']
        """
        atomic_write(Path(path), self._csv_text())

    def _csv_text(self):
        keys = list(self.records[0]) if self.records else []
        lines = [",".join(keys)]
        for r in self.records:
            lines.append(",".join(_csv_cell(r[k]) for k in keys))
        return "\n".join(lines) + "\n"

    def to_json(self, path):
        """Write the rows and the summary as JSON (atomically).

        The file holds ``{"records": rows, "summary": summary()}``, the
        summary with its default arguments. It is strict JSON, which every
        parser accepts: ``NaN`` (the class distance and diversity of round
        0, an interval over one repeat) is written as ``null``.

        Parameters
        ----------
        path : str or pathlib.Path
            The file to write (replaced if it exists; a symbolic link there is
            replaced, not written through); missing parent directories are
            created.

        Examples
        --------
        >>> from skactive.experiment import SimulationResult
        >>> result = SimulationResult(
        ...     {"strategy": s, "repeat": 0, "round": r, "n_labels": 10 * (r + 1),
        ...      "accuracy": a}
        ...     for s, curve in {"random": (0.5, 0.6), "margin": (0.5, 0.7)}.items()
        ...     for r, a in enumerate(curve))
        >>> import json, tempfile
        >>> from pathlib import Path
        >>> path = Path(tempfile.mkdtemp()) / "results.json"
        >>> result.to_json(path)
        >>> payload = json.loads(path.read_text())
        >>> len(payload["records"]), payload["summary"][1]["diff_low"]
        (4, None)
        """
        atomic_write(Path(path), self._json_text())

    def _json_text(self):
        payload = {"records": self.records, "summary": self.summary()}
        return strict_json(payload, indent=1, default=float)


def _csv_cell(value):
    text = str(value)
    return f'"{text}"' if "," in text else text


@validate_params(
    {
        "result": [SimulationResult],
        "metric": [str],
        "ax": [HasMethods(["plot", "fill_between"]), None],
        "path": [str, os.PathLike, None],
    }
)
def plot_learning_curves(result, *, metric="accuracy", ax=None, path=None):
    """Plot mean learning curves with a shaded standard error, one per strategy.

    Parameters
    ----------
    result : SimulationResult
        The rows to plot.
    metric : str, default="accuracy"
        The column of the rows to plot (see :meth:`SimulationResult.curves`).
    ax : matplotlib Axes or None, default=None
        Drawn on a new figure when None.
    path : str, path-like or None, default=None
        Save the figure there, atomically, in the format of its suffix.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    See Also
    --------
    SimulationResult.curves : The curves plotted.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skactive.experiment import SimulationResult, plot_learning_curves
    >>> result = SimulationResult(
    ...     {"strategy": "random", "repeat": 0, "round": r, "n_labels": n,
    ...      "accuracy": a}
    ...     for r, (n, a) in enumerate([(10, 0.5), (20, 0.6), (30, 0.7)]))
    >>> ax = plot_learning_curves(result)
    >>> [line.get_label() for line in ax.get_lines()]
    ['random']
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
        _mark_stops(ax, result, name, x, mean, line.get_color())
    ax.set_xlabel("labels")
    ax.set_ylabel(metric.replace("_", " "))
    ax.legend()
    ax.grid(alpha=0.3)
    if path is not None:
        _save_figure(ax.figure, path)
    return ax


def _mark_stops(ax, result, name, x, mean, color):
    """A marker at the median labels where each stopping criterion fired."""
    columns = [k for k in (result.records[0] if result.records else ()) if k == "stop"]
    columns += [
        k for k in (result.records[0] if result.records else ()) if k[:5] == "stop_"
    ]
    for column in columns:
        fired = result.stopping(column)[name]
        if np.all(np.isnan(fired)):
            continue
        at = float(np.nanmedian(fired))
        ax.plot(
            [at], [np.interp(at, x, mean)], marker="v", ms=8, color=color, ls="none"
        )


def _save_figure(figure, path):
    """Save ``figure`` atomically, in the format of ``path``'s suffix."""
    buffer = io.BytesIO()
    figure.savefig(
        buffer, format=Path(path).suffix[1:] or None, bbox_inches="tight", dpi=120
    )
    atomic_write(Path(path), buffer.getvalue())


def _png(result):
    """The learning curves as PNG bytes (no pyplot: no backend is touched)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    plot_learning_curves(result, ax=figure.subplots())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", dpi=120)
    return buffer.getvalue()


def write_results(result, folder, *, overwrite=False):
    """Write :data:`RESULT_FILES` of ``result`` into ``folder``, atomically.

    Parameters
    ----------
    result : SimulationResult
        The rows to write.
    folder : str or pathlib.Path
        Created if missing.
    overwrite : bool, default=False
        Replace existing result files; a symbolic link in their place is
        refused either way.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    folder = check_results_folder(folder, overwrite=overwrite)
    contents = {
        "results.csv": result._csv_text(),
        "results.json": result._json_text(),
        "learning_curves.png": _png(result),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        atomic_write(folder / name, data, overwrite=overwrite)
    return [folder / name for name in RESULT_FILES]
