"""Diversity selectors under their former import path (re-exports).

The canonical home of these functions is :mod:`skactive.selection`; this
module re-exports them unchanged so that ``from skactive.diversity import
...`` keeps working:

* :func:`~skactive.selection.diversity_sampling`,
  :func:`~skactive.selection.kcenter_greedy` -- farthest-point selection;
* :func:`~skactive.selection.badge_sampling` -- BADGE;
* :func:`~skactive.selection.weighted_kmeans`,
  :func:`~skactive.selection.nearest_to_centers`,
  :func:`~skactive.selection.typiclust_sampling`,
  :func:`~skactive.selection.probcover_sampling` -- clustering-based selection;
* :func:`~skactive.metrics.batch_diversity` -- mean pairwise distance of a
  batch (its home is :mod:`skactive.metrics`).
"""

from .metrics import batch_diversity
from .selection import (
    badge_sampling,
    diversity_sampling,
    kcenter_greedy,
    nearest_to_centers,
    probcover_sampling,
    typiclust_sampling,
    weighted_kmeans,
)

__all__ = [
    "badge_sampling",
    "batch_diversity",
    "diversity_sampling",
    "kcenter_greedy",
    "nearest_to_centers",
    "probcover_sampling",
    "typiclust_sampling",
    "weighted_kmeans",
]
