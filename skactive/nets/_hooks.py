"""What the nets observe or change inside their module during a forward pass.

Two ideas, both as context managers over a module's layers, so no caller
registers hooks of its own:

* :func:`layer_input` -- the input of one layer (the penultimate embedding is
  the input of the final linear layer);
* :func:`mc_dropout` -- Monte-Carlo dropout: dropout layers active while the
  rest of the module stays in eval mode, with a fresh mask per row and pass
  (Gal et al. 2017) or with one mask per pass shared by every row (Kirsch et
  al. 2019's *consistent* MC dropout).
"""

from __future__ import annotations

import contextlib

import torch

from .._validation import InvalidParameterError

__all__ = ["layer_input", "mc_dropout", "dropout_layers", "select_dropout_layers"]


class _Captured:
    """Holder of the last input of a layer; ``enabled`` switches capturing."""

    def __init__(self, enabled=True):
        self.enabled = enabled
        self.value = None


@contextlib.contextmanager
def layer_input(layer, *, enabled=True, detach=True):
    """Capture the input of ``layer`` at every forward pass inside the block.

    Parameters
    ----------
    layer : torch.nn.Module
        The layer whose (first) input is recorded.
    enabled : bool, default=True
        ``False`` records nothing (and registers nothing); it can also be
        switched on the yielded holder between passes.
    detach : bool, default=True
        Record ``input.detach()``; ``False`` keeps the autograd graph (for a
        loss on the features).

    Yields
    ------
    _Captured
        ``.value`` holds the input of the last forward pass of ``layer``.
    """
    holder = _Captured(enabled)
    if not enabled:
        yield holder
        return

    def hook(_module, inputs):
        if holder.enabled:
            x = inputs[0]
            holder.value = x.detach() if detach else x

    handle = layer.register_forward_pre_hook(hook)
    try:
        yield holder
    finally:
        handle.remove()


def dropout_layers(module):
    """The dropout layers of ``module`` that drop something (``p > 0``)."""
    return [
        m
        for m in module.modules()
        if isinstance(m, torch.nn.modules.dropout._DropoutNd) and m.p > 0
    ]


def _mask_shape(layer, out):
    if isinstance(layer, torch.nn.Dropout1d | torch.nn.Dropout2d | torch.nn.Dropout3d):
        return (1, out.shape[1]) + (1,) * (out.ndim - 2)
    return (1,) + tuple(out.shape[1:])


class _Pass:
    """Which MC pass the consistent masks are drawn for (``t``)."""

    def __init__(self):
        self.t = 0


def select_dropout_layers(module, indexes=None):
    """The dropout layers MC dropout activates.

    Parameters
    ----------
    module : torch.nn.Module
    indexes : sequence of int or None, default=None
        Positions in ``list(module.modules())`` (modAL's
        ``dropout_layer_indexes``); ``None``: every dropout layer with
        ``p > 0``.

    Returns
    -------
    list of torch.nn.Module
    """
    if indexes is None:
        return dropout_layers(module)
    modules = list(module.modules())
    layers = []
    for i in indexes:
        if not isinstance(i, int) or not -len(modules) <= i < len(modules):
            raise InvalidParameterError(
                f"dropout_layers: {i!r} is not a position in the "
                f"{len(modules)} modules of {type(module).__name__}."
            )
        layer = modules[i]
        if not isinstance(layer, torch.nn.modules.dropout._DropoutNd):
            raise InvalidParameterError(
                f"dropout_layers: module {i} of {type(module).__name__} is a "
                f"{type(layer).__name__}, not a dropout layer."
            )
        layers.append(layer)
    return layers


@contextlib.contextmanager
def mc_dropout(module, *, consistent=False, generator=None, layers=None):
    """Run the block with Monte-Carlo dropout in ``module``.

    Parameters
    ----------
    module : torch.nn.Module
        Holds :class:`torch.nn.Dropout` (or ``Dropout1d/2d/3d``, masked per
        channel) layers with ``p > 0``.
    consistent : bool, default=False
        ``False``: the dropout layers run in training mode (a fresh mask per
        row and forward pass, drawn from torch's global generator) however
        the rest of the module is set. ``True``: the dropout layers stay in
        eval mode and their outputs are multiplied by one mask per layer and
        per pass ``t`` (set ``.t`` on the yielded object before each pass),
        shared by every row; masks are drawn from ``generator`` the first
        time a ``(layer, t)`` is met.
    generator : torch.Generator or None, default=None
        CPU generator of the consistent masks.
    layers : list of torch.nn.Module or None, default=None
        The dropout layers to activate (:func:`select_dropout_layers`);
        ``None``: every dropout layer with ``p > 0``.

    Yields
    ------
    _Pass
        Set its ``t`` to the index of the pass about to run (consistent
        masks only).

    Raises
    ------
    ValueError
        If the module has no dropout layer with ``p > 0``.
    TypeError
        For alpha dropout with ``consistent=True``.
    """
    layers = dropout_layers(module) if layers is None else list(layers)
    if not layers:
        raise InvalidParameterError(
            f"{type(module).__name__} has no dropout layer with p > 0, so "
            "MC-dropout samples would all be identical; build the module with "
            "dropout (e.g. module__dropout=0.5)."
        )
    state = _Pass()
    handles = []
    if consistent:
        for m in layers:
            if isinstance(m, torch.nn.AlphaDropout | torch.nn.FeatureAlphaDropout):
                raise InvalidParameterError(
                    f"consistent MC dropout does not support {type(m).__name__}; "
                    "use consistent=False."
                )
        masks = {}

        def make_hook(j, layer):
            def hook(_module, _inputs, output):
                key = (j, state.t)
                mask = masks.get(key)
                if mask is None:
                    keep = 1.0 - layer.p
                    draw = torch.rand(_mask_shape(layer, output), generator=generator)
                    mask = (draw < keep).to(output.dtype).div_(keep).to(output.device)
                    masks[key] = mask
                return output * mask

            return hook

        for j, layer in enumerate(layers):
            handles.append(layer.register_forward_hook(make_hook(j, layer)))
    else:

        def activate(layer, _inputs):
            layer.train(True)

        for layer in layers:
            handles.append(layer.register_forward_pre_hook(activate))
    try:
        yield state
    finally:
        for h in handles:
            h.remove()
        for layer in layers:
            layer.train(False)
