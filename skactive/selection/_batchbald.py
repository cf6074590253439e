"""BatchBALD: greedy jointly-informative batches from MC samples (Kirsch et al. 2019).

:func:`batchbald_select` works on a stack of *consistent* Monte-Carlo samples
of the class probabilities (sample ``t`` of every row from the same model
``w_t``) and never calls a model; the strategy
:class:`~skactive.strategies.BatchBALD` draws those samples and calls it.
The joint entropies are evaluated in float64 over cache-sized blocks of the
pool, exactly while the label configurations of the chosen rows can be
enumerated and by importance sampling beyond.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from sklearn.utils import check_random_state

from .. import scores as _scores
from .._deprecation import renamed_keywords
from .._validation import Interval, check_n_instances, validate_params

__all__ = ["batchbald_select"]

#: Elements of the ``(configurations, rows, classes)`` block that BatchBALD
#: evaluates at once: about 1 MB of float64, so the block and its ``A log A``
#: stay in cache (larger blocks make the logarithm memory-bound).
_BATCHBALD_BLOCK = 1 << 17

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")


def _pick(gain, rng):
    """Index of the largest finite gain, ties broken with ``rng``."""
    best = torch.max(gain)
    ties = torch.nonzero(gain == best).flatten().cpu().numpy()
    return int(ties[0] if ties.size == 1 else rng.choice(ties))


@renamed_keywords(n="n_instances")
@validate_params(
    {
        "samples": ["array-like"],
        "n_instances": [_POSITIVE_INT],
        "max_configurations": [_POSITIVE_INT],
        "n_configurations": [_POSITIVE_INT, None],
        "random_state": ["random_state"],
        "device": ["device", None],
    }
)
def batchbald_select(
    samples,
    n_instances,
    *,
    max_configurations=16384,
    n_configurations=None,
    random_state=None,
    device=None,
):
    """Greedy BatchBALD batch from MC samples (Kirsch et al. 2019).

    Builds the batch one row at a time; each step adds the row ``x`` that
    maximises the joint mutual information
    ``I(y_1..y_k, y_x; w) = H(y_1..y_k, y_x) - sum_i E_w H(y_i | w)`` between
    the labels of the batch and the model parameters, estimated from the ``T``
    samples (which must be *consistent*: sample ``t`` of every row from the
    same model ``w_t``). The joint entropy is

    * exact while the chosen rows have ``C^k <= max_configurations`` label
      configurations: ``p(y_1..y_k, y) = mean_t prod_i p_t(y_i) p_t(y)`` is
      enumerated over all of them;
    * estimated beyond, as in Kirsch et al.: for each MC sample ``t``,
      ``n_configurations`` label tuples ``y_1..y_k`` are drawn from ``p_t``
      (``M = T * n_configurations`` in all, drawn afresh at each step from
      ``random_state``) and the entropy is the importance-weighted average
      ``-(1/M) sum_m sum_y p(y_m, y) / p(y_m) log p(y_m, y)``.

    The first pick is the row of largest BALD score. Cost:
    ``O(b * n * T * C * min(C^b, M))`` time and ``O(T * (n * C + M))`` memory
    (the pool is processed in blocks); run it on a candidate subsample or a
    GPU (``device``) for large pools.

    Parameters
    ----------
    samples : array-like of shape (n_mc_samples, n_samples, n_classes)
        Consistent MC samples of the class probabilities, ``T >= 2``.
    n_instances : int
        Batch size ``b``. Formerly ``n``: the keyword ``n=`` still works but
        emits a :class:`FutureWarning`.
    max_configurations : int, default=16384
        Largest number of label configurations ``C^k`` enumerated exactly.
    n_configurations : int or None, default=None
        Label tuples drawn per MC sample once the exact enumeration is too
        large; ``None`` uses ``max(1, max_configurations // T)``, so
        ``M ~= max_configurations`` (Kirsch et al.'s ``M // K``).
    random_state : int, RandomState instance or None, default=None
        Seeds the sampled configurations and breaks ties.
    device : str, torch.device or None, default=None
        Where the joint entropies are computed (float64); ``None`` is the CPU.

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        int64 row indices in selection order.
    scores : ndarray of shape (n_instances,)
        ``scores[k]``: the (estimated) joint mutual information of the first
        ``k + 1`` picks, in nats.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.selection import batchbald_select
    >>> P = np.random.RandomState(0).dirichlet(np.ones(3), size=(8, 20))
    >>> idx, mi = batchbald_select(P, 4, random_state=0)
    >>> idx.shape, bool(np.all(np.diff(mi) >= 0))
    ((4,), True)
    """
    P = _scores.check_samples(samples)
    T, N, C = P.shape
    n = check_n_instances(n_instances, N, caller="batchbald_select")
    max_configurations = int(max_configurations)
    n_configurations = None if n_configurations is None else int(n_configurations)
    per_sample = (
        max(1, max_configurations // T)
        if n_configurations is None
        else n_configurations
    )
    rng = check_random_state(random_state)
    dev = torch.device("cpu" if device is None else device)
    probs = torch.as_tensor(np.clip(P, 0.0, None), dtype=torch.float64).to(dev)
    cond = torch.special.entr(probs).sum(-1).mean(0)  # (N,) E_t H(y | x, w_t)
    flat = probs.reshape(T, N * C)

    # J: (T, M) probability of each configuration of the chosen labels under
    # each sample, rescaled per configuration; H = -sum_m coef_m sum_y A log A
    # - const with A = J^T p(y | x) / T (see the module notes below).
    J = torch.ones((T, 1), dtype=torch.float64, device=dev)
    coef = torch.ones(1, dtype=torch.float64, device=dev)
    const = 0.0
    chosen, picked_scores = [], []
    available = torch.ones(N, dtype=torch.bool, device=dev)
    exact = True
    tiny = torch.finfo(torch.float64).tiny
    for step in range(n):
        M = J.shape[1]
        rows = min(N, max(1, _BATCHBALD_BLOCK // (M * C)))
        H = torch.empty(N, dtype=torch.float64, device=dev)
        Jt = J.T.contiguous() / T
        # two cache-sized scratch blocks reused over the pool: A and A log A
        # (log of A floored at the smallest normal float, so A = 0 gives 0 as
        # xlogy does, without xlogy's slower kernel and fresh allocations)
        A = torch.empty((M, rows * C), dtype=torch.float64, device=dev)
        ALogA = torch.empty_like(A)
        for s in range(0, N, rows):
            e = min(s + rows, N)
            if e - s < rows:
                A = A[:, : (e - s) * C].contiguous()
                ALogA = ALogA[:, : (e - s) * C].contiguous()
            torch.matmul(Jt, flat[:, s * C : e * C], out=A)  # (M, b*C)
            torch.clamp_min(A, tiny, out=ALogA).log_().mul_(A)
            nats = coef @ ALogA  # (b*C,)
            H[s:e] = -nats.reshape(e - s, C).sum(-1) - const
        gain = H - cond
        gain[~available] = -torch.inf
        pick = _pick(gain, rng)
        shared = float(cond[chosen].sum()) if chosen else 0.0
        chosen.append(pick)
        available[pick] = False
        picked_scores.append(float(gain[pick]) - shared)
        if step + 1 == n:
            break
        k = len(chosen)
        if exact and C**k <= max_configurations:
            # enumerate: extend every configuration by the new row's C labels
            J = (J[:, :, None] * probs[:, pick, None, :]).reshape(T, -1)
            coef = torch.ones(J.shape[1], dtype=torch.float64, device=dev)
            continue
        exact = False
        J, coef, const = _sampled_configurations(probs, chosen, per_sample, rng)
    return np.asarray(chosen, dtype=np.int64), np.asarray(picked_scores)


def _sampled_configurations(probs, chosen, per_sample, rng):
    """Draw ``per_sample`` label tuples of the chosen rows per MC sample.

    Returns ``(J, coef, const)`` for the importance-weighted joint entropy
    ``H = (1/M) sum_m [-(1/q_m) sum_y A_my log A_my]`` with ``q_m`` the
    probability of configuration ``m`` (the proposal it was drawn from: pick
    ``t`` uniformly, then ``y_i ~ p_t(y_i)``). Each configuration ``m`` is
    rescaled by ``exp(-c_m)`` with ``c_m = max_t log J_tm`` so long products
    never underflow; the entropy is invariant to it up to ``-(1/M) sum_m c_m``.
    """
    T, _, C = probs.shape
    dev = probs.device
    Pc = probs[:, chosen, :].cpu().numpy()  # (T, k, C)
    cdf = np.cumsum(Pc, axis=-1)
    cdf /= cdf[..., -1:]
    M = T * per_sample
    log_pc = torch.log(probs[:, chosen, :])  # (T, k, C), -inf where p = 0
    logJ = torch.zeros((T, M), dtype=torch.float64, device=dev)
    for i in range(len(chosen)):
        u = rng.random_sample((T, per_sample))
        labels = (u[:, :, None] > cdf[:, None, i, :]).sum(-1)  # (T, per_sample)
        labels = np.minimum(labels, C - 1).reshape(-1)  # configuration m = (t, s)
        logJ += log_pc[:, i, torch.as_tensor(labels, device=dev)]
    c = logJ.max(dim=0).values  # finite: each tuple is likely under its own t
    J = torch.exp(logJ - c)
    q = J.mean(dim=0)  # >= 1/T after rescaling
    coef = 1.0 / (M * q)
    const = float(c.sum()) / M
    return J, coef, const
