"""The checkpoint of a simulation: its file format, reading and writing.

A checkpoint is one strict-JSON object::

    {"format": "skactive.experiment.simulate checkpoint",
     "version": 2,
     "sha256": "<hex digest of the canonical JSON of config and runs>",
     "config": {...},    # what the run was started with (see simulate)
     "runs": {"<strategy>/<repeat>": {"labeled": [[indices of round 0], ...],
                                      "records": [{row of round 0}, ...],
                                      "stop": {"<column>": {state}, ...}}}}

``"stop"`` is there only when ``simulate`` was given stopping criteria
(``config["stop"]`` names them): the state of every criterion after the
run's last record (:meth:`skactive.stopping.StoppingCriterion.get_state`:
``n_calls``, ``history``, ``labels``, ``stop_round``, ``stop_labels``,
``last``), and every record then has a boolean column per criterion. A file
without it is read as before (the format version is unchanged: an older
skactive refuses stopping criteria with a checkpoint, so it never meets such
a file as its own configuration).

``NaN`` in the rows is written as ``null``. The checksum covers ``config`` and
``runs`` (``json.dumps(..., sort_keys=True, separators=(",", ":"))``), so a
file edited by hand or damaged on disk is refused rather than resumed with
other picks or with its accuracies copied into the results. Every defect is
reported in one line naming the file, through :class:`InvalidParameterError`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from numbers import Real
from pathlib import Path

import numpy as np

from .._validation import InvalidParameterError
from ._files import atomic_write, finite_or_none

__all__ = ["FORMAT", "VERSION", "Checkpoint", "Layout", "fingerprint"]

FORMAT = "skactive.experiment.simulate checkpoint"
#: Version 1 (skactive 0.1.0.dev0 before the experiment package) had no
#: format marker and no checksum.
VERSION = 2

#: The keys of a result row; the float ones may be ``null`` (``NaN``).
RECORD_KEYS = (
    "strategy",
    "repeat",
    "round",
    "n_labels",
    "accuracy",
    "macro_f1",
    "fit_seconds",
    "query_seconds",
    "class_distance",
    "diversity",
)
_SCORES = ("accuracy", "macro_f1")
_TIMINGS = ("fit_seconds", "query_seconds")
_BATCH = ("class_distance", "diversity")


def fingerprint(array):
    """A short sha256 of an array's shape, dtype and bytes.

    A lazy pool is hashed block by block (its bytes, never all in memory);
    a torch dataset, whose items may be drawn at random (augmentations), by
    its type, length and its ``samples`` (an ``ImageFolder``'s files and
    labels) when it has them.
    """
    from .._rows import is_lazy, row_chunks
    from ..pools import DatasetRows, PoolView, as_pool

    h = hashlib.sha256()
    if is_lazy(array):
        pool = as_pool(array)
        # a view of a dataset: the dataset and the view's rows, nothing read
        view = pool
        while isinstance(view, PoolView):
            h.update(np.asarray(view.indices, dtype=np.int64).tobytes())
            view = view.source
        if isinstance(view, DatasetRows):
            ds = view.dataset
            samples = getattr(ds, "samples", None)
            h.update(repr((type(ds).__qualname__, len(ds), samples)).encode())
            return h.hexdigest()[:16]
        h = hashlib.sha256()
        h.update(str((tuple(pool.shape), _dtype_name(pool.dtype))).encode())
        for _, _, block in row_chunks(pool, 16384):
            h.update(np.ascontiguousarray(block).tobytes())
        return h.hexdigest()[:16]
    a = np.ascontiguousarray(np.asarray(array))
    h.update(str((a.shape, a.dtype.str)).encode())
    h.update(a.tobytes())
    return h.hexdigest()[:16]


def _dtype_name(dtype):
    """numpy's code of a numpy dtype; torch's name of a torch dtype."""
    try:
        return np.dtype(dtype).str
    except TypeError:
        return str(dtype)


def _digest(config, runs):
    text = json.dumps(
        {"config": config, "runs": runs},
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Damaged(Exception):
    """What is wrong with a checkpoint file (turned into one message)."""

    verb = "is damaged"


class _OtherVersion(_Damaged):
    """An intact checkpoint of a format version this skactive cannot resume."""

    verb = "cannot be resumed"


_JSON_KINDS = {list: "an array", str: "a string", bool: "a boolean", int: "a number"}


@dataclass(frozen=True)
class Layout:
    """What the runs of a checkpoint must look like for this simulation.

    Attributes
    ----------
    runs : dict
        ``{"<strategy>/<repeat>": (strategy, repeat)}``, every run expected.
    sizes : tuple of int
        Rows labeled in each round (round 0: the initial set).
    n_pool : int
        Rows in the pool (indices are below it).
    stop_columns : tuple of str
        The record columns of the stopping criteria (``"stop"`` or
        ``"stop_<name>"``); their states are in the run's ``"stop"``.
    """

    runs: dict
    sizes: tuple
    n_pool: int
    stop_columns: tuple = ()


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_run(key, run, layout):
    name, repeat = layout.runs[key]
    if not isinstance(run, dict) or not (
        set(run) == {"labeled", "records"}
        or (layout.stop_columns and set(run) == {"labeled", "records", "stop"})
    ):
        raise _Damaged(f"run {key!r} is not a pair of labeled rows and records")
    labeled, records = run["labeled"], run["records"]
    if not isinstance(labeled, list) or not isinstance(records, list):
        raise _Damaged(f"run {key!r} has no lists of labeled rows and records")
    # on disk a run has one record per round of labels, or none yet
    if not 1 <= len(labeled) <= len(layout.sizes) or len(records) not in (
        len(labeled),
        0 if len(labeled) == 1 else len(labeled),
    ):
        raise _Damaged(
            f"run {key!r} has {len(labeled)} rounds of labeled rows and "
            f"{len(records)} records"
        )
    seen = set()
    for r, rows in enumerate(labeled):
        if not isinstance(rows, list) or not all(_is_int(i) for i in rows):
            raise _Damaged(f"round {r} of run {key!r} has no list of row indices")
        if len(rows) != layout.sizes[r]:
            raise _Damaged(
                f"round {r} of run {key!r} labeled {len(rows)} rows instead of "
                f"{layout.sizes[r]}"
            )
        if any(not 0 <= i < layout.n_pool for i in rows):
            raise _Damaged(
                f"round {r} of run {key!r} has a row index outside the pool "
                f"[0, {layout.n_pool})"
            )
        if seen.intersection(rows) or len(set(rows)) != len(rows):
            raise _Damaged(f"run {key!r} labels a row twice")
        seen.update(rows)
    n_labels = np.cumsum(layout.sizes)
    for r, rec in enumerate(records):
        _check_record(key, r, rec, name, repeat, int(n_labels[r]), layout)
    if layout.stop_columns and records:
        _check_stop_states(key, run.get("stop"), len(records), layout)


_STOP_STATE_KEYS = {
    "n_calls",
    "history",
    "labels",
    "stop_round",
    "stop_labels",
    "last",
}


def _check_stop_states(key, states, n_records, layout):
    """The stopping criteria's states have consulted every stored round."""
    if not isinstance(states, dict) or set(states) != set(layout.stop_columns):
        raise _Damaged(
            f"run {key!r} has no state of its stopping criteria "
            f"{', '.join(map(repr, layout.stop_columns))}"
        )
    for column, st in states.items():
        where = f"the state of {column!r} in run {key!r}"
        if not isinstance(st, dict) or set(st) != _STOP_STATE_KEYS:
            raise _Damaged(f"{where} is not a stopping criterion's state")
        if st["n_calls"] != n_records or not _is_int(st["n_calls"]):
            raise _Damaged(
                f"{where} has consulted {st['n_calls']!r} rounds, not the "
                f"{n_records} stored"
            )
        last = st["last"]
        if last is not None and (
            not isinstance(last, list) or not all(_is_int(v) and v >= 0 for v in last)
        ):
            raise _Damaged(f"{where} has no list of predicted classes")


