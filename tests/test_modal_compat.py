"""Genuine modAL learners run skactive strategies once, with the right picks."""

import json
from pathlib import Path

import pytest

from .conftest import MODAL_RELEASES, run_with_site

SCRIPT = Path(__file__).with_name("modal_compat_script.py")


@pytest.fixture(scope="module", params=MODAL_RELEASES)
def modal_results(request, modal_site):
    version = request.param
    proc = run_with_site(modal_site(version), SCRIPT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return version, json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_release_under_test_is_loaded(modal_results):
    version, results = modal_results
    assert results["modal_version"] == version


def test_genuine_learner_returns_strategy_picks_and_rows(modal_results):
    _, results = modal_results
    assert len(results["queries"]) == 2 * 4 * 3
    for q in results["queries"]:
        assert q["indices"] == q["expected"], q
        assert len(q["indices"]) == q["k"]
        assert len(set(q["indices"])) == q["k"]
        assert q["rows_match"], q


def test_strategy_runs_exactly_once_per_query(modal_results):
    _, results = modal_results
    for q in results["queries"]:
        assert q["calls"] == 1, q


def test_return_metrics_gives_the_strategy_scores(modal_results):
    version, results = modal_results
    with_metrics = [q for q in results["queries"] if "metrics_match" in q]
    if version == "0.4.1":
        assert with_metrics == []  # 0.4.1's query has no return_metrics
    else:
        assert len(with_metrics) == len(results["queries"])
        assert all(q["metrics_match"] for q in with_metrics)


def test_skactive_learner_subclasses_each_release(modal_results):
    _, results = modal_results
    learner = results["learner"]
    assert learner["isinstance"]
    assert learner["n_training"] == 60 + 10 + 3
    assert learner["n_pool"] == 340 - 3
    assert learner["rows_match"]
    assert learner["history"] == 2  # a teach() without query, then a query
