"""Cold start under semi-supervised training: Buchert's pipeline vs random.

Issue 15's question at the lowest budgets: when the net is trained
semi-supervised (:class:`~skactive.nets.MixMatchClassifier`, the best net
measured in issue 14, every pool row it has no label for given as
``y = -1``), does picking the labels pay? Arms, paired per seed (the same
seed gives the same net initialisation, the same pool and the same test
set; only the labeled rows differ):

* ``P`` (pipeline, Buchert et al. 2023): the initial set picked by
  :func:`skactive.representation.initial_selection` with ``T = 0.5`` in a
  self-supervised embedding (:class:`~skactive.representation.SimCLR`,
  trained once on the pool and cached), MixMatch trained on the pool, then
  :class:`~skactive.strategies.ConsistencyEmbedding` rounds (its defaults:
  50 augmentations, ``T = 0``, the labeled rows as centres);
* ``R`` (random): a uniformly random initial set and uniformly random rounds,
  the same net and training;
* ``M`` (optional): ``P``'s initial set, then random rounds -- what the
  initial set alone buys at the later budget.

Budgets: ``--initial`` labels first (10 = 1 per class on MNIST: one training
per arm), then ``--rounds`` rounds of ``--query`` labels each (default one
round of 30: 40 labels = 4 per class); after every round the net is trained
again from its seeded initialisation on all labels. Every training has the
same length (``--steps`` gradient steps, ``--steps-per-epoch`` per epoch).
The 1-per-class part runs for every seed before any round, so its numbers
come first. Each record is written to ``--out`` (JSON: settings, per-seed
accuracies, times, versions and hardware) as soon as it exists;
``--report FILE ...`` merges result files (e.g. seeds run in two
processes) and prints the tables again.

For every budget the report gives the per-seed accuracies, the paired
difference ``P - R`` (and ``M - R``, ``P - M``) per seed, its mean and
minimum, a 95 % paired t interval over the seeds and a 95 % percentile
bootstrap interval over the seeds (10,000 resamples). The goal of issue 15:
at 1 label per class ``P - R >= 5`` points on average over >= 5 seeds with
the interval excluding 0. Results and their reading: *Cold start under
semi-supervised training* in ``docs/evaluation.rst``.

Data: ``mnist_train10k_test10k.npz`` from ``--data`` (default
``$SKACTIVE_DATA``, else ``../shared/data`` beside the repository); a pool
of ``--pool`` training images and a test set of ``--test`` images, both
drawn once with ``--data-seed``. The embedder is cached under ``--cache``
(a pickle named after its settings); the sanity check of the embedding is a
linear probe at 100 random pool labels and a 10-NN classifier on all pool
labels, both scored on the test set.

Usage::

    python benchmarks/bench_cold_start_ssl.py --quick      # smoke, ~2 min
    python benchmarks/bench_cold_start_ssl.py --seeds 0 1 2 3 4 \\
        --steps 1000 --out results.json
    python benchmarks/bench_cold_start_ssl.py --report a.json b.json
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import data_folder, draw  # noqa: E402  (benchmarks/_data.py)

FILE = "mnist_train10k_test10k.npz"
ARMS = ("P", "R", "M")
PAIRS = (("P", "R"), ("M", "R"), ("P", "M"))


def embedder(X_pool, args):
    """The SimCLR embedder of the pool, trained once and cached."""
    from skactive.representation import SimCLR

    name = (
        f"pipe15_simclr_mnist_pool{len(X_pool)}_ep{args.ssl_epochs}"
        f"_ds{args.data_seed}.pkl"
    )
    path = Path(args.cache) / name
    if path.exists():
        with open(path, "rb") as f:
            emb, fit_s = pickle.load(f)
        print(f"embedder: {path} (cached; fitted in {fit_s:.0f} s)", flush=True)
        return emb, fit_s, str(path)
    emb = SimCLR(max_epochs=args.ssl_epochs, random_state=0)
    t0 = time.process_time()
    emb.fit(X_pool)
    fit_s = time.process_time() - t0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump((emb, fit_s), f)
    print(f"embedder: trained in {fit_s:.0f} CPU s, cached to {path}", flush=True)
    return emb, fit_s, str(path)


def sanity(emb, X_pool, y_pool, X_test, y_test):
    """Linear probe at 100 random pool labels (5 draws) and 10-NN accuracy."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    E_pool, E_test = emb.transform(X_pool), emb.transform(X_test)
    probe = []
    for s in range(5):
        idx = np.random.RandomState(1000 + s).choice(len(y_pool), 100, replace=False)
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
        probe.append(clf.fit(E_pool[idx], y_pool[idx]).score(E_test, y_test))
    knn = KNeighborsClassifier(10).fit(E_pool, y_pool).score(E_test, y_test)
    return float(np.mean(probe)), float(knn)


