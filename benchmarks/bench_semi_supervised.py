"""Semi-supervised nets with their defaults vs supervised (MNIST, CIFAR-10, digits).

A robustness report: every semi-supervised net is built with **its own
defaults** -- the same constructor call on every dataset -- and only the
training length (``--steps``, ``--steps-per-epoch``), the network, ``flip``
(which says whether the data are mirror-invariant: ``False`` for digits,
``True`` for CIFAR-10) and the seed change. The table gives, per dataset and
method, the mean and minimum test accuracy over the seeds and the *paired*
gain over ``supervised`` with the same labeled rows: its mean, its minimum
and every seed's value. The goal of issue 14: a minimum paired gain >= 0 for
every net on every dataset.

Data (``--data`` folder or ``$SKACTIVE_DATA``, default ``../shared/data`` next
to the repository; a missing file is reported and skipped):

* ``mnist`` (``mnist_train10k_test10k.npz``): 100 labels (10 per class)
  among the 10,000 training digits, the other 9,900 unlabeled; tested on the
  10,000 official test digits. ``flip=False``.
* ``cifar10`` (``cifar10_jpeg_10k_2k.npz``): 250 labels (25 per class) among
  10,000 training images, 9,750 unlabeled; tested on 2,000 images.
  ``flip=True``.
* ``digits`` (scikit-learn's ``load_digits``, always there): 8x8 images, a
  fixed stratified two-thirds / one-third split (1,198 / 599 rows), 50 labels
  (5 per class) among the training rows. ``flip=False``.

Network: :class:`~skactive.nets.SmallCNN` (16-32 channels, dropout 0.3) on
every dataset (``--channels``).

Methods:

* ``supervised``: :class:`~skactive.nets.DeepClassifier` on the labels only
  (Adam 1e-3, shuffled, no augmentation), the same number of steps;
* ``pseudo_label``: :class:`~skactive.nets.PseudoLabelClassifier` (CEAL);
* ``label_propagation``: :class:`~skactive.nets.LabelPropagationClassifier`;
* ``mixmatch``: :class:`~skactive.nets.MixMatchClassifier`;
* ``fixmatch``: :class:`~skactive.nets.FixMatchClassifier`;
* ``flexmatch``: :class:`~skactive.nets.FlexMatchClassifier`;
* ``mixmatch_labels``, ``fixmatch_labels``: MixMatch's and FixMatch's own
  recipe (optimizer, schedule, augmentation, EMA; MixUp for MixMatch) with
  ``lambda_u = 0``, i.e. on the labels alone: the paired gain of ``mixmatch``
  / ``fixmatch`` / ``flexmatch`` over it is what the unlabeled term buys;

each with its defaults (batch sizes, ``mu``, learning rates, ``lambda_u``,
ramps, thresholds, EMA, divergence guard) unless ``--batch-size`` / ``--mu``
override them for every net -- state it when you report numbers. CPU budgets
are tiny next to the papers' schedules: compare the methods with each other,
not with published numbers.

GPU recipe (``--recipe gpu``, documented and ready, **not run here**: no GPU
was lent when this was written, so no number of it is reported): CIFAR-10
with :class:`~skactive.nets.WideResNet` (WRN-28-2, the papers' network),
``2**20`` steps (1,024 epochs of 1,024 steps), the nets' own batch sizes
(FixMatch / FlexMatch: 64 labeled + 7 x 64 unlabeled, SGD 0.03 with cosine
decay; MixMatch: 64 + 64, Adam 0.002, and the paper's CIFAR-10
``lambda_u = 75``), ``device="cuda"``.
The published CIFAR-10-250 errors to compare with (USB, WRN-28-2): FixMatch
4.97 %, FlexMatch 5.00 %; MixMatch's own paper 11.08 %. Note that the
``cifar10`` file here holds 10,000 training images, not 50,000: the recipe
then uses 9,750 unlabeled rows, fewer than the papers' 49,750.

Usage::

    python benchmarks/bench_semi_supervised.py [--quick] [--data DIR]
        [--datasets mnist cifar10 digits] [--methods supervised fixmatch ...]
        [--steps N] [--steps-per-epoch N] [--threads 1] [--seeds 0 1 2]
        [--batch-size B] [--mu M] [--channels C1 C2] [--recipe cpu|gpu]
        [--set NET.PARAM=VALUE ...]
"""

from __future__ import annotations

import argparse
import ast
import importlib
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from skactive.callbacks import DivergenceWarning
from skactive.nets import (
    DeepClassifier,
    FixMatchClassifier,
    FlexMatchClassifier,
    LabelPropagationClassifier,
    MixMatchClassifier,
    PseudoLabelClassifier,
    SmallCNN,
    WideResNet,
)

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

