"""Tests of label dispersion and the prediction recorder."""

import numpy as np
import pytest
from sklearn.base import clone

from skactive import ActiveLearner
from skactive.nets import MLP, DeepClassifier
from skactive.scores import label_dispersion
from skactive.strategies.dispersion import LabelDispersion, PredictionRecorder


def _net(X_pool, epochs=4, **kw):
    return DeepClassifier(
        MLP,
        max_epochs=epochs,
        random_state=0,
        callbacks=[("recorder", PredictionRecorder(X_pool))],
        **kw,
    )


def test_label_dispersion_score():
    P = np.random.RandomState(0).randint(0, 5, (40, 9)).astype(np.int16)
    ref = [1 - np.bincount(r).max() / 9 for r in P]
    np.testing.assert_allclose(label_dispersion(P), ref)
    np.testing.assert_array_equal(label_dispersion(np.zeros((3, 4), int)), 0)
    with pytest.raises(TypeError, match="integer"):
        label_dispersion(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="2-D"):
        label_dispersion(np.zeros(3, int))


def test_recorder_matches_epoch_predictions(digits):
    X, y = digits
    X_pool = X[200:400]
    net = _net(X_pool).fit(X[:200], y[:200])
    rec = dict(net.callbacks_)["recorder"]
    P = rec.predictions_
    assert P.shape == (200, 4) and P.dtype == np.int16
    np.testing.assert_array_equal(P[:, -1], net.predict_proba(X_pool).argmax(1))
    # the record restarts on fit and grows with partial_fit
    net.partial_fit(X[:200], y[:200])
    assert rec.predictions_.shape == (200, 8)
    net.fit(X[:200], y[:200])
    assert rec.predictions_.shape == (200, 4)
    # recording does not change training
    plain = DeepClassifier(MLP, max_epochs=4, random_state=0).fit(X[:200], y[:200])
    np.testing.assert_allclose(plain.predict_proba(X_pool), net.predict_proba(X_pool))


def test_strategy_reads_recorder_and_kwarg(digits):
    X, y = digits
    X_pool = X[200:400]
    net = _net(X_pool, epochs=5).fit(X[:100], y[:100])
    P = dict(net.callbacks_)["recorder"].predictions_
    disp = label_dispersion(P)
    idx, scores = LabelDispersion(random_state=0).select(net, X_pool, 10)
    np.testing.assert_allclose(scores, np.sort(disp)[::-1][:10])
    np.testing.assert_allclose(disp[idx], scores)
    idx2, _ = LabelDispersion(random_state=0).select(net, X_pool, 10, predictions=P)
    np.testing.assert_array_equal(idx, idx2)


def test_in_active_learner(digits):
    X, y = digits
    X_pool = X[200:400]
    learner = ActiveLearner(
        _net(X_pool),
        LabelDispersion(random_state=0),
        X_training=X[:100],
        y_training=y[:100],
    )
    idx, rows = learner.query(X_pool, n_instances=4)
    assert idx.shape == (4,)
    # shrink the pool: update the recorder, then retrain
    keep = np.setdiff1d(np.arange(200), idx)
    learner.estimator.set_params(callbacks__recorder__X_pool=X_pool[keep])
    learner.teach(rows, y[200:400][idx])
    idx, _ = learner.query(X_pool[keep], n_instances=4)
    assert idx.shape == (4,)
    assert clone(learner.estimator).get_params()["callbacks"][0][0] == "recorder"


def test_learner_pool_keeps_the_recorder_in_step(digits):
    # with the learner's pool API the recorder follows the shrinking pool:
    # after every label() it records exactly the rows still in the pool
    X, y = digits
    learner = ActiveLearner(
        _net(X[:5]),  # any rows: the learner points the recorder at its pool
        LabelDispersion(random_state=0),
        X_training=X[:100],
        y_training=y[:100],
        X_pool=X[200:400],
    )
    rec = dict(learner.estimator.callbacks_)["recorder"]
    assert rec.predictions_.shape == (200, 4)
    y_pool = y[200:400]
    for _ in range(2):
        idx, _ = learner.query(n_instances=5)
        scores = label_dispersion(rec.predictions_)
        np.testing.assert_allclose(
            learner.history_[-1]["scores"], np.sort(scores)[::-1][:5]
        )
        learner.label(idx, y_pool[idx])
        y_pool = np.delete(y_pool, idx)
        assert rec.predictions_.shape == (learner.X_pool.shape[0], 4)
        np.testing.assert_array_equal(
            rec.predictions_[:, -1], learner.predict_proba(learner.X_pool).argmax(1)
        )


def test_errors(digits):
    X, y = digits
    plain = DeepClassifier(MLP, max_epochs=1, random_state=0).fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="PredictionRecorder"):
        LabelDispersion().select(plain, X[100:150], 2)
    net = _net(X[100:150], epochs=2).fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="same pool"):
        LabelDispersion().select(net, X[100:160], 2)
    with pytest.raises(TypeError, match="unexpected"):
        LabelDispersion().select(net, X[100:150], 2, bogus=1)
    assert "R" not in LabelDispersion().get_params()
