"""Plain PyTorch classification networks used by skactive.

Every network in this module follows the same structural contract so that
acquisition functions and semi-supervised losses can treat them uniformly:

* ``forward`` returns **logits** (no softmax) of shape ``(N, n_classes)``.
* The final layer is an :class:`torch.nn.Linear` stored as the attribute
  ``classifier``; it is the last :class:`~torch.nn.Linear` registered in the
  module, so ``list(m.modules())`` ends with it.
* The layer functionally preceding ``classifier`` is ``self.dropout``, an
  :class:`torch.nn.Dropout` that is present even when ``p == 0``.
* ``forward(x)`` computes ``self.classifier(self.dropout(self.features(x)))``
  and calls ``classifier`` exactly once, so a forward pre-hook registered on
  ``classifier`` captures the *penultimate embedding* of shape
  ``(N, embedding_dim)``.
* ``features(x)`` returns the penultimate features (before dropout) and the
  read-only property ``embedding_dim`` gives their width.

Inputs whose dtype differs from the parameters (for example ``float64``
tensors built from NumPy arrays) are cast to the parameter dtype; the modules
never move data between devices themselves.
"""

import inspect
import numbers

import torch
from torch import nn

from .._validation import (
    Interval,
    InvalidParameterError,
    PositiveInts,
    StrOptions,
    validate_parameter,
    validate_parameter_constraints,
    validate_params,
)

__all__ = ["MLP", "SmallCNN", "ResNet18", "WideResNet", "make_projector"]


# --------------------------------------------------------------------------- #
# argument validation helpers
# --------------------------------------------------------------------------- #
_POSITIVE = [Interval(numbers.Integral, 1, None, closed="left")]
_DROPOUT = [Interval(numbers.Real, 0, 1, closed="left")]


def _validated(module, **params):
    """Check ``params`` against ``module``'s declared constraints; return them."""
    validate_parameter_constraints(
        module._parameter_constraints, params, type(module).__name__
    )
    return params


def _as_param_dtype(x, module):
    """Cast ``x`` to the dtype of ``module``'s classifier weights if needed."""
    dtype = module.classifier.weight.dtype
    if x.dtype != dtype:
        x = x.to(dtype)
    return x


class _LogitsHead(nn.Module):
    """Base class implementing the shared ``forward``/``embedding_dim`` contract.

    Subclasses set ``self._embedding_dim``, ``self.dropout`` and (last)
    ``self.classifier`` and implement ``features``.
    """

    @property
    def embedding_dim(self):
        """int: Width of the penultimate embedding fed to ``classifier``."""
        return self._embedding_dim

    def features(self, x):  # pragma: no cover - abstract
        """Return the penultimate embedding (before dropout).

        Subclasses implement it; ``forward`` feeds its output to ``dropout``
        and ``classifier``.

        Parameters
        ----------
        x : torch.Tensor of shape (N, ...)
            A batch of inputs.

        Returns
        -------
        torch.Tensor of shape (N, embedding_dim)
            The embedding of each row.

        Raises
        ------
        NotImplementedError
            Always, in this base class.
        """
        raise NotImplementedError

    def forward(self, x):
        """Return the logits: ``classifier(dropout(features(x)))``.

        Parameters
        ----------
        x : torch.Tensor of shape (N, ...)
            A batch of inputs, as :meth:`features` takes them.

        Returns
        -------
        torch.Tensor of shape (N, n_classes)
            The logits.
        """
        return self.classifier(self.dropout(self.features(x)))


# --------------------------------------------------------------------------- #
# MLP
# --------------------------------------------------------------------------- #
_ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


