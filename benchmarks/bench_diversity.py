"""Benchmark of the diversity selectors in :mod:`skactive.selection`.

Usage::

    python benchmarks/bench_diversity.py            # full sizes
    python benchmarks/bench_diversity.py --quick    # small sizes, < 1 min

Every (method, case) runs in its own subprocess so that its peak memory can
be measured in isolation: the worker builds the data from a fixed seed, warms
up, records ``ru_maxrss``, runs the selection and reports the wall time (the
best of up to ``--repeat`` runs, default 3, 1 with ``--quick``, while the
worker has spent less than 60 s) and the increase of the peak resident set
size ("peak +MB": extra memory the selection needed on top of the data).

The parent kills a worker that exceeds ``--timeout`` seconds or
``--mem-guard-gb`` GB of resident memory, or when less than 1.5 GB of memory
is left available on the machine; for a killed run "peak +MB" is the largest
resident size the parent observed.  The "load" column is the 1-minute load
average when the run ended: timings on a shared machine are only comparable
between rows with similar load.

k-center greedy (Gaussian float32 embeddings, temperature 0)

* ``ours``     -- :func:`skactive.selection.kcenter_greedy`.
* ``plain``    -- a plain torch loop written below: one full ``X @ c`` per pick
  and a new distance vector per pick, no chunking or buffer reuse.
* ``coreset``  -- scikit-activeml's :class:`skactiveml.pool.CoreSet`.  It has
  no separate "embeddings" argument: it runs on ``X`` itself, so we pass
  ``X = vstack(pool, labeled)`` and ``y`` = NaN for the pool rows and a dummy
  label for the labeled rows.  Its candidates are then the unlabeled rows and
  its indices refer to the pool rows (which come first).  Per pick it calls
  ``sklearn.metrics.pairwise_distances_argmin_min`` on the whole pool and it
  keeps a ``(batch_size, n_samples)`` float64 utilities matrix.
* ``coreset-f64`` -- the same CoreSet on the same points cast to float64
  (an independent exact reference; sklearn returns float32 distances for
  float32 input, so CoreSet on float32 sees exact ties between distances
  that differ in float64, and breaks them at random).
* ``small-text`` -- small-text's ``greedy_coreset`` (Euclidean), if
  importable: per pick it recomputes the distances of the pool to *all*
  centres, so its cost grows with the square of the batch size.
* ``modal-ranked`` -- modAL's ``ranked_batch`` with zero uncertainty scores,
  which reduces its score to k-center greedy; it also recomputes distances
  to all centres per pick.

The cases are Gaussian embeddings and one real pool: the first 10,000 MNIST
training images as 784-d pixel vectors in [0, 1] with 100 test images as
the labeled set (``$SKACTIVE_DATA`` or ``../shared/data``; skipped when the
file is absent).

Without labeled data the first pick of every method is random (with a
different generator in each library), so the picks are compared after
conditioning on the peer's first pick: ours is run again with
``labeled = X[[peer_first]]`` and compared with the peer's picks 2..b.

TypiClust and ProbCover (Gaussian blobs in 64 dimensions)

* ``ours`` -- :func:`skactive.selection.typiclust_sampling` and
  :func:`skactive.selection.probcover_sampling` (ball graph from a chunked
  radius search, never an ``n x n`` matrix).
* ``skactiveml`` -- :class:`skactiveml.pool.TypiClust` (``k=20``) and
  :class:`skactiveml.pool.ProbCover` with the same fixed radius
  (``deltas=[delta]``: no purity search); ProbCover computes the full
  ``n x n`` distance matrix and a boolean graph of the same size.
  Both break ties and seed k-means with their own generators, so the picks
  are compared by what they achieve: blobs hit, and for ProbCover the
  fraction of the pool within ``delta`` of a pick.

BADGE (Dirichlet class probabilities, Gaussian float32 embeddings)

* ``ours``        -- :func:`skactive.selection.badge_sampling`, never forms
  the gradient embeddings.
* ``skactiveml``  -- :class:`skactiveml.pool.Badge` with a stub classifier
  whose ``predict_proba`` returns the precomputed ``(probas, embeddings)``
  (``X`` holds row numbers).  It materialises the ``n x (C * d)`` float64
  gradient embedding.  Its picks differ from ours by design beyond the first
  one: it keeps the origin as a k-means++ centre (scikit-activeml issue
  #588) and draws with ``RandomState.choice``; only the first pick (argmax
  of the gradient norm) is comparable.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, ROOT)
os.environ["PYTHONPATH"] = ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")

REPEAT_BUDGET_S = 60.0  # a run is repeated (best time kept) within this budget
MIN_FREE_GB = 1.5  # a worker is killed when the machine gets this close to OOM

KCENTER_CASES = {
    "full": [
        dict(name="10k x 512, b=100", n=10_000, d=512, b=100, n_lab=0),
        dict(
            name="50k x 512, b=1000, 100 lab",
            n=50_000,
            d=512,
            b=1000,
            n_lab=100,
            f64_reference=True,
        ),
        dict(name="100k x 128, b=100", n=100_000, d=128, b=100, n_lab=0),
        dict(
            name="MNIST 10k x 784 pixels, b=1000, 100 lab",
            data="mnist",
            n=10_000,
            d=784,
            b=1000,
            n_lab=100,
            f64_reference=True,
        ),
    ],
    "quick": [
        dict(name="2k x 64, b=20", n=2_000, d=64, b=20, n_lab=0),
        dict(
            name="5k x 128, b=100, 20 lab",
            n=5_000,
            d=128,
            b=100,
            n_lab=20,
            f64_reference=True,
        ),
        dict(name="10k x 32, b=20", n=10_000, d=32, b=20, n_lab=0),
        dict(
            name="MNIST 2k x 784 pixels, b=50, 20 lab",
            data="mnist",
            n=2_000,
            d=784,
            b=50,
            n_lab=20,
        ),
    ],
}
CLUSTER_CASES = {
    "full": [
        dict(name="10k x 64, 20 blobs, b=100", n=10_000, d=64, b=100, blobs=20),
        dict(name="50k x 64, 20 blobs, b=100", n=50_000, d=64, b=100, blobs=20),
    ],
    "quick": [
        dict(name="2k x 16, 10 blobs, b=20", n=2_000, d=16, b=20, blobs=10),
    ],
}
BADGE_CASES = {
    "full": [
        dict(name="20k x 512, C=100, b=100", n=20_000, d=512, C=100, b=100, peer=True),
        dict(name="20k x 512, C=10, b=100", n=20_000, d=512, C=10, b=100, peer=True),
        dict(name="50k x 512, C=100, b=100", n=50_000, d=512, C=100, b=100, peer=False),
    ],
    "quick": [
        dict(name="2k x 64, C=20, b=20", n=2_000, d=64, C=20, b=20, peer=True),
        dict(name="2k x 64, C=5, b=20", n=2_000, d=64, C=5, b=20, peer=True),
        dict(name="5k x 64, C=20, b=20", n=5_000, d=64, C=20, b=20, peer=False),
    ],
}


# --------------------------------------------------------------------------
# data (deterministic, built inside each worker)
# --------------------------------------------------------------------------
def mnist_path():
    base = os.environ.get("SKACTIVE_DATA") or os.path.join(
        os.path.dirname(ROOT), "shared", "data"
    )
    return os.path.join(base, "mnist_train10k_test10k.npz")


def kcenter_data(case):
    if case.get("data") == "mnist":  # real data: pixels in [0, 1]
        with np.load(mnist_path()) as z:
            X = z["X_train"][: case["n"]].reshape(case["n"], -1) / np.float32(255)
            L = z["X_test"][: case["n_lab"]].reshape(case["n_lab"], -1)
        return X.astype(np.float32), (L / np.float32(255)).astype(np.float32)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((case["n"], case["d"]), dtype=np.float32)
    L = rng.standard_normal((case["n_lab"], case["d"]), dtype=np.float32)
    return X, (L if case["n_lab"] else None)


def cluster_data(case):
    """Gaussian blobs (unit spread, centres 8 apart on average) and the ball
    radius ProbCover uses: the median distance to the 10th neighbour of a
    subsample, so balls hold a few dozen rows."""
    rng = np.random.default_rng(2)
    centres = rng.normal(scale=8.0 / np.sqrt(2 * case["d"]), size=(case["blobs"], 1))
    centres = centres * rng.normal(size=(case["blobs"], case["d"]))
    X = centres[rng.integers(case["blobs"], size=case["n"])]
    X = (X + rng.normal(size=X.shape)).astype(np.float32)
    sub = X[:1000]
    d = np.sqrt(((sub[:, None, :] - sub[None]) ** 2).sum(-1))
    delta = float(np.median(np.sort(d, axis=1)[:, 10]))
    return X, delta


def badge_data(case):
    rng = np.random.default_rng(1)
    P = rng.dirichlet(np.full(case["C"], 0.3), size=case["n"]).astype(np.float32)
    F = rng.standard_normal((case["n"], case["d"]), dtype=np.float32)
    return P, F


# --------------------------------------------------------------------------
# methods
# --------------------------------------------------------------------------
def plain_torch_kcenter(X, L, b, first):
    """Textbook loop: one full matvec per pick, fresh temporaries each time."""
    import torch

    X = torch.from_numpy(X)
    sqn = (X * X).sum(1)
    d = None
    if L is not None:
        d = torch.cdist(X, torch.from_numpy(L)).pow(2).amin(1)
    picks = []
    for k in range(b):
        i = first if d is None else int(torch.argmax(d))
        picks.append(i)
        if k + 1 < b:
            new = (sqn - 2 * (X @ X[i]) + sqn[i]).clamp_min(0)
            d = new if d is None else torch.minimum(d, new)
            d[i] = 0
    return np.asarray(picks)


def prepare(kind, method, case, extra):
    """Build the data, import and warm up; return a zero-argument runner."""
    if kind == "kcenter":
        X, L = kcenter_data(case)
        b = case["b"]
        if method == "ours":
            from skactive.selection import kcenter_greedy

            kcenter_greedy(X[:500], 3, labeled=L)  # warm-up
            return lambda: kcenter_greedy(X, b, labeled=L, random_state=0)
        if method == "plain":
            plain_torch_kcenter(X[:500], L, 3, 0)  # warm-up
            return lambda: plain_torch_kcenter(X, L, b, extra.get("first", 0))
        if method in ("coreset", "coreset-f64"):
            from skactiveml.pool import CoreSet

            if method == "coreset-f64":  # same points, exact distances
                X = X.astype(np.float64)
                L = None if L is None else L.astype(np.float64)
            X_all = X if L is None else np.vstack([X, L])
            y = np.full(X_all.shape[0], np.nan)
            y[X.shape[0] :] = 0  # the labeled rows come last
            CoreSet(random_state=0).query(X_all[:500], y[:500], batch_size=2)
            return lambda: CoreSet(random_state=0).query(X_all, y, batch_size=b)
        if method == "small-text":
            from small_text.query_strategies.coresets import greedy_coreset

            # pool rows first, then the labeled rows; Euclidean distances
            n_pool = X.shape[0]
            X_all = X if L is None else np.vstack([X, L])
            lab = np.arange(n_pool, X_all.shape[0])
            return lambda: greedy_coreset(
                X_all, np.arange(n_pool), lab, b, distance_metric="euclidean"
            )
        if method == "modal-ranked":
            # modAL's ranked batch with zero uncertainty scores: the score
            # alpha * (1 - 1 / (1 + min distance)) is then k-center greedy
            from modAL.batch import ranked_batch

            class Learner:  # what ranked_batch reads of a modAL learner
                on_transformed = False
                X_training = L

            zeros = np.zeros(X.shape[0])
            return lambda: ranked_batch(
                Learner(), X, zeros, b, metric="euclidean", n_jobs=None
            )
        raise ValueError(method)
    if kind == "cluster":
        X, delta = cluster_data(case)
        b = case["b"]
        y = np.full(X.shape[0], np.nan)
        if method == "ours-typiclust":
            from skactive.selection import typiclust_sampling

            typiclust_sampling(X[:300], 3, random_state=0)  # warm-up
            return lambda: typiclust_sampling(X, b, random_state=0)
        if method == "ours-probcover":
            from skactive.selection import probcover_sampling

            probcover_sampling(X[:300], 3, delta=delta, random_state=0)
            return lambda: probcover_sampling(X, b, delta=delta, random_state=0)
        if method == "skactiveml-typiclust":
            from skactiveml.pool import TypiClust

            TypiClust(random_state=0, k=20).query(X[:300], y[:300], batch_size=3)
            return lambda: TypiClust(random_state=0, k=20).query(X, y, batch_size=b)
        if method == "skactiveml-probcover":
            from skactiveml.pool import ProbCover

            def run():  # a fixed radius: no purity search
                pc = ProbCover(deltas=[delta], random_state=0)
                return pc.query(X, y, batch_size=b)

            return run
        raise ValueError(method)
    P, F = badge_data(case)
    b = case["b"]
    if method == "ours":
        from skactive.selection import badge_sampling

        badge_sampling(P[:500], F[:500], 3, random_state=0)  # warm-up
        return lambda: badge_sampling(P, F, b, random_state=0)
    if method == "skactiveml":
        from skactiveml.base import SkactivemlClassifier
        from skactiveml.pool import Badge

        class Precomputed(SkactivemlClassifier):
            """Returns stored (probas, embeddings) for X = row numbers."""

            def __init__(self, probas=None, embeddings=None, missing_label=np.nan):
                super().__init__(missing_label=missing_label)
                self.probas = probas
                self.embeddings = embeddings

            def fit(self, X, y, sample_weight=None):
                return self

            def predict_proba(self, X, **kwargs):
                rows = np.asarray(X)[:, 0].astype(np.int64)
                return self.probas[rows], self.embeddings[rows]

        clf = Precomputed(P, F)
        Xi = np.arange(P.shape[0], dtype=np.float64)[:, None]
        y = np.full(P.shape[0], np.nan)
        Badge(random_state=0).query(Xi[:200], y[:200], clf, fit_clf=False)
        return lambda: Badge(random_state=0).query(
            Xi, y, clf, fit_clf=False, batch_size=b
        )
    raise ValueError(method)


def ours_given_first(case, first):
    """k-center picks of ours when the first pick is forced to ``first``."""
    from skactive.selection import kcenter_greedy

    X, L = kcenter_data(case)
    lab = X[[first]] if L is None else np.vstack([L, X[[first]]])
    rest = kcenter_greedy(X, case["b"] - 1, labeled=lab, random_state=0)
    return np.r_[first, rest]


def worker(conn, kind, method, case, extra):
    """Runs in a child forked from the forkserver (modules preloaded)."""
    import gc
    import resource

    threads = extra.get("threads")
    if threads:  # same limit for torch, BLAS and OpenMP in every method
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(threads)
        threadpool_limits(threads)
    try:
        run = prepare(kind, method, case, extra)
        gc.collect()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        picks = np.asarray(run(), dtype=np.int64)
        secs = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # repeat quick runs and keep the best time (shared, noisy machines)
        runs, spent = 1, secs
        while runs < extra.get("repeat", 1) and spent + secs < REPEAT_BUDGET_S:
            t = time.perf_counter()
            again = np.asarray(run(), dtype=np.int64)
            dt = time.perf_counter() - t
            assert np.array_equal(again, picks), "non-deterministic picks"
            secs, spent, runs = min(secs, dt), spent + dt, runs + 1
        res = dict(status="ok", seconds=secs, peak_mb=(after - before) / 1024.0)
        res["picks"], res["runs"] = picks, runs
        if extra.get("condition"):  # untimed, after the measurement
            res["ours_given_first"] = ours_given_first(case, int(picks[0]))
    except Exception as exc:  # report instead of hanging the parent
        res = dict(status=f"failed: {type(exc).__name__}: {exc}"[:90])
    conn.send(res)
    conn.close()


# --------------------------------------------------------------------------
# parent: one forked worker per run, with timeout and memory guard
# --------------------------------------------------------------------------
_CTX = None


def _context():
    global _CTX
    if _CTX is None:
        _CTX = mp.get_context("forkserver")
        # imported once in the fork server, so workers start in milliseconds
        # and import costs are excluded from every measurement
        _CTX.set_forkserver_preload(
            ["torch", "sklearn.metrics", "skactive.selection", "skactiveml.pool"]
        )
    return _CTX


def _rss_gb(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def _mem_available_gb():
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("inf")


def launch(
    kind, method, case, *, timeout, mem_guard_gb, extra=None, repeat=1, threads=None
):
    ctx = _context()
    extra = {**(extra or {}), "repeat": repeat, "threads": threads}
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=worker, args=(send, kind, method, case, extra))
    proc.start()
    send.close()
    t0, peak, status = time.time(), 0.0, None
    while not recv.poll(0.05):
        if not proc.is_alive():
            status = f"died (exit code {proc.exitcode})"
            break
        rss = _rss_gb(proc.pid)
        peak = max(peak, rss)
        if rss > mem_guard_gb:
            status = f"killed: RSS > {mem_guard_gb:g} GB"
        elif _mem_available_gb() < MIN_FREE_GB:  # protect other processes
            status = f"killed: RSS {rss:.1f} GB, < {MIN_FREE_GB:g} GB left free"
        elif time.time() - t0 > timeout:
            status = f"killed: > {timeout:g} s"
        if status:
            proc.kill()
            break
    load = os.getloadavg()[0]  # 1-min load average when the run ended
    if status is None:
        res = recv.recv()
        proc.join()
        res["load"] = load
        return res
    proc.join()
    return dict(status=status, seconds=time.time() - t0, peak_mb=peak * 1024, load=load)


def _fmt(res, ours=None):
    load = f"{res.get('load', float('nan')):.1f}"
    if res.get("status") != "ok":
        peak = f"{res['peak_mb']:.0f}" if "peak_mb" in res else ""
        return [res.get("status", "?"), peak, "", load]
    ratio = ""
    if ours is not None and ours.get("status") == "ok":
        ratio = f"{res['seconds'] / ours['seconds']:.1f}x"
    return [f"{res['seconds']:.3f}", f"{res['peak_mb']:.0f}", ratio, load]


class Rows(list):
    """Table rows; each one is also echoed when measured (long runs)."""

    def append(self, row):
        print("  measured:", " | ".join(str(c) for c in row), flush=True)
        super().append(row)


def print_table(title, header, rows):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(f"\n{title}\n{line}\n{'-' * len(line)}", flush=True)
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))


def match_str(ours_picks, peer_picks):
    if ours_picks is None or peer_picks is None:
        return "n/a"
    same = int(np.sum(ours_picks == peer_picks))
    if same == len(ours_picks):
        return "identical"
    first_diff = int(np.flatnonzero(ours_picks != peer_picks)[0])
    return f"{same}/{len(ours_picks)} (1st diff @{first_diff})"


def bench_kcenter(cases, args):
    rows = Rows()
    guard = dict(
        timeout=args.timeout,
        mem_guard_gb=args.mem_guard_gb,
        repeat=args.repeat,
        threads=args.threads,
    )
    peers = ["plain"]
    if not args.skip_peers:
        peers.append("coreset")
        try:
            import small_text  # noqa: F401

            peers.append("small-text")
        except ImportError:
            print("note: small-text is not importable; its greedy coreset is skipped")
        try:
            import modAL.batch  # noqa: F401

            peers.append("modal-ranked")
        except ImportError:
            print("note: modAL is not importable; its ranked batch is skipped")
    if not os.path.exists(mnist_path()):
        print(f"note: {mnist_path()} not found; the real-embedding case is skipped")
        cases = [c for c in cases if c.get("data") != "mnist"]
    for case in cases:
        ours = launch("kcenter", "ours", case, **guard)
        rows.append([case["name"], "ours", *_fmt(ours), "-"])
        unlabeled = case["n_lab"] == 0
        names = list(peers)
        if case.get("f64_reference") and "coreset" in peers:
            names.append("coreset-f64")
        for name in names:
            extra = {}
            if name == "plain":  # same first pick as ours
                extra["first"] = int(ours["picks"][0]) if "picks" in ours else 0
            elif unlabeled:
                extra["condition"] = True
            res = launch("kcenter", name, case, extra=extra, **guard)
            match = ""
            if res.get("status") == "ok" and ours.get("status") == "ok":
                if "ours_given_first" in res:
                    match = match_str(res["ours_given_first"], res["picks"])
                    match += " (ours given peer's 1st pick)"
                else:
                    match = match_str(ours["picks"], res["picks"])
            rows.append([case["name"], name, *_fmt(res, ours), match])
    print_table(
        "k-center greedy (T=0), float32 embeddings (Gaussian, or MNIST pixels)",
        [
            "case",
            "method",
            "time s",
            "peak +MB",
            "time / ours",
            "load",
            "picks vs ours",
        ],
        rows,
    )


def bench_badge(cases, args):
    rows = Rows()
    for case in cases:
        ours = launch(
            "badge",
            "ours",
            case,
            timeout=args.timeout,
            mem_guard_gb=args.mem_guard_gb,
            repeat=args.repeat,
            threads=args.threads,
        )
        rows.append([case["name"], "ours", *_fmt(ours), "-"])
        if case["peer"] and not args.skip_peers:
            peer = launch(
                "badge",
                "skactiveml",
                case,
                timeout=args.timeout,
                mem_guard_gb=args.mem_guard_gb,
                repeat=args.repeat,
                threads=args.threads,
            )
            match = ""
            if peer.get("status") == "ok" and ours.get("status") == "ok":
                same = peer["picks"][0] == ours["picks"][0]
                n_eq = int(np.sum(peer["picks"] == ours["picks"]))
                match = f"1st pick {'same' if same else 'differs'}; "
                match += f"{n_eq}/{case['b']} equal"
            rows.append([case["name"], "skactiveml", *_fmt(peer, ours), match])
    print_table(
        "BADGE (k-means++ on gradient embeddings), float32",
        ["case", "method", "time s", "peak +MB", "time / ours", "load", "picks"],
        rows,
    )


def _coverage(case, picks, delta):
    """Fraction of the pool within ``delta`` of a pick (ProbCover's target)."""
    import torch

    X, _ = cluster_data(case)
    Xt, P = torch.from_numpy(X), torch.from_numpy(X[picks])
    covered = torch.zeros(X.shape[0], dtype=torch.bool)
    for s in range(0, X.shape[0], 8192):
        covered[s : s + 8192] = (torch.cdist(Xt[s : s + 8192], P) <= delta).any(1)
    return float(covered.float().mean())


def bench_cluster(cases, args):
    rows = Rows()
    guard = dict(
        timeout=args.timeout,
        mem_guard_gb=args.mem_guard_gb,
        repeat=args.repeat,
        threads=args.threads,
    )
    for case in cases:
        _, delta = cluster_data(case)
        for algo in ("typiclust", "probcover"):
            ours = launch("cluster", f"ours-{algo}", case, **guard)
            peer = None
            if not args.skip_peers:
                peer = launch("cluster", f"skactiveml-{algo}", case, **guard)
            for name, res in (("ours", ours), ("skactiveml", peer)):
                if res is None:
                    continue
                note = ""
                if res.get("status") == "ok":
                    blobs = len(set(cluster_labels(case)[res["picks"]].tolist()))
                    note = f"{blobs}/{case['blobs']} blobs"
                    if algo == "probcover":
                        cov = _coverage(case, res["picks"], delta)
                        note += f", covers {cov:.1%}"
                ref = ours if name != "ours" else None
                rows.append([case["name"], algo, name, *_fmt(res, ref), note])
    print_table(
        "TypiClust and ProbCover (Gaussian blobs, float32)",
        [
            "case",
            "method",
            "library",
            "time s",
            "peak +MB",
            "time / ours",
            "load",
            "picks",
        ],
        rows,
    )


def cluster_labels(case):
    """Blob of every row of :func:`cluster_data` (same generator draws)."""
    rng = np.random.default_rng(2)
    rng.normal(size=(case["blobs"], 1))
    rng.normal(size=(case["blobs"], case["d"]))
    return rng.integers(case["blobs"], size=case["n"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes (< 1 min)")
    p.add_argument(
        "--skip-peers", action="store_true", help="only ours and the plain loop"
    )
    p.add_argument("--only", choices=["kcenter", "badge", "cluster"], default=None)
    p.add_argument(
        "--cases", default="", help="run only cases whose name contains this text"
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit torch/BLAS/OpenMP threads in every worker (default: "
        "library defaults); 1 is more robust on a loaded machine",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="repeat runs (best time) while a worker has spent < 60 s "
        "(default 3, 1 with --quick)",
    )
    p.add_argument(
        "--mem-guard-gb", type=float, default=18.0, help="RSS limit per run (GB)"
    )
    args = p.parse_args(argv)
    size = "quick" if args.quick else "full"
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    import torch

    threads = args.threads or torch.get_num_threads()
    print(
        f"python {sys.version.split()[0]}, torch {torch.__version__} "
        f"({threads} threads), numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}"
    )

    def pick(cases):
        return [c for c in cases if args.cases in c["name"]]

    if args.only in (None, "kcenter"):
        bench_kcenter(pick(KCENTER_CASES[size]), args)
    if args.only in (None, "badge"):
        bench_badge(pick(BADGE_CASES[size]), args)
    if args.only in (None, "cluster"):
        bench_cluster(pick(CLUSTER_CASES[size]), args)


if __name__ == "__main__":
    main()