def _check_record(key, r, rec, name, repeat, n_labels, layout):
    where = f"record {r} of run {key!r}"
    if not isinstance(rec, dict):
        raise _Damaged(f"{where} is not an object")
    keys = (*RECORD_KEYS, *layout.stop_columns)
    missing = [k for k in keys if k not in rec]
    if missing:
        raise _Damaged(f"{where} lacks {', '.join(map(repr, missing))}")
    extra = [k for k in rec if k not in keys]
    if extra:
        raise _Damaged(f"{where} has unknown keys {', '.join(map(repr, extra))}")
    for k in layout.stop_columns:
        if not isinstance(rec[k], bool):
            raise _Damaged(f"{where} has {k} {rec[k]!r}, not a boolean")
    expected = {"strategy": name, "repeat": repeat, "round": r, "n_labels": n_labels}
    for k, v in expected.items():
        if rec[k] != v or type(rec[k]) is not type(v):
            raise _Damaged(f"{where} has {k} {rec[k]!r} instead of {v!r}")

    def number(k, low=0.0, high=math.inf, optional=False):
        v = rec[k]
        if v is None and optional:
            return
        if not isinstance(v, Real) or isinstance(v, bool) or not low <= v <= high:
            raise _Damaged(f"{where} has {k} {v!r}")

    for k in _SCORES:
        number(k, high=1.0)
    for k in _TIMINGS:
        number(k)
    for k in _BATCH:
        number(k, optional=True)