def coverage(emb, data, n, seeds):
    """Classes covered by ``n`` picks at ``T`` in {0, 0.5, 1} and at random.

    No training: :func:`~skactive.diversity.diversity_sampling` on the pool
    embedded once (what :func:`initial_selection` runs), over ``seeds``
    seeds; mean number of classes, its min, and the mean class-distribution
    distance ``max_c |p~_c - p_c|``.
    """
    from skactive.metrics import evaluate_initial_set
    from skactive.selection import diversity_sampling

    X_pool, y_pool = data[0], data[1]
    E = emb.transform(X_pool)
    out = {}
    for T in (0.0, 0.5, 1.0, None):
        ncls, cdd = [], []
        for s in range(seeds):
            if T is None:
                idx = np.random.RandomState(s).choice(len(y_pool), n, replace=False)
            else:
                idx = diversity_sampling(E, n, temperature=T, random_state=s)
            m = evaluate_initial_set(idx, y_pool, E)
            ncls.append(m["n_classes_selected"])
            cdd.append(m["class_distribution_distance"])
        out["random" if T is None else f"T={T:g}"] = dict(
            classes=float(np.mean(ncls)),
            classes_min=int(np.min(ncls)),
            class_distance=float(np.mean(cdd)),
        )
    return out


def make_net(seed, args):
    """MixMatch with its own defaults, the training length and the seed."""
    from skactive.nets import MixMatchClassifier, SmallCNN

    return MixMatchClassifier(
        SmallCNN,
        module__channels=(16, 32),
        module__dropout=0.3,
        flip=False,  # digits are not mirror-invariant
        steps_per_epoch=args.steps_per_epoch,
        max_epochs=max(1, round(args.steps / args.steps_per_epoch)),
        classes=np.arange(10),
        random_state=seed,
    )


def train(labeled, seed, data, args):
    """A fresh net trained on the pool with ``labeled`` rows known."""
    from skactive.callbacks import DivergenceWarning

    X_pool, y_pool, X_test, y_test = data
    y_semi = np.full(len(y_pool), -1, dtype=np.int64)
    y_semi[labeled] = y_pool[labeled]
    net = make_net(seed, args)
    t0 = time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DivergenceWarning)
        net.fit(X_pool, y_semi)
    cpu = time.process_time() - t0
    backoffs = sum(issubclass(w.category, DivergenceWarning) for w in caught)
    acc = float(np.mean(net.predict(X_test) == y_test))
    steps = int(sum(net.history[:, "train_batch_count"]))
    return net, dict(acc=acc, cpu_s=cpu, steps=steps, backoffs=int(backoffs))


def query(arm, net, labeled, n, seed, round_, data, args):
    """``n`` new pool rows for ``arm``: consistency embedding or random."""
    from skactive.strategies import ConsistencyEmbedding

    X_pool = data[0]
    candidates = np.setdiff1d(np.arange(len(X_pool)), labeled)
    t0 = time.process_time()
    if arm == "P":
        strategy = ConsistencyEmbedding(
            n_augmentations=args.n_augmentations, random_state=seed
        )
        picks = strategy(net, X_pool[candidates], n, X_labeled=X_pool[labeled])
    else:  # R and M: random rounds (M's own stream: its labeled set differs)
        rng = np.random.RandomState([seed, round_, ARMS.index(arm)])
        picks = rng.choice(len(candidates), n, replace=False)
    return candidates[np.asarray(picks)], time.process_time() - t0


def initial_set(arm, emb, seed, data, args):
    """The first labels: ``T = 0.5`` in the embedding (P, M) or random (R)."""
    from skactive.representation import initial_selection

    X_pool = data[0]
    t0 = time.process_time()
    if arm == "R":
        idx = np.random.RandomState(seed).choice(len(X_pool), args.initial, False)
    else:
        idx = initial_selection(
            X_pool, args.initial, embedder=emb, temperature=0.5, random_state=seed
        )
    return np.asarray(idx, dtype=np.int64), time.process_time() - t0


def record(arm, seed, round_, labeled, fit, select_s, data):
    y_pool = data[1]
    return dict(
        arm=arm,
        seed=seed,
        round=round_,
        labels=len(labeled),
        classes_labeled=int(len(np.unique(y_pool[labeled]))),
        labeled=[int(i) for i in labeled],
        select_cpu_s=select_s,
        **fit,
    )


