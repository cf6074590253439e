"""Augmentation-consistency strategies (Gao et al. 2020; Buchert et al. 2023).

Both strategies predict every candidate once un-augmented and ``N_a`` times
under random augmentations, in one set of forward passes
(:meth:`skactive.nets.DeepClassifier.predict_proba_augmented`), and measure the
inconsistency

.. math:: c_i = \\sum_c \\operatorname{Var}[p(y_c | s_i), p(y_c | \\tilde s_{i1}),
          \\dots, p(y_c | \\tilde s_{iN_a})]

with the population variance over the ``1 + N_a`` predictions
(:func:`skactive.scores.consistency`).

Augmentations
-------------
``augmentation`` is either the name of a :func:`skactive.augment.make_augmentation`
pipeline (``"standard"``, ``"ssl"``, ``"none"``), built for the image shape
``(C, H, W)`` the net sees after its ``input_transform``, or a callable applied
to a float batch tensor (see :mod:`skactive.augment`).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

from .. import diversity as _div
from .. import scores as _scores
from .._inference import augmented_predictions, input_shape
from .._validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    check_fitted,
    check_has_method,
    check_pool,
    unwrap_estimator,
    validate_estimator_params,
)
from ..augment import AUGMENTATIONS, make_augmentation
from ..selection import top_k
from ._base import QueryStrategy

__all__ = ["Consistency", "ConsistencyEmbedding"]


def _resolve_transform(augmentation, estimator, X):
    if callable(augmentation):
        return augmentation
    shape = input_shape(estimator, X)
    if len(shape) != 3:
        raise InvalidParameterError(
            f"augmentation={augmentation!r} needs image rows of shape (C, H, W) "
            f"after the net's input_transform, got rows of shape {shape}; pass a "
            "callable augmentation for other inputs."
        )
    return make_augmentation(augmentation, shape)


class _AugmentationStrategy(QueryStrategy):
    needs = "net"

    _parameter_constraints = {
        "augmentation": [StrOptions(set(AUGMENTATIONS)), callable],
        "n_augmentations": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self, augmentation="standard", n_augmentations=50, *, R=None, random_state=None
    ):
        super().__init__(R=R, random_state=random_state)
        self.augmentation = augmentation
        self.n_augmentations = n_augmentations

    def _views(self, estimator, X, rng, *, return_embedding):
        check_has_method(
            estimator, "predict_proba_augmented", purpose=type(self).__name__
        )
        transform = _resolve_transform(self.augmentation, estimator, X)
        return augmented_predictions(
            estimator,
            X,
            transform,
            self.n_augmentations,
            return_embedding=return_embedding,
            random_state=int(rng.randint(np.iinfo(np.int32).max)),
        )


class Consistency(_AugmentationStrategy):
    """Augmentation-consistency sampling (Gao et al. 2020).

    Scores each candidate by :func:`skactive.scores.consistency` of its
    un-augmented and ``n_augmentations`` augmented predictions (population
    variance over the ``1 + N_a`` views, summed over classes) and picks the
    highest. The baseline of Buchert et al. 2023.

    Parameters
    ----------
    augmentation : str or callable, default="standard"
        Name of a :func:`skactive.augment.make_augmentation` pipeline or a
        callable on float batch tensors.
    n_augmentations : int, default=50
        Number ``N_a >= 1`` of augmented copies per row.
    R : int or None, default=None
        Candidate subsample size.
    random_state : int, RandomState instance or None, default=None
        Seeds the augmentations and tie-breaking.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import DeepClassifier, SmallCNN
    >>> from skactive.strategies.consistency import Consistency
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X.reshape(-1, 8, 8).astype(np.float32) / 16
    >>> net = DeepClassifier(SmallCNN, max_epochs=1, random_state=0)
    >>> net = net.fit(X[:100], y[:100])
    >>> Consistency(n_augmentations=4, random_state=0)(net, X[100:200], 3).shape
    (3,)
    """

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        scores = self.score_pool(estimator, X, random_state=rng)
        indices = top_k(scores, n_instances, random_state=rng)
        return indices, scores[indices]

    def score_pool(self, estimator, X_pool, *, random_state=None):
        """Inconsistency ``c_i`` of every row of ``X_pool`` (higher is better).

        Parameters
        ----------
        estimator : skactive net with ``predict_proba_augmented``
        X_pool : array-like of shape (n_pool, ...)
        random_state : int, RandomState instance or None, default=None
            Seeds the augmentations (defaults to the strategy's).

        Returns
        -------
        scores : ndarray of shape (n_pool,)
        """
        validate_estimator_params(self)
        rng = check_random_state(
            self.random_state if random_state is None else random_state
        )
        model = unwrap_estimator(estimator)
        check_fitted(model)
        X_pool = check_pool(X_pool, estimator=model)
        views = self._views(model, X_pool, rng, return_embedding=False)
        return _scores.consistency(views)


class ConsistencyEmbedding(_AugmentationStrategy):
    """Consistency-weighted diversity sampling (Buchert et al. 2023, eq. 3–5).

    Embeds each candidate as ``g_i = c_i f_i``: its inconsistency ``c_i``
    (:func:`skactive.scores.consistency`) times its penultimate activations
    ``f_i`` from the same forward passes, then runs temperature-controlled
    diversity sampling (:func:`skactive.diversity.diversity_sampling`) on the
    ``g``'s. The labeled rows, when known (``X_labeled`` keyword, else the
    modAL learner's ``X_training``), are embedded the same way (with their own
    augmentations) and act as already selected centres.

    Parameters
    ----------
    augmentation : str or callable, default="standard"
        As in :class:`Consistency`.
    n_augmentations : int, default=50
        Number ``N_a >= 1`` of augmented copies per row.
    temperature : float, default=0.0
        ``T >= 0``; 0 is k-center greedy, 0.5 k-means++ seeding.
    device : str, torch.device or None, default=None
        Where the distance updates of the selector run.
    R : int or None, default=None
        Candidate subsample size.
    random_state : int, RandomState instance or None, default=None
        Seeds the augmentations and the selector.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import DeepClassifier, SmallCNN
    >>> from skactive.strategies.consistency import ConsistencyEmbedding
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X.reshape(-1, 8, 8).astype(np.float32) / 16
    >>> net = DeepClassifier(SmallCNN, max_epochs=1, random_state=0)
    >>> net = net.fit(X[:100], y[:100])
    >>> strategy = ConsistencyEmbedding(n_augmentations=4, random_state=0)
    >>> strategy(net, X[100:200], 3, X_labeled=X[:100]).shape
    (3,)
    """

    _parameter_constraints = {
        "temperature": [Interval(numbers.Real, 0, None, closed="left")],
        "device": ["device", None],
    }

    def __init__(
        self,
        augmentation="standard",
        n_augmentations=50,
        temperature=0.0,
        *,
        device=None,
        R=None,
        random_state=None,
    ):
        super().__init__(augmentation, n_augmentations, R=R, random_state=random_state)
        self.temperature = temperature
        self.device = device

    def _embedding(self, estimator, X, rng):
        views, f = self._views(estimator, X, rng, return_embedding=True)
        c = _scores.consistency(views)
        return c[:, None] * np.asarray(f, dtype=np.float64), c

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        X_labeled, _ = self._labeled_rows(estimator, learner, kwargs)
        self._reject_kwargs(kwargs, type(self).__name__)
        g, c = self._embedding(estimator, X, rng)
        labeled = None
        if X_labeled is not None:
            labeled = self._embedding(estimator, X_labeled, rng)[0]
        indices = _div.diversity_sampling(
            g,
            n_instances,
            labeled=labeled,
            temperature=self.temperature,
            random_state=rng,
            device=self.device,
        )
        indices = np.asarray(indices, dtype=np.int64)
        return indices, c[indices]
