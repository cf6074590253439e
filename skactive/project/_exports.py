"""Reading annotations back: Label Studio exports and plain CSV files.

:func:`read_export` turns a file into one :class:`ExportRow` per task (or
CSV row), whatever its format:

* Label Studio's JSON export (a list of tasks with ``data`` and
  ``annotations``; a cancelled -- skipped -- annotation counts as none);
* Label Studio's JSON-MIN export (a list of flat objects: the task's data
  fields and one key per control, ``"choice": "cat"``);
* Label Studio's CSV export, and a plain CSV with the columns ``path,label``.

:func:`import_rows` checks every row against a project (its classes, its
pool, the labels it has) and returns an :class:`ImportReport`; nothing is
written until every row is valid (or invalid rows are asked to be skipped).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from .._errors import InvalidParameterError
from .._validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from ._project import Project

__all__ = ["ExportRow", "ImportReport", "read_export", "import_rows"]

#: Columns (in order of preference) naming the image of a row.
_REF_KEYS = ("skactive_path", "path", "image")
#: Columns (in order of preference) holding the class of a row.
_LABEL_KEYS = ("label", "choice", "choices", "class")
#: Statuses of rows that are errors (the others are fine or only noted).
ERRORS = ("unknown-class", "not-in-pool", "conflict", "bad-row")


@dataclass
class ExportRow:
    """One task (or CSV row) of an export.

    Parameters
    ----------
    row : int
        1-based position in the file (a task of a JSON list, a CSV line
        after the header).
    ref : str or None
        How the row names its image (``skactive_path``, a path or the task's
        image URL).
    labels : list of str
        The class of each non-skipped annotation (several annotators give
        several).
    status : str
        ``"ok"``, ``"skipped"`` (every annotation cancelled), ``"empty"``
        (no annotation, or one without a choice) or ``"bad-row"``.
    message : str
        Why the status, when not ``"ok"``.
    """

    row: int
    ref: str | None
    labels: list = field(default_factory=list)
    status: str = "ok"
    message: str = ""

    _parameter_constraints = {
        "row": [Interval(Integral, 1, None, closed="left")],
        "ref": [str, None],
        "labels": [list],
        "status": [StrOptions({"ok", "skipped", "empty", "bad-row"})],
        "message": [str],
    }

    def __post_init__(self):
        validate_parameter_constraints(
            self._parameter_constraints, vars(self), "ExportRow"
        )


def _choices(value):
    """Class names of a JSON-MIN / CSV cell or a result's ``value``."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = value.get("choices", [])
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("{") or value.startswith("["):
            try:
                return _choices(json.loads(value))
            except ValueError:
                return [value]
        return [value] if value else []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _ref(data):
    for key in _REF_KEYS:
        if data.get(key):
            return str(data[key])
    return None


def _full_task(i, task, label_field):
    data = task.get("data")
    if not isinstance(data, dict):
        return ExportRow(i, None, status="bad-row", message="the task has no data")
    ref = _ref(data)
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list):
        return ExportRow(i, ref, status="bad-row", message="annotations not a list")
    labels, cancelled = [], 0
    for ann in annotations:
        if not isinstance(ann, dict):
            return ExportRow(i, ref, status="bad-row", message="bad annotation")
        if ann.get("was_cancelled"):
            cancelled += 1
            continue
        chosen = []
        for result in ann.get("result") or []:
            if not isinstance(result, dict) or result.get("type") != "choices":
                continue
            if label_field is not None and result.get("from_name") != label_field:
                continue
            chosen += _choices(result.get("value"))
        if len(chosen) > 1:
            return ExportRow(
                i,
                ref,
                status="bad-row",
                message=f"an annotation chose {len(chosen)} classes {chosen}",
            )
        labels += chosen
    if labels:
        return ExportRow(i, ref, labels)
    if cancelled and cancelled == len(annotations):
        return ExportRow(i, ref, status="skipped", message="annotation skipped")
    return ExportRow(i, ref, status="empty", message="no annotation")


def _flat_row(i, row, label_field):
    ref = _ref(row)
    keys = (label_field,) if label_field is not None else _LABEL_KEYS
    for key in keys:
        if key in row:
            labels = _choices(row[key])
            if len(labels) > 1:
                return ExportRow(
                    i, ref, status="bad-row", message=f"several classes {labels}"
                )
            if labels:
                return ExportRow(i, ref, labels)
            break
    return ExportRow(i, ref, status="empty", message="no label")


