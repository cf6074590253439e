"""Selection on a Dask cluster, with the data on the workers and the same picks.

With a ``dask.distributed`` client, a pool that is a dask array, a
:class:`~skactive.pools.ShardedArray` or a list of ``.npy`` shards is
processed chunk by chunk where the chunks live, and the results are merged
exactly, so every function here returns what its one-process counterpart
returns:

* :func:`get_client` -- the explicit or the active client;
* :func:`pool_chunks`, :class:`PoolChunks`, :func:`is_distributed_pool` --
  a pool described by its chunks and their workers;
* :func:`map_rows` -- ``fn(model, rows, start)`` on every chunk, the model
  sent to each worker once;
* :func:`top_k` -- per-chunk top-k candidates, merged exactly
  (:func:`skactive.selection.merge_top_k`);
* :func:`diversity_sampling`, :func:`kcenter_greedy` -- farthest-point
  selection with the minimum-distance vector kept sharded on the workers
  (Dask actors); each pick moves a few scalars and one embedding row;
* :func:`badge_sampling` -- BADGE the same way (one embedding row, one
  ``p - e_yhat`` row and one scalar per pick);
* :func:`worker_threads` -- the torch threads a worker scores with (the
  caller's by default, so a net's float32 forward is the same arithmetic).
"""

from ._badge import badge_sampling
from ._chunks import PoolChunks, is_distributed_pool, pool_chunks
from ._client import get_client
from ._farthest import diversity_sampling, kcenter_greedy
from ._map import map_rows, top_k
from ._threads import worker_threads

__all__ = [
    "get_client",
    "PoolChunks",
    "pool_chunks",
    "is_distributed_pool",
    "map_rows",
    "top_k",
    "diversity_sampling",
    "kcenter_greedy",
    "badge_sampling",
    "worker_threads",
]
