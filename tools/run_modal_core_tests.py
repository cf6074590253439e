"""Run modAL's own test suite with skactive's learners in place of modAL's.

modAL's tests (``tests/core_tests.py``) are not in its releases on the
package index (neither the sdists nor the wheels ship them), so they are
read from a checkout of https://github.com/modAL-python/modAL::

    git clone https://github.com/modAL-python/modAL /tmp/modal
    python tools/run_modal_core_tests.py /tmp/modal            # skactive's learners
    python tools/run_modal_core_tests.py /tmp/modal --learner modal   # genuine modAL

The tests run against the modAL package of that checkout, in a subprocess,
with one shim: modAL itself still uses ``np.float``, removed in numpy 1.24.
With ``--learner skactive`` (the default) ``modAL.models.ActiveLearner`` and
``DeepActiveLearner`` (and their aliases in ``modAL.models.learners``) are
skactive's; everything else is modAL's. The script prints one line per test
class: passed / failed, and the failing tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

CONFTEST = """
import os

import numpy as np

if not hasattr(np, "float"):  # modAL uses the alias numpy removed in 1.24
    np.float = float

if os.environ.get("SKACTIVE_MODAL_LEARNER", "skactive") == "skactive":
    import modAL.models
    import modAL.models.learners

    import skactive

    for module in (modAL.models, modAL.models.learners):
        module.ActiveLearner = skactive.ActiveLearner
        module.DeepActiveLearner = skactive.DeepActiveLearner
"""


def run(source, learner, timeout):
    tests = Path(source) / "tests"
    if not (tests / "core_tests.py").exists():
        raise SystemExit(f"{source}: no tests/core_tests.py (a modAL checkout?)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "modal_tests"
        work.mkdir()
        for name in ("core_tests.py", "mock.py"):
            shutil.copy(tests / name, work / name)
        if (tests / "example_tests").is_dir():
            shutil.copytree(tests / "example_tests", work / "example_tests")
        (work / "conftest.py").write_text(CONFTEST)
        report = Path(tmp) / "report.xml"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(source).resolve()), env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
        env["SKACTIVE_MODAL_LEARNER"] = learner
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            "core_tests.py",
        ]
        proc = subprocess.run(
            cmd, cwd=work, env=env, capture_output=True, text=True, timeout=timeout
        )
        if not report.exists():
            print(proc.stdout[-3000:], proc.stderr[-3000:])
            raise SystemExit("the tests did not run")
        examples = {}
        for path in sorted((work / "example_tests").glob("[!_]*.py")):
            # each example on its own (modAL's TestExamples imports them all in
            # one test, which stops at the first that fails)
            code = CONFTEST + f"\nimport example_tests.{path.stem}\n"
            run_one = subprocess.run(
                [sys.executable, "-c", code],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            lines = run_one.stderr.strip().splitlines()
            examples[path.stem] = None if run_one.returncode == 0 else lines[-1]
        return ET.parse(report).getroot(), examples


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="a checkout of the modAL repository")
    parser.add_argument("--learner", choices=["skactive", "modal"], default="skactive")
    parser.add_argument("--timeout", type=int, default=1800)
    args = parser.parse_args(argv)
    root, examples = run(args.source, args.learner, args.timeout)
    by_class = defaultdict(lambda: [0, []])
    for case in root.iter("testcase"):
        cls = case.get("classname", "").split(".")[-1]
        node = case.find("failure")
        if node is None:
            node = case.find("error")
        if node is not None:
            message = ((node.get("message") or "").splitlines() or [""])[0][:110]
            by_class[cls][1].append(f"{case.get('name')}: {message}")
        else:
            by_class[cls][0] += 1
    total_pass = sum(v[0] for v in by_class.values())
    total_fail = sum(len(v[1]) for v in by_class.values())
    print(
        f"modAL core tests with the {args.learner} learners: "
        f"{total_pass} passed, {total_fail} failed"
    )
    for cls, (passed, failures) in sorted(by_class.items()):
        print(f"  {cls:<28} {passed:>3} passed {len(failures):>3} failed")
        for line in failures:
            print(f"      {line}")
    ok = sum(v is None for v in examples.values())
    print(f"modAL example tests, one by one: {ok} ran, {len(examples) - ok} failed")
    for name, error in examples.items():
        print(f"  {name:<28} {'ok' if error is None else error[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
