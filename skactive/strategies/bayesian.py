"""Bayesian strategies over Monte-Carlo dropout samples: BALD and its family.

:class:`MCDropoutSampling` scores every pool row with a function of ``T``
stochastic forward passes (Gal, Islam & Ghahramani 2017) and takes the best
rows, as :class:`~skactive.strategies.UncertaintySampling` does with one
deterministic pass; :class:`BALD`, :class:`VariationRatios`, :class:`MeanSTD`
and :class:`MaxEntropy` are its measures under their usual names.
:class:`BatchBALD` (Kirsch, van Amersfoort & Gal 2019) builds the batch
greedily so that it is jointly informative.

The samples come through :mod:`skactive._inference` (the model's
``predict_proba_samples``, or consistent masks for BatchBALD); the strategies
never touch a model's modules.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.utils import check_random_state

from .. import scores as _scores
from .._inference import (
    consistent_mc_dropout,
    is_skorch_net,
    iter_mc_samples,
    mc_samples,
    supports_consistent_dropout,
)
from .._validation import (
    BATCH_SIZE,
    Interval,
    StrOptions,
    check_has_method,
    check_n_instances,
)
from ..selection import top_k
from ._base import QueryStrategy, ScoreStrategy

__all__ = [
    "MCDropoutSampling",
    "BALD",
    "VariationRatios",
    "MeanSTD",
    "MaxEntropy",
    "BatchBALD",
    "batchbald_select",
    "consistent_mc_dropout",
]

#: Elements of the ``(configurations, rows, classes)`` block that BatchBALD
#: evaluates at once: about 1 MB of float64, so the block and its ``A log A``
#: stay in cache (larger blocks make the logarithm memory-bound).
_BATCHBALD_BLOCK = 1 << 17

#: ``measure`` name -> score function of the samples ``(T, n, C)``.
_MEASURES = {
    "bald": _scores.bald,
    "variation_ratio": _scores.variation_ratio,
    "mean_std": _scores.mean_std,
    "max_entropy": _scores.max_entropy,
}

_N_SAMPLES = [Interval(numbers.Integral, 2, None, closed="left")]


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


# ------------------------------------------------------------ score family
class MCDropoutSampling(ScoreStrategy):
    """Pick the rows whose MC-dropout predictions are most uncertain.

    ``T`` stochastic forward passes of every row, with dropout active and
    batch-norm in eval mode
    (:meth:`skactive.nets.DeepClassifier.predict_proba_samples`), are scored
    by ``measure``; the highest scores are picked.

    Parameters
    ----------
    measure : {"bald", "variation_ratio", "mean_std", "max_entropy"}, \
