"""Tests of the checkpoints of ``simulate``: resuming, refusing, surviving SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skactive._validation import InvalidParameterError
from skactive.experiment import simulate
from skactive.experiment._checkpoint import _digest
from skactive.strategies import RandomSampling

from ._helpers import N_POOL, FitRaises, run, without_timings

SCRIPT = Path(__file__).with_name("run_script.py")


def _run(checkpoint, **kwargs):
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(checkpoint)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


class Interrupted(Exception):
    """Raised by a patched strategy to stop a run mid-way."""


def interrupt_at_query(monkeypatch, n):
    """Make RandomSampling raise at its ``n``-th query (as a Ctrl-C would)."""
    original = RandomSampling.select
    calls = []

    def select(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise Interrupted
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RandomSampling, "select", select)


def test_resume_from_a_checkpoint_reproduces_the_run(split, tmp_path, monkeypatch):
    full = run(split, RandomSampling(), n_rounds=3)
    ckpt = tmp_path / "state.json"
    with monkeypatch.context() as patch:
        interrupt_at_query(patch, 2)
        with pytest.raises(Interrupted):
            run(split, RandomSampling(), n_rounds=3, checkpoint=ckpt)
    state = json.loads(ckpt.read_text())
    assert len(state["runs"]["RandomSampling/0"]["records"]) == 2  # rounds 0, 1
    resumed = run(split, RandomSampling(), n_rounds=3, checkpoint=ckpt)
    assert without_timings(resumed.records) == without_timings(full.records)
    with pytest.raises(ValueError, match="different configuration"):
        run(split, RandomSampling(), n_rounds=4, checkpoint=ckpt)


def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    reference = _run(tmp_path / "reference.json")
    out, err = reference.communicate(timeout=600)
    assert reference.returncode == 0, err
    expected = json.loads(out)

    checkpoint = tmp_path / "killed.json"
    victim = _run(checkpoint)
    deadline = time.time() + 300
    n_done = 0
    while time.time() < deadline:
        if checkpoint.exists():
            state = json.loads(checkpoint.read_text())
            n_done = sum(len(run["records"]) for run in state["runs"].values())
            if n_done >= 4:
                break
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate()
    assert victim.returncode == -signal.SIGKILL
    state = json.loads(checkpoint.read_text())
    n_done = sum(len(run["records"]) for run in state["runs"].values())
    assert 4 <= n_done < len(expected)  # really interrupted mid-way
    labeled_before = {k: run["labeled"] for k, run in state["runs"].items()}

    resumed = _run(checkpoint)
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    got = json.loads(out)
    assert without_timings(got) == without_timings(expected)
    final = json.loads(checkpoint.read_text())
    for key, labeled in labeled_before.items():  # no acquired label lost
        assert final["runs"][key]["labeled"][: len(labeled)] == labeled
    reference_state = json.loads((tmp_path / "reference.json").read_text())
    assert {k: v["labeled"] for k, v in final["runs"].items()} == {
        k: v["labeled"] for k, v in reference_state["runs"].items()
    }


def test_checkpoint_from_another_configuration_is_refused(digits_split, tmp_path):
    X, y, X_test, y_test = digits_split
    kwargs = dict(X_test=X_test, y_test=y_test, initial=10, progress=False)
    path = tmp_path / "ck.json"
    simulate(
        LogisticRegression(max_iter=300),
        RandomSampling(),
        X,
        y,
        n_rounds=1,
        n_instances=5,
        checkpoint=path,
        **kwargs,
    )
    with pytest.raises(
        ValueError, match="budgets: checkpoint \\[15\\] vs now \\[20\\]"
    ):
        simulate(
            LogisticRegression(max_iter=300),
            RandomSampling(),
            X,
            y,
            n_rounds=1,
            n_instances=10,
            checkpoint=path,
            **kwargs,
        )
    # a resumed complete run returns the stored rows without refitting
    again = simulate(
        LogisticRegression(max_iter=300),
        RandomSampling(),
        X,
        y,
        n_rounds=1,
        n_instances=5,
        checkpoint=path,
        **kwargs,
    )
    assert len(again) == 2


# ---- damaged checkpoints: one line naming the file, never a traceback
SMALL = dict(initial=10, n_rounds=2, n_instances=5, batch_metrics=False)


@pytest.fixture(scope="module")
def finished(split, tmp_path_factory):
    """The text of a finished checkpoint of a small run."""
    path = tmp_path_factory.mktemp("finished") / "state.json"
    run(split, RandomSampling(), checkpoint=path, **SMALL)
    return path.read_text()


def reseal(state):
    """``state`` with a checksum that holds (damage only the checks can see)."""
    state["sha256"] = _digest(state["config"], state["runs"])
    return state


def edit(text, change, sealed=False):
    state = json.loads(text)
    change(state)
    return json.dumps(reseal(state) if sealed else state)


def records_of(state):
    return state["runs"]["RandomSampling/0"]["records"]


def labeled_of(state):
    return state["runs"]["RandomSampling/0"]["labeled"]


def _set(mapping, key, value):
    mapping[key] = value


DAMAGE = {
    "truncated": lambda text: text[: len(text) // 2],
    "truncated to one byte": lambda text: text[:1],
    "empty": lambda text: "",
    "blank": lambda text: "  \n",
    "a JSON list": lambda text: "[1, 2, 3]",
    "a JSON string": lambda text: '"state"',
    "not UTF-8": lambda text: b"\xff\xfe{".decode("latin-1"),
    "an index out of range": lambda text: edit(
        text, lambda s: _set(labeled_of(s)[1], 0, N_POOL + 5)
    ),
    "a negative index": lambda text: edit(
        text, lambda s: _set(labeled_of(s)[2], 1, -1)
    ),
    "a removed record key": lambda text: edit(
        text, lambda s: records_of(s)[1].pop("accuracy")
    ),
    "a removed top-level key": lambda text: edit(text, lambda s: s.pop("runs")),
    "a removed checksum": lambda text: edit(text, lambda s: s.pop("sha256")),
    "an edited record": lambda text: edit(
        text, lambda s: _set(records_of(s)[2], "accuracy", 0.999)
    ),
    "an edited pick": lambda text: edit(
        text,
        lambda s: _set(labeled_of(s)[1], 0, labeled_of(s)[1][0] + 1),
    ),
    "NaN written in": lambda text: text.replace("null", "NaN", 1),
    "not a checkpoint": lambda text: json.dumps({"hello": "world"}),
    # damage that the checksum does not see, the checks of the runs do
    "a sealed index out of range": lambda text: edit(
        text, lambda s: _set(labeled_of(s)[1], 0, N_POOL), sealed=True
    ),
    "a sealed duplicate pick": lambda text: edit(
        text,
        lambda s: _set(labeled_of(s)[2], 0, labeled_of(s)[1][0]),
        sealed=True,
    ),
    "a sealed removed record key": lambda text: edit(
        text, lambda s: records_of(s)[0].pop("macro_f1"), sealed=True
    ),
    "a sealed extra record key": lambda text: edit(
        text, lambda s: _set(records_of(s)[0], "note", 1), sealed=True
    ),
    "a sealed accuracy above 1": lambda text: edit(
        text, lambda s: _set(records_of(s)[1], "accuracy", 1.5), sealed=True
    ),
    "a sealed string accuracy": lambda text: edit(
        text, lambda s: _set(records_of(s)[1], "accuracy", "0.9"), sealed=True
    ),
    "a sealed wrong round": lambda text: edit(
        text, lambda s: _set(records_of(s)[1], "round", 2), sealed=True
    ),
    "a sealed short round of labels": lambda text: edit(
        text, lambda s: labeled_of(s)[1].pop(), sealed=True
    ),
    "a sealed missing record": lambda text: edit(
        text, lambda s: records_of(s).pop(), sealed=True
    ),
    "a sealed unknown run": lambda text: edit(
        text,
        lambda s: _set(s["runs"], "other/0", s["runs"]["RandomSampling/0"]),
        sealed=True,
    ),
    "a sealed run that is a list": lambda text: edit(
        text, lambda s: _set(s["runs"], "RandomSampling/0", []), sealed=True
    ),
    "a sealed config without seed": lambda text: edit(
        text, lambda s: s["config"].pop("seed"), sealed=True
    ),
}


def assert_one_line_naming(message, path, verb="is damaged"):
    assert "\n" not in message
    assert str(path) in message
    assert f"{path!s}' {verb}: " in message
    assert "remove it or choose another checkpoint path" in message
    for decoder_words in ("Expecting", "line 1 column", "char ", "Traceback"):
        assert decoder_words not in message


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_checkpoint_is_refused_in_one_line(split, finished, tmp_path, damage):
    path = tmp_path / "state.json"
    path.write_text(DAMAGE[damage](finished))
    with pytest.raises(InvalidParameterError) as info:
        run(split, RandomSampling(), checkpoint=path, **SMALL)
    assert_one_line_naming(str(info.value), path)


def test_a_folder_as_checkpoint_is_refused(split, tmp_path):
    path = tmp_path / "state.json"
    path.mkdir()
    with pytest.raises(InvalidParameterError, match="a folder, not a file") as info:
        run(split, RandomSampling(), checkpoint=path, **SMALL)
    assert_one_line_naming(str(info.value), path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: {"config": {"version": 1, **s["config"]}, "runs": s["runs"]},
            "older skactive",
        ),
        (
            lambda s: {**s, "version": 3},
            "format version 3, this skactive reads",
        ),
    ],
    ids=["format 1", "format 3"],
)
def test_a_checkpoint_of_another_format_is_refused(
    split, finished, tmp_path, change, message
):
    path = tmp_path / "state.json"
    path.write_text(json.dumps(change(json.loads(finished))))
    with pytest.raises(InvalidParameterError, match=message) as info:
        run(split, RandomSampling(), checkpoint=path, **SMALL)
    assert_one_line_naming(str(info.value), path, verb="cannot be resumed")


def test_the_damage_tests_start_from_a_checkpoint_that_resumes(
    split, finished, tmp_path
):
    path = tmp_path / "state.json"
    path.write_text(edit(finished, lambda s: None, sealed=True))
    resumed = run(split, RandomSampling(), checkpoint=path, **SMALL)
    fresh = run(split, RandomSampling(), **SMALL)
    assert without_timings(resumed.records) == without_timings(fresh.records)


def test_checkpoint_is_strict_json_with_a_format_version_and_checksum(split, finished):
    state = json.loads(finished, parse_constant=refuse_constant)
    assert state["format"] == "skactive.experiment.simulate checkpoint"
    assert state["version"] == 2
    assert state["sha256"] == _digest(state["config"], state["runs"])
    assert records_of(state)[0]["class_distance"] is None  # NaN in the result


def refuse_constant(name):
    raise AssertionError(f"not strict JSON: {name}")


def test_checkpoint_folder_is_checked_before_any_fit(split, tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(InvalidParameterError, match="is not a folder"):
        run(
            split,
            RandomSampling(),
            estimator=FitRaises(),
            checkpoint=tmp_path / "file" / "state.json",
            **SMALL,
        )


def test_random_state_none_resumes_with_the_stored_seed(split, tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    with monkeypatch.context() as patch:
        interrupt_at_query(patch, 2)
        with pytest.raises(Interrupted):
            run(split, RandomSampling(), random_state=None, checkpoint=path, **SMALL)
    seed = json.loads(path.read_text())["config"]["seed"]
    resumed = run(split, RandomSampling(), random_state=None, checkpoint=path, **SMALL)
    expected = run(split, RandomSampling(), random_state=seed, **SMALL)
    assert without_timings(resumed.records) == without_timings(expected.records)


def test_fingerprint_of_views_of_a_dataset_reads_no_item():
    import torch

    from skactive.experiment._checkpoint import fingerprint
    from skactive.pools import DatasetRows, PoolView

    class Counting(torch.utils.data.Dataset):
        reads = 0
        samples = [(f"img{i}.png", i % 2) for i in range(10)]

        def __len__(self):
            return 10

        def __getitem__(self, i):
            Counting.reads += 1
            return torch.zeros(3), i % 2

    rows = DatasetRows(Counting())  # reads the first item for the row shape
    before = Counting.reads
    a, b = PoolView(rows, [0, 2, 4]), PoolView(rows, [0, 2, 5])
    assert fingerprint(a) == fingerprint(PoolView(rows, [0, 2, 4]))
    assert len({fingerprint(a), fingerprint(b), fingerprint(rows)}) == 3
    assert Counting.reads == before


def test_fingerprint_of_an_array_view_hashes_its_rows():
    from skactive.experiment._checkpoint import fingerprint
    from skactive.pools import PoolView

    X = np.arange(24.0).reshape(6, 4)
    assert fingerprint(PoolView(X, [1, 3])) == fingerprint(X[[1, 3]])


# ---- stopping criteria with a checkpoint: their state is stored and restored
def _stop_criteria():
    from skactive.stopping import (
        ClassificationChange,
        MetricPlateau,
        StabilizingPredictions,
    )

    return {
        "kappa": StabilizingPredictions(0.85, window=2),
        "plateau": MetricPlateau(patience=2, min_delta=0.02),
        "change": ClassificationChange(0.08),
    }


STOP_RUN = dict(initial=10, n_rounds=8, n_instances=10, batch_metrics=False)
STOP_COLUMNS = ("stop_kappa", "stop_plateau", "stop_change")


def _fired_round(records, column):
    return next((r["round"] for r in records if r[column]), None)


def _interrupted_then_resumed(split, ckpt, monkeypatch, at_query):
    with monkeypatch.context() as patch:
        interrupt_at_query(patch, at_query)
        with pytest.raises(Interrupted):
            run(
                split,
                RandomSampling(),
                checkpoint=ckpt,
                stop=_stop_criteria(),
                **STOP_RUN,
            )
    return run(
        split, RandomSampling(), checkpoint=ckpt, stop=_stop_criteria(), **STOP_RUN
    )


def test_a_resumed_run_fires_in_the_same_round_as_an_uninterrupted_one(
    split, tmp_path, monkeypatch
):
    full = run(split, RandomSampling(), stop=_stop_criteria(), **STOP_RUN)
    fired = {c: _fired_round(full.records, c) for c in STOP_COLUMNS}
    # the run is interrupted before any criterion fires, after they have
    # consulted several rounds: only a restored state fires in the same round
    assert all(r is not None and r >= 4 for r in fired.values()), fired
    ckpt = tmp_path / "state.json"
    resumed = _interrupted_then_resumed(split, ckpt, monkeypatch, at_query=4)
    assert without_timings(resumed.records) == without_timings(full.records)
    assert {c: _fired_round(resumed.records, c) for c in STOP_COLUMNS} == fired
    state = json.loads(ckpt.read_text())["runs"]["RandomSampling/0"]["stop"]
    assert set(state) == set(STOP_COLUMNS)
    assert state["stop_kappa"]["n_calls"] == STOP_RUN["n_rounds"] + 1
    assert state["stop_kappa"]["stop_round"] == fired["stop_kappa"]
    assert len(state["stop_kappa"]["last"]) == N_POOL  # the pool is the stop set


def test_without_the_restored_state_the_resumed_run_would_fire_later(
    split, tmp_path, monkeypatch
):
    # the test above can fail: resuming with fresh criteria fires later
    from skactive.stopping import StoppingCriterion

    full = run(split, RandomSampling(), stop=_stop_criteria(), **STOP_RUN)
    monkeypatch.setattr(StoppingCriterion, "set_state", lambda self, state: self)
    resumed = _interrupted_then_resumed(
        split, tmp_path / "state.json", monkeypatch, at_query=4
    )
    for c in STOP_COLUMNS:
        late = _fired_round(resumed.records, c)  # None: never fired
        assert late is None or late > _fired_round(full.records, c), c


def test_a_stop_without_state_is_refused_with_a_checkpoint(split, tmp_path):
    def plain(estimator, X, n_labels=None, metric=None):
        return n_labels >= 20

    with pytest.raises(InvalidParameterError, match="simulate: stop=.*checkpoint"):
        run(
            split, RandomSampling(), stop=plain, checkpoint=tmp_path / "a.json", **SMALL
        )
    with pytest.raises(InvalidParameterError, match=r"stop\['budget'\]="):
        run(
            split,
            RandomSampling(),
            stop={"budget": plain},
            checkpoint=tmp_path / "b.json",
            **SMALL,
        )
    # without a checkpoint a plain callable is consulted as before
    res = run(split, RandomSampling(), stop=plain, **SMALL)
    assert [r["stop"] for r in res.records] == [False, False, True]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda run_: run_.pop("stop"), "no state of its stopping criteria"),
        (
            lambda run_: _set(run_["stop"]["stop_kappa"], "n_calls", 1),
            "has consulted 1 rounds, not the 3 stored",
        ),
        (
            lambda run_: _set(run_["stop"]["stop_kappa"], "last", ["a"]),
            "no list of predicted classes",
        ),
        (
            lambda run_: _set(run_["records"][0], "stop_kappa", 1),
            "stop_kappa 1, not a boolean",
        ),
        (lambda run_: run_["records"][0].pop("stop_change"), "lacks 'stop_change'"),
    ],
    ids=["no state", "n_calls", "last", "column type", "column missing"],
)
def test_a_damaged_stopping_state_is_refused_in_one_line(
    split, tmp_path, change, message
):
    path = tmp_path / "state.json"
    run(split, RandomSampling(), checkpoint=path, stop=_stop_criteria(), **SMALL)
    path.write_text(
        edit(
            path.read_text(),
            lambda s: change(s["runs"]["RandomSampling/0"]),
            sealed=True,
        )
    )
    with pytest.raises(InvalidParameterError, match=message) as info:
        run(split, RandomSampling(), checkpoint=path, stop=_stop_criteria(), **SMALL)
    assert_one_line_naming(str(info.value), path)
