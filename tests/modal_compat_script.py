"""Run skactive strategies inside a genuine modAL learner; print JSON results.

Executed by ``tests/test_modal_compat.py`` in a subprocess whose ``PYTHONPATH``
puts one modAL release first.
"""

import importlib.metadata
import json

import numpy as np
from modAL.models import ActiveLearner as ModalActiveLearner
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner, RandomSampling, UncertaintySampling
from skactive.nets import MLP, DeepClassifier


def counted(strategy):
    calls = {"n": 0}
    select = strategy.select

    def counting_select(*args, **kwargs):
        calls["n"] += 1
        return select(*args, **kwargs)

    strategy.select = counting_select
    return strategy, calls


def main():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    X_train, y_train, X_pool = X[:60], y[:60], X[60:400]
    models = {
        "logreg": LogisticRegression(max_iter=2000).fit(X_train, y_train),
        "net": DeepClassifier(MLP, max_epochs=3, random_state=0).fit(X_train, y_train),
    }
    strategies = {
        "random": RandomSampling(random_state=1),
        "least_confidence": UncertaintySampling("least_confidence", random_state=1),
        "margin": UncertaintySampling("margin", random_state=1),
        "entropy": UncertaintySampling("entropy", random_state=1),
    }
    out = {"modal_version": importlib.metadata.version("modAL-python"), "queries": []}
    for model_name, model in models.items():
        for name, template in strategies.items():
            for k in (1, 2, 5):
                strategy, calls = counted(clone(template))
                learner = ModalActiveLearner(estimator=model, query_strategy=strategy)
                idx, rows = learner.query(X_pool, n_instances=k)
                expected, scores = clone(template).select(model, X_pool, k)
                record = {
                    "model": model_name,
                    "strategy": name,
                    "k": k,
                    "indices": np.asarray(idx).tolist(),
                    "expected": expected.tolist(),
                    "rows_match": bool(np.array_equal(rows, X_pool[expected])),
                    "calls": calls["n"],
                }
                if "return_metrics" in ModalActiveLearner.query.__code__.co_varnames:
                    _, _, metrics = learner.query(
                        X_pool, n_instances=k, return_metrics=True
                    )
                    record["metrics_match"] = (
                        metrics is None and scores is None
                    ) or bool(np.allclose(metrics, scores))
                out["queries"].append(record)

    # skactive's learner on this modAL release: fit, teach, query, label
    learner = ActiveLearner(
        LogisticRegression(max_iter=2000),
        UncertaintySampling(random_state=0),
        X_training=X_train,
        y_training=y_train,
        X_pool=X_pool,
    )
    learner.teach(X[400:410], y[400:410])
    idx, rows = learner.query(n_instances=3)
    learner.label(idx, y[60:400][idx])
    out["learner"] = {
        "isinstance": isinstance(learner, ModalActiveLearner),
        "n_training": int(len(learner.y_training)),
        "n_pool": int(learner.X_pool.shape[0]),
        "rows_match": bool(np.array_equal(rows, X_pool[idx])),
        "history": len(learner.history_),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
