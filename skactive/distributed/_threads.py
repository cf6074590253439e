"""How many torch threads a worker scores with: the caller's, by default.

A float32 forward pass is not associative across torch's intra-op threads:
the same net on the same row can return probabilities that differ in their
last bit with 1 or 2 threads (measured: 2,777 of 3,000 rows of a SmallCNN),
enough to swap two near-tied rows in a top-k or a greedy k-center order. A
``LocalCluster`` worker runs torch on one thread (``OMP_NUM_THREADS=1``), a
laptop's interpreter on all its cores. So the distributed strategies run
the model on the workers with the thread count of the process that called
them, and return the picks of the one-process call;
:func:`worker_threads` changes that.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from numbers import Integral

from .._validation import Interval, StrOptions, validate_params

__all__ = ["worker_threads"]

_SETTING = contextvars.ContextVar("skactive_worker_threads", default="match")


@contextlib.contextmanager
@validate_params(
    {"n": [StrOptions({"match"}), Interval(Integral, 1, None, closed="left"), None]}
)
def worker_threads(n="match"):
    """Torch threads the workers run a model with, inside the ``with`` block.

    Parameters
    ----------
    n : "match", int or None, default="match"
        ``"match"``: the caller's ``torch.get_num_threads()``, so every row
        is scored with the arithmetic of the one-process call and the picks
        are the same (the default, also outside any ``with`` block); an
        int: that many threads on every worker; ``None``: each worker keeps
        its own setting (faster on workers with one thread per core, but
        scores may differ from the one-process call in their last bit and
        near-tied rows may change order).

    Yields
    ------
    None
        The setting holds inside the ``with`` block (per context, so
        threads and asyncio tasks each see their own).

    Examples
    --------
    >>> from skactive.distributed import worker_threads
    >>> with worker_threads(None):
    ...     pass  # strategies called here leave the workers' threads alone
    """
    token = _SETTING.set(n)
    try:
        yield
    finally:
        _SETTING.reset(token)


def caller_threads():
    """The thread count to send with a task (``None``: leave the worker's)."""
    n = _SETTING.get()
    if n != "match":
        return n
    torch = sys.modules.get("torch")
    return None if torch is None else torch.get_num_threads()


@contextlib.contextmanager
def running_with(n):
    """On a worker: torch on ``n`` threads for the block (``None``: as is)."""
    if n is None:
        yield
        return
    import torch

    old = torch.get_num_threads()
    if old == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)
