"""k-center / TypiClust / ProbCover on embeddings on disk, out of core vs in memory.

Usage::

    python benchmarks/bench_out_of_core_selection.py              # 2M x 512, b=1000
    python benchmarks/bench_out_of_core_selection.py --n 200000 --subset 50000
    python benchmarks/bench_out_of_core_selection.py --selector typiclust \
        --n 200000 --d 128 --budget 100
    python benchmarks/bench_out_of_core_selection.py --selector probcover \
        --n 50000 --d 64 --budget 100

Writes ``n x d`` float16 Gaussian embeddings (seeded, block by block, never
whole in memory) to a ``.npy`` file, then, each in its own subprocess so that
its peak resident memory is its own:

* ``file-full``  -- :func:`skactive.selection.kcenter_greedy` on the whole
  file (an :class:`~skactive.pools.ArrayFile`, read in blocks);
* ``file-sub``   -- the same on a file holding the first ``--subset`` rows;
* ``memory-sub`` -- the same rows as an in-memory float16 array.

``file-sub`` and ``memory-sub`` must return the same picks. ``--dir`` of
an earlier run reuses its files (same ``--n``, ``--d``, ``--subset`` and
``--seed``). ``--full-budget`` runs the whole file with fewer picks and the
table extrapolates it linearly to ``--budget`` picks (an upper bound: with
the bound pruning, later picks read fewer rows than the first ones).
The labeled set is ``--labeled`` rows drawn from the same distribution.

``--selector typiclust`` or ``probcover`` benchmarks
:func:`skactive.selection.typiclust_sampling` (``--k-neighbors``) or
:func:`skactive.selection.probcover_sampling` (``--delta``; by default the
median distance of a row to its ``--neighbours``-th nearest other row, from
200 sampled rows) on ``n x d`` rows of a seeded Gaussian mixture
(``--centres`` clusters), stored as float16 and, with the same values, as
float32: four runs (each file read in blocks, and each one's rows in
memory), which must all return the same picks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def _write(path, n, d, seed, block=65536):
    from skactive.pools import ArrayFile

    if os.path.exists(path):  # --dir of an earlier run: reuse its files
        old = ArrayFile(path)
        if old.shape == (n, d) and old.dtype == np.float16:
            return old

    out = ArrayFile.create(path, (n, d), "float16")
    rng = np.random.default_rng(seed)
    for s in range(0, n, block):
        e = min(n, s + block)
        out.write(s, rng.standard_normal((e - s, d), dtype=np.float32).astype("f2"))
    return out


def _mixture(n, d, n_centres, seed, start, stop):
    """Rows ``start:stop`` of a seeded Gaussian mixture (float16)."""
    centres = np.random.default_rng(seed).standard_normal((n_centres, d))
    rng = np.random.default_rng([seed, start])
    which = rng.integers(n_centres, size=stop - start)
    rows = centres[which] + 0.5 * rng.standard_normal((stop - start, d))
    return rows.astype("f2")


def _write_mixture(path16, path32, n, d, n_centres, seed, block=65536):
    from skactive.pools import ArrayFile

    if os.path.exists(path16) and os.path.exists(path32):
        a, b = ArrayFile(path16), ArrayFile(path32)
        if a.shape == b.shape == (n, d) and (a.dtype, b.dtype) == ("f2", "f4"):
            return
    out16 = ArrayFile.create(path16, (n, d), "float16")
    out32 = ArrayFile.create(path32, (n, d), "float32")
    for s in range(0, n, block):
        e = min(n, s + block)
        rows = _mixture(n, d, n_centres, seed, s, e)
        out16.write(s, rows)
        out32.write(s, rows.astype("f4"))  # the same values


def _auto_delta(path, neighbours, seed):
    """Median distance of 200 sampled rows to their k-th nearest other row."""
    from skactive.pools import ArrayFile

    pool = ArrayFile(path)
    rng = np.random.default_rng(seed + 2)
    q = pool[np.sort(rng.choice(pool.shape[0], 200, replace=False))].astype("f8")
    best = []
    for s in range(0, pool.shape[0], 65536):
        X = pool[s : s + 65536].astype("f8")
        d2 = (q * q).sum(1)[:, None] - 2 * q @ X.T + (X * X).sum(1)[None]
        best.append(np.sort(d2, axis=1)[:, : neighbours + 1])
    d2 = np.sort(np.hstack(best), axis=1)[:, neighbours]
    return float(np.sqrt(np.median(np.maximum(d2, 0))))


def _labeled(d, m, seed):
    return np.random.default_rng(seed + 1).standard_normal((m, d)).astype("f2")


def _worker(args):
    import torch

    torch.set_num_threads(args.threads)
    from skactive.pools import ArrayFile
    from skactive.selection import kcenter_greedy

    pool = ArrayFile(args.path)
    if args.kind == "memory":
        pool = pool[:]  # the rows in memory (the file's dtype)
    if args.selector == "kcenter":
        labeled = _labeled(pool.shape[1], args.labeled, args.seed)
    else:  # rows of the same mixture, further on
        n, d = pool.shape
        labeled = _mixture(n, d, args.centres, args.seed, n, n + args.labeled)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    if args.selector == "kcenter":
        picks = kcenter_greedy(pool, args.budget, labeled=labeled, random_state=0)
    elif args.selector == "typiclust":
        from skactive.selection import typiclust_sampling

        picks = typiclust_sampling(
            pool,
            args.budget,
            labeled=labeled,
            k_neighbors=args.k_neighbors,
            random_state=0,
        )
    else:
        from skactive.selection import probcover_sampling

        picks = probcover_sampling(
            pool, args.budget, delta=args.delta, labeled=labeled, random_state=0
        )
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "wall_s": wall,
                "peak_rss_mb": peak,
                "before_mb": base,
                "picks": hashlib.sha1(picks.tobytes()).hexdigest()[:12],
                "first": picks[:5].tolist(),
            }
        )
    )


def _run(path, kind, budget, args):
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        "--path",
        path,
        "--budget",
        str(budget),
        "--labeled",
        str(args.labeled),
        "--seed",
        str(args.seed),
        "--threads",
        str(args.threads),
        "--selector",
        args.selector,
        "--centres",
        str(args.centres),
        "--k-neighbors",
        str(args.k_neighbors),
    ]
    if args.delta is not None:
        cmd += ["--delta", str(args.delta)]
    # the checkout this script belongs to, first on the child's path
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode:
        sys.exit(f"{kind} run failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=2_000_000)
    p.add_argument("--d", type=int, default=512)
    p.add_argument("--budget", type=int, default=1000)
    p.add_argument("--full-budget", type=int, default=None)
    p.add_argument("--subset", type=int, default=200_000)
    p.add_argument("--labeled", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--dir", default=None)
    p.add_argument("--worker", choices=["file", "memory"], default=None)
    p.add_argument("--path", default=None)
    p.add_argument(
        "--selector", choices=["kcenter", "typiclust", "probcover"], default="kcenter"
    )
    p.add_argument("--centres", type=int, default=500)
    p.add_argument("--k-neighbors", type=int, default=20)
    p.add_argument("--delta", type=float, default=None)
    p.add_argument("--neighbours", type=int, default=20)
    args = p.parse_args(argv)
    if args.worker:
        args.kind = args.worker
        return _worker(args)
    if args.selector != "kcenter":
        return _clustering_main(args)

    folder = args.dir or tempfile.mkdtemp(prefix="skactive-ooc-")
    full = os.path.join(folder, "embeddings.npy")
    sub = os.path.join(folder, "subset.npy")
    t0 = time.perf_counter()
    _write(full, args.n, args.d, args.seed)
    _write(sub, args.subset, args.d, args.seed)  # the same first rows
    print(
        f"wrote {args.n} x {args.d} float16 ({os.path.getsize(full) / 2**30:.2f} "
        f"GiB) in {time.perf_counter() - t0:.1f} s to {folder}"
    )
    full_budget = args.full_budget or args.budget
    rows = [
        ("file-full", args.n, full_budget, _run(full, "file", full_budget, args)),
        ("file-sub", args.subset, args.budget, _run(sub, "file", args.budget, args)),
        (
            "memory-sub",
            args.subset,
            args.budget,
            _run(sub, "memory", args.budget, args),
        ),
    ]
    print(
        f"\nk-center greedy, d={args.d}, float16, {args.labeled} labeled rows, "
        f"torch threads={args.threads}"
    )
    print(
        f"{'run':<11} {'rows':>9} {'picks':>6} {'wall s':>9} {'s/pick':>8} "
        f"{'start MB':>11} {'peak RSS MB':>12} {'picks sha1':>13}"
    )
    for name, n, b, r in rows:
        print(
            f"{name:<11} {n:>9} {b:>6} {r['wall_s']:>9.1f} {r['wall_s'] / b:>8.3f} "
            f"{r['before_mb']:>11.0f} {r['peak_rss_mb']:>12.0f} {r['picks']:>13}"
        )
    same = rows[1][3]["picks"] == rows[2][3]["picks"]
    print(f"\nfile-sub and memory-sub pick the same rows: {same}")
    ratio = rows[1][3]["wall_s"] / rows[2][3]["wall_s"]
    print(f"out of core / in memory on the subset: {ratio:.2f}x the time")
    if full_budget != args.budget:
        est = rows[0][3]["wall_s"] / full_budget * args.budget
        print(
            f"file-full extrapolated to b={args.budget}: {est:.0f} s "
            f"({est / 60:.1f} min; one pass over the file per pick)"
        )
    if not same:
        sys.exit(1)


def _clustering_main(args):
    folder = args.dir or tempfile.mkdtemp(prefix="skactive-ooc-")
    os.makedirs(folder, exist_ok=True)
    tag = f"mixture_{args.n}x{args.d}_{args.centres}_{args.seed}"
    path16 = os.path.join(folder, tag + "_f16.npy")
    path32 = os.path.join(folder, tag + "_f32.npy")
    t0 = time.perf_counter()
    _write_mixture(path16, path32, args.n, args.d, args.centres, args.seed)
    print(
        f"wrote {args.n} x {args.d} rows of a {args.centres}-centre mixture as "
        f"float16 and float32 in {time.perf_counter() - t0:.1f} s to {folder}"
    )
    what = f"k_neighbors={args.k_neighbors}"
    if args.selector == "probcover":
        if args.delta is None:
            args.delta = _auto_delta(path16, args.neighbours, args.seed)
        what = f"delta={args.delta:.4g}"
    rows = [
        (f"{kind}-{bits}", _run(path, kind, args.budget, args))
        for bits, path in (("f16", path16), ("f32", path32))
        for kind in ("file", "memory")
    ]
    print(
        f"\n{args.selector}, {args.n} x {args.d}, b={args.budget}, {what}, "
        f"{args.labeled} labeled rows, torch threads={args.threads}"
    )
    print(
        f"{'run':<11} {'wall s':>8} {'RSS before MB':>14} {'peak RSS MB':>12} "
        f"{'picks sha1':>13}"
    )
    for name, r in rows:
        print(
            f"{name:<11} {r['wall_s']:>8.1f} {r['before_mb']:>14.0f} "
            f"{r['peak_rss_mb']:>12.0f} {r['picks']:>13}"
        )
    same = len({r["picks"] for _, r in rows}) == 1
    print(f"\nall four runs pick the same rows: {same}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
