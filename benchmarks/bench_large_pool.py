"""A million-image pool on disk: one round of entropy and core-set in bounded memory.

The pool is a ``.npy`` file of ``--rows`` images of 3x32x32 uint8 (1,000,000
rows: 3.07 GB), read in blocks of rows (:class:`skactive.pools.ArrayFile`),
never loaded. A SmallCNN net is trained once on ``--labeled`` rows; then each
configuration runs in a fresh process (so its peak memory is its own):

* ``entropy``, ``margin``, ``least_confidence``:
  ``UncertaintySampling(measure)(net, pool, b)`` alone; ``bald``:
  ``BALD(n_samples=10)`` (ten MC-dropout passes);
* ``coreset``: ``CoreSet()(net, pool, b, X_labeled=...)`` alone;
* ``round``: both inside one :func:`skactive.shared_inference` block -- the
  pool passes through the net once for both;
* ``round-dask`` (with ``--workers N``, ``dask.distributed`` installed): the
  same round on a ``LocalCluster`` of N worker processes, the pool a dask
  array of the file's blocks.

The table reports the wall time, the time inside the net's forward passes and
in the acquisition itself (``benchmarks/_timing.ForwardTimer``), the
acquisition's share of the round, rows/s, the peak resident memory beyond
the process after loading the model (``ru_maxrss`` minus the resident size
before the round), and whether the picks equal those of the single-process
configuration. ``--device cuda`` runs the same on a GPU (when one is
present)::

    python benchmarks/bench_large_pool.py                      # 1M rows, CPU
    python benchmarks/bench_large_pool.py --rows 200000 --workers 2
    python benchmarks/bench_large_pool.py --device cuda --batch-size 2048
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SHAPE = (3, 32, 32)
N_CLASSES = 10


def make_pool(directory, n_rows, seed=0, block=50_000):
    """``pool.npy`` (uint8 images) and ``labels.npy`` in ``directory``, once.

    Ten classes, each a colour and a stripe orientation plus noise: a CNN
    learns them from a few thousand labels, so the scores are not flat.
    """
    from skactive.pools import ArrayFile

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path, labels_path = directory / "pool.npy", directory / "labels.npy"
    if path.exists() and labels_path.exists():
        pool = ArrayFile(path)
        if pool.shape == (n_rows, *SHAPE):
            return path, labels_path
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, n_rows)
    pool = ArrayFile.create(path, (n_rows, *SHAPE), np.uint8)
    colours = rng.integers(40, 216, (N_CLASSES, 3, 1, 1))
    grid = np.add.outer(np.arange(32), np.arange(32))
    stripes = np.stack(
        [np.sin(grid * (0.2 + 0.15 * c) + c) * 30 for c in range(N_CLASSES)]
    )[:, None]
    means = np.clip(colours + stripes, 0, 255).astype(np.int16)
    # noise from a bank of images (a random one per row, the bank rolled by
    # a random shift per block) plus a random brightness per row and channel:
    # cheap to draw for a million rows; ties between exact duplicates are
    # broken by the strategies' random_state (seeded below)
    bank = rng.normal(0, 35, (4096, *SHAPE)).astype(np.int16)
    for start in range(0, n_rows, block):
        stop = min(start + block, n_rows)
        yb = y[start:stop]
        noise = bank[rng.integers(0, len(bank), stop - start)]
        noise = np.roll(noise, int(rng.integers(0, 32)), axis=-1)
        shift = rng.integers(-12, 13, (stop - start, 3, 1, 1), dtype=np.int16)
        images = np.clip(means[yb] + noise + shift, 0, 255).astype(np.uint8)
        pool.write(start, images)
    np.save(labels_path, y)
    return path, labels_path


def make_net(device, batch_size):
    from skactive.nets import DeepClassifier, SmallCNN

    return DeepClassifier(
        SmallCNN,
        max_epochs=3,
        batch_size=64,
        lr=2e-3,
        classes=np.arange(N_CLASSES),
        device=device,
        random_state=0,
        iterator_valid__batch_size=batch_size,
    )


def train(directory, n_labeled, device, batch_size):
    """Fit the net on the first ``n_labeled`` rows; save its weights."""
    import torch

    from skactive.pools import ArrayFile

    pool = ArrayFile(directory / "pool.npy")
    y = np.load(directory / "labels.npy")
    net = make_net(device, batch_size)
    net.fit(pool[:n_labeled], y[:n_labeled])
    torch.save(net.module_.state_dict(), directory / "weights.pt")
    return float(np.mean(net.predict(pool[-5000:]) == y[-5000:]))


def _rss_mb():
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run_config(directory, config, n_labeled, n_instances, device, batch_size, workers):
    """One configuration in this process; returns its row of the table."""
    import torch
    from _timing import ForwardTimer

    from skactive import shared_inference
    from skactive.pools import ArrayFile
    from skactive.strategies import BALD, CoreSet, UncertaintySampling

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    pool = ArrayFile(directory / "pool.npy")
    # the trained weights into a net fitted for the shapes (one epoch on 64
    # rows), so the child need not train again
    net = make_net(device, batch_size).set_params(max_epochs=1)
    y = np.load(directory / "labels.npy")
    net.fit(pool[:64], y[:64])
    net.module_.load_state_dict(
        torch.load(directory / "weights.pt", weights_only=True, map_location=device)
    )
    X_labeled = pool[:n_labeled]
    X_pool = pool
    client = cluster = None
    if config == "round-dask":
        import dask.array as da
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
        X_pool = da.from_array(pool, chunks=(50_000, *SHAPE), asarray=False)
    base = _rss_mb()
    timer = ForwardTimer(clock=time.perf_counter)
    timer.wrap(net)
    picks = {}
    t0 = time.perf_counter()
    with shared_inference():
        if config in ("margin", "least_confidence"):
            picks[config] = UncertaintySampling(config, random_state=0)(
                net, X_pool, n_instances
            )
        if config == "bald":
            picks[config] = BALD(n_samples=10, random_state=0)(net, X_pool, n_instances)
        if config in ("entropy", "round", "round-dask"):
            picks["entropy"] = UncertaintySampling("entropy", random_state=0)(
                net, X_pool, n_instances
            )
        if config in ("coreset", "round", "round-dask"):
            picks["coreset"] = CoreSet(random_state=0)(
                net, X_pool, n_instances, X_labeled=X_labeled
            )
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if client is not None:
        client.close()
        cluster.close()
    return {
        "config": config,
        "wall": wall,
        "forward": timer.seconds,
        "peak_beyond_model_mb": max(0.0, peak - base),
        "picks": {k: np.asarray(v).tolist() for k, v in picks.items()},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--labeled", type=int, default=2_000)
    parser.add_argument("--n-instances", type=int, default=1_000)
    parser.add_argument(
        "--dir", default=os.path.join(tempfile.gettempdir(), "skactive-large-pool")
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=1024, help="inference batch")
    parser.add_argument(
        "--workers", type=int, default=0, help="LocalCluster workers (0: none)"
    )
    parser.add_argument("--configs", default="entropy,coreset,round")
    parser.add_argument("--_config", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    directory = Path(args.dir) / str(args.rows)
    if args._config:  # a child: one configuration, its row as JSON
        row = run_config(
            directory,
            args._config,
            args.labeled,
            args.n_instances,
            args.device,
            args.batch_size,
            args.workers,
        )
        print("ROW " + json.dumps(row))
        return 0
    t0 = time.perf_counter()
    make_pool(directory, args.rows)
    made = time.perf_counter() - t0
    t0 = time.perf_counter()
    acc = train(directory, args.labeled, args.device, args.batch_size)
    print(
        f"pool: {args.rows:,} x {SHAPE} uint8 on disk "
        f"({args.rows * 3072 / 1e9:.2f} GB, made in {made:.0f} s); "
        f"SmallCNN on {args.labeled} labels in "
        f"{time.perf_counter() - t0:.0f} s, held-out accuracy {acc:.3f}; "
        f"b = {args.n_instances}; device {args.device}; {os.cpu_count()} CPUs"
    )
    configs = args.configs.split(",") + (["round-dask"] if args.workers else [])
    rows = []
    for config in configs:
        given = sys.argv[1:] if argv is None else list(argv)
        cmd = [sys.executable, __file__, *given]
        cmd += ["--_config", config]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        line = [x for x in out.stdout.splitlines() if x.startswith("ROW ")]
        if out.returncode or not line:
            print(f"{config}: failed\n{out.stderr[-3000:]}")
            continue
        rows.append(json.loads(line[0][4:]))
    reference = {}
    for row in rows:
        for k, v in row["picks"].items():
            reference.setdefault(k, v)
    print(
        f"{'config':<11} {'wall s':>8} {'net s':>8} {'acq s':>8} {'acq %':>6} "
        f"{'rows/s':>9} {'peak MB':>8}  same picks"
    )
    for row in rows:
        acq = row["wall"] - row["forward"]
        same = all(v == reference[k] for k, v in row["picks"].items())
        overlap = ", ".join(
            f"{k} {len(set(v) & set(reference[k]))}/{len(v)}"
            for k, v in row["picks"].items()
        )
        print(
            f"{row['config']:<11} {row['wall']:>8.1f} {row['forward']:>8.1f} "
            f"{acq:>8.1f} {100 * acq / row['wall']:>5.1f}% "
            f"{args.rows / row['wall']:>9,.0f} {row['peak_beyond_model_mb']:>8.0f}  "
            f"{'yes' if same else 'NO'} ({overlap} shared)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
