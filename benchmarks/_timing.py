"""Forward-pass timing shared by the benchmark scripts.

:class:`ForwardTimer` wraps a fitted net's inference methods so that the
time spent inside them (the model's forward passes) can be told apart from
the rest of a strategy call (the acquisition itself).
"""

from __future__ import annotations

import functools
import time

NET_METHODS = (
    "predict_proba",
    "predict_proba_samples",
    "predict_proba_augmented",
    "predict_proba_with_embedding",
    "embed",
    "predict",
    "infer",
)


class ForwardTimer:
    """Accumulates the time spent inside the wrapped methods of some nets.

    Only the outermost call is timed, so methods that call each other (e.g.
    ``predict_proba`` calling ``infer``) are not counted twice.

    Parameters
    ----------
    methods : tuple of str
        Names of the methods to wrap.
    clock : callable, default=time.perf_counter
        ``time.perf_counter`` (wall clock) or ``time.process_time`` (CPU
        time of the process, robust on a shared machine).
    """

    def __init__(self, methods=NET_METHODS, clock=time.perf_counter):
        self.methods = methods
        self.clock = clock
        self.seconds = 0.0
        self._depth = 0

    def wrap(self, net):
        """Wrap ``net``'s methods in place; returns ``net``."""
        for name in self.methods:
            method = getattr(net, name, None)
            if callable(method):
                setattr(net, name, self._timed(method))
        return net

    def _timed(self, method):
        @functools.wraps(method)
        def timed(*args, **kwargs):
            if self._depth:  # nested call: counted by the outermost one
                return method(*args, **kwargs)
            self._depth += 1
            t0 = self.clock()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += self.clock() - t0
                self._depth -= 1

        return timed
