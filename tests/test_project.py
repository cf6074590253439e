"""Tests of skactive.project: the project folder, exports, import, query."""

from __future__ import annotations

import csv
import hashlib
import json
import sys

import numpy as np
import pytest
import torch
from torchvision.io import encode_png

from skactive._errors import InvalidParameterError
from skactive.cli import build_parser, main
from skactive.project import (
    ESTIMATORS,
    ImageFiles,
    Project,
    file_sha256,
    import_labels,
    label_config,
    list_images,
    query_batch,
    read_export,
)
from skactive.project._images import quiet_torchvision_io

CLASSES = ["zero", "one", "two"]


def _png(array):
    with quiet_torchvision_io():
        return encode_png(torch.from_numpy(np.ascontiguousarray(array))[None]).numpy()


@pytest.fixture(scope="module")
def digit_files(tmp_path_factory, digit_images):
    """60 digits (0, 1, 2) as 8x8 PNG files in two folders, and their labels."""
    X, y = digit_images
    keep = np.flatnonzero(y < 3)[:60]
    root = tmp_path_factory.mktemp("images")
    (root / "sub").mkdir()
    truth = {}
    for j, i in enumerate(keep):
        rel = f"{'sub/' if j % 2 else ''}d{j:03d}.png"
        (root / rel).write_bytes(_png(X[i]).tobytes())
        truth[rel] = CLASSES[y[i]]
    return root, truth


@pytest.fixture
def images(tmp_path, digit_files):
    """A fresh copy of the image folder (tests delete and change images)."""
    import shutil

    src, truth = digit_files
    dst = tmp_path / "images"
    shutil.copytree(src, dst)
    return dst, dict(truth)


def _project(tmp_path, images, **kwargs):
    kwargs.setdefault("max_epochs", 3)
    kwargs.setdefault("image_size", 8)
    return Project.create(tmp_path / "proj", images, CLASSES, progress=False, **kwargs)


