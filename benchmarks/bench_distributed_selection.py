"""Selection on a Dask LocalCluster of worker processes vs one process.

Usage::

    python benchmarks/bench_distributed_selection.py
    python benchmarks/bench_distributed_selection.py --n 50000 --budget 50  # quick

Builds a seeded Gaussian pool (``--n`` x ``--d`` float32) as a dask array
(chunks of ``--chunk`` rows, computed on the workers: the rows never pass
through this process) and runs, in one process on the same rows as a numpy
array and on a ``LocalCluster(n_workers=--workers, processes=True,
threads_per_worker=1)``:

* ``entropy``  -- :class:`skactive.strategies.UncertaintySampling` with a
  logistic regression (top-k of per-row scores, merged shard-wise);
* ``kcenter``  -- :func:`skactive.selection.kcenter_greedy` vs
  :func:`skactive.distributed.kcenter_greedy` (distances sharded on the
  workers; per pick a few scalars and one row move);
* ``T=0.5``    -- the same at temperature 0.5 (k-means++ seeding).

Each row of the table gives both wall times (the cluster's after one
warm-up call, which pays for the workers' imports) and whether the picks are
identical. One-process runs use ``torch.set_num_threads(--workers)`` so that
both sides use as many cores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _pool(n, d, seed):
    return np.random.default_rng(seed).standard_normal((n, d), dtype=np.float32)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=200_000)
    p.add_argument("--d", type=int, default=64)
    p.add_argument("--budget", type=int, default=200)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--chunk", type=int, default=32_768)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    import dask.array as da
    import torch
    from distributed import Client, LocalCluster
    from sklearn.linear_model import LogisticRegression

    from skactive import distributed as dist
    from skactive import selection
    from skactive.strategies import UncertaintySampling

    torch.set_num_threads(args.workers)
    X = _pool(args.n, args.d, args.seed)
    labeled = _pool(100, args.d, args.seed + 1)
    y = (labeled[:, 0] > 0).astype(int) + (labeled[:, 1] > 0)
    clf = LogisticRegression(max_iter=500).fit(labeled, y)
    rows = []

    def timed(fn):
        t0 = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t0

    with (
        LocalCluster(
            n_workers=args.workers,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        pool = da.from_array(X, chunks=(args.chunk, args.d)).persist()
        strategy = UncertaintySampling("entropy", random_state=0)
        # one process: no client in the call and a numpy pool
        (a, _), t_one = timed(lambda: strategy.select(clf, X, args.budget))
        # the first call on the cluster also starts the workers' imports
        # (torch, scikit-learn, skactive) and ships the persisted pool
        (b, _), t_cold = timed(lambda: strategy.select(clf, pool, args.budget))
        (b2, _), t_dist = timed(lambda: strategy.select(clf, pool, args.budget))
        rows.append(
            ("entropy", t_one, t_dist, np.array_equal(a, b) and np.array_equal(a, b2))
        )
        print(f"(first call on the cluster, cold: {t_cold:.2f} s)")
        for name, temp in (("kcenter", 0.0), ("T=0.5", 0.5)):
            a, t_one = timed(
                lambda temp=temp: selection.diversity_sampling(
                    X, args.budget, labeled=labeled, temperature=temp, random_state=0
                )
            )
            b, t_dist = timed(
                lambda temp=temp: dist.diversity_sampling(
                    pool,
                    args.budget,
                    labeled=labeled,
                    temperature=temp,
                    random_state=0,
                    client=client,
                )
            )
            rows.append((name, t_one, t_dist, np.array_equal(a, b)))

    print(
        f"\n{args.n} x {args.d} float32, b={args.budget}, chunks of {args.chunk} "
        f"rows, LocalCluster {args.workers} worker processes x 1 thread"
    )
    print(f"{'method':<9} {'1 process s':>12} {'cluster s':>10} {'same picks':>11}")
    for name, t1, t2, same in rows:
        print(f"{name:<9} {t1:>12.2f} {t2:>10.2f} {str(same):>11}")
    if not all(r[3] for r in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