class MLP(_LogitsHead):
    """Multi-layer perceptron returning logits.

    Inputs of shape ``(N, ...)`` are flattened to ``(N, n_features)``; each
    hidden layer is ``Linear -> activation``; then ``dropout`` and the linear
    ``classifier``.

    Parameters
    ----------
    n_features : int
        Number of input features after flattening.
    n_classes : int
        Number of output logits.
    hidden_units : int or sequence of int, default=(256,)
        Widths of the hidden layers. An empty sequence gives a linear
        (multinomial logistic regression) model whose embedding is the input.
    dropout : float, default=0.5
        Dropout probability applied to the penultimate embedding,
        ``0 <= dropout < 1``.
    activation : {"relu", "leaky_relu", "elu", "selu", "gelu", "tanh", \
"sigmoid"}, default="relu"
        Non-linearity used after each hidden layer.

    Attributes
    ----------
    body : torch.nn.Sequential
        Hidden layers (flatten, linear layers and activations).
    dropout : torch.nn.Dropout
        Dropout applied before ``classifier``.
    classifier : torch.nn.Linear
        Final layer mapping the embedding to the logits.
    embedding_dim : int
        Width of the penultimate embedding (read-only).

    Examples
    --------
    >>> import torch
    >>> from skactive.nets.modules import MLP
    >>> m = MLP(4, 3)
    >>> m(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    >>> m.embedding_dim
    256
    >>> MLP(28 * 28, 10, hidden_units=(64, 32))(torch.zeros(5, 1, 28, 28)).shape
    torch.Size([5, 10])
    """

    _parameter_constraints = {
        "n_features": _POSITIVE,
        "n_classes": _POSITIVE,
        "hidden_units": [PositiveInts(allow_empty=True)],
        "dropout": _DROPOUT,
        "activation": [StrOptions(set(_ACTIVATIONS))],
    }

    def __init__(
        self,
        n_features,
        n_classes,
        hidden_units=(256,),
        dropout=0.5,
        activation="relu",
    ):
        super().__init__()
        _validated(
            self,
            n_features=n_features,
            n_classes=n_classes,
            hidden_units=hidden_units,
            dropout=dropout,
            activation=activation,
        )
        self.n_features = int(n_features)
        self.n_classes = int(n_classes)
        self.hidden_units = PositiveInts.as_tuple(hidden_units)
        self.dropout_rate = float(dropout)
        self.activation = activation

        layers = [nn.Flatten(start_dim=1)]
        width = self.n_features
        for units in self.hidden_units:
            layers.append(nn.Linear(width, units))
            layers.append(_ACTIVATIONS[activation]())
            width = units
        self.body = nn.Sequential(*layers)
        self._embedding_dim = width
        self.dropout = nn.Dropout(self.dropout_rate)
        self.classifier = nn.Linear(width, self.n_classes)

    def features(self, x):
        """Return the penultimate embedding (before dropout).

        Parameters
        ----------
        x : torch.Tensor of shape (N, ...)
            Input, flattened to ``(N, n_features)``.

        Returns
        -------
        torch.Tensor of shape (N, embedding_dim)
        """
        x = _as_param_dtype(x, self)
        x = x.reshape(x.shape[0], -1)
        if x.shape[1] != self.n_features:
            raise InvalidParameterError(
                f"MLP expects {self.n_features} features per sample after "
                f"flattening, got {x.shape[1]}."
            )
        return self.body(x)


