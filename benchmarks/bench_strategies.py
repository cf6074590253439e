"""Per-round selection time of model-based strategies on an MNIST pool.

A :class:`~skactive.nets.DeepClassifier` wrapping a
:class:`~skactive.nets.SmallCNN` is trained briefly on 100 labeled MNIST
images; every strategy then selects ``--n`` rows from the remaining 9,900
(the MNIST file holds the first 10,000 training images). The selection time
is split into

* **forward**: time spent inside the net's own inference calls
  (``predict_proba``, ``predict_proba_samples``,
  ``predict_proba_with_embedding``, ``embed``, ``predict``, ``infer``), measured
  by wrapping those methods on the fitted net (outermost call only, so nested
  calls are not counted twice);
* **acquisition**: the rest of the strategy call, i.e. validation, the pure
  scoring and the selection.

Training uses batches of 32, inference batches of 512 rows.

Query by committee uses a committee of three such nets (different seeds);
CAL gets the 100 labeled images as ``X_labeled``.

The strategies are extended by other modules over time: add a row to
``strategies()`` to time a new one.

Usage::

    python benchmarks/bench_strategies.py [--data PATH] [--n 10] [--quick]

``--data`` defaults to ``$SKACTIVE_DATA`` or ``../shared/data/
mnist_train10k_test10k.npz`` beside the repository; without the file the
script says so and exits with status 0.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from skactive.nets import DeepClassifier, SmallCNN
from skactive.strategies.bayesian import (
    BALD,
    BatchBALD,
    MaxEntropy,
    MeanSTD,
    VariationRatios,
)
from skactive.strategies.cal import CAL
from skactive.strategies.committee import QueryByCommittee
from skactive.strategies.gradient import ExpectedGradientLength

DEFAULT_DATA = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "mnist_train10k_test10k.npz"
)

NET_METHODS = (
    "predict_proba",
    "predict_proba_samples",
    "predict_proba_with_embedding",
    "embed",
    "predict",
    "infer",
)


class ForwardTimer:
    """Accumulates the time spent inside the wrapped methods of some nets."""

    def __init__(self):
        self.seconds = 0.0
        self._depth = 0

    def wrap(self, net):
        for name in NET_METHODS:
            method = getattr(net, name, None)
            if callable(method):
                setattr(net, name, self._timed(method))
        return net

    def _timed(self, method):
        @functools.wraps(method)
        def timed(*args, **kwargs):
            if self._depth:
                return method(*args, **kwargs)
            self._depth += 1
            t0 = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self._depth -= 1

        return timed


def load_mnist(path):
    if path is None or not Path(path).is_file():
        print(
            f"MNIST data not found at {path!s}: pass --data PATH or set "
            "SKACTIVE_DATA to mnist_train10k_test10k.npz (see "
            "../shared/data/README.md). Skipping the benchmark."
        )
        sys.exit(0)
    with np.load(path) as f:
        return f["X_train"], f["y_train"]


def strategies(args, labeled_X):
    """``(name, strategy, estimator key, query kwargs)`` rows of the table."""
    T = args.n_samples
    return [
        ("BALD", BALD(T, random_state=0), "net", {}),
        ("VariationRatios", VariationRatios(T, random_state=0), "net", {}),
        ("MeanSTD", MeanSTD(T, random_state=0), "net", {}),
        ("MaxEntropy", MaxEntropy(T, random_state=0), "net", {}),
        ("ExpectedGradientLength", ExpectedGradientLength(random_state=0), "net", {}),
        ("CAL", CAL(random_state=0), "net", {"X_labeled": labeled_X}),
        (
            "QueryByCommittee(vote_entropy)",
            QueryByCommittee(measure="vote_entropy", random_state=0),
            "committee",
            {},
        ),
        (
            "QueryByCommittee(max_disagreement)",
            QueryByCommittee(measure="max_disagreement", random_state=0),
            "committee",
            {},
        ),
        ("BatchBALD", BatchBALD(T, random_state=0), "net", {}),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", default=os.environ.get("SKACTIVE_DATA", str(DEFAULT_DATA))
    )
    parser.add_argument("--n", type=int, default=10, help="rows selected per round")
    parser.add_argument("--n-samples", type=int, default=20, help="MC samples T")
    parser.add_argument("--n-labeled", type=int, default=100)
    parser.add_argument("--pool", type=int, default=None, help="pool rows (all)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--committee", type=int, default=3, help="committee nets")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--skip", nargs="*", default=[], help="strategy names")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1,000-row pool, T=5, n=5"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.pool, args.n_samples, args.n, args.epochs = 1000, 5, 5, 2

    X, y = load_mnist(args.data)
    rng = np.random.RandomState(0)
    order = rng.permutation(len(X))
    lab, pool_idx = order[: args.n_labeled], order[args.n_labeled :]
    if args.pool is not None:
        pool_idx = pool_idx[: args.pool]
    X_lab, y_lab, X_pool = X[lab], y[lab], X[pool_idx]

    def make_net(seed):
        return DeepClassifier(
            SmallCNN,
            max_epochs=args.epochs,
            batch_size=32,
            iterator_valid__batch_size=512,
            lr=1e-3,
            classes=np.arange(10),
            device=args.device,
            random_state=seed,
        ).fit(X_lab, y_lab)

    t0 = time.perf_counter()
    timer = ForwardTimer()
    estimators = {
        "net": timer.wrap(make_net(0)),
        "committee": [timer.wrap(make_net(s)) for s in range(args.committee)],
    }
    fit_s = time.perf_counter() - t0
    acc = float(
        (estimators["net"].predict(X[order[-1000:]]) == y[order[-1000:]]).mean()
    )
    timer.seconds = 0.0

    print(
        f"MNIST pool {len(X_pool)} x 28x28, {args.n_labeled} labels, SmallCNN "
        f"({args.epochs} epochs, {fit_s:.1f} s for {1 + args.committee} nets, "
        f"accuracy on 1,000 pool rows {acc:.2f}); n={args.n}, T={args.n_samples}; "
        f"torch threads {torch.get_num_threads()}, device {args.device}"
    )
    header = (
        f"{'strategy':<36} {'select s':>9} {'forward s':>10} {'acquis. s':>10} "
        f"{'acq %':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, strategy, key, kwargs in strategies(args, X_lab):
        if name in args.skip:
            continue
        estimator = estimators[key]
        timer.seconds = 0.0
        t0 = time.perf_counter()
        idx = strategy(estimator, X_pool, args.n, **kwargs)
        total = time.perf_counter() - t0
        forward = timer.seconds
        acquisition = total - forward
        assert len(np.unique(idx)) == args.n
        print(
            f"{name:<36} {total:>9.2f} {forward:>10.2f} {acquisition:>10.3f} "
            f"{100 * acquisition / total:>5.1f}%",
            flush=True,
        )


if __name__ == "__main__":
    main()
