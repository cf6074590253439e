"""The survey's methods against random, entropy and core-set (issue 19).

Usage::

    python benchmarks/bench_survey_methods.py --quick            # minutes on a CPU
    python benchmarks/bench_survey_methods.py --seeds 5 --datasets mnist cifar10
    python benchmarks/bench_survey_methods.py --data DIR --threads 1

The data are ``mnist_train10k_test10k.npz`` and ``cifar10_jpeg_10k_2k.npz``
from ``--data`` (default: ``$SKACTIVE_DATA``, else ``../shared/data`` beside
the repository); a missing file is reported and skipped (exit status 0).

Every method needs its own kind of estimator, so the strategies run in
groups, each one :func:`skactive.experiment.simulate` call with its own
random baseline on the same pool, test set, initial set and budgets:

* ``cnn`` -- a :class:`~skactive.nets.DeepClassifier` with a
  :class:`~skactive.nets.SmallCNN`: random, entropy, core-set, VAAL,
  Suggestive Annotation (MC-dropout variance) and Selection via Proxy
  (entropy with an MLP proxy);
* ``lossnet`` -- a :class:`~skactive.nets.LossPredictionClassifier` with the
  same CNN: random, entropy, Learning Loss;
* ``ensemble`` -- a :class:`~skactive.nets.DeepEnsembleClassifier` of 3 CNNs:
  random, variation ratio (Beluch et al.), BALD over the members;
* ``bbb`` -- a :class:`~skactive.nets.BayesByBackpropClassifier` (Bayesian
  MLP): random, BALD over weight samples;
* ``mal`` -- a :class:`~skactive.nets.MinimaxClassifier` with the same CNN
  (semi-supervised: it also trains on the pool, 64 unlabeled rows a step):
  random, entropy, core-set, MAL (:class:`~skactive.strategies.MinimaxSampling`);
  ``--mal-ablations`` adds its product and discriminator-only rules.

For each group and strategy it prints the learning-curve AUC (accuracy
against labels, trapezoid, normalised) as mean +- standard error over the
seeds, the paired difference to the group's random baseline with its 95 %
Student-t interval, the final accuracy, and the mean seconds per round of
the query (selection, including any auxiliary model trained in it) and of
the refit.
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

FILES = {"mnist": "mnist_train10k_test10k.npz", "cifar10": "cifar10_jpeg_10k_2k.npz"}


def _data_dir(arg):
    if arg:
        return Path(arg)
    env = os.environ.get("SKACTIVE_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def _load(path, n_pool, n_test, seed):
    data = np.load(path)
    rng = np.random.RandomState(seed)
    pool = rng.choice(len(data["y_train"]), n_pool, replace=False)
    test = rng.choice(
        len(data["y_test"]), min(n_test, len(data["y_test"])), replace=False
    )
    return (
        data["X_train"][pool],
        data["y_train"][pool].astype(np.int64),
        data["X_test"][test],
        data["y_test"][test].astype(np.int64),
    )


def repeat_loader(dataset, *, min_steps=1, batch_size=16, shuffle=True, **kwargs):
    """skorch's training ``DataLoader``, with at least ``min_steps`` batches an epoch.

    A labeled set of 20 rows is two batches of 16: eight epochs would be 16
    gradient steps and leave the CNN near chance. When the rows make fewer
    than ``min_steps`` batches, the epoch draws ``min_steps * batch_size``
    rows (whole shuffled passes over the set, from torch's generator, which
    the net seeds during ``fit``); otherwise it is one ordinary pass.
    """
    import torch

    if -(-len(dataset) // batch_size) >= min_steps:
        return torch.utils.data.DataLoader(
            dataset, batch_size=batch_size, shuffle=shuffle, **kwargs
        )
    sampler = torch.utils.data.RandomSampler(
        dataset, num_samples=min_steps * batch_size
    )
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, **kwargs
    )


def _groups(args, classes):
    from skactive.nets import (
        MLP,
        BayesByBackpropClassifier,
        DeepClassifier,
        DeepEnsembleClassifier,
        LossPredictionClassifier,
        MinimaxClassifier,
        SmallCNN,
    )
    from skactive.strategies import (
        BALD,
        VAAL,
        CoreSet,
        LearningLoss,
        MinimaxSampling,
        RandomSampling,
        SelectionViaProxy,
        SuggestiveAnnotation,
        UncertaintySampling,
        VariationRatios,
    )

    net = {"max_epochs": args.epochs, "batch_size": 16, "lr": 2e-3, "classes": classes}
    # supervised nets: at least --min-steps gradient steps per fit, spread over
    # the epochs (MAL's net already takes ceil(pool / 64) steps an epoch)
    per_epoch = max(1, -(-args.min_steps // args.epochs))
    sup = {
        **net,
        "iterator_train": repeat_loader,
        "iterator_train__min_steps": per_epoch,
    }
    entropy = UncertaintySampling("entropy")
    proxy = DeepClassifier(MLP, module__hidden_units=(32,), **{**net, "max_epochs": 3})
    # the proxy stays cheap: three plain passes over the labeled rows
    groups = {
        "cnn": (
            DeepClassifier(SmallCNN, **sup),
            {
                "random": RandomSampling(),
                "entropy": entropy,
                "coreset": CoreSet(),
                "vaal": VAAL(n_iterations=args.vaal_iterations, hidden_units=(128,)),
                "suggestive": SuggestiveAnnotation(n_samples=10),
                "svp-entropy": SelectionViaProxy(entropy, proxy),
            },
        ),
        "lossnet": (
            LossPredictionClassifier(SmallCNN, **sup),
            {
                "random": RandomSampling(),
                "entropy": entropy,
                "learning_loss": LearningLoss(),
            },
        ),
        "ensemble": (
            DeepEnsembleClassifier(DeepClassifier(SmallCNN, **sup), n_estimators=3),
            {
                "random": RandomSampling(),
                "variation_ratio": VariationRatios(n_samples=3),
                "bald": BALD(n_samples=3),
            },
        ),
        "bbb": (
            BayesByBackpropClassifier(module__hidden_units=(128,), **sup),
            {"random": RandomSampling(), "bald": BALD(n_samples=10)},
        ),
        "mal": (
            MinimaxClassifier(SmallCNN, unlabeled_batch_size=64, **net),
            {
                "random": RandomSampling(),
                "entropy": entropy,
                "coreset": CoreSet(),
                "mal": MinimaxSampling(),
                **(
                    {
                        "mal-product": MinimaxSampling(combination="product"),
                        "mal-discriminator": MinimaxSampling(
                            combination="discriminator"
                        ),
                    }
                    if args.mal_ablations
                    else {}
                ),
            },
        ),
    }
    return {
        k: (est, {s: v for s, v in strats.items() if s not in args.skip})
        for k, (est, strats) in ((g, groups[g]) for g in args.groups)
    }


def _report(name, group, result):
    frame = result.to_frame()
    rounds = frame[frame["round"] > 0]
    print(f"\n{name} / {group}")
    print(
        f"{'strategy':<16} {'AUC':>7} {'+-sem':>6} {'vs random [95% CI]':>26} "
        f"{'final':>6} {'query s':>8} {'fit s':>6}"
    )
    for row in result.summary(baseline="random"):
        s = row["strategy"]
        r = rounds[rounds["strategy"] == s]
        diff = ""
        if "diff_mean" in row:
            lo, hi = row["diff_low"], row["diff_high"]
            diff = f"{row['diff_mean']:+.4f} [{lo:+.4f}, {hi:+.4f}]"
        print(
            f"{s:<16} {row['auc_mean']:7.4f} {row['auc_sem']:6.4f} {diff:>26} "
            f"{row['final_mean']:6.3f} {r['query_seconds'].mean():8.2f} "
            f"{r['fit_seconds'].mean():6.2f}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--datasets", nargs="+", default=["mnist", "cifar10"])
    parser.add_argument(
        "--groups",
        nargs="+",
        default=["cnn", "lossnet", "ensemble", "bbb", "mal"],
    )
    parser.add_argument(
        "--skip", nargs="+", default=[], help="strategy names to leave out"
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--pool", type=int, default=3000)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--initial", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n-instances", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument(
        "--min-steps",
        type=int,
        default=400,
        help="gradient steps per fit at least (more passes over a small labeled set)",
    )
    parser.add_argument("--vaal-iterations", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--mal-ablations",
        action="store_true",
        help="add MAL's product and discriminator-only sampling to its group",
    )
    parser.add_argument("--quick", action="store_true", help="small pools, 3 seeds")
    args = parser.parse_args(argv)
    if args.quick:  # smaller defaults; flags given explicitly win
        quick = {"seeds": 3, "pool": 1000, "test": 500, "rounds": 3, "epochs": 8}
        quick["vaal_iterations"] = 150
        given = sys.argv[1:] if argv is None else list(argv)
        explicit = {
            action.dest
            for action in parser._actions
            for opt in action.option_strings
            if any(a == opt or a.startswith(opt + "=") for a in given)
        }
        for key, value in quick.items():
            if key not in explicit:  # (--quick --seeds 5 means 5 seeds)
                setattr(args, key, value)
    import torch

    torch.set_num_threads(args.threads)
    from skactive.experiment import simulate

    print(
        f"seeds={args.seeds} pool={args.pool} test={args.test} initial={args.initial} "
        f"rounds={args.rounds} x {args.n_instances} epochs={args.epochs} "
        f"min-steps={args.min_steps} "
        f"threads={args.threads}"
    )
    for name in args.datasets:
        path = _data_dir(args.data) / FILES[name]
        if not path.exists():
            print(f"{name}: {path} not found, skipped")
            continue
        X, y, X_test, y_test = _load(path, args.pool, args.test, seed=0)
        for group, (estimator, strategies) in _groups(args, np.arange(10)).items():
            t0 = time.perf_counter()
            result = simulate(
                estimator,
                strategies,
                X,
                y,
                X_test=X_test,
                y_test=y_test,
                initial=args.initial,
                n_rounds=args.rounds,
                n_instances=args.n_instances,
                n_repeats=args.seeds,
                random_state=0,
                progress=False,
                batch_metrics=False,
            )
            _report(name, group, result)
            print(f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
