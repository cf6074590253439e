"""Cold-start benchmark: self-supervised embedders and initial-set selection.

Usage::

    python benchmarks/bench_cold_start.py                # 10k pools, long runs
    python benchmarks/bench_cold_start.py --quick        # reduced, ~15 min CPU
    python benchmarks/bench_cold_start.py --data DIR --datasets mnist

The data are ``mnist_train10k_test10k.npz`` and ``cifar10_jpeg_10k_2k.npz``
from ``--data`` (default: ``$SKACTIVE_DATA``, else ``../shared/data`` beside
the repository); a missing file is reported and skipped (exit status 0).

For every dataset and embedder (RotNet, SimCLR, Barlow Twins, DeepCluster,
and raw pixels as the reference) the script reports

* the CPU training time (wall clock and process CPU seconds) on the pool;
* the linear-probe accuracy at 100 labels: a standardised logistic
  regression on the embeddings of 100 random pool rows, scored on the test
  set, averaged over probe seeds;
* for initial sets of 100 and 150 rows picked by
  :func:`skactive.representation.initial_selection` (computed as the
  ``diversity_sampling`` it runs, on the pool embedded once) at ``T`` in
  {0, 0.25, 0.5, 1} and by random sampling: the class-distribution distance
  ``max_c |p~_c - p_c|`` and the diversity (mean pairwise distance in that
  embedder's space), averaged over seeds (Buchert et al. 2023, Fig. 4), and
  the accuracy of the same probe trained on the initial set itself.

Diversities are comparable between rows of one embedder's table, not between
embedders (each measures distances in its own space).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

FILES = {
    "mnist": "mnist_train10k_test10k.npz",
    "cifar10": "cifar10_jpeg_10k_2k.npz",
}
TEMPERATURES = (0.0, 0.25, 0.5, 1.0, None)  # None: random sampling


def _data_dir(arg):
    if arg:
        return Path(arg)
    env = os.environ.get("SKACTIVE_DATA")
    if env:
        return Path(env)
    return ROOT.parent / "shared" / "data"


def _load(path, n_pool, n_test, seed):
    d = np.load(path)
    rng = np.random.RandomState(seed)
    pool = np.sort(rng.choice(len(d["y_train"]), n_pool, replace=False))
    test = np.sort(rng.choice(len(d["y_test"]), n_test, replace=False))
    return d["X_train"][pool], d["y_train"][pool], d["X_test"][test], d["y_test"][test]


def _embedders(epochs, seed):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from skactive.representation import BarlowTwins, DeepCluster, RotNet, SimCLR

    def flatten(X):
        return np.asarray(X, dtype=np.float32).reshape(len(X), -1) / 255.0

    return {
        "raw pixels": lambda: make_pipeline(FunctionTransformer(flatten)),
        "RotNet": lambda: RotNet(max_epochs=epochs, random_state=seed),
        "RotNet 2x2": lambda: RotNet(pool_size=2, max_epochs=epochs, random_state=seed),
        "SimCLR": lambda: SimCLR(max_epochs=epochs, random_state=seed),
        "BarlowTwins": lambda: BarlowTwins(max_epochs=epochs, random_state=seed),
        "DeepCluster": lambda: DeepCluster(max_epochs=epochs, random_state=seed),
    }


def _probe(E_train, y_train, E_test, y_test):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(np.unique(y_train)) < 2:
        return float(np.mean(y_test == y_train[0]))
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    return float(clf.fit(E_train, y_train).score(E_test, y_test))


def _initial_sets(E_pool, y_pool, E_test, y_test, sizes, seeds):
    # initial_selection(X, n, embedder=fitted, temperature=T, random_state=s)
    # is diversity_sampling on embedder.transform(X); the pool is embedded
    # once here instead of once per pick.
    from skactive.diversity import diversity_sampling
    from skactive.representation import evaluate_initial_set

    rows = []
    for size in sizes:
        for T in TEMPERATURES:
            cdd, div, acc, ncls = [], [], [], []
            for s in range(seeds):
                if T is None:
                    idx = np.random.RandomState(s).choice(
                        len(y_pool), size, replace=False
                    )
                else:
                    idx = diversity_sampling(
                        E_pool, size, temperature=T, random_state=s
                    )
                m = evaluate_initial_set(idx, y_pool, E_pool)
                cdd.append(m["class_distribution_distance"])
                div.append(m["diversity"])
                ncls.append(m["n_classes_selected"])
                acc.append(_probe(E_pool[idx], y_pool[idx], E_test, y_test))
            rows.append(
                (
                    size,
                    "random" if T is None else f"T={T:g}",
                    np.mean(cdd),
                    np.std(cdd),
                    np.mean(div),
                    np.mean(ncls),
                    np.mean(acc),
                )
            )
    return rows


def run_dataset(name, path, args):
    import torch

    X_pool, y_pool, X_test, y_test = _load(path, args.n_pool, args.n_test, args.seed)
    print(
        f"\n## {name}: pool {X_pool.shape} {X_pool.dtype}, test {X_test.shape}, "
        f"epochs {args.epochs}, torch threads {torch.get_num_threads()}",
        flush=True,
    )
    summary = []
    factories = _embedders(args.epochs, args.seed)
    for emb_name in args.embedders:
        emb = factories[emb_name]()
        t0, c0 = time.perf_counter(), time.process_time()
        emb.fit(X_pool)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        E_pool, E_test = emb.transform(X_pool), emb.transform(X_test)
        probe = []
        for s in range(args.probe_seeds):
            idx = np.random.RandomState(1000 + s).choice(
                len(y_pool), 100, replace=False
            )
            probe.append(_probe(E_pool[idx], y_pool[idx], E_test, y_test))
        hist = getattr(emb, "loss_history_", None)
        loss = "-" if hist is None else f"{hist[0]:.3g} -> {hist[-1]:.3g}"
        summary.append((emb_name, E_pool.shape[1], wall, cpu, np.mean(probe), loss))
        print(
            f"{emb_name:12s} dim {E_pool.shape[1]:4d}  fit {wall:7.1f}s wall "
            f"{cpu:7.1f}s cpu  probe@100 {np.mean(probe):.3f} +- {np.std(probe):.3f}"
            f"  loss {loss}",
            flush=True,
        )
        rows = _initial_sets(E_pool, y_pool, E_test, y_test, args.sizes, args.seeds)
        print(
            f"   size  pick      class-dist-dist (sd)  diversity  classes  "
            f"probe on set   [{emb_name}, {args.seeds} seeds]"
        )
        for size, pick, cdd, cdd_sd, div, ncls, acc in rows:
            print(
                f"   {size:4d}  {pick:8s}  {cdd:.3f} ({cdd_sd:.3f})        "
                f"{div:9.3f}  {ncls:7.1f}  {acc:.3f}"
            )
        sys.stdout.flush()
    print(f"\n### {name} summary (linear probe at 100 random labels)")
    print(
        "| embedder | dim | fit wall s | fit cpu s | probe acc | loss first -> last |"
    )
    print("|---|---|---|---|---|---|")
    for emb_name, dim, wall, cpu, acc, loss in summary:
        print(f"| {emb_name} | {dim} | {wall:.1f} | {cpu:.1f} | {acc:.3f} | {loss} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="folder of the .npz files")
    parser.add_argument("--datasets", default="mnist,cifar10")
    parser.add_argument("--quick", action="store_true", help="reduced run")
    parser.add_argument("--n-pool", type=int, default=None)
    parser.add_argument("--n-test", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--probe-seeds", type=int, default=5)
    parser.add_argument("--sizes", default="100,150")
    parser.add_argument(
        "--embedders",
        default="raw pixels,RotNet,RotNet 2x2,SimCLR,BarlowTwins,DeepCluster",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch, BLAS and OpenMP threads"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.n_pool is None:
        args.n_pool = 1500 if args.quick else 10_000
    if args.n_test is None:
        args.n_test = 1000 if args.quick else 2000
    if args.epochs is None:
        args.epochs = 3 if args.quick else 30
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.embedders = [e.strip() for e in args.embedders.split(",") if e.strip()]

    import torch

    if args.threads is not None:
        # torch's and the BLAS/OpenMP pools: on busy cores a second spinning
        # thread can make a small logistic regression 20x slower
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    data = _data_dir(args.data)
    ran = False
    for name in args.datasets.split(","):
        path = data / FILES[name]
        if not path.exists():
            print(
                f"{name}: {path} not found; pass --data or set SKACTIVE_DATA to "
                "the folder holding it. Skipped."
            )
            continue
        run_dataset(name, path, args)
        ran = True
    if not ran:
        print("No data found: nothing to benchmark.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
