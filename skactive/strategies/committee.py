"""Query by committee (Seung, Opper & Sompolinsky 1992)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from .. import scores as _scores
from .._inference import DEFAULT_CHUNK_ROWS, predict_proba_pool
from .._rows import n_rows, row_chunks
from .._validation import (
    BATCH_SIZE,
    InvalidParameterError,
    StrOptions,
    check_fitted,
    check_has_method,
    unwrap_estimator,
    validate_estimator_params,
)
from ._base import ScoreStrategy

__all__ = ["QueryByCommittee"]

_MEASURES = ("vote_entropy", "consensus_entropy", "max_disagreement")

#: scikit-learn ensembles that fit their members on label *codes*
#: ``0..n_classes-1`` (positions in the ensemble's ``classes_``).
_CODE_ENSEMBLES = {
    "RandomForestClassifier",
    "ExtraTreesClassifier",
    "BaggingClassifier",
    "VotingClassifier",
    "StackingClassifier",
}


class _Committee(BaseEstimator):
    """Fitted members of a committee and the map of their outputs to its classes.

    ``columns[k][j]`` is the committee class of member ``k``'s ``j``-th
    ``classes_`` entry; ``features[k]`` the feature columns member ``k`` was
    fitted on (bagging with ``max_features``), or ``None``.
    """

    def __init__(self, members, classes, columns, features, source):
        self.members = members
        self.classes = classes
        self.classes_ = classes
        self.columns = columns
        self.features = features
        self.source = source
        n_features = getattr(source, "n_features_in_", None)
        if n_features is None and features is None:
            values = {getattr(m, "n_features_in_", None) for m in members}
            n_features = values.pop() if len(values) == 1 else None
        if n_features is not None:
            self.n_features_in_ = n_features
        shapes = {
            tuple(s) if s is not None else None
            for s in (getattr(m, "input_shape_", None) for m in members)
        }
        if len(shapes) == 1 and None not in shapes:
            self.input_shape_ = shapes.pop()

    def fit(self, *args, **kwargs):  # pragma: no cover - never called
        raise InvalidParameterError("a committee is fitted through its members.")

    def __sklearn_is_fitted__(self):
        return True

    def member_rows(self, k, X):
        f = None if self.features is None else self.features[k]
        if f is None:
            return X
        if hasattr(X, "iloc"):
            return X.iloc[:, f]
        return X[:, f]


def _as_members(source):
    """``(members, ensemble)`` from a list, a modAL Committee or an ensemble."""
    if isinstance(source, list | tuple):
        return [unwrap_estimator(m) for m in source], None
    learner_list = getattr(source, "learner_list", None)
    if learner_list is not None:
        return [unwrap_estimator(m) for m in learner_list], None
    model = unwrap_estimator(source)
    if model is None:
        raise InvalidParameterError(
            "QueryByCommittee has no committee: pass committee=[...] or call it "
            "with a fitted ensemble, a list of fitted estimators or a modAL "
            "Committee as the estimator."
        )
    check_fitted(model)
    members = getattr(model, "estimators_", None)
    if members is None:
        raise InvalidParameterError(
            "QueryByCommittee needs a committee of at least 2 members, got a single "
            f"{type(model).__name__}: pass a list of fitted estimators "
            "(committee=[...] or as the estimator), a fitted ensemble with "
            "estimators_ (RandomForestClassifier, BaggingClassifier, ...) or a "
            "modAL Committee."
        )
    members = list(members.ravel()) if hasattr(members, "ravel") else list(members)
    return [m for m in members if not isinstance(m, str)], model


def _positions(values, reference):
    """Positions of ``values`` in ``reference`` (any order); -1 where absent."""
    reference = np.asarray(reference)
    order = np.argsort(reference, kind="stable")
    sorted_ref = reference[order]
    pos = np.clip(np.searchsorted(sorted_ref, values), 0, len(reference) - 1)
    found = sorted_ref[pos] == values
    return np.where(found, order[pos], -1)


def _label_columns(member_classes, classes, name):
    cols = _positions(member_classes, classes)
    if np.any(cols < 0):
        raise InvalidParameterError(
            f"{name} has classes {member_classes.tolist()} that are not among the "
            f"committee's classes {classes.tolist()}."
        )
    return cols.astype(np.int64)


def _code_columns(member_classes, n_classes, name):
    codes = np.asarray(member_classes)
    ok = np.issubdtype(codes.dtype, np.number) and np.all(
        (codes == np.round(codes)) & (codes >= 0) & (codes < n_classes)
    )
    if not ok:
        raise InvalidParameterError(
            f"{name} has classes {codes.tolist()}, which are neither the "
            f"ensemble's labels nor label codes in [0, {n_classes})."
        )
    return codes.astype(np.int64)


def resolve_committee(source):
    """The fitted members of ``source`` aligned on one class set.

    Parameters
    ----------
    source : list of estimators, fitted ensemble or modAL Committee
        A list (or tuple) of fitted classifiers or modAL learners; a fitted
        ensemble exposing ``estimators_`` (:class:`~sklearn.ensemble.
        RandomForestClassifier`, :class:`~sklearn.ensemble.BaggingClassifier`,
        ...); or a modAL ``Committee`` (its ``learner_list``).

    Returns
    -------
    committee : object
        With ``members``, ``classes_`` (the committee's classes) and
        ``columns`` (per member, the committee class of each of its
        ``classes_``).

    Notes
    -----
    Members fitted on different label sets (a learner that has not seen every
    class yet) are aligned by their ``classes_`` onto the sorted union of
    labels; a class a member never saw gets probability 0 from it. Members of
    scikit-learn's forests, bagging, voting and stacking ensembles are fitted on
    label codes, so their ``classes_`` are read as positions in the ensemble's
    ``classes_``; members of other ensembles are aligned by label when their
    classes are labels of the ensemble, else read as codes.
    """
    members, ensemble = _as_members(source)
    if len(members) < 2:
        raise InvalidParameterError(
            "QueryByCommittee needs a committee of at least 2 members, got "
            f"{len(members)}."
        )
    for m in members:
        check_fitted(m, name="committee member")
        if getattr(m, "classes_", None) is None:
            raise InvalidParameterError(
                f"committee member {type(m).__name__} has no classes_: members must "
                "be fitted classifiers, whose classes_ align their outputs."
            )
    member_classes = [np.asarray(m.classes_) for m in members]
    names = [
        f"committee member {k} ({type(m).__name__})" for k, m in enumerate(members)
    ]
    features = None
    if ensemble is not None and getattr(ensemble, "classes_", None) is not None:
        classes = np.asarray(ensemble.classes_)
        union = np.unique(np.concatenate(member_classes))
        by_code = type(ensemble).__name__ in _CODE_ENSEMBLES and type(
            ensemble
        ).__module__.startswith("sklearn.")
        if not by_code:
            try:
                as_labels = bool(np.isin(union, classes).all())
            except TypeError:
                as_labels = False
            by_code = not as_labels
        if by_code:
            columns = [
                _code_columns(c, len(classes), nm)
                for c, nm in zip(member_classes, names, strict=True)
            ]
        else:
            columns = [
                _label_columns(c, classes, nm)
                for c, nm in zip(member_classes, names, strict=True)
            ]
        feats = getattr(ensemble, "estimators_features_", None)
        if feats is not None and len(feats) == len(members):
            features = [np.asarray(f) for f in feats]
    else:
        try:
            classes = np.unique(np.concatenate(member_classes))
        except TypeError as exc:
            raise InvalidParameterError(
                "the committee members' classes_ cannot be compared: "
                f"{[c.tolist() for c in member_classes]}."
            ) from exc
        columns = [
            _label_columns(c, classes, nm)
            for c, nm in zip(member_classes, names, strict=True)
        ]
    return _Committee(members, classes, columns, features, ensemble)


class QueryByCommittee(ScoreStrategy):
    """Query by committee: pick the rows the committee disagrees on most.

    Parameters
    ----------
    committee : list of fitted estimators or None, default=None
        The committee members (fitted classifiers or modAL learners). ``None``
        takes the committee from the ``estimator`` argument of the call: a
        list of fitted estimators, a fitted ensemble with ``estimators_``
        (:class:`~sklearn.ensemble.RandomForestClassifier`,
        :class:`~sklearn.ensemble.BaggingClassifier`, ...; also inside a
        learner), or a modAL ``Committee`` (its ``learner_list``, when the
        strategy is the committee's ``query_strategy``). When set, it overrides
        the ``estimator`` argument. :func:`~sklearn.base.clone` clones the
        members unfitted, as scikit-learn does for every estimator parameter;
        pass the committee as the ``estimator`` to keep fitted members across
        clones.
    measure : {"vote_entropy", "consensus_entropy", "max_disagreement"}, \
default="vote_entropy"
        ``"vote_entropy"``: entropy of the members' predicted labels (Dagan &
        Engelson 1995), :func:`skactive.scores.vote_entropy`;
        ``"consensus_entropy"``: entropy of the averaged probabilities,
        :func:`skactive.scores.consensus_entropy`; ``"max_disagreement"``: the
        mean KL divergence of each member from the average (McCallum & Nigam
        1998), :func:`skactive.scores.max_disagreement`. Members may have seen
        different classes: their outputs are aligned by ``classes_`` (see
        :func:`resolve_committee`).
    batch_size : int or None, default=None
        Pool rows scored at once (16384 when ``None``): every member predicts
        on a block before the next, so memory holds ``K`` blocks of
        probabilities, never ``K`` full pools.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Breaks ties (frequent with vote entropy) and draws the candidate
        subsample. Pass an int for reproducible output across multiple
        function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skactive.strategies.committee import QueryByCommittee
    >>> X, y = load_iris(return_X_y=True)
    >>> forest = RandomForestClassifier(10, random_state=0).fit(X[::10], y[::10])
    >>> QueryByCommittee(measure="consensus_entropy", random_state=0)(
    ...     forest, X, n_instances=3).shape
    (3,)
    """

    needs = "ensemble"

    _parameter_constraints = {
        "committee": [list, tuple, None],
        "measure": [StrOptions(set(_MEASURES))],
        "batch_size": BATCH_SIZE,
    }

    def __init__(
        self,
        committee=None,
        measure="vote_entropy",
        *,
        batch_size=None,
        R=None,
        random_state=None,
    ):
        super().__init__(R=R, random_state=random_state)
        self.committee = committee
        self.measure = measure
        self.batch_size = batch_size

    def _resolve(self, estimator):
        validate_estimator_params(self)
        return resolve_committee(
            self.committee if self.committee is not None else estimator
        )

    def select(self, estimator, X_pool, n_instances=1, **kwargs):
        """Select the ``n_instances`` rows of ``X_pool`` the committee disagrees on.

        Parameters
        ----------
        estimator : list of estimators, fitted ensemble, modAL Committee or learner
            The committee (see :func:`resolve_committee`); ignored when the
            ``committee`` parameter is set.
        X_pool : array-like of shape (n_pool, ...)
            Unlabeled rows.
        n_instances : int, default=1
            Number of rows to select.
        **kwargs : dict
            Strategy keyword arguments; :class:`QueryByCommittee` takes none, so
            any raises a :class:`TypeError`.

        Returns
        -------
        indices : ndarray of shape (n_instances,)
            Unique int64 indices into ``X_pool``, most disagreed-on first.
        scores : ndarray of shape (n_instances,)
            The disagreement of each selected row.
        """
        return super().select(self._resolve(estimator), X_pool, n_instances, **kwargs)

    def score_pool(self, estimator, X_pool):
        """Disagreement of the committee on every row of ``X_pool`` (higher first).

        Parameters
        ----------
        estimator : list of estimators, fitted ensemble, modAL Committee or None
        X_pool : array-like of shape (n_pool, n_features)

        Returns
        -------
        scores : ndarray of shape (n_pool,)
        """
        return super().score_pool(self._resolve(estimator), X_pool)

    def _score(self, committee, X):
        step = DEFAULT_CHUNK_ROWS if self.batch_size is None else int(self.batch_size)
        method = "predict" if self.measure == "vote_entropy" else "predict_proba"
        for m in committee.members:
            check_has_method(m, method, purpose=f"QueryByCommittee({self.measure!r})")
        parts = [self._score_block(committee, Xc) for _, _, Xc in row_chunks(X, step)]
        return np.concatenate(parts)

    def _score_block(self, committee, X):
        C = len(committee.classes_)
        n = n_rows(X)
        if self.measure == "vote_entropy":
            votes = np.empty((len(committee.members), n), dtype=np.int64)
            for k, m in enumerate(committee.members):
                pred = np.asarray(m.predict(committee.member_rows(k, X)))
                pos = _positions(pred, np.asarray(m.classes_))
                if np.any(pos < 0):
                    raise InvalidParameterError(
                        f"committee member {k} ({type(m).__name__}) predicted labels "
                        "outside its classes_."
                    )
                votes[k] = committee.columns[k][pos]
            return _scores.vote_entropy(votes, C)
        P = np.zeros((len(committee.members), n, C), dtype=np.float64)
        for k, m in enumerate(committee.members):
            proba = predict_proba_pool(m, committee.member_rows(k, X))
            P[k][:, committee.columns[k]] = proba
        if self.measure == "consensus_entropy":
            return _scores.consensus_entropy(P)
        return _scores.max_disagreement(P)
