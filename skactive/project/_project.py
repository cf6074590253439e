"""A labelling project on disk: the state a loop resumes from.

The folder holds only text and a ``torch.save`` of a state dict; nothing is
pickled:

* ``project.json`` -- the settings (image folder, classes, model, seed);
* ``manifest.csv`` -- the pool: every image's path (relative to the image
  folder) and the SHA-256 of its content;
* ``labels.csv`` -- the labels collected so far (path, label, content hash,
  round, source);
* ``label_config.xml`` -- the Label Studio labelling interface;
* ``model.pt`` -- the net's weights (a state dict, read back with
  ``weights_only=True``);
* ``rounds.json`` -- the log of rounds; ``rounds/NNN/`` -- each round's batch
  (CSV and Label Studio tasks) and report;
* ``cache/`` -- the decoded images, by content hash (a NumPy archive).

Every file is written atomically (a temporary file, then a rename).
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

from .._errors import InvalidParameterError
from .._validation import validate_parameter_constraints, validate_params
from ..experiment._files import atomic_write
from ._images import file_sha256, list_images

__all__ = ["Project", "ESTIMATORS", "label_config"]

#: Models a project can train: a supervised CNN or a semi-supervised one.
ESTIMATORS = ("cnn", "mixmatch", "labelprop", "pseudolabel")
_FORMAT = 1
_LABEL_FIELDS = ("path", "label", "sha256", "round", "source")


@validate_params({"classes": [list, tuple], "from_name": [str], "to_name": [str]})
def label_config(classes, *, from_name="choice", to_name="image"):
    """The Label Studio labelling interface for single-choice image classes.

    Parameters
    ----------
    classes : sequence of str
        The class names, in order.
    from_name : str, default="choice"
        Name of the ``<Choices>`` control (the key of the labels in exports).
    to_name : str, default="image"
        Name of the ``<Image>`` object, whose value is the task's
        ``$image``.

    Returns
    -------
    str
        The XML of the interface.

    Examples
    --------
    >>> from skactive.project import label_config
    >>> print(label_config(["cat", "dog"]))
    <View>
      <Image name="image" value="$image"/>
      <Choices name="choice" toName="image" choice="single" showInline="true">
        <Choice value="cat"/>
        <Choice value="dog"/>
      </Choices>
    </View>
    """
    choices = "\n".join(f"    <Choice value={quoteattr(c)}/>" for c in classes)
    return (
        f'<View>\n  <Image name={quoteattr(to_name)} value="$image"/>\n'
        f"  <Choices name={quoteattr(from_name)} toName={quoteattr(to_name)} "
        f'choice="single" showInline="true">\n{choices}\n  </Choices>\n</View>'
    )


def _check_classes(classes):
    if isinstance(classes, str):
        classes = [c.strip() for c in classes.split(",")]
    classes = [str(c) for c in classes]
    if len(classes) < 2:
        raise InvalidParameterError(
            f"classes must name at least 2 classes, got {classes!r}."
        )
    if any(not c or c != c.strip() for c in classes):
        raise InvalidParameterError(
            f"classes must be non-empty names without surrounding spaces, got "
            f"{classes!r}."
        )
    if len(set(classes)) != len(classes):
        raise InvalidParameterError(f"classes must be distinct, got {classes!r}.")
    return classes


def _csv_text(fields, rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _json_text(obj):
    return json.dumps(obj, indent=2, allow_nan=False) + "\n"


def _progress(iterable, show, desc, total=None):
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False)


class Project:
    """A labelling project folder: settings, pool manifest, labels, model, log.

    Create one with :meth:`create`, open an existing one with the
    constructor; :meth:`refresh` brings the manifest up to date with the
    image folder (images added, deleted or changed between rounds).

    Parameters
    ----------
    path : str or pathlib.Path
        The project folder (made by :meth:`create`).

    Attributes
    ----------
    path : pathlib.Path
        The project folder.
    settings : dict
        ``project.json``: ``images``, ``classes``, ``estimator``,
        ``image_size``, ``seed``, ``max_epochs``, ``image_url``.
    manifest : dict
        Image path (relative to the image folder) -> SHA-256 of its content.
    labels : dict
        Image path -> ``{"label", "sha256", "round", "source"}``.
    rounds : list of dict
        The log of rounds (``rounds.json``).

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> from torchvision.io import encode_png
    >>> from skactive.project import Project
    >>> images = pathlib.Path(tempfile.mkdtemp())
    >>> for i in range(3):
    ...     img = torch.full((1, 4, 4), 80 * i, dtype=torch.uint8)
    ...     _ = (images / f"{i}.png").write_bytes(encode_png(img).numpy())
    >>> p = Project.create(tempfile.mkdtemp() + "/proj", images, ["a", "b"],
    ...                    progress=False)
    >>> sorted(p.manifest), p.classes
    (['0.png', '1.png', '2.png'], ['a', 'b'])
    """

    _parameter_constraints = {"path": ["path"]}

    def __init__(self, path):
        validate_parameter_constraints(
            self._parameter_constraints, {"path": path}, "Project"
        )
        self.path = Path(path)
        settings_file = self.path / "project.json"
        if not settings_file.is_file():
            raise InvalidParameterError(
                f"project {str(path)!r} is not a skactive project (no "
                "project.json; create one with 'skactive init')."
            )
        try:
            self.settings = json.loads(settings_file.read_text("utf-8"))
            self.manifest = self._read_manifest()
            self.labels = self._read_labels()
            self.rounds = json.loads((self.path / "rounds.json").read_text("utf-8"))
        except (OSError, ValueError, KeyError) as exc:
            raise InvalidParameterError(
                f"project {str(path)!r} is damaged: {exc}"
            ) from exc

    # ---------------------------------------------------------------- create
    @classmethod
    def create(
        cls,
        path,
        images,
        classes,
        *,
        labels=None,
        estimator="cnn",
        image_size=32,
        max_epochs=30,
        seed=0,
        image_url="/data/local-files/?d={path}",
        progress=True,
    ):
        """Create a project folder for the images of ``images``.

        Parameters
        ----------
        path : str or pathlib.Path
            The new project folder; it must not exist or be empty.
        images : str or pathlib.Path
            The image folder (searched recursively).
        classes : sequence of str or str
            The class names (a comma-separated string is split).
        labels : str or pathlib.Path or None, default=None
            Labels known already: a CSV of ``path,label`` or a Label Studio
            export (see :func:`read_export`); refused as a whole if any row
            is invalid.
        estimator : {"cnn", "mixmatch", "labelprop", "pseudolabel"}, default="cnn"
            The net: a supervised small CNN, or a semi-supervised one that
            also learns from the unlabelled images.
        image_size : int, default=32
            Side of the square the images are resized to for the net.
        max_epochs : int, default=30
            Training epochs per round.
        seed : int, default=0
            Seed of the training and of random choices.
        image_url : str, default="/data/local-files/?d={path}"
            How a Label Studio task refers to an image; ``{path}`` is its
            path relative to ``images``. The default serves the folder with
            Label Studio's local-file storage
            (``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT`` set to ``images``).
        progress : bool, default=True
            Show a progress bar while hashing the images.

        Returns
        -------
        Project
            The new project.
        """
        from ._exports import import_rows, read_export

        path = Path(path)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise InvalidParameterError(
                f"project {str(path)!r} already exists and is not an empty folder."
            )
        classes = _check_classes(classes)
        if estimator not in ESTIMATORS:
            raise InvalidParameterError(
                f"estimator must be one of {', '.join(ESTIMATORS)}, got {estimator!r}."
            )
        for name, value in (("image_size", image_size), ("max_epochs", max_epochs)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(
                    f"{name} must be a positive int, got {value!r}."
                )
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InvalidParameterError(f"seed must be an int >= 0, got {seed!r}.")
        if "{path}" not in image_url:
            raise InvalidParameterError(
                f"image_url must contain '{{path}}', got {image_url!r}."
            )
        images = Path(images).resolve()
        found = list_images(images)
        if not found:
            raise InvalidParameterError(f"images {str(images)!r} holds no images.")
        manifest = {
            p: file_sha256(images / p)
            for p in _progress(found, progress, "hashing images")
        }
        settings = {
            "format": _FORMAT,
            "images": str(images),
            "classes": classes,
            "estimator": estimator,
            "image_size": image_size,
            "max_epochs": max_epochs,
            "seed": seed,
            "image_url": image_url,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        self = cls.__new__(cls)
        self.path, self.settings, self.manifest = path, settings, manifest
        self.labels, self.rounds = {}, []
        report = None
        if labels is not None:
            report = import_rows(self, read_export(labels), source="init")
            report.raise_if_invalid(what=f"labels {str(labels)!r}")
            self.labels = report.new
        path.mkdir(parents=True, exist_ok=True)
        self._write_manifest()
        self._write_labels()
        atomic_write(path / "label_config.xml", label_config(classes) + "\n")
        atomic_write(path / "rounds.json", _json_text([]))
        # project.json last: a folder without it is not (yet) a project
        atomic_write(path / "project.json", _json_text(settings))
        self.init_report = report
        return self

    # ------------------------------------------------------------ properties
    @property
    def classes(self):
        """list of str: The class names."""
        return list(self.settings["classes"])

    @property
    def images(self):
        """pathlib.Path: The image folder."""
        return Path(self.settings["images"])

    @property
    def round(self):
        """int: The number of rounds queried so far."""
        return len(self.rounds)

    def round_folder(self, number):
        """The folder of round ``number`` (``rounds/001`` ...).

        Parameters
        ----------
        number : int
            The round (1 for the first).

        Returns
        -------
        pathlib.Path
            The folder (not necessarily existing yet).
        """
        return self.path / "rounds" / f"{number:03d}"

    # ----------------------------------------------------------- manifest
    def _read_manifest(self):
        with open(self.path / "manifest.csv", newline="", encoding="utf-8") as fh:
            return {row["path"]: row["sha256"] for row in csv.DictReader(fh)}

    def _write_manifest(self):
        rows = [{"path": p, "sha256": h} for p, h in sorted(self.manifest.items())]
        atomic_write(self.path / "manifest.csv", _csv_text(["path", "sha256"], rows))

    def refresh(self, *, progress=True):
        """Bring the manifest up to date with the image folder.

        Images deleted since the last refresh leave the pool; new images join
        it; an image whose content changed gets its new hash, and a label
        given to its old content stops counting (see :meth:`usable_labels`).
        Labels are never deleted from ``labels.csv``.

        Parameters
        ----------
        progress : bool, default=True
            Show a progress bar while hashing.

        Returns
        -------
        dict
            ``{"missing": [...], "added": [...], "changed": [...]}``, paths.
        """
        found = list_images(self.images)
        present = set(found)
        missing = sorted(set(self.manifest) - present)
        added, changed, manifest = [], [], {}
        for p in _progress(found, progress, "hashing images"):
            digest = file_sha256(self.images / p)
            if p not in self.manifest:
                added.append(p)
            elif self.manifest[p] != digest:
                changed.append(p)
            manifest[p] = digest
        if missing or added or changed:
            self.manifest = manifest
            self._write_manifest()
        return {"missing": missing, "added": added, "changed": changed}

    # ------------------------------------------------------------- labels
    def _read_labels(self):
        with open(self.path / "labels.csv", newline="", encoding="utf-8") as fh:
            return {
                row["path"]: {k: row[k] for k in _LABEL_FIELDS[1:]}
                for row in csv.DictReader(fh)
            }

    def _write_labels(self):
        rows = [{"path": p, **v} for p, v in sorted(self.labels.items())]
        atomic_write(self.path / "labels.csv", _csv_text(_LABEL_FIELDS, rows))

    def usable_labels(self):
        """The labels of images in the pool whose content is still the same.

        Returns
        -------
        dict
            Image path -> class name.
        """
        return {
            p: v["label"]
            for p, v in self.labels.items()
            if self.manifest.get(p) == v["sha256"]
        }

    # -------------------------------------------------------------- model
    def save_weights(self, state_dict):
        """Save the net's weights (a state dict) to ``model.pt``, atomically.

        Parameters
        ----------
        state_dict : dict
            Parameter name -> tensor.
        """
        import torch

        buf = io.BytesIO()
        torch.save(state_dict, buf)
        atomic_write(self.path / "model.pt", buf.getvalue())

    def load_weights(self):
        """The saved state dict, read with ``weights_only=True``; ``None`` if none."""
        import torch

        file = self.path / "model.pt"
        if not file.is_file():
            return None
        return torch.load(file, map_location="cpu", weights_only=True)

    def load_net(self, *, device="cpu"):
        """The project's net with the weights of ``model.pt``, ready to predict.

        Parameters
        ----------
        device : str, default="cpu"
            The torch device.

        Returns
        -------
        DeepClassifier
            The net (its classes are ``0 .. len(classes) - 1``, in the order
            of :attr:`classes`).

        Raises
        ------
        InvalidParameterError
            If no round has trained a net yet.
        """
        import numpy as np

        from ._loop import make_net

        state = self.load_weights()
        if state is None:
            raise InvalidParameterError(
                f"project {str(self.path)!r} has no trained model yet (run "
                "'skactive query' with some labels first)."
            )
        size = self.settings["image_size"]
        net = make_net(
            self.settings["estimator"],
            len(self.classes),
            max_epochs=1,
            seed=self.settings["seed"],
            device=device,
        )
        # initialise the module for the images' shape, training no epoch
        dummy = np.zeros((2, 3, size, size), np.uint8)
        net.fit(dummy, np.arange(2, dtype=np.int64), epochs=0)
        net.module_.load_state_dict(state)
        return net

    # ---------------------------------------------------------------- log
    def append_round(self, entry):
        """Append ``entry`` to the log of rounds, ``rounds.json``.

        Parameters
        ----------
        entry : dict
            The round's record (JSON-serialisable).
        """
        self.rounds.append(entry)
        atomic_write(self.path / "rounds.json", _json_text(self.rounds))

    def _write_rounds(self):
        atomic_write(self.path / "rounds.json", _json_text(self.rounds))
