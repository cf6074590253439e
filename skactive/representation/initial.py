"""Cold start: pick the first batch to label in a self-supervised embedding.

Before any label exists, uncertainty cannot be measured; what can be measured
is how the pool is spread out. Buchert et al. (2023) embed the pool with a
self-supervised learner (RotNet in their experiments) and pick the initial
set by temperature-controlled diversity sampling
(:func:`skactive.diversity.diversity_sampling`): ``T = 0`` is k-center greedy
(maximally diverse, prone to outliers), ``T = 0.5`` is k-means++ seeding
(diverse *and* close to the pool's class distribution), large ``T`` is
random sampling. :func:`evaluate_initial_set` measures both sides: the
class-distribution distance (their eq. 6) and the mean pairwise distance.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .._rows import n_rows
from .._validation import check_n_instances, check_pool
from ..diversity import diversity_sampling
from ..metrics import evaluate_initial_set
from ..strategies._base import QueryStrategy
from ._base import _check_float

__all__ = ["InitialSelection", "evaluate_initial_set", "initial_selection"]


def _check_embedder(embedder):
    for method in ("fit", "transform"):
        if not callable(getattr(embedder, method, None)):
            raise TypeError(
                "embedder must be a scikit-learn transformer with fit and transform "
                f"(e.g. skactive.representation.RotNet), got {embedder!r}."
            )


def _is_fitted(embedder):
    try:
        check_is_fitted(embedder)
    except NotFittedError:
        return False
    return True


def _embed(embedder, X):
    emb = embedder.transform(X)
    emb = np.asarray(emb.detach().cpu() if hasattr(emb, "detach") else emb)
    if emb.ndim != 2 or emb.shape[0] != n_rows(X):
        raise ValueError(
            f"embedder.transform returned shape {emb.shape}; expected "
            f"({n_rows(X)}, n_features)."
        )
    return emb


def _select(X, n, embedder, temperature, random_state, labeled=None):
    emb = _embed(embedder, X)
    lab = None if labeled is None else _embed(embedder, labeled)
    return diversity_sampling(
        emb,
        n,
        labeled=lab,
        temperature=temperature,
        random_state=random_state,
        return_distances=True,
    )


def initial_selection(X, n, *, embedder, temperature=0.5, random_state=None):
    """Pick ``n`` rows to label first by diversity in a learned embedding.

    The embedder is fitted on ``X`` unless it is fitted already (as judged by
    :func:`sklearn.utils.validation.check_is_fitted`), ``X`` is embedded,
    and :func:`~skactive.diversity.diversity_sampling` picks ``n`` rows with
    temperature ``T`` and no labeled rows (Buchert et al. 2023).

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, ...)
        The unlabeled pool (images for the learners of
        :mod:`skactive.representation`; any input the embedder takes).
    n : int
        Number of rows to pick, ``1 <= n <= n_samples``.
    embedder : transformer
        :class:`RotNet`, :class:`SimCLR`, :class:`BarlowTwins`,
        :class:`DeepCluster`, :class:`PretrainedEmbedder` or any
        scikit-learn transformer (``PCA``, a ``Pipeline``). An unfitted one
        is fitted on ``X`` **in place**, so its ``encoder_`` can then
        initialise a classifier (:func:`classifier_from_embedder`).
    temperature : float, default=0.5
        ``T >= 0``: 0 is k-center greedy, 0.5 k-means++ seeding (the
        recommended trade-off between diversity and a representative class
        distribution), large values approach random sampling.
    random_state : int, RandomState instance or None, default=None
        Seeds the picks (the first one is uniform). The embedder's training
        is seeded by its own ``random_state``. Pass an int for reproducible
        output across multiple function calls.

    Returns
    -------
    indices : ndarray of shape (n,), dtype int64
        Unique row indices into ``X``, in selection order.

    References
    ----------
    .. [1] F. Buchert, N. Navab and S. T. Kim, "Toward Label-Efficient Neural
       Network Training: Diversity-Based Sampling in Semi-Supervised Active
       Learning", IEEE Access 11, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.representation import RotNet, initial_selection
    >>> X = (load_digits().images[:300] * 255 / 16).astype(np.uint8)
    >>> rot = RotNet(max_epochs=1, random_state=0)
    >>> idx = initial_selection(X, 20, embedder=rot, random_state=0)
    >>> idx.shape, len(np.unique(idx))
    ((20,), 20)
    >>> hasattr(rot, "encoder_")  # fitted in place
    True
    """
    X = check_pool(X, name="X")
    n = check_n_instances(n, n_rows(X), name="n")
    _check_float(temperature, "temperature", nonnegative=True)
    _check_embedder(embedder)
    if not _is_fitted(embedder):
        embedder.fit(X)
    return _select(X, n, embedder, temperature, random_state)[0]


class InitialSelection(QueryStrategy):
    """Cold-start query strategy: diversity sampling in a learned embedding.

    The first query of an active learner that has no labels yet (it does not
    need the learner's estimator to be fitted): the pool is embedded with
    ``embedder`` and rows are picked by temperature-controlled diversity
    sampling (:func:`initial_selection`). Later queries may use it too: the
    labeled rows (``X_labeled=`` keyword of the query, else the modAL
    learner's ``X_training``) then count as already selected.

    Parameters
    ----------
    embedder : transformer
        A representation learner of :mod:`skactive.representation` or any
        scikit-learn transformer. A fitted embedder is used as it is; an
        unfitted one is cloned and the clone fitted on the candidates at
        every call (the strategy keeps no fitted state), so fit it once
        beforehand on the pool to reuse it (and its ``encoder_``).
    temperature : float, default=0.5
        ``T >= 0`` of the diversity sampling.
    R : int or None, default=None
        Candidate subsample size; ``None`` uses the whole pool.
    random_state : int, RandomState instance or None, default=None
        Seeds the candidate subsample and the picks. Pass an int for
        reproducible output across multiple function calls.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive import ActiveLearner
    >>> from skactive.nets import DeepClassifier, SmallCNN
    >>> from skactive.representation import InitialSelection, RotNet
    >>> X = (load_digits().images[:300] * 255 / 16).astype(np.uint8)
    >>> rot = RotNet(max_epochs=1, random_state=0).fit(X)
    >>> learner = ActiveLearner(
    ...     DeepClassifier(SmallCNN, max_epochs=1),  # not fitted yet
    ...     InitialSelection(rot, temperature=0.5, random_state=0),
    ... )
    >>> idx, rows = learner.query(X, n_instances=10)
    >>> idx.shape
    (10,)
    """

    _requires_fit = False

    def __init__(self, embedder, temperature=0.5, *, R=None, random_state=None):
        super().__init__(R=R, random_state=random_state)
        self.embedder = embedder
        self.temperature = temperature

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        X_labeled = kwargs.pop("X_labeled", None)
        self._reject_kwargs(kwargs, type(self).__name__)
        if X_labeled is None:
            X_labeled = getattr(learner, "X_training", None)
        if X_labeled is not None and n_rows(X_labeled) == 0:
            X_labeled = None
        if X_labeled is not None:
            X_labeled = check_pool(X_labeled, name="X_labeled")
        _check_float(self.temperature, "temperature", nonnegative=True)
        _check_embedder(self.embedder)
        embedder = self.embedder
        if not _is_fitted(embedder):
            embedder = clone(embedder).fit(X)
        indices, distances = _select(
            X, n_instances, embedder, self.temperature, rng, labeled=X_labeled
        )
        return indices, distances
