"""Peer comparison: skactive vs scikit-activeml and baal on MNIST and CIFAR-10.

Usage::

    python benchmarks/bench_peers.py                    # default sizes
    python benchmarks/bench_peers.py --quick            # smoke run, ~2 min
    python benchmarks/bench_peers.py --full             # bigger setting
    python benchmarks/bench_peers.py --datasets mnist --repeats 5 --csv out.csv

The data are ``mnist_train10k_test10k.npz`` (pool: the 10,000 training
images, test: 10,000) and ``cifar10_jpeg_10k_2k.npz`` (pool 10,000, test
2,000) from ``--data`` (default: ``$SKACTIVE_DATA``, else ``../shared/data``
beside the repository). A missing data file or peer library is reported and
skipped; with nothing left to run the script exits with status 0.

Protocol
--------
One shared loop runs every (library, method) pair, so the protocol is
identical and only the selection call differs. Per repeat (seed):

* an initial set of ``--initial`` pool rows is drawn at random (seeded by the
  repeat) and is the same for every library and method;
* the **same model** is used by every library: a
  :class:`skactive.nets.DeepClassifier` wrapping a dropout
  :class:`skactive.nets.MLP` (one hidden layer of 256 ReLU units, dropout 0.5
  before the final layer; Adam, lr 1e-3, batch 32, ``--epochs`` epochs) on the
  pixels scaled to [0, 1]. The MLP flattens the images itself, so the same
  net takes the image batches the augmentation strategies need. It is
  refitted from scratch every round on the labeled rows *sorted by index*,
  with a seed derived from ``(repeat, round)`` only, so two libraries that
  pick the same rows train bit-identical nets. The round-0 net is fitted once
  per repeat and shared by all runs;
* ``--rounds`` rounds of ``--batch`` picks; after each round the net is
  refitted and its accuracy on the test set recorded. Every strategy gets the
  same seed in a given ``(repeat, round)``.

Each library calls the model through its own API:

* **skactive** -- the strategy objects of :mod:`skactive.strategies`, called
  with the fitted net and the unlabeled rows (``X_labeled`` / ``y_labeled``
  where a strategy uses them).
* **scikit-activeml** -- ``skactiveml.pool`` strategies on the whole pool with
  ``y = NaN`` for unlabeled rows, ``fit_clf=False``, and the fitted net behind
  a thin :class:`~skactiveml.base.SkactivemlClassifier` adapter (its
  ``predict_proba`` and ``predict_proba_samples`` call the very same net).
  random: ``RandomSampling``; entropy / margin: ``UncertaintySampling``
  (``"entropy"``, ``"margin_sampling"``); BALD: ``GreedyBALD`` (top-k BALD)
  on the net's MC-dropout samples; core-set: ``CoreSet`` on the net's
  penultimate embeddings of the whole pool (it has no model argument: it runs
  on ``X``); BADGE: ``Badge`` with ``clf_embedding_flag_name``, so the
  adapter returns ``(probas, embeddings)``.
* **baal** -- the heuristics of :mod:`baal.active.heuristics` (``Random``,
  ``Entropy``, ``Margin``, ``BALD``) ranking the predictions of the net: the
  deterministic ``predict_proba`` ``(n, C)`` for entropy and margin, the
  MC-dropout samples transposed to baal's ``(n, C, T)`` for BALD, and, like
  baal's ``ActiveLearningLoop``, a placeholder array (no forward pass) for
  ``Random``. The first ``--batch`` ranks are taken. baal has no core-set or
  BADGE heuristic.

MC dropout uses ``--mc-samples`` passes (T). Where the net's MC samples are
drawn by the benchmark (scikit-activeml, baal) they are seeded with the round
seed; skactive's ``BALD`` seeds its own. Dropout sits only before the final
layer of this MLP, so the MC samples perturb that layer.

Timing
------
Times are process CPU seconds per round (``time.process_time``), with torch,
BLAS and OpenMP limited to ``--threads`` (default 1) threads, so they are
close to the wall time on an idle core and little affected by other jobs on
a shared machine (the wall time of the selection call is kept in the CSV).
``select s`` is the whole selection call (what a user waits for),
``forward s`` the part spent inside the net's inference methods
(``predict_proba``, ``predict_proba_with_embedding``, ``embed``,
``predict_proba_samples``, ``predict_proba_augmented``; measured by wrapping
them on the fitted net), and ``acq s`` the rest: the library's own scoring,
selection and validation. For baal the forward pass is ours by construction
and ``acq s`` is the heuristic call alone. Ratios are peer / skactive within
this run; for each method the libraries run back to back.

Reading the tables
------------------
Table 1 (cross-check), per dataset and method: the normalised learning-curve
AUC (:func:`skactive.metrics.learning_curve_auc`, from ``--initial`` to
the final label count; mean +- standard error over repeats), the final
accuracy, selection times, the time ratios, the fraction of round-1 picks
equal to skactive's (all libraries select from the same round-0 net, so for
deterministic methods this is the cleanest correctness check; random picks
come from different generators and should overlap only by chance), whether
the first pick of round 1 is the same (BADGE's first centre is the row of
largest gradient norm in both libraries; its later picks are random draws),
and the AUC difference to skactive with its combined standard error
``sqrt(se_a^2 + se_b^2)``. The verdict is ``identical`` when every curve is
equal, ``within noise`` when ``|diff| <= 2 * combined SE``, else ``DIFFERS``.
BALD picks depend on the MC-dropout masks: skactive's ``BALD`` draws its own,
so its round-1 overlap with the peers measures MC noise; the line under the
table scores the peers' own samples with :func:`skactive.scores.bald` and
:func:`skactive.selection.top_k` and reports the shared fraction of picks,
which isolates the scoring and ranking.

Table 2 (seed methods vs classic, skactive only): AUC mean +- SE, final
accuracy and the paired AUC difference to random with a 95% Student-t
interval over repeats (:meth:`skactive.experiment.SimulationResult.summary`);
an interval above 0 means the method beats random at this budget. Classic:
random, entropy, margin, BALD, core-set, BADGE. Seed methods: Consistency
and ConsistencyEmbedding (Buchert et al. 2023; ``"standard"`` augmentations,
``--n-augmentations`` views), EPMCM (DAST-AL; closed form, class covariances
estimated from the embeddings of the labeled rows since the net is not an
ISDA net) and WeibullOutlier (DALBT).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import data_folder  # noqa: E402  (benchmarks/_data.py)
from _timing import ForwardTimer  # noqa: E402  (benchmarks/_timing.py)

# inference methods whose CPU time counts as the forward pass
NET_METHODS = (
    "predict_proba",
    "predict_proba_with_embedding",
    "embed",
    "predict_proba_samples",
    "predict_proba_augmented",
)

FILES = {
    "mnist": "mnist_train10k_test10k.npz",
    "cifar10": "cifar10_jpeg_10k_2k.npz",
}
CLASSIC = ("random", "entropy", "margin", "BALD", "core-set", "BADGE")
SEED_METHODS = ("Consistency", "ConsistencyEmbedding", "EPMCM", "WeibullOutlier")
SKACTIVE, SKAL, BAAL = "skactive", "scikit-activeml", "baal"

# pool / test None: all rows of the file
SIZES = {
    "quick": dict(
        pool=1500,
        test=1000,
        initial=50,
        rounds=3,
        batch=20,
        repeats=2,
        epochs=10,
        mc_samples=5,
        n_augmentations=3,
    ),
    "default": dict(
        pool=None,
        test=None,
        initial=100,
        rounds=8,
        batch=50,
        repeats=3,
        epochs=20,
        mc_samples=20,
        n_augmentations=10,
    ),
    "full": dict(
        pool=None,
        test=None,
        initial=100,
        rounds=10,
        batch=100,
        repeats=5,
        epochs=50,
        mc_samples=20,
        n_augmentations=20,
    ),
}


# --------------------------------------------------------------------- timing


def _seed(*keys):
    """A 32-bit seed derived from ``keys`` (same keys, same seed)."""
    return int(np.random.SeedSequence(list(keys)).generate_state(1)[0])


# ----------------------------------------------------------------------- data
def load_dataset(path, n_pool, n_test):
    """Float32 images in [0, 1]; ``n_pool`` / ``n_test`` rows (None: all)."""
    with np.load(path) as d:
        X, y, Xt, yt = d["X_train"], d["y_train"], d["X_test"], d["y_test"]
    rng = np.random.RandomState(12345)
    if n_pool is not None and n_pool < len(y):
        keep = np.sort(rng.choice(len(y), n_pool, replace=False))
        X, y = X[keep], y[keep]
    if n_test is not None and n_test < len(yt):
        keep = np.sort(rng.choice(len(yt), n_test, replace=False))
        Xt, yt = Xt[keep], yt[keep]
    scale = np.float32(1.0 / 255.0)
    return (
        X.astype(np.float32) * scale,
        y.astype(np.int64),
        Xt.astype(np.float32) * scale,
        yt.astype(np.int64),
    )


# ---------------------------------------------------------------------- model
def make_net(args, seed):
    from skactive.nets import MLP, DeepClassifier

    return DeepClassifier(
        MLP,
        module__hidden_units=(256,),
        module__dropout=0.5,
        max_epochs=args.epochs,
        batch_size=32,
        iterator_valid__batch_size=1024,
        lr=1e-3,
        classes=np.arange(10),
        random_state=seed,
    )


class FitCache:
    """Fitted nets and their test accuracy, keyed by (seed, labeled set).

    Fitting is deterministic given the seed and the labeled rows (sorted), so
    a run whose picks equal an earlier run's reuses that net instead of
    training an identical one. Cleared between repeats to bound memory.
    """

    def __init__(self, args, X, y, X_test, y_test, timer):
        self.args, self.X, self.y = args, X, y
        self.X_test, self.y_test, self.timer = X_test, y_test, timer
        self.nets = {}
        self.hits = self.misses = 0

    def clear(self):
        self.nets.clear()

    def get(self, labeled, seed):
        """``(net, test accuracy, seconds spent fitting and testing)``."""
        rows = np.sort(labeled)  # training order independent of the pick order
        key = (seed, rows.tobytes())
        if key in self.nets:
            self.hits += 1
            net, acc = self.nets[key]
            return net, acc, 0.0
        self.misses += 1
        t0 = time.perf_counter()
        net = make_net(self.args, seed).fit(self.X[rows], self.y[rows])
        acc = float(np.mean(net.predict(self.X_test) == self.y_test))
        net = self.timer.wrap(net)
        self.nets[key] = (net, acc)
        return net, acc, time.perf_counter() - t0


# ------------------------------------------------------------------ selection
class Round:
    """What a selection call may use; data slices are built outside the timer."""

    def __init__(self, net, X, y, labeled, n, seed, args):
        self.net, self.X, self.n, self.seed, self.args = net, X, n, seed, args
        self.labeled = labeled
        mask = np.ones(len(X), dtype=bool)
        mask[labeled] = False
        self.unlabeled = np.flatnonzero(mask)
        self.X_pool = X[self.unlabeled]
        self.X_labeled = X[labeled]
        self.y_labeled = y[labeled]
        self.y_partial = np.full(len(X), np.nan)  # scikit-activeml's view
        self.y_partial[labeled] = y[labeled]
        self.adapter = None


def skactive_selectors(args):
    from skactive.strategies import (
        BADGE,
        BALD,
        EPMCM,
        Consistency,
        ConsistencyEmbedding,
        CoreSet,
        RandomSampling,
        UncertaintySampling,
        WeibullOutlier,
    )

    def pool_call(factory, **kw):
        def select(c):
            strategy = factory(c)
            extra = {k: getattr(c, v) for k, v in kw.items()}
            return c.unlabeled[strategy(c.net, c.X_pool, c.n, **extra)]

        return select

    lab = dict(X_labeled="X_labeled")
    lab_y = dict(X_labeled="X_labeled", y_labeled="y_labeled")
    return {
        "random": pool_call(lambda c: RandomSampling(random_state=c.seed)),
        "entropy": pool_call(
            lambda c: UncertaintySampling("entropy", random_state=c.seed)
        ),
        "margin": pool_call(
            lambda c: UncertaintySampling("margin", random_state=c.seed)
        ),
        "BALD": pool_call(lambda c: BALD(c.args.mc_samples, random_state=c.seed)),
        "core-set": pool_call(lambda c: CoreSet(random_state=c.seed), **lab),
        "BADGE": pool_call(lambda c: BADGE(random_state=c.seed)),
        "Consistency": pool_call(
            lambda c: Consistency(
                "standard", c.args.n_augmentations, random_state=c.seed
            )
        ),
        "ConsistencyEmbedding": pool_call(
            lambda c: ConsistencyEmbedding(
                "standard", c.args.n_augmentations, random_state=c.seed
            ),
            **lab,
        ),
        "EPMCM": pool_call(lambda c: EPMCM(random_state=c.seed), **lab_y),
        "WeibullOutlier": pool_call(
            lambda c: WeibullOutlier(random_state=c.seed), **lab_y
        ),
    }


def skactiveml_selectors(args):
    from skactiveml.base import SkactivemlClassifier
    from skactiveml.pool import (
        Badge,
        CoreSet,
        GreedyBALD,
        RandomSampling,
        UncertaintySampling,
    )
    from skactiveml.utils import MISSING_LABEL

    class NetClassifier(SkactivemlClassifier):
        """scikit-activeml view of a skactive net: every call goes to that net."""

        def __init__(
            self,
            net=None,
            input_shape=None,
            classes=None,
            missing_label=MISSING_LABEL,
            cost_matrix=None,
            random_state=None,
        ):
            super().__init__(
                classes=classes,
                missing_label=missing_label,
                cost_matrix=cost_matrix,
                random_state=random_state,
            )
            self.net = net
            self.input_shape = input_shape

        def _rows(self, X):
            X = np.asarray(X)
            return X.reshape(len(X), *self.input_shape)

        def fit(self, X, y, sample_weight=None):
            y = np.asarray(y, dtype=float)
            keep = ~np.isnan(y)
            self.net.fit(self._rows(X)[keep], y[keep].astype(np.int64))
            return self.mark_fitted()

        def mark_fitted(self):
            self.classes_ = np.asarray(self.net.classes_)
            return self

        def predict_proba(self, X, return_embeddings=False):
            if return_embeddings:
                return self.net.predict_proba_with_embedding(self._rows(X))
            return self.net.predict_proba(self._rows(X))

        def predict_proba_samples(self, X, n_samples=20, random_state=None):
            # (T, n, C): scikit-activeml's (n_members, n_samples, n_classes)
            return self.net.predict_proba_samples(
                self._rows(X), n_samples, random_state=random_state
            )

    def adapter(c):
        if c.adapter is None:
            c.adapter = NetClassifier(c.net, c.X.shape[1:]).mark_fitted()
        return c.adapter

    def uncertainty(method):
        def select(c):
            qs = UncertaintySampling(method=method, random_state=c.seed)
            return qs.query(
                c.X, c.y_partial, clf=adapter(c), fit_clf=False, batch_size=c.n
            )

        return select

    def random(c):
        qs = RandomSampling(random_state=c.seed)
        return qs.query(c.X, c.y_partial, batch_size=c.n)

    def bald(c):
        qs = GreedyBALD(
            sample_predictions_method_name="predict_proba_samples",
            sample_predictions_dict=dict(
                n_samples=c.args.mc_samples, random_state=c.seed
            ),
            random_state=c.seed,
        )
        return qs.query(
            c.X, c.y_partial, ensemble=adapter(c), fit_ensemble=False, batch_size=c.n
        )

    def coreset(c):
        emb = c.net.embed(c.X)  # CoreSet runs on X itself: give it embeddings
        return CoreSet(random_state=c.seed).query(emb, c.y_partial, batch_size=c.n)

    def badge(c):
        qs = Badge(clf_embedding_flag_name="return_embeddings", random_state=c.seed)
        return qs.query(c.X, c.y_partial, clf=adapter(c), fit_clf=False, batch_size=c.n)

    return {
        "random": random,
        "entropy": uncertainty("entropy"),
        "margin": uncertainty("margin_sampling"),
        "BALD": bald,
        "core-set": coreset,
        "BADGE": badge,
    }


def baal_selectors(args):
    from baal.active import heuristics

    def ranked(heuristic_factory, predictions):
        def select(c):
            preds = predictions(c)
            ranks = heuristic_factory(c)(preds)
            return c.unlabeled[np.asarray(ranks)[: c.n]]

        return select

    def placeholder(c):  # baal's ActiveLearningLoop skips the model for Random
        return np.zeros((len(c.unlabeled), 1))

    def proba(c):
        return c.net.predict_proba(c.X_pool)

    def mc(c):
        samples = c.net.predict_proba_samples(
            c.X_pool, c.args.mc_samples, random_state=c.seed
        )
        return samples.transpose(1, 2, 0)  # (T, n, C) -> baal's (n, C, T)

    return {
        "random": ranked(lambda c: heuristics.Random(seed=c.seed), placeholder),
        "entropy": ranked(lambda c: heuristics.Entropy(), proba),
        "margin": ranked(lambda c: heuristics.Margin(), proba),
        "BALD": ranked(lambda c: heuristics.BALD(), mc),
    }


def available_libraries(args):
    libs = {SKACTIVE: skactive_selectors(args)}
    for name, factory, module in (
        (SKAL, skactiveml_selectors, "skactiveml"),
        (BAAL, baal_selectors, "baal"),
    ):
        if name not in args.libraries:
            continue
        try:
            libs[name] = factory(args)
        except ImportError as exc:
            print(f"note: {module} is not importable ({exc}); {name} is skipped.")
    return libs


# ----------------------------------------------------------------------- loop
def run_dataset(name, data, libs, args):
    """Records (one per library, method, repeat and round) and round-1 picks.

    The libraries run one after the other for each method (interleaved), so
    the time ratios compare runs made under similar machine load.
    """
    X, y, Xt, yt = data
    timer = ForwardTimer(NET_METHODS, clock=time.process_time)
    runs = [
        (lib, m)
        for m in CLASSIC + SEED_METHODS
        if m in args.methods
        for lib in (SKACTIVE, SKAL, BAAL)
        if lib in libs and m in libs[lib]
    ]
    cache = FitCache(args, X, y, Xt, yt, timer)
    records, first_picks, bald_check = [], {}, {}
    for rep in range(args.repeats):
        rng = np.random.RandomState(_seed(args.seed, rep, 0))
        initial = np.sort(rng.choice(len(X), args.initial, replace=False))
        cache.clear()
        net0, acc0, fit0 = cache.get(initial, _seed(args.seed, rep, 0, 1))
        for lib, method in runs:
            select = libs[lib][method]
            labeled, net = initial, net0
            rows = [_record(lib, method, rep, 0, len(labeled), acc0, fit0)]
            for r in range(1, args.rounds + 1):
                ctx = Round(
                    net, X, y, labeled, args.batch, _seed(args.seed, rep, r, 2), args
                )
                timer.seconds = 0.0
                t0, c0 = time.perf_counter(), time.process_time()
                picks = select(ctx)
                cpu_s = time.process_time() - c0
                wall_s = time.perf_counter() - t0
                forward_s = timer.seconds
                picks = np.asarray(picks, dtype=np.int64).ravel()
                _check_picks(picks, labeled, len(X), args.batch, lib, method)
                if r == 1:
                    first_picks[(lib, method, rep)] = picks
                labeled = np.concatenate([labeled, picks])
                net, acc, fit_s = cache.get(labeled, _seed(args.seed, rep, r, 1))
                rec = _record(lib, method, rep, r, len(labeled), acc, fit_s)
                rec.update(
                    select_wall_seconds=wall_s,
                    select_seconds=cpu_s,
                    forward_seconds=forward_s,
                    acquisition_seconds=cpu_s - forward_s,
                )
                rows.append(rec)
            records += rows
            sel = np.mean([q["select_seconds"] for q in rows[1:]])
            print(
                f"  [{name} repeat {rep}] {lib:<15} {method:<20} "
                f"acc {rows[0]['accuracy']:.3f} -> {rows[-1]['accuracy']:.3f}, "
                f"select {sel:.3f} CPU s/round",
                flush=True,
            )
        if (SKACTIVE, "BALD", rep) in first_picks:
            bald_check.update(
                _bald_same_samples(net0, X, initial, rep, first_picks, args)
            )
    print(
        f"  ({name}: {cache.misses} nets trained, {cache.hits} rounds reused an "
        "identical net)"
    )
    return records, first_picks, bald_check


def _bald_same_samples(net, X, initial, rep, first_picks, args):
    """Round-1 BALD picks of skactive's scorer on the peers' own MC samples.

    The peers drew their samples through ``predict_proba_samples`` with the
    round seed; the same call gives the same samples, which are scored here by
    :func:`skactive.scores.bald` and :func:`skactive.selection.top_k`. Returns
    ``{(peer, repeat): fraction of shared picks}``.
    """
    from skactive.scores import bald
    from skactive.selection import top_k

    peers = [p for p in (SKAL, BAAL) if (p, "BALD", rep) in first_picks]
    if not peers:
        return {}
    seed = _seed(args.seed, rep, 1, 2)
    unlabeled = np.setdiff1d(np.arange(len(X)), initial)
    samples = net.predict_proba_samples(
        X[unlabeled], args.mc_samples, random_state=seed
    )
    ours = unlabeled[top_k(bald(samples), args.batch, random_state=seed)]
    return {
        (p, rep): len(np.intersect1d(ours, first_picks[(p, "BALD", rep)])) / args.batch
        for p in peers
    }


def _record(lib, method, rep, r, n_labels, acc, fit_s):
    return {
        "strategy": f"{lib}:{method}",
        "library": lib,
        "method": method,
        "repeat": rep,
        "round": r,
        "n_labels": int(n_labels),
        "accuracy": acc,
        "fit_seconds": fit_s,
        "select_wall_seconds": float("nan"),
        "select_seconds": float("nan"),
        "forward_seconds": float("nan"),
        "acquisition_seconds": float("nan"),
    }


def _check_picks(picks, labeled, n_pool, n, lib, method):
    bad = (
        len(picks) != n
        or len(np.unique(picks)) != n
        or picks.min() < 0
        or picks.max() >= n_pool
        or np.isin(picks, labeled).any()
    )
    if bad:
        raise RuntimeError(
            f"{lib} {method} returned invalid picks (need {n} unique unlabeled "
            f"pool rows): {picks[:10]}..."
        )


# --------------------------------------------------------------------- tables
def _stats(records, lib, method):
    from skactive.experiment import SimulationResult

    rows = [r for r in records if r["library"] == lib and r["method"] == method]
    if not rows:
        return None
    res = SimulationResult(rows)
    x, curves = res.curves()[f"{lib}:{method}"]
    auc = res.auc()[f"{lib}:{method}"]
    timed = [r for r in rows if r["round"] > 0]
    n = len(auc)
    return dict(
        curves=curves,
        auc=auc,
        auc_mean=float(auc.mean()),
        auc_sem=float(auc.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0,
        final=float(curves[:, -1].mean()),
        select=float(np.mean([r["select_seconds"] for r in timed])),
        forward=float(np.mean([r["forward_seconds"] for r in timed])),
        acq=float(np.mean([r["acquisition_seconds"] for r in timed])),
    )


def _print_table(title, header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True))
    print(f"\n{title}\n{line}\n{'-' * len(line)}")
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    sys.stdout.flush()


def _ratio(a, b):
    return f"{a / b:.2f}" if b > 0 else "n/a"


def cross_check_table(name, records, first_picks, bald_check, args):
    rows = []
    for method in CLASSIC:
        ours = _stats(records, SKACTIVE, method)
        if ours is None:
            continue
        for lib in (SKACTIVE, SKAL, BAAL):
            st = ours if lib == SKACTIVE else _stats(records, lib, method)
            if st is None:
                continue
            row = [
                method,
                lib,
                f"{st['auc_mean']:.4f} ± {st['auc_sem']:.4f}",
                f"{st['final']:.4f}",
                f"{st['select']:.3f}",
                f"{st['forward']:.3f}",
                f"{st['acq']:.4f}",
            ]
            if lib == SKACTIVE:
                row += ["1", "1", "-", "-", "-", "-"]
            else:
                pairs = [
                    (
                        first_picks[(lib, method, rep)],
                        first_picks[(SKACTIVE, method, rep)],
                    )
                    for rep in range(args.repeats)
                ]
                same = [len(np.intersect1d(a, b)) / args.batch for a, b in pairs]
                first = [a[0] == b[0] for a, b in pairs]
                diff = st["auc_mean"] - ours["auc_mean"]
                se = math.hypot(st["auc_sem"], ours["auc_sem"])
                if np.array_equal(st["curves"], ours["curves"]):
                    verdict = "identical"
                elif abs(diff) <= 2 * se:
                    verdict = "within noise"
                else:
                    verdict = "DIFFERS"
                row += [
                    _ratio(st["select"], ours["select"]),
                    _ratio(st["acq"], ours["acq"]),
                    f"{np.mean(same):.2f}",
                    f"{sum(first)}/{len(first)}",
                    f"{diff:+.4f} ± {se:.4f}",
                    verdict,
                ]
            rows.append(row)
    _print_table(
        f"Table 1 [{name}] cross-check: same protocol, same net, "
        f"{args.repeats} repeats (AUC mean ± SE; CPU seconds per round)",
        [
            "method",
            "library",
            "AUC",
            "final acc",
            "select s",
            "forward s",
            "acq s",
            "select ratio",
            "acq ratio",
            "round-1 same picks",
            "1st pick same",
            "ΔAUC vs skactive ± SE",
            "verdict",
        ],
        rows,
    )
    for peer in (SKAL, BAAL):
        shares = [v for (p, _), v in sorted(bald_check.items()) if p == peer]
        if shares:
            print(
                f"BALD on {peer}'s own MC samples (round 1): skactive.scores.bald "
                f"+ top_k shares {', '.join(f'{v:.2f}' for v in shares)} of the "
                "picks (per repeat); the round-1 overlap above differs only by "
                "the MC masks, which skactive's BALD draws itself."
            )


def seed_methods_table(name, records, args):
    from skactive.experiment import SimulationResult

    ours = [r for r in records if r["library"] == SKACTIVE]
    if not ours:
        return
    res = SimulationResult(ours)
    summary = {s["strategy"]: s for s in res.summary(baseline=f"{SKACTIVE}:random")}
    rows = []
    for method in CLASSIC + SEED_METHODS:
        s = summary.get(f"{SKACTIVE}:{method}")
        if s is None:
            continue
        st = _stats(records, SKACTIVE, method)
        if "diff_mean" in s:
            diff = (
                f"{s['diff_mean']:+.4f} [{s['diff_low']:+.4f}, {s['diff_high']:+.4f}]"
            )
        else:
            diff = "-"
        kind = "classic" if method in CLASSIC else "seed"
        rows.append(
            [
                method,
                kind,
                f"{s['auc_mean']:.4f} ± {s['auc_sem']:.4f}",
                f"{s['final_mean']:.4f}",
                diff,
                f"{st['select']:.3f}",
            ]
        )
    _print_table(
        f"Table 2 [{name}] seed methods vs classic (skactive), "
        f"{args.repeats} paired repeats",
        [
            "method",
            "kind",
            "AUC",
            "final acc",
            "ΔAUC vs random [95% CI]",
            "select s",
        ],
        rows,
    )


# ----------------------------------------------------------------------- main
def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smoke run (~2 min)")
    size.add_argument("--full", action="store_true", help="bigger setting")
    p.add_argument("--data", default=None, help="folder with the .npz files")
    p.add_argument("--datasets", nargs="+", choices=sorted(FILES), default=None)
    p.add_argument(
        "--libraries",
        nargs="+",
        choices=[SKAL, BAAL],
        default=[SKAL, BAAL],
        help="peers to compare (skactive always runs)",
    )
    p.add_argument(
        "--methods",
        nargs="+",
        choices=CLASSIC + SEED_METHODS,
        default=list(CLASSIC + SEED_METHODS),
    )
    for key, kind in (
        ("pool", int),
        ("test", int),
        ("initial", int),
        ("rounds", int),
        ("batch", int),
        ("repeats", int),
        ("epochs", int),
        ("mc_samples", int),
        ("n_augmentations", int),
    ):
        p.add_argument("--" + key.replace("_", "-"), type=kind, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--csv", default=None, help="write every round's record here")
    args = p.parse_args(argv)
    args.size = "quick" if args.quick else "full" if args.full else "default"
    for key, value in SIZES[args.size].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.datasets is None:
        args.datasets = ["mnist"] if args.quick else ["mnist", "cifar10"]
    return args


def main(argv=None):
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    try:  # the same thread count for BLAS / OpenMP in every library
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:
        pass
    data_dir = data_folder(args.data)
    paths = {d: data_dir / FILES[d] for d in args.datasets}
    missing = [d for d, p in paths.items() if not p.is_file()]
    for d in missing:
        print(
            f"{d}: data file {paths[d]} not found (pass --data DIR or set "
            "SKACTIVE_DATA); skipped."
        )
    datasets = [d for d in args.datasets if d not in missing]
    if not datasets:
        print("No data file found: nothing to benchmark.")
        return 0
    libs = available_libraries(args)
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for dist in (SKACTIVE, *(lib for lib in (SKAL, BAAL) if lib in libs)):
        try:
            versions.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            pass
    print(
        f"bench_peers ({args.size}): datasets {datasets}; pool "
        f"{args.pool or 'all'}, test {args.test or 'all'}; initial {args.initial}, "
        f"{args.rounds} rounds x {args.batch}, {args.repeats} repeats (seed "
        f"{args.seed}); net DeepClassifier(MLP hidden 256, dropout 0.5), "
        f"{args.epochs} epochs, batch 32, Adam lr 1e-3, refitted from scratch "
        f"every round; MC samples T={args.mc_samples}, augmentations "
        f"N_a={args.n_augmentations}; libraries {list(libs)}; methods "
        f"{args.methods}; torch {torch.__version__}, {args.threads} thread(s); "
        f"{', '.join(versions)}",
        flush=True,
    )
    all_records = []
    for name in datasets:
        t0 = time.perf_counter()
        data = load_dataset(paths[name], args.pool, args.test)
        print(f"\n{name}: pool {data[0].shape}, test {data[2].shape}", flush=True)
        records, first_picks, bald_check = run_dataset(name, data, libs, args)
        for r in records:
            r["dataset"] = name
        all_records += records
        cross_check_table(name, records, first_picks, bald_check, args)
        seed_methods_table(name, records, args)
        print(f"({name}: {time.perf_counter() - t0:.0f} s)", flush=True)
    if args.csv:
        from skactive.experiment import SimulationResult

        SimulationResult(all_records).to_csv(args.csv)
        print(f"records written to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
