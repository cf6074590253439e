"""Strategies on a Dask cluster: the pool scored or embedded where it lives.

When the pool is a dask array or a :class:`~skactive.pools.ShardedArray` and
a ``dask.distributed`` client is active (or passed as ``client=`` in the
call), the score strategies rank with :func:`skactive.distributed.top_k`
and the farthest-point strategies embed the chunks on the workers and
select with :func:`skactive.distributed.diversity_sampling`, leaving the
embeddings there. The random state is consumed as in one process (one seed
drawn for the Monte-Carlo masks, then the tie-breaking draws), and
:func:`~skactive._inference.pool_offset` gives every chunk the masks of its
absolute rows, so the picks are those of the one-process call.
"""

from __future__ import annotations

import copy
import sys

import numpy as np

from .._inference import embed_pool, pool_offset
from .._random import seed_from_random_state
from ..pools import ShardedArray

__all__ = []


def cluster_for(X, client=None):
    """The client to select on ``X`` with, or ``None`` to run in this process."""
    da = sys.modules.get("dask.array")
    if not (
        isinstance(X, ShardedArray) or (da is not None and isinstance(X, da.Array))
    ):
        if client is not None:
            from ..distributed import get_client

            get_client(client)  # a bad client= is refused even here
        return None
    from ..distributed import get_client

    return get_client(client)


def _score_rows(model, rows, start):
    from ..distributed._threads import running_with

    strategy, estimator, seed_state, threads = model
    with pool_offset(start), running_with(threads):
        if seed_state is None:
            return np.asarray(strategy._score(estimator, rows))
        return np.asarray(
            strategy._score(estimator, rows, random_state=copy.deepcopy(seed_state))
        )


def distributed_top_k(strategy, estimator, X, n_instances, rng, client, *, seeded):
    """``(indices, scores)`` of the best rows, scored chunk by chunk on ``client``.

    ``seeded``: ``strategy._score`` takes a ``random_state`` from which it
    draws one seed (the Monte-Carlo strategies); every worker gets a copy
    of ``rng`` as it is now, and ``rng`` makes that draw here.
    """
    from ..distributed import top_k
    from ..distributed._threads import caller_threads

    seed_state = None
    if seeded:
        seed_state = copy.deepcopy(rng)
        seed_from_random_state(rng)  # the draw _score makes in one process
    return top_k(
        _score_rows,
        (strategy, estimator, seed_state, caller_threads()),
        X,
        n_instances,
        random_state=rng,
        client=client,
        return_scores=True,
    )


def _embed_rows(model, rows, start):
    from ..distributed._threads import running_with

    strategy, estimator, threads = model
    with pool_offset(start), running_with(threads):
        return np.asarray(embed_pool(estimator, rows, n_jobs=strategy.n_jobs))


def distributed_diversity(
    strategy, estimator, X, n_instances, rng, client, *, labeled, temperature
):
    """``(indices, distances)`` of farthest-point picks; embeddings stay on workers."""
    from ..distributed import diversity_sampling, map_rows
    from ..distributed._threads import caller_threads

    embeddings = map_rows(
        _embed_rows,
        (strategy, estimator, caller_threads()),
        X,
        client=client,
        gather=False,
    )
    return diversity_sampling(
        embeddings,
        n_instances,
        labeled=labeled,
        temperature=temperature,
        random_state=rng,
        client=client,
        return_distances=True,
    )


def _badge_rows(model, rows, start):
    from ..distributed._threads import running_with

    strategy, estimator, threads = model
    with pool_offset(start), running_with(threads):
        proba, emb = embed_pool(
            estimator, rows, return_proba=True, n_jobs=strategy.n_jobs
        )
    emb = np.asarray(emb)
    # the dtype the selector computes in (float16 -> float32), for both parts
    dtype = np.result_type(emb.dtype, np.float32)
    return np.hstack([emb.astype(dtype), np.asarray(proba, dtype=dtype)])


def distributed_badge(strategy, estimator, X, n_instances, rng, client):
    """``(indices, gradient norms)`` of BADGE picks, computed on the workers."""
    from ..distributed import badge_sampling as dist_badge
    from ..distributed import map_rows
    from ..distributed._threads import caller_threads

    both = map_rows(
        _badge_rows,
        (strategy, estimator, caller_threads()),
        X,
        client=client,
        gather=False,
    )
    n_classes = len(estimator.classes_)
    return dist_badge(
        both,
        both.shape[1] - n_classes,
        n_instances,
        random_state=rng,
        client=client,
        return_scores=True,
    )
