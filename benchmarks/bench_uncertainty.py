"""Time the uncertainty strategies against scikit-activeml and modAL.

Pool: 100,000 x 128 Gaussian-mixture rows, probabilities from a
``LogisticRegression`` fitted on 1,000 labeled rows (10 classes). Each library
scores the same pool with the same fitted model and selects ``n`` rows; times
include the ``predict_proba`` call, as a user would experience them. Prints a
table with the median of ``--repeats`` runs, the ratio peer / skactive, and
whether the picks agree with skactive's.

Usage::

    python benchmarks/bench_uncertainty.py [--n-pool 100000] [--n 10] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from skactive.strategies import RandomSampling, UncertaintySampling

MEASURES = {
    # skactive measure: (scikit-activeml method, modAL function name)
    "least_confidence": ("least_confident", "uncertainty_sampling"),
    "margin": ("margin_sampling", "margin_sampling"),
    "entropy": ("entropy", "entropy_sampling"),
}


def timed(fn, repeats):
    fn()  # warm-up
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-pool", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=128)
    parser.add_argument("--n", type=int, default=10, help="rows selected")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    X, y = make_classification(
        n_samples=args.n_pool + 1000,
        n_features=args.n_features,
        n_informative=32,
        n_classes=10,
        random_state=0,
    )
    X = X.astype(np.float64)
    X_lab, y_lab, X_pool = X[:1000], y[:1000], X[1000:]
    clf = LogisticRegression(max_iter=300).fit(X_lab, y_lab)

    try:
        from skactiveml.classifier import SklearnClassifier
        from skactiveml.pool import UncertaintySampling as SkalUS
        from skactiveml.utils import MISSING_LABEL

        skal_clf = SklearnClassifier(
            LogisticRegression(max_iter=300), classes=np.arange(10)
        ).fit(X_lab, y_lab)
        skal_clf.estimator_ = clf  # score with the very same fitted model
        y_missing = np.full(len(X_pool), MISSING_LABEL)
    except ImportError:
        SkalUS = None
    try:
        import modAL.uncertainty as modal_unc
    except ImportError:
        modal_unc = None

    rows = []
    for measure, (skal_method, modal_name) in MEASURES.items():
        ours = UncertaintySampling(measure, random_state=0)
        t_ours, idx_ours = timed(lambda: ours(clf, X_pool, args.n), args.repeats)
        rows.append(("skactive", measure, t_ours, 1.0, "-"))
        if SkalUS is not None:
            qs = SkalUS(method=skal_method, random_state=0)
            t, idx = timed(
                lambda: qs.query(
                    X_pool,
                    y_missing,
                    clf=skal_clf,
                    fit_clf=False,
                    batch_size=args.n,
                ),
                args.repeats,
            )
            same = set(np.asarray(idx).tolist()) == set(idx_ours.tolist())
            rows.append(("scikit-activeml", measure, t, t / t_ours, same))
        if modal_unc is not None:
            fn = getattr(modal_unc, modal_name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t, res = timed(
                    lambda: fn(clf, X_pool, n_instances=args.n), args.repeats
                )
            idx = res[0] if isinstance(res, tuple) else res
            same = set(np.asarray(idx).tolist()) == set(idx_ours.tolist())
            rows.append(("modAL", measure, t, t / t_ours, same))
    rnd = RandomSampling(random_state=0)
    t_rnd, _ = timed(lambda: rnd(clf, X_pool, args.n), args.repeats)
    rows.append(("skactive", "random", t_rnd, 1.0, "-"))

    print(
        f"pool {args.n_pool} x {args.n_features}, {args.n} picks, "
        f"median of {args.repeats} runs (seconds, predict_proba included)"
    )
    print(f"{'library':<16} {'strategy':<17} {'seconds':>9} {'ratio':>7} same picks")
    for lib, measure, t, ratio, same in rows:
        print(f"{lib:<16} {measure:<17} {t:>9.4f} {ratio:>7.2f} {same}")


if __name__ == "__main__":
    main()
