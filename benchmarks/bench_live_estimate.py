"""How honest is the live-loop labels-saved estimate? Estimated vs real gain.

For each seed, a live loop (:class:`skactive.ActiveLearner`, margin
sampling, a logistic-regression head on PCA-50 embeddings of MNIST, 10
labels per round from 20 random ones) consults
:class:`~skactive.stopping.MetricPlateau` on a validation set every round.
When it fires, :meth:`~skactive.ActiveLearner.estimate_labels_saved` gives
the labels saved against ``--budget`` and the validation accuracy the
power-law extrapolation expects to forgo by stopping; the loop then goes on
to the budget anyway, and the real gain is measured. It prints one row per
seed and the error of the estimated gain.

Usage::

    python benchmarks/bench_live_estimate.py --seeds 10 --budget 300
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import default_folder  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_folder())
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--pool", type=int, default=5000)
    parser.add_argument("--val", type=int, default=2000)
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument("--min-delta", type=float, default=0.01)
    args = parser.parse_args(argv)

    import torch
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression

    from skactive import ActiveLearner
    from skactive.stopping import MetricPlateau
    from skactive.strategies import UncertaintySampling

    torch.set_num_threads(1)
    path = Path(args.data) / "mnist_train10k_test10k.npz"
    if not path.exists():
        raise SystemExit(f"no MNIST file at {path} (give --data)")
    with np.load(path) as f:
        X = f["X_train"][: args.pool].reshape(args.pool, -1) / 255.0
        y = f["y_train"][: args.pool]
        X_val = f["X_test"][: args.val].reshape(args.val, -1) / 255.0
        y_val = f["y_test"][: args.val]
    pca = PCA(50, random_state=0).fit(X)
    E, E_val = pca.transform(X), pca.transform(X_val)

    t0 = time.perf_counter()
    print("seed  fired_at  saved  est_gain  real_gain  acc_stop  acc_budget")
    errors = []
    for seed in range(args.seeds):
        rng = np.random.RandomState(seed)
        init = rng.choice(len(E), 20, replace=False)
        rest = np.setdiff1d(np.arange(len(E)), init)
        learner = ActiveLearner(
            LogisticRegression(max_iter=1000),
            UncertaintySampling("margin", random_state=seed),
            X_training=E[init],
            y_training=y[init],
            X_pool=E[rest],
            stop=MetricPlateau(patience=args.patience, min_delta=args.min_delta),
        )
        y_pool, est, acc_stop = y[rest], None, None
        while len(learner.y_training) <= args.budget:
            acc = learner.score(E_val, y_val)
            if learner.should_stop(metric=acc) and est is None:
                est = learner.estimate_labels_saved(args.budget)
                acc_stop = acc
            if len(learner.y_training) == args.budget:
                break
            n = min(10, args.budget - len(learner.y_training))
            idx, _ = learner.query(n_instances=n)
            learner.label(idx, y_pool[idx])
            y_pool = np.delete(y_pool, idx)
        acc_budget = learner.score(E_val, y_val)
        if est is None:
            print(f"{seed:>4}  never fired within {args.budget} labels")
            continue
        real = acc_budget - acc_stop
        errors.append(est["gain"] - real)
        print(
            f"{seed:>4}  {est['n_labels']:>8}  {est['saved']:>5}  "
            f"{est['gain']:>+8.4f}  {real:>+9.4f}  {acc_stop:>8.4f}  "
            f"{acc_budget:>10.4f}"
        )
    if errors:
        errors = np.asarray(errors)
        print(
            f"estimated - real gain over {errors.size} seeds: "
            f"mean {errors.mean():+.4f}, "
            f"mean |error| {np.abs(errors).mean():.4f}, "
            f"max |error| {np.abs(errors).max():.4f}"
        )
    print(f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
