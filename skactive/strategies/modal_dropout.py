"""modAL's MC-dropout query functions, on skactive's Bayesian strategies.

``modAL.dropout`` (modAL-python 0.4.2) offers ``mc_dropout_bald``,
``mc_dropout_mean_st``, ``mc_dropout_max_entropy`` and
``mc_dropout_max_variationRatios``, called by a ``DeepActiveLearner`` as
``learner.query(X_pool, n_instances=100, dropout_layer_indexes=[7, 11],
num_cycles=10)``. The functions here take the same arguments and compute the
same scores with :class:`~skactive.strategies.MCDropoutSampling` -- through
skactive's inference path, so they work with skactive nets and with plain
skorch nets, with numpy arrays as well as tensors -- and return what modAL's
do: ``(indices, scores)``. Every modAL argument is either mapped or refused:

* ``num_cycles`` -> ``n_samples`` (the ``T`` stochastic forward passes);
* ``dropout_layer_indexes`` -> ``dropout_layers`` (positions in
  ``list(module.modules())``; empty: every dropout layer);
* ``sample_per_forward_pass`` -> ``batch_size`` (rows per block of samples);
* ``random_tie_break``: ``False`` breaks ties between equal scores by
  position (the first row wins), ``True`` at random from ``random_state``;
* ``logits_adaptor``: only modAL's default (the identity) -- to change the
  logits, override the net's ``infer``, which every inference method of a
  skactive net goes through; anything else is refused.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    validate_params,
)
from ..selection import top_k
from .bayesian import MCDropoutSampling

__all__ = [
    "mc_dropout_bald",
    "mc_dropout_mean_st",
    "mc_dropout_max_entropy",
    "mc_dropout_max_variationRatios",
]

_CONSTRAINTS = {
    "classifier": [HasMethods(["predict_proba"])],
    "X": ["array-like"],
    "n_instances": [Interval(numbers.Integral, 1, None, closed="left")],
    "random_tie_break": ["boolean"],
    "dropout_layer_indexes": [list, tuple, None],
    "num_cycles": [Interval(numbers.Integral, 2, None, closed="left")],
    "sample_per_forward_pass": [Interval(numbers.Integral, 1, None, closed="left")],
    "logits_adaptor": [callable, None],
    "random_state": ["random_state"],
}


def _is_identity_adaptor(adaptor):
    return adaptor is None or getattr(adaptor, "__name__", "") == (
        "default_logits_adaptor"
    )


def _query(
    measure,
    caller,
    classifier,
    X,
    n_instances,
    random_tie_break,
    dropout_layer_indexes,
    num_cycles,
    sample_per_forward_pass,
    logits_adaptor,
    random_state,
):
    if not _is_identity_adaptor(logits_adaptor):
        raise InvalidParameterError(
            f"{caller}: logits_adaptor is not supported; override the net's "
            "infer(x) to adapt its output (every inference method of a skactive "
            "net goes through it)."
        )
    strategy = MCDropoutSampling(
        measure,
        n_samples=num_cycles,
        batch_size=sample_per_forward_pass,
        dropout_layers=list(dropout_layer_indexes) if dropout_layer_indexes else None,
        random_state=random_state,
    )
    scores = strategy.score_pool(classifier, X)
    if random_tie_break:
        idx = top_k(scores, n_instances, random_state=random_state)
    else:
        idx = np.argsort(-scores, kind="stable")[: int(n_instances)]
    idx = idx.astype(np.int64)
    return idx, scores[idx]


@validate_params(_CONSTRAINTS)
def mc_dropout_bald(
    classifier,
    X,
    n_instances=1,
    random_tie_break=False,
    dropout_layer_indexes=None,
    num_cycles=50,
    sample_per_forward_pass=1000,
    logits_adaptor=None,
    random_state=None,
):
    """modAL's ``mc_dropout_bald``: the rows of largest BALD score.

    The mutual information between the label and the weights, from
    ``num_cycles`` MC-dropout passes (``MCDropoutSampling("bald")``, Houlsby
    et al. 2011; Gal et al. 2017).

    Parameters
    ----------
    classifier : modAL / skactive learner, skactive net or skorch net
        A fitted net whose module has dropout layers.
    X : array-like or torch.Tensor of shape (n_pool, ...)
        The pool.
    n_instances : int, default=1
        Rows to pick.
    random_tie_break : bool, default=False
        ``False``: equal scores are ordered by position; ``True``: at random
        (from ``random_state``).
    dropout_layer_indexes : list of int or None, default=None
        Positions in ``list(module.modules())`` of the dropout layers to
        activate; ``None`` or empty: all of them.
    num_cycles : int, default=50
        Stochastic forward passes ``T``.
    sample_per_forward_pass : int, default=1000
        Rows per block of samples (memory).
    logits_adaptor : callable or None, default=None
        Only modAL's default (the identity) is accepted.
    random_state : int, RandomState instance or None, default=None
        Seeds the dropout masks (and ties with ``random_tie_break``).

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Rows of ``X``, best first.
    scores : ndarray of shape (n_instances,)
        Their scores.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies import mc_dropout_bald
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> idx, scores = mc_dropout_bald(net, X[100:300], n_instances=3, num_cycles=5)
    >>> idx.shape, bool(scores[0] >= scores[-1])
    ((3,), True)
    """
    return _query(
        "bald",
        "mc_dropout_bald",
        classifier,
        X,
        n_instances,
        random_tie_break,
        dropout_layer_indexes,
        num_cycles,
        sample_per_forward_pass,
        logits_adaptor,
        random_state,
    )


@validate_params(_CONSTRAINTS)
def mc_dropout_mean_st(
    classifier,
    X,
    n_instances=1,
    random_tie_break=False,
    dropout_layer_indexes=None,
    num_cycles=50,
    sample_per_forward_pass=1000,
    logits_adaptor=None,
    random_state=None,
):
    """modAL's ``mc_dropout_mean_st``: the rows of largest mean standard deviation.

    The mean over classes of the standard deviation of the probabilities over
    ``num_cycles`` MC-dropout passes (``MCDropoutSampling("mean_std")``).

    Parameters
    ----------
    classifier : modAL / skactive learner, skactive net or skorch net
        A fitted net whose module has dropout layers.
    X : array-like or torch.Tensor of shape (n_pool, ...)
        The pool.
    n_instances : int, default=1
        Rows to pick.
    random_tie_break : bool, default=False
        ``False``: equal scores are ordered by position; ``True``: at random
        (from ``random_state``).
    dropout_layer_indexes : list of int or None, default=None
        Positions in ``list(module.modules())`` of the dropout layers to
        activate; ``None`` or empty: all of them.
    num_cycles : int, default=50
        Stochastic forward passes ``T``.
    sample_per_forward_pass : int, default=1000
        Rows per block of samples (memory).
    logits_adaptor : callable or None, default=None
        Only modAL's default (the identity) is accepted.
    random_state : int, RandomState instance or None, default=None
        Seeds the dropout masks (and ties with ``random_tie_break``).

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Rows of ``X``, best first.
    scores : ndarray of shape (n_instances,)
        Their scores.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies import mc_dropout_mean_st
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> mc_dropout_mean_st(net, X[100:300], n_instances=3, num_cycles=5)[0].shape
    (3,)
    """
    return _query(
        "mean_std",
        "mc_dropout_mean_st",
        classifier,
        X,
        n_instances,
        random_tie_break,
        dropout_layer_indexes,
        num_cycles,
        sample_per_forward_pass,
        logits_adaptor,
        random_state,
    )


@validate_params(_CONSTRAINTS)
def mc_dropout_max_entropy(
    classifier,
    X,
    n_instances=1,
    random_tie_break=False,
    dropout_layer_indexes=None,
    num_cycles=50,
    sample_per_forward_pass=1000,
    logits_adaptor=None,
    random_state=None,
):
    """modAL's ``mc_dropout_max_entropy``: the rows of largest predictive entropy.

    The entropy of the prediction averaged over ``num_cycles`` MC-dropout
    passes (``MCDropoutSampling("max_entropy")``).

    Parameters
    ----------
    classifier : modAL / skactive learner, skactive net or skorch net
        A fitted net whose module has dropout layers.
    X : array-like or torch.Tensor of shape (n_pool, ...)
        The pool.
    n_instances : int, default=1
        Rows to pick.
    random_tie_break : bool, default=False
        ``False``: equal scores are ordered by position; ``True``: at random
        (from ``random_state``).
    dropout_layer_indexes : list of int or None, default=None
        Positions in ``list(module.modules())`` of the dropout layers to
        activate; ``None`` or empty: all of them.
    num_cycles : int, default=50
        Stochastic forward passes ``T``.
    sample_per_forward_pass : int, default=1000
        Rows per block of samples (memory).
    logits_adaptor : callable or None, default=None
        Only modAL's default (the identity) is accepted.
    random_state : int, RandomState instance or None, default=None
        Seeds the dropout masks (and ties with ``random_tie_break``).

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Rows of ``X``, best first.
    scores : ndarray of shape (n_instances,)
        Their scores.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies import mc_dropout_max_entropy
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> mc_dropout_max_entropy(net, X[100:300], n_instances=3, num_cycles=5)[0].shape
    (3,)
    """
    return _query(
        "max_entropy",
        "mc_dropout_max_entropy",
        classifier,
        X,
        n_instances,
        random_tie_break,
        dropout_layer_indexes,
        num_cycles,
        sample_per_forward_pass,
        logits_adaptor,
        random_state,
    )


@validate_params(_CONSTRAINTS)
def mc_dropout_max_variationRatios(  # noqa: N802 - modAL's name
    classifier,
    X,
    n_instances=1,
    random_tie_break=False,
    dropout_layer_indexes=None,
    num_cycles=50,
    sample_per_forward_pass=1000,
    logits_adaptor=None,
    random_state=None,
):
    """modAL's ``mc_dropout_max_variationRatios``: the rows of largest variation ratio.

    ``1 - f_m / T``, ``f_m`` the votes of the modal class over ``num_cycles``
    MC-dropout passes (``MCDropoutSampling("variation_ratio")``).

    Parameters
    ----------
    classifier : modAL / skactive learner, skactive net or skorch net
        A fitted net whose module has dropout layers.
    X : array-like or torch.Tensor of shape (n_pool, ...)
        The pool.
    n_instances : int, default=1
        Rows to pick.
    random_tie_break : bool, default=False
        ``False``: equal scores are ordered by position; ``True``: at random
        (from ``random_state``).
    dropout_layer_indexes : list of int or None, default=None
        Positions in ``list(module.modules())`` of the dropout layers to
        activate; ``None`` or empty: all of them.
    num_cycles : int, default=50
        Stochastic forward passes ``T``.
    sample_per_forward_pass : int, default=1000
        Rows per block of samples (memory).
    logits_adaptor : callable or None, default=None
        Only modAL's default (the identity) is accepted.
    random_state : int, RandomState instance or None, default=None
        Seeds the dropout masks (and ties with ``random_tie_break``).

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Rows of ``X``, best first.
    scores : ndarray of shape (n_instances,)
        Their scores.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies import mc_dropout_max_variationRatios
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> mc_dropout_max_variationRatios(net, X[100:300], 3, num_cycles=5)[0].shape
    (3,)
    """
    return _query(
        "variation_ratio",
        "mc_dropout_max_variationRatios",
        classifier,
        X,
        n_instances,
        random_tie_break,
        dropout_layer_indexes,
        num_cycles,
        sample_per_forward_pass,
        logits_adaptor,
        random_state,
    )
