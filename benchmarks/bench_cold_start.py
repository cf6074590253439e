"""Cold-start benchmark: self-supervised embedders and initial-set selection.

Usage::

    python benchmarks/bench_cold_start.py                # 10k pools, long runs
    python benchmarks/bench_cold_start.py --quick        # 1.5k pools, 3 epochs
    python benchmarks/bench_cold_start.py --data DIR --datasets mnist
    python benchmarks/bench_cold_start.py --epochs 10 --net-seeds 3 --threads 1

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
  embedder's space), averaged over seeds (Buchert et al. 2023, Fig. 4); the
  test accuracy of the same probe trained on the initial set itself; and the
  test accuracy of a net trained on the initial set's images: a
  :class:`skactive.nets.DeepClassifier` with a freshly initialised
  :class:`skactive.nets.SmallCNN` ("CNN"), and, for the self-supervised
  embedders, the same net started from the embedder's trained encoder by
  :func:`skactive.representation.classifier_from_embedder` ("hand-off").
  Nets are trained for ``--net-epochs`` epochs on the first ``--net-seeds``
  of the ``--seeds`` seeds (a net per seed, size, pick and embedder is the
  expensive part on a CPU); a random set is the same for every embedder, so
  its from-scratch CNN is trained once and reused.

Diversities are comparable between rows of one embedder's table, not between
embedders (each measures distances in its own space).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import data_folder, draw  # noqa: E402  (benchmarks/_data.py)

FILES = {
    "mnist": "mnist_train10k_test10k.npz",
    "cifar10": "cifar10_jpeg_10k_2k.npz",
}
TEMPERATURES = (0.0, 0.25, 0.5, 1.0, None)  # None: random sampling
EMBEDDERS = (
    "raw pixels",
    "RotNet",
    "RotNet 2x2",
    "SimCLR",
    "BarlowTwins",
    "DeepCluster",
)


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


def _net_accuracy(X, y, X_test, y_test, classes, epochs, seed, module=None):
    """Test accuracy of a DeepClassifier trained on ``X, y`` (from scratch:
    a SmallCNN; else the given module, e.g. a hand-off from an embedder)."""
    from skactive.nets import DeepClassifier, SmallCNN

    net = DeepClassifier(
        SmallCNN if module is None else module,
        max_epochs=epochs,
        batch_size=32,
        classes=classes,
        random_state=seed,
    )
    return float(net.fit(X, y).score(X_test, y_test))


def _initial_sets(data, E_pool, E_test, emb, args, cnn_cache):
    # initial_selection(X, n, embedder=fitted, temperature=T, random_state=s)
    # is diversity_sampling on embedder.transform(X); the pool is embedded
    # once here instead of once per pick.
    from skactive.metrics import evaluate_initial_set
    from skactive.representation import classifier_from_embedder
    from skactive.selection import diversity_sampling

    X_pool, y_pool, X_test, y_test = data
    classes = np.unique(y_pool)
    handoff = args.handoff and hasattr(emb, "encoder_")
    rows = []
    for size in args.sizes:
        for T in TEMPERATURES:
            cdd, div, acc, ncls, cnn, hand = [], [], [], [], [], []
            for s in range(args.seeds):
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
                if s >= args.net_seeds:
                    continue
                # the from-scratch CNN depends on the picked rows and the seed
                # only: random sets (and any coinciding picks) are shared
                key = (s, np.sort(idx).tobytes())
                if key not in cnn_cache:
                    cnn_cache[key] = _net_accuracy(
                        X_pool[idx],
                        y_pool[idx],
                        X_test,
                        y_test,
                        classes,
                        args.net_epochs,
                        s,
                    )
                cnn.append(cnn_cache[key])
                if handoff:
                    module = classifier_from_embedder(emb, len(classes), random_state=s)
                    hand.append(
                        _net_accuracy(
                            X_pool[idx],
                            y_pool[idx],
                            X_test,
                            y_test,
                            classes,
                            args.net_epochs,
                            s,
                            module=module,
                        )
                    )
            rows.append(
                (
                    size,
                    "random" if T is None else f"T={T:g}",
                    np.mean(cdd),
                    np.std(cdd),
                    np.mean(div),
                    np.mean(ncls),
                    np.mean(acc),
                    np.mean(cnn) if cnn else np.nan,
                    np.std(cnn) if cnn else np.nan,
                    np.mean(hand) if hand else np.nan,
                    np.std(hand) if hand else np.nan,
                )
            )
    return rows


def _fmt(mean, sd=None):
    if np.isnan(mean):
        return "-"
    return f"{mean:.3f}" if sd is None else f"{mean:.3f} ({sd:.3f})"


def run_dataset(name, path, args):
    import torch

    X_pool, y_pool, X_test, y_test = draw(path, args.n_pool, args.n_test, args.seed)
    data = (X_pool, y_pool, X_test, y_test)
    print(
        f"\n## {name}: pool {X_pool.shape} {X_pool.dtype}, test {X_test.shape}, "
        f"embedder epochs {args.epochs}, torch threads {torch.get_num_threads()}",
        flush=True,
    )
    summary = []
    cnn_cache = {}
    factories = _embedders(args.epochs, args.seed)
    t_dataset = time.perf_counter()
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
            f"\n{emb_name}: dim {E_pool.shape[1]}, fit {wall:.1f}s wall "
            f"{cpu:.1f}s cpu, probe@100 {np.mean(probe):.3f} +- {np.std(probe):.3f}"
            f", loss {loss}",
            flush=True,
        )
        t1 = time.perf_counter()
        rows = _initial_sets(data, E_pool, E_test, emb, args, cnn_cache)
        print(
            f"[{name}, {emb_name}: metrics and probe over {args.seeds} seeds, nets "
            f"over {min(args.net_seeds, args.seeds)} seeds, "
            f"{args.net_epochs} net epochs; {time.perf_counter() - t1:.0f}s]"
        )
        print(
            "| size | pick | class-dist. distance (sd) | diversity | classes "
            "| probe acc | CNN acc (sd) | hand-off acc (sd) |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for size, pick, cdd, cdd_sd, div, ncls, acc, cnn, cnn_sd, ho, ho_sd in rows:
            print(
                f"| {size} | {pick} | {cdd:.3f} ({cdd_sd:.3f}) | {div:.3f} "
                f"| {ncls:.1f} | {acc:.3f} | {_fmt(cnn, cnn_sd)} "
                f"| {_fmt(ho, ho_sd)} |"
            )
        sys.stdout.flush()
    print(
        f"\n### {name} summary (linear probe at 100 random labels, "
        f"{args.probe_seeds} draws; {time.perf_counter() - t_dataset:.0f}s in all)"
    )
    print(
        "| embedder | dim | fit wall s | fit cpu s | probe acc | loss first -> last |"
    )
    print("|---|---|---|---|---|---|")
    for emb_name, dim, wall, cpu, acc, loss in summary:
        print(f"| {emb_name} | {dim} | {wall:.1f} | {cpu:.1f} | {acc:.3f} | {loss} |")
    sys.stdout.flush()


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
    parser.add_argument(
        "--net-seeds",
        type=int,
        default=None,
        help="seeds (of --seeds) on which nets are trained (default 3; 1 quick)",
    )
    parser.add_argument(
        "--net-epochs", type=int, default=None, help="epochs of the nets (default 30)"
    )
    parser.add_argument(
        "--no-handoff",
        dest="handoff",
        action="store_false",
        help="skip the nets started from the embedder's encoder",
    )
    parser.add_argument("--sizes", default="100,150")
    parser.add_argument(
        "--embedders",
        default="raw pixels,RotNet,SimCLR,BarlowTwins,DeepCluster",
        help="comma-separated, of: " + ", ".join(EMBEDDERS),
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
    if args.net_seeds is None:
        args.net_seeds = 1 if args.quick else 3
    if args.net_epochs is None:
        args.net_epochs = 15 if args.quick else 30
    if args.net_seeds < 0 or args.net_epochs < 1:
        parser.error(
            f"--net-seeds must be >= 0 and --net-epochs >= 1, got {args.net_seeds} "
            f"and {args.net_epochs}"
        )
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.embedders = [e.strip() for e in args.embedders.split(",") if e.strip()]
    unknown = [e for e in args.embedders if e not in EMBEDDERS]
    if unknown:
        parser.error(f"unknown --embedders {unknown}; choose from {list(EMBEDDERS)}")
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    unknown = [d for d in datasets if d not in FILES]
    if unknown:
        parser.error(f"unknown --datasets {unknown}; choose from {list(FILES)}")

    import torch

    if args.threads is not None:
        # torch's and the BLAS/OpenMP pools: on busy cores a second spinning
        # thread can make a small logistic regression 20x slower
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    data = data_folder(args.data)
    ran = False
    print(
        f"parameters: pool {args.n_pool}, test {args.n_test}, embedder epochs "
        f"{args.epochs}, sizes {args.sizes}, picks "
        f"{['random' if T is None else T for T in TEMPERATURES]}, metric/probe seeds "
        f"{args.seeds}, net seeds {min(args.net_seeds, args.seeds)}, net epochs "
        f"{args.net_epochs} (DeepClassifier, SmallCNN, Adam lr 1e-3, batch 32), "
        f"hand-off {args.handoff}, probe draws at 100 random labels "
        f"{args.probe_seeds}, threads {args.threads}, seed {args.seed}",
        flush=True,
    )
    for name in datasets:
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
