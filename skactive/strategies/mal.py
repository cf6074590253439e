"""MAL: minimax active learning (Ebrahimi et al. 2021)."""

from __future__ import annotations

import numbers

import numpy as np

from .._inference import predict_proba_discriminator_pool
from .._validation import (
    BATCH_SIZE,
    N_JOBS,
    Interval,
    StrOptions,
    check_has_method,
    validate_params,
)
from ..scores import entropy
from ._base import ScoreStrategy

__all__ = ["MinimaxSampling", "minimax_scores"]


@validate_params(
    {
        "proba": ["array-like"],
        "p_labeled": ["array-like"],
        "combination": [StrOptions({"filter", "product"})],
        "threshold": [Interval(numbers.Real, 0, 1, closed="both")],
    }
)
def minimax_scores(proba, p_labeled, *, combination="filter", threshold=0.5):
    r"""MAL's acquisition score from the classifier and the discriminator.

    With :math:`\tilde H(x) = H(p(\cdot\mid x)) / \log K`, the classifier's
    entropy scaled to :math:`[0, 1]`, and :math:`D(x)` the discriminator's
    probability that :math:`x` is labeled:

    * ``"filter"`` (the paper's rule, "the highest entropy samples from the
      classifier that the discriminator predicts as unlabeled are
      selected"):

      .. math:: s(x) = \mathbb{1}[D(x) < \tau] + \tilde H(x),

      so the top-``b`` rows are the highest-entropy rows among those the
      discriminator predicts as unlabeled (:math:`D < \tau`), and, when
      fewer than ``b`` are, the highest-entropy rows of the rest after them;
    * ``"product"``: :math:`s(x) = (1 - D(x))\,\tilde H(x)`, both signals
      at once (high when the row is unfamiliar *and* uncertain).

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        The classifier's probabilities.
    p_labeled : array-like of shape (n_samples,)
        :math:`D(x)`.
    combination : {"filter", "product"}, default="filter"
        How the two signals combine (above).
    threshold : float, default=0.5
        :math:`\tau`, below which the discriminator predicts *unlabeled*.

    Returns
    -------
    ndarray of float64 of shape (n_samples,)
        Higher is picked first.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies.mal import minimax_scores
    >>> proba = np.array([[0.5, 0.5], [0.9, 0.1], [0.5, 0.5]])
    >>> np.round(minimax_scores(proba, [0.9, 0.1, 0.2]), 3)  # row 0 looks labeled
    array([1.   , 1.469, 2.   ])
    """
    H = entropy(proba)
    k = np.shape(proba)[1]
    H = H / np.log(k) if k > 1 else np.zeros_like(H)
    d = np.asarray(p_labeled, dtype=np.float64).reshape(-1)
    if d.shape[0] != H.shape[0]:
        raise ValueError(
            f"minimax_scores: p_labeled has {d.shape[0]} rows, proba {H.shape[0]}."
        )
    if combination == "product":
        return (1.0 - d) * H
    return (d < threshold).astype(np.float64) + H


class MinimaxSampling(ScoreStrategy):
    r"""Minimax Active Learning (Ebrahimi et al. 2021).

    The estimator -- a :class:`~skactive.nets.MinimaxClassifier`, or
    anything with ``predict_proba_with_discriminator`` -- is trained on the
    labeled rows and the pool: an :math:`\ell_2`-normalised encoder
    :math:`F` and a cosine classifier :math:`C` by cross-entropy on the
    labeled rows and by the minimax entropy game on the unlabeled ones
    (:math:`C` maximises, :math:`F` minimises the entropy, through a
    gradient-reversal layer), and a discriminator :math:`D` on :math:`F`'s
    features learns to tell labeled from unlabeled rows. Sampling uses both
    signals, as the paper's abstract states: "the highest entropy samples
    from the classifier that the discriminator predicts as unlabeled are
    selected" -- the ``n_instances`` rows with the highest

    .. math:: s(x) = \mathbb{1}[D(F(x)) < \tau] + H(C(F(x))) / \log K

    (:func:`minimax_scores`, ``combination="filter"``, :math:`\tau = 0.5`),
    or of :math:`(1 - D)\,H/\log K` with ``combination="product"``.

    Parameters
    ----------
    combination : {"filter", "product"}, default="filter"
        How the discriminator's score and the entropy combine (see
        :func:`minimax_scores`).
    threshold : float, default=0.5
        :math:`\tau`: the discriminator predicts *unlabeled* below it.
    batch_size : int or None, default=None
        Rows per call for estimators that are not skorch nets.
    n_jobs : int or None, default=None
        joblib workers for those chunks.
    R : int or None, default=None
        Candidate subsample size (see
        :class:`~skactive.strategies.QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Draws the candidate subsample and breaks ties. Pass an int for
        reproducible output across multiple function calls.

    References
    ----------
    S. Ebrahimi, W. Gan, D. Chen, G. Biamby, K. Salahi, M. Laielli, S. Zhu
    and T. Darrell, "Minimax Active Learning", arXiv:2012.10467, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, MinimaxClassifier
    >>> from skactive.strategies import MinimaxSampling
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> y_semi = np.where(np.arange(400) < 100, y[:400], -1)
    >>> net = MinimaxClassifier(MLP, max_epochs=2, random_state=0,
    ...                         discriminator_width=32).fit(X[:400], y_semi)
    >>> MinimaxSampling(random_state=0)(net, X[100:400], n_instances=4).shape
    (4,)
    """

    needs = "minimax_net"

    _parameter_constraints = {
        "combination": [StrOptions({"filter", "product"})],
        "threshold": [Interval(numbers.Real, 0, 1, closed="both")],
        "batch_size": BATCH_SIZE,
        "n_jobs": N_JOBS,
    }

    def __init__(
        self,
        *,
        combination="filter",
        threshold=0.5,
        batch_size=None,
        n_jobs=None,
        R=None,
        random_state=None,
    ):
        super().__init__(R=R, random_state=random_state)
        self.combination = combination
        self.threshold = threshold
        self.batch_size = batch_size
        self.n_jobs = n_jobs

    def _score(self, estimator, X):
        check_has_method(
            estimator,
            "predict_proba_with_discriminator",
            purpose=type(self).__name__,
        )
        proba, p_labeled = predict_proba_discriminator_pool(
            estimator, X, batch_size=self.batch_size, n_jobs=self.n_jobs
        )
        return minimax_scores(
            proba, p_labeled, combination=self.combination, threshold=self.threshold
        )
