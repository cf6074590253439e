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
)
from ..selection import batchbald_select, top_k
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

#: ``measure`` name -> score function of the samples ``(T, n, C)``.
_MEASURES = {
    "bald": _scores.bald,
    "variation_ratio": _scores.variation_ratio,
    "mean_std": _scores.mean_std,
    "max_entropy": _scores.max_entropy,
}

_N_SAMPLES = [Interval(numbers.Integral, 2, None, closed="left")]


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
    dropout_layers : list of int or None, default=None
        The dropout layers to activate, as positions in
        ``list(module.modules())`` of the net's module (modAL's
        ``dropout_layer_indexes``); ``None``: every dropout layer with
        ``p > 0``.
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
        "dropout_layers": [list, tuple, None],
    }

    def __init__(
        self,
        measure="bald",
        n_samples=20,
        *,
        batch_size=None,
        dropout_layers=None,
        R=None,
        random_state=None,
    ):
        super().__init__(R=R, random_state=random_state)
        self.measure = measure
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.dropout_layers = dropout_layers

    def _select(self, estimator, X, n_instances, rng, *, learner=None, **kwargs):
        from ._distributed import cluster_for, distributed_top_k

        client = cluster_for(X, kwargs.pop("client", None))
        self._reject_kwargs(kwargs, type(self).__name__)
        if client is not None:  # MC masks of the absolute rows: same picks
            return distributed_top_k(
                self, estimator, X, n_instances, rng, client, seeded=True
            )
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
            dropout_layers=self.dropout_layers,
            purpose=type(self).__name__,
        )
        return np.concatenate([score(P) for P in blocks])


class _NamedMeasure(MCDropoutSampling):
    """An :class:`MCDropoutSampling` whose ``measure`` is fixed by the class."""

    _parameter_constraints = {"measure": "no_validation"}

    def __init__(
        self,
        n_samples=20,
        *,
        batch_size=None,
        dropout_layers=None,
        R=None,
        random_state=None,
    ):
        ScoreStrategy.__init__(self, R=R, random_state=random_state)
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.dropout_layers = dropout_layers


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
    dropout_layers : list of int or None, default=None
        The dropout layers to activate (positions in
        ``list(module.modules())`` of the net's module); ``None``: all of them.
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
    dropout_layers : list of int or None, default=None
        The dropout layers to activate (positions in
        ``list(module.modules())`` of the net's module); ``None``: all of them.
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
    dropout_layers : list of int or None, default=None
        The dropout layers to activate (positions in
        ``list(module.modules())`` of the net's module); ``None``: all of them.
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
    dropout_layers : list of int or None, default=None
        The dropout layers to activate (positions in
        ``list(module.modules())`` of the net's module); ``None``: all of them.
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
