"""The ``skactive`` command line."""

from __future__ import annotations

import argparse
import sys

import numpy as np

__all__ = ["main", "STRATEGIES", "ESTIMATORS"]

STRATEGIES = {
    "random": "uniform random sampling (baseline)",
    "least_confidence": "1 - max_c p(c|x)",
    "margin": "smallest gap between the two most probable classes",
    "entropy": "highest predictive entropy",
}

ESTIMATORS = {
    "logreg": "scikit-learn LogisticRegression on flattened pixels",
    "mlp": "skactive DeepClassifier with an MLP",
    "cnn": "skactive DeepClassifier with a small CNN on the images",
}


def _strategy(name, seed):
    from .strategies import RandomSampling, UncertaintySampling

    if name == "random":
        return RandomSampling(random_state=seed)
    return UncertaintySampling(name, random_state=seed)


def _estimator(name, seed):
    if name == "logreg":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer, StandardScaler

        return make_pipeline(
            FunctionTransformer(_flatten),
            StandardScaler(),
            LogisticRegression(max_iter=2000),
        )
    from .nets import MLP, DeepClassifier, SmallCNN

    module = MLP if name == "mlp" else SmallCNN
    return DeepClassifier(
        module, max_epochs=20, lr=2e-3, random_state=seed, classes=np.arange(10)
    )


def _flatten(X):
    return np.asarray(X).reshape(len(X), -1)


def _load_digits_images():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    images = np.round(X.reshape(-1, 8, 8) * (255 / 16)).astype(np.uint8)
    return images, y


def _simulate(args):
    from sklearn.model_selection import train_test_split

    from .experiment import simulate

    X, y = _load_digits_images()
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=0.25, random_state=args.seed, stratify=y
    )
    results = simulate(
        _estimator(args.estimator, args.seed),
        _strategy(args.strategy, args.seed),
        X_pool,
        y_pool,
        X_test=X_test,
        y_test=y_test,
        n_initial=args.initial,
        n_rounds=args.rounds,
        batch_size=args.batch_size,
        random_state=args.seed,
        progress=not args.no_progress,
    )
    print(f"strategy={args.strategy} estimator={args.estimator} data=digits")
    print(f"{'round':>5} {'labels':>6} {'accuracy':>8}")
    for r in results:
        print(f"{r['round']:>5} {r['n_labels']:>6} {r['accuracy']:>8.4f}")
    return 0


def _list_strategies(_args):
    for name, text in STRATEGIES.items():
        print(f"{name:<18} {text}")
    return 0


def build_parser():
    """The argument parser of the ``skactive`` command."""
    parser = argparse.ArgumentParser(
        prog="skactive",
        description="Active learning for scikit-learn, skorch and modAL users.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser(
        "simulate",
        help="simulate active learning on scikit-learn's digits",
        description="Simulate pool-based active learning on load_digits: a random "
        "initial set, then rounds of query -> reveal labels -> refit; prints test "
        "accuracy and labels per round.",
    )
    sim.add_argument("--strategy", choices=sorted(STRATEGIES), default="entropy")
    sim.add_argument("--estimator", choices=sorted(ESTIMATORS), default="logreg")
    sim.add_argument("--initial", type=int, default=20, help="initial labels")
    sim.add_argument("--rounds", type=int, default=5, help="query rounds")
    sim.add_argument("--batch-size", type=int, default=10, help="labels per round")
    sim.add_argument("--seed", type=int, default=0, help="random seed")
    sim.add_argument("--no-progress", action="store_true", help="hide progress bar")
    sim.set_defaults(func=_simulate)
    lst = sub.add_parser("strategies", help="list the available strategies")
    lst.set_defaults(func=_list_strategies)
    return parser


def main(argv=None):
    """Run the ``skactive`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"skactive: error: {exc}", file=sys.stderr)
        return 2
