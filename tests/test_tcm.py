"""TCM: TypiClust below the switch point, margin from it (strategies.tcm)."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner
from skactive.scores import margin
from skactive.selection import top_k, typiclust_sampling
from skactive.strategies import TCM, make_strategy


@pytest.fixture(scope="module")
def setting():
    X, y = load_digits(return_X_y=True)
    clf = LogisticRegression(max_iter=2000).fit(X[:40], y[:40])
    return clf, X[:40], X[40:500]


def test_switch_point_from_classes(setting):
    clf, _, _ = setting
    assert TCM().switch_point(clf) == 30
    assert TCM(2).switch_point(clf) == 20
    assert TCM(switch=7).switch_point(clf) == 7
    assert TCM(switch=7).phase(clf, n_labeled=6) == "typiclust"
    assert TCM(switch=7).phase(clf, n_labeled=7) == "margin"


def test_below_the_switch_it_is_typiclust(setting):
    clf, X_lab, X_pool = setting
    got = TCM(5, random_state=0)(clf, X_pool, 4, X_labeled=X_lab)  # 40 < 50
    expected = typiclust_sampling(
        X_pool, 4, labeled=X_lab, k_neighbors=20, random_state=np.random.RandomState(0)
    )
    np.testing.assert_array_equal(got, expected)


def test_from_the_switch_it_is_margin_top_k(setting):
    clf, X_lab, X_pool = setting
    got = TCM(4, random_state=0)(clf, X_pool, 6, X_labeled=X_lab)  # 40 >= 40
    expected = top_k(margin(clf.predict_proba(X_pool)), 6, random_state=0)
    np.testing.assert_array_equal(got, expected)


def test_in_a_learner_it_counts_the_training_rows(setting):
    clf, X_lab, X_pool = setting
    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(max_iter=2000),
        TCM(switch=45, random_state=0),
        X_training=X[:40],
        y_training=y[:40],
        X_pool=X_pool,
    )
    first, _ = learner.query(n_instances=5)  # 40 labeled: typiclust
    expected = typiclust_sampling(
        X_pool, 5, labeled=X_lab, k_neighbors=20, random_state=np.random.RandomState(0)
    )
    np.testing.assert_array_equal(first, expected)
    learner.label(first, y[40:500][first])
    second, _ = learner.query(n_instances=5)  # 45 labeled: margin
    expected = top_k(
        margin(learner.estimator.predict_proba(learner.X_pool)), 5, random_state=0
    )
    np.testing.assert_array_equal(second, expected)


def test_auto_is_tcm():
    auto = make_strategy("auto", random_state=1)
    assert isinstance(auto, TCM) and auto.random_state == 1
    assert auto.switch_per_class == 3
