"""Temperature scaling (skactive.calibration), against a grid search."""

import numpy as np
import pytest
from scipy.special import log_softmax
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from skactive._validation import InvalidParameterError
from skactive.calibration import TemperatureScaled, calibrate, fit_temperature


def _nll(proba, y, T):
    z = log_softmax(np.log(proba) / T, axis=1)
    return -np.mean(z[np.arange(len(y)), y])


def test_temperature_minimises_the_nll_like_a_grid():
    rng = np.random.RandomState(0)
    logits = 4 * rng.randn(200, 3)
    proba = np.exp(log_softmax(logits, axis=1))
    y = np.array([rng.choice(3, p=np.exp(log_softmax(l / 3, axis=0))) for l in logits])
    T = fit_temperature(proba, y, [0, 1, 2])
    grid = np.exp(np.linspace(np.log(0.05), np.log(20), 4001))
    best = grid[np.argmin([_nll(proba, y, t) for t in grid])]
    assert T == pytest.approx(best, rel=5e-3)
    assert 2 < T < 4.5  # the labels were drawn at temperature 3


def test_fit_temperature_refuses_mismatches():
    p = np.array([[0.5, 0.5]])
    with pytest.raises(InvalidParameterError, match="not classes"):
        fit_temperature(p, [7], [0, 1])
    with pytest.raises(InvalidParameterError, match="does not match"):
        fit_temperature(p, [0, 1], [0, 1])
    with pytest.raises(InvalidParameterError, match="bounds must be"):
        fit_temperature(p, [0], [0, 1], bounds=(2.0, 1.0))


def test_scaled_model_keeps_predictions_and_scales_probabilities():
    X, y = load_digits(return_X_y=True)
    clf = LogisticRegression(max_iter=2000).fit(X[:80], y[:80])
    scaled = calibrate(clf, X[80:400], y[80:400])
    assert isinstance(scaled, TemperatureScaled)
    np.testing.assert_array_equal(scaled.predict(X[400:]), clf.predict(X[400:]))
    expected = np.exp(
        log_softmax(np.log(clf.predict_proba(X[400:])) / scaled.temperature_, axis=1)
    )
    np.testing.assert_allclose(scaled.predict_proba(X[400:]), expected, rtol=1e-6)
    # held-out NLL does not get worse
    codes = y[80:400]
    assert (
        _nll(scaled.predict_proba(X[80:400]), codes, 1.0)
        <= _nll(clf.predict_proba(X[80:400]), codes, 1.0) + 1e-9
    )
    with pytest.raises(NotFittedError):
        TemperatureScaled(clf).predict_proba(X[:3])
    with pytest.raises(NotFittedError):
        TemperatureScaled(LogisticRegression()).fit(X[:3], y[:3])
    with pytest.raises(InvalidParameterError, match="estimator must"):
        TemperatureScaled(3).fit(X[:3], y[:3])
