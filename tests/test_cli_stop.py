"""``skactive simulate --stop NAME[:param=value,...]`` (skactive.cli)."""

from __future__ import annotations

import csv
import inspect
import re
import subprocess
import sys

import pytest

import skactive.stopping as stopping
from skactive.cli import _STOPPING_RULES, _parse_stop, _UsageError, main

FIRED = re.compile(r"^(\w+)\s+(\w+): (.*)$")


def fired_lines(out):
    """``{(strategy, criterion): [cells per repeat]}`` of the stopping block."""
    lines = out.split("stopping (round at which each --stop fired", 1)[1]
    got = {}
    for line in lines.splitlines()[1:]:
        m = FIRED.match(line)
        if not m:
            break
        got[m[1], m[2]] = m[3].split(", ")
    return got


def test_the_results_show_the_round_each_criterion_fired(tmp_path, capsys):
    argv = [
        "simulate",
        "--strategy",
        "random",
        "--strategy",
        "margin",
        "--initial",
        "20",
        "--rounds",
        "4",
        "--repeats",
        "2",
        "--no-progress",
        "--stop",
        "budget:n=40",
        "--stop",
        "kappa:k=2,threshold=0.5",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    got = fired_lines(out)
    # 20 initial labels + 10 per round: 40 labels are reached in round 2
    for strategy in ("random", "margin"):
        assert got[strategy, "budget"] == ["2 (40 labels)"] * 2
    # the kappa cells are the first round of each repeat whose column is True
    with open(tmp_path / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {"stop_budget", "stop_kappa"} <= set(rows[0])
    for strategy in ("random", "margin"):
        cells = []
        for repeat in ("0", "1"):
            runs = [
                r for r in rows if (r["strategy"], r["repeat"]) == (strategy, repeat)
            ]
            first = next((r for r in runs if r["stop_kappa"] == "True"), None)
            cells.append(
                "-"
                if first is None
                else f"{first['round']} ({first['n_labels']} labels)"
            )
        assert got[strategy, "kappa"] == cells
    # a low threshold on digits fires within 4 rounds (the test can see a round)
    assert any(c != "-" for s in ("random", "margin") for c in got[s, "kappa"])


def test_stop_and_checkpoint_resume_to_the_same_output(tmp_path, capsys):
    argv = [
        "simulate",
        "--rounds",
        "3",
        "--no-progress",
        "--stop",
        "change:threshold=0.2",
        "--stop",
        "plateau:patience=1,min_delta=0.5",
        "--checkpoint",
        str(tmp_path / "state.json"),
    ]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert main(argv) == 0  # resumed from the finished checkpoint
    assert capsys.readouterr().out == first
    # plateau with min_delta 0.5: round 1 gains less than 0.5 over round 0
    assert fired_lines(first)["entropy", "plateau"] == ["1 (30 labels)"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "kapa:k=3",
            "unknown --stop criterion 'kapa' in 'kapa:k=3'. Did you mean 'kappa'?",
        ),
        ("kappa:k=0", "--stop 'kappa:k=0': k must be >= 1, got 0"),
        ("kappa:k=2.5", "--stop 'kappa:k=2.5': k must be an integer, got '2.5'"),
        ("kappa:threshold=0", "threshold must be in (0, 1], got 0"),
        ("kappa:threshold=nan", "threshold must be in (0, 1], got nan"),
        ("kappa:window=3", "kappa has no parameter 'window'; its parameters: k, thr"),
        ("kappa:k", "parameters are param=value pairs separated by commas, got 'k'"),
        ("kappa:k=2,k=3", "k is given twice"),
        ("change:threshold=1", "threshold must be in [0, 1), got 1"),
        ("uncertainty:measure=var", "measure must be one of entropy, least_conf"),
        ("confidence:threshold=x", "threshold must be a number, got 'x'"),
        ("budget", "--stop 'budget': budget needs n=... (e.g. budget:n=200)"),
        ("budget:n=-5", "n must be >= 1, got -5"),
        ("plateau:min_delta=-1", "min_delta must be >= 0, got -1"),
    ],
)
def test_a_bad_stop_is_a_usage_error_naming_the_flag_and_value(spec, message, capsys):
    assert main(["simulate", "--stop", spec]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    usage, *_, last = err.splitlines()
    assert usage.startswith("usage: skactive simulate")
    assert last.startswith("skactive simulate: error: ")
    assert message in last


def test_the_same_criterion_twice_is_refused(capsys):
    argv = ["simulate", "--stop", "budget:n=30", "--stop", "budget:n=40"]
    assert main(argv) == 2
    assert "--stop budget is given twice" in capsys.readouterr().err


def test_a_bad_stop_answers_without_importing_torch():
    code = (
        "import sys\n"
        "from skactive.cli import main\n"
        "status = main(['simulate', '--stop', 'kappa:k=0'])\n"
        "print(status, 'torch' in sys.modules, 'sklearn' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert proc.stdout.split() == ["2", "False", "False"], proc.stderr


@pytest.mark.parametrize("name", sorted(_STOPPING_RULES))
def test_the_table_builds_the_criteria_it_names(name):
    rule = _STOPPING_RULES[name]
    cls = getattr(stopping, rule.cls)
    constraints = cls._parameter_constraints
    for p in rule.params.values():
        assert p.keyword in constraints, (name, p.keyword)
    init = inspect.signature(cls.__init__).parameters
    required = {
        k
        for k, v in init.items()
        if k != "self" and v.default is inspect.Parameter.empty
    }
    assert required == {rule.params[k].keyword for k in rule.required}
    # every value the command accepts at the bounds the criterion accepts too
    kwargs = {rule.params[k].keyword: 50 for k in rule.required}
    for key, p in rule.params.items():
        if p.kind is str:
            values = list(p.choices)
        else:
            values = [
                v
                for v, ok in (
                    (p.low, p.closed in ("both", "left")),
                    (p.high, p.closed in ("both", "right")),
                )
                if v is not None and ok
            ]
        for v in values:
            spec = f"{name}:" + ",".join(
                [f"{key}={v}"] + [f"{k}=50" for k in rule.required if k != key]
            )
            _, cls_name, parsed = _parse_stop(spec)
            stopping_obj = getattr(stopping, cls_name)(**{**kwargs, **parsed})
            from skactive._validation import validate_estimator_params

            validate_estimator_params(stopping_obj)  # raises if refused


def test_parse_stop_returns_the_criterion_and_its_keywords():
    assert _parse_stop("kappa:k=3,threshold=0.99") == (
        "kappa",
        "StabilizingPredictions",
        {"window": 3, "threshold": 0.99},
    )
    assert _parse_stop("budget:n=200") == ("budget", "LabelBudget", {"max_labels": 200})
    assert _parse_stop("plateau") == ("plateau", "MetricPlateau", {})
    with pytest.raises(_UsageError):
        _parse_stop("")