@validate_params({"path": ["path"], "label_field": [str, None]})
def read_export(path, *, label_field=None):
    """Read a Label Studio export or a CSV of ``path,label``.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.json`` file (Label Studio JSON or JSON-MIN export) or a ``.csv``
        file (Label Studio CSV export, or columns ``path`` and ``label``).
    label_field : str or None, default=None
        The ``<Choices>`` control's name; ``None`` takes any choice (JSON)
        or the first of the columns ``label``, ``choice``, ``choices``,
        ``class`` (JSON-MIN, CSV).

    Returns
    -------
    list of ExportRow
        One per task or CSV row, in file order.

    Raises
    ------
    InvalidParameterError
        If the file is missing or is not valid JSON / CSV of these formats
        (the message names the file and, for JSON, the line and column).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skactive.project import read_export
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "labels.csv"
    >>> _ = f.write_text("path,label\\na.png,cat\\nb.png,\\n")
    >>> [(r.ref, r.labels, r.status) for r in read_export(f)]
    [('a.png', ['cat'], 'ok'), ('b.png', [], 'empty')]
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidParameterError(f"export {str(path)!r}: no such file.")
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidParameterError(
            f"export {str(path)!r} cannot be read: {exc}"
        ) from exc
    if path.suffix.lower() == ".json" or text.lstrip()[:1] in ("[", "{"):
        return _read_json(path, text, label_field)
    return _read_csv(path, text, label_field)


def _read_json(path, text, label_field):
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidParameterError(
            f"export {str(path)!r} is not valid JSON (line {exc.lineno}, column "
            f"{exc.colno}: {exc.msg}); export it again from Label Studio."
        ) from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise InvalidParameterError(
            f"export {str(path)!r}: a Label Studio export is a JSON list of tasks."
        )
    rows = []
    for i, task in enumerate(tasks, 1):
        if not isinstance(task, dict):
            rows.append(ExportRow(i, None, status="bad-row", message="not an object"))
        elif "annotations" in task or "data" in task:
            rows.append(_full_task(i, task, label_field))
        else:
            rows.append(_flat_row(i, task, label_field))
    return rows


def _read_csv(path, text, label_field):
    reader = csv.DictReader(text.splitlines())
    columns = reader.fieldnames or []
    if not any(k in columns for k in _REF_KEYS):
        raise InvalidParameterError(
            f"export {str(path)!r}: a CSV needs a column naming the image "
            f"({', '.join(_REF_KEYS)}); it has {', '.join(columns) or 'none'}."
        )
    keys = (label_field,) if label_field is not None else _LABEL_KEYS
    if not any(k in columns for k in keys):
        raise InvalidParameterError(
            f"export {str(path)!r}: a CSV needs a label column "
            f"({', '.join(keys)}); it has {', '.join(columns)}."
        )
    rows = []
    try:
        for i, row in enumerate(reader, 1):
            if None in row:  # more cells than the header
                rows.append(
                    ExportRow(i, None, status="bad-row", message="too many cells")
                )
                continue
            rows.append(_flat_row(i, {k: v or "" for k, v in row.items()}, label_field))
    except csv.Error as exc:
        raise InvalidParameterError(f"export {str(path)!r}: bad CSV ({exc}).") from None
    return rows


# ---------------------------------------------------------------- resolving
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")


def _resolver(project):
    """A function mapping a row's ``ref`` to a manifest path (or ``None``)."""
    manifest = project.manifest
    template = project.settings.get("image_url", "{path}")
    head, _, tail = template.partition("{path}")
    by_name = {}
    for p in manifest:
        by_name.setdefault(p.rsplit("/", 1)[-1], []).append(p)

    def candidates(ref):
        yield ref
        if head and ref.startswith(head) and ref.endswith(tail):
            yield unquote(ref[len(head) : len(ref) - len(tail)])
        url = urlparse(ref)
        yield from parse_qs(url.query).get("d", [])
        yield unquote(url.path)

    def resolve(ref):
        if not ref:
            return None
        for c in candidates(ref):
            c = c.lstrip("/") if c not in manifest else c
            if c in manifest:
                return c
            parts = c.split("/")
            for k in range(1, len(parts)):  # a longer root before the path
                if "/".join(parts[k:]) in manifest:
                    return "/".join(parts[k:])
        # an upload: /data/upload/1/1a2b3c4d-name.png
        name = _UPLOAD_PREFIX.sub("", unquote(urlparse(ref).path).rsplit("/", 1)[-1])
        found = by_name.get(name, [])
        return found[0] if len(found) == 1 else None

    return resolve


