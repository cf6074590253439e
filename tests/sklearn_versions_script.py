"""The learner, a strategy and a net on the scikit-learn release first on the path.

Executed by ``tests/test_sklearn_versions.py``; prints JSON.
"""

import json

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner
from skactive.nets import MLP, DeepClassifier
from skactive.strategies import CoreSet, UncertaintySampling


def main():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    learner = ActiveLearner(
        LogisticRegression(max_iter=2000),
        UncertaintySampling("margin", random_state=0),
        X_training=X[:30],
        y_training=y[:30],
        X_pool=X[30:600],
    )
    learner.teach(X[600:605], y[600:605])
    idx, rows = learner.query(n_instances=5)
    learner.label(idx, y[30:600][idx])
    net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    net_learner = ActiveLearner(
        net, CoreSet(random_state=0), X_training=X[:100], y_training=y[:100]
    )
    net_idx, _ = net_learner.query(X[100:400], n_instances=4)
    print(
        json.dumps(
            {
                "sklearn": sklearn.__version__,
                "n_training": int(len(learner.y_training)),
                "n_pool": int(learner.X_pool.shape[0]),
                "rows_match": bool(np.array_equal(rows, X[30:600][idx])),
                "net_picks": len(set(np.asarray(net_idx).tolist())),
                "proba_rows": int(net.predict_proba(X[:7]).shape[0]),
            }
        )
    )


if __name__ == "__main__":
    main()