DATASETS = {
    "mnist": dict(
        file="mnist_train10k_test10k.npz",
        n_labels=100,
        module=SmallCNN,
        module_kw={"channels": (16, 32), "dropout": 0.3},
        steps=3000,
        flip=False,
    ),
    "cifar10": dict(
        file="cifar10_jpeg_10k_2k.npz",
        n_labels=250,
        module=SmallCNN,
        module_kw={"channels": (16, 32), "dropout": 0.3},
        steps=10000,
        flip=True,
    ),
    "digits": dict(
        file=None,  # scikit-learn's load_digits
        n_labels=50,
        module=SmallCNN,
        module_kw={"channels": (16, 32), "dropout": 0.3},
        steps=3000,
        flip=False,
    ),
}

#: The GPU recipe (not run here): WRN-28-2 and the papers' step count.
GPU_RECIPE = dict(
    datasets=["cifar10"],
    module=WideResNet,
    module_kw={"depth": 28, "widen_factor": 2},
    steps=2**20,
    steps_per_epoch=1024,
    device="cuda",
    per_method={"mixmatch": {"lambda_u": 75.0}},  # the paper's CIFAR-10 value
)

SEMI = {
    "pseudo_label": PseudoLabelClassifier,
    "label_propagation": LabelPropagationClassifier,
    "mixmatch": MixMatchClassifier,
    "fixmatch": FixMatchClassifier,
    "flexmatch": FlexMatchClassifier,
}
#: The nets with a ``flip`` parameter (named image augmentations).
FLIPS = ("mixmatch", "fixmatch", "flexmatch")

#: Each net's own recipe with ``lambda_u = 0``: what its training gives
#: without the unlabeled term (a twin that isolates that term's gain).
LABELS_ONLY = {f"{name}_labels": name for name in ("mixmatch", "fixmatch")}

METHODS = ("supervised", *SEMI, *LABELS_ONLY, "isda", "barlow")


def _optional(module, name):
    """A class from an optional skactive module, or None."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def pick_labels(y, n_labels, seed):
    """``n_labels / n_classes`` random rows of every class."""
    classes = np.unique(y)
    per_class = n_labels // len(classes)
    rng = np.random.RandomState(seed)
    return np.concatenate(
        [rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in classes]
    )


def make_net(method, config, *, steps, steps_per_epoch, seed, overrides):
    """The net of ``method`` and whether it trains on the unlabeled rows.

    Semi-supervised nets get their defaults plus the training length, the
    network, ``flip`` and the seed (and ``overrides``: ``--batch-size``,
    ``--mu``, ``device``).
    """
    module = config["module"]
    common = dict(
        random_state=seed,
        classes=np.arange(10),
        **{f"module__{k}": v for k, v in config["module_kw"].items()},
    )
    if "device" in overrides:
        common["device"] = overrides["device"]
    if method in ("supervised", "isda"):
        cls = DeepClassifier
        if method == "isda":
            cls = _optional("skactive.nets.isda", "ISDAClassifier")
        if cls is None:
            return None, None
        batch_size = overrides.get("batch_size", 64)
        # the same number of steps, over the labels alone
        epochs = max(1, round(steps / math.ceil(config["n_labels"] / batch_size)))
        return cls(
            module,
            lr=1e-3,
            batch_size=batch_size,
            iterator_train__shuffle=True,
            max_epochs=epochs,
            **common,
        ), False
    semi = dict(
        common,
        steps_per_epoch=steps_per_epoch,
        max_epochs=max(1, round(steps / steps_per_epoch)),
        **{k: v for k, v in overrides.items() if k in ("batch_size", "mu")},
    )
    if method in LABELS_ONLY:
        method = LABELS_ONLY[method]
        semi["lambda_u"] = 0.0
    if method in SEMI:
        if method in FLIPS:
            semi["flip"] = config["flip"]
        semi.update(overrides.get("per_method", {}).get(method, {}))
        return SEMI[method](module, **semi), True
    if method == "barlow":
        cls = _optional("skactive.nets.barlow_twins", "BarlowTwinsClassifier")
        if cls is None:
            return None, None
        return cls(module, **semi), True
    raise ValueError(f"unknown method {method!r}")


def load_digits_split():
    """``load_digits`` as 8x8 uint8 images, a fixed stratified 2/3-1/3 split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = np.round(X.reshape(-1, 8, 8) * (255 / 16)).astype(np.uint8)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=1 / 3, stratify=y, random_state=0
    )
    return X_tr, y_tr.astype(np.int64), X_te, y_te.astype(np.int64)


