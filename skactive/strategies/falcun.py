"""FALCUN: uncertainty-weighted diversity in probability space (Gilhuber 2024).

:class:`Falcun` asks the model for the class probabilities of the candidates
(one pass, :func:`~skactive._inference.predict_proba_pool`) and draws the
batch with :func:`skactive.selection.falcun_sampling`: margin uncertainty
plus the L1 distance to the rows already drawn, sampled in proportion to
``(u + d)**gamma``. No embeddings and no distances in a latent space: one
acquisition costs ``n_instances`` passes over an ``n × n_classes`` array.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._inference import predict_proba_pool
from .._validation import N_JOBS, Interval, check_has_method
from ..selection import falcun_sampling
from ..selection._falcun import _margin_uncertainty
from ._base import QueryStrategy

__all__ = ["Falcun"]


class Falcun(QueryStrategy):
    """FALCUN (Gilhuber, Beer, Ma & Seidl, ECML-PKDD 2024).

    Each pick is drawn among the remaining candidates with probability
    proportional to ``r(x)**gamma``, ``r = d' + u``: ``u`` the margin
    uncertainty ``1 - (p_1 - p_2)``, ``d'`` the min-max scaled L1 distance
    in the class-probability space to the closest row already drawn in the
    batch (the uncertainty itself before the first pick). See
    :func:`skactive.selection.falcun_sampling`.

    Parameters
    ----------
    gamma : float, default=10.0
        Sharpness of the sampling distribution (the paper's value is 10);
        ``0`` samples uniformly, large values approach a deterministic
        argmax.
    n_jobs : int or None, default=None
        Parallel chunks for scoring a pool with a scikit-learn estimator.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Draws the batch (one uniform draw per pick). Pass an int for
        reproducible output across multiple function calls.

    Notes
    -----
    The scores returned with the indices are the margin uncertainties
    ``u`` of the picked rows. A model that knows a single class (one
    probability column) gives every row ``u = 0``: the batch is then drawn
    uniformly.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import Falcun
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=2000).fit(X[:50], y[:50])
    >>> Falcun(random_state=0)(clf, X[50:], 3).shape
    (3,)
    """

    _parameter_constraints = {
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "n_jobs": N_JOBS,
    }

    def __init__(self, gamma=10.0, *, n_jobs=None, R=None, random_state=None):
        super().__init__(R=R, random_state=random_state)
        self.gamma = gamma
        self.n_jobs = n_jobs

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        check_has_method(estimator, "predict_proba", purpose=type(self).__name__)
        proba = np.asarray(
            predict_proba_pool(estimator, X, n_jobs=self.n_jobs), dtype=np.float64
        )
        if proba.shape[1] == 1:  # a single known class: no margin
            proba = np.hstack([proba, np.zeros_like(proba)])
        proba = np.clip(proba, 0.0, 1.0)
        indices = falcun_sampling(
            proba, n_instances, gamma=self.gamma, random_state=rng
        )
        return indices, _margin_uncertainty(proba[indices])
