"""Checks of the tensors the losses' ``forward`` methods receive."""

from __future__ import annotations

import torch

from .._validation import InvalidParameterError


def check_views(z1, z2, caller):
    """Two embeddings of the same shape ``(batch, dim)``."""
    for name, z in (("z1", z1), ("z2", z2)):
        if not isinstance(z, torch.Tensor) or z.dim() != 2:
            raise InvalidParameterError(
                f"{caller}: {name} must be a 2-D tensor (batch, dim), got "
                f"{type(z).__name__} of shape {tuple(getattr(z, 'shape', ()))}."
            )
    if z1.shape != z2.shape:
        raise InvalidParameterError(
            f"{caller}: z1 and z2 must have the same shape, got {tuple(z1.shape)} "
            f"and {tuple(z2.shape)}."
        )
