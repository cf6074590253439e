"""skactive works on scikit-learn 1.6 through the installed release."""

import json
from pathlib import Path

import pytest

from .conftest import run_with_site

SCRIPT = Path(__file__).with_name("sklearn_versions_script.py")


@pytest.mark.parametrize("release", ["1.6.*", "1.7.*", "1.8.*"])
def test_learner_strategies_and_nets_on_older_scikit_learn(release, pip_site):
    proc = run_with_site(pip_site(f"scikit-learn=={release}"), SCRIPT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["sklearn"].startswith(release[:-1])
    assert out["n_training"] == 30 + 5 + 5
    assert out["n_pool"] == 570 - 5
    assert out["rows_match"]
    assert out["net_picks"] == 4
    assert out["proba_rows"] == 7
