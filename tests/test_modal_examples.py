"""modAL's examples, run with ``from skactive import ActiveLearner`` swapped in.

Each test follows one of modAL's example scripts (``examples/`` of
github.com/modAL-python/modAL) at a small scale, with skactive's learner in
place of modAL's and modAL's own strategies where the example uses them, and
asserts that the learning happens. Genuine modAL's learners fail every one of
these on scikit-learn >= 1.8 (``force_all_finite``); its PyTorch example
would end near chance (``teach(only_new=True)`` re-initialises the net).
"""

from functools import partial

import numpy as np
import pytest
import torch
from modAL.batch import uncertainty_batch_sampling
from modAL.disagreement import vote_entropy_sampling
from modAL.models import Committee
from modAL.uncertainty import uncertainty_sampling
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from skorch import NeuralNetClassifier
from torch import nn

from skactive import ActiveLearner, DeepActiveLearner
from skactive.strategies import (
    RandomSampling,
    UncertaintySampling,
    mc_dropout_bald,
)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def test_pool_based_sampling(iris):
    """examples/pool-based_sampling.py: KNN on iris, one query at a time."""
    X, y = iris
    rng = np.random.RandomState(0)
    start = rng.choice(len(X), 3, replace=False)
    learner = ActiveLearner(
        estimator=KNeighborsClassifier(n_neighbors=3),
        query_strategy=uncertainty_sampling,  # modAL's
        X_training=X[start],
        y_training=y[start],
    )
    X_pool, y_pool = np.delete(X, start, axis=0), np.delete(y, start)
    before = learner.score(X, y)
    for _ in range(20):
        query_idx, query_instance = learner.query(X_pool)
        learner.teach(X=X_pool[query_idx].reshape(1, -1), y=y_pool[query_idx])
        X_pool, y_pool = np.delete(X_pool, query_idx, 0), np.delete(y_pool, query_idx)
    assert learner.score(X, y) >= max(before + 0.15, 0.9)
    assert len(learner.y_training) == 23


def test_ranked_batch_mode(iris):
    """examples/ranked_batch_mode.py: modAL's ranked batches of 5."""
    X, y = iris
    X = PCA(n_components=2, random_state=0).fit_transform(X)
    rng = np.random.RandomState(1)
    start = rng.choice(len(X), 3, replace=False)
    learner = ActiveLearner(
        estimator=KNeighborsClassifier(n_neighbors=3),
        query_strategy=partial(uncertainty_batch_sampling, n_instances=5),
        X_training=X[start],
        y_training=y[start],
    )
    X_pool, y_pool = np.delete(X, start, axis=0), np.delete(y, start)
    before = learner.score(X, y)
    for _ in range(4):
        query_idx, rows = learner.query(X_pool)
        assert len(query_idx) == 5 and rows.shape == (5, 2)
        learner.teach(X_pool[query_idx], y_pool[query_idx])
        X_pool, y_pool = np.delete(X_pool, query_idx, 0), np.delete(y_pool, query_idx)
    assert learner.score(X, y) >= max(before + 0.15, 0.85)


def test_query_by_committee(iris):
    """examples/query_by_committee.py: modAL's Committee of skactive learners."""
    X, y = iris
    rng = np.random.RandomState(2)
    X_pool, y_pool = X.copy(), y.copy()
    members = []
    for k in range(3):
        idx = rng.choice(len(X_pool), 5, replace=False)
        members.append(
            ActiveLearner(
                estimator=RandomForestClassifier(20, random_state=k),
                X_training=X_pool[idx],
                y_training=y_pool[idx],
            )
        )
        X_pool, y_pool = np.delete(X_pool, idx, 0), np.delete(y_pool, idx)
    committee = Committee(learner_list=members, query_strategy=vote_entropy_sampling)
    before = committee.score(X, y)
    for _ in range(15):
        query_idx, _ = committee.query(X_pool)
        committee.teach(X=X_pool[query_idx].reshape(1, -1), y=y_pool[query_idx])
        X_pool, y_pool = np.delete(X_pool, query_idx, 0), np.delete(y_pool, query_idx)
    assert committee.score(X, y) >= max(before, 0.9)
    assert [len(m.y_training) for m in members] == [20, 20, 20]


def test_sklearn_workflow(iris):
    """examples/sklearn_workflow.py: cross_val_score over a learner."""
    X, y = iris
    learner = ActiveLearner(estimator=RandomForestClassifier(20, random_state=0))
    scores = cross_val_score(learner, X, y, cv=5)
    assert scores.shape == (5,) and scores.mean() > 0.9


def test_grid_search_over_the_query_strategy(iris):
    X, y = iris
    learner = ActiveLearner(LogisticRegression(max_iter=500))
    search = GridSearchCV(
        learner,
        {"query_strategy": [UncertaintySampling("margin"), RandomSampling()]},
        cv=3,
    ).fit(X, y)
    assert set(search.cv_results_["param_query_strategy"].astype(str)) == {
        "UncertaintySampling(measure='margin')",
        "RandomSampling()",
    }
    assert search.best_score_ > 0.9
    cloned = clone(ActiveLearner(LogisticRegression(), X_pool=X))
    assert cloned.X_pool is not None and cloned.X_training is None


class _DigitsCNN(nn.Module):
    """A small version of modAL's ``Torch_Model`` (8 x 8 digits)."""

    def __init__(self):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25)
        )
        self.fcs = nn.Sequential(
            nn.Linear(16 * 3 * 3, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10)
        )

    def forward(self, x):
        return self.fcs(self.convs(x).reshape(len(x), -1))


