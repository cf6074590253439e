"""Stopping criteria: when to stop asking for labels.

A stopping criterion is a small stateful callable, consulted once per round
after the model is refitted::

    stop = criterion(estimator, X_stop, n_labels=n, metric=value)

It returns ``True`` from the round it fires on (firing is sticky: once it
has fired it keeps answering ``True`` until :meth:`StoppingCriterion.reset`)
and records that round in ``stop_round_`` (0-based count of the calls
before it) and the labels then in ``stop_labels_``.
:class:`skactive.ActiveLearner` consults one through ``stop=`` and
:meth:`~skactive.ActiveLearner.should_stop`, :func:`skactive.experiment.simulate`
through ``stop=`` (recording the round it fires in the results).

Criteria
--------
:class:`StabilizingPredictions`
    Mean Cohen's kappa between the predictions of consecutive rounds on a
    fixed stop set over a window (Bloodgood & Vijay-Shanker 2009).
:class:`ClassificationChange`
    Share of the stop set whose predicted class changed since the last round
    (Zhu, Wang & Hovy 2008).
:class:`OverallUncertainty`
    Mean uncertainty over the stop set (Zhu, Wang & Hovy 2008).
:class:`MaxConfidence`
    Confidence of the most uncertain row of the stop set (Zhu, Wang & Hovy
    2008).
:class:`LabelBudget`
    A fixed number of labels.
:class:`MetricPlateau`
    A metric (validation accuracy, say) that stopped improving.
:class:`ExtrapolatedGain`
    The recent trend of a metric, extrapolated to the label budget, promises
    less than a given gain (the budget is part of the rule).

:func:`plateau_labels` is the yardstick a criterion is judged by in a
simulation: the labels from which the learning curve stays within a
tolerance of its final value.

:func:`estimate_labels_saved` turns a live loop's criterion (and its
learning curve so far) into one line: the labels stopping saves against the
full budget, and what continuing would buy by extrapolation.

The prediction-based criteria compare predictions between rounds, so they
need the same rows every round: a fixed *stop set* (Bloodgood &
Vijay-Shanker draw 2000 unlabeled rows once), given as the criterion's
``stop_set`` or passed by the caller. A criterion holds the last round's
predictions only (one vector of the stop set's length).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator

from ._rows import n_rows
from ._validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    check_pool,
    unwrap_estimator,
    validate_estimator_params,
    validate_params,
)

__all__ = [
    "StoppingCriterion",
    "StabilizingPredictions",
    "ClassificationChange",
    "OverallUncertainty",
    "MaxConfidence",
    "LabelBudget",
    "MetricPlateau",
    "ExtrapolatedGain",
    "cohen_kappa",
    "plateau_labels",
    "estimate_labels_saved",
]


@validate_params({"a": ["array-like"], "b": ["array-like"]})
def cohen_kappa(a, b):
    """Cohen's kappa between two label vectors.

    ``(p_o - p_e) / (1 - p_e)`` with ``p_o`` the share of rows where ``a``
    and ``b`` agree and ``p_e = sum_c P(a = c) P(b = c)`` the agreement
    expected by chance. When chance agreement is certain (both vectors one
    and the same constant) the kappa is 1 (Bloodgood & Vijay-Shanker treat
    identical predictions as fully stable), and 0 if they disagree.

    Parameters
    ----------
    a, b : array-like of shape (n_samples,)
        Labels (any hashable values), of the same length.

    Returns
    -------
    float

    Examples
    --------
    >>> from skactive.stopping import cohen_kappa
    >>> cohen_kappa([0, 1, 1, 0], [0, 1, 0, 0])
    0.5
    """
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise InvalidParameterError(
            "cohen_kappa: a and b must be non-empty 1-D arrays of the same "
            f"length, got shapes {a.shape} and {b.shape}."
        )
    _, codes = np.unique(np.concatenate([a, b]), return_inverse=True)
    ca, cb = codes[: a.size], codes[a.size :]
    k = int(codes.max()) + 1
    p_o = float(np.mean(ca == cb))
    p_e = float(np.dot(np.bincount(ca, minlength=k), np.bincount(cb, minlength=k)))
    p_e /= float(a.size) ** 2
    if p_e >= 1.0:
        return 1.0 if p_o == 1.0 else 0.0
    return (p_o - p_e) / (1.0 - p_e)


@validate_params(
    {
        "labels": ["array-like"],
        "metric": ["array-like"],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
    }
)
def plateau_labels(labels, metric, *, tol=0.01):
    """Where a learning curve plateaus: labels from which it stays near its end.

    The smallest ``labels[r]`` such that ``|metric[s] - metric[-1]| <= tol``
    for every ``s >= r`` (to within 1e-12, so that a difference of exactly
    ``tol`` counts as within): the accuracy is within ``tol`` (1 point, by
    default) of its final value from there on. It is the point a stopping
    rule should find in a simulation (``benchmarks/bench_stopping.py``
    counts a rule as right when it fires within 10% of it). It depends on
    where the run ends: on a curve that still rises, it moves with the
    budget.

    Parameters
    ----------
    labels : array-like of shape (n_rounds,)
        Labels at every round, strictly increasing.
    metric : array-like of shape (n_rounds,)
        The metric at every round (finite).
    tol : float, default=0.01
        Largest distance from the final value that counts as on the plateau.

    Returns
    -------
    float
        The labels where the plateau starts (``labels[-1]`` if only the last
        round is within ``tol``).

    Examples
    --------
    >>> from skactive.stopping import plateau_labels
    >>> plateau_labels([10, 20, 30, 40, 50], [0.5, 0.795, 0.78, 0.81, 0.80])
    40.0
    """
    labels = np.asarray(labels, dtype=np.float64)
    metric = np.asarray(metric, dtype=np.float64)
    if (
        labels.ndim != 1
        or labels.shape != metric.shape
        or labels.size == 0
        or not np.all(np.isfinite(labels))
        or not np.all(np.isfinite(metric))
        or np.any(np.diff(labels) <= 0)
    ):
        raise InvalidParameterError(
            "plateau_labels: labels and metric must be non-empty finite 1-D "
            "arrays of the same length, labels strictly increasing; got shapes "
            f"{labels.shape} and {metric.shape}."
        )
    # a tolerance: 0.81 - 0.80 is 0.010000000000000009 in floating point
    off = np.flatnonzero(np.abs(metric - metric[-1]) > tol + 1e-12)
    return float(labels[off[-1] + 1]) if off.size else float(labels[0])


class StoppingCriterion(BaseEstimator):
    """Base class of the stopping criteria.

    Subclasses implement ``_update(estimator, X, n_labels, metric)``,
    returning ``(value, fire)``: the statistic of this round (``nan`` when
    there is none yet) and whether it says stop. This class validates the
    parameters, keeps the state and makes firing sticky.

    Attributes
    ----------
    n_calls_ : int
        Rounds consulted so far.
    history_ : list of float
        The statistic of every round consulted.
    labels_ : list of int or None
        The ``n_labels`` given on every call (``None`` where none was).
    stop_round_ : int or None
        The index of the call the criterion fired on (``None`` before).
    stop_labels_ : int or None
        The ``n_labels`` given on that call.
    """

    #: Whether the criterion reads the estimator's predictions on a stop set.
    _needs_predictions = False

    def __call__(self, estimator=None, X=None, *, n_labels=None, metric=None):
        """Consult the criterion after a round; ``True`` once it has fired.

        Parameters
        ----------
        estimator : fitted classifier, modAL learner or None, default=None
            The model of this round (criteria that read predictions).
        X : array-like of shape (n_stop, ...) or None, default=None
            The stop set, when the criterion has no ``stop_set`` of its own;
            the same rows every round.
        n_labels : int or None, default=None
            Labels so far (:class:`LabelBudget` needs it; recorded in
            ``stop_labels_``).
        metric : float or None, default=None
            A score of this round, higher is better (:class:`MetricPlateau`
            and :class:`ExtrapolatedGain` need it).

        Returns
        -------
        bool
            Whether to stop (sticky once fired).
        """
        validate_estimator_params(self)
        if n_labels is not None and (
            isinstance(n_labels, bool)
            or not isinstance(n_labels, numbers.Integral)
            or n_labels < 0
        ):
            raise InvalidParameterError(
                f"{type(self).__name__}: n_labels must be an int >= 0 or None, "
                f"got {n_labels!r}."
            )
        if not hasattr(self, "n_calls_"):
            self.reset()
        if self._needs_predictions:
            X = self._stop_rows(X)
            estimator = unwrap_estimator(estimator)
        value, fire = self._update(estimator, X, n_labels, metric)
        self.history_.append(float(value))
        self.labels_.append(None if n_labels is None else int(n_labels))
        if fire and self.stop_round_ is None:
            self.stop_round_ = self.n_calls_
            self.stop_labels_ = None if n_labels is None else int(n_labels)
        self.n_calls_ += 1
        return self.stop_round_ is not None

    def reset(self):
        """Forget every round consulted (a new loop starts).

        Returns
        -------
        self
        """
        self.n_calls_ = 0
        self.history_ = []
        self.labels_ = []
        self.stop_round_ = None
        self.stop_labels_ = None
        self._last = None
        return self

    def get_state(self):
        """The rounds consulted so far, as plain JSON values.

        What :func:`~skactive.experiment.simulate` stores in its checkpoint
        so that a resumed run fires in the same round as an uninterrupted
        one: the counters, the history (``NaN`` as ``None``), the firing
        round and labels, and the last round's predicted classes on the
        stop set (criteria that compare rounds), as integer class indices.
        A subclass that keeps other state between rounds overrides this
        method and :meth:`set_state`.

        Returns
        -------
        dict
            ``{"n_calls", "history", "labels", "stop_round", "stop_labels",
            "last"}``.

        Examples
        --------
        >>> from skactive.stopping import LabelBudget
        >>> stop = LabelBudget(20)
        >>> _ = stop(n_labels=10), stop(n_labels=20)
        >>> LabelBudget(20).set_state(stop.get_state()).stop_round_
        1
        """
        if not hasattr(self, "n_calls_"):
            self.reset()
        last = self._last
        return {
            "n_calls": int(self.n_calls_),
            "history": [float(v) if np.isfinite(v) else None for v in self.history_],
            "labels": list(self.labels_),
            "stop_round": self.stop_round_,
            "stop_labels": self.stop_labels_,
            "last": None if last is None else np.asarray(last).astype(int).tolist(),
        }

    def set_state(self, state):
        """Restore the rounds of :meth:`get_state` (a resumed loop goes on).

        Parameters
        ----------
        state : dict
            As returned by :meth:`get_state`.

        Returns
        -------
        self

        Raises
        ------
        InvalidParameterError
            If ``state`` is not such a dict (keys, types, counts).
        """
        keys = {"n_calls", "history", "labels", "stop_round", "stop_labels", "last"}
        name = type(self).__name__

        def bad(why):
            return InvalidParameterError(
                f"{name}.set_state: state must be a dict from get_state(); {why}."
            )

        if not isinstance(state, dict) or set(state) != keys:
            raise bad(
                f"got {type(state).__name__} with keys {sorted(state or ())}"
                if isinstance(state, dict)
                else f"got {type(state).__name__}"
            )
        n_calls, history = state["n_calls"], state["history"]
        if not _is_count(n_calls) or not isinstance(history, list):
            raise bad("n_calls must be an int >= 0 and history a list")
        if len(history) != n_calls or not all(
            v is None or (isinstance(v, numbers.Real) and not isinstance(v, bool))
            for v in history
        ):
            raise bad(f"history must hold n_calls={n_calls} numbers or None")
        labels = state["labels"]
        if (
            not isinstance(labels, list)
            or len(labels) != n_calls
            or not all(v is None or _is_count(v) for v in labels)
        ):
            raise bad(f"labels must hold n_calls={n_calls} ints >= 0 or None")
        stop_round, stop_labels = state["stop_round"], state["stop_labels"]
        if stop_round is not None and (
            not _is_count(stop_round) or stop_round >= n_calls
        ):
            raise bad(
                f"stop_round must be None or an int below n_calls, got {stop_round!r}"
            )
        if stop_labels is not None and (
            stop_round is None or not _is_count(stop_labels)
        ):
            raise bad(f"stop_labels must be None or an int >= 0, got {stop_labels!r}")
        last = state["last"]
        if last is not None and (
            not isinstance(last, list) or not all(_is_count(v) for v in last)
        ):
            raise bad("last must be None or a list of class indices")
        self.n_calls_ = int(n_calls)
        self.history_ = [float("nan") if v is None else float(v) for v in history]
        self.labels_ = list(labels)
        self.stop_round_ = stop_round
        self.stop_labels_ = stop_labels
        self._last = None if last is None else np.asarray(last, dtype=np.int64)
        return self

    def _stop_rows(self, X):
        stop_set = getattr(self, "stop_set", None)
        rows = stop_set if stop_set is not None else X
        name = "stop_set" if stop_set is not None else "X"
        if rows is None:
            raise InvalidParameterError(
                f"{type(self).__name__} reads predictions on a stop set: give it "
                "stop_set=... or pass the stop set as X."
            )
        return check_pool(rows, name=name)

    def _predictions(self, estimator, X):
        from ._inference import predict_proba_pool

        if estimator is None:
            raise InvalidParameterError(
                f"{type(self).__name__} needs the fitted estimator of the round."
            )
        return np.asarray(predict_proba_pool(estimator, X))

    def _changed_size(self, X):
        if self._last is not None and self._last.shape[0] != n_rows(X):
            raise InvalidParameterError(
                f"{type(self).__name__} compares predictions on a fixed stop set, "
                f"but it had {self._last.shape[0]} rows last round and "
                f"{n_rows(X)} now: pass the same rows every round (stop_set=...)."
            )

    def _update(self, estimator, X, n_labels, metric):  # pragma: no cover
        raise NotImplementedError


_STOP_SET = ["array-like", None]


def _is_count(value):
    return (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and value >= 0
    )


class StabilizingPredictions(StoppingCriterion):
    """Stop once predictions on a stop set are stable (Bloodgood & Vijay-Shanker).

    Every round the model labels the stop set; the agreement between
    consecutive rounds is Cohen's kappa (:func:`cohen_kappa`). The criterion
    fires once the mean of the last ``window`` kappas reaches ``threshold``
    (their defaults: 3 rounds, 0.99).

    Parameters
    ----------
    threshold : float, default=0.99
        Mean kappa that stops, in ``(0, 1]``.
    window : int, default=3
        Consecutive kappas averaged.
    stop_set : array-like or None, default=None
        The fixed rows the predictions are compared on; ``None`` uses the
        ``X`` of every call (which must then be the same rows).

    Attributes
    ----------
    history_ : list of float
        Kappa of every round with the previous one (``nan`` for the first).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.stopping import StabilizingPredictions
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> stop = StabilizingPredictions(window=2, stop_set=X)
    >>> clf = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> [stop(clf) for _ in range(3)]
    [False, False, True]
    >>> stop.stop_round_, stop.history_[1:]
    (2, [1.0, 1.0])
    """

    _needs_predictions = True
    _parameter_constraints = {
        "threshold": [Interval(numbers.Real, 0, 1, closed="right")],
        "window": [Interval(numbers.Integral, 1, None, closed="left")],
        "stop_set": _STOP_SET,
    }

    def __init__(self, threshold=0.99, *, window=3, stop_set=None):
        self.threshold = threshold
        self.window = window
        self.stop_set = stop_set

    def _update(self, estimator, X, n_labels, metric):
        self._changed_size(X)
        pred = self._predictions(estimator, X).argmax(axis=1)
        last, self._last = self._last, pred
        if last is None:
            return float("nan"), False
        kappa = cohen_kappa(last, pred)
        kappas = [*self.history_[1:], kappa][-self.window :]
        fire = len(kappas) == self.window and np.mean(kappas) >= self.threshold
        return kappa, bool(fire)


class ClassificationChange(StoppingCriterion):
    """Stop when (almost) no prediction changes between rounds (Zhu et al. 2008).

    The statistic is the share of the stop set whose predicted class differs
    from the previous round's; the criterion fires when it is at most
    ``threshold`` (0: no change at all, Zhu, Wang & Hovy's rule).

    Parameters
    ----------
    threshold : float, default=0.0
        Largest share of changed predictions that stops, in ``[0, 1)``.
    stop_set : array-like or None, default=None
        The fixed rows the predictions are compared on; ``None`` uses the
        ``X`` of every call.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.stopping import ClassificationChange
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> stop = ClassificationChange()
    >>> stop(LogisticRegression(C=100).fit(X, [0, 0, 0, 1]), X)
    False
    >>> stop(LogisticRegression(C=100).fit(X, [0, 0, 1, 1]), X), stop.history_[1]
    (False, 0.25)
    >>> stop(LogisticRegression(C=100).fit(X, [0, 0, 1, 1]), X), stop.stop_round_
    (True, 2)
    """

    _needs_predictions = True
    _parameter_constraints = {
        "threshold": [Interval(numbers.Real, 0, 1, closed="left")],
        "stop_set": _STOP_SET,
    }

    def __init__(self, threshold=0.0, *, stop_set=None):
        self.threshold = threshold
        self.stop_set = stop_set

    def _update(self, estimator, X, n_labels, metric):
        self._changed_size(X)
        pred = self._predictions(estimator, X).argmax(axis=1)
        last, self._last = self._last, pred
        if last is None:
            return float("nan"), False
        changed = float(np.mean(last != pred))
        return changed, changed <= self.threshold


def _uncertainty(proba, measure):
    """Per-row uncertainty in ``[0, 1]`` (entropy normalised by ``log K``)."""
    if measure == "least_confidence":
        return 1.0 - proba.max(axis=1)
    if measure == "margin":
        if proba.shape[1] < 2:
            return np.zeros(proba.shape[0])
        top2 = -np.partition(-proba, 1, axis=1)[:, :2]
        return 1.0 - (top2[:, 0] - top2[:, 1])
    if proba.shape[1] < 2:
        return np.zeros(proba.shape[0])
    p = np.clip(proba, 1e-300, 1.0)
    return -(proba * np.log(p)).sum(axis=1) / np.log(proba.shape[1])


_MEASURE = [StrOptions({"entropy", "least_confidence", "margin"})]


class OverallUncertainty(StoppingCriterion):
    """Stop when the mean uncertainty over the stop set is low (Zhu et al. 2008).

    The uncertainty of a row is in ``[0, 1]``: its entropy divided by
    ``log(n_classes)``, ``1 - max_c p`` (``"least_confidence"``) or
    ``1 - (p_1 - p_2)`` (``"margin"``). The criterion fires when its mean over
    the stop set (the unlabeled pool, in Zhu, Wang & Hovy) is at most
    ``threshold``.

    Parameters
    ----------
    threshold : float, default=0.1
        Mean uncertainty that stops, in ``[0, 1]``.
    measure : {"entropy", "least_confidence", "margin"}, default="entropy"
    stop_set : array-like or None, default=None
        Fixed rows to measure on; ``None`` uses the ``X`` of every call (the
        current pool will do: nothing is compared between rounds).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.stopping import OverallUncertainty
    >>> X = np.array([[-5.0], [-4.0], [4.0], [5.0]])
    >>> clf = LogisticRegression(C=100).fit(X, [0, 0, 1, 1])
    >>> stop = OverallUncertainty(threshold=0.1)
    >>> stop(clf, X), stop.history_[0] < 0.1
    (True, True)
    """

    _needs_predictions = True
    _parameter_constraints = {
        "threshold": [Interval(numbers.Real, 0, 1, closed="both")],
        "measure": _MEASURE,
        "stop_set": _STOP_SET,
    }

    def __init__(self, threshold=0.1, *, measure="entropy", stop_set=None):
        self.threshold = threshold
        self.measure = measure
        self.stop_set = stop_set

    def _update(self, estimator, X, n_labels, metric):
        proba = self._predictions(estimator, X)
        value = float(np.mean(_uncertainty(proba, self.measure)))
        return value, value <= self.threshold


class MaxConfidence(StoppingCriterion):
    """Stop when even the most uncertain row is predicted confidently (Zhu et al. 2008).

    The statistic is the smallest confidence ``max_c p(c | x)`` over the stop
    set -- the confidence of the row least-confidence sampling would query
    next; the criterion fires when it reaches ``threshold``.

    Parameters
    ----------
    threshold : float, default=0.9
        Smallest confidence that stops, in ``(0, 1]``.
    stop_set : array-like or None, default=None
        Fixed rows to measure on; ``None`` uses the ``X`` of every call (the
        current pool).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.stopping import MaxConfidence
    >>> X = np.array([[-5.0], [-4.0], [4.0], [5.0]])
    >>> clf = LogisticRegression(C=100).fit(X, [0, 0, 1, 1])
    >>> MaxConfidence(0.9)(clf, X), MaxConfidence(0.9)(clf, [[0.0]])
    (True, False)
    """

    _needs_predictions = True
    _parameter_constraints = {
        "threshold": [Interval(numbers.Real, 0, 1, closed="right")],
        "stop_set": _STOP_SET,
    }

    def __init__(self, threshold=0.9, *, stop_set=None):
        self.threshold = threshold
        self.stop_set = stop_set

    def _update(self, estimator, X, n_labels, metric):
        value = float(self._predictions(estimator, X).max(axis=1).min())
        return value, value >= self.threshold


class LabelBudget(StoppingCriterion):
    """Stop once ``max_labels`` rows are labeled.

    Parameters
    ----------
    max_labels : int
        Labels that stop (``n_labels >= max_labels``).

    Examples
    --------
    >>> from skactive.stopping import LabelBudget
    >>> stop = LabelBudget(30)
    >>> [stop(n_labels=n) for n in (10, 20, 30, 40)], stop.stop_labels_
    ([False, False, True, True], 30)
    """

    _parameter_constraints = {
        "max_labels": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, max_labels):
        self.max_labels = max_labels

    def _update(self, estimator, X, n_labels, metric):
        if n_labels is None:
            raise InvalidParameterError(
                "LabelBudget needs n_labels, the number of labels so far."
            )
        return float(n_labels), n_labels >= self.max_labels


class MetricPlateau(StoppingCriterion):
    """Stop when a metric has not improved for ``patience`` rounds.

    The criterion fires on the round where the best value of the last
    ``patience`` rounds exceeds the best value before them by less than
    ``min_delta`` (early stopping's rule, applied to labelling rounds). The
    metric is passed by the caller: a validation accuracy, a cross-validated
    score, or, in :func:`~skactive.experiment.simulate`, the test accuracy
    (an oracle, which measures where the curve flattens).

    Parameters
    ----------
    patience : int, default=3
        Rounds without improvement that stop.
    min_delta : float, default=0.01
        Smallest gain that counts as an improvement.

    Examples
    --------
    >>> from skactive.stopping import MetricPlateau
    >>> stop = MetricPlateau(patience=2, min_delta=0.01)
    >>> [stop(metric=m) for m in (0.5, 0.7, 0.8, 0.805, 0.803, 0.9)]
    [False, False, False, False, True, True]
    >>> stop.stop_round_
    4
    """

    _parameter_constraints = {
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "min_delta": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(self, patience=3, *, min_delta=0.01):
        self.patience = patience
        self.min_delta = min_delta

    def _update(self, estimator, X, n_labels, metric):
        if metric is None or not np.isfinite(metric):
            raise InvalidParameterError(
                f"MetricPlateau needs a finite metric of the round, got {metric!r}."
            )
        values = [*self.history_, float(metric)]
        if len(values) <= self.patience:
            return float(metric), False
        before = max(values[: -self.patience])
        recent = max(values[-self.patience :])
        return float(metric), recent - before < self.min_delta


_FITS = [StrOptions({"linear", "log"})]


def _trend_gain(labels, values, n_labels, budget, *, window, fit, z, min_points):
    """Upper bound of the gain from ``n_labels`` to ``budget`` of a fitted trend.

    The rounds with labels ``>= window * n_labels`` are fitted by least
    squares with ``values = a + b x`` (``x`` the labels, or their log); the
    slope's upper bound ``b + z * se(b)`` (``se`` the ordinary least-squares
    standard error), floored at 0, times ``x(budget) - x(n_labels)``.
    ``nan`` with fewer than ``min_points`` rounds (or fewer than 3: no
    standard error), 0 once ``n_labels >= budget``.
    """
    if n_labels >= budget:
        return 0.0
    labels = np.asarray(labels, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    keep = labels >= window * n_labels
    k = int(keep.sum())
    if k < max(min_points, 3):
        return float("nan")
    x = labels[keep] if fit == "linear" else np.log(labels[keep])
    v = values[keep]
    xc = x - x.mean()
    sxx = float(xc @ xc)
    if sxx <= 0.0:
        return float("nan")
    b = float(xc @ (v - v.mean())) / sxx
    resid = v - v.mean() - b * xc
    se = np.sqrt(float(resid @ resid) / (k - 2) / sxx)
    span = budget - n_labels if fit == "linear" else np.log(budget / n_labels)
    return float(max(b + z * se, 0.0) * span)


class ExtrapolatedGain(StoppingCriterion):
    """Stop when the metric's recent trend promises < ``min_gain`` by the budget.

    The criterion knows the label budget the loop would otherwise go to.
    Every round it fits a straight line to the metric of the recent rounds
    (those with at least ``window`` times the current labels), against the
    labels (``fit="linear"``) or their logarithm (``fit="log"``), takes the
    slope's upper bound ``b + z * se(b)`` (ordinary least-squares standard
    error; floored at 0) and extrapolates it to ``budget``::

        gain = max(b + z * se(b), 0) * (x(budget) - x(n_labels))

    It fires once that gain is at most ``min_gain``: continuing to the
    budget would, even on the optimistic slope, buy less than ``min_gain``.
    On a concave learning curve a straight line through the recent rounds
    overestimates what is left, and the standard error keeps a noisy, flat
    stretch early in the run from stopping it; at the budget the gain is 0.

    The metric is the caller's: a validation accuracy, a cross-validated
    score of the model on the labeled rows, or, in
    :func:`~skactive.experiment.simulate`, the test accuracy (an oracle).
    ``benchmarks/bench_stopping.py`` measures how close it fires to the
    plateau of :func:`plateau_labels`, with both.

    Parameters
    ----------
    budget : int
        Labels the loop would go to; the plateau of :func:`plateau_labels`
        is measured against the metric there.
    min_gain : float, default=0.01
        Gain by ``budget`` below which the criterion stops (the
        tolerance of :func:`plateau_labels`, 1 point, by default).
    window : float, default=0.5
        The rounds fitted: those with labels ``>= window * n_labels``, in
        ``(0, 1)``.
    fit : {"linear", "log"}, default="linear"
        The trend: a straight line in the labels, or in their logarithm.
    z : float, default=3.0
        Standard errors added to the fitted slope (0: the slope itself).
        The default is the value ``benchmarks/bench_stopping.py --tune``
        chose on MNIST with the cross-validated accuracy as the metric
        (checked on CIFAR-10 without re-tuning; see the user guide's
        *Do the stopping rules find the plateau?*).
    min_points : int, default=5
        Fewest rounds in the window for a fit (at least 3); before that the
        gain is ``nan`` and the criterion does not fire.

    Attributes
    ----------
    history_ : list of float
        The metric of every round.
    gains_ : list of float
        The extrapolated gain of every round (``nan`` without a fit).

    See Also
    --------
    MetricPlateau : Stop when the metric stopped improving (no budget).
    estimate_labels_saved : What stopping saves, with a power-law fit.

    Examples
    --------
    A hand-worked case: in round 6, at 70 labels, the rounds from 35
    labels on (40 to 70) rise by 0.00026 per label, so 30 more labels would
    buy 0.0078 < 0.01.

    >>> from skactive.stopping import ExtrapolatedGain
    >>> stop = ExtrapolatedGain(100, z=0.0, min_points=3)
    >>> curve = [(10, 0.50), (20, 0.60), (30, 0.66), (40, 0.68), (50, 0.685),
    ...          (60, 0.687), (70, 0.688)]
    >>> [stop(n_labels=n, metric=m) for n, m in curve]
    [False, False, False, False, False, False, True]
    >>> [round(g, 4) for g in stop.gains_[3:]], stop.stop_labels_
    ([0.24, 0.0625, 0.0344, 0.0078], 70)
    """

    _parameter_constraints = {
        "budget": [Interval(numbers.Integral, 1, None, closed="left")],
        "min_gain": [Interval(numbers.Real, 0, None, closed="left")],
        "window": [Interval(numbers.Real, 0, 1, closed="neither")],
        "fit": _FITS,
        "z": [Interval(numbers.Real, 0, None, closed="left")],
        "min_points": [Interval(numbers.Integral, 3, None, closed="left")],
    }

    def __init__(
        self, budget, *, min_gain=0.01, window=0.5, fit="linear", z=3.0, min_points=5
    ):
        self.budget = budget
        self.min_gain = min_gain
        self.window = window
        self.fit = fit
        self.z = z
        self.min_points = min_points

    def reset(self):
        """Forget every round consulted (a new loop starts).

        Returns
        -------
        self
        """
        super().reset()
        self.gains_ = []
        return self

    def set_state(self, state):
        """Restore the rounds of :meth:`get_state`; the gains are refitted.

        Parameters
        ----------
        state : dict
            As returned by :meth:`~StoppingCriterion.get_state`.

        Returns
        -------
        self
        """
        super().set_state(state)
        self.gains_ = [
            self._gain(self.labels_[: i + 1], self.history_[: i + 1])
            for i in range(self.n_calls_)
        ]
        return self

    def _gain(self, labels, values):
        if any(v is None for v in labels):
            return float("nan")
        return _trend_gain(
            labels,
            values,
            labels[-1],
            self.budget,
            window=self.window,
            fit=self.fit,
            z=self.z,
            min_points=self.min_points,
        )

    def _update(self, estimator, X, n_labels, metric):
        if n_labels is None or n_labels < 1:
            raise InvalidParameterError(
                "ExtrapolatedGain needs n_labels >= 1, the number of labels so "
                f"far, got {n_labels!r}."
            )
        if metric is None or not np.isfinite(metric):
            raise InvalidParameterError(
                f"ExtrapolatedGain needs a finite metric of the round, got {metric!r}."
            )
        last = self.labels_[-1] if self.labels_ else None
        if last is not None and n_labels <= last:
            raise InvalidParameterError(
                "ExtrapolatedGain: n_labels must grow from round to round, got "
                f"{n_labels} after {last}."
            )
        gain = self._gain([*self.labels_, int(n_labels)], [*self.history_, metric])
        self.gains_.append(gain)
        return float(metric), bool(np.isfinite(gain) and gain <= self.min_gain)


#: exponents ``c`` of the power law ``a - b * n**-c`` tried by the fit
_EXPONENTS = np.geomspace(0.05, 3.0, 60)


def _power_law_fit(labels, values):
    """Least-squares ``f(n) = a - b n**-c`` (``b >= 0``, ``c`` on a grid).

    Returns ``f`` as a function of the labels; a constant (the mean) when
    no increasing power law fits better.
    """
    best = (np.sum((values - values.mean()) ** 2), values.mean(), 0.0, 1.0)
    for c in _EXPONENTS:
        A = np.column_stack([np.ones_like(labels), -(labels**-c)])
        (a, b), *_ = np.linalg.lstsq(A, values, rcond=None)
        if b < 0:
            continue
        sse = float(np.sum((A @ np.array([a, b]) - values) ** 2))
        if sse < best[0] - 1e-15:
            best = (sse, a, b, c)
    _, a, b, c = best
    return lambda n: float(a - b * float(n) ** -c)


def _check_curve(curve):
    """``(labels, values)`` of a learning curve: >= 3 finite points, labels > 0."""
    try:
        labels, values = curve
    except (TypeError, ValueError):
        raise InvalidParameterError(
            "estimate_labels_saved: curve must be a pair (labels, metric) of "
            f"equal-length arrays, got {type(curve).__name__}."
        ) from None
    labels = np.asarray(labels, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if labels.ndim != 1 or labels.shape != values.shape:
        raise InvalidParameterError(
            "estimate_labels_saved: curve must be a pair (labels, metric) of "
            f"equal-length 1-D arrays, got shapes {labels.shape} and {values.shape}."
        )
    keep = np.isfinite(labels) & np.isfinite(values)
    labels, values = labels[keep], values[keep]
    if np.any(labels <= 0) or np.any(np.diff(labels) <= 0):
        raise InvalidParameterError(
            "estimate_labels_saved: the labels of curve must be positive and "
            f"strictly increasing, got {labels.tolist()}."
        )
    return labels, values


@validate_params(
    {
        "stop": [HasMethods(["get_state"])],
        "budget": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_labels": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "curve": [tuple, list, None],
    }
)
def estimate_labels_saved(stop, budget, *, n_labels=None, curve=None):
    """Estimate the labels a live loop saves by stopping when ``stop`` says so.

    The saving is counted against continuing to the full ``budget``: if the
    criterion has fired, stopping at the labels it fired at saves
    ``budget - stop_labels_`` labels; if it has not, nothing is saved yet.
    When a learning curve of the loop so far is known (``curve``, or the
    metric history of a :class:`MetricPlateau` or an
    :class:`ExtrapolatedGain`), the estimate also says what
    continuing would buy: a power law ``f(n) = a - b n**-c`` (``b >= 0``)
    fitted by least squares to the curve, extrapolated to ``budget``.

    What the estimate assumes, and what it does not say:

    * the saving is in labels only; it is a saving only if the criterion is
      right that the model has stopped improving -- the extrapolated gain
      is the check, and it is an extrapolation beyond the labels seen, from
      a curve shape (saturating power law) that learning curves usually,
      not always, follow (it cannot foresee a late jump, e.g. a class first
      met late);
    * no interval: a live loop has one curve, not repeats (for a finished
      simulation, :func:`skactive.experiment.labels_saved` gives a
      bootstrap interval over seeds);
    * the metric is whatever the caller measured (a validation accuracy,
      say); a metric on the labeled rows themselves is optimistic.

    Parameters
    ----------
    stop : StoppingCriterion
        The loop's criterion, consulted once per round (its ``labels_`` and
        ``stop_labels_`` give the labels, its ``history_`` the metric of a
        :class:`MetricPlateau` or an :class:`ExtrapolatedGain`).
    budget : int
        Labels the loop would otherwise go to.
    n_labels : int or None, default=None
        Labels now; ``None`` takes the last ``n_labels`` the criterion was
        consulted with (the learners pass their labeled rows;
        :class:`skactive.DeepActiveLearner`, which keeps none, its
        ``n_labels_``).
    curve : tuple of (array-like, array-like) or None, default=None
        ``(labels, metric)`` of the rounds so far (at least 3 finite points
        for the extrapolation); ``None`` uses a :class:`MetricPlateau`'s
        or an :class:`ExtrapolatedGain`'s own history, and no extrapolation
        for other criteria.

    Returns
    -------
    dict
        ``"criterion"``, ``"fired"``, ``"round"`` (``stop_round_``),
        ``"n_labels"`` (the labels stopping costs), ``"budget"``,
        ``"saved"`` and ``"share"`` (of the budget), ``"metric"`` and
        ``"metric_at_budget"`` (the fit at ``n_labels`` and at ``budget``),
        ``"gain"`` (their difference: what stopping forgoes, ``nan``
        without a curve), ``"n_points"`` (of the curve), and ``"line"``,
        the estimate in one line.

    Examples
    --------
    >>> from skactive.stopping import MetricPlateau, estimate_labels_saved
    >>> stop = MetricPlateau(patience=2, min_delta=0.01)
    >>> for n, acc in [(20, 0.60), (40, 0.75), (60, 0.80), (80, 0.805), (100, 0.806)]:
    ...     _ = stop(n_labels=n, metric=acc)
    >>> est = estimate_labels_saved(stop, 300)
    >>> est["fired"], est["n_labels"], est["saved"]
    (True, 100, 200)
    >>> print(est["line"])  # doctest: +ELLIPSIS
    MetricPlateau fired in round 4 at 100 labels: stopping saves 200 of 300 labels (67%); ...
    """  # noqa: E501
    name = type(stop).__name__
    fired = getattr(stop, "stop_round_", None) is not None
    recorded = [v for v in getattr(stop, "labels_", []) if v is not None]
    if n_labels is None:
        n_labels = stop.stop_labels_ if fired else (recorded[-1] if recorded else None)
    if not n_labels:  # None, or 0 (a learner that keeps no labeled rows)
        raise InvalidParameterError(
            f"estimate_labels_saved: the labels of the loop are unknown ({name} "
            "was not consulted with n_labels > 0); pass n_labels."
        )
    n_labels = int(n_labels)
    if curve is None and isinstance(stop, (MetricPlateau, ExtrapolatedGain)):
        labels = getattr(stop, "labels_", [])
        if labels and all(v is not None for v in labels):
            curve = (labels, stop.history_)
    saved = max(int(budget) - n_labels, 0) if fired else 0
    out = {
        "criterion": name,
        "fired": fired,
        "round": stop.stop_round_ if fired else None,
        "n_labels": n_labels,
        "budget": int(budget),
        "saved": saved,
        "share": saved / int(budget),
        "metric": float("nan"),
        "metric_at_budget": float("nan"),
        "gain": float("nan"),
        "n_points": 0,
    }
    if curve is not None:
        labels, values = _check_curve(curve)
        out["n_points"] = int(labels.size)
        if labels.size >= 3:
            f = _power_law_fit(labels, values)
            out["metric"] = f(n_labels)
            out["metric_at_budget"] = f(max(int(budget), n_labels))
            out["gain"] = out["metric_at_budget"] - out["metric"]
    out["line"] = _estimate_line(out)
    return out


def _estimate_line(e):
    if e["fired"]:
        head = (
            f"{e['criterion']} fired in round {e['round']} at {e['n_labels']} "
            f"labels: stopping saves {e['saved']} of {e['budget']} labels "
            f"({100 * e['share']:.0f}%)"
        )
    else:
        left = max(e["budget"] - e["n_labels"], 0)
        head = (
            f"{e['criterion']} has not fired at {e['n_labels']} labels: no labels "
            f"saved yet ({left} of {e['budget']} left)"
        )
    if np.isfinite(e["gain"]):
        tail = (
            f"; the learning curve ({e['n_points']} points, power-law fit) "
            f"extrapolates the metric {e['metric']:.4f} -> "
            f"{e['metric_at_budget']:.4f} at {e['budget']} labels "
            f"({e['gain']:+.4f} forgone by stopping; an extrapolation)"
        )
    elif e["n_points"]:
        tail = f"; too few points ({e['n_points']}) to extrapolate the curve"
    else:
        tail = "; no learning curve given, so no estimate of what continuing buys"
    return head + tail