def _write_csv(path, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label"])
        w.writerows(rows)
    return path


def _files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# ------------------------------------------------------------------ images
def test_list_images_and_hashes(digit_files):
    root, truth = digit_files
    (root / ".hidden.png").write_bytes(b"x")
    (root / "notes.txt").write_text("not an image")
    assert list_images(root) == sorted(truth)
    path = root / sorted(truth)[0]
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert file_sha256(path, chunk_size=7) == file_sha256(path)


def test_image_files_decode_and_resize(digit_files, digit_images):
    root, truth = digit_files
    X, y = digit_images
    first = sorted(truth)[0]  # "d000.png", the first digit < 3
    image = ImageFiles([root / first], size=8)[0]
    expected = X[np.flatnonzero(y < 3)[0]]
    assert image.dtype == torch.uint8 and image.shape == (3, 8, 8)
    for c in range(3):  # grey -> RGB, unchanged at the same size
        np.testing.assert_array_equal(image[c].numpy(), expected)
    assert ImageFiles([root / first], size=16)[0].shape == (3, 16, 16)
    bad = root.parent / "broken.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(InvalidParameterError, match="broken.png"):
        ImageFiles([bad])[0]


# ------------------------------------------------------------------ project
def test_create_writes_a_project_that_pickles_nothing(tmp_path, images):
    folder, truth = images
    p = _project(tmp_path, folder)
    names = sorted(_files(p.path))
    assert names == [
        "label_config.xml",
        "labels.csv",
        "manifest.csv",
        "project.json",
        "rounds.json",
    ]
    with open(p.path / "manifest.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["path"] for r in rows] == sorted(truth)
    for r in rows:
        expected = hashlib.sha256((folder / r["path"]).read_bytes()).hexdigest()
        assert r["sha256"] == expected
    settings = json.loads((p.path / "project.json").read_text())
    assert settings["classes"] == CLASSES and settings["images"] == str(folder)
    again = Project(p.path)
    assert again.manifest == p.manifest and again.labels == {} and again.rounds == []
    assert 'Choice value="two"' in (p.path / "label_config.xml").read_text()


def test_create_refuses_bad_arguments_naming_them(tmp_path, images):
    folder, _ = images
    cases = [
        ({"classes": ["a"]}, "classes"),
        ({"classes": ["a", "a"]}, "classes"),
        ({"classes": "a, ,b"}, "classes"),
        ({"estimator": "svm"}, "estimator"),
        ({"image_size": 0}, "image_size"),
        ({"max_epochs": 1.5}, "max_epochs"),
        ({"seed": -1}, "seed"),
        ({"image_url": "/x"}, "image_url"),
        ({"images": tmp_path / "none"}, "images"),
    ]
    for kwargs, name in cases:
        args = {"path": tmp_path / "p", "images": folder, "classes": CLASSES}
        args.update(kwargs)
        with pytest.raises(InvalidParameterError, match=name):
            Project.create(progress=False, **args)
        assert not (tmp_path / "p").exists()
    _project(tmp_path, folder)
    with pytest.raises(InvalidParameterError, match="already exists"):
        _project(tmp_path, folder)
    with pytest.raises(InvalidParameterError, match="not a skactive project"):
        Project(tmp_path)


def test_create_with_labels_and_refusing_bad_ones(tmp_path, images):
    folder, truth = images
    paths = sorted(truth)[:5]
    good = _write_csv(tmp_path / "good.csv", [(q, truth[q]) for q in paths])
    p = _project(tmp_path, folder, labels=good)
    assert p.usable_labels() == {q: truth[q] for q in paths}
    assert Project(p.path).usable_labels() == p.usable_labels()
    bad = _write_csv(tmp_path / "bad.csv", [(paths[0], "seven")])
    with pytest.raises(InvalidParameterError, match="seven"):
        Project.create(tmp_path / "p2", folder, CLASSES, labels=bad, progress=False)
    assert not (tmp_path / "p2").exists()  # nothing written


def test_label_config_escapes_names():
    xml = label_config(["a&b", 'say "x"'])
    assert '<Choice value="a&amp;b"/>' in xml
    assert "<Choice value='say \"x\"'/>" in xml


# ------------------------------------------------------------------ exports
def _task(path, *annotations, url=None):
    data = {"image": url or f"/data/local-files/?d={path}", "skactive_path": path}
    return {"id": 1, "data": data, "annotations": list(annotations)}


def _ann(choice, cancelled=False, from_name="choice"):
    result = (
        []
        if choice is None
        else [
            {
                "from_name": from_name,
                "to_name": "image",
                "type": "choices",
                "value": {"choices": [choice] if isinstance(choice, str) else choice},
            }
        ]
    )
    return {"result": result, "was_cancelled": cancelled}


def test_read_json_export_statuses(tmp_path):
    tasks = [
        _task("a.png", _ann("one")),
        _task("b.png", _ann("one", cancelled=True)),
        _task("c.png"),
        _task("d.png", _ann(None)),
        _task("e.png", _ann("one"), _ann("two")),
        _task("f.png", _ann("one", cancelled=True), _ann("two")),
        _task("g.png", _ann(["one", "two"])),
        _task("h.png", _ann("one", from_name="other")),
    ]
    f = tmp_path / "export.json"
    f.write_text(json.dumps(tasks))
    rows = read_export(f)
    got = [(r.ref, r.labels, r.status) for r in rows]
    assert got == [
        ("a.png", ["one"], "ok"),
        ("b.png", [], "skipped"),
        ("c.png", [], "empty"),
        ("d.png", [], "empty"),
        ("e.png", ["one", "two"], "ok"),
        ("f.png", ["two"], "ok"),
        ("g.png", [], "bad-row"),
        ("h.png", ["one"], "ok"),
    ]
    assert [r.row for r in rows] == list(range(1, 9))
    # only the named control counts
    assert read_export(f, label_field="choice")[7].status == "empty"


def test_read_json_min_and_csv_exports(tmp_path):
    f = tmp_path / "min.json"
    f.write_text(
        json.dumps(
            [
                {"image": "/x?d=a.png", "skactive_path": "a.png", "choice": "one"},
                {"image": "/x?d=b.png", "choice": {"choices": ["two"]}},
                {"image": "/x?d=c.png", "id": 3},
            ]
        )
    )
    assert [(r.ref, r.labels, r.status) for r in read_export(f)] == [
        ("a.png", ["one"], "ok"),
        ("/x?d=b.png", ["two"], "ok"),
        ("/x?d=c.png", [], "empty"),
    ]
    g = tmp_path / "ls.csv"
    g.write_text(
        "annotation_id,annotator,choice,id,image,lead_time,skactive_path\n"
        "1,1,one,5,/x?d=a.png,2.0,a.png\n"
        "2,1,,6,/x?d=b.png,1.0,b.png\n"
    )
    assert [(r.ref, r.labels, r.status) for r in read_export(g)] == [
        ("a.png", ["one"], "ok"),
        ("b.png", [], "empty"),
    ]


def test_corrupted_exports_are_refused_clearly(tmp_path):
    f = tmp_path / "cut.json"
    f.write_text('[{"data": {"image": "a.png"}, "annotations": [')
    with pytest.raises(InvalidParameterError, match=r"not valid JSON \(line 1"):
        read_export(f)
    g = tmp_path / "nolabel.csv"
    g.write_text("path,color\na.png,red\n")
    with pytest.raises(InvalidParameterError, match="label column"):
        read_export(g)
    h = tmp_path / "noimage.csv"
    h.write_text("label\none\n")
    with pytest.raises(InvalidParameterError, match="naming the image"):
        read_export(h)
    with pytest.raises(InvalidParameterError, match="no such file"):
        read_export(tmp_path / "missing.json")
    k = tmp_path / "scalar.json"
    k.write_text("3")
    with pytest.raises(InvalidParameterError, match="list of tasks"):
        read_export(k)


# ------------------------------------------------------------------ import
def test_import_validates_every_row_and_writes_nothing_on_error(tmp_path, images):
    folder, truth = images
    p = _project(tmp_path, folder)
    a, b, c, d = sorted(truth)[:4]
    tasks = [
        _task(a, _ann(truth[a])),
        _task(b, _ann("seven")),  # unknown class
        _task("nowhere.png", _ann("one")),  # not in the pool
        _task(c, _ann("one"), _ann("two")),  # annotators disagree
        _task(d, _ann("one", cancelled=True)),  # skipped
        _task(a, _ann("two" if truth[a] != "two" else "one")),  # contradicts row 1
    ]
    f = tmp_path / "export.json"
    f.write_text(json.dumps(tasks))
    before = _files(p.path)
    with pytest.raises(InvalidParameterError) as info:
        import_labels(p, f)
    message = str(info.value)
    assert "4 invalid row(s), nothing imported" in message
    assert "row 2: unknown-class: class 'seven'" in message
    assert "row 3: not-in-pool" in message
    assert "row 4: conflict: annotators disagree" in message
    assert "row 6: conflict: row 1 labels it" in message
    assert _files(p.path) == before and p.labels == {}
    # skipping the invalid rows imports only the valid one (row 1 loses to
    # its contradiction, so nothing of image a either)
    report = import_labels(p, f, skip_invalid=True)
    assert report.count("skipped") == 1 and len(report.errors) == 4
    assert p.usable_labels() == {}


def test_import_is_idempotent_and_refuses_relabelling(tmp_path, images):
    folder, truth = images
    p = _project(tmp_path, folder)
    paths = sorted(truth)[:6]
    f = _write_csv(tmp_path / "l.csv", [(q, truth[q]) for q in paths])
    report = import_labels(p, f)
    assert report.count("new") == 6 and report.summary() == "6 rows: 6 new"
    saved = (p.path / "labels.csv").read_bytes()
    again = import_labels(Project(p.path), f)
    assert again.count("same") == 6 and not again.new
    assert (p.path / "labels.csv").read_bytes() == saved
    other = "one" if truth[paths[0]] != "one" else "two"
    g = _write_csv(tmp_path / "g.csv", [(paths[0], other)])
    with pytest.raises(InvalidParameterError, match="conflict: labelled"):
        import_labels(p, g)
    assert (p.path / "labels.csv").read_bytes() == saved
    import_labels(p, g, relabel=True)
    assert Project(p.path).usable_labels()[paths[0]] == other
    with open(p.path / "labels.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6 and {r["path"] for r in rows} == set(paths)
    assert all(r["sha256"] == p.manifest[r["path"]] for r in rows)


def test_import_resolves_image_urls(tmp_path, images):
    folder, truth = images
    p = _project(tmp_path, folder)
    nested = next(q for q in sorted(truth) if q.startswith("sub/"))
    flat = next(q for q in sorted(truth) if "/" not in q)
    third = sorted(truth)[-1]
    f = tmp_path / "min.json"
    f.write_text(
        json.dumps(
            [
                {"image": f"/data/local-files/?d={nested}", "choice": truth[nested]},
                {"image": f"/data/upload/3/1a2b3c4d-{flat}", "choice": truth[flat]},
                {"image": f"http://host/root/images/{third}", "choice": truth[third]},
            ]
        )
    )
    report = import_labels(p, f)
    assert report.count("new") == 3
    assert p.usable_labels() == {q: truth[q] for q in (nested, flat, third)}


# ------------------------------------------------------------------ query
def _entropy(P):
    P = np.clip(P, 1e-12, 1)
    return -(P * np.log(P)).sum(axis=1)


def test_cold_start_then_entropy_batch_matches_a_reference(tmp_path, images):
    torch.set_num_threads(1)
    folder, truth = images
    p = _project(tmp_path, folder)
    first = query_batch(p, n_instances=6, cv=0, progress=False, report=False)
    assert first["strategy"] == "random (no labels yet)" and first["n_labels"] == 0
    assert len(set(first["batch"])) == 6 and set(first["batch"]) <= set(truth)
    tasks = json.loads((p.path / "rounds/001/tasks.json").read_text())
    assert [t["data"]["skactive_path"] for t in tasks] == first["batch"]
    assert all("predictions" not in t for t in tasks)
    labelled = sorted(truth)[::3]  # 20 images, every class
    import_labels(p, _write_csv(tmp_path / "l.csv", [(q, truth[q]) for q in labelled]))
    entry = query_batch(p, n_instances=5, cv=2, progress=False)
    assert entry["round"] == 2 and entry["n_labels"] == 20
    assert entry["strategy"] == "entropy" and 0 <= entry["cv_accuracy"] <= 1
    assert sum(entry["class_counts"].values()) == 20
    # the reference: the saved net's entropy over the unlabelled images
    net = Project(p.path).load_net()
    unlabelled = [q for q in sorted(truth) if q not in labelled]
    X = np.stack([ImageFiles([folder / q], size=8)[0].numpy() for q in unlabelled])
    P = net.predict_proba(X)
    H = _entropy(P)
    top = np.argsort(-H, kind="stable")[:5]
    with open(p.path / "rounds/002/batch.csv") as fh:
        batch = list(csv.DictReader(fh))
    assert [r["path"] for r in batch] == [unlabelled[i] for i in top]
    np.testing.assert_allclose([float(r["score"]) for r in batch], H[top], rtol=1e-4)
    assert [r["predicted"] for r in batch] == [CLASSES[k] for k in P[top].argmax(1)]
    tasks = json.loads((p.path / "rounds/002/tasks.json").read_text())
    for row, task in zip(batch, tasks, strict=True):
        (pred,) = task["predictions"]
        assert pred["score"] == pytest.approx(float(row["score"]))
        assert pred["result"][0]["value"]["choices"] == [row["predicted"]]
        assert pred["result"][0]["type"] == "choices"
        assert task["data"]["image"] == f"/data/local-files/?d={row['path']}"
    html = (p.path / "rounds/002/report.html").read_text()
    assert html.count("data:image/png;base64,") == 5 and "<polyline" in html
    log = json.loads((p.path / "rounds.json").read_text())
    assert [r["round"] for r in log] == [1, 2]
    # weights are a plain state dict, readable with weights_only=True
    state = torch.load(p.path / "model.pt", weights_only=True)
    assert set(state) == set(net.module_.state_dict())


def test_deleted_and_changed_images_between_rounds(tmp_path, images):
    torch.set_num_threads(1)
    folder, truth = images
    p = _project(tmp_path, folder)
    paths = sorted(truth)
    labelled = paths[:12]
    import_labels(p, _write_csv(tmp_path / "l.csv", [(q, truth[q]) for q in labelled]))
    (folder / labelled[0]).unlink()  # a labelled image deleted
    (folder / paths[30]).unlink()  # an unlabelled one
    (folder / labelled[1]).write_bytes((folder / paths[40]).read_bytes())  # changed
    (folder / "new.png").write_bytes((folder / paths[41]).read_bytes())  # added
    entry = query_batch(p, n_instances=60, cv=0, progress=False, report=False)
    assert entry["changes"] == {
        "missing": sorted([labelled[0], paths[30]]),
        "added": ["new.png"],
        "changed": [labelled[1]],
    }
    assert entry["n_labels"] == 10 and entry["n_pool"] == 59
    # the batch is every unlabelled image still there (and the changed one)
    expected = (set(paths) - set(labelled[2:]) - {labelled[0], paths[30]}) | {"new.png"}
    assert set(entry["batch"]) == expected and len(entry["batch"]) == 49
    again = Project(p.path)
    assert labelled[0] in again.labels  # never deleted from labels.csv
    assert labelled[0] not in again.usable_labels()
    assert labelled[1] not in again.usable_labels()
    f = tmp_path / "late.csv"
    _write_csv(f, [(labelled[0], truth[labelled[0]])])
    with pytest.raises(InvalidParameterError, match="not-in-pool"):
        import_labels(again, f)


@pytest.mark.parametrize("estimator", ["pseudolabel"])
def test_semi_supervised_project_uses_the_unlabelled_images(
    tmp_path, images, estimator
):
    torch.set_num_threads(1)
    folder, truth = images
    p = _project(tmp_path, folder, estimator=estimator, max_epochs=2)
    labelled = sorted(truth)[::4]
    import_labels(p, _write_csv(tmp_path / "l.csv", [(q, truth[q]) for q in labelled]))
    entry = query_batch(p, strategy="margin", n_instances=4, progress=False)
    assert entry["cv_accuracy"] is None  # no CV for semi-supervised nets
    assert len(entry["batch"]) == 4 and not set(entry["batch"]) & set(labelled)
    assert Project(p.path).load_net().predict_proba(
        np.zeros((2, 3, 8, 8), np.uint8)
    ).shape == (2, 3)


@pytest.mark.parametrize("strategy", ["entropy", "coreset"])
def test_the_scoring_bar_shows_and_changes_no_pick(tmp_path, images, capsys, strategy):
    torch.set_num_threads(1)
    folder, truth = images
    batches = []
    for progress in (False, True):
        p = _project(tmp_path / str(progress), folder, max_epochs=2)
        labelled = sorted(truth)[::4]
        rows = [(q, truth[q]) for q in labelled]
        import_labels(p, _write_csv(tmp_path / f"l{progress}.csv", rows))
        capsys.readouterr()
        entry = query_batch(
            p, strategy=strategy, n_instances=5, cv=0, progress=progress, report=False
        )
        batches.append((entry["batch"], capsys.readouterr().err))
    assert batches[0][0] == batches[1][0]
    assert "scoring" not in batches[0][1] and "scoring" in batches[1][1]


def test_query_refuses_bad_arguments(tmp_path, images):
    folder, _ = images
    p = _project(tmp_path, folder)
    with pytest.raises(InvalidParameterError, match="entropyy"):
        query_batch(p, strategy="entropyy")
    with pytest.raises(InvalidParameterError, match="n_instances"):
        query_batch(p, n_instances=0)
    with pytest.raises(InvalidParameterError, match="cv"):
        query_batch(p, cv=1)
    assert p.rounds == [] and not (p.path / "rounds").exists()


# ------------------------------------------------------------------ command
def test_commands_run_the_loop(tmp_path, images, capsys):
    torch.set_num_threads(1)
    folder, truth = images
    proj = str(tmp_path / "proj")
    classes = ",".join(CLASSES)
    argv = ["init", proj, "--images", str(folder), "--classes", classes]
    assert main([*argv, "--image-size", "8", "--max-epochs", "2", "--no-progress"]) == 0
    assert "60 images, 3 classes, 0 labels" in capsys.readouterr().out
    assert main(["query", proj, "-n", "8", "--no-progress", "--no-report"]) == 0
    out = capsys.readouterr().out
    assert "round 1: 0 labels" in out and "8 images to label" in out
    with open(tmp_path / "proj/rounds/001/batch.csv") as fh:
        batch = [r["path"] for r in csv.DictReader(fh)]
    f = _write_csv(tmp_path / "l.csv", [(q, truth[q]) for q in batch])
    assert main(["import", proj, str(f)]) == 0
    assert "8 rows: 8 new" in capsys.readouterr().out
    assert main(["import", proj, str(f)]) == 0
    assert "8 rows: 8 same" in capsys.readouterr().out
    bad = _write_csv(tmp_path / "bad.csv", [(batch[0], "seven")])
    assert main(["import", proj, str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skactive: error: export") and "unknown-class" in err
    assert main(["query", proj, "-n", "4", "--cv", "2", "--no-progress"]) == 0
    assert "round 2: 8 labels" in capsys.readouterr().out
    assert main(["query", str(tmp_path), "--no-progress"]) == 2
    assert "not a skactive project" in capsys.readouterr().err


def test_command_choices_match_the_package():
    parser = build_parser()
    init = parser._subparsers._group_actions[0].choices["init"]
    (action,) = [a for a in init._actions if a.dest == "estimator"]
    assert tuple(action.choices) == ESTIMATORS


def test_project_commands_parse_without_heavy_imports():
    import subprocess

    code = (
        "import sys; from skactive.cli import build_parser; "
        "build_parser().parse_args(['query', 'x']); "
        "print([m for m in ('numpy', 'torch') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def _distance(a, b):
    return float(sum(((a[k] - b[k]) ** 2).sum() for k in a if a[k].is_floating_point()))


def test_warm_start_updates_the_previous_net(tmp_path, images):
    torch.set_num_threads(1)
    folder, truth = images
    p = _project(tmp_path, folder, max_epochs=1)
    first = sorted(truth)[::3]
    import_labels(p, _write_csv(tmp_path / "a.csv", [(q, truth[q]) for q in first]))
    query_batch(p, n_instances=3, cv=0, progress=False, report=False)
    before = p.load_weights()
    second = sorted(truth)[1::3][:10]
    import_labels(p, _write_csv(tmp_path / "b.csv", [(q, truth[q]) for q in second]))
    entry = query_batch(
        p, n_instances=3, cv=0, progress=False, report=False, warm_start=True
    )
    assert entry["warm_start"] is True
    updated = p.load_weights()
    query_batch(p, n_instances=3, cv=0, progress=False, report=False)
    scratch = p.load_weights()  # a new net, trained from its initialisation
    # one epoch moves the previous weights a little; a new net starts elsewhere
    assert 0 < _distance(before, updated) < _distance(before, scratch) / 10
    semi = Project.create(
        tmp_path / "semi", folder, CLASSES, estimator="labelprop", progress=False
    )
    with pytest.raises(InvalidParameterError, match="warm_start"):
        query_batch(semi, warm_start=True)


def test_decoded_images_are_cached_by_content(tmp_path, images, monkeypatch):
    torch.set_num_threads(1)
    folder, truth = images
    p = _project(tmp_path, folder)
    paths = sorted(truth)
    import_labels(p, _write_csv(tmp_path / "l.csv", [(q, truth[q]) for q in paths[:9]]))
    decoded = []
    original = ImageFiles.__getitem__

    def counting(self, i):
        decoded.append(self.paths[int(i)])
        return original(self, i)

    monkeypatch.setattr(ImageFiles, "__getitem__", counting)
    first = query_batch(p, n_instances=4, cv=0, progress=False, report=False)
    assert len(decoded) == 60  # every image once
    with np.load(p.path / "cache/images-8.npz", allow_pickle=False) as archive:
        assert archive["sha256"].tolist() == [p.manifest[q] for q in paths]
        expected = np.stack([original(ImageFiles([folder / q], 8), 0) for q in paths])
        np.testing.assert_array_equal(archive["images"], expected)
    decoded.clear()
    (folder / paths[20]).write_bytes((folder / paths[21]).read_bytes())  # changed
    (folder / paths[22]).unlink()
    p.rounds = p.rounds[:0]  # the same round again, from the cache
    p.refresh(progress=False)
    again = query_batch(p, n_instances=4, cv=0, progress=False, report=False)
    assert decoded == []  # paths[20] has the content of paths[21], cached
    assert again["round"] == first["round"] == 1
    (folder / "new.png").write_bytes(_png(np.full((8, 8), 7, np.uint8)).tobytes())
    query_batch(p, n_instances=4, cv=0, progress=False, report=False)
    assert decoded == [str(folder / "new.png")]
