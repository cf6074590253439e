"""``skactive.ActiveLearner``: modAL's learner, working on today's stack."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
import torch
from modAL.models import ActiveLearner as _ModalActiveLearner
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from ._rows import n_rows, take_rows
from ._validation import (
    UNLABELED,
    HasMethods,
    InvalidParameterError,
    check_pool,
    validate_parameter_constraints,
)
from .strategies import QueryStrategy, entropy_sampling

__all__ = ["ActiveLearner", "learns_from_unlabeled", "UNLABELED"]


def learns_from_unlabeled(estimator) -> bool:
    """Whether ``estimator`` learns from rows labeled ``-1`` (semi-supervised).

    True for estimators that declare ``_learns_from_unlabeled = True`` (the
    skactive semi-supervised nets), for scikit-learn's
    ``sklearn.semi_supervised`` estimators, and for a
    :class:`~sklearn.pipeline.Pipeline` whose final step is one of those.
    An estimator that sets ``_learns_from_unlabeled = False`` is refused even
    when it derives from a ``sklearn.semi_supervised`` class.

    Parameters
    ----------
    estimator : estimator instance
        The (fitted or unfitted) estimator, or a pipeline ending with it.

    Returns
    -------
    bool
        Whether ``fit`` may be given the pool's rows labeled ``-1``.

    Examples
    --------
    >>> from sklearn.semi_supervised import LabelSpreading
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import learns_from_unlabeled
    >>> learns_from_unlabeled(LabelSpreading())
    True
    >>> learns_from_unlabeled(LogisticRegression())
    False
    """
    if isinstance(estimator, Pipeline):
        return learns_from_unlabeled(estimator.steps[-1][1])
    declared = getattr(estimator, "_learns_from_unlabeled", None)
    if declared is not None:
        return bool(declared)
    return any(
        klass.__module__.startswith("sklearn.semi_supervised")
        for klass in type(estimator).__mro__
    )


def _stack(a, b):
    """Concatenate two row collections of the same kind."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        a = torch.as_tensor(a)
        b = torch.as_tensor(b, device=a.device)
        return torch.cat([a, b.to(a.dtype)], dim=0)
    if sp.issparse(a) or sp.issparse(b):
        return sp.vstack([a, b], format="csr")
    if hasattr(a, "iloc"):
        import pandas as pd

        return pd.concat([a, b], axis=0, ignore_index=True)
    return np.concatenate([np.asarray(a), np.asarray(b)], axis=0)


def _check_labels(y, n, name="y"):
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim == 0:
        y = y.reshape(1)
    if y.ndim != 1:
        raise InvalidParameterError(
            f"{name} must be a 1-D array of labels, got shape {y.shape}."
        )
    if y.shape[0] != n:
        raise InvalidParameterError(
            f"{name} has {y.shape[0]} labels but X has {n} rows."
        )
    if np.issubdtype(y.dtype, np.floating) and not np.isfinite(y).all():
        raise InvalidParameterError(f"{name} contains NaN or infinity.")
    return y


def _label_kind(y):
    """``"number"``, ``"string"`` or ``"mixed"``: what kind of labels ``y`` holds."""
    if y.dtype.kind in "biuf":
        return "number"
    if y.dtype.kind in "US":
        return "string"
    kinds = {
        "string" if isinstance(v, str | bytes | np.str_) else "number"
        for v in y.ravel().tolist()
        if isinstance(v, str | bytes | np.str_ | numbers.Number)
    }
    if len(kinds) == 1 and len(y):
        return kinds.pop()
    return "mixed"


def _strategy_name(strategy):
    return getattr(strategy, "__name__", type(strategy).__name__)


def _check_indices(indices, n_pool, name):
    indices = np.atleast_1d(np.asarray(indices))
    if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
        raise InvalidParameterError(
            f"{name} gave {indices!r}; expected a 1-D array of integer row indices."
        )
    if indices.size and (indices.min() < 0 or indices.max() >= n_pool):
        raise InvalidParameterError(f"{name} gave indices outside [0, {n_pool}).")
    if np.unique(indices).size != indices.size:
        raise InvalidParameterError(f"{name} gave duplicate indices.")
    return indices.astype(np.int64, copy=False)