default="bald"
        ``"bald"``: the mutual information between the label and the model
        parameters, ``H[mean_t p_t] - mean_t H[p_t]`` (:func:`skactive.scores.bald`);
        ``"variation_ratio"``: ``1 - f_m / T``, ``f_m`` the votes of the modal
        class (:func:`skactive.scores.variation_ratio`); ``"mean_std"``: the
        mean over classes of the standard deviation over samples
        (:func:`skactive.scores.mean_std`); ``"max_entropy"``: the entropy of
        the averaged prediction (:func:`skactive.scores.max_entropy`).
    n_samples : int, default=20
        Number ``T >= 2`` of MC-dropout forward passes, drawn through the
        estimator's ``predict_proba_samples(X, n_samples, random_state=...)``.
        An estimator without that method raises an error.
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

    See Also
    --------
    BALD, VariationRatios, MeanSTD, MaxEntropy : The measures by name.
    UncertaintySampling : The same scores from one deterministic pass.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies import MCDropoutSampling
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> strategy = MCDropoutSampling("variation_ratio", n_samples=5, random_state=0)
    >>> strategy(net, X[100:300], n_instances=3).shape
    (3,)
    """

    needs = "net"

    _parameter_constraints = {
        "measure": [StrOptions(set(_MEASURES))],
        "n_samples": _N_SAMPLES,
        "batch_size": BATCH_SIZE,
    }

    def __init__(
        self,
        measure="bald",
        n_samples=20,
        *,
        batch_size=None,
        R=None,
        random_state=None,
    ):
        super().__init__(R=R, random_state=random_state)
        self.measure = measure
        self.n_samples = n_samples
        self.batch_size = batch_size

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        scores = np.asarray(self._score(estimator, X, random_state=rng))
        indices = top_k(scores, n_instances, random_state=rng)
        return indices, scores[indices]

    def _score(self, estimator, X, random_state=None):
        if random_state is None:
            random_state = check_random_state(self.random_state)
        score = _MEASURES[self.measure]
        blocks = iter_mc_samples(
            estimator,
            X,
            self.n_samples,
            random_state=random_state,
            chunk_rows=self.batch_size,
            purpose=type(self).__name__,
        )
        return np.concatenate([score(P) for P in blocks])


class _NamedMeasure(MCDropoutSampling):
    """An :class:`MCDropoutSampling` whose ``measure`` is fixed by the class."""

    _parameter_constraints = {"measure": "no_validation"}

    def __init__(self, n_samples=20, *, batch_size=None, R=None, random_state=None):
        ScoreStrategy.__init__(self, R=R, random_state=random_state)
        self.n_samples = n_samples
        self.batch_size = batch_size


class BALD(_NamedMeasure):
    """Bayesian Active Learning by Disagreement (Houlsby et al. 2011).

    Picks the rows with the largest mutual information between their label and
    the model parameters, ``H[mean_t p_t] - mean_t H[p_t]``, estimated from
    ``T`` MC-dropout samples as in Gal et al. (2017); see
    :func:`skactive.scores.bald`. ``MCDropoutSampling("bald")``.

    Parameters
    ----------
    n_samples : int, default=20
        Number ``T >= 2`` of MC-dropout forward passes, drawn through the
        estimator's ``predict_proba_samples(X, n_samples, random_state=...)``
        (:meth:`skactive.nets.DeepClassifier.predict_proba_samples`).
    batch_size : int or None, default=None
        Pool rows per ``predict_proba_samples`` call (4096 when ``None``): the
        ``(T, rows, C)`` block held in memory at once; each block gets its own
        seed drawn from ``random_state``.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Seeds the dropout masks, the candidate subsample and tie-breaking.
        Pass an int for reproducible output across multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies import BALD
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> BALD(n_samples=5, random_state=0)(net, X[100:300], n_instances=3).shape
    (3,)
    """

    measure = "bald"


class VariationRatios(_NamedMeasure):
    """Variation ratios over MC-dropout samples (Freeman 1965; Gal et al. 2017).

    Picks the rows where the fewest of the ``T`` samples vote for the modal
    class: ``1 - f_m / T``; see :func:`skactive.scores.variation_ratio`.
    ``MCDropoutSampling("variation_ratio")``.

    Parameters
    ----------
    n_samples : int, default=20
        Number ``T >= 2`` of MC-dropout forward passes (the votes).
    batch_size : int or None, default=None
        Pool rows per ``predict_proba_samples`` call (4096 when ``None``);
        each block gets its own seed drawn from ``random_state``.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Seeds the dropout masks, the candidate subsample and tie-breaking
        (frequent: the ratio takes at most ``T`` values). Pass an int for
        reproducible output across multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies import VariationRatios
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> VariationRatios(n_samples=5, random_state=0)(net, X[100:300], 3).shape
    (3,)
    """

    measure = "variation_ratio"


class MeanSTD(_NamedMeasure):
    """Mean standard deviation of the MC-dropout probabilities (Kampffmeyer 2016).

    Picks the rows with the largest ``mean_c std_t p_{t,c}`` (population
    standard deviation, as in Gal et al. 2017); see
    :func:`skactive.scores.mean_std`. ``MCDropoutSampling("mean_std")``.

    Parameters
    ----------
    n_samples : int, default=20
        Number ``T >= 2`` of MC-dropout forward passes.
    batch_size : int or None, default=None
        Pool rows per ``predict_proba_samples`` call (4096 when ``None``);
        each block gets its own seed drawn from ``random_state``.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Seeds the dropout masks, the candidate subsample and tie-breaking.
        Pass an int for reproducible output across multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies import MeanSTD
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> MeanSTD(n_samples=5, random_state=0)(net, X[100:300], n_instances=3).shape
    (3,)
    """

    measure = "mean_std"


class MaxEntropy(_NamedMeasure):
    """Maximum predictive entropy over MC-dropout samples (Gal et al. 2017).

    Picks the rows with the largest entropy of the MC-averaged prediction
    ``H[mean_t p_t]``; see :func:`skactive.scores.max_entropy`.
    ``MCDropoutSampling("max_entropy")``.

    Parameters
    ----------
    n_samples : int, default=20
        Number ``T >= 2`` of MC-dropout forward passes.
    batch_size : int or None, default=None
        Pool rows per ``predict_proba_samples`` call (4096 when ``None``);
        each block gets its own seed drawn from ``random_state``.
    R : int or None, default=None
        Candidate subsample size (see :class:`QueryStrategy`).
    random_state : int, RandomState instance or None, default=None
        Seeds the dropout masks, the candidate subsample and tie-breaking.
        Pass an int for reproducible output across multiple function calls.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies import MaxEntropy
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> MaxEntropy(n_samples=5, random_state=0)(net, X[100:300], n_instances=3).shape
    (3,)
    """

    measure = "max_entropy"


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
        For skactive and skorch nets, draw one dropout mask per sample shared
        by every pool row (:func:`consistent_mc_dropout`), as BatchBALD
        requires. ``False``, or an estimator that cannot (no dropout net),
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

    needs = "net"

    _parameter_constraints = {
        "n_samples": _N_SAMPLES,
        "max_configurations": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_configurations": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "consistent_dropout": ["boolean"],
        "batch_size": BATCH_SIZE,
        "device": ["device", None],
    }

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
        rng = check_random_state(
            self.random_state if random_state is None else random_state
        )
        return mc_samples(
            estimator,
            X,
            self.n_samples,
            consistent=bool(self.consistent_dropout),
            random_state=rng,
            chunk_rows=self.batch_size,
            purpose="BatchBALD",
        )

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        self._reject_kwargs(kwargs, type(self).__name__)
        consistent = bool(self.consistent_dropout) and supports_consistent_dropout(
            estimator
        )
        if not consistent:
            check_has_method(estimator, "predict_proba_samples", purpose="BatchBALD")
        P = self.mc_samples(estimator, X, random_state=rng)
        device = self.device
        if device is None and is_skorch_net(estimator):
            device = estimator.device
        return batchbald_select(
            P,
            n_instances,
            max_configurations=self.max_configurations,
            n_configurations=self.n_configurations,
            random_state=rng,
            device=device,
        )