def _read_json(path):
    if path.is_dir():
        raise _Damaged("it is a folder, not a file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _Damaged(f"it cannot be read ({exc.strerror or exc})") from None
    if not raw.strip():
        raise _Damaged("it is empty")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Damaged("it is not valid JSON (truncated or overwritten?)") from None


def _check_file(data):
    """``(config, runs)`` of a parsed checkpoint whose checksum holds."""
    if not isinstance(data, dict):
        kind = _JSON_KINDS.get(type(data), "a number" if data is not None else "null")
        raise _Damaged(f"it holds {kind}, not a JSON object")
    if "format" not in data and {"config", "runs"} <= set(data):
        raise _OtherVersion(
            "it was written by an older skactive (checkpoint format 1, without "
            "a checksum)"
        )
    if data.get("format") != FORMAT:
        raise _Damaged("it is not a skactive simulate checkpoint")
    if data.get("version") != VERSION:
        raise _OtherVersion(
            f"it has format version {data.get('version')!r}, this skactive "
            f"reads version {VERSION}"
        )
    missing = [k for k in ("sha256", "config", "runs") if k not in data]
    if missing:
        raise _Damaged(f"it lacks {', '.join(map(repr, missing))}")
    try:
        digest = _digest(data["config"], data["runs"])
    except (TypeError, ValueError):  # NaN, Infinity
        raise _Damaged("it holds values a checkpoint never does (NaN?)") from None
    if data["sha256"] != digest:
        raise _Damaged("its content does not match its sha256 checksum (edited?)")
    config, runs = data["config"], data["runs"]
    if not isinstance(config, dict) or not isinstance(runs, dict):
        raise _Damaged("its config or runs are not objects")
    seed = config.get("seed")
    if not _is_int(seed) or seed < 0:
        raise _Damaged("its config has no seed")
    return config, runs


def check_checkpoint_file(path):
    """Raise if the checkpoint at ``path`` exists and is damaged.

    The checks of the file itself (JSON, format, version, checksum), without
    the configuration it must match: the command line runs them before
    anything heavy is imported. A missing file passes (it will be written).

    Parameters
    ----------
    path : str or pathlib.Path
        The checkpoint.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    try:
        _check_file(_read_json(path))
    except _Damaged as exc:
        raise _damaged(path, exc) from None


def _restore_nan(runs):
    for run in runs.values():
        for rec in run["records"]:
            for k in _BATCH:
                if rec[k] is None:
                    rec[k] = float("nan")
    return runs


def _damaged(path, reason):
    return InvalidParameterError(
        f"checkpoint {str(path)!r} {reason.verb}: {reason}; remove it or choose "
        "another checkpoint path."
    )


def _check_same_config(path, old, config):
    keys = set(old) | set(config)
    differ = sorted(k for k in keys if old.get(k) != config.get(k))
    if differ:
        details = "; ".join(
            f"{k}: checkpoint {old.get(k)!r} vs now {config.get(k)!r}" for k in differ
        )
        raise InvalidParameterError(
            f"checkpoint {str(path)!r} was written by a different configuration "
            f"({details}); use another checkpoint path or remove it."
        )


class Checkpoint:
    """The state of a simulation, written to a file after every round.

    Parameters
    ----------
    path : str, pathlib.Path or None
        The file; ``None`` keeps the state in memory only.
    config : dict
        What the simulation was started with (JSON values).
    runs : dict or None, default=None
        ``{"<strategy>/<repeat>": {"labeled": [...], "records": [...]}}``.
    """

    def __init__(self, path, config, runs=None):
        self.path = None if path is None else Path(path)
        self.config = config
        self.runs = {} if runs is None else runs

    @classmethod
    def resume(cls, path, config, layout, *, adopt_seed=False):
        """The checkpoint at ``path``, checked; ``None`` if there is none.

        The file is checked in three steps: it is an intact checkpoint of
        this format (its checksum holds), it was written for ``config``,
        and its runs have the ``layout`` of that configuration.

        Parameters
        ----------
        path : str or pathlib.Path
            The file.
        config : dict
            The configuration of the simulation to resume.
        layout : Layout
            What its runs must look like.
        adopt_seed : bool, default=False
            Take the stored ``"seed"`` instead of ``config``'s (the caller
            asked for fresh seeds, ``random_state=None``, and resumes).

        Returns
        -------
        Checkpoint or None

        Raises
        ------
        InvalidParameterError
            In one line naming the file: if it is damaged (a folder, empty,
            not JSON, not a checkpoint, of another version, edited, with an
            index out of range or a key missing...), or if it was written for
            another configuration.
        """
        path = Path(path)
        if not path.is_dir() and not path.exists():
            return None
        try:
            stored, runs = _check_file(_read_json(path))
        except _Damaged as exc:
            raise _damaged(path, exc) from None
        if adopt_seed:
            config = {**config, "seed": stored["seed"]}
        _check_same_config(path, stored, config)
        try:
            for key, run in runs.items():
                if key not in layout.runs:
                    raise _Damaged(f"it has an unknown run {key!r}")
                _check_run(key, run, layout)
        except _Damaged as exc:
            raise _damaged(path, exc) from None
        return cls(path, stored, _restore_nan(runs))

    def n_records(self):
        """Rows stored so far, over all runs."""
        return sum(len(run["records"]) for run in self.runs.values())

    def save(self):
        """Write the state atomically (nothing without a path)."""
        if self.path is None:
            return
        runs = finite_or_none(self.runs)
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "sha256": _digest(self.config, runs),
            "config": self.config,
            "runs": runs,
        }
        atomic_write(self.path, json.dumps(payload, allow_nan=False))