class ActiveLearner(_ModalActiveLearner):
    """modAL's ``ActiveLearner``, working on scikit-learn 1.6+ with any strategy.

    A subclass of :class:`modAL.models.ActiveLearner` (``isinstance`` holds, so
    modAL users change one import) with the same constructor and methods. It
    differs where modAL breaks or loses information:

    * no ``force_all_finite`` (removed in scikit-learn 1.8): data are checked
      by skactive, and numpy arrays, torch tensors, sparse matrices and
      DataFrames are kept as they are, flat or as images
      (``N x H x W``, ``N x H x W x C``, ``N x C x H x W``);
    * :meth:`query` runs the strategy exactly once and returns
      ``(indices, rows)`` whatever convention the strategy uses (skactive
      strategies, modAL 0.4.1 strategies returning indices, modAL 0.4.2
      strategies returning ``(indices, scores)``);
    * a per-round :attr:`history_` of indices queried, their scores and the
      labels taught;
    * an optional unlabeled **pool** held by the learner: :meth:`query` with no
      ``X_pool`` queries it, :meth:`label` moves labeled rows out of it, and
      estimators that learn from unlabeled rows (see
      :func:`learns_from_unlabeled`) are fitted on the labeled rows plus the
      pool with ``y = -1``.

    Parameters
    ----------
    estimator : estimator
        A scikit-learn classifier or a skactive / skorch net.
    query_strategy : callable, default=skactive.strategies.entropy_sampling
        ``strategy(learner, X_pool, n_instances=1, **kwargs)``.
    X_training, y_training : array-like or None, default=None
        Initial labeled rows; the estimator is fitted on them at construction.
    bootstrap_init : bool, default=False
        Fit on a bootstrap resample of the initial rows.
    on_transformed : bool, default=False
        As in modAL (strategies that use ``transform_without_estimating``).
    X_pool : array-like or None, default=None
        The unlabeled pool; see :meth:`set_pool`.
    random_state : int, RandomState instance or None, default=None
        Seeds bootstrap resampling. Pass an int for reproducible output across
        multiple function calls.
    force_all_finite : bool, default=True
        Reject NaN and infinity in training rows (modAL's name, kept for
        compatibility).
    **fit_kwargs
        Passed to ``estimator.fit`` at construction.

    Attributes
    ----------
    X_training, y_training
        The labeled rows seen so far (``None`` before the first).
    X_pool
        The unlabeled pool held by the learner, or ``None``.
    history_ : list of dict
        One entry per query: ``{"round", "indices", "scores", "labels",
        "n_labeled"}``; ``labels`` is filled when the queried rows are taught.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import ActiveLearner
    >>> from skactive.strategies import margin_sampling
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(
    ...     LogisticRegression(max_iter=2000), margin_sampling,
    ...     X_training=X[:20], y_training=y[:20], X_pool=X[20:])
    >>> idx, rows = learner.query(n_instances=5)
    >>> learner.label(idx, y[20:][idx])
    >>> len(learner.y_training), learner.X_pool.shape[0]
    (25, 1772)
    """

    _skactive_learner = True

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        "query_strategy": [callable],
        "bootstrap_init": ["boolean"],
        "on_transformed": ["boolean"],
        "random_state": ["random_state"],
        "force_all_finite": ["boolean"],
    }

    def __init__(
        self,
        estimator,
        query_strategy=entropy_sampling,
        X_training=None,
        y_training=None,
        bootstrap_init=False,
        on_transformed=False,
        X_pool=None,
        random_state=None,
        force_all_finite=True,
        **fit_kwargs,
    ):
        validate_parameter_constraints(
            self._parameter_constraints,
            {
                "estimator": estimator,
                "query_strategy": query_strategy,
                "bootstrap_init": bootstrap_init,
                "on_transformed": on_transformed,
                "random_state": random_state,
                "force_all_finite": force_all_finite,
            },
            type(self).__name__,
        )
        self.estimator = estimator
        self.query_strategy = query_strategy
        self.on_transformed = on_transformed
        self.force_all_finite = force_all_finite
        self.random_state = random_state
        self._rng = check_random_state(random_state)
        self.history_ = []
        self.X_pool = None
        if X_pool is not None:
            self.set_pool(X_pool)
        self.X_training = None
        self.y_training = None
        if X_training is not None or y_training is not None:
            if X_training is None or y_training is None:
                raise InvalidParameterError(
                    "X_training and y_training must be given together."
                )
            self._add_training_data(X_training, y_training)
            self._fit_to_known(bootstrap=bootstrap_init, **fit_kwargs)

    # ------------------------------------------------------------- the pool
    def set_pool(self, X_pool):
        """Give the learner its unlabeled pool.

        The learner then queries it when :meth:`query` gets no ``X_pool``,
        removes rows from it in :meth:`label`, and passes it (with ``y = -1``)
        to estimators that learn from unlabeled rows. Indices returned by
        :meth:`query` are always positions in the pool as it is at that call.

        Parameters
        ----------
        X_pool : array-like of shape (n_pool, ...) or None
            ``None`` forgets the pool.

        Returns
        -------
        self : ActiveLearner
        """
        if X_pool is not None:
            X_pool = check_pool(X_pool, name="X_pool")
        self.X_pool = X_pool
        return self

    def _check_data(self, X, y):
        X = check_pool(X, name="X") if self.force_all_finite else X
        y = _check_labels(y, n_rows(X))
        kind = _label_kind(y)
        if kind == "mixed":
            raise InvalidParameterError(
                "y mixes labels of different kinds (strings and numbers); use one "
                "kind of label for every class."
            )
        if self.y_training is not None and len(self.y_training):
            held = _label_kind(np.asarray(self.y_training))
            if held != kind:
                raise InvalidParameterError(
                    f"y holds {kind} labels but the learner's labels so far are "
                    f"{held}s (dtype {np.asarray(self.y_training).dtype}); teach "
                    "labels of the same kind (mixing them would turn every label, "
                    "and every prediction, into strings)."
                )
        if (
            kind == "number"
            and learns_from_unlabeled(self.estimator)
            and np.any(y == UNLABELED)
        ):
            raise InvalidParameterError(
                f"y contains {UNLABELED}, the label that marks unlabeled rows for "
                f"{type(self.estimator).__name__} (a semi-supervised estimator): "
                "rows labeled -1 would silently be treated as unlabeled. Use "
                "another value for that class."
            )
        return X, y

    # ------------------------------------------------------------- training
    def _add_training_data(self, X, y):
        self._append(*self._check_data(X, y))

    def _append(self, X, y):
        if self.X_training is None:
            self.X_training, self.y_training = X, y
            return
        if tuple(self.X_training.shape[1:]) != tuple(X.shape[1:]):
            raise InvalidParameterError(
                f"new rows have shape {tuple(X.shape[1:])} but the training rows "
                f"have shape {tuple(self.X_training.shape[1:])}."
            )
        self.X_training = _stack(self.X_training, X)
        self.y_training = np.concatenate([self.y_training, y])

    def _with_pool(self, X, y):
        pool = self.X_pool
        if (
            pool is None
            or n_rows(pool) == 0
            or not learns_from_unlabeled(self.estimator)
        ):
            return X, y
        if not np.issubdtype(np.asarray(y).dtype, np.number):
            raise InvalidParameterError(
                "semi-supervised estimators need numeric labels (y = -1 marks the "
                f"unlabeled rows); got labels of dtype {np.asarray(y).dtype}."
            )
        unlabeled = np.full(n_rows(pool), UNLABELED, dtype=np.asarray(y).dtype)
        return _stack(X, pool), np.concatenate([y, unlabeled])

    def _bootstrap(self, X, y):
        idx = self._rng.choice(n_rows(X), n_rows(X), replace=True)
        return take_rows(X, idx), np.asarray(y)[idx]

    def _sync_recorder(self):
        """Point a :class:`PredictionRecorder` of the net at the current pool.

        Label dispersion needs the predictions of the very rows it is asked
        to score; the learner's pool shrinks with every ``label``, so the
        recorder follows it before each fit.
        """
        if self.X_pool is None:
            return
        from .callbacks import PredictionRecorder

        callbacks = getattr(self.estimator, "callbacks", None) or ()
        for item in callbacks:
            cb = item[1] if isinstance(item, tuple) else item
            if isinstance(cb, PredictionRecorder) and cb.X_pool is not self.X_pool:
                cb.set_params(X_pool=self.X_pool)

    def _fit_to_known(self, bootstrap=False, **fit_kwargs):
        if self.X_training is None:
            raise InvalidParameterError(
                "the learner has no labeled rows to fit on yet."
            )
        X, y = self.X_training, self.y_training
        if bootstrap:
            X, y = self._bootstrap(X, y)
        X, y = self._with_pool(X, y)
        self._sync_recorder()
        self.estimator.fit(X, y, **fit_kwargs)
        return self

    def _fit_on_new(self, X, y, bootstrap=False, **fit_kwargs):
        X, y = self._check_data(X, y)
        if bootstrap:
            X, y = self._bootstrap(X, y)
        X, y = self._with_pool(X, y)
        self._sync_recorder()
        self.estimator.fit(X, y, **fit_kwargs)
        return self

    def fit(self, X, y, bootstrap=False, **fit_kwargs):
        """Forget the labeled rows, store ``X, y`` and fit the estimator on them.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
        bootstrap : bool, default=False
            Fit on a bootstrap resample (bagging committees).
        **fit_kwargs : dict
            Passed to ``estimator.fit``.

        Returns
        -------
        self : ActiveLearner
        """
        self.X_training = None
        self.y_training = None
        self._add_training_data(X, y)
        return self._fit_to_known(bootstrap=bootstrap, **fit_kwargs)

    def teach(self, X, y, bootstrap=False, only_new=False, **fit_kwargs):
        """Add labeled rows and refit the estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
        bootstrap : bool, default=False
        only_new : bool, default=False
            Fit on ``X, y`` only (for estimators that continue training).
        **fit_kwargs : dict
            Passed to ``estimator.fit``.
        """
        X, y = self._check_data(X, y)
        previous = (self.X_training, self.y_training)
        self._append(X, y)
        try:
            if only_new:
                self._fit_on_new(X, y, bootstrap=bootstrap, **fit_kwargs)
            else:
                self._fit_to_known(bootstrap=bootstrap, **fit_kwargs)
        except Exception:
            # the model never saw these rows: do not keep them as taught
            self.X_training, self.y_training = previous
            raise
        self._record_labels(y)

    def label(self, indices, y, **fit_kwargs):
        """Label rows of the learner's pool: move them to the training set and refit.

        Parameters
        ----------
        indices : array-like of int
            Positions in :attr:`X_pool` (as returned by :meth:`query`).
        y : array-like
            Their labels.
        **fit_kwargs : dict
            Passed to :meth:`teach`.
        """
        if self.X_pool is None:
            raise InvalidParameterError(
                "the learner has no pool: pass X_pool to the constructor or call "
                "set_pool() first, or use teach(X, y)."
            )
        indices = _check_indices(indices, n_rows(self.X_pool), "indices")
        X = take_rows(self.X_pool, indices)
        y = _check_labels(y, len(indices))
        keep = np.ones(n_rows(self.X_pool), dtype=bool)
        keep[indices] = False
        remaining = take_rows(self.X_pool, np.flatnonzero(keep))
        previous = self.X_pool
        self.X_pool = remaining
        try:
            self.teach(X, y, **fit_kwargs)
        except Exception:
            self.X_pool = previous  # teach restored the training rows itself
            raise

    def _record_labels(self, y):
        last = self.history_[-1] if self.history_ else None
        if (
            last is not None
            and last["labels"] is None
            and (last["indices"] is None or len(last["indices"]) == len(y))
        ):
            last["labels"] = np.asarray(y)
            return
        self.history_.append(
            {
                "round": len(self.history_),
                "indices": None,
                "scores": None,
                "labels": np.asarray(y),
                "n_labeled": n_rows(self.X_training) - len(y),
            }
        )

    # --------------------------------------------------------------- query
    def query(self, X_pool=None, *query_args, return_metrics=False, **query_kwargs):
        """Run the query strategy once and return the chosen rows.

        Parameters
        ----------
        X_pool : array-like or None, default=None
            The rows to choose from; ``None`` uses the learner's pool.
        *query_args, **query_kwargs
            Passed to the strategy (``n_instances=...`` and strategy options).
        return_metrics : bool, default=False
            Also return the scores of the chosen rows (``None`` if the strategy
            gives none), as modAL 0.4.2 does.

        Returns
        -------
        indices : ndarray of shape (n_instances,)
        rows : the rows ``X_pool[indices]``
        scores : ndarray of shape (n_instances,) or None
            Only with ``return_metrics=True``.
        """
        if X_pool is None:
            if self.X_pool is None:
                raise InvalidParameterError(
                    "X_pool is None and the learner has no pool: pass X_pool or "
                    "call set_pool() first."
                )
            X_pool = self.X_pool
        strategy = self.query_strategy
        if isinstance(strategy, QueryStrategy):
            indices, scores = strategy.select(self, X_pool, *query_args, **query_kwargs)
        else:
            result = strategy(self, X_pool, *query_args, **query_kwargs)
            indices, scores = self._split_result(result, X_pool)
        indices = _check_indices(
            indices, n_rows(X_pool), f"query strategy {_strategy_name(strategy)}"
        )
        if scores is not None:
            scores = np.asarray(scores)
        self.history_.append(
            {
                "round": len(self.history_),
                "indices": indices,
                "scores": scores,
                "labels": None,
                "n_labeled": 0 if self.X_training is None else n_rows(self.X_training),
            }
        )
        rows = take_rows(X_pool, indices)
        if return_metrics:
            return indices, rows, scores
        return indices, rows

    @staticmethod
    def _split_result(result, X_pool):
        """``(indices, scores)`` from any strategy convention."""
        if isinstance(result, tuple):
            if len(result) != 2:
                raise InvalidParameterError(
                    "a query strategy returned a tuple of "
                    f"{len(result)} values; expected indices or (indices, scores)."
                )
            indices, second = result
            if second is None:
                return indices, None
            second_ndim = len(getattr(second, "shape", np.shape(second)))
            pool_ndim = len(getattr(X_pool, "shape", np.shape(X_pool)))
            if second_ndim == pool_ndim and second_ndim > 1:
                # modAL < 0.4 convention: (indices, rows)
                return indices, None
            return indices, second
        if isinstance(result, numbers.Integral):
            return np.array([result]), None
        return result, None
