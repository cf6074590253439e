"""Seeds and torch random state: one way to turn ``random_state`` into randomness.

Everything random in skactive takes a ``random_state`` (an int, a
:class:`numpy.random.RandomState` or ``None``) and never reads or advances the
global numpy or torch generators behind the caller's back:

* :func:`seed_from_random_state` derives an integer seed;
* :func:`torch_generator` builds a seeded :class:`torch.Generator`;
* :func:`forked_torch_rng` runs code that must use torch's *global* generator
  (dropout in a module's ``forward``, skorch's DataLoader seeding) inside a
  fork of it, optionally seeded, so the caller's torch random state is the
  same afterwards.
"""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["seed_from_random_state", "torch_generator", "forked_torch_rng"]

#: Seeds handed to torch are taken modulo this (torch seeds are 64-bit).
SEED_MOD = 1 << 63


def seed_from_random_state(random_state) -> int:
    """Derive a 63-bit integer seed from ``random_state``.

    An int is used as is (so the same int always gives the same seed); a
    :class:`numpy.random.RandomState` is advanced by one draw; ``None`` draws
    fresh operating-system entropy (never the global numpy RNG).
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, bool
    ):
        if random_state < 0:
            from ._validation import InvalidParameterError

            raise InvalidParameterError(
                f"random_state must be a non-negative int, a RandomState or None, "
                f"got {random_state}."
            )
        return int(random_state)
    rng = check_random_state(random_state)
    return int(rng.randint(0, np.iinfo(np.int64).max, dtype=np.int64))


def torch_generator(random_state, device="cpu") -> torch.Generator:
    """A :class:`torch.Generator` on ``device`` seeded from ``random_state``."""
    g = torch.Generator(device=device)
    g.manual_seed(seed_from_random_state(random_state))
    return g


def _cuda_devices(device):
    if device is None or not torch.cuda.is_available():
        return []
    device = torch.device(device)
    if device.type != "cuda":
        return []
    return list(range(torch.cuda.device_count()))


@contextlib.contextmanager
def forked_torch_rng(device=None, seed=None):
    """Run the block in a fork of torch's global random state.

    Parameters
    ----------
    device : str, torch.device or None, default=None
        The device the block computes on; for a CUDA device the CUDA
        generators are forked too.
    seed : int or None, default=None
        Seed the forked global generator with it (``torch.manual_seed``);
        ``None`` leaves the fork's state as the caller's.

    Yields
    ------
    None
        The caller's state (CPU and, for CUDA, every CUDA device) is restored
        when the block ends, however it ends.
    """
    with torch.random.fork_rng(devices=_cuda_devices(device)):
        if seed is not None:
            torch.manual_seed(int(seed) % SEED_MOD)
        yield
