"""Stochastic batch acquisition: sample a batch in proportion to the scores.

Kirsch et al. (TMLR 2023) replace top-k by sampling without replacement with
probabilities derived from the scores, which makes a batch less redundant at
no cost:

* ``"power"``: ``p_i ∝ s_i ** beta`` (scores must be non-negative);
* ``"softmax"``: ``p_i ∝ exp(beta * s_i)``;
* ``"softrank"``: ``p_i ∝ rank_i ** -beta`` (rank 1 the highest score).

Sampling without replacement is the Gumbel-top-k trick: the ``n`` largest
``log p_i + G_i`` with ``G_i`` i.i.d. standard Gumbel, which draws the batch
with the same law as ``n`` successive draws from the renormalised ``p``
(Kool et al. 2019).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from .._validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    check_n_instances,
    validate_params,
)

__all__ = ["stochastic_sampling"]

_MODES = StrOptions({"power", "softmax", "softrank"})


def _log_weights(scores, mode, beta):
    """Log of the unnormalised sampling weights of every row.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        Finite scores, higher is more informative.
    mode : {"power", "softmax", "softrank"}
    beta : float
        Inverse temperature, ``>= 0``.

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    scores = np.asarray(scores, dtype=np.float64)
    if mode == "power":
        if np.any(scores < 0):
            raise InvalidParameterError(
                "stochastic_sampling: mode='power' needs non-negative scores (the "
                f"smallest is {scores.min():.4g}); use mode='softmax' or "
                "'softrank' for signed scores such as margin."
            )
        tiny = np.finfo(np.float64).tiny
        return beta * np.log(np.maximum(scores, tiny))
    if mode == "softmax":
        return beta * scores
    ranks = np.empty(scores.size)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, scores.size + 1)
    return -beta * np.log(ranks)


@validate_params(
    {
        "scores": ["array-like"],
        "n_instances": [Interval(Integral, 1, None, closed="left")],
        "mode": [_MODES],
        "beta": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }
)
def stochastic_sampling(
    scores, n_instances, *, mode="power", beta=1.0, random_state=None
):
    """Draw a batch without replacement with probabilities from the scores.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        Finite scores, higher is more informative.
    n_instances : int
        Rows to draw, at most ``n_samples``.
    mode : {"power", "softmax", "softrank"}, default="power"
        How scores become weights (see the module docstring).
    beta : float, default=1.0
        Inverse temperature: ``0`` is uniform random sampling; large values
        approach top-k.
    random_state : int, RandomState instance or None, default=None
        Draws the Gumbel noise. Pass an int for reproducible output across
        multiple function calls.

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Unique int64 indices, in draw order.

    Examples
    --------
    >>> from skactive.selection import stochastic_sampling
    >>> stochastic_sampling([0.1, 5.0, 0.2, 4.0], 2, beta=8.0, random_state=0)
    array([1, 3])
    """
    scores = np.asarray(scores)
    if scores.ndim != 1 or not np.issubdtype(scores.dtype, np.number):
        raise InvalidParameterError(
            f"stochastic_sampling: scores must be 1-D numbers, got shape "
            f"{scores.shape} of dtype {scores.dtype}."
        )
    if not np.isfinite(scores).all():
        raise InvalidParameterError(
            "stochastic_sampling: scores contains NaN or infinity."
        )
    n_instances = check_n_instances(
        n_instances, scores.size, caller="stochastic_sampling"
    )
    rng = check_random_state(random_state)
    keys = _log_weights(scores, mode, beta) + rng.gumbel(size=scores.size)
    if n_instances < scores.size:
        part = np.argpartition(-keys, n_instances - 1)[:n_instances]
    else:
        part = np.arange(scores.size)
    return part[np.argsort(-keys[part], kind="stable")].astype(np.int64)
