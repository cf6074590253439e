"""Tests of the ``skactive`` command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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


ESTIMATOR_FOR = {
    "net": "cnn",
    "ensemble": "forest",
    "any": "logreg",
    "loss_net": "lossnet",
    "minimax_net": "mal",
}


@pytest.mark.parametrize("strategy", sorted(available_strategies()))
def test_every_listed_strategy_runs(strategy, capsys):
    estimator = ESTIMATOR_FOR[strategy_needs(strategy)]
    argv = ["simulate", "--strategy", strategy, "--rounds", "1", "--no-progress"]
    if estimator == "mal":  # semi-supervised: every epoch passes over the pool
        argv += ["--max-epochs", "2"]
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
    assert "skactive simulate: error: --rounds must be a positive integer" in err
    assert "n_rounds" not in err
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


@pytest.mark.parametrize(
    "estimator",
    ["labelprop", "pseudolabel", "mixmatch", "fixmatch", "flexmatch", "mal"],
)
def test_semi_supervised_estimators(estimator, capsys):
    argv = ["simulate", "--estimator", estimator, "--strategy", "entropy"]
    argv += ["--rounds", "1", "--max-epochs", "1", "--threads", "1", "--no-progress"]
    assert main(argv) == 0
    rows = result_rows(capsys.readouterr()[0])
    assert [r[1:3] for r in rows] == [(0, 20), (1, 30)]
    assert all(0.0 <= r[3] <= 1.0 for r in rows)


@pytest.mark.parametrize(
    "estimator, cls",
    [("mixmatch", "MixMatchClassifier"), ("fixmatch", "FixMatchClassifier")]
    + [("flexmatch", "FlexMatchClassifier")],
)
def test_semi_supervised_estimator_names_build_those_nets(estimator, cls):
    import numpy as np

    from skactive import nets
    from skactive.cli import ESTIMATORS, _estimator

    net = _estimator(estimator, np.arange(10), max_epochs=3)
    assert type(net) is getattr(nets, cls) and net.max_epochs == 3
    assert net.module is nets.SmallCNN and net.batch_size == 16
    assert cls.removesuffix("Classifier") in ESTIMATORS[estimator]
    if estimator != "mixmatch":
        assert net.flip is False and "flip=False" in ESTIMATORS[estimator]


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
    assert lines[0].startswith(f"skactive: error: --checkpoint '{path}' is damaged: ")
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
    stop = next(
        (i for i, line in enumerate(lines) if line.startswith("labels saved")),
        len(lines),
    )
    return lines[start:stop]


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


def test_several_repeats_print_labels_saved_per_strategy(capsys):
    out = print_result(["random", "margin"], 3, capsys).splitlines()
    start = next(i for i, line in enumerate(out) if line.startswith("labels saved"))
    lines = out[start + 1 :]
    assert [line.split(":")[0] for line in lines] == ["random", "margin"]
    assert lines[0].startswith("random: 0 labels saved of 30")


def test_no_random_column_without_random(capsys):
    out = print_result(["margin", "entropy"], 3, capsys)
    assert "random" not in out
    for line in summary_lines(out):
        assert "[" not in line


def test_the_strategy_column_fits_the_longest_name(capsys):
    long = "a_strategy_with_a_very_long_name"
    lines = print_result(["random", long], 2, capsys).splitlines()[1:]
    table = summary_lines("\n".join(lines))
    rounds = lines[: lines.index(table[0])]
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


def test_an_npz_data_file_is_read_in_place_and_gives_the_in_memory_run(
    tmp_path, capsys
):
    from skactive.cli import load_dataset
    from skactive.pools import ArrayFile

    stored = write_npz(tmp_path / "stored.npz")
    X_pool, y_pool, X_test, y_test = load_dataset(str(stored))
    # np.savez stores members uncompressed: the rows are read from the file
    assert isinstance(X_pool, ArrayFile) and isinstance(X_test, ArrayFile)
    with np.load(stored) as archive:
        np.testing.assert_array_equal(X_pool[:], archive["X_train"])
        np.testing.assert_array_equal(X_test[7:9], archive["X_test"][7:9])
        np.testing.assert_array_equal(y_pool, archive["y_train"])
        arrays = {k: archive[k] for k in archive.files}
    np.savez_compressed(tmp_path / "compressed.npz", **arrays)
    assert isinstance(load_dataset(str(tmp_path / "compressed.npz"))[0], np.ndarray)
    argv = ["--initial", "10", "--rounds", "2", "--n-instances", "5", "--no-progress"]
    outs = []
    for name in ("stored", "compressed"):
        path = tmp_path / f"{name}.npz"
        assert (
            main(["simulate", "--data", str(path), "--strategy", "entropy", *argv]) == 0
        )
        outs.append(result_rows(capsys.readouterr()[0]))
    assert outs[0] == outs[1] and len(outs[0]) == 3


def write_npy_pool(tmp_path, n=160):
    rng = np.random.RandomState(1)
    y = np.arange(n) % 4
    X = (rng.rand(n, 1, 6, 6) * 50 + y[:, None, None, None] * 40).astype(np.uint8)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    return X, y


def test_an_npy_pool_is_split_into_views_and_runs(tmp_path, capsys):
    from skactive.cli import load_dataset
    from skactive.pools import PoolView

    X, y = write_npy_pool(tmp_path)
    X_pool, y_pool, X_test, y_test = load_dataset(
        str(tmp_path / "X.npy"), labels=str(tmp_path / "y.npy"), test_size=0.25
    )
    assert isinstance(X_pool, PoolView) and isinstance(X_test, PoolView)
    assert (len(X_pool), len(X_test)) == (120, 40)
    # stratified, disjoint, every row once, labels aligned with the rows
    assert np.bincount(y_test).tolist() == [10, 10, 10, 10]
    rows = np.concatenate([X_pool[:], X_test[:]]).reshape(160, -1)
    labels = np.concatenate([y_pool, y_test])
    order = np.lexsort(rows.T[::-1])
    ref = np.lexsort(X.reshape(160, -1).T[::-1])
    np.testing.assert_array_equal(rows[order], X.reshape(160, -1)[ref])
    np.testing.assert_array_equal(labels[order], y[ref])
    argv = ["simulate", "--data", str(tmp_path / "X.npy"), "--labels"]
    argv += [str(tmp_path / "y.npy"), "--initial", "8", "--rounds", "1"]
    for estimator in ("logreg", "mlp"):
        opts = ["--estimator", estimator, "--max-epochs", "2"]
        assert main([*argv, "--n-instances", "4", "--no-progress", *opts]) == 0
        got = result_rows(capsys.readouterr()[0])
        assert [r[1:3] for r in got] == [(0, 8), (1, 12)]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "name the .npy file of its labels with --labels"),
        (["--labels", "short"], "must hold one label per row of --data"),
        (["--labels", "missing"], "--labels .* is not a readable .npy file"),
    ],
)
def test_a_bad_npy_pool_names_the_flag(tmp_path, capsys, extra, message):
    write_npy_pool(tmp_path)
    np.save(tmp_path / "short.npy", np.arange(7) % 2)
    extra = [
        str(tmp_path / f"{e}.npy") if e in ("short", "missing") else e for e in extra
    ]
    argv = ["simulate", "--data", str(tmp_path / "X.npy"), *extra, "--no-progress"]
    assert exit_status(argv) == 2
    err = capsys.readouterr()[1]
    assert len(err.splitlines()) == 1 and re.search(message, err), err


def test_labels_and_test_size_flags_are_checked_first(tmp_path, capsys):
    assert exit_status(["simulate", "--test-size", "1.5"]) == 2
    assert "--test-size must be in (0, 1), got 1.5" in capsys.readouterr()[1]
    assert exit_status(["simulate", "--labels", "y.npy"]) == 2
    assert "--labels names the labels of a .npy --data" in capsys.readouterr()[1]


def test_an_image_folder_runs_streamed(tmp_path, capsys):
    from PIL import Image

    from skactive.cli import load_dataset
    from skactive.pools import DatasetRows, PoolView

    rng = np.random.RandomState(0)
    for c, name in enumerate(["cat", "dog", "fox"]):
        (tmp_path / "imgs" / name).mkdir(parents=True)
        for i in range(20):
            pixels = rng.randint(0, 60, (10, 10, 3)) + 90 * c
            Image.fromarray(pixels.astype(np.uint8)).save(
                tmp_path / "imgs" / name / f"{i}.png"
            )
    X_pool, y_pool, X_test, y_test = load_dataset(str(tmp_path / "imgs"), image_size=8)
    assert isinstance(X_pool, PoolView) and isinstance(X_pool.source, DatasetRows)
    assert X_pool.shape == (45, 3, 8, 8) and np.bincount(y_test).tolist() == [5, 5, 5]
    assert 0 <= float(X_pool[:3].min()) and float(X_pool[:3].max()) <= 1
    argv = ["simulate", "--data", str(tmp_path / "imgs"), "--image-size", "8"]
    argv += ["--estimator", "cnn", "--max-epochs", "3", "--initial", "6"]
    argv += ["--rounds", "1", "--n-instances", "3", "--no-progress"]
    assert main([*argv, "--strategy", "margin"]) == 0
    got = result_rows(capsys.readouterr()[0])
    assert [r[1:3] for r in got] == [(0, 6), (1, 9)]
    assert exit_status(["simulate", "--data", str(tmp_path / "imgs" / "cat")]) == 2
    assert "is not an image folder" in capsys.readouterr()[1]


# ---------------------------------------------------------------- start-up
ROOT = Path(__file__).resolve().parents[1]
#: What the answers to --help, strategies and a mistake must not import.
HEAVY = {"torch", "skorch", "modAL", "sklearn", "scipy"}


def imported_by(*argv):
    """``(status, stderr, top-level modules imported)`` of ``python -m skactive``.

    Read from ``python -X importtime``'s report (one line per imported
    module), in a fresh process running this checkout.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "skactive", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )
    modules, lines = set(), []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:"):
            name = line.rsplit("|", 1)[-1].strip()
            if name != "package":  # the report's header
                modules.add(name.split(".")[0])
        else:
            lines.append(line)
    assert "skactive" in modules  # the report is read
    return proc.returncode, "\n".join(lines), modules


