"""Tests of ``SimulationResult``, its files and ``plot_learning_curves``."""

from __future__ import annotations

import json

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
