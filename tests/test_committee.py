"""Query by committee: loop references, ensembles, modAL Committee, errors."""

import math
from collections import Counter

import numpy as np
import pytest
from modAL.models import Committee
from sklearn.base import clone
from sklearn.ensemble import BaggingClassifier, RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Perceptron
from sklearn.naive_bayes import GaussianNB

from skactive import ActiveLearner
from skactive.scores import entropy
from skactive.strategies.committee import QueryByCommittee, resolve_committee

MEASURES = ["vote_entropy", "consensus_entropy", "max_disagreement"]


@pytest.fixture(scope="module")
def data(digits):
    X, y = digits
    return X[:120], y[:120], X[120:420]


@pytest.fixture(scope="module")
def members(data):
    """Three members; the last has only seen classes 0-4."""
    X, y, _ = data
    sub = y < 5
    return [
        LogisticRegression(max_iter=500).fit(X[:60], y[:60]),
        GaussianNB().fit(X[40:120], y[40:120]),
        LogisticRegression(max_iter=500, C=0.1).fit(X[sub], y[sub]),
    ]


def _loop_reference(members, X, measure):
    classes = sorted(set().union(*[m.classes_.tolist() for m in members]))
    K = len(members)
    probas, votes = [], []
    for m in members:
        p = m.predict_proba(X)
        full = np.zeros((len(X), len(classes)))
        for j, c in enumerate(m.classes_):
            full[:, classes.index(c)] = p[:, j]
        probas.append(full)
        votes.append([classes.index(v) for v in m.predict(X)])
    out = []
    for i in range(len(X)):
        if measure == "vote_entropy":
            counts = Counter(v[i] for v in votes)
            out.append(-sum(n / K * math.log(n / K) for n in counts.values()))
            continue
        mean = [sum(p[i, c] for p in probas) / K for c in range(len(classes))]
        if measure == "consensus_entropy":
            out.append(-sum(q * math.log(q) for q in mean if q > 0))
        else:
            kl = [
                sum(
                    p[i, c] * math.log(p[i, c] / mean[c])
                    for c in range(len(classes))
                    if p[i, c] > 0
                )
                for p in probas
            ]
            out.append(sum(kl) / K)
    return np.array(out)


@pytest.mark.parametrize("measure", MEASURES)
def test_list_committee_matches_loops_with_different_class_sets(measure, members, data):
    _, _, pool = data
    strategy = QueryByCommittee(members, measure, random_state=0)
    ref = _loop_reference(members, pool, measure)
    np.testing.assert_allclose(strategy.score_pool(None, pool), ref, atol=1e-12)
    idx, scores = strategy.select(None, pool, 5)
    np.testing.assert_allclose(scores, ref[idx], atol=1e-12)
    assert np.all(scores >= np.sort(ref)[-5] - 1e-12)
    # the same committee passed as the estimator argument
    same = QueryByCommittee(measure=measure, random_state=0).select(members, pool, 5)
    np.testing.assert_array_equal(same[0], idx)


