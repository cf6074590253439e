"""BADGE: k-means++ seeding in the gradient-embedding space (Ash et al., 2020).

:func:`badge_sampling` never forms the ``n x (d * C)`` gradient embeddings:
their distances come from :class:`~skactive.selection._distance._GradientUpdater`
and the draws from the farthest-point loop of
:mod:`~skactive.selection._farthest`. ``_badge_sampling_naive`` is the
reference that does form them, for the tests.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from sklearn.utils import check_random_state

from .._deprecation import renamed_keywords
from .._validation import Interval, check_n_instances, validate_params
from ._arrays import (
    _check_finite_derived,
    _check_probas,
    _resolve_device,
    _to_numpy,
    _to_tensor,
)
from ._distance import (
    _DEFAULT_UPDATE_ROWS,
    _GradientUpdater,
    _sq_norms,
    _UniformTolerance,
    _zero_tol,
    _ZeroTolerance,
)
from ._farthest import _draw, _greedy_loop

__all__ = ["badge_sampling"]


def _badge_inputs(probas, embeddings, device):
    dev = _resolve_device(device, embeddings)
    F = _to_tensor(
        embeddings, "embeddings", device=dev, check_finite=False, lazy_ok=True
    )
    P = _check_probas(probas, F.shape[0], device=dev, dtype=F.dtype)
    return F, P


@renamed_keywords(n="n_instances")
@validate_params(
    {
        "probas": ["array-like"],
        "embeddings": ["array-like"],
        "n_instances": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": ["device", None],
        "chunk_size": [Interval(Integral, 1, None, closed="left"), None],
    }
)
def badge_sampling(
    probas, embeddings, n_instances, *, random_state=None, device=None, chunk_size=None
):
    r"""BADGE: k-means++ seeding on gradient embeddings (Ash et al., 2020).

    The gradient embedding of sample :math:`x` is
    :math:`g_x = (p_x - e_{\hat y}) \otimes f_x` with
    :math:`\hat y = \arg\max p_x`.  The first centre is the sample with the
    largest :math:`\lVert g\rVert`; every further centre is drawn with
    probability proportional to :math:`d^2`, the squared distance to the
    nearest chosen centre.  Unlike scikit-activeml's ``Badge`` the origin is
    not kept as a centre.

    :math:`g` is never materialised: with :math:`u = p - e_{\hat y}`,
    :math:`\lVert g_i - g_j\rVert^2 = \lVert u_i\rVert^2\lVert f_i\rVert^2 +
    \lVert u_j\rVert^2\lVert f_j\rVert^2 - 2 (u_i\cdot u_j)(f_i\cdot f_j)`,
    so memory is :math:`O(n (d + C))` instead of :math:`O(n d C)`.

    Parameters
    ----------
    probas : array-like or torch.Tensor of shape (n_samples, n_classes)
        Predicted class-membership probabilities (values in [0, 1]).
    embeddings : array-like or torch.Tensor of shape (n_samples, n_features)
        Penultimate-layer embeddings :math:`f`.  Their dtype (float32 or
        float64) is used for the distance arithmetic.
    n_instances : int
        Number of samples to select. Formerly ``n``: the keyword ``n=`` still
        works but emits a :class:`FutureWarning`.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws; one uniform number per pick.
    device : str, torch.device or None, default=None
        Computation device; ``None`` uses the embeddings' device or CPU.
    chunk_size : int or None, default=None
        Rows per chunk of the distance update.

    Returns
    -------
    indices : ndarray of shape (n_instances,), dtype int64
        Unique row indices in selection order.

    Notes
    -----
    Rows whose gradient embedding coincides with a chosen centre have
    :math:`d = 0` and are never drawn; when all remaining distances are 0 the
    rest is filled uniformly among unselected rows (as in
    :func:`diversity_sampling`).  What counts as 0 is bounded row by row,
    from the row's own gradient norm, so a row with a huge gradient does not
    make the others look like copies of a centre.

    References
    ----------
    .. [1] Ash, J. T., Zhang, C., Krishnamurthy, A., Langford, J., & Agarwal,
       A. (2020). Deep batch active learning by diverse, uncertain gradient
       lower bounds. ICLR.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.selection import badge_sampling
    >>> probas = np.array([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4], [0.99, 0.01]])
    >>> emb = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [3.0, 3.0]])
    >>> idx = badge_sampling(probas, emb, 2, random_state=0)
    >>> int(idx[0])  # largest gradient norm: 0.5 * sqrt(2) * ||(1, 1)||
    2
    """
    F, P = _badge_inputs(probas, embeddings, device)
    n_pool = F.shape[0]
    n = check_n_instances(n_instances, n_pool, caller="badge_sampling")
    chunk = None if chunk_size is None else int(chunk_size)
    rng = check_random_state(random_state)

    U = P.clone()
    yhat = torch.argmax(P, dim=1)
    U[torch.arange(n_pool, device=U.device), yhat] -= 1
    sqf = _sq_norms(F)
    _check_finite_derived(F, (sqf,), "embeddings")
    a = _sq_norms(U) * sqf
    # ||g_i - g_j||^2 counts as 0 below the rounding error of a copy of row i
    # (per row: a row with a large gradient inflates no other's tolerance)
    zero = _ZeroTolerance(_zero_tol(a, F.shape[1] + U.shape[1], F.dtype))
    tol = _zero_tol(float(a.max()), F.shape[1] + U.shape[1], F.dtype)
    update = _GradientUpdater(F, U, a, chunk or _DEFAULT_UPDATE_ROWS)

    # first centre: argmax ||g|| (ties through the random state)
    u = rng.random_sample()

    def exact_norms(rows):  # float64 ||g||^2 to settle float32 near-ties
        Ur, Fr = U[rows].to(torch.float64), F[rows].to(torch.float64)
        return (Ur * Ur).sum(dim=1) * (Fr * Fr).sum(dim=1)

    # the largest ||g||^2 has rounding error below tol: a shared window
    first, _ = _draw(
        a, None, u, _ZeroTolerance(tol), exact_norms, _UniformTolerance(tol)
    )
    if first < 0:  # every gradient is zero: nothing to prefer
        first = min(int(u * n_pool), n_pool - 1)
    if n == 1:
        return np.array([first], dtype=np.int64)
    d2 = update(None, first)
    picked = np.zeros(n_pool, dtype=bool)
    picked[first] = True
    rest, _ = _greedy_loop(
        n - 1, n_pool, d2, update, exponent=1.0, rng=rng, zero=zero, picked=picked
    )
    return np.concatenate([[first], rest]).astype(np.int64)


def _badge_sampling_naive(probas, embeddings, n_instances, random_state=None):
    """Reference BADGE that materialises ``g`` (n x d*C); tests only.

    Consumes random numbers exactly like :func:`badge_sampling`, so both
    return the same picks for the same seed (up to floating-point near-ties).
    """
    F = _to_numpy(embeddings, "embeddings")
    P = _to_numpy(probas, "probas")
    in_dtype = torch.float64
    if isinstance(embeddings, torch.Tensor) and embeddings.dtype == torch.float32:
        in_dtype = torch.float32
    elif np.asarray(embeddings).dtype == np.float32:
        in_dtype = torch.float32
    n_pool = F.shape[0]
    n = check_n_instances(n_instances, n_pool)
    rng = check_random_state(random_state)
    Uu = P.copy()
    Uu[np.arange(n_pool), P.argmax(axis=1)] -= 1.0
    G = (Uu[:, :, None] * F[:, None, :]).reshape(n_pool, -1)
    a = np.einsum("ij,ij->i", G, G)
    tol = _zero_tol(float(a.max()), F.shape[1] + P.shape[1], in_dtype)
    zero = _zero_tol(a, F.shape[1] + P.shape[1], in_dtype)  # per row

    picks = []
    picked = np.zeros(n_pool, dtype=bool)
    u = rng.random_sample()
    m = a.max()
    if m > tol:
        ties = np.flatnonzero(a == m)
        first = int(ties[min(int(u * len(ties)), len(ties) - 1)])
    else:
        first = min(int(u * n_pool), n_pool - 1)
    picks.append(first)
    picked[first] = True
    d2 = ((G - G[first]) ** 2).sum(axis=1)
    d2[first] = 0.0
    exhausted = False
    while len(picks) < n:
        u = rng.random_sample()
        if not exhausted and not (d2 > zero).any():
            exhausted = True
        if exhausted:
            free = np.flatnonzero(~picked)
            idx = int(free[min(int(u * len(free)), len(free) - 1)])
        else:
            w = np.where(d2 <= zero, 0.0, d2)
            c = np.cumsum(w)
            idx = int(np.searchsorted(c, u * c[-1], side="right"))
            if idx >= n_pool:
                idx = int(np.flatnonzero(w > 0).max())
        picks.append(idx)
        picked[idx] = True
        d2 = np.minimum(d2, ((G - G[idx]) ** 2).sum(axis=1))
        d2[idx] = 0.0
    return np.asarray(picks, dtype=np.int64)
