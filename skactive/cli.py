"""The ``skactive`` command line.

``skactive simulate`` runs an active-learning simulation and writes its results;
``skactive strategies`` lists the strategies known by name;
``skactive init / query / import / sync`` run the labelling loop of a project
folder (:mod:`skactive.project`).

The command parses and checks its arguments before it imports anything heavy:
``--help``, ``skactive strategies`` and a mistake in the arguments answer
without importing torch, skorch, modAL or scikit-learn. A mistake in the
arguments alone is reported as argparse reports its own (the usage, then
``skactive simulate: error: ...``); one found in the data or the files
(``--data``, ``--out``, ``--checkpoint``) in one line ``skactive: error: ...``;
either way naming the flag, with exit status 2.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import NamedTuple

__all__ = ["main", "build_parser", "load_dataset", "ESTIMATORS", "EMBEDDERS"]

ESTIMATORS = {
    "logreg": "scikit-learn LogisticRegression on standardised, flattened pixels",
    "mlp": "skactive DeepClassifier with an MLP",
    "cnn": "skactive DeepClassifier with a small CNN on the images",
    "forest": "scikit-learn RandomForestClassifier on flattened pixels (an "
    "ensemble, for query-by-committee)",
    "mixmatch": "semi-supervised: MixMatchClassifier with a small CNN (learns "
    "from the unlabeled pool too)",
    "fixmatch": "semi-supervised: FixMatchClassifier with a small CNN (flip=False: "
    "no mirrored images)",
    "flexmatch": "semi-supervised: FlexMatchClassifier (FixMatch with class-wise "
    "curriculum thresholds) with a small CNN (flip=False)",
    "labelprop": "semi-supervised: LabelPropagationClassifier with a small CNN",
    "pseudolabel": "semi-supervised: PseudoLabelClassifier (CEAL) with a small CNN",
    "lossnet": "LossPredictionClassifier (Learning Loss) with a small CNN",
    "mal": "semi-supervised: MinimaxClassifier (MAL: minimax entropy and a "
    "labeled/unlabeled discriminator) with a small CNN",
    "ensemble": "DeepEnsembleClassifier: 3 independently trained small CNNs "
    "(their predictions are the posterior samples of BALD, variation ratio; "
    "their votes the committee of qbc)",
    "bayes": "BayesByBackpropClassifier: an MLP of Gaussian weights (weight "
    "draws are the posterior samples)",
}
_NETS = ("mlp", "cnn", "mixmatch", "fixmatch", "flexmatch", "labelprop", "pseudolabel")
#: nets whose posterior samples are members or weight draws (no MC dropout)
_POSTERIOR_NETS = ("ensemble", "bayes")
#: strategies that need one skorch net (predictions under augmentation, or
#: over the training epochs), which an ensemble of nets is not
_ONE_NET = ("consistency", "consistency_embedding", "label_dispersion")
#: estimators whose members are a committee (``estimators_``, for qbc)
_COMMITTEES = ("forest", "ensemble")

EMBEDDERS = {
    "pixels": "standardised, flattened pixels (no training)",
    "rotnet": "RotNet: self-supervised rotation prediction with a small CNN",
    "simclr": "SimCLR: contrastive learning with a small CNN",
    "barlow": "Barlow Twins with a small CNN",
}

_NPZ_ARRAYS = ("X_train", "y_train", "X_test", "y_test")


def _flatten(X):
    import numpy as np

    from .pools import flat_rows, is_lazy_pool

    if is_lazy_pool(X):  # a view of flat rows, read in blocks
        return flat_rows(X)
    return np.asarray(X).reshape(len(X), -1)


def _estimator(name, classes, max_epochs=30):
    if name == "forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(100, random_state=0)
    if name == "logreg":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer, StandardScaler

        return make_pipeline(
            FunctionTransformer(_flatten),
            StandardScaler(),
            LogisticRegression(max_iter=2000),
        )
    from . import nets

    if name == "lossnet":
        return nets.LossPredictionClassifier(
            nets.SmallCNN,
            max_epochs=max_epochs,
            batch_size=16,
            lr=2e-3,
            classes=classes,
        )
    if name == "ensemble":
        member = nets.DeepClassifier(
            nets.SmallCNN,
            max_epochs=max_epochs,
            batch_size=16,
            lr=2e-3,
            classes=classes,
        )
        return nets.DeepEnsembleClassifier(member, n_estimators=3, random_state=0)
    if name == "bayes":
        return nets.BayesByBackpropClassifier(
            max_epochs=max_epochs, batch_size=16, lr=2e-3, classes=classes
        )
    if name in ("mlp", "cnn"):
        return nets.DeepClassifier(
            nets.MLP if name == "mlp" else nets.SmallCNN,
            max_epochs=max_epochs,
            batch_size=16,
            lr=2e-3,
            classes=classes,
        )
    # semi-supervised nets: classes come from the labeled rows (y == -1 is
    # the unlabeled pool, fed by the simulation)
    semi = {
        "mixmatch": nets.MixMatchClassifier,
        "fixmatch": nets.FixMatchClassifier,
        "flexmatch": nets.FlexMatchClassifier,
        "labelprop": nets.LabelPropagationClassifier,
        "pseudolabel": nets.PseudoLabelClassifier,
        "mal": nets.MinimaxClassifier,
    }[name]
    return semi(nets.SmallCNN, max_epochs=max_epochs, batch_size=16)


def _embedder(name, seed, max_epochs):
    """The transformer an initial-selection strategy embeds the pool with."""
    if name == "pixels":
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer, StandardScaler

        return make_pipeline(FunctionTransformer(_flatten), StandardScaler())
    from . import representation

    cls = {
        "rotnet": representation.RotNet,
        "simclr": representation.SimCLR,
        "barlow": representation.BarlowTwins,
    }[name]
    return cls(max_epochs=max_epochs, random_state=seed)


def _initial(args):
    """``--initial`` as :func:`~skactive.experiment.simulate` takes it."""
    if args.initial_strategy == "random":
        return args.initial
    from .representation import InitialSelection

    strategy = InitialSelection(
        _embedder(args.embedder, args.seed, args.embedder_epochs),
        temperature=args.initial_temperature,
        random_state=args.seed,
    )
    return (strategy, args.initial)


def load_dataset(data, *, seed=0, labels=None, test_size=0.25, image_size=None):
    """``(X_pool, y_pool, X_test, y_test)`` for ``--data``.

    ``"digits"`` is scikit-learn's ``load_digits`` as 8x8 uint8 images with a
    stratified 25% test split. A path names

    * an ``.npz`` archive with the arrays ``X_train``, ``y_train``, ``X_test``
      and ``y_test`` (as in ``../shared/data``); members stored uncompressed
      (``numpy.savez``) are read from the file in blocks of rows, never loaded
      whole (:class:`skactive.pools.ArrayFile`);
    * a ``.npy`` file of rows or images, read in blocks of rows, with the
      labels in the ``.npy`` file ``labels``;
    * a folder of images with one sub-folder per class, as
      ``torchvision.datasets.ImageFolder`` reads it (images as float tensors
      in [0, 1], resized to ``image_size`` if given), streamed.

    Pools from a ``.npy`` file or a folder are split into pool and test set
    by a stratified split of ``test_size`` of the rows (seeded by ``seed``);
    both are views of the source (:class:`skactive.pools.PoolView`), nothing
    is copied.

    Parameters
    ----------
    data : str
        ``"digits"``, the path of an ``.npz`` archive, of a ``.npy`` file or
        of an image folder.
    seed : int, default=0
        Seed of the train/test split.
    labels : str, default=None
        The ``.npy`` file of labels of a ``.npy`` pool (one per row).
    test_size : float, default=0.25
        Fraction of the rows of a ``.npy`` pool or an image folder held out as
        the test set.
    image_size : int, default=None
        Side to which the images of a folder are resized (they must all have
        one size if None).

    Returns
    -------
    X_pool, y_pool, X_test, y_test
        The pool (images or rows; an array or a lazy pool) with its labels,
        and the test set.

    Raises
    ------
    ValueError
        If the file does not exist, cannot be read or lacks an array, or if
        its arrays do not fit together (``X_train`` and ``X_test`` rows by
        features or images of one shape, ``y_train`` and ``y_test`` one label
        per row); the message names the array.
    """
    import numpy as np

    if data == "digits":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        X, y = load_digits(return_X_y=True)
        images = np.round(X.reshape(-1, 8, 8) * (255 / 16)).astype(np.uint8)
        X_pool, X_test, y_pool, y_test = train_test_split(
            images, y, test_size=0.25, random_state=seed, stratify=y
        )
        return X_pool, y_pool, X_test, y_test
    path = Path(data)
    if not path.exists():
        raise ValueError(f"--data {data!r}: no such file or folder (or use 'digits').")
    if path.is_dir():
        X, y = _image_folder(data, image_size)
        return _split(data, X, y, test_size, seed)
    if path.suffix == ".npy":
        X, y = _npy_pool(data, labels)
        return _split(data, X, y, test_size, seed)
    arrays = _npz_arrays(data)
    _check_arrays(data, arrays)
    return tuple(arrays[k] for k in _NPZ_ARRAYS)


def _npz_arrays(data):
    """The four arrays of an archive; uncompressed members as ArrayFiles."""
    import zipfile

    import numpy as np

    try:
        archive = np.load(data, allow_pickle=False)
    except Exception as exc:  # zip/format errors
        raise ValueError(
            f"--data {data!r} is not a readable .npz archive: {exc}"
        ) from exc
    with archive:
        missing = [k for k in _NPZ_ARRAYS if k not in archive.files]
        if missing:
            raise ValueError(
                f"--data {data!r} lacks the array(s) {', '.join(missing)}; an "
                f"archive needs {', '.join(_NPZ_ARRAYS)} (it has "
                f"{', '.join(archive.files) or 'none'})."
            )
        with zipfile.ZipFile(data) as zf:
            stored = {
                info.filename[: -len(".npy")]: info
                for info in zf.infolist()
                if info.compress_type == zipfile.ZIP_STORED
            }
        arrays = {}
        for k in _NPZ_ARRAYS:
            try:
                mapped = _stored_member(data, stored[k]) if k in stored else None
                arrays[k] = archive[k] if mapped is None else mapped
            except Exception as exc:  # pickled objects, a damaged member
                raise ValueError(
                    f"--data {data!r}: the array {k} cannot be read ({exc})."
                ) from exc
    return arrays


def _stored_member(data, info):
    """An uncompressed ``.npy`` member of a zip archive, read in place.

    The member's bytes are a ``.npy`` file at a known offset of the archive:
    its local header (30 bytes, the name, the extra field) precedes them.
    Object arrays and Fortran-ordered members are left to numpy (None).
    """
    import struct

    import numpy as np

    from .pools import ArrayFile

    with open(data, "rb") as fh:
        fh.seek(info.header_offset)
        local = fh.read(30)
        if local[:4] != b"PK\x03\x04":
            raise ValueError("damaged zip member header")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        fh.seek(start)
        fmt = np.lib.format
        version = fmt.read_magic(fh)
        if version not in ((1, 0), (2, 0)):  # a newer format: loaded by numpy
            return None
        read = (
            fmt.read_array_header_1_0
            if version == (1, 0)
            else fmt.read_array_header_2_0
        )
        shape, fortran, dtype = read(fh)
        data_start = fh.tell()
    if fortran or dtype.hasobject or len(shape) < 1 or shape[0] == 0:
        return None
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if data_start + nbytes > start + info.file_size:
        raise ValueError("the member is shorter than its header says")
    if len(shape) == 1:  # labels: small, read whole
        return np.fromfile(data, dtype=dtype, count=shape[0], offset=data_start)
    return ArrayFile(
        np.memmap(data, dtype=dtype, mode="r", offset=data_start, shape=shape)
    )


def _npy_pool(data, labels):
    """A ``.npy`` pool (read in blocks) and its labels."""
    import numpy as np

    from .pools import ArrayFile

    if labels is None:
        raise ValueError(
            f"--data {data!r} is a .npy file of rows; name the .npy file of its "
            "labels with --labels."
        )
    try:
        X = ArrayFile(data)
    except (ValueError, OSError) as exc:
        raise ValueError(f"--data {data!r} is not a readable .npy file: {exc}") from exc
    try:
        y = np.load(labels, allow_pickle=False, mmap_mode="r")
    except (ValueError, OSError) as exc:
        raise ValueError(
            f"--labels {labels!r} is not a readable .npy file: {exc}"
        ) from exc
    if X.ndim < 2:
        raise ValueError(
            f"--data {data!r} must hold one row per sample (2-D rows or a stack "
            f"of images), got an array of shape {X.shape}."
        )
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(
            f"--labels {labels!r} must hold one label per row of --data "
            f"({len(X)} rows), got an array of shape {y.shape}."
        )
    return X, np.asarray(y)


def _image_folder(data, image_size):
    """An image folder as a streamed pool, and its labels."""
    import numpy as np

    try:
        from torchvision import datasets, transforms
    except ImportError as exc:  # pragma: no cover - torchvision is a dependency
        raise ValueError(
            f"--data {data!r}: reading a folder needs torchvision."
        ) from exc
    steps = [transforms.ToTensor()]
    if image_size is not None:
        steps.insert(0, transforms.Resize((image_size, image_size)))
    try:
        folder = datasets.ImageFolder(data, transform=transforms.Compose(steps))
    except (FileNotFoundError, RuntimeError) as exc:  # no class folders / images
        raise ValueError(
            f"--data {data!r} is not an image folder with one sub-folder of "
            f"images per class: {exc}"
        ) from exc
    from .pools import as_pool

    return as_pool(folder), np.asarray(folder.targets)


def _split(data, X, y, test_size, seed):
    """A stratified split of a lazy pool into two views."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    from .pools import PoolView

    counts = np.unique(y, return_counts=True)[1]
    if len(counts) < 2 or counts.min() < 2:
        raise ValueError(
            f"--data {data!r}: a stratified test split needs at least 2 classes "
            f"with at least 2 rows each (class sizes: {sorted(counts.tolist())})."
        )
    train, test = train_test_split(
        np.arange(len(y)), test_size=test_size, random_state=seed, stratify=y
    )
    train, test = np.sort(train), np.sort(test)  # reads in file order
    return PoolView(X, train), y[train], PoolView(X, test), y[test]


