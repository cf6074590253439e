"""Start-up benchmark of the ``skactive`` command.

Usage::

    python benchmarks/bench_cli_startup.py            # 7 runs of each command
    python benchmarks/bench_cli_startup.py --runs 15

Every command runs ``--runs`` times in a fresh process (after one unmeasured
warm-up run that fills the file-system cache) and the table reports the median
wall time, with the ratio to ``python -c "import torch"`` measured in the same
run: what the command costs against what importing torch alone costs. The
``skactive`` rows run the console script installed beside the interpreter if
there is one, else ``python -m skactive``, with the checkout first on
``PYTHONPATH`` (so it measures this working tree, installed or not).

The answers of ``--help``, ``strategies`` and a bad flag are the commands a
user types to learn the tool: they must not wait for torch, skorch or modAL.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _skactive():
    """The command that runs ``skactive``: its console script or ``-m``."""
    script = Path(sys.executable).with_name("skactive")
    if script.exists():
        return [str(script)], "skactive"
    found = shutil.which("skactive")
    if found:
        return [found], "skactive"
    return [sys.executable, "-m", "skactive"], "python -m skactive"


def commands():
    """``[(label, argv, expected exit status)]`` of the timed commands."""
    cli, name = _skactive()
    py = sys.executable
    return [
        (f"{name} --help", [*cli, "--help"], 0),
        (f"{name} simulate --help", [*cli, "simulate", "--help"], 0),
        (f"{name} strategies", [*cli, "strategies"], 0),
        (f"{name} simulate --bad-flag", [*cli, "simulate", "--bad-flag"], 2),
        (f"{name} simulate --rounds 0", [*cli, "simulate", "--rounds", "0"], 2),
        ('python -c "import skactive"', [py, "-c", "import skactive"], 0),
        ('python -c "import torch"', [py, "-c", "import torch"], 0),
        ('python -c "import modAL.models"', [py, "-c", "import modAL.models"], 0),
        ('python -c "pass"', [py, "-c", "pass"], 0),
    ]


def time_command(argv, expected, runs, env):
    """Median wall time of ``runs`` fresh runs of ``argv``, in seconds."""
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, env=env, cwd=ROOT)
        elapsed = time.perf_counter() - t0
        if proc.returncode != expected:
            raise SystemExit(
                f"{' '.join(argv)} exited with {proc.returncode}, expected "
                f"{expected}:\n{proc.stderr.decode(errors='replace')}"
            )
        if i:  # the first run warms the file-system cache
            times.append(elapsed)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", type=int, default=7, help="fresh processes per command"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be a positive integer, got {args.runs}")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
    )
    rows = [
        (label, time_command(cmd, code, args.runs, env))
        for label, cmd, code in commands()
    ]
    torch_s = dict(rows)['python -c "import torch"']
    width = max(len(label) for label, _ in rows)
    print(
        f"median wall time of {args.runs} fresh processes "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    print(f"{'command':<{width}}  {'seconds':>7}  {'/ torch':>7}")
    for label, seconds in rows:
        print(f"{label:<{width}}  {seconds:>7.3f}  {seconds / torch_s:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
