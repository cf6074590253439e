"""Expected prediction mismatch under semantic augmentation (DAST-AL, eq. 6–7).

The penultimate features :math:`a_u` of a candidate are perturbed by the
ISDA class-conditional Gaussian :math:`N(0, \\Sigma_{\\hat y})` of its predicted
class :math:`\\hat y`; the strategy scores how likely the prediction is to flip,

.. math:: E_{\\tilde a \\sim N(a_u, \\Sigma_{\\hat y})}
          [1 - \\mathrm{softmax}(W \\tilde a + b)_{\\hat y}],

either through its closed-form upper bound
(:func:`skactive.scores.epmcm_closed_form`, the default) or by Monte Carlo
(:func:`skactive.scores.epmcm_monte_carlo`).
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import scores as _scores
from .._inference import embed_pool, final_layer
from .._validation import Interval, InvalidParameterError, StrOptions
from ..selection import top_k
from ._base import QueryStrategy

__all__ = ["EPMCM", "class_covariances"]


def class_covariances(features, y, n_classes, *, diagonal=False):
    """Per-class biased (``1/n``) covariances of ``features``.

    Classes with fewer than 2 rows get a zero covariance (their rows are then
    scored as by the plain softmax margin of the closed form).

    Parameters
    ----------
    features : ndarray of shape (n_samples, d)
    y : ndarray of int of shape (n_samples,)
        Class indices in ``[0, n_classes)``.
    n_classes : int
    diagonal : bool, default=False
        Return the variances ``(n_classes, d)`` only.

    Returns
    -------
    covariances : ndarray of shape (n_classes, d, d) or (n_classes, d)

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies.epmcm import class_covariances
    >>> f = np.array([[0.0, 0.0], [2.0, 0.0], [5.0, 5.0]])
    >>> class_covariances(f, np.array([0, 0, 1]), 2, diagonal=True)
    array([[1., 0.],
           [0., 0.]])
    """
    f = np.asarray(features, dtype=np.float64)
    y = np.asarray(y)
    d = f.shape[1]
    out = np.zeros((n_classes, d) if diagonal else (n_classes, d, d))
    for k in range(n_classes):
        fk = f[y == k]
        if len(fk) < 2:
            continue
        centred = fk - fk.mean(axis=0)
        if diagonal:
            out[k] = (centred**2).mean(axis=0)
        else:
            out[k] = centred.T @ centred / len(fk)
    return out


class EPMCM(QueryStrategy):
    """Expected prediction mismatch under class-conditional feature noise.

    DAST-AL's acquisition (eq. 6–7): with the penultimate features ``a_u``, the
    predicted class ``y_hat = argmax p(y | x_u)``, the final layer ``W, b`` and
    the ISDA covariance ``Sigma_{y_hat}``, the closed form scores

    ``sum_j exp((w_j - w_y)^T a_u + (b_j - b_y) + 1/2 (w_j - w_y)^T Sigma_y
    (w_j - w_y)) - 1``,

    an upper bound of ``E[1 - softmax(W a~ + b)_y]`` (Jensen). The ``C x C``
    table of quadratic terms is computed once per call, so scoring costs
    ``O(C)`` per row after the forward pass.

    Parameters
    ----------
    covariance : {"auto", "isda", "labeled"} or ndarray, default="auto"
        Where ``Sigma`` comes from:

        * ``"isda"``: the ``class_covariances_`` of an
          :class:`~skactive.nets.isda.ISDAClassifier` (full or diagonal);
        * ``"labeled"``: estimated per class (biased, ``1/n``) from the
          embeddings of the labeled rows, read from the ``X_labeled`` /
          ``y_labeled`` keywords or else the learner's ``X_training`` /
          ``y_training``; classes with fewer than 2 labeled rows get a zero
          covariance;
        * ``"auto"``: ``"isda"`` when the model has ``class_covariances_``,
          ``"labeled"`` otherwise;
        * an array of shape ``(C, d, d)`` or ``(C, d)`` (diagonal).
    n_mc_samples : int or None, default=None
        ``None`` uses the closed form; an int ``>= 1`` the Monte-Carlo estimate
        of ``E[1 - softmax_y]`` with that many draws per row (seeded by
        ``random_state``).
    R : int or None, default=None
        Candidate subsample size.
    random_state : int, RandomState instance or None, default=None
        Seeds the Monte-Carlo draws and tie-breaking.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP
    >>> from skactive.nets.isda import ISDAClassifier
    >>> from skactive.strategies.epmcm import EPMCM
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = ISDAClassifier(MLP, max_epochs=2, random_state=0,
    ...                      module__hidden_units=(32,)).fit(X[:200], y[:200])
    >>> EPMCM(random_state=0)(net, X[200:400], 3).shape
    (3,)
    """

    _parameter_constraints = {
        "covariance": [StrOptions({"auto", "isda", "labeled"}), "array-like"],
        "n_mc_samples": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self, covariance="auto", n_mc_samples=None, *, R=None, random_state=None
    ):
        super().__init__(R=R, random_state=random_state)
        self.covariance = covariance
        self.n_mc_samples = n_mc_samples

    def _covariances(self, model, X_labeled, y_labeled, n_classes):
        cov = self.covariance
        if not isinstance(cov, str):
            return np.asarray(cov, dtype=np.float64)
        has_isda = getattr(model, "class_covariances_", None) is not None
        if cov == "isda" and not has_isda:
            raise InvalidParameterError(
                f"covariance='isda' needs a model with class_covariances_ "
                f"(an ISDAClassifier), got {type(model).__name__}."
            )
        if cov == "isda" or (cov == "auto" and has_isda):
            return np.asarray(model.class_covariances_, dtype=np.float64)
        if X_labeled is None or y_labeled is None:
            raise InvalidParameterError(
                "EPMCM needs class covariances: use an ISDAClassifier, pass "
                "X_labeled and y_labeled, or call it through a learner with "
                "training data."
            )
        classes = np.asarray(model.classes_)
        codes = np.searchsorted(classes, y_labeled).clip(0, len(classes) - 1)
        known = classes[codes] == y_labeled
        emb = embed_pool(model, X_labeled)
        return class_covariances(emb[known], codes[known], n_classes)

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        X_labeled, y_labeled = self._labeled_rows(
            estimator, learner, kwargs, labels=True
        )
        self._reject_kwargs(kwargs, type(self).__name__)
        layer = final_layer(estimator)
        W = layer.weight
        b = np.zeros(W.shape[0]) if layer.bias is None else layer.bias
        proba, a = embed_pool(estimator, X, return_proba=True)
        S = self._covariances(estimator, X_labeled, y_labeled, W.shape[0])
        y_hat = np.asarray(proba).argmax(axis=1)
        if self.n_mc_samples is None:
            scores = _scores.epmcm_closed_form(a, W, b, S, y_hat)
        else:
            scores = _scores.epmcm_monte_carlo(
                a, W, b, S, y_hat, int(self.n_mc_samples), random_state=rng
            )
        indices = top_k(scores, n_instances, random_state=rng)
        return indices, scores[indices]
