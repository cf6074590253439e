"""Expected gradient length (Settles, Craven & Ray 2008)."""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline

from .. import scores as _scores
from .._inference import DEFAULT_CHUNK_ROWS, embed_pool, final_layer
from .._rows import row_chunks
from .._validation import BATCH_SIZE, InvalidParameterError, StrOptions
from ._base import ScoreStrategy

__all__ = ["ExpectedGradientLength"]


class ExpectedGradientLength(ScoreStrategy):
    """Expected gradient length of the final layer (Settles et al. 2008).

    Picks the rows whose label would change the model most:
    ``sum_y p(y | x) ||grad_{W, b} L(x, y)||``, the expected norm of the
    cross-entropy gradient with respect to the final linear layer
    ``logits = W f + b``, in the closed form of
    :func:`skactive.scores.expected_gradient_length`
    (``||p - e_y|| * sqrt(||f||^2 + 1)``): no autograd, one forward pass.

    * Nets with ``predict_proba_with_embedding`` (:class:`~skactive.nets.
      DeepClassifier`): ``f`` is the input of the final linear layer, from the
      same forward pass as ``p``.
    * Linear scikit-learn classifiers (an estimator with ``coef_``, or a
      :class:`~sklearn.pipeline.Pipeline` ending in one): the model *is* the
      final layer, so ``f`` is the input row itself (after the pipeline's
      transforms). For multinomial
      :class:`~sklearn.linear_model.LogisticRegression` this is the exact
      log-loss gradient norm with respect to ``coef_`` and ``intercept_``; for
      a binary model (one weight vector) it is ``sqrt(2)`` times it, which
      ranks rows the same.

    Other estimators raise a :class:`TypeError`.

    Parameters
    ----------
    include_bias : "auto" or bool, default="auto"
        Count the gradient with respect to the bias. ``"auto"``: whether the
        final layer has one (a net's ``classifier.bias``, a linear model's
        ``fit_intercept``).
    batch_size : int or None, default=None
        Pool rows per forward pass / ``predict_proba`` call (16384 when
        ``None``), so embeddings of the whole pool are never held at once.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Breaks ties and draws the candidate subsample. Pass an int for
        reproducible output across multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies.gradient import ExpectedGradientLength
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> ExpectedGradientLength(random_state=0)(clf, X, n_instances=3).shape
    (3,)
    """

    def __init__(
        self, include_bias="auto", *, batch_size=None, R=None, random_state=None
    ):
        super().__init__(R=R, random_state=random_state)
        self.include_bias = include_bias
        self.batch_size = batch_size

    _parameter_constraints = {
        "include_bias": [StrOptions({"auto"}), "boolean"],
        "batch_size": BATCH_SIZE,
    }

    def _chunks(self, X):
        step = DEFAULT_CHUNK_ROWS if self.batch_size is None else int(self.batch_size)
        for _, _, rows in row_chunks(X, step):
            yield rows

    def _score(self, estimator, X):
        include_bias = self.include_bias
        if callable(getattr(estimator, "predict_proba_with_embedding", None)):
            return self._score_net(estimator, X, include_bias)
        final = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
        if getattr(final, "coef_", None) is None:
            raise InvalidParameterError(
                f"ExpectedGradientLength needs a net with "
                f"predict_proba_with_embedding() or a linear classifier with coef_; "
                f"{type(estimator).__name__} has neither."
            )
        if include_bias == "auto":
            include_bias = bool(getattr(final, "fit_intercept", True))
        parts = []
        for Xc in self._chunks(X):
            proba, rows = embed_pool(estimator, Xc, return_proba=True, keep_sparse=True)
            parts.append(
                _scores.expected_gradient_length(
                    proba, rows, include_bias=bool(include_bias)
                )
            )
        return np.concatenate(parts)

    def _score_net(self, net, X, include_bias):
        try:
            layer = final_layer(net)
        except InvalidParameterError:
            if callable(getattr(net, "final_layer", None)):
                raise
            layer = None  # a model that tells nothing of its final layer
        parts = []
        for Xc in self._chunks(X):
            proba, emb = embed_pool(net, Xc, return_proba=True)
            if layer is not None and layer.weight.shape[0] != proba.shape[1]:
                raise InvalidParameterError(
                    "ExpectedGradientLength needs the input of the final linear layer "
                    f"(n_classes outputs); {type(net).__name__}'s embedding layer has "
                    f"{layer.weight.shape[0]} outputs. Leave embedding_layer='auto'."
                )
            if include_bias == "auto":
                include_bias = layer is None or layer.bias is not None
            parts.append(
                _scores.expected_gradient_length(
                    proba, np.asarray(emb), include_bias=bool(include_bias)
                )
            )
        return np.concatenate(parts)
