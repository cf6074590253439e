"""Strategies by name, for the command line and configuration files.

The names, descriptions and needs are a static table: they answer without
importing any strategy (nor torch), which :func:`make_strategy` imports.
"""

from __future__ import annotations

import difflib
import importlib
from typing import NamedTuple

from .._errors import InvalidParameterError

__all__ = ["available_strategies", "make_strategy", "strategy_needs"]


class _Entry(NamedTuple):
    """A strategy known by name: where its class lives, and what it is."""

    module: str  # of skactive.strategies
    cls: str
    args: tuple  # positional arguments the name fixes (a measure)
    description: str
    needs: str  # the class's ``needs``: "any", "net", "ensemble", "loss_net"
    # or "minimax_net"
    params: tuple = ()  # (keyword, value) pairs the name fixes


# A static table, so that the names, descriptions and needs are known without
# importing a strategy (nor torch): ``skactive strategies`` and the command's
# checks of ``--strategy`` answer at once. ``make_strategy`` imports the
# class; a test checks that every entry's ``needs`` is its class's.
_STRATEGIES = {
    "random": _Entry(
        "uncertainty",
        "RandomSampling",
        (),
        "uniform random sampling (the baseline)",
        "any",
    ),
    "least_confidence": _Entry(
        "uncertainty",
        "UncertaintySampling",
        ("least_confidence",),
        "lowest maximum class probability, 1 - max_c p(c|x)",
        "any",
    ),
    "margin": _Entry(
        "uncertainty",
        "UncertaintySampling",
        ("margin",),
        "smallest gap between the two most probable classes",
        "any",
    ),
    "entropy": _Entry(
        "uncertainty",
        "UncertaintySampling",
        ("entropy",),
        "highest predictive entropy",
        "any",
    ),
    "coreset": _Entry(
        "diversity",
        "CoreSet",
        (),
        "k-center greedy on embeddings (Sener & Savarese)",
        "any",
    ),
    "diversity": _Entry(
        "diversity",
        "DiversitySampling",
        (),
        "temperature diversity sampling, T=0.5 (Buchert et al. 2023)",
        "any",
    ),
    "badge": _Entry(
        "diversity",
        "BADGE",
        (),
        "k-means++ on gradient embeddings (Ash et al. 2020)",
        "any",
    ),
    "diverse_minibatch": _Entry(
        "diversity",
        "DiverseMiniBatch",
        (),
        "weighted k-means over the most uncertain rows (Zhdanov 2019)",
        "any",
    ),
    "typiclust": _Entry(
        "diversity",
        "TypiClust",
        (),
        "most typical rows of uncovered clusters (Hacohen et al. 2022)",
        "any",
    ),
    "probcover": _Entry(
        "diversity",
        "ProbCover",
        (),
        "greedy coverage of delta-balls (Yehuda et al. 2022)",
        "any",
    ),
    "bald": _Entry(
        "bayesian",
        "BALD",
        (),
        "MC-dropout mutual information (Houlsby 2011; Gal 2017)",
        "net",
    ),
    "batchbald": _Entry(
        "bayesian",
        "BatchBALD",
        (),
        "joint mutual information of the batch (Kirsch 2019)",
        "net",
    ),
    "variation_ratios": _Entry(
        "bayesian",
        "VariationRatios",
        (),
        "variation ratio of MC-dropout passes or ensemble members (Beluch 2018)",
        "net",
    ),
    "mean_std": _Entry(
        "bayesian", "MeanSTD", (), "MC-dropout mean standard deviation", "net"
    ),
    "max_entropy": _Entry(
        "bayesian",
        "MaxEntropy",
        (),
        "entropy of the MC-dropout mean prediction",
        "net",
    ),
    "qbc": _Entry(
        "committee",
        "QueryByCommittee",
        (),
        "query-by-committee vote entropy (needs an ensemble estimator)",
        "ensemble",
    ),
    "egl": _Entry(
        "gradient",
        "ExpectedGradientLength",
        (),
        "expected gradient length of the final layer (Settles et al. 2008)",
        "any",
    ),
    "cal": _Entry(
        "cal",
        "CAL",
        (),
        "contrastive active learning (Margatina et al. 2021)",
        "any",
    ),
    "consistency": _Entry(
        "consistency",
        "Consistency",
        (),
        "least consistent under augmentation (Gao et al. 2020; needs a net)",
        "net",
    ),
    "consistency_embedding": _Entry(
        "consistency",
        "ConsistencyEmbedding",
        (),
        "k-center greedy on consistency-scaled embeddings (Buchert et al. 2023)",
        "net",
    ),
    "epmcm": _Entry(
        "epmcm",
        "EPMCM",
        (),
        "expected probability of misclassification under ISDA (DAST-AL)",
        "any",
    ),
    "learning_loss": _Entry(
        "learning_loss",
        "LearningLoss",
        (),
        "highest predicted loss of a loss-prediction module (Yoo & Kweon 2019)",
        "loss_net",
    ),
    "svp": _Entry(
        "proxy",
        "SelectionViaProxy",
        (),
        "entropy sampling with a cheap proxy model (Coleman et al. 2020)",
        "any",
    ),
    "suggestive_annotation": _Entry(
        "suggestive",
        "SuggestiveAnnotation",
        (),
        "ensemble variance, then greedy max-cover of the pool (Yang et al. 2017)",
        "net",
    ),
    "vaal": _Entry(
        "vaal",
        "VAAL",
        (),
        "most confidently unlabeled under a VAE-latent discriminator (Sinha 2019)",
        "any",
    ),
    "mal": _Entry(
        "mal",
        "MinimaxSampling",
        (),
        "highest entropy among rows a discriminator sees as unlabeled (MAL 2021)",
        "minimax_net",
    ),
    "label_dispersion": _Entry(
        "dispersion",
        "LabelDispersion",
        (),
        "most changed prediction over training epochs (Bengar et al. 2021)",
        "net",
    ),
    "tcm": _Entry(
        "tcm",
        "TCM",
        (),
        "TypiClust below 3 labels per class, then margin (Doucet et al. 2024)",
        "any",
    ),
    "auto": _Entry(
        "tcm",
        "TCM",
        (3,),
        "budget-aware default: TypiClust below 3 labels per class, then margin "
        "once nearest labeled rows disagree on half of the labels",
        "any",
        (("min_purity", 0.5),),
    ),
    "stochastic_entropy": _Entry(
        "stochastic",
        "StochasticBatch",
        ("entropy",),
        "entropy, batch drawn by power sampling (Kirsch et al. 2023)",
        "any",
        (("mode", "power"),),
    ),
    "stochastic_margin": _Entry(
        "stochastic",
        "StochasticBatch",
        ("margin",),
        "margin, batch drawn by soft-rank sampling (Kirsch et al. 2023)",
        "any",
        (("mode", "softrank"),),
    ),
    "maxherding": _Entry(
        "herding",
        "MaxHerding",
        (),
        "greedy kernel coverage of the pool (Bae et al. 2024)",
        "any",
    ),
    "uherding": _Entry(
        "herding",
        "UncertaintyHerding",
        (),
        "calibrated-uncertainty-weighted kernel coverage (Bae et al. 2025)",
        "any",
    ),
    "clue": _Entry(
        "clue",
        "CLUE",
        (),
        "entropy-weighted k-means of embeddings (Prabhu et al. 2021)",
        "any",
    ),
    "dropquery": _Entry(
        "dropquery",
        "DropQuery",
        (),
        "k-means of rows inconsistent under feature dropout (Gupte et al. 2024)",
        "any",
    ),
    "falcun": _Entry(
        "falcun",
        "Falcun",
        (),
        "margin + L1 diversity in probability space, sampled (Gilhuber et al. 2024)",
        "any",
    ),
    "weibull": _Entry(
        "weibull",
        "WeibullOutlier",
        (),
        "Weibull outlier probability in latent space (DALBT)",
        "any",
    ),
}


