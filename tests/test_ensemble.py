"""Deep ensembles (skactive/nets/ensemble.py) through the Bayesian and
committee strategies."""

import numpy as np
import pytest

from skactive._validation import InvalidParameterError
from skactive.nets import MLP, DeepClassifier, DeepEnsembleClassifier
from skactive.strategies import (
    BALD,
    BatchBALD,
    QueryByCommittee,
    VariationRatios,
)


@pytest.fixture(scope="module")
def ensemble(digits):
    X, y = digits
    base = DeepClassifier(MLP, max_epochs=3, module__hidden_units=(16,))
    return DeepEnsembleClassifier(base, n_estimators=3, random_state=0).fit(
        X[:150], y[:150]
    )


def _members(ens, X):
    return np.stack([m.predict_proba(X) for m in ens.estimators_])


def test_members_are_distinct_nets_and_the_mean_is_their_average(ensemble, digits):
    X, _ = digits
    seeds = [m.random_state for m in ensemble.estimators_]
    assert len(set(seeds)) == 3
    P = _members(ensemble, X[150:200])
    assert not np.allclose(P[0], P[1])
    np.testing.assert_allclose(ensemble.predict_proba(X[150:200]), P.mean(0), rtol=1e-6)
    np.testing.assert_array_equal(
        ensemble.predict(X[150:160]), ensemble.classes_[P.mean(0)[:10].argmax(1)]
    )


def test_samples_are_the_members(ensemble, digits):
    X, _ = digits
    P = _members(ensemble, X[150:170])
    np.testing.assert_allclose(ensemble.predict_proba_samples(X[150:170]), P)
    np.testing.assert_allclose(
        ensemble.predict_proba_samples(X[150:170], n_samples=6), np.concatenate([P, P])
    )
    S = ensemble.predict_proba_samples(X[150:170], n_samples=5, random_state=1)
    # each member once, two distinct members twice
    used = [int(np.flatnonzero([np.allclose(s, p) for p in P])[0]) for s in S]
    assert sorted(set(used)) == [0, 1, 2] and used[:3] == [0, 1, 2]
    assert len(set(used[3:])) == 2
    np.testing.assert_array_equal(
        S, ensemble.predict_proba_samples(X[150:170], n_samples=5, random_state=1)
    )


def test_bald_and_variation_ratio_read_the_members(ensemble, digits):
    X, _ = digits
    pool = X[150:400]
    P = _members(ensemble, pool).astype(np.float64)
    mean = P.mean(0)
    h = lambda p: -(p * np.log(np.clip(p, 1e-12, None))).sum(-1)  # noqa: E731
    bald = h(mean) - h(P).mean(0)
    got = BALD(n_samples=3, random_state=0).score_pool(ensemble, pool)
    np.testing.assert_allclose(got, bald, atol=1e-5)
    votes = P.argmax(-1)
    mode = np.array([np.bincount(v, minlength=10).max() for v in votes.T])
    vr = 1 - mode / 3
    got = VariationRatios(n_samples=3, random_state=0).score_pool(ensemble, pool)
    np.testing.assert_allclose(got, vr, atol=1e-6)
    assert BatchBALD(n_samples=3, random_state=0)(ensemble, pool, 3).shape == (3,)


def test_query_by_committee_sees_the_members(ensemble, digits):
    X, _ = digits
    idx = QueryByCommittee(random_state=0)(ensemble, X[150:400], 4)
    assert idx.shape == (4,) and len(set(idx)) == 4


def test_parallel_training_gives_the_same_members(digits):
    X, y = digits
    base = DeepClassifier(MLP, max_epochs=1, module__hidden_units=(8,))
    a = DeepEnsembleClassifier(base, n_estimators=2, random_state=3).fit(X[:80], y[:80])
    b = DeepEnsembleClassifier(base, n_estimators=2, n_jobs=2, random_state=3).fit(
        X[:80], y[:80]
    )
    np.testing.assert_allclose(a.predict_proba(X[80:90]), b.predict_proba(X[80:90]))


def test_bad_parameters(digits):
    from sklearn.exceptions import NotFittedError
    from sklearn.neighbors import KNeighborsClassifier

    X, y = digits
    base = DeepClassifier(MLP, max_epochs=1)
    with pytest.raises(InvalidParameterError, match="n_estimators must"):
        DeepEnsembleClassifier(base, n_estimators=1).fit(X[:40], y[:40])
    with pytest.raises(InvalidParameterError, match="random_state parameter"):
        DeepEnsembleClassifier(KNeighborsClassifier(3)).fit(X[:40], y[:40])
    with pytest.raises(NotFittedError):
        DeepEnsembleClassifier(base).predict_proba(X[:3])
    ens = DeepEnsembleClassifier(base, n_estimators=2, random_state=0).fit(
        X[:40], y[:40]
    )
    with pytest.raises(InvalidParameterError, match="n_samples must"):
        ens.predict_proba_samples(X[:3], n_samples=1)
