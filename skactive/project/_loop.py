"""One round of the labelling loop: import labels, fit, score, write the batch.

* :func:`import_labels` -- check an export against the project and append its
  labels, atomically (all rows or none, unless invalid rows are skipped);
* :func:`query_batch` -- fit the project's net on the labels so far (a
  semi-supervised net also on the unlabelled images), score the unlabelled
  pool with a strategy, and write the batch as a CSV and as Label Studio
  tasks with predictions.
"""

from __future__ import annotations

import json
import time
from numbers import Integral

import numpy as np

from .._cache import shared_inference
from .._errors import InvalidParameterError
from .._validation import Interval, StrOptions, validate_params
from ..experiment._files import atomic_write
from ._exports import import_rows, read_export
from ._images import ImageFiles
from ._project import ESTIMATORS, Project, _csv_text

_POSITIVE = Interval(Integral, 1, None, closed="left")

__all__ = ["import_labels", "query_batch", "load_pool", "make_net", "tasks_for"]

#: Pools up to this many bytes are decoded into memory once per round;
#: larger ones are read image by image (a :class:`~skactive.pools.DatasetRows`).
IN_MEMORY_BYTES = 1 << 29
_BATCH_FIELDS = ("rank", "path", "score", "predicted", "probability")


@validate_params(
    {
        "project": [Project],
        "export": ["path"],
        "label_field": [str, None],
        "skip_invalid": ["boolean"],
        "relabel": ["boolean"],
    }
)
def import_labels(
    project, export, *, label_field=None, skip_invalid=False, relabel=False
):
    """Append the labels of ``export`` to ``project``'s ``labels.csv``.

    Every row is checked first (its class is one of the project's, its image
    is in the pool, it does not contradict another row or a label the
    project has); with any invalid row nothing is written, unless
    ``skip_invalid``. Importing the same export twice adds nothing the
    second time.

    Parameters
    ----------
    project : Project
        The project.
    export : str or pathlib.Path
        A Label Studio JSON / JSON-MIN / CSV export or a CSV of
        ``path,label`` (see :func:`read_export`).
    label_field : str or None, default=None
        The name of the ``<Choices>`` control (``None``: any).
    skip_invalid : bool, default=False
        Import the valid rows and report the invalid ones, instead of
        refusing the whole export.
    relabel : bool, default=False
        A label that differs from the project's replaces it instead of being
        a conflict.

    Returns
    -------
    ImportReport
        What was done with each row.

    Raises
    ------
    InvalidParameterError
        If the export cannot be read, or has invalid rows (without
        ``skip_invalid``); the message lists them.
    """
    rows = read_export(export, label_field=label_field)
    return _import_rows(
        project,
        rows,
        what=f"export {str(export)!r}",
        skip_invalid=skip_invalid,
        relabel=relabel,
    )


def _import_rows(project, rows, *, what, skip_invalid, relabel=False, source="import"):
    """Check ``rows`` and write their new labels (all or nothing)."""
    report = import_rows(project, rows, relabel=relabel, source=source)
    if not skip_invalid:
        report.raise_if_invalid(what=what)
    if report.new:
        labels = {**project.labels, **report.new}
        old, project.labels = project.labels, labels
        try:
            project._write_labels()
        except BaseException:
            project.labels = old
            raise
    return report


# ---------------------------------------------------------------- the model
@validate_params(
    {
        "estimator": [StrOptions(set(ESTIMATORS))],
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "max_epochs": [_POSITIVE],
        "seed": ["random_state"],
        "device": ["device"],
        "progress": ["boolean"],
    }
)
def make_net(estimator, n_classes, *, max_epochs, seed, device="cpu", progress=False):
    """The project's net: a small CNN, supervised or semi-supervised.

    Parameters
    ----------
    estimator : {"cnn", "mixmatch", "labelprop", "pseudolabel"}
        Which net.
    n_classes : int
        Number of classes (labels are encoded ``0 .. n_classes - 1``).
    max_epochs : int
        Training epochs.
    seed : int
        The net's ``random_state``.
    device : str, default="cpu"
        The torch device.
    progress : bool, default=False
        Show a bar over the training epochs.

    Returns
    -------
    DeepClassifier
        An unfitted net.
    """
    from .. import nets

    cls = {
        "cnn": nets.DeepClassifier,
        "mixmatch": nets.MixMatchClassifier,
        "labelprop": nets.LabelPropagationClassifier,
        "pseudolabel": nets.PseudoLabelClassifier,
    }[estimator]
    callbacks = [("skactive_epochs", _EpochBar())] if progress else None
    return cls(
        nets.SmallCNN,
        max_epochs=max_epochs,
        batch_size=16,
        lr=2e-3,
        classes=list(range(n_classes)),
        random_state=seed,
        device=device,
        callbacks=callbacks,
    )