def _check_arrays(data, arrays):
    """Rows and labels of an archive's arrays agree, naming the array if not."""
    for X_name, y_name in (("X_train", "y_train"), ("X_test", "y_test")):
        X, y = arrays[X_name], arrays[y_name]
        if X.ndim < 2:
            raise ValueError(
                f"--data {data!r}: {X_name} must hold one row per sample (2-D "
                f"rows or a stack of images), got an array of shape {X.shape}."
            )
        if len(X) == 0:
            raise ValueError(f"--data {data!r}: {X_name} has no rows.")
        if y.ndim != 1:
            raise ValueError(
                f"--data {data!r}: {y_name} must be 1-D (one label per row of "
                f"{X_name}), got an array of shape {y.shape}."
            )
        if len(y) != len(X):
            raise ValueError(
                f"--data {data!r}: {y_name} has {len(y)} labels but {X_name} has "
                f"{len(X)} rows."
            )
    train, test = arrays["X_train"].shape[1:], arrays["X_test"].shape[1:]
    if train != test:
        raise ValueError(
            f"--data {data!r}: X_test has rows of shape {test} but X_train has "
            f"rows of shape {train}."
        )


class _UsageError(Exception):
    """A mistake in the arguments alone, reported as argparse reports its own."""


#: The flags whose value must be a positive integer (``None``: not given).
_POSITIVE = (
    "initial",
    "rounds",
    "n_instances",
    "batch_size",
    "repeats",
    "max_epochs",
    "embedder_epochs",
    "threads",
    "image_size",
)
#: ``--seed`` seeds scikit-learn's splits and estimators: a 32-bit seed.
_MAX_SEED = 2**32 - 1


