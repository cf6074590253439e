"""The documentation builds without warnings and its gallery executes."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_sphinx_build_passes_with_warnings_as_errors(tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("SKACTIVE_DOCS_INTERSPHINX", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(ROOT / "docs"),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    html = tmp_path / "html"
    assert (html / "auto_examples" / "plot_01_quickstart.html").exists()
    assert (html / "generated" / "skactive.ActiveLearner.html").exists()
