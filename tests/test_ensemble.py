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
    pool = X[150:400]
    # vote entropy of the members' predicted labels, counted by a loop
    votes = [m.predict(pool) for m in ensemble.estimators_]
    expected = np.empty(len(pool))
    for i in range(len(pool)):
        labels = [v[i] for v in votes]
        fractions = [labels.count(c) / 3 for c in set(labels)]
        expected[i] = -sum(f * np.log(f) for f in fractions)
    qbc = QueryByCommittee(random_state=0)
    np.testing.assert_allclose(qbc.score_pool(ensemble, pool), expected, atol=1e-12)
    assert expected.max() > 0  # the members disagree somewhere
    idx, scores = qbc.select(ensemble, pool, 4)
    np.testing.assert_allclose(scores, np.sort(expected)[::-1][:4])
    # consensus entropy: the entropy of the ensemble's mean prediction
    mean = np.mean([m.predict_proba(pool) for m in ensemble.estimators_], 0)
    h = -(mean * np.log(np.clip(mean, 1e-300, None))).sum(1)
    got = QueryByCommittee(measure="consensus_entropy").score_pool(ensemble, pool)
    np.testing.assert_allclose(got, h, rtol=1e-5, atol=1e-6)


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
    with pytest.raises(InvalidParameterError, match="bootstrap must.*'yes'"):
        DeepEnsembleClassifier(base, bootstrap="yes").fit(X[:40], y[:40])
    with pytest.raises(InvalidParameterError, match="random_state parameter"):
        DeepEnsembleClassifier(KNeighborsClassifier(3)).fit(X[:40], y[:40])
    with pytest.raises(NotFittedError):
        DeepEnsembleClassifier(base).predict_proba(X[:3])
    ens = DeepEnsembleClassifier(base, n_estimators=2, random_state=0).fit(
        X[:40], y[:40]
    )
    with pytest.raises(InvalidParameterError, match="n_samples must"):
        ens.predict_proba_samples(X[:3], n_samples=1)


class _Recorder:
    """A member that remembers the rows it was fitted on (no learning)."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def get_params(self, deep=True):
        return {"random_state": self.random_state}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit(self, X, y):
        self.X_, self.y_ = np.array(X), np.array(y)
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))


def _reference_bootstrap(y, random_state, n_estimators):
    """The documented draw, written out as a loop."""
    rng = np.random.RandomState(random_state)
    rng.randint(0, np.iinfo(np.int32).max, size=n_estimators)  # member seeds
    out = []
    for seed in rng.randint(0, np.iinfo(np.int32).max, size=n_estimators):
        gen = np.random.default_rng(int(seed))
        rows = []
        for c in np.unique(y):
            members = [i for i in range(len(y)) if y[i] == c]
            rows.extend(gen.choice(members, size=len(members)))
        out.append(np.sort(rows))
    return out


def test_bootstrap_members_train_on_their_seeded_resamples():
    y = np.array([0, 1, 2, 0, 1, 2, 0, 0, 1, 2, 2, 2])
    X = np.arange(len(y), dtype=np.float32)[:, None] * 10
    ens = DeepEnsembleClassifier(
        _Recorder(), n_estimators=4, bootstrap=True, random_state=7
    ).fit(X, y)
    reference = _reference_bootstrap(y, 7, 4)
    for member, rows, ref in zip(
        ens.estimators_, ens.estimators_samples_, reference, strict=True
    ):
        np.testing.assert_array_equal(rows, ref)
        np.testing.assert_array_equal(member.X_[:, 0], X[ref, 0])
        np.testing.assert_array_equal(member.y_, y[ref])
        # a resample keeps every class's count, and repeats rows
        np.testing.assert_array_equal(np.bincount(member.y_), np.bincount(y))
    assert any(len(np.unique(r)) < len(y) for r in ens.estimators_samples_)
    # the resamples differ between members and depend on random_state
    assert not np.array_equal(reference[0], reference[1])
    other = DeepEnsembleClassifier(
        _Recorder(), n_estimators=4, bootstrap=True, random_state=8
    ).fit(X, y)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(ens.estimators_samples_, other.estimators_samples_, strict=True)
    )
    # lists are resampled like arrays
    listed = DeepEnsembleClassifier(
        _Recorder(), n_estimators=4, bootstrap=True, random_state=7
    ).fit(X.tolist(), y.tolist())
    np.testing.assert_array_equal(listed.estimators_[2].X_, ens.estimators_[2].X_)


def test_without_bootstrap_every_member_sees_every_row_with_the_same_seeds(digits):
    X, y = digits
    rec = DeepEnsembleClassifier(_Recorder(), n_estimators=3, random_state=5).fit(
        X[:30], y[:30]
    )
    assert rec.estimators_samples_ is None
    for m in rec.estimators_:
        np.testing.assert_array_equal(m.X_, X[:30])
    # the members are the nets seeded as before the option existed
    base = DeepClassifier(MLP, max_epochs=2, module__hidden_units=(8,))
    ens = DeepEnsembleClassifier(base, n_estimators=2, random_state=5).fit(
        X[:80], y[:80]
    )
    seeds = np.random.RandomState(5).randint(0, np.iinfo(np.int32).max, size=2)
    for m, s in zip(ens.estimators_, seeds, strict=True):
        alone = DeepClassifier(
            MLP, max_epochs=2, module__hidden_units=(8,), random_state=int(s)
        ).fit(X[:80], y[:80])
        np.testing.assert_allclose(
            m.predict_proba(X[80:90]), alone.predict_proba(X[80:90])
        )
    # and bootstrap=True changes them (the nets train on other rows)
    boot = DeepEnsembleClassifier(
        base, n_estimators=2, bootstrap=True, random_state=5
    ).fit(X[:80], y[:80])
    assert not np.allclose(
        boot.estimators_[0].predict_proba(X[80:90]),
        ens.estimators_[0].predict_proba(X[80:90]),
    )
