"""Does active learning pay? Label efficiency on cached embeddings.

Runs :func:`skactive.experiment.evaluate_strategies` on MNIST and the CIFAR-10
subset of the shared data (``../shared/data`` from the project root, or
``--data``): a frozen embedder (PCA of the pixels, fitted on the pool without
labels), a logistic-regression head refitted from scratch every round, budgets
of 1, 2, 4, 10 and 20 labels per class, paired seeds (the same initial sets and
fit seeds for every strategy; strategies that only embed pick the 1-label-per-
class set themselves, the others start from random's). It prints, per dataset:

* the mean accuracy at every budget and the normalised AUBC with its 95%
  interval (Student's t over seeds);
* Lüth et al.'s pairwise-penalty matrix (paired t-test at every budget,
  α = 0.05; the column sum says how often a strategy loses) and, summed over
  both datasets, which strategies never lose;
* the labels each strategy saves to reach random's 20-per-class accuracy
  (paired bootstrap over seeds);
* where the stabilizing-predictions rule (kappa >= 0.99 over a window of 2
  rounds, whole pool as stop set) fires, against where random's curve
  plateaus (first budget within 1 point of its final accuracy).

The pool is the first ``--pool`` training images, the test set the first
``--test`` test images. Everything runs on the CPU with one torch thread;
``--n-jobs`` (default: one per core) evaluates strategies in parallel
processes, each with ``cores // n_jobs`` BLAS threads.

Usage::

    python benchmarks/bench_label_efficiency.py --seeds 10
    python benchmarks/bench_label_efficiency.py --datasets mnist --seeds 50 \\
        --out /tmp/label_efficiency
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import FILES, default_folder, load  # noqa: E402, F401 (imported from here)

STRATEGIES = (
    "random",
    "typiclust",
    "probcover",
    "diversity",
    "margin",
    "entropy",
    "badge",
    "coreset",
    "tcm",
    "auto",
    "stochastic_entropy",
)


def probcover_delta(E, n_classes, seed=0, purity=0.95):
    """Yehuda et al.'s rule: the largest delta whose balls stay 95% pure.

    Purity is measured against a k-means clustering into as many clusters as
    classes, on a subsample of 2,000 rows (no labels used), over a grid of
    quantiles of the nearest-neighbour distances.
    """
    from sklearn.cluster import KMeans
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.RandomState(seed)
    sub = E[rng.choice(len(E), min(2000, len(E)), replace=False)]
    labels = KMeans(n_classes, n_init=3, random_state=seed).fit_predict(sub)
    nn = NearestNeighbors().fit(sub)
    d1 = nn.kneighbors(sub, n_neighbors=2)[0][:, 1]
    best = float(np.quantile(d1, 0.05))
    for delta in np.quantile(d1, np.linspace(0.05, 0.95, 19)):
        balls = nn.radius_neighbors(sub, radius=delta, return_distance=False)
        pure = np.mean([np.all(labels[b] == labels[i]) for i, b in enumerate(balls)])
        if pure < purity:
            break
        best = float(delta)
    return best


def strategies(names, delta):
    from skactive.strategies import make_strategy

    out = {}
    for name in names:
        out[name] = (
            make_strategy(name, delta=delta)
            if name == "probcover"
            else (make_strategy(name))
        )
    return out


def plateau_point(x, curve, tol=0.01):
    """First budget whose accuracy is within ``tol`` of the final one."""
    return float(x[np.argmax(curve >= curve[-1] - tol)])


def run(name, args):
    import torch
    from sklearn.decomposition import PCA

    from skactive.experiment import (
        aubc,
        evaluate_strategies,
        format_labels_saved,
        labels_saved,
        penalty_matrix,
        plot_penalty_matrix,
    )
    from skactive.stopping import StabilizingPredictions

    torch.set_num_threads(1)
    X, y, X_test, y_test = load(name, args.data, args.pool, args.test)
    pca = PCA(args.dim, random_state=0).fit(X)
    E, E_test = pca.transform(X), pca.transform(X_test)
    delta = probcover_delta(E, len(np.unique(y)))
    t0 = time.perf_counter()
    res = evaluate_strategies(
        strategies(args.strategies, delta),
        E,
        y,
        X_test=E_test,
        y_test=y_test,
        budgets_per_class=args.budgets,
        n_seeds=args.seeds,
        random_state=args.seed,
        stop=StabilizingPredictions(0.99, window=2),
        n_jobs=args.n_jobs,
    )
    seconds = time.perf_counter() - t0
    print(
        f"\n=== {name}: pool {len(E)} x PCA-{args.dim}, test {len(E_test)}, "
        f"{args.seeds} seeds, probcover delta {delta:.3f}, {seconds:.0f} s "
        f"(n_jobs={args.n_jobs}) ==="
    )
    curves = res.curves()
    x = curves["random"][0]
    width = max(map(len, curves))
    print(
        f"{'strategy':<{width}} "
        + " ".join(f"{int(b):>6}" for b in x)
        + "   AUBC [95% CI]       sec"
    )
    table = aubc(res)
    for s, (_, values) in curves.items():
        a = table[s]
        print(
            f"{s:<{width}} "
            + " ".join(f"{v:6.3f}" for v in values.mean(axis=0))
            + f"   {a['mean']:.4f} [{a['low']:.4f}, {a['high']:.4f}]"
            f" {res.metadata['seconds'][s]:5.0f}"
        )
    names, P = penalty_matrix(res)
    print("pairwise penalty (row beats column), column sums = losses:")
    print(" " * (width + 1) + " ".join(f"{n[:6]:>6}" for n in names))
    for i, n in enumerate(names):
        print(f"{n:<{width}} " + " ".join(f"{v:6.2f}" for v in P[i]))
    print(f"{'LOSSES':<{width}} " + " ".join(f"{v:6.2f}" for v in P.sum(axis=0)))
    print("labels saved to reach random's final accuracy:")
    for line in format_labels_saved(labels_saved(res, random_state=args.seed)):
        print("  " + line)
    # stopping: where the rule fired vs where random's curve plateaus, per seed
    fired = res.stopping()["random"]
    rand = curves["random"][1]
    plateau = np.array([plateau_point(x, c) for c in rand])
    near = np.abs(fired - plateau) <= 0.1 * plateau
    print(
        f"stabilizing predictions on random's runs: fired at "
        f"{np.nanmedian(fired) if np.isfinite(fired).any() else float('nan'):.0f} "
        f"labels (median; never on {int(np.isnan(fired).sum())} seeds); plateau at "
        f"{np.median(plateau):.0f}; within 10% on {100 * near.mean():.0f}% of seeds"
    )
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        res.to_json(out / f"{name}.json")
        plot_penalty_matrix(names, P, path=out / f"{name}_penalty.png")
    return res, names, P


def stopping(args):
    """Where each stopping rule fires vs where the learning curve plateaus.

    Random and ``auto`` on MNIST, 10 labels per round from 10 to
    ``--stop-max`` labels; the plateau of a seed's curve is the first budget
    whose test accuracy stays within 1 point of the final one from then on.
    """
    import torch
    from sklearn.decomposition import PCA

    from skactive.experiment import evaluate_strategies
    from skactive.stopping import (
        ClassificationChange,
        OverallUncertainty,
        StabilizingPredictions,
    )

    torch.set_num_threads(1)
    X, y, X_test, y_test = load("mnist", args.data, args.pool, args.test)
    pca = PCA(args.dim, random_state=0).fit(X)
    E, E_test = pca.transform(X), pca.transform(X_test)
    per_class = list(range(1, args.stop_max // 10 + 1))
    rules = {
        "kappa": StabilizingPredictions(0.99, window=3),
        "change": ClassificationChange(0.005),
        "uncertainty": OverallUncertainty(0.15, measure="least_confidence"),
    }
    t0 = time.perf_counter()
    res = evaluate_strategies(
        ["random", "auto"],
        E,
        y,
        X_test=E_test,
        y_test=y_test,
        budgets_per_class=per_class,
        n_seeds=args.seeds,
        random_state=args.seed,
        stop=rules,
    )
    print(
        f"\n=== stopping on MNIST: {len(per_class)} rounds of 10 labels, "
        f"{args.seeds} seeds, {time.perf_counter() - t0:.0f} s ==="
    )
    curves = res.curves()
    for strategy, (x, values) in curves.items():
        plateau = []
        for c in values:
            ok = np.abs(c - c[-1]) <= 0.01
            stay = np.flatnonzero(~ok)
            plateau.append(float(x[stay[-1] + 1]) if stay.size else float(x[0]))
        plateau = np.array(plateau)
        print(
            f"{strategy}: plateau (within 1 point of final, for good) at median "
            f"{np.median(plateau):.0f} labels"
        )
        for name in rules:
            fired = res.stopping(f"stop_{name}")[strategy]
            near = np.abs(fired - plateau) <= 0.1 * plateau
            print(
                f"  {name:<12} fired at median "
                f"{np.nanmedian(fired) if np.isfinite(fired).any() else np.nan:.0f}"
                f" (never on {int(np.isnan(fired).sum())} seeds); within 10% of "
                f"the plateau on {100 * near.mean():.0f}% of seeds"
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_folder())
    parser.add_argument(
        "--datasets", nargs="+", default=["mnist", "cifar10"], choices=sorted(FILES)
    )
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    parser.add_argument("--budgets", nargs="+", type=int, default=[1, 2, 4, 10, 20])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool", type=int, default=5000)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--dim", type=int, default=50)
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="strategies in parallel processes (default: one per core)",
    )
    parser.add_argument(
        "--stopping",
        action="store_true",
        help="only the stopping-rule check (MNIST, fine budget grid)",
    )
    parser.add_argument("--stop-max", type=int, default=400)
    args = parser.parse_args(argv)
    if args.stopping:
        return stopping(args)
    from skactive.experiment import run_metadata

    print(json.dumps(run_metadata()))
    total = None
    all_names = None
    for name in args.datasets:
        _, names, P = run(name, args)
        all_names = names
        total = P if total is None else total + P
    if len(args.datasets) > 1:
        losses = total.sum(axis=0)
        print(
            "\nsummed over datasets, losses per strategy: "
            + ", ".join(f"{n} {v:.2f}" for n, v in zip(all_names, losses, strict=True))
        )
        print(
            "never loses: "
            + (
                ", ".join(n for n, v in zip(all_names, losses, strict=True) if v == 0)
                or "none"
            )
        )


if __name__ == "__main__":
    main()