@pytest.mark.parametrize(
    "argv, status",
    [
        (["--help"], 0),
        (["simulate", "--help"], 0),
        (["strategies", "--help"], 0),
        (["strategies"], 0),
        (["simulate", "--bad-flag"], 2),
        (["fly"], 2),
        (["simulate", "--rounds", "0"], 2),
        (["simulate", "--strategy", "nope"], 2),
        (["simulate", "--strategy", "bald"], 2),
        (["simulate", "--data", "no/such/file.npz"], 2),
    ],
)
def test_answers_without_importing_torch(argv, status):
    code, err, modules = imported_by(*argv)
    assert code == status, err
    assert not modules & HEAVY, sorted(modules & HEAVY)


def test_unknown_strategy_is_a_usage_error(capsys):
    assert main(["simulate", "--strategy", "marign"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: skactive simulate")
    assert "skactive simulate: error: unknown --strategy 'marign'." in err
    assert "Did you mean 'margin'" in err  # the closest first


# ----------------------------------------------------- errors name the flag
API_NAMES = ("n_rounds", "n_instances", "n_repeats", "random_state", "max_epochs")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--rounds", "0"], "--rounds must be a positive integer, got 0"),
        (["--n-instances", "0"], "--n-instances must be a positive integer, got 0"),
        (["--batch-size", "-1"], "--batch-size must be a positive integer, got -1"),
        (["--repeats", "0"], "--repeats must be a positive integer, got 0"),
        (["--initial", "0"], "--initial must be a positive integer, got 0"),
        (["--max-epochs", "0"], "--max-epochs must be a positive integer, got 0"),
        (["--embedder-epochs", "0"], "--embedder-epochs must be a positive"),
        (["--threads", "-3"], "--threads must be a positive integer, got -3"),
        (["--seed", "-1"], "--seed must be an integer in [0, 4294967295], got -1"),
        (["--seed", str(2**32)], "--seed must be an integer in [0, 4294967295]"),
        (["--initial-temperature", "nan"], "--initial-temperature must be >= 0"),
        (
            ["--batch-size", "4", "--n-instances", "4"],
            "give --n-instances only; --batch-size is its deprecated alias",
        ),
    ],
)
def test_a_bad_argument_is_reported_as_argparse_does(argv, message, capsys):
    assert main(["simulate", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    usage, *_, last = err.splitlines()
    assert usage.startswith("usage: skactive simulate [-h]")
    assert last.startswith(f"skactive simulate: error: {message}")
    assert not any(name in err for name in API_NAMES)


def test_a_budget_larger_than_the_pool_names_the_flags(capsys):
    argv = ["simulate", "--initial", "1000", "--rounds", "4", "--batch-size", "100"]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert err == (
        "skactive: error: the label budget, --initial 1000 + --rounds 4 x "
        "--batch-size 100 = 1400 labels, is larger than the pool of --data "
        "'digits', which has 1347 rows."
    )


@pytest.mark.parametrize(
    "message, expected",
    [
        (
            "simulate: n_rounds must be an int >= 1 or None, got 0.",
            "--rounds must be an int >= 1 or None, got 0.",
        ),
        (
            "simulate: n_instances must be an int >= 1 or None, got 0.",
            "--n-instances must be an int >= 1 or None, got 0.",
        ),
        (
            "simulate: n_repeats must be an int >= 1, got 0.",
            "--repeats must be an int >= 1, got 0.",
        ),
        (
            "random_state must be a non-negative int, a RandomState or None, got -1.",
            "--seed must be a non-negative int, a RandomState or None, got -1.",
        ),
        (
            "simulate: initial must be an int >= 1 or an instance of tuple, got 0.",
            "--initial must be an int >= 1 or an instance of tuple, got 0.",
        ),
        (
            "simulate: n of initial=(strategy, n) must be an int >= 1, got 0.",
            "--initial must be an int >= 1, got 0.",
        ),
        (
            "InitialSelection: temperature must be a float >= 0, got nan.",
            "--initial-temperature must be a float >= 0, got nan.",
        ),
        (
            "DeepClassifier: max_epochs must be an int >= 1, got 0.",
            "--max-epochs must be an int >= 1, got 0.",
        ),
        (
            "RotNet: max_epochs must be >= 1, got max_epochs=0.",
            "--embedder-epochs must be >= 1, got --embedder-epochs=0.",
        ),
        (
            "simulate: budgets must be strictly increasing and above initial=20, "
            "got [20].",
            "simulate: budgets must be strictly increasing and above --initial=20, "
            "got [20].",
        ),
        (
            "out '/r' is a file, not a folder; choose a folder for the result files.",
            "--out '/r' is a file, not a folder; choose a folder for the result files.",
        ),
        (
            "'/r/results.csv' already exists; pass overwrite=True (in the command: "
            "--overwrite) to replace it, or choose another out folder.",
            "'/r/results.csv' already exists; pass --overwrite to replace it, or "
            "choose another --out folder.",
        ),
        (
            "simulate: out= writes learning_curves.png, which needs matplotlib: "
            "pip install matplotlib.",
            "--out writes learning_curves.png, which needs matplotlib: pip install "
            "matplotlib.",
        ),
        (
            "checkpoint '/c.json' was written by a different configuration "
            "(n_repeats: checkpoint 1 vs now 2); use another checkpoint path or "
            "remove it.",
            "--checkpoint '/c.json' was written by a different configuration "
            "(--repeats: checkpoint 1 vs now 2); use another checkpoint path or "
            "remove it.",
        ),
        # what names no parameter is left as it is
        (
            "simulate: y_test has classes [3] that never occur in y: the "
            "simulation could never learn them.",
            "simulate: y_test has classes [3] that never occur in y: the "
            "simulation could never learn them.",
        ),
        (
            "--data 'x.npz': y_train has 100 labels but X_train has 120 rows.",
            "--data 'x.npz': y_train has 100 labels but X_train has 120 rows.",
        ),
    ],
)
def test_api_messages_are_translated_to_flags(message, expected):
    from skactive.cli import _flag_message

    assert _flag_message(message) == expected


def test_batch_size_is_named_when_it_was_given():
    from skactive.cli import _flag_message

    message = "simulate: n_instances must be an int >= 1 or None, got 0."
    assert _flag_message(message, batch_size=True).startswith("--batch-size must")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--rounds", "0"], "skactive: error: --rounds must be an int >= 1"),
        (["--n-instances", "0"], "skactive: error: --n-instances must be an int"),
        (["--batch-size", "0"], "skactive: error: --batch-size must be an int"),
        (["--repeats", "0"], "skactive: error: --repeats must be an int >= 1"),
        (["--initial", "0"], "skactive: error: --initial must be an int >= 1"),
        (
            ["--initial", "0", "--initial-strategy", "diversity"],
            "skactive: error: --initial must be an int >= 1, got 0.",
        ),
        (
            ["--initial-strategy", "diversity", "--initial-temperature", "-1"],
            "skactive: error: --initial-temperature must be a float >= 0, got -1.0.",
        ),
    ],
)
def test_errors_of_the_api_name_the_flag(argv, message, capsys, monkeypatch):
    # the errors the command's own checks would catch, let through to the API
    from skactive import cli

    monkeypatch.setattr(cli, "_check_args", lambda args: None)
    monkeypatch.setattr(cli, "_check_budget", lambda args, n_pool: None)
    assert main(["simulate", "--no-progress", *argv]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith(message), err
    assert not any(name in err for name in API_NAMES)


# ----------------------------------------------------------------- --help
def option_helps(text):
    """``{flag: its help, on one line}`` of an argparse ``--help``."""
    helps, flag = {}, None
    for line in text.split("options:", 1)[1].splitlines():
        m = re.match(r"^  (-\w, )?(--[\w-]+)", line)
        if m:
            flag = m[2]
            helps[flag] = line[m.end() :]
        elif flag:
            helps[flag] += " " + line
    return {k: " ".join(v.split()) for k, v in helps.items()}


def test_simulate_help_shows_every_default(capsys):
    with pytest.raises(SystemExit) as info:
        main(["simulate", "--help"])
    assert info.value.code == 0
    helps = option_helps(capsys.readouterr().out)
    assert len(helps) == 24
    for flag, text in helps.items():
        if flag != "--help":
            assert "(default: " in text, flag
    for flag, default in [
        ("--data", "digits"),
        ("--estimator", "logreg"),
        ("--strategy", "entropy"),
        ("--initial", "20"),
        ("--initial-strategy", "random"),
        ("--embedder", "pixels"),
        ("--embedder-epochs", "15"),
        ("--initial-temperature", "0.5"),
        ("--max-epochs", "30"),
        ("--rounds", "5"),
        ("--n-instances", "10"),
        ("--repeats", "1"),
        ("--seed", "0"),
        ("--no-progress", "False"),
    ]:
        assert helps[flag].endswith(f"(default: {default})"), flag


# --------------------------------------------------- a net for net strategies
NET_STRATEGIES = [n for n in available_strategies() if strategy_needs(n) == "net"]


@pytest.mark.parametrize("strategy", NET_STRATEGIES)
@pytest.mark.parametrize("estimator", ["logreg", "forest"])
def test_a_net_strategy_suggests_the_estimators_that_work(strategy, estimator, capsys):
    from skactive.cli import _NETS, _ONE_NET

    assert main(["simulate", "--strategy", strategy, "--estimator", estimator]) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    # an ensemble's members are posterior samples, not one net's predictions
    tail = (
        "pseudolabel or bayes"
        if strategy in _ONE_NET
        else ("pseudolabel, ensemble or bayes")
    )
    assert last == (
        f"skactive simulate: error: --strategy {strategy} needs a skactive net (MC "
        f"dropout or predictions under augmentation), not --estimator {estimator}: "
        f"use --estimator mlp, cnn, mixmatch, fixmatch, flexmatch, labelprop, {tail}"
    )
    assert set(_NETS) == {
        "mlp",
        "cnn",
        "mixmatch",
        "fixmatch",
        "flexmatch",
        "labelprop",
        "pseudolabel",
    }


@pytest.mark.parametrize(
    "estimator",
    ["mlp", "cnn", "mixmatch", "fixmatch", "flexmatch", "labelprop", "bayes"],
)
def test_the_suggested_estimators_pass_the_check(estimator):
    from skactive.cli import _check_args, build_parser

    for strategy in NET_STRATEGIES:
        argv = ["simulate", "--strategy", strategy, "--estimator", estimator]
        _check_args(build_parser().parse_args(argv))  # raises nothing


def test_an_ensemble_passes_for_posterior_strategies_not_one_net_ones(capsys):
    from skactive.cli import _ONE_NET, _check_args, build_parser

    for strategy in NET_STRATEGIES:
        argv = ["simulate", "--strategy", strategy, "--estimator", "ensemble"]
        if strategy in _ONE_NET:
            assert main(argv) == 2
            assert "needs one net's predictions" in capsys.readouterr().err
        else:
            _check_args(build_parser().parse_args(argv))  # raises nothing


def test_qbc_runs_on_a_deep_ensemble(capsys):
    # the ensemble's members are the committee (Beluch et al. 2018)
    argv = ["simulate", "--estimator", "ensemble", "--strategy", "qbc"]
    argv += ["--rounds", "1", "--max-epochs", "1", "--n-instances", "5"]
    assert main([*argv, "--initial", "30", "--no-progress", "--threads", "1"]) == 0
    rows = result_rows(capsys.readouterr()[0])
    assert [r[1:3] for r in rows] == [(0, 30), (1, 35)]
    # any other estimator is refused, naming both that work
    assert main(["simulate", "--strategy", "qbc", "--estimator", "bayes"]) == 2
    assert "use --estimator forest or ensemble" in capsys.readouterr().err


@pytest.mark.parametrize("estimator", ["ensemble", "bayes"])
def test_bald_runs_on_ensembles_and_bayes_by_backprop(estimator, capsys):
    argv = ["simulate", "--estimator", estimator, "--strategy", "bald"]
    argv += ["--rounds", "1", "--max-epochs", "2", "--n-instances", "5"]
    assert main([*argv, "--initial", "30", "--no-progress", "--threads", "1"]) == 0
    rows = result_rows(capsys.readouterr()[0])
    assert [r[1:3] for r in rows] == [(0, 30), (1, 35)]


# ---------------------------------------------- the embedder's pre-training
EMBEDDER_RUN = ["simulate", "--estimator", "cnn", "--strategy", "random"]
EMBEDDER_RUN += ["--initial-strategy", "diversity", "--embedder", "rotnet"]
EMBEDDER_RUN += ["--embedder-epochs", "2", "--max-epochs", "1", "--rounds", "1"]
EMBEDDER_RUN += ["--threads", "1"]


def test_the_embedder_pre_training_shows_progress(tmp_path, capsys):
    ckpt = str(tmp_path / "state.json")
    assert main([*EMBEDDER_RUN, "--checkpoint", ckpt]) == 0
    out, err = capsys.readouterr()
    assert "RotNet" in err  # the bar over its epochs
    assert "simulate" in err  # and the rounds' bar
    assert [r[1:3] for r in result_rows(out)] == [(0, 20), (1, 30)]
    # --no-progress hides it, and the checkpoint does not depend on it: the
    # run resumes (the embedder's repr, which it records, is the same)
    assert main([*EMBEDDER_RUN, "--checkpoint", ckpt, "--no-progress"]) == 0
    again, err = capsys.readouterr()
    assert err == ""
    assert result_rows(again) == result_rows(out)