def _epoch_bar_class():
    from skorch.callbacks import Callback

    class EpochBar(Callback):
        """A tqdm bar over the training epochs."""

        def on_train_begin(self, net, X=None, y=None, **kwargs):
            from tqdm.auto import tqdm

            self.bar_ = tqdm(total=net.max_epochs, desc="training", leave=False)

        def on_epoch_end(self, net, **kwargs):
            self.bar_.update(1)

        def on_train_end(self, net, X=None, y=None, **kwargs):
            self.bar_.close()

    return EpochBar


def _EpochBar():  # noqa: N802 - a factory standing for the class
    return _epoch_bar_class()()


@validate_params({"paths": [list], "image_size": [_POSITIVE], "progress": ["boolean"]})
def load_pool(paths, image_size, *, progress=False):
    """The images ``paths`` as a pool of ``3 x size x size`` uint8 rows.

    Decoded into one array when it fits :data:`IN_MEMORY_BYTES`; otherwise
    a :class:`~skactive.pools.DatasetRows` that decodes on demand.

    Parameters
    ----------
    paths : sequence of str
        Absolute image paths.
    image_size : int
        Side of the square images.
    progress : bool, default=False
        Show a bar while decoding.

    Returns
    -------
    ndarray or DatasetRows
        The pool.
    """
    from ..pools import DatasetRows

    files = ImageFiles(paths, size=image_size)
    if len(paths) * 3 * image_size * image_size > IN_MEMORY_BYTES:
        return DatasetRows(files)
    out = np.empty((len(paths), 3, image_size, image_size), np.uint8)
    indices = range(len(paths))
    if progress:
        from tqdm.auto import tqdm

        indices = tqdm(indices, desc="reading images", leave=False)
    for i in indices:
        out[i] = files[i].numpy()
    return out


#: rows per step of the scoring pass's progress bar
_SCORING_CHUNK = 1024


def _scoring_pass(cache, net, X_pool):
    """The net's probabilities and embeddings of the pool, under a tqdm bar.

    Kept in ``cache`` (a :class:`skactive.shared_inference` block), so the
    strategy that follows reads them instead of passing the pool again.
    """
    from tqdm.auto import tqdm

    n = len(X_pool)
    probas, embeddings = [], []
    with tqdm(total=n, desc="scoring", unit="img", leave=False) as bar:
        for start in range(0, n, _SCORING_CHUNK):
            rows = X_pool[start : start + _SCORING_CHUNK]
            proba, emb = net.predict_proba_with_embedding(rows)
            probas.append(proba)
            embeddings.append(emb)
            bar.update(len(rows))
    entry = cache.entry(net, X_pool)
    entry["proba"] = np.concatenate(probas)
    entry["embedding"] = np.concatenate(embeddings)
    cache.n_passes_ += 1


def _decoded_pool(project, paths, *, progress=False):
    """Every image of ``paths`` (in the pool) decoded, in that order.

    A pool that fits :data:`IN_MEMORY_BYTES` is decoded once and kept in
    ``cache/images-<size>.npz`` (the pixels and the content hash of each
    image, no pickle), so a round decodes only the images that are new or
    changed since; a larger pool is a :class:`~skactive.pools.DatasetRows`
    that decodes on demand.
    """
    import io

    size = project.settings["image_size"]
    root = project.images
    if len(paths) * 3 * size * size > IN_MEMORY_BYTES:
        return load_pool([str(root / p) for p in paths], size, progress=progress)
    cache = project.path / "cache" / f"images-{size}.npz"
    known, pixels = {}, None
    if cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as archive:
                keys, pixels = archive["sha256"], archive["images"]
            known = {str(k): i for i, k in enumerate(keys)}
        except (OSError, ValueError, KeyError):  # a damaged cache: decode again
            known, pixels = {}, None
    hashes = [project.manifest[p] for p in paths]
    todo = [i for i, h in enumerate(hashes) if h not in known]
    out = np.empty((len(paths), 3, size, size), np.uint8)
    done = [i for i, h in enumerate(hashes) if h in known]
    if done:
        out[done] = pixels[[known[hashes[i]] for i in done]]
    if todo:
        out[todo] = load_pool(
            [str(root / paths[i]) for i in todo], size, progress=progress
        )
        buf = io.BytesIO()
        np.savez(buf, sha256=np.array(hashes), images=out)
        atomic_write(cache, buf.getvalue())
    return out


