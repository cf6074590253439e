"""Contrastive active learning, CAL (Margatina et al. 2021)."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy

from .._inference import DEFAULT_CHUNK_ROWS, embed_pool
from .._rows import n_rows, row_chunks
from .._validation import (
    BATCH_SIZE,
    Interval,
    InvalidParameterError,
    check_fitted,
    check_pool,
    unwrap_estimator,
    validate_estimator_params,
    validate_params,
)
from ..selection import top_k
from ._base import ScoreStrategy

__all__ = ["CAL", "nearest_labeled"]

#: Entries of the ``(pool rows, labeled rows)`` distance block computed at once.
_DISTANCE_BLOCK = 1 << 22

_TINY = np.finfo(np.float64).tiny


def _sq_norms(F):
    if sp.issparse(F):
        return np.asarray(F.multiply(F).sum(axis=1), dtype=np.float64).ravel()
    return np.einsum("ij,ij->i", F, F)


@validate_params(
    {
        "pool": ["array-like", "sparse matrix"],
        "labeled": ["array-like", "sparse matrix"],
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "block": [Interval(numbers.Integral, 1, None, closed="left")],
    }
)
def nearest_labeled(pool, labeled, n_neighbors, *, block=_DISTANCE_BLOCK):
    """Indices of the ``n_neighbors`` nearest labeled rows of every pool row.

    Euclidean distances ``||x||^2 + ||l||^2 - 2 x.l`` are computed for blocks
    of pool rows against all labeled rows (``block`` entries at a time) and
    reduced to their ``k`` smallest with :func:`numpy.argpartition`, so memory
    stays ``O(block)`` whatever the pool size; no pool-by-pool matrix is formed.

    Parameters
    ----------
    pool : ndarray or sparse matrix of shape (n_pool, n_features)
    labeled : ndarray or sparse matrix of shape (n_labeled, n_features)
    n_neighbors : int
        ``1 <= n_neighbors <= n_labeled``.
    block : int, default=4194304
        Distance entries computed at once.

    Returns
    -------
    neighbors : ndarray of shape (n_pool, n_neighbors)
        int64 indices into ``labeled``, nearest first.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies.cal import nearest_labeled
    >>> nearest_labeled(np.array([[0.0], [9.0]]), np.array([[1.0], [10.0], [4.0]]), 2)
    array([[0, 2],
           [1, 2]])
    """
    n_pool, n_lab = pool.shape[0], labeled.shape[0]
    if not 1 <= n_neighbors <= n_lab:
        raise InvalidParameterError(
            f"n_neighbors must be in [1, {n_lab}] (the labeled rows), "
            f"got {n_neighbors}."
        )
    lab_sq = _sq_norms(labeled)
    labeled_t = labeled.T
    rows = max(1, block // max(n_lab, 1))
    out = np.empty((n_pool, n_neighbors), dtype=np.int64)
    for s in range(0, n_pool, rows):
        e = min(s + rows, n_pool)
        chunk = pool[s:e]
        cross = chunk @ labeled_t
        if sp.issparse(cross):
            cross = cross.toarray()
        d2 = _sq_norms(chunk)[:, None] + lab_sq[None, :] - 2.0 * np.asarray(cross)
        if n_neighbors < n_lab:
            part = np.argpartition(d2, n_neighbors - 1, axis=1)[:, :n_neighbors]
        else:
            part = np.broadcast_to(np.arange(n_lab), (e - s, n_lab))
        order = np.argsort(np.take_along_axis(d2, part, axis=1), axis=1, kind="stable")
        out[s:e] = np.take_along_axis(part, order, axis=1)
    return out


class CAL(ScoreStrategy):
    """Contrastive active learning (Margatina et al. 2021).

    For every pool row ``x``, find its ``k`` nearest *labeled* rows ``x_l`` in
    the model's feature space and score it by how much the model's prediction
    on ``x`` differs from its predictions on them,
    ``s(x) = (1/k) sum_l KL(p(y | x_l) || p(y | x))``; pick the highest scores
    (contrastive examples: close to labeled data, yet predicted differently).

    * Feature space: for nets with ``predict_proba_with_embedding``
      (:class:`~skactive.nets.DeepClassifier`), the penultimate embedding,
      from the same forward pass as the probabilities; for a scikit-learn
      :class:`~sklearn.pipeline.Pipeline`, the features its final step sees;
      for other estimators, the input rows (images flattened, sparse rows
      kept sparse).
    * Labeled rows: the keyword argument ``X_labeled`` of the call (with, if
      you like, ``y_labeled``: it is only checked for length, since the score
      compares the model's *predictions* on the neighbours, as in the paper,
      not their labels); without it, the ``X_training`` of the modAL /
      skactive learner the strategy is called with. Called with a bare
      estimator and no ``X_labeled``, it raises an error.
    * Neighbours are Euclidean, searched in blocks of pool rows against all
      labeled rows (:func:`nearest_labeled`); ``k`` is capped at the number of
      labeled rows. ``p(y | x)`` is floored at the smallest positive float
      before its logarithm, so a zero probability gives a large, finite score.

    Parameters
    ----------
    n_neighbors : int, default=10
        Number ``k >= 1`` of labeled neighbours (the paper's default is 10).
    batch_size : int or None, default=None
        Pool rows per forward pass / ``predict_proba`` call (16384 when
        ``None``).
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Breaks ties and draws the candidate subsample. Pass an int for
        reproducible output across multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies.cal import CAL
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> CAL(n_neighbors=3, random_state=0)(clf, X, n_instances=2,
    ...                                    X_labeled=X[::10]).shape
    (2,)
    """

    _parameter_constraints = {
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": BATCH_SIZE,
    }

    def __init__(self, n_neighbors=10, *, batch_size=None, R=None, random_state=None):
        super().__init__(R=R, random_state=random_state)
        self.n_neighbors = n_neighbors
        self.batch_size = batch_size

    # ------------------------------------------------------------ protocol
    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        X_labeled = self._require_labeled(estimator, learner, kwargs)
        self._reject_kwargs(kwargs, type(self).__name__)
        scores = self._score(estimator, X, X_labeled)
        indices = top_k(scores, n_instances, random_state=rng)
        return indices, scores[indices]

    def score_pool(self, estimator, X_pool, *, X_labeled=None, y_labeled=None):
        """CAL score of every row of ``X_pool`` (higher first).

        Parameters
        ----------
        estimator : modAL learner, fitted classifier or skactive net
        X_pool : array-like of shape (n_pool, ...)
        X_labeled : array-like of shape (n_labeled, ...) or None, default=None
            The labeled rows; ``None`` uses the learner's ``X_training``.
        y_labeled : array-like of shape (n_labeled,) or None, default=None
            Their labels (only checked for length).

        Returns
        -------
        scores : ndarray of shape (n_pool,)
        """
        validate_estimator_params(self)
        model = unwrap_estimator(estimator)
        check_fitted(model)
        X_pool = check_pool(X_pool, estimator=model)
        kwargs = {"X_labeled": X_labeled, "y_labeled": y_labeled}
        X_labeled = self._require_labeled(model, estimator, kwargs)
        return self._score(model, X_pool, X_labeled)

    # ------------------------------------------------------------- helpers
    def _require_labeled(self, model, learner, kwargs):
        given = kwargs.get("X_labeled")
        if given is not None and n_rows(given) == 0:
            raise InvalidParameterError(
                "X_labeled is empty: CAL compares every pool row with its nearest "
                "labeled rows, so it needs at least one."
            )
        X_labeled, _ = self._labeled_rows(model, learner, kwargs, labels=True)
        if X_labeled is None:
            raise InvalidParameterError(
                "CAL needs the labeled rows: pass X_labeled=... (and optionally "
                "y_labeled=...) to the query, or call it through a modAL / "
                "skactive learner that has labeled rows (X_training)."
            )
        return X_labeled

    def _step(self):
        return DEFAULT_CHUNK_ROWS if self.batch_size is None else int(self.batch_size)

    def _proba_and_features(self, model, X, step):
        """``(proba, features)`` of ``X``, from one forward pass for nets."""
        probas, feats = [], []
        for _, _, Xc in row_chunks(X, step):
            proba, f = embed_pool(model, Xc, return_proba=True, keep_sparse=True)
            feats.append(f if sp.issparse(f) else np.asarray(f, dtype=np.float64))
            probas.append(np.asarray(proba, dtype=np.float64))
        proba = np.concatenate(probas)
        if any(sp.issparse(f) for f in feats):
            features = sp.vstack([sp.csr_matrix(f) for f in feats], format="csr")
        else:
            features = np.concatenate(feats)
        return proba, features

    def _score(self, estimator, X, X_labeled=None):
        k, step = int(self.n_neighbors), self._step()
        if X_labeled is None:
            raise InvalidParameterError(
                "CAL needs the labeled rows: pass X_labeled=...."
            )
        proba_lab, feat_lab = self._proba_and_features(estimator, X_labeled, step)
        k = min(k, n_rows(X_labeled))
        neg_entropy_lab = xlogy(proba_lab, proba_lab).sum(axis=1)  # sum p log p
        parts = []
        for _, _, Xc in row_chunks(X, step):
            proba, feat = self._proba_and_features(estimator, Xc, n_rows(Xc))
            if proba.shape[1] != proba_lab.shape[1]:  # pragma: no cover - same model
                raise InvalidParameterError(
                    "pool and labeled predictions have different classes."
                )
            neighbors = nearest_labeled(feat, feat_lab, k)  # (b, k)
            log_q = np.log(np.maximum(proba, _TINY))  # (b, C)
            cross = np.einsum("bkc,bc->bk", proba_lab[neighbors], log_q)
            kl = neg_entropy_lab[neighbors] - cross  # KL(p_l || p_x)
            parts.append(kl.mean(axis=1))
        return np.concatenate(parts)