def load(path):
    """``X, y, X_test, y_test`` of one data file."""
    data = np.load(path)
    return (
        data["X_train"],
        data["y_train"].astype(np.int64),
        data["X_test"],
        data["y_test"].astype(np.int64),
    )


def run_dataset(name, data, args, seed):
    """Fit every method on one dataset with one seed; a dict per method."""
    config = DATASETS[name]
    n_labels = config["n_labels"]
    steps = args.steps or config["steps"]
    steps_per_epoch = min(args.steps_per_epoch, steps)
    if args.quick:
        steps, steps_per_epoch = 40, 10
    X, y, X_test, y_test = data
    if args.quick:
        keep = np.random.RandomState(seed).permutation(len(X))[:2000]
        X, y = X[keep], y[keep]
        X_test, y_test = X_test[:1000], y_test[:1000]
    labeled = pick_labels(y, n_labels, seed)
    y_semi = np.full(len(y), -1)
    y_semi[labeled] = y[labeled]
    rows = []
    for method in args.methods:
        net, uses_unlabeled = make_net(
            method,
            config,
            steps=steps,
            steps_per_epoch=steps_per_epoch,
            seed=seed,
            overrides=args.overrides,
        )
        if net is None:
            print(f"  {name}/{method}: not available, skipped", flush=True)
            continue
        wall, cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DivergenceWarning)
            if uses_unlabeled:
                net.fit(X, y_semi)
            else:
                net.fit(X[labeled], y[labeled])
        backoffs = sum(issubclass(w.category, DivergenceWarning) for w in caught)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        acc = float(np.mean(net.predict(X_test) == y_test))
        epochs = len(net.history)
        n_steps = int(sum(net.history[:, "train_batch_count"]))
        rows.append(
            dict(
                dataset=name,
                method=method,
                seed=seed,
                labels=n_labels,
                acc=acc,
                cpu_epoch=cpu / epochs,
                cpu_step=1000 * cpu / n_steps,
                steps=n_steps,
                steps_epoch=n_steps // epochs,
                wall=wall,
                backoffs=backoffs,
            )
        )
        print(
            f"  {name}/{method} (seed {seed}): acc {acc:.3f}, "
            f"{backoffs} divergence back-off(s), "
            f"{cpu / epochs:.2f} CPU s/epoch, "
            f"{epochs} epochs x {n_steps // epochs} steps, {wall:.0f} s wall",
            flush=True,
        )
    return rows


def summarise(rows):
    """One row per dataset and method, averaged over the seeds.

    ``gain`` is the mean over the seeds of the accuracy minus that of
    ``supervised`` with the same seed (same labeled rows), in points; None
    without a supervised run.
    """
    sup = {
        (r["dataset"], r["seed"]): r["acc"] for r in rows if r["method"] == "supervised"
    }
    keys = list(dict.fromkeys((r["dataset"], r["method"]) for r in rows))
    table = []
    for dataset, method in keys:
        group = [r for r in rows if (r["dataset"], r["method"]) == (dataset, method)]
        accs = np.array([r["acc"] for r in group])
        gains = [
            100 * (r["acc"] - sup[(dataset, r["seed"])])
            for r in group
            if (dataset, r["seed"]) in sup
        ]
        paired = len(gains) == len(group)
        table.append(
            dict(
                group[0],
                acc=accs.mean(),
                acc_min=accs.min(),
                acc_std=accs.std(ddof=1) if len(accs) > 1 else 0.0,
                gain=float(np.mean(gains)) if paired else None,
                gain_min=float(np.min(gains)) if paired else None,
                gains=gains if paired else None,
                backoffs=int(sum(r.get("backoffs", 0) for r in group)),
                n_seeds=len(group),
                **{
                    k: float(np.mean([r[k] for r in group]))
                    for k in ("cpu_epoch", "cpu_step", "wall")
                },
            )
        )
    return table


