"""Tests of the checkpoints of ``simulate``: resuming, refusing, surviving SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

from skactive.experiment import simulate
from skactive.strategies import RandomSampling

from ._helpers import run, without_timings

SCRIPT = Path(__file__).with_name("run_script.py")


def _run(checkpoint, **kwargs):
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(checkpoint)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_resume_from_a_checkpoint_reproduces_the_run(split, tmp_path):
    ckpt = tmp_path / "state.json"
    full = run(split, RandomSampling(), n_rounds=3, checkpoint=ckpt)
    state = json.loads(ckpt.read_text())
    run_state = state["runs"]["RandomSampling/0"]
    del run_state["records"][2:]  # as if interrupted after round 1
    del run_state["labeled"][2:]
    ckpt.write_text(json.dumps(state))
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