def _flag(dest):
    return "--" + dest.replace("_", "-")


class _Param(NamedTuple):
    """A ``--stop`` parameter: the criterion's keyword, its type and range."""

    keyword: str
    kind: type  # int, float or str
    low: float | None = None  # for numbers
    high: float | None = None
    closed: str = "both"  # which of low, high are allowed: both, left, right
    choices: tuple = ()  # for str


class _Rule(NamedTuple):
    """A ``--stop`` name: the class of :mod:`skactive.stopping` it builds."""

    cls: str
    params: dict  # {flag parameter: _Param}
    required: tuple
    description: str


# A static table, so that ``--stop`` is checked before anything is imported
# (tests/test_cli_stop.py checks it against the criteria's constraints).
_STOPPING_RULES = {
    "kappa": _Rule(
        "StabilizingPredictions",
        {
            "k": _Param("window", int, 1),
            "threshold": _Param("threshold", float, 0, 1, "right"),
        },
        (),
        "mean Cohen's kappa of the last k rounds' predictions >= threshold "
        "(Bloodgood & Vijay-Shanker 2009; k=3, threshold=0.99)",
    ),
    "change": _Rule(
        "ClassificationChange",
        {"threshold": _Param("threshold", float, 0, 1, "left")},
        (),
        "share of changed predictions <= threshold (Zhu et al. 2008; 0)",
    ),
    "uncertainty": _Rule(
        "OverallUncertainty",
        {
            "threshold": _Param("threshold", float, 0, 1),
            "measure": _Param(
                "measure", str, choices=("entropy", "least_confidence", "margin")
            ),
        },
        (),
        "mean uncertainty of the pool <= threshold (Zhu et al. 2008; 0.1, entropy)",
    ),
    "confidence": _Rule(
        "MaxConfidence",
        {"threshold": _Param("threshold", float, 0, 1, "right")},
        (),
        "least confidence over the pool >= threshold (Zhu et al. 2008; 0.9)",
    ),
    "budget": _Rule(
        "LabelBudget",
        {"n": _Param("max_labels", int, 1)},
        ("n",),
        "n labels reached (n required)",
    ),
    "plateau": _Rule(
        "MetricPlateau",
        {
            "patience": _Param("patience", int, 1),
            "min_delta": _Param("min_delta", float, 0),
        },
        (),
        "test accuracy gained < min_delta over patience rounds (an oracle; 3, 0.01)",
    ),
    "gain": _Rule(
        "ExtrapolatedGain",
        {
            "budget": _Param("budget", int, 1),
            "min_gain": _Param("min_gain", float, 0),
            "window": _Param("window", float, 0, 1, "neither"),
            "fit": _Param("fit", str, choices=("linear", "log")),
            "z": _Param("z", float, 0),
            "min_points": _Param("min_points", int, 3),
        },
        ("budget",),
        "test accuracy's recent trend, extrapolated to budget labels on its slope "
        "+ z standard errors, gains <= min_gain (an oracle; budget required; "
        "0.01, window 0.5, linear, z=3)",
    ),
}


