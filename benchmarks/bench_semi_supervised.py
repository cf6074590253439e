"""Semi-supervised nets vs supervised training with few labels (MNIST, CIFAR-10).

Data (``--data`` folder or ``$SKACTIVE_DATA``, default ``../shared/data`` next
to the repository; a missing file is reported and skipped):

* ``mnist_train10k_test10k.npz``: 100 labels (10 per class) among the 10,000
  training digits, the other 9,900 are the unlabeled pool; tested on the
  10,000 official test digits. Network: :class:`~skactive.nets.SmallCNN`
  (16-32 channels, dropout 0.3; ``--mnist-mlp``: the 784-256-10
  :class:`~skactive.nets.MLP`), 3,000 steps.
* ``cifar10_jpeg_10k_2k.npz``: 250 labels (25 per class) among 10,000
  training images, 9,750 unlabeled; tested on 2,000 images. Network:
  :class:`~skactive.nets.SmallCNN` (16-32 channels, dropout 0.3), 10,000
  steps.

Methods, each with the same network, Adam and seed:

* ``supervised``: :class:`~skactive.nets.DeepClassifier` on the labels only
  (shuffled, no augmentation);
* ``pseudo_label``: :class:`~skactive.nets.pseudo_label.PseudoLabelClassifier`
  (CEAL; ``max p >= 0.9``, ``pseudo_weight=3``);
* ``label_propagation``:
  :class:`~skactive.nets.label_propagation.LabelPropagationClassifier`
  (Iscen et al.; kNN graph on the penultimate features, k = 10, gamma = 3,
  alpha = 0.99, re-propagated every epoch);
* ``mixmatch``: :class:`~skactive.nets.mixmatch.MixMatchClassifier`
  (``"standard"`` augmentation: crop, plus flips for CIFAR; K = 2, T = 0.5,
  alpha = 0.75, EMA 0.999). ``lambda_u`` ramps up over the first half of the
  steps to 75 on MNIST but only to 5 on CIFAR-10: with ten thousand steps
  instead of the paper's million, 75 collapses the small CNN to one class;
* ``isda`` and ``barlow``: :class:`~skactive.nets.isda.ISDAClassifier` and
  :class:`~skactive.nets.barlow_twins.BarlowTwinsClassifier` (their
  defaults) when those modules are present.

Semi-supervised nets (and ``barlow``) take ``batch_size`` labeled and
``mu * batch_size`` unlabeled rows per step (``mu`` = 1 on MNIST, 2 on
CIFAR-10, where MixMatch's guessed labels are weak and more of them per step
help); an epoch is ``--steps-per-epoch`` steps and the pseudo-label /
propagation nets train on the labels alone for the first quarter of the
epochs. ``supervised`` and ``isda`` run the same
number of steps over the labels (an epoch is then one pass over them). The
table gives test accuracy, the gain over ``supervised`` in points, process
CPU seconds per epoch (``--threads`` torch threads), the same per step
(epochs differ in length between the methods) and the wall-clock fit time.
CPU budgets are tiny next to the papers' schedules: compare the methods
with each other, not with published numbers.
One seed of every method takes about 6 minutes on MNIST and 30 on CIFAR-10
with one thread (MixMatch and Barlow Twins 10 minutes each); ``--seeds 0 1
2`` gives the table in the user guide.

Usage::

    python benchmarks/bench_semi_supervised.py [--quick] [--data DIR]
        [--datasets mnist cifar10] [--methods supervised mixmatch ...]
        [--steps N] [--threads 1] [--seeds 0 1 2] [--mnist-mlp] [--lambda-u W]
        [--mu M] [--channels C1 C2]
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from skactive.nets import MLP, DeepClassifier, SmallCNN
from skactive.nets.label_propagation import LabelPropagationClassifier
from skactive.nets.mixmatch import MixMatchClassifier
from skactive.nets.pseudo_label import PseudoLabelClassifier

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

DATASETS = {
    "mnist": dict(
        file="mnist_train10k_test10k.npz",
        n_labels=100,
        module=SmallCNN,
        module_kw={"channels": (16, 32), "dropout": 0.3},
        steps=3000,
        lambda_u=75.0,
        mu=1,
    ),
    "cifar10": dict(
        file="cifar10_jpeg_10k_2k.npz",
        n_labels=250,
        module=SmallCNN,
        module_kw={"channels": (16, 32), "dropout": 0.3},
        steps=10000,
        lambda_u=5.0,
        mu=2,  # MixMatch gains most from more unlabeled rows per step
    ),
}

METHODS = (
    "supervised",
    "pseudo_label",
    "label_propagation",
    "mixmatch",
    "isda",
    "barlow",
)


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


def make_net(method, config, *, batch_size, steps, steps_per_epoch, seed):
    """The net of ``method`` and whether it trains on the unlabeled rows."""
    module = config["module"]
    epochs = max(1, round(steps / steps_per_epoch))
    common = dict(
        batch_size=batch_size,
        random_state=seed,
        classes=np.arange(10),
        **{f"module__{k}": v for k, v in config["module_kw"].items()},
    )
    semi = dict(
        common, steps_per_epoch=steps_per_epoch, max_epochs=epochs, mu=config["mu"]
    )
    warmup = max(1, epochs // 4)
    if method in ("supervised", "isda"):
        cls, extra = DeepClassifier, {}
        if method == "isda":
            cls = _optional("skactive.nets.isda", "ISDAClassifier")
        if cls is None:
            return None, None
        # the same number of steps, over the labels alone
        sup_epochs = max(1, round(steps / math.ceil(config["n_labels"] / batch_size)))
        return cls(
            module,
            lr=1e-3,
            iterator_train__shuffle=True,
            max_epochs=sup_epochs,
            **dict(common, **extra),
        ), False
    if method == "pseudo_label":
        return PseudoLabelClassifier(
            module,
            confidence="max_proba",
            threshold=0.9,
            pseudo_weight=3.0,
            warmup_epochs=warmup,
            lr=1e-3,
            **semi,
        ), True
    if method == "label_propagation":
        return LabelPropagationClassifier(
            module, k=10, warmup_epochs=warmup, lr=1e-3, **semi
        ), True
    if method == "mixmatch":
        return MixMatchClassifier(
            module,
            lambda_u=config["lambda_u"],
            rampup_steps=max(1, steps // 2),
            **semi,
        ), True
    if method == "barlow":
        cls = _optional("skactive.nets.barlow_twins", "BarlowTwinsClassifier")
        if cls is None:
            return None, None
        return cls(module, lr=1e-3, **semi), True
    raise ValueError(f"unknown method {method!r}")


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
    steps_per_epoch = args.steps_per_epoch
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
            batch_size=args.batch_size,
            steps=steps,
            steps_per_epoch=steps_per_epoch,
            seed=seed,
        )
        if net is None:
            print(f"  {name}/{method}: not available, skipped", flush=True)
            continue
        wall, cpu = time.perf_counter(), time.process_time()
        if uses_unlabeled:
            net.fit(X, y_semi)
        else:
            net.fit(X[labeled], y[labeled])
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
            )
        )
        print(
            f"  {name}/{method} (seed {seed}): acc {acc:.3f}, "
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
        table.append(
            dict(
                group[0],
                acc=accs.mean(),
                acc_std=accs.std(ddof=1) if len(accs) > 1 else 0.0,
                gain=float(np.mean(gains)) if len(gains) == len(group) else None,
                n_seeds=len(group),
                **{
                    k: float(np.mean([r[k] for r in group]))
                    for k in ("cpu_epoch", "cpu_step", "wall")
                },
            )
        )
    return table


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
        help="gradient steps per net (default: 3000 MNIST, 10000 CIFAR-10)",
    )
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0],
        help="seeds (labeled rows and nets); several give mean ± std",
    )
    parser.add_argument(
        "--lambda-u",
        type=float,
        default=None,
        help="MixMatch's final unsupervised weight (default: 75 MNIST, 5 CIFAR-10)",
    )
    parser.add_argument(
        "--mu",
        type=int,
        default=None,
        help="unlabeled rows per labeled row in a semi-supervised step "
        f"(default: 1 MNIST, {DATASETS['cifar10']['mu']} CIFAR-10)",
    )
    parser.add_argument(
        "--mnist-mlp",
        action="store_true",
        help="MNIST with a 784-256-10 MLP instead of the SmallCNN",
    )
    parser.add_argument(
        "--channels",
        type=int,
        nargs="+",
        default=None,
        help="SmallCNN channels per block (default: 16 32)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2,000 training and 1,000 test rows, 40 steps",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.lambda_u is not None:
        for config in DATASETS.values():
            config["lambda_u"] = args.lambda_u
    if args.mu is not None:
        for config in DATASETS.values():
            config["mu"] = args.mu
    if args.mnist_mlp:
        DATASETS["mnist"].update(
            module=MLP, module_kw={"hidden_units": (256,), "dropout": 0.3}
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
        path = data_dir / DATASETS[name]["file"]
        if not path.is_file():
            missing.append(str(path))
            continue
        print(f"{name}:", flush=True)
        data = load(path)
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
    header = (
        f"{'dataset':8s} {'method':18s} {'labels':>6s} {'test acc':>13s} "
        f"{'vs sup.':>7s} {'CPU s/epoch':>11s} {'CPU ms/step':>11s} "
        f"{'steps':>6s} {'steps/ep':>8s} {'wall s':>7s}"
    )
    print(header)
    print("-" * len(header))
    for r in summarise(rows):
        acc = f"{r['acc']:.3f}"
        if r["n_seeds"] > 1:
            acc += f" ± {r['acc_std']:.3f}"
        gain = "n/a" if r["gain"] is None else f"{r['gain']:+.1f}"
        print(
            f"{r['dataset']:8s} {r['method']:18s} {r['labels']:6d} {acc:>13s} "
            f"{gain:>7s} {r['cpu_epoch']:11.2f} {r['cpu_step']:11.1f} "
            f"{r['steps']:6d} {r['steps_epoch']:8d} {r['wall']:7.0f}"
        )
    mus = ", ".join(f"{DATASETS[n]['mu']} {n}" for n in args.datasets)
    seeds = " ".join(map(str, args.seeds))
    print(
        f"\nBatches of {args.batch_size} labeled (+ mu x {args.batch_size} "
        f"unlabeled; mu = {mus}) rows, seeds {seeds} (mean ± standard deviation "
        f"over the seeds), {args.threads} torch thread(s); 'vs sup.' is the mean "
        "gain over supervised with the same labels, in accuracy points."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
