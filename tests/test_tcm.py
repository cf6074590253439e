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
    assert auto.switch_per_class == 3 and auto.min_purity == 0.5
    assert make_strategy("tcm").min_purity is None


def test_nearest_label_agreement_by_hand():
    from skactive.strategies.tcm import nearest_label_agreement

    # nearest of 0.0 is 0.1 (same), 0.1 -> 0.0 (same), 5.0 -> 5.2 (same),
    # 5.2 -> 5.0 (same), 9.0 -> 5.2 (label 1 vs 0: differs): 4 of 5
    E = np.array([[0.0], [0.1], [5.0], [5.2], [9.0]])
    assert nearest_label_agreement(E, np.array([0, 0, 1, 1, 0])) == 0.8
    assert nearest_label_agreement(E, np.array([0, 1, 0, 1, 0])) == 0.0


def test_nearest_label_agreement_matches_a_loop_in_chunks():
    from skactive.strategies.tcm import nearest_label_agreement

    rng = np.random.RandomState(0)
    E = rng.normal(size=(37, 4))
    labels = rng.randint(0, 3, size=37)
    same = 0
    for i in range(37):
        d = [np.sum((E[i] - E[j]) ** 2) if j != i else np.inf for j in range(37)]
        same += labels[int(np.argmin(d))] == labels[i]
    assert nearest_label_agreement(E, labels, chunk_size=5) == same / 37


def test_min_purity_keeps_typiclust_past_the_switch():
    # two tight blobs, 2 classes: switch point 3 per class = 6 labels
    X = np.array([[0.0, 0], [0.1, 0], [0, 0.1], [5, 5], [5.1, 5], [5, 5.1]])
    clf = LogisticRegression().fit(X, [0, 0, 0, 1, 1, 1])
    tcm = TCM(3, min_purity=0.5)
    assert tcm.switch_point(clf) == 6
    # below the switch point the labels are not consulted
    assert tcm.phase(clf, n_labeled=5, X_labeled=X, y_labeled=[0, 1] * 3) == (
        "typiclust"
    )
    # past it: every nearest neighbour agrees (1.0 >= 0.5): typiclust
    y_blobs = np.array([0, 0, 0, 1, 1, 1])
    assert tcm.phase(clf, n_labeled=6, X_labeled=X, y_labeled=y_blobs) == ("typiclust")
    # labels mixed inside the blobs: row 0's nearest is row 1 or 2 (tie at
    # 0.1 -> row 1, label 1: differs), row 1 -> row 0 (differs), row 2 ->
    # row 0 (differs), row 3 -> row 4 (tie, differs), row 4 -> row 3
    # (differs), row 5 -> row 3 (agrees): 1/6 < 0.5: margin
    y_mixed = np.array([0, 1, 1, 0, 1, 0])
    from skactive.strategies.tcm import nearest_label_agreement

    agreement = nearest_label_agreement(X, y_mixed)
    assert agreement == pytest.approx(1 / 6)
    assert tcm.phase(clf, n_labeled=6, X_labeled=X, y_labeled=y_mixed) == "margin"
    # exactly at the threshold stays: min_purity = the agreement
    assert TCM(3, min_purity=agreement).phase(
        clf, n_labeled=6, X_labeled=X, y_labeled=y_mixed
    ) == ("typiclust")
    # no labels, or min_purity=None: the plain switch
    assert tcm.phase(clf, n_labeled=6) == "margin"
    assert TCM(3).phase(clf, n_labeled=6, X_labeled=X, y_labeled=y_blobs) == ("margin")


def test_min_purity_reads_the_learners_labels(setting):
    X, y = load_digits(return_X_y=True)
    X_pool = X[40:500]
    learner = ActiveLearner(
        LogisticRegression(max_iter=2000),
        TCM(switch=10, min_purity=0.5, random_state=0),
        X_training=X[:40],
        y_training=y[:40],
        X_pool=X_pool,
    )
    # digits: the first 40 rows' nearest rows mostly share the label
    from skactive.strategies.tcm import nearest_label_agreement

    assert nearest_label_agreement(X[:40], y[:40]) >= 0.5
    got, _ = learner.query(n_instances=4)
    expected = typiclust_sampling(
        X_pool, 4, labeled=X[:40], k_neighbors=20, random_state=np.random.RandomState(0)
    )
    np.testing.assert_array_equal(got, expected)
    # the same call with shuffled labels given as keywords: margin
    clf = learner.estimator
    shuffled = np.random.RandomState(0).permutation(y[:40])
    assert nearest_label_agreement(X[:40], shuffled) < 0.5
    got = TCM(switch=10, min_purity=0.5, random_state=0)(
        clf, X_pool, 4, X_labeled=X[:40], y_labeled=shuffled
    )
    expected = top_k(margin(clf.predict_proba(X_pool)), 4, random_state=0)
    np.testing.assert_array_equal(got, expected)


def test_min_purity_is_validated():
    X = np.array([[0.0, 0], [1, 1]])
    clf = LogisticRegression().fit(X, [0, 1])
    with pytest.raises(ValueError, match="min_purity"):
        TCM(min_purity=1.5)(clf, X, 1)