def _take(pool, rows):
    """Rows of a decoded pool: a copy in memory, a view of a lazy pool."""
    rows = np.asarray(rows, dtype=np.int64)
    if isinstance(pool, np.ndarray):
        return pool[rows]
    from ..pools import PoolView

    return PoolView(pool, rows)


def _cv_accuracy(net, X, y, cv, seed):
    """Mean accuracy of ``cv``-fold cross-validation on the labelled rows."""
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold

    counts = np.bincount(y)
    counts = counts[counts > 0]
    if len(y) < 2 * cv or len(counts) < 2:
        return None
    splitter = (
        StratifiedKFold(cv, shuffle=True, random_state=seed)
        if counts.min() >= cv
        else KFold(cv, shuffle=True, random_state=seed)
    )
    scores = []
    for train, test in splitter.split(X, y):
        model = clone(net).set_params(callbacks=None)
        model.fit(X[train], y[train])
        scores.append(float(np.mean(model.predict(X[test]) == y[test])))
    return float(np.mean(scores))


# ---------------------------------------------------------------- the batch
@validate_params({"project": [Project], "batch": [list], "model_version": [str]})
def tasks_for(project, batch, *, model_version):
    """Label Studio tasks (import format) for the rows of a batch.

    Each task's ``data`` holds the ``image`` URL (the project's
    ``image_url`` template), ``skactive_path`` (the image's path in the
    pool, which exports carry back) and ``skactive_rank``; its
    ``predictions`` hold the model's class as a ``choices`` result and the
    strategy's score, so sorting the tasks by prediction score (highest
    first) gives the strategy's order.

    Parameters
    ----------
    project : Project
        The project.
    batch : list of dict
        Rows with ``rank``, ``path``, ``score`` and ``predicted``.
    model_version : str
        Recorded with each prediction.

    Returns
    -------
    list of dict
        The tasks.
    """
    from urllib.parse import quote

    template = project.settings["image_url"]
    tasks = []
    for row in batch:
        url = template.replace("{path}", quote(row["path"]))
        prediction = {
            "model_version": model_version,
            "score": row["score"],
            "result": [
                {
                    "from_name": "choice",
                    "to_name": "image",
                    "type": "choices",
                    "value": {"choices": [row["predicted"]]},
                }
            ],
        }
        tasks.append(
            {
                "data": {
                    "image": url,
                    "skactive_path": row["path"],
                    "skactive_rank": row["rank"],
                },
                "predictions": [prediction],
            }
        )
    return tasks


