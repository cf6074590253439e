"""Bayesian strategies over Monte-Carlo dropout samples: BALD and its family.

:class:`BALD`, :class:`VariationRatios`, :class:`MeanSTD` and
:class:`MaxEntropy` score every pool row from ``T`` stochastic forward passes
(Gal, Islam & Ghahramani 2017) and take the best rows; :class:`BatchBALD`
(Kirsch, van Amersfoort & Gal 2019) builds the batch greedily so that it is
jointly informative.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np
import torch
from sklearn.utils import check_random_state

from .. import scores as _scores
from .._random import seed_from_random_state
from .._rows import n_rows, slice_rows
from .._validation import check_has_method, check_n_instances
from ..selection import top_k
from ._base import QueryStrategy, ScoreStrategy

__all__ = [
    "BALD",
    "VariationRatios",
    "MeanSTD",
    "MaxEntropy",
    "BatchBALD",
    "batchbald_select",
    "consistent_mc_dropout",
]

#: Rows per ``predict_proba_samples`` call: bounds the ``(T, rows, C)`` block
#: held in memory at once.
DEFAULT_MC_CHUNK_ROWS = 4096

#: Elements of the ``(configurations, rows, classes)`` block that BatchBALD
#: evaluates at once: about 1 MB of float64, so the block and its ``A log A``
#: stay in cache (larger blocks make the logarithm memory-bound).
_BATCHBALD_BLOCK = 1 << 17

_SEED_MOD = 1 << 63


# ---------------------------------------------------------------- validation
def _check_int(value, name, *, min_value=1, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer >= {min_value}"
            f"{' or None' if allow_none else ''}, got {value!r}."
        )
    if value < min_value:
        raise ValueError(f"{name} must be at least {min_value}, got {value}.")
    return int(value)


def _check_n_samples(n_samples):
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise TypeError(f"n_samples must be an integer >= 2, got {n_samples!r}.")
    if n_samples < 2:
        raise ValueError(
            f"n_samples must be at least 2 Monte-Carlo samples, got {n_samples}: "
            "disagreement between samples needs two of them."
        )
    return int(n_samples)


def _accepts_random_state(method):
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return "random_state" in params or any(
        p.kind == p.VAR_KEYWORD for p in params.values()
    )


# ------------------------------------------------------------- MC sampling
def _iter_mc_samples(
    estimator,
    X,
    n_samples,
    *,
    random_state=None,
    chunk_rows=None,
    purpose="this strategy",
):
    """Yield ``predict_proba_samples`` blocks ``(T, rows, C)`` over chunks of ``X``.

    Each chunk gets its own seed, derived from ``random_state``, so dropout
    masks do not repeat from one chunk to the next.
    """
    check_has_method(estimator, "predict_proba_samples", purpose=purpose)
    method = estimator.predict_proba_samples
    seeded = _accepts_random_state(method)
    base = seed_from_random_state(check_random_state(random_state))
    n = n_rows(X)
    step = DEFAULT_MC_CHUNK_ROWS if chunk_rows is None else int(chunk_rows)
    for i, start in enumerate(range(0, n, step)):
        Xc = X if step >= n else slice_rows(X, start, min(start + step, n))
        if seeded:
            P = method(Xc, n_samples=n_samples, random_state=(base + i) % _SEED_MOD)
        else:
            P = method(Xc, n_samples=n_samples)
        P = np.asarray(P)
        if P.ndim != 3 or P.shape[0] != n_samples or P.shape[1] != n_rows(Xc):
            raise ValueError(
                f"{type(estimator).__name__}.predict_proba_samples returned shape "
                f"{P.shape}; expected ({n_samples}, {n_rows(Xc)}, n_classes)."
            )
        yield P


def _dropout_layers(module):
    layers = [
        m
        for m in module.modules()
        if isinstance(m, torch.nn.modules.dropout._DropoutNd) and m.p > 0
    ]
    for m in layers:
        if isinstance(m, torch.nn.AlphaDropout | torch.nn.FeatureAlphaDropout):
            raise TypeError(
                f"consistent MC dropout does not support {type(m).__name__}; set "
                "consistent_dropout=False to use the net's predict_proba_samples."
            )
    return layers


def _mask_shape(layer, out):
    if isinstance(layer, torch.nn.Dropout1d | torch.nn.Dropout2d | torch.nn.Dropout3d):
        return (1, out.shape[1]) + (1,) * (out.ndim - 2)
    return (1,) + tuple(out.shape[1:])


def consistent_mc_dropout(net, X, n_samples, *, random_state=None):
    """MC-dropout samples with one dropout mask per sample for all rows.

    Sample ``t`` of every row comes from the same thinned network ``w_t``
    (Kirsch et al. 2019's *consistent MC dropout*), so joint quantities over
    several rows, such as BatchBALD's joint entropy, can be estimated. Standard
    MC dropout draws an independent mask per row and per sample instead.

    Parameters
    ----------
    net : fitted skorch net
        Its ``module_`` holds :class:`torch.nn.Dropout` (or ``Dropout1d/2d/3d``,
        masked per channel) layers with ``p > 0``. Batches go through the net's
        ``infer`` (so a :class:`~skactive.nets.DeepClassifier` applies its
        ``input_transform``) and the net's prediction non-linearity.
    X : array-like or torch.Tensor of shape (n, ...)
    n_samples : int
        Number of masks ``T >= 2``.
    random_state : int, RandomState instance or None, default=None
        Seeds the masks (a private generator; torch's global state is untouched).

    Returns
    -------
    samples : ndarray of shape (n_samples, n, n_classes)
    """
    from skorch.dataset import unpack_data

    n_samples = _check_n_samples(n_samples)
    module = net.module_
    layers = _dropout_layers(module)
    if not layers:
        raise ValueError(
            f"{type(module).__name__} has no dropout layer with p > 0, so "
            "MC-dropout samples would all be identical; build the module with "
            "dropout (e.g. module__dropout=0.5)."
        )
    generator = torch.Generator(device="cpu")
    generator.manual_seed(seed_from_random_state(random_state))
    masks = {}
    state = {"t": 0}

    def make_hook(j, layer):
        def hook(_module, _inputs, output):
            key = (j, state["t"])
            mask = masks.get(key)
            if mask is None:
                keep = 1.0 - layer.p
                draw = torch.rand(_mask_shape(layer, output), generator=generator)
                mask = (draw < keep).to(output.dtype).div_(keep).to(output.device)
                masks[key] = mask
            return output * mask

        return hook

    if hasattr(net, "_nonlinearity"):
        nonlin = net._nonlinearity()
    else:
        nonlin = net._get_predict_nonlinearity()
    handles = [
        layer.register_forward_hook(make_hook(j, layer))
        for j, layer in enumerate(layers)
    ]
    out = []
    was_training = module.training
    device = torch.device(net.device) if net.device is not None else None
    cuda = device is not None and device.type == "cuda" and torch.cuda.is_available()
    try:
        module.eval()
        # skorch's DataLoader draws a base seed from torch's global generator:
        # fork it so the caller's random state is left as it was
        with (
            torch.no_grad(),
            torch.random.fork_rng(
                devices=list(range(torch.cuda.device_count())) if cuda else []
            ),
        ):
            dataset = net.get_dataset(X)
            for batch in net.get_iterator(dataset, training=False):
                Xi, _ = unpack_data(batch)
                block = []
                for t in range(n_samples):
                    state["t"] = t
                    y = net.infer(Xi)
                    y = y[0] if isinstance(y, tuple | list) else y
                    block.append(nonlin(y).float().cpu())
                out.append(torch.stack(block))
    finally:
        for h in handles:
            h.remove()
        module.train(was_training)
    return torch.cat(out, dim=1).numpy()


# ------------------------------------------------------------ score family
class _MCDropoutScore(ScoreStrategy):
    """Score every row with a function of its MC-dropout samples ``(T, n, C)``."""

    #: ``f(samples) -> scores``; set by subclasses.
    _score_function = None

    def __init__(self, n_samples=20, *, batch_size=None, R=None, random_state=None):
        super().__init__(R=R, random_state=random_state)
        self.n_samples = n_samples
        self.batch_size = batch_size

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        scores = np.asarray(self._score(estimator, X, random_state=rng))
        indices = top_k(scores, n_instances, random_state=rng)
        return indices, scores[indices]

    def _score(self, estimator, X, random_state=None):
        n_samples = _check_n_samples(self.n_samples)
        chunk = _check_int(self.batch_size, "batch_size", allow_none=True)
        if random_state is None:
            random_state = check_random_state(self.random_state)
        score_function = type(self)._score_function
        parts = [
            score_function(P)
            for P in _iter_mc_samples(
                estimator,
                X,
                n_samples,
                random_state=random_state,
                chunk_rows=chunk,
                purpose=type(self).__name__,
            )
        ]
        return np.concatenate(parts)


_PARAMS_DOC = """
    Parameters
    ----------
    n_samples : int, default=20
        Number ``T >= 2`` of MC-dropout forward passes, drawn through the
        estimator's ``predict_proba_samples(X, n_samples, random_state=...)``
        (:meth:`skactive.nets.DeepClassifier.predict_proba_samples`). An
        estimator without that method raises a :class:`TypeError`.
    batch_size : int or None, default=None
        Pool rows per ``predict_proba_samples`` call (4096 when ``None``): the
        ``(T, rows, C)`` block held in memory at once. Each block gets its own
        seed drawn from ``random_state``, so the dropout masks, and hence the
        scores, depend on it.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Seeds the dropout masks, the candidate subsample and tie-breaking.
        Pass an int for reproducible output across multiple function calls.
"""

_EXAMPLE = """
    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies.bayesian import {name}
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> {name}(n_samples=5, random_state=0)(net, X[100:300], n_instances=3).shape
    (3,)
"""


class BALD(_MCDropoutScore):
    __doc__ = (
        """Bayesian Active Learning by Disagreement (Houlsby et al. 2011).

    Picks the rows with the largest mutual information between their label and
    the model parameters, ``H[mean_t p_t] - mean_t H[p_t]``, estimated from
    ``T`` MC-dropout samples as in Gal et al. (2017); see
    :func:`skactive.scores.bald`.
"""
        + _PARAMS_DOC
        + _EXAMPLE.format(name="BALD")
    )

    _score_function = staticmethod(_scores.bald)


class VariationRatios(_MCDropoutScore):
    __doc__ = (
        """Variation ratios over MC-dropout samples (Freeman 1965; Gal et al. 2017).

    Picks the rows where the fewest of the ``T`` samples vote for the modal
    class: ``1 - f_m / T``; see :func:`skactive.scores.variation_ratio`.
"""
        + _PARAMS_DOC
        + _EXAMPLE.format(name="VariationRatios")
    )

    _score_function = staticmethod(_scores.variation_ratio)


class MeanSTD(_MCDropoutScore):
    __doc__ = (
        """Mean standard deviation of the MC-dropout probabilities (Kampffmeyer 2016).

    Picks the rows with the largest ``mean_c std_t p_{t,c}`` (population
    standard deviation, as in Gal et al. 2017); see
    :func:`skactive.scores.mean_std`.
"""
        + _PARAMS_DOC
        + _EXAMPLE.format(name="MeanSTD")
    )

    _score_function = staticmethod(_scores.mean_std)


class MaxEntropy(_MCDropoutScore):
    __doc__ = (
        """Maximum predictive entropy over MC-dropout samples (Gal et al. 2017).

    Picks the rows with the largest entropy of the MC-averaged prediction
    ``H[mean_t p_t]``; see :func:`skactive.scores.max_entropy`.
"""
        + _PARAMS_DOC
        + _EXAMPLE.format(name="MaxEntropy")
    )

    _score_function = staticmethod(_scores.max_entropy)


# ---------------------------------------------------------------- BatchBALD
def _pick(gain, rng):
    """Index of the largest finite gain, ties broken with ``rng``."""
    best = torch.max(gain)
    ties = torch.nonzero(gain == best).flatten().cpu().numpy()
    return int(ties[0] if ties.size == 1 else rng.choice(ties))


def batchbald_select(
    samples,
    n,
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
    n : int
        Batch size ``b``.
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
    indices : ndarray of shape (n,)
        int64 row indices in selection order.
    scores : ndarray of shape (n,)
        ``scores[k]``: the (estimated) joint mutual information of the first
        ``k + 1`` picks, in nats.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies.bayesian import batchbald_select
    >>> P = np.random.RandomState(0).dirichlet(np.ones(3), size=(8, 20))
    >>> idx, mi = batchbald_select(P, 4, random_state=0)
    >>> idx.shape, bool(np.all(np.diff(mi) >= 0))
    ((4,), True)
    """
    P = _scores.check_samples(samples)
    T, N, C = P.shape
    n = check_n_instances(n, N, name="n")
    max_configurations = _check_int(max_configurations, "max_configurations")
    n_configurations = _check_int(n_configurations, "n_configurations", allow_none=True)
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


class BatchBALD(QueryStrategy):
    """BatchBALD: greedy jointly-informative batches (Kirsch et al. 2019).

    Draws ``T`` consistent MC-dropout samples over the pool and builds the
    batch with :func:`batchbald_select`: each step adds the row maximising the
    joint mutual information ``I(y_1..y_b; w)`` of the batch, with exact joint
    entropies while ``C^k <= max_configurations`` and importance-sampled label
    configurations beyond. With ``n_instances=1`` it picks BALD's top row.

    Cost: ``O(b * n * T * C * min(C^b, M))`` for a batch of ``b`` rows from a
    pool of ``n`` (``M = T * n_configurations``), on top of the ``T`` forward
    passes; use ``R`` (Kirsch et al. score a random pool subset too) or
    ``device="cuda"`` for large pools and batches.

    Parameters
    ----------
    n_samples : int, default=20
        Number ``T >= 2`` of MC-dropout samples.
    max_configurations : int, default=16384
        Largest number of label configurations enumerated exactly (2^14).
    n_configurations : int or None, default=None
        Label tuples drawn per MC sample beyond that; ``None`` uses
        ``max(1, max_configurations // n_samples)``.
    consistent_dropout : bool, default=True
        For skorch nets (a fitted ``module_``), draw one dropout mask per
        sample shared by every pool row (:func:`consistent_mc_dropout`), as
        BatchBALD requires. ``False``, or an estimator without ``module_``,
        uses the estimator's ``predict_proba_samples``, which must then return
        consistent samples (a deep ensemble does; per-row MC dropout makes the
        joint entropy ignore the redundancy between rows).
    batch_size : int or None, default=None
        Pool rows per ``predict_proba_samples`` call (only when it is used).
    device : str, torch.device or None, default=None
        Where the joint entropies are computed; ``None`` uses the net's
        ``device`` (the CPU for other estimators).
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Seeds the dropout masks, the sampled configurations, the candidate
        subsample and tie-breaking. Pass an int for reproducible output across
        multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies.bayesian import BatchBALD
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> idx, mi = BatchBALD(n_samples=5, random_state=0).select(net, X[100:300], 3)
    >>> idx.shape, mi.shape
    ((3,), (3,))
    """

    def __init__(
        self,
        n_samples=20,
        *,
        max_configurations=16384,
        n_configurations=None,
        consistent_dropout=True,
        batch_size=None,
        device=None,
        R=None,
        random_state=None,
    ):
        super().__init__(R=R, random_state=random_state)
        self.n_samples = n_samples
        self.max_configurations = max_configurations
        self.n_configurations = n_configurations
        self.consistent_dropout = consistent_dropout
        self.batch_size = batch_size
        self.device = device

    def _uses_consistent_dropout(self, estimator):
        if not isinstance(self.consistent_dropout, bool | np.bool_):
            raise TypeError(
                f"consistent_dropout must be a bool, got {self.consistent_dropout!r}."
            )
        return (
            bool(self.consistent_dropout)
            and isinstance(getattr(estimator, "module_", None), torch.nn.Module)
            and callable(getattr(estimator, "get_iterator", None))
            and callable(getattr(estimator, "infer", None))
        )

    def mc_samples(self, estimator, X, random_state=None):
        """The ``(T, n, C)`` samples BatchBALD scores ``X`` with.

        Parameters
        ----------
        estimator : fitted skorch net or estimator with ``predict_proba_samples``
        X : array-like of shape (n, ...)
        random_state : int, RandomState instance or None, default=None
            Defaults to the strategy's ``random_state``.

        Returns
        -------
        samples : ndarray of shape (n_samples, n, n_classes)
        """
        n_samples = _check_n_samples(self.n_samples)
        rng = check_random_state(
            self.random_state if random_state is None else random_state
        )
        if self._uses_consistent_dropout(estimator):
            return consistent_mc_dropout(estimator, X, n_samples, random_state=rng)
        chunk = _check_int(self.batch_size, "batch_size", allow_none=True)
        return np.concatenate(
            list(
                _iter_mc_samples(
                    estimator,
                    X,
                    n_samples,
                    random_state=rng,
                    chunk_rows=chunk,
                    purpose="BatchBALD",
                )
            ),
            axis=1,
        )

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        _check_int(self.max_configurations, "max_configurations")
        _check_int(self.n_configurations, "n_configurations", allow_none=True)
        if not self._uses_consistent_dropout(estimator):
            check_has_method(estimator, "predict_proba_samples", purpose="BatchBALD")
        P = self.mc_samples(estimator, X, random_state=rng)
        device = self.device
        if device is None and isinstance(
            getattr(estimator, "module_", None), torch.nn.Module
        ):
            device = getattr(estimator, "device", None)
        return batchbald_select(
            P,
            n_instances,
            max_configurations=self.max_configurations,
            n_configurations=self.n_configurations,
            random_state=rng,
            device=device,
        )
