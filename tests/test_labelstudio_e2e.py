"""End-to-end: the labelling loop against a real Label Studio server.

Part of the default ``python -m pytest`` (and so of CI). The server is a real
``label-studio`` executable: ``SKACTIVE_LABEL_STUDIO``, else one on ``PATH``,
else one the fixture installs once, in its own virtual environment (its
Django and numpy pins would clash with ours), under
``SKACTIVE_LABEL_STUDIO_HOME`` (default ``~/.cache/skactive/label-studio-1.23``)
-- about three minutes from the package index, then reused::

    python -m pytest tests/test_labelstudio_e2e.py

The fixture starts ``label-studio start`` (its embedded SQLite, in a
temporary folder, on a free port), waits for ``/health`` (up to
``SKACTIVE_LABEL_STUDIO_TIMEOUT`` seconds, default 900), logs in and creates
a personal access token, and stops the server afterwards. The images are
MNIST's from the shared data (``SKACTIVE_DATA`` or ``../shared/data``), or
scikit-learn's digits where a checkout has none. If Label Studio cannot be
installed, the test fails (never skips) with pip's message.
"""

from __future__ import annotations

import csv
import http.cookiejar
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision.io import encode_png

from skactive.cli import main
from skactive.project import Project
from skactive.project._images import quiet_torchvision_io
from skactive.project.labelstudio import LabelStudio

NAMES = "zero one two three four five six seven eight nine".split()
ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "e2e@example.com", "e2e-password-123"


#: What the fixture installs when no label-studio is given: 1.23 crashes at
#: start-up beside sentry-sdk 3 ("Unknown option 'send_default_pii'").
LABEL_STUDIO_REQUIREMENTS = ("label-studio==1.23.*", "sentry-sdk<3")


def _install_label_studio():
    """A label-studio executable in its own venv, installed once and reused."""
    home = Path(
        os.environ.get("SKACTIVE_LABEL_STUDIO_HOME")
        or Path.home() / ".cache" / "skactive" / "label-studio-1.23"
    )
    exe, complete = home / "bin" / "label-studio", home / ".installed"
    if complete.exists() and exe.exists():
        return str(exe)
    shutil.rmtree(home, ignore_errors=True)  # an interrupted install
    steps = [
        [sys.executable, "-m", "venv", str(home)],
        [str(home / "bin" / "pip"), "install", "-q", *LABEL_STUDIO_REQUIREMENTS],
    ]
    for cmd in steps:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        if done.returncode:
            pytest.fail(
                f"installing Label Studio failed ({' '.join(cmd)}):\n"
                f"{done.stderr[-2000:]}"
            )
    complete.write_text(" ".join(LABEL_STUDIO_REQUIREMENTS) + "\n")
    return str(exe)


def _executable():
    path = os.environ.get("SKACTIVE_LABEL_STUDIO") or shutil.which("label-studio")
    if not path:
        path = _install_label_studio()
    if not os.access(path, os.X_OK):
        pytest.fail(
            "the Label Studio end-to-end test needs a label-studio executable: "
            "install it in its own virtual environment (python -m venv ls && "
            "ls/bin/pip install 'label-studio==1.23.*' 'sentry-sdk<3') and set "
            "SKACTIVE_LABEL_STUDIO=ls/bin/label-studio "
            f"(SKACTIVE_LABEL_STUDIO={os.environ.get('SKACTIVE_LABEL_STUDIO')!r})."
        )
    return path


