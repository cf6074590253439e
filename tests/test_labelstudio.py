"""Tests of skactive.project.labelstudio against a small fake Label Studio.

The fake speaks the few endpoints the client uses, checks the authorisation
header as Label Studio 1.23 does (a personal access token is exchanged for
an access token; a legacy token is sent as ``Token <key>``), and records
the requests. ``tests/test_labelstudio_e2e.py`` runs the loop against a real
server.
"""

from __future__ import annotations

import base64
import csv
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
import torch
from torchvision.io import encode_png

from skactive._errors import InvalidParameterError
from skactive.cli import main
from skactive.project import Project, query_batch
from skactive.project._images import quiet_torchvision_io
from skactive.project.labelstudio import LabelStudio, LabelStudioError, sync

CLASSES = ["zero", "one", "two"]


def _jwt(payload):
    part = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{part.rstrip('=')}.sig"


PAT = _jwt({"token_type": "refresh", "n": 1})
LEGACY = "0123456789abcdef"


class FakeLabelStudio:
    """A Label Studio stand-in: one project, tasks, annotations, export."""

    def __init__(self):
        self.tasks = []
        self.requests = []
        self.accesses = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, obj):
                raw = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(n)) if n else None

            def _authorised(self):
                auth = self.headers.get("Authorization", "")
                return auth == f"Token {LEGACY}" or auth == (
                    f"Bearer access-{fake.accesses}"
                )

            def do_POST(self):  # noqa: N802 - http.server's name
                url = urlparse(self.path)
                body = self._body()
                fake.requests.append(("POST", url.path, self.headers["Authorization"]))
                if url.path == "/api/token/refresh/":
                    if body != {"refresh": PAT}:
                        return self._send(401, {"detail": "bad token"})
                    fake.accesses += 1
                    return self._send(200, {"access": f"access-{fake.accesses}"})
                if not self._authorised():
                    return self._send(401, {"detail": "Invalid token."})
                if url.path == "/api/projects/1/import":
                    start = len(fake.tasks) + 1
                    for j, task in enumerate(body):
                        fake.tasks.append({**task, "id": start + j, "annotations": []})
                    ids = list(range(start, len(fake.tasks) + 1))
                    return self._send(201, {"task_count": len(body), "task_ids": ids})
                return self._send(404, {"detail": "not found"})

            def do_GET(self):  # noqa: N802
                url = urlparse(self.path)
                query = parse_qs(url.query)
                fake.requests.append(("GET", url.path, self.headers["Authorization"]))
                if not self._authorised():
                    return self._send(401, {"detail": "Invalid token."})
                if url.path == "/api/tasks/":
                    size = int(query["page_size"][0])
                    page = int(query["page"][0])
                    part = fake.tasks[(page - 1) * size : page * size]
                    return self._send(200, {"tasks": part, "total": len(fake.tasks)})
                if url.path == "/api/projects/1/export":
                    done = [t for t in fake.tasks if t["annotations"]]
                    return self._send(200, done)
                return self._send(404, {"detail": "not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def annotate_all(self, truth):
        for task in self.tasks:
            choice = truth[task["data"]["skactive_path"]]
            result = [{"type": "choices", "from_name": "choice", "to_name": "image",
                       "value": {"choices": [choice]}}]  # fmt: skip
            task["annotations"] = [{"result": result, "was_cancelled": False}]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    server = FakeLabelStudio()
    yield server
    server.close()


@pytest.fixture
def project(tmp_path, digit_images):
    X, y = digit_images
    keep = np.flatnonzero(y < 3)[:30]
    images = tmp_path / "images"
    images.mkdir()
    truth = {}
    for j, i in enumerate(keep):
        with quiet_torchvision_io():
            png = encode_png(torch.from_numpy(X[i])[None]).numpy().tobytes()
        (images / f"d{j:02d}.png").write_bytes(png)
        truth[f"d{j:02d}.png"] = CLASSES[y[i]]
    p = Project.create(
        tmp_path / "proj", images, CLASSES, image_size=8, max_epochs=2, progress=False
    )
    return p, truth


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _snapshot(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_personal_access_token_is_exchanged_and_refreshed(fake):
    ls = LabelStudio(fake.url, PAT)
    assert ls.tasks(1) == []
    assert fake.requests[:2] == [
        ("POST", "/api/token/refresh/", None),
        ("GET", "/api/tasks/", "Bearer access-1"),
    ]
    fake.accesses += 1  # the server expires the access token
    assert ls.tasks(1) == []
    assert [r[2] for r in fake.requests[2:]] == [
        "Bearer access-1",  # refused with 401
        None,  # a new access token
        "Bearer access-3",
    ]


def test_legacy_token_and_refused_keys(fake):
    assert LabelStudio(fake.url, LEGACY).tasks(1) == []
    assert fake.requests == [("GET", "/api/tasks/", f"Token {LEGACY}")]
    wrong = "wrong-secret-key"
    with pytest.raises(LabelStudioError, match="refused the API key") as info:
        LabelStudio(fake.url, wrong).tasks(1)
    assert wrong not in str(info.value)
    bad_pat = _jwt({"token_type": "refresh", "n": 2})
    with pytest.raises(LabelStudioError, match="personal access token"):
        LabelStudio(fake.url, bad_pat).tasks(1)
    assert wrong not in repr(LabelStudio(fake.url, wrong))


def test_bad_client_arguments():
    with pytest.raises(ValueError, match="url"):
        LabelStudio("localhost:8080", LEGACY)
    with pytest.raises(ValueError, match="api_key"):
        LabelStudio("http://localhost:8080", " ")


def test_sync_pushes_once_pulls_and_imports(project, fake):
    torch.set_num_threads(1)
    p, truth = project
    ls = LabelStudio(fake.url, PAT)
    query_batch(p, n_instances=6, cv=0, progress=False, report=False)
    first = sync(p, ls, 1)
    assert first["pushed"] == 6 and first["report"].rows == []
    batch = p.rounds[-1]["batch"]
    assert [t["data"]["skactive_path"] for t in fake.tasks] == batch
    assert json.loads((p.path / "rounds.json").read_text())[-1]["pushed"] == [
        {"url": fake.url, "project": 1, "task_ids": [1, 2, 3, 4, 5, 6]}
    ]
    assert sync(p, ls, 1)["pushed"] == 0  # already there: not pushed twice
    assert len(fake.tasks) == 6
    fake.annotate_all(truth)
    pulled = sync(p, ls, 1)
    assert pulled["report"].count("new") == 6 and pulled["pushed"] == 0
    assert Project(p.path).usable_labels() == {q: truth[q] for q in batch}
    again = sync(p, ls, 1)  # idempotent
    assert again["report"].count("same") == 6
    with open(p.path / "labels.csv") as fh:
        assert len(list(csv.DictReader(fh))) == 6
    # the next round pushes only its new tasks
    query_batch(p, n_instances=5, cv=0, progress=False, report=False)
    assert sync(p, ls, 1)["pushed"] == 5 and len(fake.tasks) == 11
    for folder in (p.path,):
        for path in folder.rglob("*"):
            if path.is_file():
                assert PAT.encode() not in path.read_bytes()


def test_sync_with_the_server_down_writes_nothing(project, monkeypatch, capsys):
    p, _ = project
    query_batch(p, n_instances=4, cv=0, progress=False, report=False)
    before = _snapshot(p.path)
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(LabelStudioError, match="cannot reach Label Studio"):
        sync(p, LabelStudio(url, LEGACY), 1)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", LEGACY)
    argv = ["sync", str(p.path), "--url", url, "--project", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot reach Label Studio" in err and LEGACY not in err
    assert _snapshot(p.path) == before


def test_sync_refuses_an_invalid_annotation_as_a_whole(project, fake):
    p, truth = project
    ls = LabelStudio(fake.url, LEGACY)
    query_batch(p, n_instances=4, cv=0, progress=False, report=False)
    sync(p, ls, 1)
    fake.annotate_all(truth)
    fake.tasks[2]["annotations"][0]["result"][0]["value"]["choices"] = ["cat"]
    before = _snapshot(p.path)
    with pytest.raises(InvalidParameterError, match="unknown-class: class 'cat'"):
        sync(p, ls, 1)
    assert _snapshot(p.path) == before
    report = sync(p, ls, 1, skip_invalid=True)["report"]
    assert report.count("new") == 3 and len(report.errors) == 1


def test_sync_command_needs_a_key(project, monkeypatch, capsys):
    p, _ = project
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    monkeypatch.setattr("sys.stdin", open("/dev/null"))
    argv = ["sync", str(p.path), "--url", "http://127.0.0.1:1", "--project", "1"]
    assert main(argv) == 2
    assert "LABEL_STUDIO_API_KEY" in capsys.readouterr().err