@dataclass
class ImportReport:
    """What an import did (or would do) with each row.

    Parameters
    ----------
    rows : list of dict
        One per row: ``row``, ``ref``, ``path`` (in the pool, or ``None``),
        ``label``, ``status`` and ``message``. Statuses: ``"new"`` (added),
        ``"same"`` (already labelled so: nothing to do), ``"skipped"``,
        ``"empty"``, and the errors ``"unknown-class"``, ``"not-in-pool"``,
        ``"conflict"``, ``"bad-row"``.
    new : dict
        Image path -> class of the labels to add.
    """

    rows: list = field(default_factory=list)
    new: dict = field(default_factory=dict)

    _parameter_constraints = {"rows": [list], "new": [dict]}

    def __post_init__(self):
        validate_parameter_constraints(
            self._parameter_constraints, vars(self), "ImportReport"
        )

    def count(self, status):
        """Number of rows with ``status``.

        Parameters
        ----------
        status : str
            A row status (``"new"``, ``"same"``, ``"conflict"`` ...).

        Returns
        -------
        int
            The number of rows.
        """
        return sum(r["status"] == status for r in self.rows)

    @property
    def errors(self):
        """list of dict: The rows whose status is an error."""
        return [r for r in self.rows if r["status"] in ERRORS]

    def summary(self):
        """One line: how many rows of each status."""
        order = ("new", "same", "skipped", "empty", *ERRORS)
        parts = [f"{self.count(s)} {s}" for s in order if self.count(s)]
        return f"{len(self.rows)} rows: " + (", ".join(parts) or "none")

    def text(self, *, limit=50):
        """The summary and one line per row that is not ``new`` or ``same``.

        Parameters
        ----------
        limit : int, default=50
            Most rows listed.

        Returns
        -------
        str
            The report.
        """
        lines = [self.summary()]
        noted = [r for r in self.rows if r["status"] not in ("new", "same")]
        for r in noted[:limit]:
            lines.append(
                f"  row {r['row']}: {r['status']}: {r['message']} (image {r['ref']!r})"
            )
        if len(noted) > limit:
            lines.append(f"  ... and {len(noted) - limit} more")
        return "\n".join(lines)

    def raise_if_invalid(self, what="the export"):
        """Raise :class:`InvalidParameterError` listing the invalid rows, if any.

        Parameters
        ----------
        what : str, default="the export"
            What the rows came from, to start the message.
        """
        if self.errors:
            bad = ImportReport([r for r in self.rows if r["status"] in ERRORS])
            raise InvalidParameterError(
                f"{what}: {len(self.errors)} invalid row(s), nothing imported:\n"
                + "\n".join(bad.text().splitlines()[1:])
            )


@validate_params(
    {
        "project": [Project],
        "rows": [list],
        "source": [str],
        "relabel": ["boolean"],
    }
)
def import_rows(project, rows, *, source="import", relabel=False):
    """Check ``rows`` against ``project``: what importing them would add.

    Nothing is written: :func:`skactive.project.import_labels` writes
    ``report.new`` once the report has no errors.

    Parameters
    ----------
    project : Project
        The project (its classes, manifest and labels).
    rows : list of ExportRow
        From :func:`read_export`.
    source : str, default="import"
        Recorded with each new label.
    relabel : bool, default=False
        A label that differs from the one the project has replaces it
        (``False``: it is a ``"conflict"`` error).

    Returns
    -------
    ImportReport
        One entry per row.
    """
    classes = set(project.classes)
    resolve = _resolver(project)
    report = ImportReport()
    seen = {}  # path -> (row, label) within this export
    for r in rows:
        entry = {"row": r.row, "ref": r.ref, "path": None, "label": None}
        path = resolve(r.ref) if r.status != "bad-row" else None
        entry["path"] = path
        if r.status != "ok":
            report.rows.append({**entry, "status": r.status, "message": r.message})
            continue
        unknown = sorted(set(r.labels) - classes)
        distinct = sorted(set(r.labels))
        if unknown:
            status, message = (
                "unknown-class",
                (f"class {unknown[0]!r} is not one of {', '.join(project.classes)}"),
            )
        elif path is None:
            status, message = "not-in-pool", "the image is not in the pool"
        elif len(distinct) > 1:
            status, message = "conflict", f"annotators disagree: {distinct}"
        elif path in seen and seen[path][1] != distinct[0]:
            report.new.pop(path, None)
            status, message = (
                "conflict",
                (
                    f"row {seen[path][0]} labels it {seen[path][1]!r}, this row "
                    f"{distinct[0]!r}"
                ),
            )
        elif path in seen:
            status, message = "same", f"a repeat of row {seen[path][0]}"
        else:
            label = distinct[0]
            old = project.labels.get(path)
            current = old is not None and old["sha256"] == project.manifest[path]
            if current and old["label"] == label:
                status, message = "same", "already labelled so"
            elif current and not relabel:
                status, message = (
                    "conflict",
                    (
                        f"labelled {old['label']!r} already (round {old['round']}); "
                        f"this row says {label!r}"
                    ),
                )
            else:
                status, message = "new", ""
                report.new[path] = label
            seen[path] = (r.row, label)
        entry["label"] = distinct[0] if distinct else None
        report.rows.append({**entry, "status": status, "message": message})
    for path, label in list(report.new.items()):
        report.new[path] = {
            "label": label,
            "sha256": project.manifest[path],
            "round": str(project.round),
            "source": source,
        }
    return report