@pytest.mark.parametrize("measure", MEASURES)
def test_random_forest_with_string_labels(measure, data):
    X, y, pool = data
    labels = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven",
                       "eight", "nine"])[y]  # fmt: skip
    forest = RandomForestClassifier(8, max_depth=4, random_state=0).fit(X, labels)
    strategy = QueryByCommittee(measure=measure, random_state=0)
    scores = strategy.score_pool(forest, pool)
    if measure == "consensus_entropy":
        # a forest's predict_proba is the mean of its trees'
        np.testing.assert_allclose(scores, entropy(forest.predict_proba(pool)))
    # trees are fitted on label codes: map them through forest.classes_
    trees = forest.estimators_
    proba = np.stack([t.predict_proba(pool) for t in trees])  # codes 0..9 all seen
    if measure == "vote_entropy":
        votes = np.stack([t.predict(pool).astype(int) for t in trees])
        ref = [
            -sum(n / 8 * math.log(n / 8) for n in Counter(votes[:, i]).values())
            for i in range(len(pool))
        ]
        np.testing.assert_allclose(scores, ref, atol=1e-12)
    if measure == "max_disagreement":
        mean = proba.mean(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(proba > 0, proba * np.log(proba / mean), 0.0)
        np.testing.assert_allclose(scores, terms.sum(2).mean(0), atol=1e-12)


def test_bagging_with_feature_subsets(data):
    X, y, pool = data
    bag = BaggingClassifier(
        LogisticRegression(max_iter=300),
        n_estimators=4,
        max_features=0.5,
        random_state=0,
    ).fit(X, y)
    scores = QueryByCommittee(measure="consensus_entropy").score_pool(bag, pool)
    np.testing.assert_allclose(scores, entropy(bag.predict_proba(pool)), rtol=1e-10)


def test_modal_committee(members, data):
    X, y, pool = data
    learners = [
        ActiveLearner(
            LogisticRegression(max_iter=500), X_training=X[s], y_training=y[s]
        )
        for s in (slice(0, 60), slice(30, 90), slice(60, 120))
    ]
    strategy = QueryByCommittee(measure="max_disagreement", random_state=0)
    committee = Committee(learner_list=learners, query_strategy=strategy)
    idx, rows = committee.query(pool, n_instances=3)
    np.testing.assert_array_equal(rows, pool[idx])
    fitted = [learner.estimator for learner in learners]
    ref = _loop_reference(fitted, pool, "max_disagreement")
    assert set(idx) == set(np.argsort(-ref)[:3])


def test_in_skactive_learner_with_a_forest(digits, data):
    X, y, pool = data
    learner = ActiveLearner(
        RandomForestClassifier(5, random_state=0),
        QueryByCommittee(random_state=0),
        X_training=X,
        y_training=y,
    )
    idx, rows = learner.query(pool, n_instances=4)
    np.testing.assert_array_equal(rows, pool[idx])
    assert learner.history_[0]["scores"].shape == (4,)


def test_vote_entropy_needs_only_predict(data):
    X, y, pool = data
    voters = [
        Perceptron(random_state=s).fit(X[s * 30 :], y[s * 30 :]) for s in range(3)
    ]
    idx = QueryByCommittee(voters, random_state=0)(None, pool, 3)
    assert len(set(idx)) == 3
    with pytest.raises(TypeError, match="predict_proba"):
        QueryByCommittee(voters, "consensus_entropy")(None, pool, 3)


def test_chunking_and_subsample_do_not_change_scores(members, data):
    _, _, pool = data
    a = QueryByCommittee(members, "max_disagreement").score_pool(None, pool)
    b = QueryByCommittee(members, "max_disagreement", batch_size=37).score_pool(
        None, pool
    )
    np.testing.assert_allclose(a, b)
    idx = QueryByCommittee(members, R=40, random_state=2)(None, pool, 3)
    candidates = np.random.RandomState(2).choice(len(pool), 40, replace=False)
    assert set(idx) <= set(candidates)


def test_committee_of_one_is_refused(members, data):
    X, y, pool = data
    with pytest.raises(ValueError, match="at least 2 members, got 1"):
        QueryByCommittee(members[:1])(None, pool, 1)
    with pytest.raises(ValueError, match="single LogisticRegression"):
        QueryByCommittee()(members[0], pool, 1)
    bag = BaggingClassifier(GaussianNB(), n_estimators=1).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 members"):
        QueryByCommittee()(bag, pool, 1)
    one = Committee(
        learner_list=[ActiveLearner(GaussianNB(), X_training=X, y_training=y)]
    )
    with pytest.raises(ValueError, match="at least 2 members"):
        QueryByCommittee()(one, pool, 1)
    with pytest.raises(ValueError, match="has no committee"):
        QueryByCommittee()(None, pool, 1)


def test_unfitted_members_and_bad_measure(members, data):
    _, _, pool = data
    with pytest.raises(NotFittedError):
        QueryByCommittee()(RandomForestClassifier(), pool, 1)
    with pytest.raises(NotFittedError):
        QueryByCommittee([members[0], GaussianNB()])(None, pool, 1)
    # clone() clones the members unfitted, as scikit-learn does
    with pytest.raises(NotFittedError):
        clone(QueryByCommittee(members))(None, pool, 1)
    with pytest.raises(ValueError, match="measure must be one of"):
        QueryByCommittee(members, "kl")(None, pool, 1)
    with pytest.raises(ValueError, match="features"):
        QueryByCommittee(members)(None, pool[:, :10], 1)


def test_resolve_committee_aligns_classes(members):
    committee = resolve_committee(members)
    np.testing.assert_array_equal(committee.classes_, np.arange(10))
    np.testing.assert_array_equal(committee.columns[2], np.arange(5))
