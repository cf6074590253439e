"""MNIST with 100 labels: supervised vs ISDA vs joint Barlow Twins training.

Data: ``shared/data/mnist_train10k_test10k.npz`` (10,000 training and 10,000
test digits, 28x28 uint8). 100 labels, 10 per class, drawn with the seed; the
other 9,900 training rows are the unlabeled rows of the Barlow Twins net.

Every net is a :class:`~skactive.nets.SmallCNN` trained with Adam for the
same number of gradient steps (``--steps``):

* ``supervised``: :class:`~skactive.nets.DeepClassifier` on the 100 labels;
* ``isda``: :class:`~skactive.nets.isda.ISDAClassifier` (lambda0 = 0.5);
* ``barlow gamma=0``: :class:`~skactive.nets.barlow_twins.BarlowTwinsClassifier`
  with ``gamma=0`` -- the same paired batches, cross-entropy only (the
  control of the next row);
* ``barlow``: the joint DALBT loss, ``gamma=0.001``, "ssl" views of a
  labeled batch and an unlabeled batch of the same size at every step.

Prints test accuracy (mean and spread over ``--seeds``), CPU seconds per
epoch and per step. The supervised nets do ``ceil(100 / batch_size)`` steps
per epoch on shuffled labeled rows, the Barlow nets
``--barlow-steps-per-epoch`` (``batch_size`` labeled and ``batch_size``
unlabeled rows each).

Usage::

    python benchmarks/bench_isda_barlow.py [--quick] [--seeds 3] [--steps 600]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch

from skactive.nets import DeepClassifier, SmallCNN
from skactive.nets.barlow_twins import BarlowTwinsClassifier
from skactive.nets.isda import ISDAClassifier

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load(path):
    d = np.load(path)
    return d["X_train"], d["y_train"], d["X_test"], d["y_test"]


def pick_labels(y, per_class, seed):
    rng = np.random.RandomState(seed)
    perm = rng.permutation(len(y))
    return np.concatenate([perm[y[perm] == c][:per_class] for c in np.unique(y)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATA / "mnist_train10k_test10k.npz"))
    parser.add_argument("--quick", action="store_true", help="small run (~1 min)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=600, help="gradient steps")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--barlow-steps-per-epoch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    X, y, X_test, y_test = load(args.data)
    n_test = len(y_test)
    if args.quick:
        args.seeds, args.steps, n_test = 1, 120, 2000
        args.barlow_steps_per_epoch = 40
    X_test, y_test = X_test[:n_test], y_test[:n_test]
    bs = args.batch_size
    sup_steps = math.ceil(100 / bs)
    sup_epochs = max(1, round(args.steps / sup_steps))
    bt_epochs = max(1, round(args.steps / args.barlow_steps_per_epoch))
    common = dict(lr=1e-3, batch_size=bs)
    # DeepClassifier keeps skorch's unshuffled training iterator by default
    sup_common = dict(common, iterator_train__shuffle=True)
    bt_common = dict(
        common,
        max_epochs=bt_epochs,
        steps_per_epoch=args.barlow_steps_per_epoch,
        projector_dims=(512, 512),
    )
    methods = {
        "supervised": (
            lambda s: DeepClassifier(
                SmallCNN, max_epochs=sup_epochs, random_state=s, **sup_common
            ),
            False,
            sup_epochs,
            sup_steps,
        ),
        "isda": (
            lambda s: ISDAClassifier(
                SmallCNN, max_epochs=sup_epochs, random_state=s, **sup_common
            ),
            False,
            sup_epochs,
            sup_steps,
        ),
        "barlow gamma=0": (
            lambda s: BarlowTwinsClassifier(
                SmallCNN, gamma=0.0, random_state=s, **bt_common
            ),
            True,
            bt_epochs,
            args.barlow_steps_per_epoch,
        ),
        "barlow": (
            lambda s: BarlowTwinsClassifier(SmallCNN, random_state=s, **bt_common),
            True,
            bt_epochs,
            args.barlow_steps_per_epoch,
        ),
    }
    print(
        f"MNIST 100 labels, test rows {n_test}, {args.steps} steps of batch {bs}, "
        f"seeds {args.seeds}, torch threads {args.threads}"
    )
    header = (
        f"{'method':<16}{'test acc':>16}{'epochs':>8}{'s/epoch':>10}{'ms/step':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, (make, semi, epochs, steps) in methods.items():
        accs, times = [], []
        for seed in range(args.seeds):
            labeled = pick_labels(y, 10, seed)
            if semi:
                y_fit = np.full(len(y), -1)
                y_fit[labeled] = y[labeled]
                X_fit = X
            else:
                X_fit, y_fit = X[labeled], y[labeled]
            net = make(seed)
            t0 = time.process_time()
            net.fit(X_fit, y_fit)
            times.append(time.process_time() - t0)
            accs.append(float((net.predict(X_test) == y_test).mean()))
        t = float(np.mean(times))
        print(
            f"{name:<16}{np.mean(accs):>10.4f} ±{np.std(accs):.3f}"
            f"{epochs:>8}{t / epochs:>10.3f}{1000 * t / (epochs * steps):>10.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
