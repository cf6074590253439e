"""Per-round selection time of every strategy on an MNIST pool, and AL runs.

**Selection time.** A :class:`~skactive.nets.DeepClassifier` wrapping a
:class:`~skactive.nets.SmallCNN` is trained briefly on 100 labeled MNIST
images; every strategy then selects ``--n`` rows from the remaining 9,900
(the MNIST file holds the first 10,000 training images). The selection time
is split into

* **forward**: time spent inside the net's own inference calls
  (``predict_proba``, ``predict_proba_samples``, ``predict_proba_augmented``,
  ``predict_proba_with_embedding``, ``embed``, ``predict``, ``infer``),
  measured by wrapping those methods on the fitted nets (outermost call only,
  so nested calls are not counted twice). The augmentations of
  ``predict_proba_augmented`` run inside it, on the batches it forwards, so
  they count as forward time;
* **acquisition**: the rest of the strategy call, i.e. validation, the pure
  scoring and the selection.

Training uses batches of 32, inference batches of 512 rows.

* Query by committee uses a committee of three such nets (different seeds).
* CAL, CoreSet, ConsistencyEmbedding, WeibullOutlier and EPMCM with
  ``covariance="labeled"`` get the 100 labeled images as ``X_labeled`` (and
  ``y_labeled``).
* EPMCM(isda) uses an :class:`~skactive.nets.ISDAClassifier` trained the same
  way, whose ``class_covariances_`` give the feature covariances.
* The MC-dropout strategies draw ``--n-samples`` samples (default ``T = 10``)
  and Consistency and ConsistencyEmbedding use ``--n-augmentations``
  augmented copies per row (default 10 rather than the strategies' 50), to
  keep the whole run within about 25 minutes on one CPU thread: both the
  forward and the acquisition time grow linearly with ``T`` and ``N_a``, so
  the split does not depend on them (BatchBALD's greedy joint entropies grow
  with ``T`` too).
* LabelDispersion needs no forward pass at query time: the net carries a
  :class:`~skactive.strategies.dispersion.PredictionRecorder` that predicts
  the pool after every training epoch, so its forward time is that recording
  (measured during training) and its selection time is recording + query.
  The recorder restores torch's random state, so the net trains exactly as
  without it, and the same net serves every strategy.

**Active learning.** ``--al-rounds`` rounds of ``--al-batch`` picks from an
MNIST pool of ``--al-pool`` images, starting from ``--al-initial`` random
labels (the same initial set and seeds for every strategy), with the SmallCNN
retrained from scratch for ``--al-epochs`` epochs every round (batches of 16:
with the timing net's batches of 32 the first rounds take too few steps to
learn anything; a learning rate of 3e-3 sometimes diverges), run by
:func:`skactive.experiment.simulate`; test accuracy on ``--al-test`` MNIST
test images after every round, per strategy, with random sampling as the
reference. Nets, committee and ISDA net are built as above; EPMCM(isda) uses
the ISDA net, the committee strategies a three-net committee (evaluated by
its averaged probabilities, hence a different round-0 accuracy), and
LabelDispersion a net whose recorder is pointed at the learner's current pool
before every fit. MC-dropout strategies use ``--al-n-samples`` samples;
BatchBALD enumerates or samples at most 1,000 label configurations (instead of
16,384) to keep its 100-row greedy batches affordable on a CPU.

The strategies are extended by other modules over time: add a row to
``strategies()`` (and ``al_strategies()``) to time a new one.

Usage::

    python benchmarks/bench_strategies.py [--data PATH] [--n 10] [--quick]
        [--skip NAME ...] [--skip-al] [--skip-timing] [--al-rounds 5]

``--data`` defaults to ``$SKACTIVE_DATA`` or ``../shared/data/
mnist_train10k_test10k.npz`` beside the repository; without the file the
script says so and exits with status 0. Torch runs on ``--threads`` threads
(1 by default, so the timings do not depend on the machine's core count).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from skactive.experiment import simulate
from skactive.nets import DeepClassifier, ISDAClassifier, SmallCNN
from skactive.strategies import BADGE, CoreSet, RandomSampling, UncertaintySampling
from skactive.strategies.bayesian import (
    BALD,
    BatchBALD,
    MaxEntropy,
    MeanSTD,
    VariationRatios,
)
from skactive.strategies.cal import CAL
from skactive.strategies.committee import QueryByCommittee
from skactive.strategies.consistency import Consistency, ConsistencyEmbedding
from skactive.strategies.dispersion import LabelDispersion, PredictionRecorder
from skactive.strategies.epmcm import EPMCM
from skactive.strategies.gradient import ExpectedGradientLength
from skactive.strategies.weibull import WeibullOutlier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import ForwardTimer  # noqa: E402  (benchmarks/_timing.py)

DEFAULT_DATA = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "mnist_train10k_test10k.npz"
)


def load_mnist(path):
    if path is None or not Path(path).is_file():
        print(
            f"MNIST data not found at {path!s}: pass --data PATH or set "
            "SKACTIVE_DATA to mnist_train10k_test10k.npz (see "
            "../shared/data/README.md). Skipping the benchmark."
        )
        sys.exit(0)
    with np.load(path) as f:
        return f["X_train"], f["y_train"], f["X_test"], f["y_test"]


# ------------------------------------------------------------------ strategies
def strategies(args, X_lab, y_lab):
    """``(name, strategy, estimator key, query kwargs)`` rows of the table."""
    T, Na = args.n_samples, args.n_augmentations
    lab = {"X_labeled": X_lab}
    lab_y = {"X_labeled": X_lab, "y_labeled": y_lab}
    return [
        ("Entropy", UncertaintySampling("entropy", random_state=0), "net", {}),
        ("Margin", UncertaintySampling("margin", random_state=0), "net", {}),
        (
            "LeastConfidence",
            UncertaintySampling("least_confidence", random_state=0),
            "net",
            {},
        ),
        ("BALD", BALD(T, random_state=0), "net", {}),
        ("VariationRatios", VariationRatios(T, random_state=0), "net", {}),
        ("MeanSTD", MeanSTD(T, random_state=0), "net", {}),
        ("MaxEntropy", MaxEntropy(T, random_state=0), "net", {}),
        ("ExpectedGradientLength", ExpectedGradientLength(random_state=0), "net", {}),
        ("CAL", CAL(random_state=0), "net", lab),
        (
            "QueryByCommittee(vote_entropy)",
            QueryByCommittee(measure="vote_entropy", random_state=0),
            "committee",
            {},
        ),
        (
            "QueryByCommittee(max_disagreement)",
            QueryByCommittee(measure="max_disagreement", random_state=0),
            "committee",
            {},
        ),
        (
            f"Consistency(N_a={Na})",
            Consistency(n_augmentations=Na, random_state=0),
            "net",
            {},
        ),
        (
            f"ConsistencyEmbedding(N_a={Na})",
            ConsistencyEmbedding(n_augmentations=Na, random_state=0),
            "net",
            lab,
        ),
        ("EPMCM(isda)", EPMCM("isda", random_state=0), "isda", {}),
        ("EPMCM(labeled)", EPMCM("labeled", random_state=0), "net", lab_y),
        ("WeibullOutlier", WeibullOutlier(random_state=0), "net", lab_y),
        ("LabelDispersion", LabelDispersion(random_state=0), "net", {}),
        ("CoreSet", CoreSet(random_state=0), "net", lab),
        ("BADGE", BADGE(random_state=0), "net", {}),
        ("BatchBALD", BatchBALD(T, random_state=0), "net", {}),
    ]


def al_strategies(args):
    """``{estimator key: {name: strategy}}`` of the active-learning runs."""
    T, Na = args.al_n_samples, args.n_augmentations
    return {
        "net": {
            "Random": RandomSampling(),
            "Entropy": UncertaintySampling("entropy"),
            "Margin": UncertaintySampling("margin"),
            "LeastConfidence": UncertaintySampling("least_confidence"),
            "BALD": BALD(T),
            "VariationRatios": VariationRatios(T),
            "MeanSTD": MeanSTD(T),
            "MaxEntropy": MaxEntropy(T),
            # M ~ 1,000 sampled label configurations instead of 16,384: the
            # greedy joint entropies of 100-row batches would otherwise cost
            # minutes per round on a CPU
            "BatchBALD": BatchBALD(T, max_configurations=1000),
            "ExpectedGradientLength": ExpectedGradientLength(),
            "CAL": CAL(),
            f"Consistency(N_a={Na})": Consistency(n_augmentations=Na),
            f"ConsistencyEmbedding(N_a={Na})": ConsistencyEmbedding(n_augmentations=Na),
            "EPMCM(labeled)": EPMCM("labeled"),
            "WeibullOutlier": WeibullOutlier(),
            "CoreSet": CoreSet(),
            "BADGE": BADGE(),
        },
        "isda": {"EPMCM(isda)": EPMCM("isda")},
        "committee": {
            "QueryByCommittee(vote_entropy)": QueryByCommittee(measure="vote_entropy"),
            "QueryByCommittee(max_disagreement)": QueryByCommittee(
                measure="max_disagreement"
            ),
        },
        "recorder": {"LabelDispersion": LabelDispersion()},
    }


# ------------------------------------------------- estimators for the AL runs
def _member_seed(random_state, k):
    base = 0 if random_state is None else int(random_state)
    if k == 0:
        return base
    return int(np.random.SeedSequence([base, k]).generate_state(1)[0])


class NetCommittee(ClassifierMixin, BaseEstimator):
    """``n_members`` clones of ``net`` with different seeds, as one ensemble.

    Exposes ``estimators_`` (what :class:`QueryByCommittee` reads) and predicts
    with the members' averaged probabilities. Member 0 has the committee's own
    ``random_state``, so it is the net the other strategies train.
    """

    def __init__(self, net, n_members=3, random_state=None):
        self.net = net
        self.n_members = n_members
        self.random_state = random_state

    def fit(self, X, y):
        self.estimators_ = [
            clone(self.net)
            .set_params(random_state=_member_seed(self.random_state, k))
            .fit(X, y)
            for k in range(self.n_members)
        ]
        self.classes_ = self.estimators_[0].classes_
        self.input_shape_ = self.estimators_[0].input_shape_
        return self

    def predict_proba(self, X):
        return np.mean([m.predict_proba(X) for m in self.estimators_], axis=0)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class RecordingNet(ClassifierMixin, BaseEstimator):
    """A net whose :class:`PredictionRecorder` tracks the learner's current pool.

    It declares itself semi-supervised, so :class:`skactive.ActiveLearner`
    passes it its pool rows (labeled ``-1``) at every fit: they are exactly the
    rows the next query sees, in the same order. It fits ``net`` on the labeled
    rows only, with a recorder on the pool rows, so LabelDispersion can run
    inside :func:`skactive.experiment.simulate` (which refits a clone every
    round on a shrinking pool).
    """

    _learns_from_unlabeled = True

    def __init__(self, net, random_state=None):
        self.net = net
        self.random_state = random_state

    def fit(self, X, y):
        y = np.asarray(y)
        pool = y == -1
        recorder = PredictionRecorder(X[pool])
        self.net_ = clone(self.net).set_params(
            random_state=self.random_state, callbacks=[("recorder", recorder)]
        )
        self.net_.fit(X[~pool], y[~pool])
        self.classes_ = self.net_.classes_
        self.input_shape_ = self.net_.input_shape_
        return self

    @property
    def callbacks_(self):
        return self.net_.callbacks_

    def predict_proba(self, X):
        return self.net_.predict_proba(X)

    def predict(self, X):
        return self.net_.predict(X)

    def predict_proba_with_embedding(self, X, **kwargs):
        return self.net_.predict_proba_with_embedding(X, **kwargs)

    def embed(self, X):
        return self.net_.embed(X)


# ----------------------------------------------------------------- the parts
def make_net(
    args, epochs, seed=0, cls=DeepClassifier, *, lr=1e-3, batch_size=32, **kwargs
):
    return cls(
        SmallCNN,
        max_epochs=epochs,
        batch_size=batch_size,
        iterator_valid__batch_size=512,
        lr=lr,
        classes=np.arange(10),
        device=args.device,
        random_state=seed,
        **kwargs,
    )


def timing_table(args, X, y):
    rng = np.random.RandomState(0)
    order = rng.permutation(len(X))
    lab, pool_idx = order[: args.n_labeled], order[args.n_labeled :]
    if args.pool is not None:
        pool_idx = pool_idx[: args.pool]
    X_lab, y_lab, X_pool = X[lab], y[lab], X[pool_idx]

    timer = ForwardTimer()
    record_timer = ForwardTimer(methods=("predict_proba",))
    t0 = time.perf_counter()
    # the net every single-model strategy queries; its recorder (for
    # LabelDispersion) predicts the pool after every epoch, timed separately
    recorder = PredictionRecorder(X_pool)
    net = make_net(args, args.epochs, callbacks=[("recorder", recorder)])
    record_timer.wrap(net)
    net.fit(X_lab, y_lab)
    record_s = record_timer.seconds
    estimators = {
        "net": timer.wrap(net),
        "committee": [net]
        + [
            timer.wrap(make_net(args, args.epochs, seed=s).fit(X_lab, y_lab))
            for s in range(1, args.committee)
        ],
        "isda": timer.wrap(
            make_net(args, args.epochs, cls=ISDAClassifier).fit(X_lab, y_lab)
        ),
    }
    fit_s = time.perf_counter() - t0
    test = order[-1000:]
    acc = float((net.predict(X[test]) == y[test]).mean())

    print(
        f"MNIST pool {len(X_pool)} x 28x28, {args.n_labeled} labels, SmallCNN "
        f"({args.epochs} epochs, {fit_s:.1f} s for {1 + args.committee} nets incl. "
        f"{record_s:.1f} s of per-epoch pool predictions by the recorder; "
        f"accuracy on 1,000 pool rows {acc:.2f}); n={args.n}, T={args.n_samples}, "
        f"N_a={args.n_augmentations}; torch threads {torch.get_num_threads()}, "
        f"device {args.device}"
    )
    header = (
        f"{'strategy':<36} {'select s':>9} {'forward s':>10} {'acquis. s':>10} "
        f"{'acq %':>6}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for name, strategy, key, kwargs in strategies(args, X_lab, y_lab):
        if name in args.skip:
            continue
        estimator = estimators[key]
        timer.seconds = 0.0
        t0 = time.perf_counter()
        idx = strategy(estimator, X_pool, args.n, **kwargs)
        query = time.perf_counter() - t0
        forward = timer.seconds
        acquisition = query - forward
        note = ""
        if isinstance(strategy, LabelDispersion):
            # its forward passes ran during training (the recorder)
            forward += record_s
            note = "  (forward: per-epoch recording in fit)"
        total = forward + acquisition
        assert len(np.unique(idx)) == args.n
        rows.append((name, total, forward, acquisition))
        print(
            f"{name:<36} {total:>9.2f} {forward:>10.2f} {acquisition:>10.3f} "
            f"{100 * acquisition / total:>5.1f}%{note}",
            flush=True,
        )
    over = [r[0] for r in rows if r[0] != "BatchBALD" and r[3] >= 0.1 * r[1]]
    print(
        "goal (acquisition < 10% of selection time, BatchBALD aside): "
        + ("met" if not over else "NOT met by " + ", ".join(over))
    )


def active_learning(args, X, y, X_test, y_test):
    rng = np.random.RandomState(1)
    pool = rng.permutation(len(X))[: args.al_pool]
    test = rng.permutation(len(X_test))[: args.al_test]
    X_al, y_al = X[pool], y[pool].astype(np.int64)
    X_te, y_te = X_test[test], y_test[test].astype(np.int64)
    train = {"lr": args.al_lr, "batch_size": args.al_train_batch}
    net = make_net(args, args.al_epochs, **train)
    estimators = {
        "net": net,
        "isda": make_net(args, args.al_epochs, cls=ISDAClassifier, **train),
        "committee": NetCommittee(net, n_members=args.committee),
        "recorder": RecordingNet(net),
    }
    budgets = [args.al_initial + args.al_batch * (r + 1) for r in range(args.al_rounds)]
    print(
        f"\nActive learning on MNIST: pool {len(X_al)}, test {len(X_te)}, "
        f"{args.al_initial} random initial labels (same for every strategy), "
        f"{args.al_rounds} rounds x {args.al_batch}, SmallCNN retrained "
        f"{args.al_epochs} epochs per round (batches of {args.al_train_batch}, "
        f"lr {args.al_lr:g}), T={args.al_n_samples}, "
        f"N_a={args.n_augmentations}, committee of {args.committee}; test accuracy"
    )
    labels = [args.al_initial, *budgets]
    header = (
        f"{'strategy':<36} "
        + " ".join(f"{n:>6}" for n in labels)
        + f" {'AUC':>6} {'query s':>8}"
    )
    print(header)
    print("-" * len(header))
    t_all = time.perf_counter()
    for key, group in al_strategies(args).items():
        group = {k: v for k, v in group.items() if k not in args.skip}
        if not group:
            continue
        for name, strategy in group.items():
            result = simulate(
                estimators[key],
                {name: strategy},
                X_al,
                y_al,
                X_test=X_te,
                y_test=y_te,
                initial=args.al_initial,
                budgets=budgets,
                random_state=0,
                progress=False,
                batch_metrics=False,
            )
            recs = sorted(result.records, key=lambda r: r["round"])
            acc = [r["accuracy"] for r in recs]
            auc = result.auc()[name][0]
            query_s = np.mean([r["query_seconds"] for r in recs[1:]])
            print(
                f"{name:<36} "
                + " ".join(f"{a:>6.3f}" for a in acc)
                + f" {auc:>6.3f} {query_s:>8.2f}",
                flush=True,
            )
    print(f"(active-learning runs: {time.perf_counter() - t_all:.0f} s)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", default=os.environ.get("SKACTIVE_DATA", str(DEFAULT_DATA))
    )
    parser.add_argument("--n", type=int, default=10, help="rows selected per round")
    parser.add_argument("--n-samples", type=int, default=10, help="MC samples T")
    parser.add_argument(
        "--n-augmentations", type=int, default=10, help="consistency's N_a"
    )
    parser.add_argument("--n-labeled", type=int, default=100)
    parser.add_argument("--pool", type=int, default=None, help="pool rows (all)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--committee", type=int, default=3, help="committee nets")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--skip", nargs="*", default=[], help="strategy names")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-al", action="store_true")
    parser.add_argument("--al-rounds", type=int, default=5)
    parser.add_argument("--al-batch", type=int, default=50, help="picks per round")
    parser.add_argument("--al-initial", type=int, default=100)
    parser.add_argument("--al-pool", type=int, default=1000, help="AL pool rows")
    parser.add_argument("--al-test", type=int, default=1000, help="AL test rows")
    parser.add_argument("--al-epochs", type=int, default=10)
    parser.add_argument("--al-lr", type=float, default=1e-3)
    parser.add_argument("--al-train-batch", type=int, default=16)
    parser.add_argument("--al-n-samples", type=int, default=10, help="AL MC T")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1,000-row pool, T=5, n=5, N_a=2; AL 2 rounds on 300 rows",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.pool, args.n_samples, args.n, args.epochs = 1000, 5, 5, 2
        args.n_augmentations = 2
        args.al_rounds, args.al_batch, args.al_initial = 2, 20, 20
        args.al_pool, args.al_test, args.al_epochs, args.al_n_samples = 300, 300, 1, 3
    torch.set_num_threads(args.threads)

    X, y, X_test, y_test = load_mnist(args.data)
    if not args.skip_timing:
        timing_table(args, X, y)
    if not args.skip_al:
        active_learning(args, X, y, X_test, y_test)


if __name__ == "__main__":
    main()
