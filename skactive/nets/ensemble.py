"""Deep ensembles: independently trained nets as one classifier (Beluch et al. 2018)."""

from __future__ import annotations

import numbers

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state

from .._random import seed_from_random_state
from .._validation import (
    N_JOBS,
    HasMethods,
    Interval,
    InvalidParameterError,
    validate_estimator_params,
    validate_parameter,
)

__all__ = ["DeepEnsembleClassifier"]


def _fit_member(estimator, X, y, fit_params, rows):
    if rows is not None:
        X, y = X[rows], y[rows]
    return estimator.fit(X, y, **fit_params)


def _stratified_bootstrap(y, seed):
    """Rows drawn with replacement within each class, class counts kept."""
    rng = np.random.default_rng(seed)
    classes, codes = np.unique(y, return_inverse=True)
    parts = [
        rng.choice(np.flatnonzero(codes == c), size=int(np.sum(codes == c)))
        for c in range(len(classes))
    ]
    return np.sort(np.concatenate(parts))


class DeepEnsembleClassifier(ClassifierMixin, BaseEstimator):
    r"""An ensemble of independently trained nets (Beluch et al., CVPR 2018).

    ``n_estimators`` clones of ``estimator`` differ only in their
    ``random_state`` (initialisation, shuffling, dropout), are trained on the
    same rows -- as in the paper, whose members differ only in their random
    initialisation, and in Lakshminarayanan et al., who found that bagging
    the rows hurt -- in parallel through joblib, and predict the mean of
    their probabilities,

    .. math::

        p(y \mid x) = \frac1M \sum_{m=1}^M p(y \mid x, \theta_m).

    The members are the samples of the ensemble's posterior: through
    :meth:`predict_proba_samples` -- the inference door the MC-dropout
    strategies read (:class:`~skactive.strategies.BALD`,
    :class:`~skactive.strategies.VariationRatios`,
    :class:`~skactive.strategies.BatchBALD` ...) -- and through
    ``estimators_`` for :class:`~skactive.strategies.QueryByCommittee`.
    Beluch et al. query by the variation ratio of the members' votes.

    Parameters
    ----------
    estimator : skactive net or scikit-learn classifier
        The member template; it must take a ``random_state`` parameter.
    n_estimators : int, default=5
        Number of members ``M >= 2`` (the paper's 5 to 10).
    bootstrap : bool, default=False
        Train each member on its own bootstrap resample of the labeled rows
        (bagging, as the ensemble of Suggestive Annotation, Yang et al. 2017):
        within each class, as many rows as the class has, drawn with
        replacement, so that every member sees every class; seeded per member.
        ``False``: every member sees every row once.
    n_jobs : int or None, default=None
        joblib workers training the members (``-1``: all cores).
    random_state : int, RandomState instance or None, default=None
        Seeds the members' ``random_state``, their bootstrap resamples and
        the choice of members in :meth:`predict_proba_samples`. Pass an int
        for reproducible output across multiple function calls.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members.
    classes_ : ndarray of shape (n_classes,)
        Class labels (those of the first member; every member must agree).
    estimators_samples_ : list of ndarray or None
        With ``bootstrap=True``, the sorted row indices (repeats included)
        each member was trained on; ``None`` otherwise.

    References
    ----------
    W. H. Beluch, T. Genewein, A. Nürnberger and J. M. Köhler, "The power of
    ensembles for active learning in image classification", CVPR 2018.
    B. Lakshminarayanan, A. Pritzel and C. Blundell, "Simple and Scalable
    Predictive Uncertainty Estimation using Deep Ensembles", NeurIPS 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier, DeepEnsembleClassifier
    >>> from skactive.strategies import VariationRatios
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> ens = DeepEnsembleClassifier(DeepClassifier(MLP, max_epochs=3),
    ...                              n_estimators=3, random_state=0)
    >>> ens = ens.fit(X[:150], y[:150])
    >>> ens.predict_proba_samples(X[150:152], n_samples=3).shape
    (3, 2, 10)
    >>> VariationRatios(n_samples=3, random_state=0)(ens, X[150:], 2).shape
    (2,)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "n_estimators": [Interval(numbers.Integral, 2, None, closed="left")],
        "bootstrap": ["boolean"],
        "n_jobs": N_JOBS,
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        *,
        n_estimators=5,
        bootstrap=False,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.bootstrap = bootstrap
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y, **fit_params):
        """Train ``n_estimators`` members, each with its own seed (and rows).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Training rows.
        y : array-like of shape (n_samples,)
            Labels.
        **fit_params : dict
            Passed to every member's ``fit`` (not resampled with
            ``bootstrap=True``).

        Returns
        -------
        self : DeepEnsembleClassifier
        """
        validate_estimator_params(self)
        if "random_state" not in self.estimator.get_params():
            raise InvalidParameterError(
                f"{type(self).__name__}: estimator must take a random_state "
                f"parameter, which seeds each member; {type(self.estimator).__name__} "
                "has none."
            )
        rng = check_random_state(self.random_state)
        seeds = rng.randint(0, np.iinfo(np.int32).max, size=self.n_estimators)
        members = [clone(self.estimator).set_params(random_state=int(s)) for s in seeds]
        if self.bootstrap:
            # drawn after the member seeds, so bootstrap=False keeps its members
            row_seeds = rng.randint(0, np.iinfo(np.int32).max, size=self.n_estimators)
            if not hasattr(X, "__getitem__") or not hasattr(X, "__len__"):
                raise InvalidParameterError(
                    f"{type(self).__name__}: bootstrap=True needs rows it can "
                    f"index; X is a {type(X).__name__}."
                )
            if isinstance(X, (list, tuple)):
                X = np.asarray(X)
            y = np.asarray(y)
            rows = [_stratified_bootstrap(y, int(s)) for s in row_seeds]
        else:
            rows = [None] * self.n_estimators
        self.estimators_samples_ = rows if self.bootstrap else None
        self.estimators_ = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_member)(m, X, y, fit_params, r)
            for m, r in zip(members, rows, strict=True)
        )
        classes = [np.asarray(m.classes_) for m in self.estimators_]
        if any(len(c) != len(classes[0]) or np.any(c != classes[0]) for c in classes):
            raise InvalidParameterError(
                f"{type(self).__name__}: the members learned different classes; "
                "set the estimator's classes parameter."
            )
        self.classes_ = classes[0]
        return self

    def __sklearn_is_fitted__(self):
        return hasattr(self, "estimators_")

    def _check_fitted(self):
        if not hasattr(self, "estimators_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call "
                "'fit' with appropriate arguments before using this estimator."
            )

    def predict_proba(self, X):
        """Mean of the members' class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Rows.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        self._check_fitted()
        return np.mean(
            [
                np.asarray(m.predict_proba(X), dtype=np.float64)
                for m in self.estimators_
            ],
            axis=0,
        )

    def predict(self, X):
        """The most probable class of the mean prediction.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Rows.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def embed(self, X):
        """The members' embeddings, each L2-normalised, side by side.

        The cosine similarity of two rows in this embedding is the mean of
        their cosine similarities in the members' embeddings (every member
        must have ``embed``, as the skactive nets do).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Rows.

        Returns
        -------
        ndarray of float32 of shape (n_samples, sum of the members' widths)
        """
        self._check_fitted()
        parts = []
        for m in self.estimators_:
            if not callable(getattr(m, "embed", None)):
                raise InvalidParameterError(
                    f"{type(self).__name__}.embed: member {type(m).__name__} has "
                    "no embed() method."
                )
            e = np.asarray(m.embed(X), dtype=np.float32)
            norms = np.linalg.norm(e, axis=1, keepdims=True)
            parts.append(
                e / np.where(norms > 0, norms, 1.0) / np.sqrt(len(self.estimators_))
            )
        return np.concatenate(parts, axis=1)

    def predict_proba_samples(
        self, X, n_samples=None, *, consistent=True, random_state=None
    ):
        """The members' probabilities as posterior samples ``(T, n, C)``.

        With ``T = n_samples`` a multiple of ``M = n_estimators``, every
        member appears ``T / M`` times (the statistics are those of the
        members exactly); otherwise each member appears ``T // M`` times and
        ``T % M`` distinct members, drawn from ``random_state``, once more.
        Sample ``t`` of every row comes from the same member, so the samples
        are *consistent* (joint quantities such as BatchBALD's are valid).

        Parameters
        ----------
        X : array-like of shape (n, ...)
            Rows.
        n_samples : int or None, default=None
            ``T >= 2``; ``None``: ``n_estimators``.
        consistent : bool, default=True
            Accepted for the inference door; member samples are always
            consistent.
        random_state : int, RandomState instance or None, default=None
            Draws the extra members when ``T`` is not a multiple of ``M``;
            defaults to the ensemble's ``random_state``.

        Returns
        -------
        ndarray of float32 of shape (n_samples, n, n_classes)
        """
        self._check_fitted()
        M = len(self.estimators_)
        T = M if n_samples is None else n_samples
        caller = f"{type(self).__name__}.predict_proba_samples"
        validate_parameter(
            T, "n_samples", [Interval(numbers.Integral, 2, None, closed="left")], caller
        )
        validate_parameter(consistent, "consistent", ["boolean"], caller)
        order = np.tile(np.arange(M), T // M)
        if T % M:
            seed = seed_from_random_state(
                self.random_state if random_state is None else random_state
            )
            extra = np.random.default_rng(seed).choice(M, T % M, replace=False)
            order = np.concatenate([order, np.sort(extra)])
        probas = {
            int(m): np.asarray(self.estimators_[m].predict_proba(X), np.float32)
            for m in np.unique(order)
        }
        return np.stack([probas[int(m)] for m in order])
