"""The checkpoint of a simulation: its file format, reading and writing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ._files import atomic_write

__all__ = ["VERSION", "fingerprint", "load_checkpoint", "save_checkpoint"]

VERSION = 1


def fingerprint(array):
    """A short sha256 of an array's shape, dtype and bytes."""
    a = np.ascontiguousarray(np.asarray(array))
    h = hashlib.sha256()
    h.update(str((a.shape, a.dtype.str)).encode())
    h.update(a.tobytes())
    return h.hexdigest()[:16]


def load_checkpoint(path, config):
    """The state stored at ``path`` (``None`` if there is none) for ``config``."""
    path = Path(path)
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    old = state.get("config", {})
    differ = sorted(k for k in set(old) | set(config) if old.get(k) != config.get(k))
    if differ:
        details = "; ".join(
            f"{k}: checkpoint {old.get(k)!r} vs now {config.get(k)!r}" for k in differ
        )
        raise ValueError(
            f"checkpoint {str(path)!r} was written by a different configuration "
            f"({details}); use another checkpoint path or remove it."
        )
    return state


def save_checkpoint(path, state):
    """Write ``state`` to ``path`` atomically."""
    atomic_write(Path(path), json.dumps(state))