@validate_params(
    {
        "project": [Project],
        "strategy": [str],
        "n_instances": [_POSITIVE],
        "cv": [Interval(Integral, 0, None, closed="left")],
        "device": ["device"],
        "progress": ["boolean"],
        "report": ["boolean"],
        "warm_start": ["boolean"],
    }
)
def query_batch(
    project,
    *,
    strategy="entropy",
    n_instances=50,
    cv=3,
    device="cpu",
    progress=True,
    report=True,
    warm_start=False,
):
    """Fit the net on the labels so far, pick the next batch, write it out.

    The manifest is refreshed first (deleted images leave the pool, their
    labels stop counting). With no labels yet, the batch is drawn at random
    (seeded). Writes ``rounds/NNN/batch.csv`` (rank, path, score, predicted
    class, its probability), ``rounds/NNN/tasks.json`` (Label Studio tasks
    with predictions), ``model.pt`` and, with ``report``,
    ``rounds/NNN/report.html``; appends the round to ``rounds.json``.

    Parameters
    ----------
    project : Project
        The project.
    strategy : str, default="entropy"
        A strategy name (see :func:`skactive.strategies.available_strategies`).
    n_instances : int, default=50
        Images in the batch (fewer if fewer are unlabelled).
    cv : int, default=3
        Folds of the cross-validation whose accuracy on the labelled images
        is logged (the learning curve of the report); 0 skips it.
    device : str, default="cpu"
        The torch device.
    progress : bool, default=True
        Progress bars for reading, training and scoring.
    report : bool, default=True
        Write the round's HTML report.
    warm_start : bool, default=False
        Update the net of the previous round (``model.pt``) with
        ``max_epochs`` more epochs on the labels so far, instead of training a
        new one from scratch (a supervised ``cnn`` project only).

    Returns
    -------
    dict
        The round's log entry (``round``, ``n_labels``, ``strategy``,
        ``batch``, ``cv_accuracy``, ``changes``, ``files`` ...).
    """
    from ..strategies import make_strategy
    from ..strategies._registry import available_strategies

    if strategy not in available_strategies():
        from ..strategies._registry import unknown_strategy_message

        raise InvalidParameterError(unknown_strategy_message(strategy))
    if cv == 1:
        raise InvalidParameterError("query_batch: cv must be 0 or >= 2, got 1.")
    if warm_start and project.settings["estimator"] != "cnn":
        raise InvalidParameterError(
            "query_batch: warm_start=True updates a supervised 'cnn' net; this "
            f"project's estimator is {project.settings['estimator']!r}."
        )
    started = time.time()
    changes = project.refresh(progress=progress)
    settings = project.settings
    classes = project.classes
    code = {c: i for i, c in enumerate(classes)}
    labels = project.usable_labels()
    paths = sorted(project.manifest)
    labelled = [p for p in paths if p in labels]
    unlabelled = [p for p in paths if p not in labels]
    if not unlabelled:
        raise InvalidParameterError(
            "every image of the pool is labelled: there is nothing to query."
        )
    n = min(n_instances, len(unlabelled))
    seed = settings["seed"] + project.round
    number = project.round + 1
    folder = project.round_folder(number)
    semi = settings["estimator"] != "cnn"
    cv_accuracy = None
    y_lab = np.array([code[labels[p]] for p in labelled], dtype=np.int64)
    if labelled:
        net = make_net(
            settings["estimator"],
            len(classes),
            max_epochs=settings["max_epochs"],
            seed=seed,
            device=device,
            progress=progress,
        )
        pool = _decoded_pool(project, labelled + unlabelled, progress=progress)
        X = _take(pool, np.arange(len(pool) if semi else len(labelled)))
        if semi:
            y = np.concatenate([y_lab, np.full(len(unlabelled), -1)])
            net.fit(X, y)
        elif warm_start and (project.path / "model.pt").is_file():
            net = project.load_net(device=device)
            net.set_params(max_epochs=settings["max_epochs"])
            if progress:
                net.set_params(callbacks=[("skactive_epochs", _EpochBar())])
            net.partial_fit(X, y_lab)
        else:
            net.fit(X, y_lab)
        project.save_weights(
            {k: v.detach().cpu() for k, v in net.module_.state_dict().items()}
        )
        if cv and not semi:
            cv_accuracy = _cv_accuracy(net, X, y_lab, cv, seed)
        X_pool = _take(pool, np.arange(len(labelled), len(pool)))
        chosen = make_strategy(strategy, random_state=seed)
        with shared_inference() as cache:
            if progress and hasattr(net, "predict_proba_with_embedding"):
                # the scoring pass under a bar, shared with the strategy
                _scoring_pass(cache, net, X_pool)
            indices, scores = chosen.select(net, X_pool, n_instances=n)
        proba = net.predict_proba(X_pool[np.asarray(indices)])
        used = strategy
    else:  # a cold start: nothing to learn from yet
        rng = np.random.default_rng(seed)
        indices, scores, proba = rng.permutation(len(unlabelled))[:n], None, None
        used = "random (no labels yet)"
    indices = np.asarray(indices, dtype=np.int64)
    batch = []
    for rank, i in enumerate(indices, 1):
        row = {"rank": rank, "path": unlabelled[i]}
        row["score"] = (
            float(scores[rank - 1]) if scores is not None else float(n - rank + 1)
        )
        if proba is not None:
            k = int(np.argmax(proba[rank - 1]))
            row["predicted"] = classes[k]
            row["probability"] = round(float(proba[rank - 1][k]), 6)
        else:
            row["predicted"], row["probability"] = "", ""
        batch.append(row)
    model_version = f"skactive-round-{number}"
    tasks = [
        t if batch[j]["predicted"] else {"data": t["data"]}
        for j, t in enumerate(tasks_for(project, batch, model_version=model_version))
    ]
    atomic_write(folder / "batch.csv", _csv_text(_BATCH_FIELDS, batch))
    atomic_write(folder / "tasks.json", json.dumps(tasks, indent=2) + "\n")
    counts = {c: 0 for c in classes}
    for p in labelled:
        counts[labels[p]] += 1
    entry = {
        "round": number,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "strategy": used,
        "n_pool": len(paths),
        "n_labels": len(labelled),
        "class_counts": counts,
        "cv_accuracy": cv_accuracy,
        "changes": changes,
        "batch": [r["path"] for r in batch],
        "warm_start": bool(warm_start and labelled),
        "seconds": round(time.time() - started, 2),
        "files": {
            "batch": str(folder.relative_to(project.path) / "batch.csv"),
            "tasks": str(folder.relative_to(project.path) / "tasks.json"),
        },
    }
    if report:
        from ._report import write_report

        entry["files"]["report"] = str(
            write_report(project, entry, batch).relative_to(project.path)
        )
    project.append_round(entry)
    return entry
