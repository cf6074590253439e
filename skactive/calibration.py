"""Temperature scaling: calibrate a fitted classifier on held-out labeled rows.

:func:`calibrate` fits one temperature ``T`` that minimises the negative
log-likelihood of ``softmax(log p / T)`` on held-out rows (Guo et al. 2017)
and returns a :class:`TemperatureScaled` classifier: the same predictions,
probabilities that are neither over- nor under-confident. Uncertainty
Herding (Bae et al. 2025) calibrates this way before weighting coverage by
uncertainty; any strategy that reads probabilities can be given the scaled
model.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin

from ._constraints import Sequences
from ._validation import (
    HasMethods,
    InvalidParameterError,
    check_fitted,
    validate_estimator_params,
    validate_params,
)

__all__ = ["TemperatureScaled", "calibrate", "fit_temperature"]

_LOG_TINY = np.log(np.finfo(np.float64).tiny)


def _log_proba(proba):
    return np.maximum(np.log(np.clip(proba, 0.0, None) + 1e-300), _LOG_TINY)


def _nll(log_p, codes, T):
    z = log_softmax(log_p / T, axis=1)
    return -float(np.mean(z[np.arange(len(codes)), codes]))


@validate_params(
    {
        "proba": ["array-like"],
        "y": ["array-like"],
        "classes": ["array-like"],
        "bounds": [Sequences(numbers.Real, length=2, increasing=True)],
    }
)
def fit_temperature(proba, y, classes, *, bounds=(0.05, 20.0)):
    """The temperature minimising the NLL of ``softmax(log proba / T)``.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities of held-out rows.
    y : array-like of shape (n_samples,)
        Their labels, among ``classes``.
    classes : array-like of shape (n_classes,)
        The label of each column.
    bounds : pair of float, default=(0.05, 20.0)
        The search interval of ``T`` (searched on a log scale).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.calibration import fit_temperature
    >>> proba = np.array([[0.99, 0.01], [0.99, 0.01], [0.01, 0.99], [0.99, 0.01]])
    >>> fit_temperature(proba, [0, 1, 1, 0], [0, 1]) > 1  # overconfident
    True
    """
    proba = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y)
    classes = np.asarray(classes)
    if proba.ndim != 2 or proba.shape[1] != classes.size or len(y) != len(proba):
        raise InvalidParameterError(
            f"fit_temperature: proba of shape {proba.shape} does not match "
            f"{len(y)} labels and {classes.size} classes."
        )
    if len(y) == 0:
        raise InvalidParameterError("fit_temperature: no labeled rows to fit on.")
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    unknown = sorted({v for v in y.tolist() if v not in lookup}, key=str)
    if unknown:
        raise InvalidParameterError(
            f"fit_temperature: y has labels {unknown} that are not classes of the "
            "model."
        )
    codes = np.array([lookup[v] for v in y.tolist()])
    log_p = _log_proba(proba)
    lo, hi = np.log(bounds[0]), np.log(bounds[1])
    res = minimize_scalar(
        lambda t: _nll(log_p, codes, np.exp(t)),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-6},
    )
    return float(np.exp(res.x))


class TemperatureScaled(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose probabilities are temperature-scaled.

    ``predict_proba(X) = softmax(log p(X) / temperature_)``, ``p`` the
    wrapped estimator's probabilities; the predicted classes do not change.
    The estimator must already be fitted (it is not refitted): :meth:`fit`
    fits the temperature only, on held-out rows.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    bounds : pair of float, default=(0.05, 20.0)
        The search interval of the temperature.

    Attributes
    ----------
    temperature_ : float
    classes_ : ndarray
        The estimator's classes.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.calibration import TemperatureScaled
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:100], y[:100])
    >>> scaled = TemperatureScaled(clf).fit(X[100:300], y[100:300])
    >>> bool((scaled.predict(X[300:]) == clf.predict(X[300:])).all())
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["predict_proba"])],
        "bounds": [Sequences(numbers.Real, length=2, increasing=True)],
    }

    def __init__(self, estimator, *, bounds=(0.05, 20.0)):
        self.estimator = estimator
        self.bounds = bounds

    def _proba(self, X):
        from ._inference import predict_proba_pool

        return predict_proba_pool(self.estimator, X)

    def fit(self, X, y):
        """Fit the temperature on held-out rows ``X`` with labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        validate_estimator_params(self)
        if self.bounds[0] <= 0:
            raise InvalidParameterError(
                f"TemperatureScaled: bounds must be positive, got {self.bounds!r}."
            )
        check_fitted(self.estimator)
        self.classes_ = np.asarray(self.estimator.classes_)
        self.temperature_ = fit_temperature(
            self._proba(X), y, self.classes_, bounds=tuple(self.bounds)
        )
        return self

    def predict_proba(self, X):
        """Temperature-scaled probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_fitted(self)
        z = log_softmax(_log_proba(self._proba(X)) / self.temperature_, axis=1)
        return np.exp(z)

    def predict(self, X):
        """The estimator's classes (unchanged by the temperature).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_fitted(self)
        return self.classes_[np.argmax(self._proba(X), axis=1)]

    def __sklearn_is_fitted__(self):
        return hasattr(self, "temperature_")


@validate_params(
    {
        "estimator": [HasMethods(["predict_proba"])],
        "X": ["array-like"],
        "y": ["array-like"],
    }
)
def calibrate(estimator, X, y):
    """Temperature-scale a fitted classifier on held-out rows.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    X : array-like of shape (n_samples, ...)
        Held-out rows (not the ones it was trained on, or it looks
        overconfident on them and the temperature comes out too low).
    y : array-like of shape (n_samples,)

    Returns
    -------
    TemperatureScaled
        Fitted: ``temperature_`` set.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.calibration import calibrate
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:100], y[:100])
    >>> calibrate(clf, X[100:300], y[100:300]).temperature_ > 0
    True
    """
    return TemperatureScaled(estimator).fit(X, y)