def _check_name(name, caller):
    # the vocabulary's check and message, without importing it (and numpy)
    if not isinstance(name, str):
        raise InvalidParameterError(
            f"{caller}: name must be an instance of str, got {name!r}."
        )


def unknown_strategy_message(name, what="strategy"):
    """The message for an unknown strategy ``name``: close names, known names.

    ``what`` names what was unknown (``"--strategy"`` in the command).
    """
    close = difflib.get_close_matches(name, _STRATEGIES, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    return (
        f"unknown {what} {name!r}.{hint} Known strategies: "
        f"{', '.join(sorted(_STRATEGIES))}."
    )


def available_strategies():
    """``{name: one-line description}`` of every strategy known by name.

    Examples
    --------
    >>> from skactive.strategies import available_strategies
    >>> "entropy" in available_strategies()
    True
    """
    return {name: entry.description for name, entry in _STRATEGIES.items()}


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
        augmentation), ``"ensemble"`` (a committee or fitted ensemble),
        ``"loss_net"`` (a net with a loss-prediction module, ``predict_loss``),
        ``"minimax_net"`` (a :class:`~skactive.nets.MinimaxClassifier`:
        probabilities and a labeled/unlabeled discriminator) or ``"any"``
        (any classifier with ``predict_proba``).

    Examples
    --------
    >>> from skactive.strategies import strategy_needs
    >>> strategy_needs("bald"), strategy_needs("margin")
    ('net', 'any')
    """
    _check_name(name, "strategy_needs")
    if name not in _STRATEGIES:
        raise InvalidParameterError(unknown_strategy_message(name))
    return _STRATEGIES[name].needs


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
    _check_name(name, "make_strategy")
    if name not in _STRATEGIES:
        raise InvalidParameterError(unknown_strategy_message(name))
    entry = _STRATEGIES[name]
    module = importlib.import_module(f"{__package__}.{entry.module}")
    return getattr(module, entry.cls)(*entry.args, **{**dict(entry.params), **params})


# The vocabulary's declarations (checked by _check_name, which needs no numpy).
strategy_needs.__skactive_constraints__ = {"name": [str]}
make_strategy.__skactive_constraints__ = {"name": [str]}
