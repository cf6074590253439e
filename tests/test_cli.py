"""Tests of the ``skactive`` command line."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
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
        "--n-instances",
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


def test_batch_size_is_a_deprecated_alias_of_n_instances(capsys):
    argv = ["simulate", "--strategy", "random", "--rounds", "2", "--no-progress"]
    assert main([*argv, "--n-instances", "4"]) == 0
    new, err = capsys.readouterr()
    assert err == ""
    assert main([*argv, "--batch-size", "4"]) == 0
    old, err = capsys.readouterr()
    assert "--batch-size is deprecated" in err and "--n-instances" in err
    assert [r[2] for r in result_rows(old)] == [20, 24, 28]
    assert result_rows(old) == result_rows(new)
    assert exit_status([*argv, "--batch-size", "4", "--n-instances", "4"]) == 2
    assert "--n-instances only" in capsys.readouterr()[1]


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
    # one column for the descriptions, however long the names
    texts = known.values()
    columns = {line.rindex(t) for line, t in zip(lines, texts, strict=True)}
    assert len(columns) == 1


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


@pytest.mark.parametrize("estimator", ["labelprop", "pseudolabel", "mixmatch"])
def test_semi_supervised_estimators(estimator, capsys):
    argv = ["simulate", "--estimator", estimator, "--strategy", "entropy"]
    argv += ["--rounds", "1", "--max-epochs", "1", "--threads", "1", "--no-progress"]
    assert main(argv) == 0
    rows = result_rows(capsys.readouterr()[0])
    assert [r[1:3] for r in rows] == [(0, 20), (1, 30)]
    assert all(0.0 <= r[3] <= 1.0 for r in rows)


def test_initial_diversity_selection_is_kcenter_in_pixel_space(tmp_path, capsys):
    import json

    from sklearn.preprocessing import StandardScaler

    from skactive.cli import load_dataset
    from skactive.diversity import kcenter_greedy

    def initial_set(how):
        ckpt = tmp_path / f"{how}.json"
        argv = ["simulate", "--strategy", "random", "--rounds", "1"]
        argv += ["--initial", "12", "--initial-strategy", how]
        argv += ["--initial-temperature", "0", "--checkpoint", str(ckpt)]
        assert main([*argv, "--no-progress"]) == 0
        return json.loads(ckpt.read_text())["runs"]["random/0"]["labeled"][0]

    initial = initial_set("diversity")
    X_pool = load_dataset("digits", seed=0)[0]
    Z = StandardScaler().fit_transform(X_pool.reshape(len(X_pool), -1))
    # T = 0 without labels: a seeded first pick, then k-center greedy
    rest = kcenter_greedy(Z, 11, labeled=Z[[initial[0]]])
    assert initial[1:] == rest.tolist()
    assert sorted(initial_set("random")) != sorted(initial)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--max-epochs", "0"], "--max-epochs must be a positive integer, got 0"),
        (["--embedder-epochs", "-2"], "--embedder-epochs must be a positive"),
        (["--initial-temperature", "-1"], "--initial-temperature must be >= 0"),
        (["--threads", "0"], "--threads must be a positive integer, got 0"),
        (
            ["--initial-strategy", "diversity", "--embedder", "rotnet"],
            "--embedder rotnet trains a CNN on images; the pool has flat rows",
        ),
    ],
)
def test_bad_initial_and_training_options(extra, message, capsys):
    assert main(["simulate", "--rounds", "1", "--no-progress", *extra]) == 2
    assert message in capsys.readouterr()[1]


def test_initial_diversity_with_a_self_supervised_embedder(capsys):
    argv = ["simulate", "--estimator", "cnn", "--strategy", "random"]
    argv += ["--initial-strategy", "diversity", "--embedder", "rotnet"]
    argv += ["--embedder-epochs", "1", "--max-epochs", "2", "--rounds", "1"]
    argv += ["--threads", "1", "--no-progress"]
    assert main(argv) == 0
    rows = result_rows(capsys.readouterr()[0])
    assert [r[1:3] for r in rows] == [(0, 20), (1, 30)]


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: "",  # empty
        lambda text: "[1, 2]",  # a JSON list
        lambda text: text.replace('"accuracy"', '"acc"', 1),  # a removed key
        lambda text: text.replace('"round": 1', '"round": 7', 1),  # edited
    ],
    ids=["truncated", "empty", "list", "removed key", "edited record"],
)
def test_a_damaged_checkpoint_is_one_error_line(tmp_path, capsys, damage):
    path = tmp_path / "state.json"
    argv = ["simulate", "--strategy", "random", "--rounds", "1", "--no-progress"]
    argv += ["--checkpoint", str(path)]
    assert main(argv) == 0
    capsys.readouterr()
    path.write_text(damage(path.read_text()))
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert result_rows(out) == []
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"skactive: error: checkpoint '{path}' is damaged: ")
    assert lines[0].endswith("remove it or choose another checkpoint path.")


def test_a_folder_as_checkpoint_is_one_error_line(tmp_path, capsys):
    argv = ["simulate", "--rounds", "1", "--no-progress", "--checkpoint", str(tmp_path)]
    assert main(argv) == 2
    lines = capsys.readouterr()[1].splitlines()
    assert len(lines) == 1 and "is damaged: it is a folder" in lines[0]


def test_out_writes_the_files_and_refuses_to_overwrite_them(tmp_path, capsys):
    out = tmp_path / "results"
    argv = ["simulate", "--strategy", "random", "--rounds", "1", "--no-progress"]
    argv += ["--out", str(out)]
    assert main(argv) == 0
    stdout, _ = capsys.readouterr()
    assert f"wrote {out / 'results.csv'}" in stdout
    names = ("results.csv", "results.json", "learning_curves.png")
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    before = {name: (out / name).read_bytes() for name in names}
    assert main(argv) == 2  # refused before computing anything
    stdout, err = capsys.readouterr()
    assert result_rows(stdout) == []
    assert len(err.splitlines()) == 1
    assert err.startswith("skactive: error: ") and "already exists" in err
    assert "--overwrite" in err
    assert {name: (out / name).read_bytes() for name in names} == before
    assert main([*argv, "--overwrite"]) == 0


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("")
    argv = ["simulate", "--rounds", "1", "--no-progress", "--out", str(a_file)]
    assert main(argv) == 2
    err = capsys.readouterr()[1]
    assert len(err.splitlines()) == 1 and "is a file, not a folder" in err


def summary_lines(out):
    """The AUC table: its header and rows."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if " AUC " in f" {line} ")
    return lines[start:]