def paired(diff, n_boot=10_000):
    """Mean, min, 95 % paired t and percentile-bootstrap intervals (points)."""
    from scipy import stats

    d = 100 * np.asarray(diff, dtype=float)
    n = len(d)
    mean = float(d.mean())
    out = dict(n=n, mean=mean, min=float(d.min()), per_seed=[float(x) for x in d])
    if n < 2:
        return dict(out, t_ci=None, boot_ci=None, p=None)
    half = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / np.sqrt(n)
    rng = np.random.RandomState(0)
    boots = d[rng.randint(0, n, size=(n_boot, n))].mean(axis=1)
    p = float(stats.ttest_1samp(d, 0.0).pvalue) if d.std() > 0 else None
    return dict(
        out,
        t_ci=[mean - half, mean + half],
        boot_ci=[float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))],
        p=p,
    )


def report(records):
    """Per-budget tables: per-seed accuracies and the paired differences."""
    lines = []
    for labels in sorted({r["labels"] for r in records}):
        rows = [r for r in records if r["labels"] == labels]
        acc = {(r["arm"], r["seed"]): r for r in rows}
        seeds = sorted({r["seed"] for r in rows})
        arms = [a for a in ARMS if any(r["arm"] == a for r in rows)]
        lines.append(f"\n### {labels} labels")
        header = ["seed", *(f"{a} acc (classes)" for a in arms)]
        header += [f"{a}-{b}" for a, b in PAIRS if a in arms and b in arms]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|---" * len(header) + "|")
        for s in seeds:
            cells = [
                f"{acc[(a, s)]['acc']:.3f} ({acc[(a, s)]['classes_labeled']})"
                if (a, s) in acc
                else "-"
                for a in arms
            ]
            for a, b in PAIRS:
                if a in arms and b in arms:
                    ok = (a, s) in acc and (b, s) in acc
                    d = 100 * (acc[(a, s)]["acc"] - acc[(b, s)]["acc"]) if ok else None
                    cells.append("-" if d is None else f"{d:+.1f}")
            lines.append(f"| {s} | " + " | ".join(cells) + " |")
        for a in arms:
            accs = [acc[(a, s)]["acc"] for s in seeds if (a, s) in acc]
            cpu = [acc[(a, s)]["cpu_s"] for s in seeds if (a, s) in acc]
            lines.append(
                f"{a}: mean acc {np.mean(accs):.3f} (min {np.min(accs):.3f}) over "
                f"{len(accs)} seeds, {np.mean(cpu):.0f} CPU s per training"
            )
        for a, b in PAIRS:
            both = [s for s in seeds if (a, s) in acc and (b, s) in acc]
            if not both:
                continue
            st = paired([acc[(a, s)]["acc"] - acc[(b, s)]["acc"] for s in both])
            ci = (
                "n/a"
                if st["t_ci"] is None
                else f"t [{st['t_ci'][0]:+.1f}, {st['t_ci'][1]:+.1f}], bootstrap "
                f"[{st['boot_ci'][0]:+.1f}, {st['boot_ci'][1]:+.1f}]"
                + ("" if st["p"] is None else f", p = {st['p']:.2g}")
            )
            lines.append(
                f"{a} - {b}: mean {st['mean']:+.1f} points, min {st['min']:+.1f}, "
                f"95% paired CI over {st['n']} seeds: {ci}"
            )
    return "\n".join(lines)


def summary(records):
    """The paired statistics per budget and pair, for the JSON."""
    out = {}
    for labels in sorted({r["labels"] for r in records}):
        acc = {
            (r["arm"], r["seed"]): r["acc"] for r in records if r["labels"] == labels
        }
        for a, b in PAIRS:
            both = sorted(s for (arm, s) in acc if arm == a and (b, s) in acc)
            if both:
                out[f"{labels}:{a}-{b}"] = paired(
                    [acc[(a, s)] - acc[(b, s)] for s in both]
                )
    return out


def save(path, meta, records):
    if path is None:
        return
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(
        json.dumps(dict(meta, records=records, summary=summary(records)), indent=1)
    )
    tmp.replace(path)