def format_table(table):
    """The report: accuracies and paired gains per dataset and method."""
    header = (
        f"{'dataset':8s} {'method':18s} {'labels':>6s} {'mean acc':>8s} "
        f"{'min acc':>8s} {'gain':>6s} {'min gain':>8s} {'per-seed gains':>22s} "
        f"{'back-offs':>9s} {'steps':>6s} {'CPU ms/step':>11s} {'wall s':>7s}"
    )
    lines = [header, "-" * len(header)]
    for r in table:
        if r["gain"] is None:
            gain = min_gain = seeds = "n/a"
        else:
            gain, min_gain = f"{r['gain']:+.1f}", f"{r['gain_min']:+.1f}"
            seeds = " ".join(f"{g:+.1f}" for g in r["gains"])
        if r["method"] == "supervised":
            gain = min_gain = seeds = "-"
        lines.append(
            f"{r['dataset']:8s} {r['method']:18s} {r['labels']:6d} "
            f"{r['acc']:8.3f} {r['acc_min']:8.3f} {gain:>6s} {min_gain:>8s} "
            f"{seeds:>22s} {r['backoffs']:9d} {r['steps']:6d} "
            f"{r['cpu_step']:11.1f} {r['wall']:7.0f}"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        default=os.environ.get("SKACTIVE_DATA", str(DEFAULT_DATA)),
        help="folder holding the .npz files (default: $SKACTIVE_DATA or "
        "../shared/data)",
    )
    parser.add_argument(
        "--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS)
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="gradient steps per net (default: 3000 MNIST and digits, 10000 "
        "CIFAR-10; 2**20 with --recipe gpu)",
    )
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="labeled rows per step for every net (default: each net's own)",
    )
    parser.add_argument(
        "--mu",
        type=int,
        default=None,
        help="unlabeled rows per labeled row for every semi-supervised net "
        "(default: each net's own)",
    )
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="NET.PARAM=VALUE",
        help="change one parameter of one net, e.g. fixmatch.ema_decay=None or "
        "fixmatch.callbacks__lr_decay__min_total=None (a Python literal; it "
        "applies to the net's _labels twin too); for one-factor studies",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="seeds (labeled rows and nets)",
    )
    parser.add_argument(
        "--channels",
        type=int,
        nargs="+",
        default=None,
        help="SmallCNN channels per block (default: 16 32)",
    )
    parser.add_argument(
        "--recipe",
        choices=("cpu", "gpu"),
        default="cpu",
        help="gpu: CIFAR-10 with WRN-28-2 and 2**20 steps on CUDA (not run here)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2,000 training and 1,000 test rows, 40 steps",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.overrides = {}
    if args.batch_size is not None:
        args.overrides["batch_size"] = args.batch_size
    if args.mu is not None:
        args.overrides["mu"] = args.mu
    for item in args.set:
        net_param, sep, value = item.partition("=")
        net, dot, param = net_param.partition(".")
        if not (sep and dot and net in SEMI and param):
            names = ", ".join(SEMI)
            parser.error(f"--set {item!r}: expected NET.PARAM=VALUE, NET in {names}")
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            parser.error(f"--set {item!r}: {value!r} is not a Python literal")
        args.overrides.setdefault("per_method", {}).setdefault(net, {})[param] = value
    if args.recipe == "gpu":
        if not torch.cuda.is_available():
            print("--recipe gpu needs CUDA; none here. Nothing run.")
            return 1
        args.datasets = GPU_RECIPE["datasets"]
        args.steps = args.steps or GPU_RECIPE["steps"]
        args.steps_per_epoch = GPU_RECIPE["steps_per_epoch"]
        args.overrides["device"] = GPU_RECIPE["device"]
        for net, params in GPU_RECIPE["per_method"].items():
            per_method = args.overrides.setdefault("per_method", {})
            per_method[net] = {**params, **per_method.get(net, {})}
        DATASETS["cifar10"].update(
            module=GPU_RECIPE["module"], module_kw=dict(GPU_RECIPE["module_kw"])
        )
    if args.channels is not None:
        for config in DATASETS.values():
            if config["module"] is SmallCNN:
                config["module_kw"]["channels"] = tuple(args.channels)

    data_dir = Path(args.data)
    if data_dir.is_file():  # a path to one of the files: use its folder
        data_dir = data_dir.parent
    rows, missing = [], []
    for name in args.datasets:
        file = DATASETS[name]["file"]
        if file is None:
            data = load_digits_split()
        else:
            path = data_dir / file
            if not path.is_file():
                missing.append(str(path))
                continue
            data = load(path)
        print(f"{name}:", flush=True)
        for seed in args.seeds:
            rows += run_dataset(name, data, args, seed)
    for path in missing:
        print(
            f"data file {path} not found: pass --data DIR or set SKACTIVE_DATA "
            "to the folder holding it; skipped."
        )
    if not rows:
        return 0

    print()
    print(format_table(summarise(rows)))
    seeds = " ".join(map(str, args.seeds))
    sizes = ", ".join(
        f"{k}={v}" for k, v in args.overrides.items() if k in ("batch_size", "mu")
    )
    sizes = sizes or "each net's own"
    if args.set:
        sizes += "; changed: " + " ".join(args.set)
    print(
        f"\nSeeds {seeds}; batch sizes / mu: {sizes}; {args.threads} torch "
        "thread(s). 'gain' is the mean over the seeds of the accuracy minus that "
        "of supervised with the same labeled rows (points); 'min gain' the "
        "smallest; 'back-offs' the divergence guard's warnings over the seeds."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