def made_up_result(names, n_repeats):
    from skactive.experiment import SimulationResult

    rng = np.random.RandomState(0)
    rows = []
    for name in names:
        for repeat in range(n_repeats):
            for r, n in enumerate((10, 20, 30)):
                rows.append(
                    {
                        "strategy": name,
                        "repeat": repeat,
                        "round": r,
                        "n_labels": n,
                        "accuracy": 0.5 + 0.1 * r + 0.01 * rng.rand(),
                    }
                )
    return SimulationResult(rows)


def print_result(names, n_repeats, capsys):
    from argparse import Namespace

    from skactive.cli import _print_result

    args = Namespace(data="digits", estimator="logreg", repeats=n_repeats)
    _print_result(made_up_result(names, n_repeats), args)
    return capsys.readouterr()[0]


def test_one_repeat_has_no_spread_to_print(capsys):
    out = print_result(["random", "margin"], 1, capsys)
    table = summary_lines(out)
    assert "nan" not in out and "0.0000" not in "\n".join(table)
    assert table[1].startswith("random") and "n/a (1 repeat)" in table[1]
    assert table[2].count("n/a (1 repeat)") == 2  # the sem and the interval
    assert "paired AUC - random" in table[0]


def test_several_repeats_print_the_spread_and_interval(capsys):
    table = summary_lines(print_result(["random", "margin"], 3, capsys))
    assert "n/a" not in "\n".join(table)
    assert re.search(r"[+-]\d\.\d{4} \[[+-]\d\.\d{4}, [+-]\d\.\d{4}\]$", table[2])


def test_no_random_column_without_random(capsys):
    out = print_result(["margin", "entropy"], 3, capsys)
    assert "random" not in out
    for line in summary_lines(out):
        assert "[" not in line


def test_the_strategy_column_fits_the_longest_name(capsys):
    long = "a_strategy_with_a_very_long_name"
    lines = print_result(["random", long], 2, capsys).splitlines()[1:]
    table = summary_lines("\n".join(lines))
    rounds = lines[: len(lines) - len(table)]
    assert len(rounds) == 1 + 2 * 3 and len(table) == 3
    for part in (rounds, table):
        # the second column ends at the same place on every line
        ends = {re.match(r"(\S+)\s+(\S+)", line).end(2) for line in part}
        assert len(ends) == 1, part
        assert all(line[len(long)] == " " for line in part)


def write_npz(path, **changes):
    rng = np.random.RandomState(0)
    arrays = {
        "X_train": rng.rand(120, 6),
        "y_train": np.arange(120) % 3,
        "X_test": rng.rand(30, 6),
        "y_test": np.arange(30) % 3,
    }
    arrays.update(changes)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return path


def test_an_npz_data_file_runs(tmp_path, capsys):
    path = write_npz(tmp_path / "data.npz")
    argv = ["simulate", "--data", str(path), "--initial", "10", "--rounds", "1"]
    assert main([*argv, "--n-instances", "5", "--no-progress"]) == 0
    rows = result_rows(capsys.readouterr()[0])
    assert [r[1:3] for r in rows] == [(0, 10), (1, 15)]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"X_train": np.arange(120.0)}, "X_train must hold one row per sample"),
        ({"X_test": np.arange(30.0)}, "X_test must hold one row per sample"),
        ({"y_train": np.arange(100) % 3}, "y_train has 100 labels but X_train has 120"),
        ({"y_test": np.arange(31) % 3}, "y_test has 31 labels but X_test has 30"),
        ({"y_train": np.zeros((120, 2))}, "y_train must be 1-D"),
        ({"X_test": np.zeros((30, 5))}, r"X_test has rows of shape \(5,\)"),
        ({"X_train": np.zeros((0, 6)), "y_train": np.zeros(0)}, "X_train has no rows"),
        ({"y_test": None}, "lacks the array(s) y_test"),
    ],
)
def test_a_bad_npz_data_file_names_the_array(tmp_path, capsys, changes, message):
    path = write_npz(tmp_path / "data.npz", **changes)
    argv = ["simulate", "--data", str(path), "--rounds", "1", "--no-progress"]
    assert exit_status(argv) == 2
    out, err = capsys.readouterr()
    assert result_rows(out) == []
    assert len(err.splitlines()) == 1 and err.startswith("skactive: error: --data")
    assert re.search(message.replace("(s)", r"\(s\)"), err), err