def _mnist():
    """MNIST of the shared data; where a checkout has none, scikit-learn's digits.

    The digits (8x8, 0-16) are scaled to uint8, enlarged 3x and padded to
    MNIST's 28x28: what matters here is the loop through a real server, and CI may
    run on a clone without ``../shared/data``.
    """
    folder = Path(os.environ.get("SKACTIVE_DATA", ROOT.parent / "shared" / "data"))
    path = folder / "mnist_train10k_test10k.npz"
    if path.is_file():
        with np.load(path) as data:
            return {k: data[k] for k in ("X_train", "y_train", "X_test", "y_test")}
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    images = np.kron(np.round(X * (255 / 16)).reshape(-1, 8, 8), np.ones((3, 3)))
    images = np.pad(images, ((0, 0), (2, 2), (2, 2))).astype(np.uint8)  # 28x28
    return {
        "X_train": images[:797],
        "y_train": y[:797],
        "X_test": images[797:],
        "y_test": y[797:],
    }


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _personal_access_token(url):
    """Log in as the server's user and create a personal access token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(url + "/user/login/").read()

    def csrf():
        return next(c.value for c in jar if c.name == "csrftoken")

    form = {"email": USER, "password": PASSWORD, "csrfmiddlewaretoken": csrf()}
    login = urllib.request.Request(
        url + "/user/login/",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Referer": url + "/user/login/"},
    )
    opener.open(login).read()
    create = urllib.request.Request(
        url + "/api/token/",
        data=b"{}",
        method="POST",
        headers={
            "X-CSRFToken": csrf(),
            "Content-Type": "application/json",
            "Referer": url,
        },
    )
    return json.loads(opener.open(create).read())["token"]


@pytest.fixture(scope="module")
def mnist_images(tmp_path_factory):
    """300 MNIST training images as PNG files, their classes, a test set."""
    data = _mnist()
    folder = tmp_path_factory.mktemp("ls") / "images"
    folder.mkdir()
    truth = {}
    for i in range(300):
        with quiet_torchvision_io():
            png = encode_png(torch.from_numpy(data["X_train"][i])[None])
        (folder / f"mnist{i:04d}.png").write_bytes(png.numpy().tobytes())
        truth[f"mnist{i:04d}.png"] = NAMES[data["y_train"][i]]
    X_test = np.repeat(data["X_test"][:1000, None], 3, axis=1)
    return folder, truth, X_test, data["y_test"][:1000]


@pytest.fixture(scope="module")
def label_studio(mnist_images, tmp_path_factory):
    """A real Label Studio server: ``(url, personal access token, process)``."""
    executable = _executable()
    folder = mnist_images[0]
    data_dir = tmp_path_factory.mktemp("ls-data")
    port = _free_port()
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "true",
        "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(folder),
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    }
    log = open(data_dir / "server.log", "wb")
    proc = subprocess.Popen(
        [
            executable,
            "start",
            "--no-browser",
            "--port",
            str(port),
            "--username",
            USER,
            "--password",
            PASSWORD,
        ],  # fmt: skip
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + float(os.environ.get("SKACTIVE_LABEL_STUDIO_TIMEOUT", 900))
    try:
        while True:
            if proc.poll() is not None:
                tail = (data_dir / "server.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"label-studio exited with {proc.returncode}:\n{tail}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail(f"label-studio did not answer {url}/health in time.")
            time.sleep(3)
        yield url, _personal_access_token(url), proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def _snapshot(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _labels_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_two_rounds_with_a_real_label_studio(
    label_studio, mnist_images, tmp_path, monkeypatch, capsys
):
    torch.set_num_threads(1)
    url, token, proc = label_studio
    folder, truth, X_test, y_test = mnist_images
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    proj = tmp_path / "proj"
    assert main(["init", str(proj), "--images", str(folder),
                 "--classes", ",".join(NAMES), "--image-size", "28",
                 "--no-progress"]) == 0  # fmt: skip
    ls = LabelStudio(url, token)
    config = (proj / "label_config.xml").read_text()
    pid = ls.create_project("skactive e2e", config)
    sync = ["sync", str(proj), "--url", url, "--project", str(pid)]
    accuracies, pushed = [], []
    for round_ in (1, 2, 3):
        query = ["query", str(proj), "-n", "40", "--cv", "0", "--no-progress"]
        assert main(query) == 0
        project = Project(proj)
        if round_ > 1:  # the net trained on the labels of the rounds before
            predicted = project.load_net().predict(X_test)
            accuracies.append(float(np.mean(predicted == y_test)))
        if round_ == 3:
            break
        assert main(sync) == 0
        batch = project.rounds[-1]["batch"]
        pushed += batch
        tasks = ls.tasks(pid)
        assert sorted(t["data"]["skactive_path"] for t in tasks) == sorted(pushed)
        if round_ == 2:  # our order is Label Studio's order by prediction score
            mine = {t["data"]["skactive_path"]: t for t in tasks}
            scores = [mine[q]["predictions"][0]["score"] for q in batch]
            assert scores == sorted(scores, reverse=True)
            assert [mine[q]["predictions_score"] for q in batch] == scores
        for task in tasks:  # the scripted annotator: the true classes
            if not task.get("total_annotations"):
                ls.annotate(task["id"], truth[task["data"]["skactive_path"]])
        exports = {}
        for kind, suffix in (("JSON", "json"), ("JSON_MIN", "json"), ("CSV", "csv")):
            exports[kind] = tmp_path / f"round{round_}-{kind}.{suffix}"
            exports[kind].write_text(_export(url, token, pid, kind))
        capsys.readouterr()
        assert main(["import", str(proj), str(exports["JSON"])]) == 0
        out = capsys.readouterr().out
        assert f"{len(pushed)} rows: 40 new" in out
        # the other formats and a second import: nothing new, nothing lost
        for kind in ("JSON_MIN", "CSV", "JSON"):
            assert main(["import", str(proj), str(exports[kind])]) == 0
            assert f"{len(pushed)} rows: {len(pushed)} same" in capsys.readouterr().out
        rows = _labels_csv(proj / "labels.csv")
        assert sorted(r["path"] for r in rows) == sorted(pushed)  # no duplicate
        assert all(r["label"] == truth[r["path"]] for r in rows)
        assert main(sync) == 0  # pulling again changes nothing, pushes nothing
        assert "pushed 0 task(s)" in capsys.readouterr().out
        assert len(_labels_csv(proj / "labels.csv")) == len(pushed)
    assert len(pushed) == len(set(pushed)) == 80
    with capsys.disabled():
        print(f"\nheld-out accuracy after 40 and 80 labels: {accuracies}")
    assert accuracies[1] > accuracies[0] + 0.05, accuracies
    _bad_inputs(proj, folder, exports, sync, proc, capsys)


def _export(url, token, pid, kind):
    """The text of a Label Studio export, as a user downloads it."""
    ls = LabelStudio(url, token)
    req = urllib.request.Request(
        f"{url}/api/projects/{pid}/export?exportType={kind}",
        headers={"Authorization": ls._authorization()},
    )
    with urllib.request.urlopen(req) as resp:
        return resp.read().decode("utf-8")


def _bad_inputs(proj, folder, exports, sync, proc, capsys):
    """Corrupted export, unknown class, deleted image, server down."""
    before = _snapshot(proj)
    cut = exports["JSON"].with_name("cut.json")
    cut.write_text(exports["JSON"].read_text()[:-200])
    assert main(["import", str(proj), str(cut)]) == 2
    assert "is not valid JSON" in capsys.readouterr().err
    assert _snapshot(proj) == before
    tasks = json.loads(exports["JSON"].read_text())
    tasks[0]["annotations"][0]["result"][0]["value"]["choices"] = ["ten"]
    unknown = exports["JSON"].with_name("unknown.json")
    unknown.write_text(json.dumps(tasks))
    assert main(["import", str(proj), str(unknown)]) == 2
    assert "unknown-class: class 'ten'" in capsys.readouterr().err
    assert _snapshot(proj) == before
    gone = tasks[1]["data"]["skactive_path"]
    saved = (folder / gone).read_bytes()
    (folder / gone).unlink()
    try:
        assert main(["query", str(proj), "-n", "5", "--cv", "0", "--no-progress",
                     "--no-report"]) == 0  # fmt: skip
        assert "1 image(s) missing" in capsys.readouterr().out
        assert gone not in Project(proj).usable_labels()
        assert gone in Project(proj).labels  # kept in labels.csv
        before = _snapshot(proj)
        # the server goes down: a clear error, nothing written
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
        assert main(sync) == 2
        assert "cannot reach Label Studio" in capsys.readouterr().err
        assert _snapshot(proj) == before
    finally:
        (folder / gone).write_bytes(saved)