def run(args):
    import torch

    from skactive.experiment import run_metadata

    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:  # pragma: no cover
        pass
    path = data_folder(args.data) / FILE
    if not path.exists():
        print(f"{path} not found; pass --data or set SKACTIVE_DATA. Skipped.")
        return 0
    X_pool, y_pool, X_test, y_test = draw(path, args.pool, args.test, args.data_seed)
    data = X_pool, y_pool.astype(np.int64), X_test, y_test
    t_all = time.perf_counter()
    emb, fit_s, cache = embedder(data[0], args)
    probe, knn = sanity(emb, *data)
    print(
        f"embedding sanity: linear probe at 100 labels {probe:.3f}, 10-NN on the "
        f"pool labels {knn:.3f}",
        flush=True,
    )
    cov = coverage(emb, data, args.initial, args.coverage_seeds)
    print(
        f"classes covered by {args.initial} picks over {args.coverage_seeds} seeds "
        "(mean, min; class-distribution distance): "
        + "; ".join(
            f"{k} {v['classes']:.2f}, {v['classes_min']}; {v['class_distance']:.3f}"
            for k, v in cov.items()
        ),
        flush=True,
    )
    if args.coverage_only:
        return 0
    meta = dict(
        coverage=cov,
        settings={k: v for k, v in vars(args).items() if k != "report"},
        dataset="mnist",
        pool=len(data[1]),
        test=len(data[3]),
        net="MixMatchClassifier(SmallCNN(16, 32), defaults, flip=False)",
        embedder=dict(
            name="SimCLR",
            epochs=args.ssl_epochs,
            fit_cpu_s=fit_s,
            cache=cache,
            probe100=probe,
            knn10=knn,
        ),
        budgets=[args.initial + k * args.query for k in range(args.rounds + 1)],
        **run_metadata(),
    )
    records, nets, labeled = [], {}, {}
    # 1. the initial sets, every seed first
    for seed in args.seeds:
        for arm in args.arms:
            if arm == "M" and "P" in args.arms:
                idx, sel = labeled[("P", seed)], 0.0  # P's initial set
                fit = next(
                    {k: r[k] for k in ("acc", "cpu_s", "steps", "backoffs")}
                    for r in records
                    if (r["arm"], r["seed"]) == ("P", seed)
                )
                net = nets[("P", seed)]
            else:
                idx, sel = initial_set(arm, emb, seed, data, args)
                net, fit = train(idx, seed, data, args)
            nets[(arm, seed)], labeled[(arm, seed)] = net, idx
            records.append(record(arm, seed, 0, idx, fit, sel, data))
            save(args.out, meta, records)
            print(
                f"seed {seed} {arm} {len(idx)} labels ({records[-1]['classes_labeled']}"
                f" classes): acc {fit['acc']:.3f}, {fit['cpu_s']:.0f} CPU s, "
                f"{fit['backoffs']} back-off(s)",
                flush=True,
            )
    print(report(records), flush=True)
    # 2. the rounds (M last: it is the optional arm)
    order = [a for a in args.arms if a != "M"] + [a for a in args.arms if a == "M"]
    for round_ in range(1, args.rounds + 1):
        for arm in order:
            for seed in args.seeds:
                key = (arm, seed)
                new, sel = query(
                    arm, nets[key], labeled[key], args.query, seed, round_, data, args
                )
                idx = np.concatenate([labeled[key], new])
                net, fit = train(idx, seed, data, args)
                nets[key], labeled[key] = net, idx
                records.append(record(arm, seed, round_, idx, fit, sel, data))
                save(args.out, meta, records)
                print(
                    f"seed {seed} {arm} round {round_}: {len(idx)} labels "
                    f"({records[-1]['classes_labeled']} classes), acc "
                    f"{fit['acc']:.3f}, select {sel:.0f} CPU s, train "
                    f"{fit['cpu_s']:.0f} CPU s",
                    flush=True,
                )
    print(report(records), flush=True)
    print(f"\n[{time.perf_counter() - t_all:.0f} s wall in all]", flush=True)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="folder of the .npz file")
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--pool", type=int, default=3000)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=ARMS)
    parser.add_argument("--initial", type=int, default=10)
    parser.add_argument("--query", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument("--n-augmentations", type=int, default=50)
    parser.add_argument("--ssl-epochs", type=int, default=30)
    parser.add_argument("--cache", default="/work/benchlogs")
    parser.add_argument(
        "--coverage-seeds",
        type=int,
        default=200,
        help="seeds of the class-coverage check of the initial sets (no training)",
    )
    parser.add_argument(
        "--coverage-only",
        action="store_true",
        help="print the embedding and class-coverage checks, train nothing",
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=None, help="JSON file of the results")
    parser.add_argument(
        "--report", nargs="+", default=None, help="merge result files and report"
    )
    args = parser.parse_args(argv)
    args.arms = [a for a in ARMS if a in args.arms]  # P before M: M reuses P's
    if args.report:
        records = []
        for file in args.report:
            records += json.loads(Path(file).read_text())["records"]
        print(report(records))
        return 0
    if args.quick:
        args.pool, args.test, args.seeds = 600, 500, args.seeds[:2]
        args.steps, args.steps_per_epoch = 30, 10
        args.ssl_epochs, args.n_augmentations = 2, 4
    for name in ("pool", "test", "initial", "query", "steps", "steps_per_epoch"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