def _range_text(p):
    if p.high is None:
        return f">= {p.low:g}" if p.kind is float else f">= {p.low}"
    left = "[" if p.closed in ("both", "left") else "("
    right = "]" if p.closed in ("both", "right") else ")"
    return f"in {left}{p.low:g}, {p.high:g}{right}"


def _parse_stop_value(spec, name, key, p, text):
    where = f"--stop {spec!r}: {key}"
    if p.kind is str:
        if text not in p.choices:
            raise _UsageError(
                f"{where} must be one of {', '.join(p.choices)}, got {text!r}"
            )
        return text
    try:
        value = p.kind(text)
    except ValueError:
        kind = "an integer" if p.kind is int else "a number"
        raise _UsageError(f"{where} must be {kind}, got {text!r}") from None
    ok = value == value  # NaN is never in range
    if ok and p.low is not None:
        ok = value >= p.low if p.closed in ("both", "left") else value > p.low
    if ok and p.high is not None:
        ok = value <= p.high if p.closed in ("both", "right") else value < p.high
    if not ok:
        raise _UsageError(f"{where} must be {_range_text(p)}, got {text}")
    return value


def _parse_stop(spec):
    """``(name, class name, keyword arguments)`` of one ``--stop`` value.

    ``NAME[:param=value,...]``, ``NAME`` a key of ``_STOPPING_RULES``
    (``kappa:k=3,threshold=0.99``, ``budget:n=200``). Raises
    ``_UsageError`` naming the flag and the bad part.

    Parameters
    ----------
    spec : str
        The value given to ``--stop``.

    Returns
    -------
    tuple of (str, str, dict)
    """
    import difflib

    name, _, rest = spec.partition(":")
    if name not in _STOPPING_RULES:
        close = difflib.get_close_matches(name, _STOPPING_RULES, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise _UsageError(
            f"unknown --stop criterion {name!r} in {spec!r}.{hint} Known: "
            f"{', '.join(_STOPPING_RULES)} (NAME[:param=value,...])"
        )
    rule = _STOPPING_RULES[name]
    kwargs, given = {}, set()
    for part in rest.split(",") if rest else ():
        key, eq, text = part.partition("=")
        if not eq or not key or not text:
            raise _UsageError(
                f"--stop {spec!r}: parameters are param=value pairs separated by "
                f"commas, got {part!r}"
            )
        if key not in rule.params:
            raise _UsageError(
                f"--stop {spec!r}: {name} has no parameter {key!r}; its "
                f"parameters: {', '.join(rule.params)}"
            )
        if key in given:
            raise _UsageError(f"--stop {spec!r}: {key} is given twice")
        given.add(key)
        p = rule.params[key]
        kwargs[p.keyword] = _parse_stop_value(spec, name, key, p, text)
    missing = [k for k in rule.required if k not in given]
    if missing:
        raise _UsageError(
            f"--stop {spec!r}: {name} needs {', '.join(f'{k}=...' for k in missing)}"
            f" (e.g. {name}:{missing[0]}=200)"
        )
    return name, rule.cls, kwargs


def _stop_specs(args):
    """``{name: (class name, kwargs)}`` of every ``--stop``, checked."""
    specs = {}
    for spec in getattr(args, "stop", None) or ():
        name, cls, kwargs = _parse_stop(spec)
        if name in specs:
            raise _UsageError(f"--stop {name} is given twice; give each criterion once")
        specs[name] = (cls, kwargs)
    return specs


def _strategy_names(args):
    return list(dict.fromkeys(args.strategy or ["entropy"]))


def _check_args(args):
    """Check what the arguments alone can tell, before anything is imported.

    Raises :class:`_UsageError` naming the flag.
    """
    from .strategies._registry import (
        available_strategies,
        strategy_needs,
        unknown_strategy_message,
    )

    for dest in _POSITIVE:
        value = getattr(args, dest)
        if value is not None and value < 1:
            raise _UsageError(f"{_flag(dest)} must be a positive integer, got {value}")
    if not 0 <= args.seed <= _MAX_SEED:
        raise _UsageError(
            f"--seed must be an integer in [0, {_MAX_SEED}], got {args.seed}"
        )
    if not args.initial_temperature >= 0:  # NaN too
        raise _UsageError(
            f"--initial-temperature must be >= 0, got {args.initial_temperature}"
        )
    if not 0 < args.test_size < 1:  # NaN too
        raise _UsageError(f"--test-size must be in (0, 1), got {args.test_size}")
    if args.labels is not None and not str(args.data).endswith(".npy"):
        raise _UsageError(
            f"--labels names the labels of a .npy --data; --data {args.data!r} "
            "carries its own"
        )
    if args.batch_size is not None and args.n_instances is not None:
        raise _UsageError(
            "give --n-instances only; --batch-size is its deprecated alias"
        )
    _stop_specs(args)
    known = available_strategies()
    for name in _strategy_names(args):
        if name not in known:
            raise _UsageError(unknown_strategy_message(name, what="--strategy"))
    for name in _strategy_names(args):
        need = strategy_needs(name)
        if need == "net" and args.estimator == "ensemble" and name in _ONE_NET:
            raise _UsageError(
                f"--strategy {name} needs one net's predictions (under "
                f"augmentation or over its training epochs), which --estimator "
                f"ensemble does not give: use --estimator "
                f"{', '.join(_NETS[:-1])}, {_NETS[-1]} or bayes"
            )
        if need == "net" and args.estimator not in (*_NETS, *_POSTERIOR_NETS):
            # an ensemble gives posterior samples, not one net's predictions
            ok = (*_NETS, "bayes") if name in _ONE_NET else (*_NETS, *_POSTERIOR_NETS)
            raise _UsageError(
                f"--strategy {name} needs a skactive net (MC dropout or "
                f"predictions under augmentation), not --estimator "
                f"{args.estimator}: use --estimator {', '.join(ok[:-1])} or {ok[-1]}"
            )
        if need == "loss_net" and args.estimator != "lossnet":
            raise _UsageError(
                f"--strategy {name} needs a net with a loss-prediction module, "
                f"not --estimator {args.estimator}: use --estimator lossnet"
            )
        if need == "minimax_net" and args.estimator != "mal":
            raise _UsageError(
                f"--strategy {name} needs a net with a labeled/unlabeled "
                f"discriminator, not --estimator {args.estimator}: use "
                "--estimator mal"
            )
        if need == "ensemble" and args.estimator not in _COMMITTEES:
            raise _UsageError(
                f"--strategy {name} needs an ensemble (a committee), not "
                f"--estimator {args.estimator}: use --estimator forest or ensemble"
            )


def _n_instances(args):
    """Labels per round: ``--n-instances``, or the deprecated ``--batch-size``."""
    if args.batch_size is None:
        return 10 if args.n_instances is None else args.n_instances
    return args.batch_size


def _check_budget(args, n_pool):
    """The labels the run asks for fit in the pool."""
    n_flag = "--n-instances" if args.batch_size is None else "--batch-size"
    n = _n_instances(args)
    total = args.initial + args.rounds * n
    if total > n_pool:
        raise ValueError(
            f"the label budget, --initial {args.initial} + --rounds {args.rounds} "
            f"x {n_flag} {n} = {total} labels, is larger than the pool of --data "
            f"{args.data!r}, which has {n_pool} rows."
        )


# The API's parameters as the command's flags, to translate the messages of
# the errors the API raises during a simulation (those the command cannot
# check beforehand: the --out folder, the --checkpoint file, ...).
_PARAMETER_FLAGS = {
    "n_rounds": "--rounds",
    "n_instances": "--n-instances",
    "n_repeats": "--repeats",
    "random_state": "--seed",
    "max_epochs": "--max-epochs",
}
_PHRASE_FLAGS = [
    (r"overwrite=True \(in the command: --overwrite\)", "--overwrite"),
    (r"(?<![\w-])n of initial=\(strategy, n\)", "--initial"),
    (r"(?<![\w-])initial(?==\d| must\b)", "--initial"),
    (r"(?<![\w-])temperature(?= must\b)", "--initial-temperature"),
    (r"^out(?= ')|(?<![\w-])out(?= folder\b)|(?<![\w-])out=(?= )", "--out"),
    (r"^checkpoint(?= ')", "--checkpoint"),
]
#: The embedders' classes, whose ``max_epochs`` is ``--embedder-epochs``.
_EMBEDDER_CLASSES = ("RotNet", "SimCLR", "BarlowTwins")
_CALLER = re.compile(r"^([A-Za-z_]\w*): ")


def _flag_message(message, *, batch_size=False):
    """``message`` of an API error with the flags for the API's parameters.

    ``"simulate: n_rounds must be an int >= 1 or None, got 0."`` becomes
    ``"--rounds must be an int >= 1 or None, got 0."``: the caller's name
    goes when a flag replaces a parameter right after it.

    Parameters
    ----------
    message : str
        The message of an exception raised by the API.
    batch_size : bool, default=False
        The labels per round were given with the deprecated ``--batch-size``
        (named for ``n_instances``).

    Returns
    -------
    str
        The message, naming the flags.
    """
    caller = _CALLER.match(message)
    body = message[caller.end() :] if caller else message
    flags = dict(_PARAMETER_FLAGS)
    if batch_size:
        flags["n_instances"] = "--batch-size"
    if caller and caller[1] in _EMBEDDER_CLASSES:
        flags["max_epochs"] = "--embedder-epochs"
    for pattern, flag in _PHRASE_FLAGS:
        body = re.sub(pattern, flag, body)
    names = "|".join(map(re.escape, flags))
    body = re.sub(rf"(?<![\w-])({names})(?![\w-])", lambda m: flags[m[1]], body)
    if caller and not body.startswith("--"):
        return caller[0] + body
    return body


def _simulate(args):
    _check_args(args)
    # the files, before anything heavy: the --out folder, the --checkpoint file
    from .experiment._checkpoint import check_checkpoint_file
    from .experiment._files import check_results_folder

    if args.out is not None:
        check_results_folder(args.out, overwrite=args.overwrite)
    if args.checkpoint is not None:
        check_checkpoint_file(args.checkpoint)
    # what needs the data (and numpy, and scikit-learn for digits)
    X_pool, y_pool, X_test, y_test = load_dataset(
        args.data,
        seed=args.seed,
        labels=args.labels,
        test_size=args.test_size,
        image_size=args.image_size,
    )
    if args.batch_size is not None:
        print(
            "skactive: note: --batch-size is deprecated and will be removed; use "
            "--n-instances (labels per round).",
            file=sys.stderr,
        )
    _check_budget(args, len(X_pool))
    if args.estimator not in (*_NETS, *_POSTERIOR_NETS, "lossnet", "mal"):  # flat
        X_pool, X_test = _flatten(X_pool), _flatten(X_test)
    diverse = args.initial_strategy == "diversity"
    if args.embedder != "pixels" and diverse and X_pool.ndim < 3:
        raise ValueError(
            f"--embedder {args.embedder} trains a CNN on images; the pool "
            f"has flat rows. Use --embedder pixels."
        )
    # the heavy part: torch, skorch, modAL
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    import numpy as np

    from .experiment import simulate
    from .representation._base import training_progress
    from .strategies import make_strategy

    strategies = {name: make_strategy(name) for name in _strategy_names(args)}
    stop = None
    if args.stop:
        from . import stopping

        stop = {
            name: getattr(stopping, cls)(**kwargs)
            for name, (cls, kwargs) in _stop_specs(args).items()
        }
    classes = np.unique(y_pool)
    # the embedder's pre-training shows its epochs, as the command's display
    # rather than a parameter of the embedder (whose repr, which a checkpoint
    # records, stays what it was)
    estimator = _estimator(args.estimator, classes, args.max_epochs)
    if "label_dispersion" in strategies and args.estimator in (*_NETS, "bayes"):
        # label dispersion reads the predictions of every epoch: the learner
        # points this recorder at its pool before every fit
        from .callbacks import PredictionRecorder

        estimator.set_params(callbacks=[("recorder", PredictionRecorder(X_pool))])
    with training_progress(not args.no_progress):
        result = simulate(
            estimator,
            strategies,
            X_pool,
            y_pool,
            X_test=X_test,
            y_test=y_test,
            initial=_initial(args),
            n_rounds=args.rounds,
            n_instances=_n_instances(args),
            n_repeats=args.repeats,
            random_state=args.seed,
            checkpoint=args.checkpoint,
            out=args.out,
            overwrite=args.overwrite,
            progress=not args.no_progress,
            stop=stop,
        )
    _print_result(result, args)
    if args.out is not None:
        out = Path(args.out)
        print(f"wrote {out / 'results.csv'}, results.json, learning_curves.png")
    return 0


def _print_result(result, args):
    """The accuracy of every round, then the AUC table."""
    width = max(len("strategy"), *map(len, result.strategies))
    print(
        f"data={args.data} estimator={args.estimator} repeats={args.repeats} "
        f"(accuracy: mean over repeats)"
    )
    print(f"{'strategy':<{width}} {'round':>5} {'labels':>6} {'accuracy':>8}")
    for name, (labels, values) in result.curves().items():
        for r, (n, acc) in enumerate(zip(labels, values.mean(axis=0), strict=True)):
            print(f"{name:<{width}} {r:>5} {n:>6} {acc:>8.4f}")
    # one repeat has no spread: say so rather than print 0 and [nan, nan]
    one = "n/a (1 repeat)" if args.repeats == 1 else None
    sem_width = len(one) if one else 7
    header = f"{'strategy':<{width}} {'AUC':>8} {'+-sem':>{sem_width}}"
    if "random" in result.strategies:
        header += "  paired AUC - random [95% CI]"
    print(header)
    for row in result.summary(baseline="random"):
        sem = one or f"{row['auc_sem']:.4f}"
        line = f"{row['strategy']:<{width}} {row['auc_mean']:>8.4f} {sem:>{sem_width}}"
        if "diff_mean" in row:
            ci = one or f"[{row['diff_low']:+.4f}, {row['diff_high']:+.4f}]"
            line += f"  {row['diff_mean']:+.4f} {ci}"
        print(line)
    _print_stopping(result, args)
    if "random" in result.strategies and args.repeats > 1:
        from .experiment import format_labels_saved, labels_saved

        print("labels saved (to reach random's final accuracy, 95% bootstrap CI):")
        for line in format_labels_saved(
            labels_saved(result, random_state=getattr(args, "seed", 0))
        ):
            print(line)


def _print_stopping(result, args):
    """One line per strategy and ``--stop``: the round it fired, per repeat."""
    names = list(_stop_specs(args))
    if not names:
        return
    import numpy as np

    print("stopping (round at which each --stop fired, per repeat; - never):")
    width = max(len(n) for n in result.strategies)
    rounds = {}
    for r in result.records:
        rounds.setdefault((r["strategy"], r["repeat"]), {})[r["n_labels"]] = r["round"]
    for strategy in result.strategies:
        repeats = sorted(rep for s, rep in rounds if s == strategy)
        for name in names:
            fired = result.stopping(f"stop_{name}")[strategy]
            cells = [
                "-"
                if np.isnan(n)
                else f"{rounds[strategy, rep][int(n)]} ({int(n)} labels)"
                for rep, n in zip(repeats, fired, strict=True)
            ]
            print(f"{strategy:<{width}}  {name}: {', '.join(cells)}")


def _list_strategies(_args):
    from .strategies import available_strategies

    strategies = available_strategies()
    width = max(map(len, strategies))
    for name, text in strategies.items():
        print(f"{name:<{width}}  {text}")
    return 0


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's default in ``--help``: argparse's, or the help's own.

    An option whose default is ``None`` (standing for a computed value: 10
    labels per round, torch's threads) says its default in its help, and
    gets no ``(default: None)``.
    """

    def _get_help_string(self, action):
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


def build_parser():
    """The argument parser of the ``skactive`` command."""
    parser = argparse.ArgumentParser(
        prog="skactive",
        description="Active learning for scikit-learn, skorch and modAL users.",
        formatter_class=_HelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser(
        "simulate",
        help="simulate active learning on a labeled dataset",
        description="Simulate pool-based active learning: an initial set "
        "(random or diverse), "
        "then rounds of query -> reveal labels -> refit -> test; prints the "
        "accuracy and labels per round and the area under the learning curve.",
        formatter_class=_HelpFormatter,
    )
    sim.add_argument(
        "--data",
        default="digits",
        help="'digits' (scikit-learn's, as 8x8 images), an .npz file with "
        "X_train, y_train, X_test, y_test (uncompressed members are read from "
        "disk in blocks), a .npy file of rows or images (read in blocks; labels "
        "in --labels) or a folder of images with one sub-folder per class",
    )
    sim.add_argument(
        "--labels",
        default=None,
        help="the .npy file of labels of a .npy --data (default: none)",
    )
    sim.add_argument(
        "--test-size",
        type=float,
        default=0.25,
        help="fraction held out as the test set of a .npy or folder --data",
    )
    sim.add_argument(
        "--image-size",
        type=int,
        default=None,
        help="resize the images of a folder --data to this side (default: "
        "keep their size, which must be one for all)",
    )
    sim.add_argument(
        "--estimator",
        choices=sorted(ESTIMATORS),
        default="logreg",
        help="; ".join(f"{k}: {v}" for k, v in ESTIMATORS.items()),
    )
    sim.add_argument(
        "--strategy",
        action="append",
        help="strategy name (repeat to compare several; see 'skactive "
        "strategies') (default: entropy)",
    )
    sim.add_argument("--initial", type=int, default=20, help="initial labels")
    sim.add_argument(
        "--initial-strategy",
        choices=["random", "diversity"],
        default="random",
        help="how the initial set is picked: at random, or by diversity "
        "sampling (InitialSelection) in the --embedder's space",
    )
    sim.add_argument(
        "--embedder",
        choices=sorted(EMBEDDERS),
        default="pixels",
        help="representation for --initial-strategy diversity: "
        + "; ".join(f"{k}: {v}" for k, v in EMBEDDERS.items()),
    )
    sim.add_argument(
        "--embedder-epochs",
        type=int,
        default=15,
        help="training epochs of a self-supervised --embedder",
    )
    sim.add_argument(
        "--initial-temperature",
        type=float,
        default=0.5,
        help="temperature T of the diversity sampling (0: k-center greedy, "
        "0.5: k-means++ seeding)",
    )
    sim.add_argument(
        "--max-epochs", type=int, default=30, help="training epochs of a net"
    )
    sim.add_argument("--rounds", type=int, default=5, help="query rounds")
    sim.add_argument(
        "--n-instances", type=int, default=None, help="labels per round (default: 10)"
    )
    sim.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="deprecated alias of --n-instances (default: unset)",
    )
    sim.add_argument("--repeats", type=int, default=1, help="repeats (paired)")
    sim.add_argument("--seed", type=int, default=0, help="random seed")
    sim.add_argument(
        "--out",
        help="folder for results.csv, results.json and learning_curves.png "
        "(checked before the simulation starts) (default: none, no files)",
    )
    sim.add_argument(
        "--overwrite",
        action="store_true",
        help="replace result files already in --out (refused otherwise)",
    )
    sim.add_argument(
        "--checkpoint",
        help="JSON checkpoint to write and resume from (default: none)",
    )
    sim.add_argument(
        "--stop",
        action="append",
        metavar="NAME[:param=value,...]",
        help="a stopping criterion consulted after every round (repeat for "
        "several); the results show the round it fired in: "
        + "; ".join(
            f"{k}" + (f" [{', '.join(r.params)}]" if r.params else "") + f": "
            f"{r.description}"
            for k, r in _STOPPING_RULES.items()
        )
        + " (default: none)",
    )
    sim.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads; 1 is much faster on a machine whose cores are "
        "busy with other work (default: torch's choice)",
    )
    sim.add_argument(
        "--no-progress",
        action="store_true",
        help="hide the progress bars (of the rounds, and of the --embedder's "
        "pre-training)",
    )
    sim.set_defaults(func=_simulate, _parser=sim)
    lst = sub.add_parser(
        "strategies",
        help="list the strategies known by name",
        description="List the strategies known by name, with one line on each.",
        formatter_class=_HelpFormatter,
    )
    lst.set_defaults(func=_list_strategies, _parser=lst)
    from .project._cli import add_project_commands

    add_project_commands(sub, _HelpFormatter)
    return parser


def main(argv=None):
    """Run the ``skactive`` command.

    Parameters
    ----------
    argv : list of str or None, default=None
        Command-line arguments without the program name; ``None`` reads
        ``sys.argv``.

    Returns
    -------
    int
        The exit status: 0 on success, 2 on bad input (with a message on
        standard error that names the flag). A mistake argparse finds itself
        (an unknown flag, a value that is not a number) exits through
        :class:`SystemExit` with status 2.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except _UsageError as exc:  # the arguments alone: as argparse says it
        args._parser.print_usage(sys.stderr)
        print(f"{args._parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:
        batch_size = getattr(args, "batch_size", None) is not None
        message = _flag_message(str(exc), batch_size=batch_size)
        print(f"skactive: error: {message}", file=sys.stderr)
        return 2