@pytest.fixture(scope="module")
def digit_tensors():
    X, y = load_digits(return_X_y=True)
    X = torch.tensor(X.reshape(-1, 1, 8, 8) / 16, dtype=torch.float32)
    y = torch.tensor(y)
    return X[:1200], y[:1200], X[1200:], y[1200:]


def _skorch_net(seed):
    torch.manual_seed(seed)
    return NeuralNetClassifier(
        _DigitsCNN,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=3e-3,
        max_epochs=30,
        batch_size=16,
        train_split=None,
        verbose=0,
    )


def test_pytorch_integration(digit_tensors):
    """examples/pytorch_integration.py: teach(only_new=True) keeps the model."""
    X, y, X_test, y_test = digit_tensors
    rng = np.random.RandomState(0)
    start = rng.choice(len(X), 60, replace=False)
    learner = ActiveLearner(
        estimator=_skorch_net(0), X_training=X[start], y_training=y[start]
    )
    rest = np.setdiff1d(np.arange(len(X)), start)
    X_pool, y_pool = X[rest].numpy(), y[rest].numpy()
    before = learner.score(X_test, y_test)
    for _ in range(4):
        query_idx, _ = learner.query(X_pool, n_instances=40)
        with pytest.warns(UserWarning, match="training on all"):
            learner.teach(X_pool[query_idx], y_pool[query_idx], only_new=True)
        X_pool = np.delete(X_pool, query_idx, axis=0)
        y_pool = np.delete(y_pool, query_idx, axis=0)
    after = learner.score(X_test, y_test)
    # modAL's learner re-initialises the net on the last 40 rows each round
    assert after >= before + 0.05 and after > 0.75, (before, after)


def test_pytorch_mc_dropout(digit_tensors):
    """examples/pytorch_mc_dropout.py: DeepActiveLearner + mc_dropout_bald."""
    X, y, X_test, y_test = digit_tensors
    learner = DeepActiveLearner(
        estimator=_skorch_net(1), query_strategy=mc_dropout_bald
    )
    rng = np.random.RandomState(1)
    start = rng.choice(len(X), 60, replace=False)
    X_teach, y_teach = X[start], y[start]
    learner.teach(X_teach, y_teach)
    before = learner.score(X_test, y_test)
    rest = np.setdiff1d(np.arange(len(X)), start)
    X_pool, y_pool = X[rest], y[rest]
    seen = []
    original = learner.estimator.partial_fit

    def partial_fit(X, y, **kwargs):
        seen.append(len(X))
        return original(X, y, **kwargs)

    learner.estimator.partial_fit = partial_fit
    for _ in range(3):
        # (modAL's example names the rows ``metric_values``: query returns rows)
        query_idx, rows = learner.query(
            X_pool, n_instances=40, dropout_layer_indexes=[5, 9], num_cycles=5
        )
        assert len(query_idx) == 40 and rows.shape == (40, 1, 8, 8)
        X_teach = torch.cat((X_teach, X_pool[query_idx]))
        y_teach = torch.cat((y_teach, y_pool[query_idx]))
        learner.teach(X_teach, y_teach)  # the cumulative set, as modAL does
        keep = np.setdiff1d(np.arange(len(X_pool)), query_idx)
        X_pool, y_pool = X_pool[keep], y_pool[keep]
    assert seen == [100, 140, 180]  # each row once per round, no duplicates
    assert learner.X_training is None
    assert learner.score(X_test, y_test) >= before + 0.05


def test_text_classification():
    """A list of documents through a TfidfVectorizer pipeline."""
    rng = np.random.RandomState(0)
    topics = [
        ["goal", "match", "team", "score", "league", "coach"],
        ["stock", "market", "price", "bank", "trade", "profit"],
        ["cell", "gene", "protein", "virus", "lab", "study"],
    ]
    common = ["the", "a", "today", "report", "new", "big"]

    def document(topic):
        words = list(rng.choice(topics[topic], 3)) + list(rng.choice(common, 4))
        if rng.rand() < 0.3:  # a confusing word from another topic
            words.append(rng.choice(topics[(topic + 1) % 3]))
        return " ".join(rng.permutation(words))

    y = np.concatenate([[0, 1, 2, 0, 1, 2], rng.randint(0, 3, size=394)])
    docs = [document(t) for t in y]
    learner = ActiveLearner(
        make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=500)),
        UncertaintySampling("entropy", random_state=0),
        X_training=docs[:6],
        y_training=y[:6],
        X_pool=docs[6:300],
    )
    y_pool = list(y[6:300])
    before = learner.score(docs[300:], y[300:])
    for _ in range(5):
        idx, rows = learner.query(n_instances=8)
        assert isinstance(rows, list) and all(isinstance(r, str) for r in rows)
        learner.label(idx, np.array(y_pool)[idx])
        y_pool = [v for i, v in enumerate(y_pool) if i not in set(idx.tolist())]
    assert isinstance(learner.X_training, list) and isinstance(learner.X_pool, list)
    assert learner.score(docs[300:], y[300:]) >= max(before + 0.1, 0.85)


def test_genuine_modal_learner_fails_where_skactive_learns(iris):
    """The reason for the swap: modAL's own learner on today's scikit-learn."""
    import modAL.models

    X, y = iris
    theirs = modAL.models.ActiveLearner(
        estimator=KNeighborsClassifier(3), X_training=X[:5], y_training=y[:5]
    )
    with pytest.raises(TypeError, match="force_all_finite"):
        theirs.teach(X[5:10], y[5:10])
    ours = ActiveLearner(KNeighborsClassifier(3), X_training=X[:5], y_training=y[:5])
    ours.teach(X[5:10], y[5:10])
    assert len(ours.y_training) == 10
