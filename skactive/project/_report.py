"""A round's report: one self-contained HTML page.

The learning curve (cross-validated accuracy on the labelled images, round
by round), the class balance of the labels, and the batch's thumbnails with
their scores and predicted classes. Charts are inline SVG and thumbnails
inline PNG, so the page needs no other file and no plotting library.
"""

from __future__ import annotations

import base64
from html import escape

from .._validation import validate_params
from ..experiment._files import atomic_write
from ._images import ImageFiles, quiet_torchvision_io
from ._project import Project

__all__ = ["write_report"]

_W, _H, _PAD = 420, 200, 36


def _curve_svg(points):
    """An SVG line chart of ``(n_labels, accuracy)`` points."""
    if not points:
        return "<p>No cross-validated accuracy yet (too few labels).</p>"
    xs = [p[0] for p in points]
    x0, x1 = min(xs), max(max(xs), min(xs) + 1)

    def sx(x):
        return _PAD + (x - x0) / (x1 - x0) * (_W - 2 * _PAD)

    def sy(y):
        return _H - _PAD - y * (_H - 2 * _PAD)

    line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    dots = "".join(
        f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3"><title>{x} labels: '
        f"{y:.3f}</title></circle>"
        for x, y in points
    )
    ticks = "".join(
        f'<text x="{_PAD - 4}" y="{sy(t) + 4:.1f}" text-anchor="end" '
        f'font-size="10">{t:.1f}</text>'
        for t in (0.0, 0.5, 1.0)
    )
    return (
        f'<svg width="{_W}" height="{_H}" role="img" aria-label="learning curve">'
        f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" '
        f'stroke="#888"/><line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" '
        f'y2="{_H - _PAD}" stroke="#888"/>{ticks}'
        f'<polyline points="{line}" fill="none" stroke="#1f77b4" stroke-width="2"/>'
        f'{dots}<text x="{_W / 2}" y="{_H - 6}" text-anchor="middle" '
        f'font-size="11">labels</text></svg>'
    )


def _bars_svg(counts):
    """An SVG bar chart of the labels per class."""
    top = max(max(counts.values()), 1)
    bar = 22
    height = bar * len(counts) + 10
    rows = []
    for i, (name, k) in enumerate(counts.items()):
        w = (_W - 160) * k / top
        y = 5 + i * bar
        rows.append(
            f'<text x="110" y="{y + 14}" text-anchor="end" font-size="11">'
            f'{escape(name)}</text><rect x="116" y="{y + 3}" width="{w:.1f}" '
            f'height="{bar - 6}" fill="#ff7f0e"/><text x="{120 + w:.1f}" '
            f'y="{y + 14}" font-size="11">{k}</text>'
        )
    return (
        f'<svg width="{_W}" height="{height}" role="img" aria-label="class '
        f'balance">{"".join(rows)}</svg>'
    )


def _thumbnail(path, size=64):
    from torchvision.io import encode_png

    try:
        image = ImageFiles([path], size=size)[0]
    except ValueError:
        return ""
    with quiet_torchvision_io():
        png = encode_png(image).numpy().tobytes()
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" width="{size}" alt="">'


@validate_params({"project": [Project], "entry": [dict], "batch": [list]})
def write_report(project, entry, batch):
    """Write ``rounds/NNN/report.html`` for the round ``entry``.

    Parameters
    ----------
    project : Project
        The project (its log gives the learning curve so far).
    entry : dict
        The round's log entry (``round``, ``n_labels``, ``class_counts``,
        ``cv_accuracy`` ...), not yet appended to the log.
    batch : list of dict
        The batch's rows (``rank``, ``path``, ``score``, ``predicted``,
        ``probability``).

    Returns
    -------
    pathlib.Path
        The report's path.
    """
    points = [
        (r["n_labels"], r["cv_accuracy"])
        for r in [*project.rounds, entry]
        if r.get("cv_accuracy") is not None
    ]
    cells = []
    for row in batch:
        caption = f"#{row['rank']} score {row['score']:.4g}"
        if row["predicted"]:
            caption += f"<br>{escape(row['predicted'])} ({row['probability']:.2f})"
        cells.append(
            f"<figure>{_thumbnail(str(project.images / row['path']))}"
            f'<figcaption title="{escape(row["path"])}">{caption}</figcaption>'
            "</figure>"
        )
    acc = entry.get("cv_accuracy")
    acc_text = "n/a" if acc is None else f"{acc:.3f}"
    changes = entry.get("changes") or {}
    notes = "".join(
        f"<li>{len(v)} image(s) {k} since the last round</li>"
        for k, v in changes.items()
        if v
    )
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>skactive round {entry["round"]}</title>
<style>body{{font-family:sans-serif;margin:2em}}figure{{display:inline-block;
margin:4px;text-align:center;font-size:11px;width:90px}}</style></head><body>
<h1>Round {entry["round"]}</h1>
<p>Strategy: {escape(str(entry["strategy"]))}. Pool: {entry["n_pool"]} images,
{entry["n_labels"]} labelled. Cross-validated accuracy on the labelled images:
{acc_text}.</p><ul>{notes}</ul>
<h2>Learning curve</h2>{_curve_svg(points)}
<h2>Class balance of the labels</h2>{_bars_svg(entry["class_counts"])}
<h2>The batch to label ({len(batch)} images, most informative first)</h2>
<div>{"".join(cells)}</div>
</body></html>
"""
    path = project.round_folder(entry["round"]) / "report.html"
    atomic_write(path, html)
    return path
