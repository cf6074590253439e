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

import math
from numbers import Real

from .._rows import n_rows
from .._validation import (
    POSITIVE_INT,
    HasMethods,
    Interval,
    check_n_instances,
    check_pool,
    validate_params,
)
from ..metrics import evaluate_initial_set
from ..strategies.initial import InitialSelection, _diverse_picks, _is_fitted

__all__ = ["InitialSelection", "evaluate_initial_set", "initial_selection"]


@validate_params(
    {
        "X": ["array-like"],
        "n": POSITIVE_INT,
        "embedder": [HasMethods(["fit", "transform"])],
        # diversity_sampling needs a finite temperature: refuse inf before the
        # embedder trains
        "temperature": [Interval(Real, 0, math.inf, closed="left")],
        "random_state": ["random_state"],
    }
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
    n = check_n_instances(n, n_rows(X), name="n", caller="initial_selection")
    if not _is_fitted(embedder):
        embedder.fit(X)
    return _diverse_picks(X, n, embedder, temperature, random_state)[0]
