"""Strategies by name, for the command line and configuration files."""

from __future__ import annotations

import difflib

from .._validation import InvalidParameterError

__all__ = ["available_strategies", "make_strategy", "strategy_needs"]


def _factories():
    from . import bayesian as b
    from . import cal, committee, consistency, epmcm, gradient, weibull
    from . import diversity as d
    from . import uncertainty as u

    return {
        "random": (u.RandomSampling, "uniform random sampling (the baseline)"),
        "least_confidence": (
            lambda **kw: u.UncertaintySampling("least_confidence", **kw),
            "lowest maximum class probability, 1 - max_c p(c|x)",
        ),
        "margin": (
            lambda **kw: u.UncertaintySampling("margin", **kw),
            "smallest gap between the two most probable classes",
        ),
        "entropy": (
            lambda **kw: u.UncertaintySampling("entropy", **kw),
            "highest predictive entropy",
        ),
        "coreset": (d.CoreSet, "k-center greedy on embeddings (Sener & Savarese)"),
        "diversity": (
            d.DiversitySampling,
            "temperature diversity sampling, T=0.5 (Buchert et al. 2023)",
        ),
        "badge": (d.BADGE, "k-means++ on gradient embeddings (Ash et al. 2020)"),
        "diverse_minibatch": (
            d.DiverseMiniBatch,
            "weighted k-means over the most uncertain rows (Zhdanov 2019)",
        ),
        "typiclust": (
            d.TypiClust,
            "most typical rows of uncovered clusters (Hacohen et al. 2022)",
        ),
        "probcover": (
            d.ProbCover,
            "greedy coverage of delta-balls (Yehuda et al. 2022)",
        ),
        "bald": (b.BALD, "MC-dropout mutual information (Houlsby 2011; Gal 2017)"),
        "batchbald": (
            b.BatchBALD,
            "joint mutual information of the batch (Kirsch 2019)",
        ),
        "variation_ratios": (b.VariationRatios, "MC-dropout variation ratio"),
        "mean_std": (b.MeanSTD, "MC-dropout mean standard deviation"),
        "max_entropy": (b.MaxEntropy, "entropy of the MC-dropout mean prediction"),
        "qbc": (
            committee.QueryByCommittee,
            "query-by-committee vote entropy (needs an ensemble estimator)",
        ),
        "egl": (
            gradient.ExpectedGradientLength,
            "expected gradient length of the final layer (Settles et al. 2008)",
        ),
        "cal": (cal.CAL, "contrastive active learning (Margatina et al. 2021)"),
        "consistency": (
            consistency.Consistency,
            "least consistent under augmentation (Gao et al. 2020; needs a net)",
        ),
        "consistency_embedding": (
            consistency.ConsistencyEmbedding,
            "k-center greedy on consistency-scaled embeddings (Buchert et al. 2023)",
        ),
        "epmcm": (
            epmcm.EPMCM,
            "expected probability of misclassification under ISDA (DAST-AL)",
        ),
        "weibull": (
            weibull.WeibullOutlier,
            "Weibull outlier probability in latent space (DALBT)",
        ),
    }


def available_strategies():
    """``{name: one-line description}`` of every strategy known by name.

    Examples
    --------
    >>> from skactive.strategies import available_strategies
    >>> "entropy" in available_strategies()
    True
    """
    return {name: text for name, (_, text) in _factories().items()}


def strategy_needs(name):
    """What the strategy ``name`` needs of the estimator.

    Parameters
    ----------
    name : str
        A name listed by :func:`available_strategies`.

    Returns
    -------
    str
        ``"net"`` (a skactive net: MC-dropout samples or predictions under
        augmentation), ``"ensemble"`` (a committee or fitted ensemble), or
        ``"any"`` (any classifier with ``predict_proba``).

    Examples
    --------
    >>> from skactive.strategies import strategy_needs
    >>> strategy_needs("bald"), strategy_needs("margin")
    ('net', 'any')
    """
    return make_strategy(name).needs


def make_strategy(name, **params):
    """Build the strategy registered as ``name`` with ``params``.

    Parameters
    ----------
    name : str
        A name listed by :func:`available_strategies`.
    **params : dict
        Keyword arguments of the strategy's class (``random_state``, ``R``
        ...); for ``"least_confidence"``, ``"margin"`` and ``"entropy"``,
        of :class:`~skactive.strategies.UncertaintySampling`, whose
        ``measure`` the name sets.

    Returns
    -------
    QueryStrategy
        A new strategy instance.

    Raises
    ------
    InvalidParameterError
        For an unknown name, suggesting the closest known names (a
        :class:`ValueError`).

    Examples
    --------
    >>> from skactive.strategies import make_strategy
    >>> make_strategy("margin", random_state=0)
    UncertaintySampling(measure='margin', random_state=0)
    """
    factories = _factories()
    if name not in factories:
        close = difflib.get_close_matches(name, factories, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise InvalidParameterError(
            f"unknown strategy {name!r}.{hint} Known strategies: "
            f"{', '.join(sorted(factories))}."
        )
    return factories[name][0](**params)
