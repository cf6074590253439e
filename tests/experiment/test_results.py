"""Tests of ``SimulationResult``, its files and ``plot_learning_curves``."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from skactive.experiment import (
    SimulationResult,
    class_distribution_distance,
    learning_curve_auc,
    plot_learning_curves,
)


def test_auc_summary_and_paired_difference(paired):
    aucs = paired.auc()
    curves = paired.curves()
    x, values = curves["entropy"]
    np.testing.assert_array_equal(x, [15, 25, 40, 60])
    assert values.shape == (3, 4)
    expected = [np.trapezoid(v, x) / (60 - 15) for v in values]
    np.testing.assert_allclose(aucs["entropy"], expected)
    rows = {r["strategy"]: r for r in paired.summary()}
    diff = aucs["entropy"] - aucs["random"]
    assert rows["entropy"]["diff_mean"] == pytest.approx(diff.mean())
    half = 4.302652729911275 * diff.std(ddof=1) / np.sqrt(3)  # t(0.975, 2)
    assert rows["entropy"]["diff_high"] - rows["entropy"]["diff_mean"] == (
        pytest.approx(half)
    )
    assert "diff_mean" not in rows["random"]
    assert rows["random"]["auc_sem"] == pytest.approx(
        aucs["random"].std(ddof=1) / np.sqrt(3)
    )


def test_summary_means_the_seconds_of_the_rounds_after_the_first():
    rows = [
        {"strategy": "a", "repeat": k, "round": r, "n_labels": 10 + 5 * r,
         "accuracy": 0.5, "fit_seconds": f, "query_seconds": q}
        for k, runs in enumerate([[(9.0, 0.0), (1.0, 2.0), (3.0, 4.0)],
                                  [(9.0, 0.0), (2.0, float("nan")), (2.0, 6.0)]])
        for r, (f, q) in enumerate(runs)
    ]  # fmt: skip
    (row,) = SimulationResult(rows).summary()
    assert row["fit_seconds_mean"] == pytest.approx((1 + 3 + 2 + 2) / 4)
    assert row["query_seconds_mean"] == pytest.approx((2 + 4 + 6) / 3)  # nan skipped
    # rows without timings have no such keys
    (row,) = SimulationResult(
        [{k: v for k, v in r.items() if "seconds" not in k} for r in rows]
    ).summary()
    assert "fit_seconds_mean" not in row and "query_seconds_mean" not in row


def test_learning_curve_auc_and_class_distance():
    assert learning_curve_auc([0, 1], [0.4, 0.4]) == pytest.approx(0.4)
    assert learning_curve_auc([10, 20, 40], [0.0, 1.0, 1.0]) == pytest.approx(
        (5 + 20) / 30
    )
    with pytest.raises(ValueError, match="strictly increasing"):
        learning_curve_auc([1, 1], [0.5, 0.5])
    assert class_distribution_distance([0, 0], [0, 1]) == pytest.approx(0.5)
    assert class_distribution_distance([0, 1, 2], [2, 1, 0]) == 0.0


def test_frame_files_and_plot(paired, tmp_path):
    frame = paired.to_frame()
    assert list(frame.columns[:4]) == ["strategy", "repeat", "round", "n_labels"]
    assert len(frame) == len(paired)
    paired.to_csv(tmp_path / "r.csv")
    paired.to_json(tmp_path / "r.json")
    assert (tmp_path / "r.csv").read_text().count("\n") == len(paired) + 1
    payload = json.loads((tmp_path / "r.json").read_text())
    assert len(payload["records"]) == len(paired) and payload["summary"]
    import matplotlib

    matplotlib.use("Agg")
    ax = plot_learning_curves(paired, path=tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000
    assert {line.get_label() for line in ax.get_lines()} == {"random", "entropy"}
    assert isinstance(paired, SimulationResult)


def made_up(n_repeats=1, strategies=("random", "margin")):
    """A result built from rows, as :func:`simulate` would return it."""
    rows = []
    for s, name in enumerate(strategies):
        for repeat in range(n_repeats):
            for r, n in enumerate((10, 20, 30)):
                rows.append(
                    {
                        "strategy": name,
                        "repeat": repeat,
                        "round": r,
                        "n_labels": n,
                        "accuracy": 0.5 + 0.1 * r + 0.01 * s + 0.001 * repeat,
                        "macro_f1": 0.4 + 0.1 * r,
                        "fit_seconds": 0.01,
                        "query_seconds": 0.0 if r == 0 else 0.02,
                        "class_distance": float("nan") if r == 0 else 0.1,
                        "diversity": float("nan") if r == 0 else 1.5,
                    }
                )
    return SimulationResult(rows)


def refuse_constant(name):
    raise AssertionError(f"not strict JSON: {name}")


@pytest.mark.parametrize("n_repeats", [1, 3])
def test_results_json_is_strict_json(tmp_path, n_repeats):
    result = made_up(n_repeats)
    result.to_json(tmp_path / "r.json")
    text = (tmp_path / "r.json").read_text()
    payload = json.loads(text, parse_constant=refuse_constant)  # no NaN, Infinity
    assert payload["records"][0]["class_distance"] is None
    assert payload["records"][1]["class_distance"] == 0.1
    margin = [row for row in payload["summary"] if row["strategy"] == "margin"][0]
    if n_repeats == 1:  # no interval over one repeat
        assert margin["diff_low"] is None and margin["diff_high"] is None
    else:
        assert margin["diff_low"] <= margin["diff_mean"] <= margin["diff_high"]
    assert len(payload["records"]) == len(result)


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077, 0o002])
def test_result_files_get_the_users_umask(tmp_path, umask):
    import matplotlib

    matplotlib.use("Agg")
    result = made_up()
    previous = os.umask(umask)
    try:
        result.to_csv(tmp_path / "r.csv")
        result.to_json(tmp_path / "r.json")
        plot_learning_curves(result, path=tmp_path / "curves.png")
    finally:
        os.umask(previous)
    for name in ("r.csv", "r.json", "curves.png"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o666 & ~umask, (name, oct(mode))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "curves.png",
        "r.csv",
        "r.json",
    ]  # no temporary file left behind


def test_a_symbolic_link_is_replaced_not_written_through(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("precious")
    (tmp_path / "r.csv").symlink_to(target)
    made_up().to_csv(tmp_path / "r.csv")
    assert target.read_text() == "precious"
    assert not (tmp_path / "r.csv").is_symlink()
    assert (tmp_path / "r.csv").read_text().startswith("strategy,repeat,round")


def test_plot_format_follows_the_suffix(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    plot_learning_curves(made_up(), path=tmp_path / "curves.svg")
    assert (tmp_path / "curves.svg").read_text().lstrip().startswith("<?xml")
