"""``skactive.ActiveLearner``: modAL's learner, working on today's stack."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import torch
from modAL.models import ActiveLearner as _ModalActiveLearner
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state, get_tags

from ._inference import is_skorch_net
from ._rows import concat_rows, is_lazy, n_rows, row_shape, subset_rows, take_rows
from ._validation import (
    UNLABELED,
    HasMethods,
    Interval,
    InvalidParameterError,
    check_pool,
    validate_parameter,
    validate_parameter_constraints,
)
from .strategies import QueryStrategy, entropy_sampling

__all__ = ["ActiveLearner", "DeepActiveLearner", "learns_from_unlabeled", "UNLABELED"]


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


def _check_labels(y, n, name="y"):
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim == 0:
        y = y.reshape(1)
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


def _is_plain_skorch_net(estimator):
    """A skorch net that can be initialised without data (not a skactive net)."""
    return is_skorch_net(estimator) and not callable(
        getattr(estimator, "predict_proba_with_embedding", None)
    )


def _is_single_index(indices):
    """A strategy that returned one index (modAL returns ``X[i]``, one row, then)."""
    return isinstance(indices, numbers.Integral) or (
        isinstance(indices, np.ndarray)
        and indices.ndim == 0
        and np.issubdtype(indices.dtype, np.integer)
    )


def _check_indices(indices, n_pool, name, *, unique=True):
    indices = np.atleast_1d(np.asarray(indices))
    if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
        raise InvalidParameterError(
            f"{name} gave {indices!r}; expected a 1-D array of integer row indices."
        )
    if indices.size and (indices.min() < 0 or indices.max() >= n_pool):
        raise InvalidParameterError(f"{name} gave indices outside [0, {n_pool}).")
    if unique and np.unique(indices).size != indices.size:
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
      pool with ``y = -1``;
    * **lazy pools** (:mod:`skactive.pools`: a ``.npy`` file or memmap, shards,
      a torch dataset such as ``ImageFolder``, a dask array) are held by
      index, never copied: :attr:`X_pool` and :attr:`X_training` become
      :class:`~skactive.pools.PoolView` objects of the same source
      (``learner.X_pool.indices`` are the source rows still unlabeled), a
      skorch net trains on the labeled rows read from the source batch by
      batch, and a scikit-learn estimator on the labeled rows read into
      memory.

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
    stop : stopping criterion or None, default=None
        Consulted by :meth:`should_stop` (see :mod:`skactive.stopping`).
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
        "estimator": [HasMethods(["fit", "predict"]), None],
        "query_strategy": [callable],
        "X_training": ["array-like", None],
        "y_training": ["array-like", None],
        "X_pool": ["array-like", None],
        "bootstrap_init": ["boolean"],
        "on_transformed": ["boolean"],
        "random_state": ["random_state"],
        "force_all_finite": ["boolean"],
        "stop": [callable, None],
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
        stop=None,
        **fit_kwargs,
    ):
        validate_parameter_constraints(
            self._parameter_constraints,
            {
                "estimator": estimator,
                "query_strategy": query_strategy,
                "X_training": X_training,
                "y_training": y_training,
                "X_pool": X_pool,
                "bootstrap_init": bootstrap_init,
                "on_transformed": on_transformed,
                "random_state": random_state,
                "force_all_finite": force_all_finite,
                "stop": stop,
            },
            type(self).__name__,
        )
        self.stop = stop
        # every constructor argument is stored as given (get_params, clone,
        # GridSearchCV); X_training / y_training then hold the labeled rows
        self.estimator = estimator
        self.query_strategy = query_strategy
        self.bootstrap_init = bootstrap_init
        self.on_transformed = on_transformed
        self.force_all_finite = force_all_finite
        self.random_state = random_state
        self._rng = check_random_state(random_state)
        self.history_ = []
        self.X_pool = None
        if X_pool is not None:
            self.set_pool(X_pool)
        self.X_training = X_training
        self.y_training = y_training
        if X_training is not None or y_training is not None:
            if X_training is None or y_training is None:
                raise InvalidParameterError(
                    "X_training and y_training must be given together."
                )
            self._check_data(X_training, y_training, held=False)
            self._fit_to_known(bootstrap=bootstrap_init, **fit_kwargs)

    def __sklearn_tags__(self):
        """The wrapped estimator's kind (classifier, regressor) and inputs.

        So scikit-learn's model selection treats a learner like its estimator
        (``cross_val_score`` stratifies the folds of a classifier, say).

        Returns
        -------
        sklearn.utils.Tags
        """
        tags = super().__sklearn_tags__()
        if self.estimator is None:
            return tags
        try:
            inner = get_tags(self.estimator)
        except (AttributeError, TypeError, ValueError):
            return tags
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.input_tags = inner.input_tags
        tags.target_tags = inner.target_tags
        return tags

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
            checked = check_pool(X_pool, name="X_pool", estimator=self.estimator)
            if is_lazy(checked):  # a memmap read as a file, a dataset as rows
                X_pool = checked
        self.X_pool = X_pool
        return self

    def _check_data(self, X, y, *, held=True):
        """Check new rows and labels (against the labels held, with ``held``)."""
        if self.force_all_finite:
            X = check_pool(X, name="X")
        y = _check_labels(y, n_rows(X))
        kind = _label_kind(y)
        if kind == "mixed":
            raise InvalidParameterError(
                "y mixes labels of different kinds (strings and numbers); use one "
                "kind of label for every class."
            )
        if held and self.y_training is not None and n_rows(self.y_training):
            held_y = np.asarray(self.y_training)
            held_kind = _label_kind(held_y)
            if held_kind != kind:
                raise InvalidParameterError(
                    f"y holds {kind} labels but the learner's labels so far are "
                    f"{held_kind}s (dtype {held_y.dtype}); teach labels of the same "
                    "kind (mixing them would turn every label, and every "
                    "prediction, into strings)."
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
        if row_shape(self.X_training) != row_shape(X):
            raise InvalidParameterError(
                f"new rows have shape {row_shape(X)} but the training rows "
                f"have shape {row_shape(self.X_training)}."
            )
        self.X_training = concat_rows(self.X_training, X)
        self.y_training = np.concatenate([np.asarray(self.y_training), y])

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
        return concat_rows(X, pool), np.concatenate([np.asarray(y), unlabeled])

    def _bootstrap(self, X, y):
        idx = self._rng.choice(n_rows(X), n_rows(X), replace=True)
        return subset_rows(X, idx), np.asarray(y)[idx]

    def _fit_estimator(self, X, y, *, partial=False, **fit_kwargs):
        """``fit`` (``partial_fit``) the estimator; rows of a lazy pool are
        read for estimators that take arrays only (skorch nets stream them)."""
        if is_lazy(X) and not is_skorch_net(self.estimator):
            X = take_rows(X, np.arange(n_rows(X)))
        method = self.estimator.partial_fit if partial else self.estimator.fit
        return method(X, y, **fit_kwargs)

    def _require_estimator(self):
        if self.estimator is None:
            raise InvalidParameterError(
                f"{type(self).__name__} has no estimator to fit: pass estimator=..."
            )

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
        self._require_estimator()
        if self.X_training is None:
            raise InvalidParameterError(
                "the learner has no labeled rows to fit on yet."
            )
        X, y = self.X_training, self.y_training
        if bootstrap:
            X, y = self._bootstrap(X, y)
        X, y = self._with_pool(X, y)
        self._sync_recorder()
        self._fit_estimator(X, y, **fit_kwargs)
        return self

    def _fit_on_new(self, X, y, bootstrap=False, **fit_kwargs):
        self._require_estimator()
        estimator = self.estimator
        if is_skorch_net(estimator) and not getattr(estimator, "warm_start", False):
            # a skorch net re-initialises in fit: trained on the new rows
            # alone it would forget every earlier label
            warnings.warn(
                f"teach(only_new=True): {type(estimator).__name__} re-initialises "
                "in fit (warm_start=False), so training it on the new rows alone "
                "would forget every earlier label; training on all "
                f"{n_rows(self.X_training)} labeled rows instead. Set "
                "warm_start=True on the net to continue training on the new rows "
                "only, or use skactive.DeepActiveLearner.",
                UserWarning,
                stacklevel=3,
            )
            return self._fit_to_known(bootstrap=bootstrap, **fit_kwargs)
        X, y = self._check_data(X, y, held=False)
        if bootstrap:
            X, y = self._bootstrap(X, y)
        X, y = self._with_pool(X, y)
        self._sync_recorder()
        self._fit_estimator(X, y, **fit_kwargs)
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
            Fit on ``X, y`` only (for estimators that continue training: a
            scikit-learn model with ``warm_start``, a skorch net with
            ``warm_start=True``). A skorch net that re-initialises in ``fit``
            would forget every earlier label, so it is trained on all labeled
            rows instead, with a warning.
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
        # rows of a lazy pool stay where they are: the learner keeps views
        X = subset_rows(self.X_pool, indices)
        y = _check_labels(y, len(indices))
        keep = np.ones(n_rows(self.X_pool), dtype=bool)
        keep[indices] = False
        remaining = subset_rows(self.X_pool, np.flatnonzero(keep))
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

    def should_stop(self, X=None, *, metric=None):
        """Consult the stopping criterion ``stop`` after a round of labels.

        Call it once per round, after :meth:`label` or :meth:`teach`; it
        passes the fitted estimator, the stop set and the number of labeled
        rows to the criterion, which keeps the rounds it has seen.

        Parameters
        ----------
        X : array-like or None, default=None
            The stop set; ``None`` uses the criterion's own ``stop_set`` when
            it has one, else the learner's pool. Criteria that compare
            predictions between rounds (:class:`~skactive.stopping.
            StabilizingPredictions`, :class:`~skactive.stopping.
            ClassificationChange`) need the same rows every round: give them
            a ``stop_set``, as the pool shrinks.
        metric : float or None, default=None
            A score of this round for :class:`~skactive.stopping.MetricPlateau`.

        Returns
        -------
        bool
            Whether the criterion has fired (it stays fired).

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skactive import ActiveLearner
        >>> from skactive.stopping import LabelBudget
        >>> X, y = load_digits(return_X_y=True)
        >>> learner = ActiveLearner(LogisticRegression(max_iter=2000),
        ...     X_training=X[:20], y_training=y[:20], X_pool=X[20:],
        ...     stop=LabelBudget(30))
        >>> import numpy as np
        >>> y_pool, rounds = y[20:], 0
        >>> while not learner.should_stop():
        ...     idx, _ = learner.query(n_instances=5)
        ...     learner.label(idx, y_pool[idx])
        ...     y_pool, rounds = np.delete(y_pool, idx), rounds + 1
        >>> rounds, len(learner.y_training)
        (2, 30)
        """
        if self.stop is None:
            raise InvalidParameterError(
                "should_stop: the learner has no stopping criterion; pass stop=... "
                "to the constructor."
            )
        if X is None and getattr(self.stop, "stop_set", None) is None:
            X = self.X_pool
        return bool(
            self.stop(self.estimator, X, n_labels=self._n_labels(), metric=metric)
        )

    def _n_labels(self):
        """Labeled rows the stopping criterion is told about."""
        return 0 if self.X_training is None else int(n_rows(self.X_training))

    def estimate_labels_saved(self, budget, *, n_labels=None, curve=None):
        """Estimate the labels saved by stopping when ``stop`` fired (one line).

        :func:`skactive.stopping.estimate_labels_saved` on the learner's
        criterion, consulted by :meth:`should_stop` every round: the labels
        stopping saves against going on to ``budget``, and, given the
        learning curve so far (or with a
        :class:`~skactive.stopping.MetricPlateau`, from its history), what
        continuing would buy, extrapolated by a power-law fit. See that
        function for what the estimate assumes.

        Parameters
        ----------
        budget : int
            Labels the loop would otherwise go to.
        n_labels : int or None, default=None
            Labels now; ``None`` takes what :meth:`should_stop` passed last
            (a :class:`DeepActiveLearner` keeps no labeled rows: pass it).
        curve : tuple of (array-like, array-like) or None, default=None
            ``(labels, metric)`` of the rounds so far.

        Returns
        -------
        dict
            As :func:`skactive.stopping.estimate_labels_saved`; its
            ``"line"`` is the estimate in one line.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skactive import ActiveLearner
        >>> from skactive.stopping import LabelBudget
        >>> X, y = load_digits(return_X_y=True)
        >>> learner = ActiveLearner(LogisticRegression(max_iter=2000),
        ...     X_training=X[:20], y_training=y[:20], X_pool=X[20:],
        ...     stop=LabelBudget(30))
        >>> import numpy as np
        >>> y_pool = y[20:]
        >>> while not learner.should_stop():
        ...     idx, _ = learner.query(n_instances=5)
        ...     learner.label(idx, y_pool[idx])
        ...     y_pool = np.delete(y_pool, idx)
        >>> learner.estimate_labels_saved(100)["saved"]
        70
        """
        from .stopping import estimate_labels_saved

        if self.stop is None:
            raise InvalidParameterError(
                "estimate_labels_saved: the learner has no stopping criterion; "
                "pass stop=... to the constructor."
            )
        if not callable(getattr(self.stop, "get_state", None)):
            raise InvalidParameterError(
                "estimate_labels_saved: the learner's stop is not a "
                f"skactive.stopping criterion (got {self.stop!r}); it keeps no "
                "rounds to estimate from."
            )
        if not getattr(self.stop, "n_calls_", 0):
            raise InvalidParameterError(
                "estimate_labels_saved: the stopping criterion has not been "
                "consulted yet; call should_stop() after every round."
            )
        return estimate_labels_saved(self.stop, budget, n_labels=n_labels, curve=curve)

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
            A strategy that returns a single integer (not an array) gets it
            back as an integer, with ``rows`` the single row ``X_pool[i]``, as
            in modAL.
        rows : the rows ``X_pool[indices]``
            In the pool's own container type (a list pool gives a list).
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
        single = _is_single_index(indices)
        # duplicates pass through, as in modAL, with a warning; label()
        # refuses to label a row twice
        indices = _check_indices(
            indices,
            n_rows(X_pool),
            f"query strategy {_strategy_name(strategy)}",
            unique=False,
        )
        if np.unique(indices).size != indices.size:
            warnings.warn(
                f"query strategy {_strategy_name(strategy)} returned duplicate "
                f"indices {indices.tolist()}; label() refuses to label a row twice.",
                UserWarning,
                stacklevel=2,
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
        if single:  # one index, one row: modAL's X[i] (shape (n_features,))
            indices, rows = indices[0], rows[0]
            if scores is not None and scores.ndim == 1 and scores.size == 1:
                scores = scores[0]
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
        return result, None


class DeepActiveLearner(ActiveLearner):
    """modAL's ``DeepActiveLearner``: the learner keeps no labeled rows.

    A drop-in for ``modAL.models.DeepActiveLearner`` (same constructor
    arguments, ``teach(X, y, warm_start=True)``, ``num_epochs`` and
    ``batch_size``) on skactive's learner and strategies. Where
    :class:`ActiveLearner` appends what it is taught to ``X_training`` and
    refits on all of it, this learner trains on exactly the rows it is given:

    * ``teach(X, y)`` (``warm_start=True``) continues training the net on
      ``X, y`` with its ``partial_fit`` -- pass the new rows to fine-tune on
      them, or the cumulative labeled set, as modAL's MC-dropout example does,
      to keep training on everything labeled so far;
    * ``teach(X, y, warm_start=False)`` and ``fit(X, y)`` train from scratch
      on ``X, y``.

    Passing the cumulative set to :class:`ActiveLearner.teach` instead would
    train on every earlier row again and again (after 3 rounds of 100 on 1,000
    initial rows, on 4,600 rows for 1,300 labels); that is the difference the
    two classes keep apart. Strategies that use the labeled rows (core-set,
    CAL, ...) get them from the ``X_labeled`` keyword of :meth:`query`, as the
    learner holds none.

    As in modAL, a plain skorch net is initialised at construction (so
    modAL's own ``modAL.dropout`` functions can be called on the learner
    right away); a skactive net, whose module's sizes come from the data, is
    initialised by the first :meth:`teach`. Either way skactive's strategies
    refuse to query before the first :meth:`teach` or :meth:`fit`: skactive
    never returns picks of a model that has not been trained.

    Parameters
    ----------
    estimator : skorch net or estimator with ``partial_fit``
        A :class:`~skactive.nets.DeepClassifier`, a skorch
        ``NeuralNetClassifier`` ...
    query_strategy : callable, default=skactive.strategies.entropy_sampling
        ``strategy(learner, X_pool, n_instances=1, **kwargs)``; modAL's
        ``mc_dropout_*`` functions have skactive counterparts in
        :mod:`skactive.strategies` (``mc_dropout_bald`` ...).
    on_transformed : bool, default=False
        As in modAL.
    X_pool : array-like or None, default=None
        The unlabeled pool (see :meth:`ActiveLearner.set_pool`); with it,
        :meth:`ActiveLearner.label` moves rows out of the pool and teaches
        them (``warm_start=True``).
    random_state : int, RandomState instance or None, default=None
        Seeds bootstrap resampling.
    force_all_finite : bool, default=True
        Reject NaN and infinity in the rows taught.
    **fit_kwargs
        Passed to the estimator's ``fit`` / ``partial_fit``.

    Attributes
    ----------
    history_ : list of dict
        One entry per query, as for :class:`ActiveLearner`.
    n_teach_ : int
        Calls of :meth:`teach` and :meth:`fit` so far.
    n_labels_ : int
        Labels given so far: :meth:`fit` sets it to its number of rows,
        :meth:`teach` adds its own (a stopping criterion such as
        :class:`~skactive.stopping.LabelBudget` counts these, as the learner
        keeps no labeled rows).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive import DeepActiveLearner
    >>> from skactive.nets import MLP, DeepClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, classes=range(10), random_state=0)
    >>> learner = DeepActiveLearner(net)
    >>> learner.teach(X[:100], y[:100])  # trains on these rows
    >>> idx, rows = learner.query(X[100:500], n_instances=10)
    >>> learner.teach(X[100:500][idx], y[100:500][idx])  # continues training
    >>> learner.X_training is None, learner.num_epochs
    (True, 2)
    """

    def __init__(
        self,
        estimator,
        query_strategy=entropy_sampling,
        on_transformed=False,
        X_pool=None,
        random_state=None,
        force_all_finite=True,
        **fit_kwargs,
    ):
        super().__init__(
            estimator,
            query_strategy,
            on_transformed=on_transformed,
            X_pool=X_pool,
            random_state=random_state,
            force_all_finite=force_all_finite,
            **fit_kwargs,
        )
        self.n_teach_ = 0
        self.n_labels_ = 0
        if _is_plain_skorch_net(estimator) and not estimator.initialized_:
            estimator.initialize()  # as modAL's DeepActiveLearner does

    def query(self, X_pool=None, *query_args, return_metrics=False, **query_kwargs):
        """Run the query strategy once; see :meth:`ActiveLearner.query`.

        Parameters
        ----------
        X_pool : array-like or None, default=None
            The rows to choose from; ``None`` uses the learner's pool.
        *query_args, **query_kwargs
            Passed to the strategy.
        return_metrics : bool, default=False
            Also return the scores of the chosen rows.

        Returns
        -------
        indices, rows[, scores]
            As :meth:`ActiveLearner.query`.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            For a skactive strategy that needs a trained model, before the
            first :meth:`teach` or :meth:`fit`.
        """
        strategy = self.query_strategy
        if (
            self.n_teach_ == 0
            and isinstance(strategy, QueryStrategy)
            and strategy._requires_fit
        ):
            raise NotFittedError(
                f"{type(self).__name__} has not been taught yet: call "
                "teach(X, y) before querying with a strategy that asks the model."
            )
        return super().query(
            X_pool, *query_args, return_metrics=return_metrics, **query_kwargs
        )

    def fit(self, X, y, bootstrap=False, **fit_kwargs):
        """Train the estimator from scratch on ``X, y`` (nothing is stored).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
        bootstrap : bool, default=False
            Train on a bootstrap resample.
        **fit_kwargs : dict
            Passed to ``estimator.fit``.

        Returns
        -------
        self : DeepActiveLearner
        """
        self._train(X, y, warm_start=False, bootstrap=bootstrap, **fit_kwargs)
        self.n_labels_ = int(n_rows(X))
        return self

    def teach(self, X, y, warm_start=True, bootstrap=False, **fit_kwargs):
        """Train on ``X, y``: continue training (``warm_start``) or from scratch.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
        warm_start : bool, default=True
            ``True``: ``estimator.partial_fit(X, y)``, which keeps the
            weights; ``False``: ``estimator.fit(X, y)``, a fresh start.
        bootstrap : bool, default=False
            Train on a bootstrap resample.
        **fit_kwargs : dict
            Passed to ``partial_fit`` / ``fit``.
        """
        self._train(X, y, warm_start=warm_start, bootstrap=bootstrap, **fit_kwargs)
        self.n_labels_ += int(n_rows(X))
        self._record_labels(np.asarray(y))

    def _n_labels(self):
        return self.n_labels_

    def _train(self, X, y, *, warm_start, bootstrap, **fit_kwargs):
        self._require_estimator()
        self.n_teach_ += 1
        X, y = self._check_data(X, y, held=False)
        if bootstrap:
            X, y = self._bootstrap(X, y)
        X, y = self._with_pool(X, y)
        self._sync_recorder()
        if warm_start:
            if not callable(getattr(self.estimator, "partial_fit", None)):
                raise InvalidParameterError(
                    f"teach(warm_start=True) continues training with partial_fit, "
                    f"which {type(self.estimator).__name__} lacks; pass "
                    "warm_start=False to train from scratch."
                )
            self._fit_estimator(X, y, partial=True, **fit_kwargs)
        else:
            self._fit_estimator(X, y, **fit_kwargs)

    def _record_labels(self, y):
        last = self.history_[-1] if self.history_ else None
        if last is not None and last["labels"] is None:
            last["labels"] = y
            return
        self.history_.append(
            {
                "round": len(self.history_),
                "indices": None,
                "scores": None,
                "labels": y,
                "n_labeled": None,
            }
        )

    @property
    def num_epochs(self):
        """int: Epochs of one training call (the net's ``max_epochs``)."""
        return self.estimator.max_epochs

    @num_epochs.setter
    def num_epochs(self, value):
        validate_parameter(
            value,
            "num_epochs",
            [Interval(numbers.Integral, 1, None)],
            "DeepActiveLearner",
        )
        self.estimator.max_epochs = int(value)

    @property
    def batch_size(self):
        """int: Rows per forward pass (the net's ``batch_size``)."""
        return self.estimator.batch_size

    @batch_size.setter
    def batch_size(self, value):
        validate_parameter(
            value,
            "batch_size",
            [Interval(numbers.Integral, 1, None)],
            "DeepActiveLearner",
        )
        self.estimator.batch_size = int(value)
