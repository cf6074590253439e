"""Suggestive Annotation: uncertain candidates, then those that best cover the pool."""

from __future__ import annotations

import numbers

import numpy as np

from .._inference import embed_pool, iter_mc_samples
from .._validation import Interval, InvalidParameterError
from ..selection import greedy_max_cover, top_k
from ._base import QueryStrategy

__all__ = ["SuggestiveAnnotation"]


class SuggestiveAnnotation(QueryStrategy):
    r"""Suggestive Annotation (Yang et al., MICCAI 2017).

    1. *Uncertainty*: the variance of the ensemble members' predictions,
       averaged over the classes,
       :math:`u(x) = \frac1C \sum_c \mathrm{Var}_m\, p_m(c \mid x)`, from the
       estimator's posterior samples (the members of a
       :class:`~skactive.nets.DeepEnsembleClassifier`, MC-dropout or
       Bayes-by-Backprop samples of a net); the ``K`` most uncertain rows are
       the candidates :math:`S_c`.
    2. *Representativeness*: among the candidates, greedily pick the
       ``n_instances`` rows :math:`S_a` that maximise the coverage of the
       whole pool :math:`S_u`,

       .. math::

           F(S_a, S_u) = \sum_{x \in S_u} \max_{s \in S_a} \cos(f(s), f(x)),

       on the estimator's embeddings :math:`f`
       (:func:`~skactive.selection.greedy_max_cover`: ``K x n``
       similarities in blocks, never ``n x n``).

    Parameters
    ----------
    n_candidates : int or None, default=None
        ``K``; ``None``: ``2 * n_instances`` (the paper's 16 candidates for
        8 picks). At least ``n_instances``.
    n_samples : int, default=20
        Posterior samples per row (an ensemble of ``M`` members: set ``M``).
    R : int or None, default=None
        Candidate subsample size (see
        :class:`~skactive.strategies.QueryStrategy`): uncertainty and
        coverage are computed on ``R`` random pool rows.
    random_state : int, RandomState instance or None, default=None
        Seeds sampling and breaks ties. Pass an int for reproducible output
        across multiple function calls.

    References
    ----------
    L. Yang, Y. Zhang, J. Chen, S. Zhang and D. Z. Chen, "Suggestive
    Annotation: A Deep Active Learning Framework for Biomedical Image
    Segmentation", MICCAI 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier, DeepEnsembleClassifier
    >>> from skactive.strategies import SuggestiveAnnotation
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> ens = DeepEnsembleClassifier(DeepClassifier(MLP, max_epochs=3),
    ...                              n_estimators=3, random_state=0)
    >>> ens = ens.fit(X[:150], y[:150])
    >>> SuggestiveAnnotation(n_samples=3, random_state=0)(ens, X[150:], 4).shape
    (4,)
    """

    needs = "net"

    _parameter_constraints = {
        "n_candidates": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_samples": [Interval(numbers.Integral, 2, None, closed="left")],
    }

    def __init__(self, *, n_candidates=None, n_samples=20, R=None, random_state=None):
        super().__init__(R=R, random_state=random_state)
        self.n_candidates = n_candidates
        self.n_samples = n_samples

    def uncertainty(self, estimator, X, random_state=None):
        """Mean over classes of the variance of the posterior samples.

        Parameters
        ----------
        estimator : fitted estimator with ``predict_proba_samples``
            Or a skorch net with dropout.
        X : array-like of shape (n, ...)
            Rows.
        random_state : int, RandomState instance or None, default=None
            Seeds the samples.

        Returns
        -------
        ndarray of shape (n,)
        """
        blocks = iter_mc_samples(
            estimator,
            X,
            self.n_samples,
            random_state=random_state,
            purpose=type(self).__name__,
        )
        return np.concatenate(
            [np.asarray(P, np.float64).var(axis=0).mean(axis=-1) for P in blocks]
        )

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        k = 2 * n_instances if self.n_candidates is None else self.n_candidates
        if k < n_instances:
            raise InvalidParameterError(
                f"{type(self).__name__}: n_candidates={k} is smaller than "
                f"n_instances={n_instances}."
            )
        u = self.uncertainty(estimator, X, random_state=rng)
        candidates = top_k(u, min(k, len(u)), random_state=rng)
        emb = np.asarray(embed_pool(estimator, X), dtype=np.float32)
        picks, _ = greedy_max_cover(emb[candidates], emb, n_instances, random_state=rng)
        indices = candidates[picks]
        return indices, u[indices]