# --------------------------------------------------------------------------- #
# SmallCNN
# --------------------------------------------------------------------------- #
class SmallCNN(_LogitsHead):
    """Small LeNet-style convolutional network for 28x28 / 32x32 images.

    Each entry of ``channels`` adds a block ``Conv3x3 -> ReLU -> MaxPool2x2``.
    An adaptive average pool then maps the feature map to a fixed 4x4 grid, so
    any input of at least ``2 ** len(channels)`` pixels per side (8x8 for the
    default two blocks is comfortably supported) gives the same embedding
    size. The grid is flattened and passed through
    ``Linear(-> hidden_units) -> ReLU``, ``dropout`` and ``classifier``.

    Parameters
    ----------
    in_channels : int, default=1
        Number of input channels.
    n_classes : int, default=10
        Number of output logits.
    channels : sequence of int, default=(32, 64)
        Output channels of the convolutional blocks (at least one).
    dropout : float, default=0.5
        Dropout probability applied to the penultimate embedding,
        ``0 <= dropout < 1``.
    hidden_units : int, default=128
        Width of the fully connected layer, i.e. of the embedding.

    Attributes
    ----------
    conv : torch.nn.Sequential
        Convolutional feature extractor including the adaptive pooling.
    fc : torch.nn.Sequential
        Flatten, hidden linear layer and ReLU.
    dropout : torch.nn.Dropout
        Dropout applied before ``classifier``.
    classifier : torch.nn.Linear
        Final layer mapping the embedding to the logits.
    embedding_dim : int
        Equal to ``hidden_units`` (read-only).

    Examples
    --------
    >>> import torch
    >>> from skactive.nets.modules import SmallCNN
    >>> m = SmallCNN(in_channels=1, n_classes=10)
    >>> m(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    >>> SmallCNN(in_channels=3, n_classes=5)(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 5])
    """

    _GRID = (4, 4)

    _parameter_constraints = {
        "in_channels": _POSITIVE,
        "n_classes": _POSITIVE,
        "channels": [PositiveInts()],
        "hidden_units": _POSITIVE,
        "dropout": _DROPOUT,
    }

    def __init__(
        self,
        in_channels=1,
        n_classes=10,
        channels=(32, 64),
        dropout=0.5,
        hidden_units=128,
    ):
        super().__init__()
        _validated(
            self,
            in_channels=in_channels,
            n_classes=n_classes,
            channels=channels,
            hidden_units=hidden_units,
            dropout=dropout,
        )
        self.in_channels = int(in_channels)
        self.n_classes = int(n_classes)
        self.channels = PositiveInts.as_tuple(channels)
        self.dropout_rate = float(dropout)
        self.hidden_units = int(hidden_units)

        blocks = []
        width = self.in_channels
        for out in self.channels:
            blocks += [
                nn.Conv2d(width, out, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            width = out
        blocks.append(nn.AdaptiveAvgPool2d(self._GRID))
        self.conv = nn.Sequential(*blocks)
        self.fc = nn.Sequential(
            nn.Flatten(start_dim=1),
            nn.Linear(width * self._GRID[0] * self._GRID[1], self.hidden_units),
            nn.ReLU(inplace=True),
        )
        self._embedding_dim = self.hidden_units
        self.dropout = nn.Dropout(self.dropout_rate)
        self.classifier = nn.Linear(self.hidden_units, self.n_classes)

    def features(self, x):
        """Return the penultimate embedding (before dropout).

        Parameters
        ----------
        x : torch.Tensor of shape (N, in_channels, H, W)

        Returns
        -------
        torch.Tensor of shape (N, embedding_dim)
        """
        return self.fc(self.conv(_as_param_dtype(x, self)))


# --------------------------------------------------------------------------- #
# ResNet-18 (CIFAR variant)
# --------------------------------------------------------------------------- #
class _BasicBlock(nn.Module):
    """Post-activation residual block with two 3x3 convolutions."""

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(
            in_planes, planes, 3, stride=stride, padding=1, bias=False
        )
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class ResNet18(_LogitsHead):
    """ResNet-18 adapted to 32x32 images (CIFAR variant).

    A 3x3 stride-1 stem convolution without max-pooling, four stages of two
    basic blocks with 64, 128, 256 and 512 channels (stride 2 at the start of
    stages 2-4), global average pooling, ``dropout`` and ``classifier``
    (He et al., "Deep Residual Learning for Image Recognition", 2016).

    Parameters
    ----------
    in_channels : int, default=3
        Number of input channels.
    n_classes : int, default=10
        Number of output logits.
    dropout : float, default=0.0
        Dropout probability applied to the 512-d embedding,
        ``0 <= dropout < 1``.

    Attributes
    ----------
    stem : torch.nn.Sequential
        Stem convolution, batch norm and ReLU.
    layer1, layer2, layer3, layer4 : torch.nn.Sequential
        Residual stages.
    pool : torch.nn.AdaptiveAvgPool2d
        Global average pooling.
    dropout : torch.nn.Dropout
        Dropout applied before ``classifier``.
    classifier : torch.nn.Linear
        Final ``Linear(512, n_classes)`` layer.
    embedding_dim : int
        Always 512 (read-only).

    Examples
    --------
    >>> import torch
    >>> from skactive.nets.modules import ResNet18
    >>> m = ResNet18(in_channels=3, n_classes=10).eval()
    >>> m(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 10])
    >>> m.embedding_dim
    512
    """

    _parameter_constraints = {
        "in_channels": _POSITIVE,
        "n_classes": _POSITIVE,
        "dropout": _DROPOUT,
    }

    def __init__(self, in_channels=3, n_classes=10, dropout=0.0):
        super().__init__()
        _validated(self, in_channels=in_channels, n_classes=n_classes, dropout=dropout)
        self.in_channels = int(in_channels)
        self.n_classes = int(n_classes)
        self.dropout_rate = float(dropout)

        self.stem = nn.Sequential(
            nn.Conv2d(self.in_channels, 64, 3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
        )
        in_planes = 64
        stages = []
        for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            stages.append(
                nn.Sequential(
                    _BasicBlock(in_planes, planes, stride),
                    _BasicBlock(planes, planes, 1),
                )
            )
            in_planes = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.pool = nn.AdaptiveAvgPool2d(1)
        self._embedding_dim = 512
        self.dropout = nn.Dropout(self.dropout_rate)
        self.classifier = nn.Linear(512, self.n_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def features(self, x):
        """Return the 512-d pooled embedding (before dropout).

        Parameters
        ----------
        x : torch.Tensor of shape (N, in_channels, H, W)

        Returns
        -------
        torch.Tensor of shape (N, 512)
        """
        x = self.stem(_as_param_dtype(x, self))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.pool(x), 1)


# --------------------------------------------------------------------------- #
# Wide ResNet (WRN-28-2 as in MixMatch / FixMatch)
# --------------------------------------------------------------------------- #
class _WideBlock(nn.Module):
    """Pre-activation wide basic block (BN -> LeakyReLU -> Conv3x3, twice).

    As in the MixMatch/FixMatch reference implementation, the residual branch
    always starts from the pre-activated input, while the shortcut uses the
    raw input unless ``activate_before_residual`` is set (first block of the
    first group). A 1x1 convolution projects the shortcut when the number of
    channels changes.
    """

    def __init__(
        self,
        in_planes,
        out_planes,
        stride,
        bn_momentum,
        slope,
        activate_before_residual=False,
    ):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes, momentum=bn_momentum)
        self.act1 = nn.LeakyReLU(slope, inplace=False)
        self.conv1 = nn.Conv2d(
            in_planes, out_planes, 3, stride=stride, padding=1, bias=False
        )
        self.bn2 = nn.BatchNorm2d(out_planes, momentum=bn_momentum)
        self.act2 = nn.LeakyReLU(slope, inplace=True)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, padding=1, bias=False)
        self.activate_before_residual = activate_before_residual
        if in_planes != out_planes or stride != 1:
            self.shortcut = nn.Conv2d(
                in_planes, out_planes, 1, stride=stride, bias=False
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        pre = self.act1(self.bn1(x))
        out = self.conv2(self.act2(self.bn2(self.conv1(pre))))
        skip = pre if self.activate_before_residual else x
        return out + self.shortcut(skip)


class WideResNet(_LogitsHead):
    """Wide residual network (WRN-depth-k) for 32x32 images.

    The WRN-28-2 used by MixMatch and FixMatch: a 3x3 stem convolution with 16
    channels, three groups of ``(depth - 4) / 6`` pre-activation wide basic
    blocks with ``16k``, ``32k`` and ``64k`` channels (stride 2 at the start of
    groups 2 and 3), a final batch norm + LeakyReLU, global average pooling,
    ``dropout`` and ``classifier`` (Zagoruyko & Komodakis, "Wide Residual
    Networks", 2016).

    Parameters
    ----------
    depth : int, default=28
        Network depth; ``(depth - 4)`` must be a positive multiple of 6.
    widen_factor : int, default=2
        Width multiplier ``k``.
    in_channels : int, default=3
        Number of input channels.
    n_classes : int, default=10
        Number of output logits.
    dropout : float, default=0.0
        Dropout probability applied to the embedding, ``0 <= dropout < 1``.
    bn_momentum : float, default=0.001
        Momentum of the batch-norm running statistics (PyTorch convention;
        0.001 corresponds to TensorFlow's decay of 0.999 used by FixMatch).
    leaky_relu_slope : float, default=0.1
        Negative slope of the LeakyReLU activations.

    Attributes
    ----------
    stem : torch.nn.Conv2d
        Stem convolution.
    block1, block2, block3 : torch.nn.Sequential
        The three groups of wide blocks.
    bn, act : torch.nn.Module
        Final batch norm and LeakyReLU.
    pool : torch.nn.AdaptiveAvgPool2d
        Global average pooling.
    dropout : torch.nn.Dropout
        Dropout applied before ``classifier``.
    classifier : torch.nn.Linear
        Final ``Linear(64 * widen_factor, n_classes)`` layer.
    embedding_dim : int
        Equal to ``64 * widen_factor`` (read-only).

    Examples
    --------
    >>> import torch
    >>> from skactive.nets.modules import WideResNet
    >>> m = WideResNet(depth=28, widen_factor=2, n_classes=10).eval()
    >>> m(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 10])
    >>> m.embedding_dim
    128
    """

    _parameter_constraints = {
        "depth": [Interval(numbers.Integral, 10, None, closed="left")],
        "widen_factor": _POSITIVE,
        "in_channels": _POSITIVE,
        "n_classes": _POSITIVE,
        "dropout": _DROPOUT,
        "bn_momentum": [Interval(numbers.Real, 0, 1, closed="right")],
        "leaky_relu_slope": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        depth=28,
        widen_factor=2,
        in_channels=3,
        n_classes=10,
        dropout=0.0,
        bn_momentum=0.001,
        leaky_relu_slope=0.1,
    ):
        super().__init__()
        _validated(
            self,
            depth=depth,
            widen_factor=widen_factor,
            in_channels=in_channels,
            n_classes=n_classes,
            dropout=dropout,
            bn_momentum=bn_momentum,
            leaky_relu_slope=leaky_relu_slope,
        )
        if depth < 10 or (depth - 4) % 6 != 0:
            raise InvalidParameterError(
                "WideResNet: depth must satisfy (depth - 4) % 6 == 0 with "
                f"depth >= 10 (e.g. 10, 16, 22, 28), got {depth!r}."
            )
        self.depth = int(depth)
        self.widen_factor = int(widen_factor)
        self.in_channels = int(in_channels)
        self.n_classes = int(n_classes)
        self.dropout_rate = float(dropout)
        self.bn_momentum = float(bn_momentum)
        self.leaky_relu_slope = float(leaky_relu_slope)

        n = (depth - 4) // 6
        k = self.widen_factor
        widths = (16, 16 * k, 32 * k, 64 * k)
        self.stem = nn.Conv2d(self.in_channels, widths[0], 3, padding=1, bias=False)
        groups = []
        for g, stride in enumerate((1, 2, 2)):
            blocks = []
            for i in range(n):
                blocks.append(
                    _WideBlock(
                        widths[g] if i == 0 else widths[g + 1],
                        widths[g + 1],
                        stride if i == 0 else 1,
                        self.bn_momentum,
                        self.leaky_relu_slope,
                        activate_before_residual=(g == 0 and i == 0),
                    )
                )
            groups.append(nn.Sequential(*blocks))
        self.block1, self.block2, self.block3 = groups
        self.bn = nn.BatchNorm2d(widths[3], momentum=self.bn_momentum)
        self.act = nn.LeakyReLU(self.leaky_relu_slope, inplace=True)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self._embedding_dim = widths[3]
        self.dropout = nn.Dropout(self.dropout_rate)
        self.classifier = nn.Linear(widths[3], self.n_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(
                    m.weight,
                    a=self.leaky_relu_slope,
                    mode="fan_out",
                    nonlinearity="leaky_relu",
                )
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def features(self, x):
        """Return the pooled embedding (before dropout).

        Parameters
        ----------
        x : torch.Tensor of shape (N, in_channels, H, W)

        Returns
        -------
        torch.Tensor of shape (N, 64 * widen_factor)
        """
        x = self.stem(_as_param_dtype(x, self))
        x = self.block3(self.block2(self.block1(x)))
        x = self.act(self.bn(x))
        return torch.flatten(self.pool(x), 1)


# --------------------------------------------------------------------------- #
# building modules
# --------------------------------------------------------------------------- #
def accepted_kwargs(module_cls):
    """Names of the keyword arguments a module class's constructor accepts.

    The nets and the representation learners pass sizes inferred from the
    data (``n_classes``, ``n_features``, ``in_channels``) only to modules
    that accept them.
    """
    try:
        params = inspect.signature(module_cls).parameters
    except (TypeError, ValueError):
        return set()
    return {
        name
        for name, p in params.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def _check_projector_dims(value, caller="make_projector", name="dims"):
    validate_parameter(value, name, [PositiveInts()], caller)
    return PositiveInts.as_tuple(value)


@validate_params({"in_features": _POSITIVE, "dims": [PositiveInts()]})
def make_projector(in_features, dims):
    """Barlow Twins projector MLP (Zbontar et al.).

    ``Linear -> BatchNorm1d -> ReLU`` for every hidden layer, then a final
    ``Linear``; no biases (batch norm follows every hidden linear layer, and
    the loss standardises the output along the batch).

    Parameters
    ----------
    in_features : int
        Encoder output size.
    dims : sequence of int
        Output sizes of the layers; the last one is the embedding size ``D``
        of the loss.

    Returns
    -------
    torch.nn.Sequential

    Examples
    --------
    >>> import torch
    >>> from skactive.nets import make_projector
    >>> p = make_projector(16, (32, 8))
    >>> [type(m).__name__ for m in p]
    ['Linear', 'BatchNorm1d', 'ReLU', 'Linear']
    >>> p(torch.zeros(4, 16)).shape
    torch.Size([4, 8])
    """
    dims = PositiveInts.as_tuple(dims)
    layers = []
    width = int(in_features)
    for d in dims[:-1]:
        layers += [nn.Linear(width, d, bias=False), nn.BatchNorm1d(d), nn.ReLU(True)]
        width = d
    layers.append(nn.Linear(width, dims[-1], bias=False))
    return nn.Sequential(*layers)
