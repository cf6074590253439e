"""Selectors: pick rows from scores, embeddings or MC samples.

A selector is a pure function of arrays -- scores, embeddings, class
probabilities, Monte-Carlo samples -- that returns unique integer indices
into the pool; it never calls a model. Strategies
(:mod:`skactive.strategies`) compute the arrays and call a selector. Every
selector takes the number of rows to pick as ``n_instances`` (its second
positional argument, third for :func:`badge_sampling`) and a
``random_state``; none of them has a ``batch_size``.

Ranking (``_ranking``)
    :func:`top_k`
        The highest scores, best first, ties broken at random.
    :func:`shard_top_k`, :func:`merge_top_k`
        The same top-k shard by shard: exact merge of per-shard candidates.
    :func:`subsample_candidates`
        The random candidate subset of the pool (DAST-AL).

Farthest-point (``_farthest``, over the distance engine of ``_distance``)
    :func:`diversity_sampling`
        Temperature-controlled farthest-point sampling (Buchert et al., 2023):
        ``temperature=0`` is k-center greedy, ``0.5`` k-means++ seeding.
    :func:`kcenter_greedy`
        k-center greedy / core-set (Sener & Savarese, 2018).

Gradient embeddings (``_badge``)
    :func:`badge_sampling`
        BADGE (Ash et al., 2020), without forming the gradient embeddings.

Clustering (``_clustering``)
    :func:`weighted_kmeans`
        Weighted k-means (k-means++ initialisation).
    :func:`nearest_to_centers`
        One distinct row nearest to each centre.
    :func:`typiclust_sampling`
        TypiClust (Hacohen et al., 2022).
    :func:`probcover_sampling`
        ProbCover (Yehuda et al., 2022).

Coverage (``_max_cover``)
    :func:`greedy_max_cover`
        Greedy max-cover under cosine similarity (Suggestive Annotation,
        Yang et al., 2017).
Stochastic batches (``_stochastic``)
    :func:`stochastic_sampling`
        Power, softmax or soft-rank sampling without replacement (Kirsch et
        al., 2023), through the Gumbel-top-k trick.

FALCUN (``_falcun``)
    :func:`falcun_sampling`
        Margin uncertainty plus L1 diversity in the class-probability space,
        drawn in proportion to ``(u + d)**gamma`` (Gilhuber et al., 2024).

Kernel herding (``_herding``)
    :func:`herding_sampling`
        Greedy (uncertainty-weighted) generalised coverage: MaxHerding and
        Uncertainty Herding (Bae et al., 2024, 2025).
    :func:`median_bandwidth`
        The median heuristic for the kernel's bandwidth.

Bayesian batches (``_batchbald``)
    :func:`batchbald_select`
        Greedy BatchBALD from consistent MC samples (Kirsch et al., 2019).

Array inputs are checked by ``_arrays`` (one error, naming the argument, for
every selector); scalar parameters by the declared constraints of
:mod:`skactive._validation`. :mod:`skactive.diversity` re-exports the
diversity selectors under their former import path.
"""

from ._badge import badge_sampling
from ._batchbald import batchbald_select
from ._clustering import (
    nearest_to_centers,
    probcover_sampling,
    typiclust_sampling,
    weighted_kmeans,
)
from ._falcun import falcun_sampling
from ._farthest import diversity_sampling, kcenter_greedy
from ._herding import herding_sampling, median_bandwidth
from ._max_cover import greedy_max_cover
from ._ranking import (
    TopKCandidates,  # noqa: F401  (the type shard_top_k returns)
    merge_top_k,
    shard_top_k,
    subsample_candidates,
    top_k,
)
from ._stochastic import stochastic_sampling

__all__ = [
    "greedy_max_cover",
    "top_k",
    "shard_top_k",
    "merge_top_k",
    "subsample_candidates",
    "diversity_sampling",
    "kcenter_greedy",
    "badge_sampling",
    "weighted_kmeans",
    "nearest_to_centers",
    "typiclust_sampling",
    "probcover_sampling",
    "batchbald_select",
    "stochastic_sampling",
    "herding_sampling",
    "median_bandwidth",
    "falcun_sampling",
]
