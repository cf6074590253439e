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
from ..selection import top_k
from ._base import QueryStrategy

__all__ = ["MinimaxSampling", "minimax_scores"]

_COMBINATIONS = {"filter", "product", "discriminator", "entropy"}


def _scores(proba, p_labeled, n_candidates, combination):
    """The worker of :func:`minimax_scores` (inputs checked)."""
    H = entropy(proba)
    k = np.shape(proba)[1]
    H = H / np.log(k) if k > 1 else np.zeros_like(H)
    d = np.asarray(p_labeled, dtype=np.float64).reshape(-1)
    if d.shape[0] != H.shape[0]:
        raise ValueError(
            f"minimax_scores: p_labeled has {d.shape[0]} rows, proba has {H.shape[0]}."
        )
    if combination == "product":
        return (1.0 - d) * H
    if combination == "discriminator":
        return 1.0 - d
    if combination == "entropy":
        return H
    candidates = np.zeros(d.shape[0])
    candidates[np.argsort(d, kind="stable")[: min(n_candidates, d.shape[0])]] = 1.0
    return candidates + H


@validate_params(
    {
        "proba": ["array-like"],
        "p_labeled": ["array-like"],
        "n_candidates": [Interval(numbers.Integral, 1, None, closed="left")],
        "combination": [StrOptions(_COMBINATIONS)],
    }
)
def minimax_scores(proba, p_labeled, *, n_candidates=1, combination="filter"):
    r"""MAL's acquisition score from the classifier and the discriminator.

    With :math:`\tilde H(x) = H(p(\cdot\mid x)) / \log K`, the classifier's
    entropy scaled to :math:`[0, 1]`, and :math:`D(x)` the discriminator's
    probability that :math:`x` is labeled:

    * ``"filter"`` -- the paper's rule, "the highest entropy samples from the
      classifier that the discriminator predicts as unlabeled are
      selected":

      .. math:: s(x) = \mathbb{1}\bigl[x \in \mathcal{C}\bigr] + \tilde H(x),

      where :math:`\mathcal{C}` holds the ``n_candidates`` rows of lowest
      :math:`D` (those the discriminator is most confident are unlabeled;
      ties by position). The top ``b <= n_candidates`` scores are the
      highest-entropy rows of :math:`\mathcal{C}`.
    * ``"product"``: :math:`s = (1 - D)\,\tilde H` (both at once);
    * ``"discriminator"``: :math:`s = 1 - D` (VAAL's rule, the paper's
      diversity-only ablation);
    * ``"entropy"``: :math:`s = \tilde H` (the uncertainty-only ablation).

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        The classifier's probabilities.
    p_labeled : array-like of shape (n_samples,)
        :math:`D(x)`.
    n_candidates : int, default=1
        :math:`|\mathcal{C}|` for ``"filter"`` (ignored otherwise).
    combination : {"filter", "product", "discriminator", "entropy"}, default="filter"
        How the two signals combine (above).

    Returns
    -------
    ndarray of float64 of shape (n_samples,)
        Higher is picked first.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies import minimax_scores
    >>> proba = np.array([[0.5, 0.5], [0.9, 0.1], [0.5, 0.5]])
    >>> d = [0.9, 0.1, 0.2]  # row 0 looks labeled
    >>> np.round(minimax_scores(proba, d, n_candidates=2), 3)
    array([1.   , 1.469, 2.   ])
    """
    return _scores(proba, p_labeled, int(n_candidates), combination)


class MinimaxSampling(QueryStrategy):
    r"""Minimax Active Learning (Ebrahimi et al. 2021).

    The estimator -- a :class:`~skactive.nets.MinimaxClassifier`, or
    anything with ``predict_proba_with_discriminator`` -- is trained on the
    labeled rows and the pool: an :math:`\ell_2`-normalised encoder
    :math:`F` and a cosine classifier :math:`C` by cross-entropy on the
    labeled rows and by the minimax entropy game on the unlabeled ones
    (:math:`C` maximises, :math:`F` minimises the entropy, through a
    gradient-reversal layer), and a discriminator :math:`D` on :math:`F`'s
    features learns to tell labeled from unlabeled rows. Sampling uses both
    signals, as the paper's abstract states -- "the highest entropy samples
    from the classifier that the discriminator predicts as unlabeled are
    selected": of the ``candidate_factor * n_instances`` pool rows with the
    lowest :math:`D(F(x))` (most confidently unlabeled), the
    ``n_instances`` with the highest :math:`H(C(F(x)))`, i.e. the top
    scores of

    .. math:: s(x) = \mathbb{1}[x \in \mathcal{C}] + H(C(F(x))) / \log K

    (:func:`minimax_scores`). ``combination`` switches to the product
    :math:`(1 - D)\,H/\log K` or to one signal alone (the paper's
    ablations). The candidate set is the lowest-:math:`D` rows rather than
    :math:`D < 0.5`: trained on balanced labeled/unlabeled batches, the
    discriminator puts rows like the labeled ones near 0.5 on either side
    by chance, so a fixed threshold lets them in.

    Parameters
    ----------
    combination : {"filter", "product", "discriminator", "entropy"}, default="filter"
        How the discriminator's score and the entropy combine (see
        :func:`minimax_scores`).
    candidate_factor : float, default=2.0
        ``"filter"``'s candidate set holds ``ceil(candidate_factor *
        n_instances)`` rows (``>= 1``; 1: the discriminator alone decides).
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
        "combination": [StrOptions(_COMBINATIONS)],
        "candidate_factor": [Interval(numbers.Real, 1, None, closed="left")],
        "batch_size": BATCH_SIZE,
        "n_jobs": N_JOBS,
    }

    def __init__(
        self,
        *,
        combination="filter",
        candidate_factor=2.0,
        batch_size=None,
        n_jobs=None,
        R=None,
        random_state=None,
    ):
        super().__init__(R=R, random_state=random_state)
        self.combination = combination
        self.candidate_factor = candidate_factor
        self.batch_size = batch_size
        self.n_jobs = n_jobs

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        check_has_method(
            estimator,
            "predict_proba_with_discriminator",
            purpose=type(self).__name__,
        )
        proba, p_labeled = predict_proba_discriminator_pool(
            estimator, X, batch_size=self.batch_size, n_jobs=self.n_jobs
        )
        n_candidates = int(np.ceil(float(self.candidate_factor) * n_instances))
        scores = _scores(proba, p_labeled, n_candidates, self.combination)
        indices = top_k(scores, n_instances, random_state=rng)
        return indices, scores[indices]
