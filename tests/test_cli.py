"""Tests of the ``skactive`` command line."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from skactive.cli import main
from skactive.strategies import available_strategies, strategy_needs

# "<strategy> <round> <labels> <accuracy>"
ROW = re.compile(r"^(\w+)\s+(\d+)\s+(\d+)\s+(\d\.\d{4})\s*$")


def result_rows(out):
    rows = []
    for line in out.splitlines():
        m = ROW.match(line)
        if m:
            rows.append((m[1], int(m[2]), int(m[3]), float(m[4])))
    return rows


def exit_status(argv):
    """``main``'s status, whether it returns it or argparse raises SystemExit."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_simulate_prints_one_line_per_round(capsys):
    code = main(["simulate", "--strategy", "margin", "--rounds", "2", "--no-progress"])
    assert code == 0
    out, err = capsys.readouterr()
    rows = result_rows(out)
    assert [r[0] for r in rows] == ["margin"] * 3
    assert [r[1] for r in rows] == [0, 1, 2]  # the initial model, then each round
    assert [r[2] for r in rows] == [20, 30, 40]
    for *_, acc in rows:
        assert 0.3 < acc <= 1.0  # far above chance (0.1) on digits
    assert rows[-1][3] > rows[0][3]  # 20 more labels help on digits
    assert err == ""  # --no-progress hides the bar


def test_simulate_options(capsys):
    argv = [
        "simulate",
        "--strategy",
        "random",
        "--initial",
        "15",
        "--rounds",
        "3",
        "--batch-size",
        "5",
        "--seed",
        "1",
        "--no-progress",
    ]
    assert main(argv) == 0
    out, _ = capsys.readouterr()
    assert [r[1:3] for r in result_rows(out)] == [(0, 15), (1, 20), (2, 25), (3, 30)]
    # the seed makes the run reproducible
    assert main(argv) == 0
    again, _ = capsys.readouterr()
    assert result_rows(again) == result_rows(out)


def test_simulate_compares_several_strategies(capsys):
    argv = ["simulate", "--strategy", "random", "--strategy", "entropy"]
    assert main([*argv, "--rounds", "1", "--no-progress"]) == 0
    out, _ = capsys.readouterr()
    rows = result_rows(out)
    assert [(r[0], r[1]) for r in rows] == [
        ("random", 0),
        ("random", 1),
        ("entropy", 0),
        ("entropy", 1),
    ]
    assert rows[0][3] == rows[2][3]  # the same initial set for both


ESTIMATOR_FOR = {"net": "cnn", "ensemble": "forest", "any": "logreg"}


@pytest.mark.parametrize("strategy", sorted(available_strategies()))
def test_every_listed_strategy_runs(strategy, capsys):
    estimator = ESTIMATOR_FOR[strategy_needs(strategy)]
    argv = ["simulate", "--strategy", strategy, "--rounds", "1", "--no-progress"]
    assert main([*argv, "--estimator", estimator]) == 0
    out, _ = capsys.readouterr()
    rows = result_rows(out)
    assert [r[:3] for r in rows] == [(strategy, 0, 20), (strategy, 1, 30)]


def test_strategies_lists_every_strategy(capsys):
    assert main(["strategies"]) == 0
    out, _ = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.strip()]
    names = [line.split()[0] for line in lines]
    known = available_strategies()
    assert names == list(known)
    assert {"random", "least_confidence", "margin", "entropy"} <= set(names)
    for line, (name, text) in zip(lines, known.items(), strict=True):
        assert line.startswith(name) and line.rstrip().endswith(text)


def test_unknown_strategy_exits_with_code_2(capsys):
    assert exit_status(["simulate", "--strategy", "bald_nonsense"]) == 2
    out, err = capsys.readouterr()
    assert "bald_nonsense" in err
    assert "entropy" in err  # says what is known
    assert result_rows(out) == []


def test_unknown_estimator_and_command_exit_with_code_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["simulate", "--estimator", "svm"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["fly"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_bad_values_are_reported_with_code_2(capsys):
    assert exit_status(["simulate", "--rounds", "0", "--no-progress"]) == 2
    out, err = capsys.readouterr()
    assert "skactive: error:" in err
    assert "n_rounds" in err
    assert result_rows(out) == []


def test_budget_larger_than_the_pool_is_reported(capsys):
    argv = ["simulate", "--initial", "5000", "--rounds", "1", "--no-progress"]
    assert exit_status(argv) == 2
    _, err = capsys.readouterr()
    assert "skactive: error:" in err
    assert "budget" in err


def test_python_dash_m_skactive():
    proc = subprocess.run(
        [sys.executable, "-m", "skactive", "strategies"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]
    assert names == list(available_strategies())


def test_python_dash_m_skactive_exit_status():
    proc = subprocess.run(
        [sys.executable, "-m", "skactive", "simulate", "--strategy", "nope"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert "nope" in proc.stderr


@pytest.mark.parametrize(
    "strategy, estimator, hint",
    [("bald", "logreg", "--estimator mlp"), ("qbc", "cnn", "--estimator forest")],
)
def test_strategy_and_estimator_must_fit_together(strategy, estimator, hint, capsys):
    argv = ["simulate", "--strategy", strategy, "--estimator", estimator]
    assert main(argv) == 2
    assert hint in capsys.readouterr().err
