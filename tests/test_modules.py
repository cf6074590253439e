"""Tests for the plain torch modules in ``skactive.nets.modules``."""

import pytest
import torch
from torch import nn

from skactive.nets.modules import MLP, ResNet18, SmallCNN, WideResNet

# Small factories so that every test builds fresh, seeded modules.
FACTORIES_28 = {
    "mlp": lambda **kw: MLP(28 * 28, 10, hidden_units=(32,), **kw),
    "smallcnn": lambda **kw: SmallCNN(in_channels=1, n_classes=10, **kw),
}
FACTORIES_32 = {
    "mlp": lambda **kw: MLP(3 * 32 * 32, 10, hidden_units=(32, 16), **kw),
    "smallcnn": lambda **kw: SmallCNN(in_channels=3, n_classes=10, **kw),
    "resnet18": lambda **kw: ResNet18(in_channels=3, n_classes=10, **kw),
    "wrn": lambda **kw: WideResNet(depth=10, widen_factor=1, n_classes=10, **kw),
}
ALL_CASES = [(name, 1, 28) for name in FACTORIES_28] + [
    (name, 3, 32) for name in FACTORIES_32
]


def _build(name, size, **kwargs):
    torch.manual_seed(0)
    factories = FACTORIES_28 if size == 28 else FACTORIES_32
    return factories[name](**kwargs)


def _input(channels, size, n=2):
    gen = torch.Generator().manual_seed(1)
    return torch.randn(n, channels, size, size, generator=gen)


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


# --------------------------------------------------------------------------- #
# shapes and the classifier / embedding contract
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name, channels, size", ALL_CASES)
def test_output_shape_and_dtype(name, channels, size):
    module = _build(name, size).eval()
    x = _input(channels, size)
    with torch.no_grad():
        out = module(x)
        feats = module.features(x)
    assert out.shape == (2, 10)
    assert out.dtype == torch.float32
    assert feats.shape == (2, module.embedding_dim)


def test_resnet18_and_wrn28_2_shapes_on_cifar_input():
    x = _input(3, 32)
    for module in (ResNet18(n_classes=7), WideResNet(28, 2, n_classes=7)):
        with torch.no_grad():
            assert module.eval()(x).shape == (2, 7)
    assert ResNet18().embedding_dim == 512
    assert WideResNet(28, 2).embedding_dim == 128
    assert WideResNet(16, 4).embedding_dim == 256


def test_mlp_flattens_and_supports_empty_hidden():
    m = MLP(12, 3, hidden_units=())
    assert m.embedding_dim == 12
    assert m(torch.zeros(4, 3, 2, 2)).shape == (4, 3)
    assert MLP(5, 2, hidden_units=7).embedding_dim == 7
    with pytest.raises(ValueError, match="features"):
        m(torch.zeros(4, 5))


@pytest.mark.parametrize("size", [8, 20, 28, 32, 40])
def test_smallcnn_any_input_size(size):
    module = SmallCNN(in_channels=2, n_classes=4).eval()
    with torch.no_grad():
        assert module(torch.zeros(2, 2, size, size)).shape == (2, 4)


def test_float64_input_is_cast():
    module = MLP(4, 3).eval()
    x = torch.randn(2, 4, dtype=torch.float64)
    out = module(x)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, module(x.float()))


@pytest.mark.parametrize("name, channels, size", ALL_CASES)
def test_classifier_is_last_linear_and_prehook_captures_embedding(name, channels, size):
    module = _build(name, size, dropout=0.3).eval()
    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    assert linears[-1] is module.classifier
    assert isinstance(module.dropout, nn.Dropout)

    captured = []
    handle = module.classifier.register_forward_pre_hook(
        lambda mod, args: captured.append(args[0].detach().clone())
    )
    x = _input(channels, size)
    try:
        with torch.no_grad():
            out = module(x)
            expected = module.dropout(module.features(x))
    finally:
        handle.remove()
    assert len(captured) == 1  # classifier called exactly once
    assert captured[0].shape == (2, module.embedding_dim)
    torch.testing.assert_close(captured[0], expected)
    torch.testing.assert_close(out, module.classifier(expected))


def test_embedding_dim_is_read_only():
    module = MLP(4, 2, hidden_units=(5,))
    with pytest.raises(AttributeError):
        module.embedding_dim = 3


def test_dropout_present_when_zero():
    for module in (MLP(4, 2, dropout=0.0), ResNet18(), WideResNet(10, 1)):
        assert isinstance(module.dropout, nn.Dropout)
        assert module.dropout.p == 0.0


# --------------------------------------------------------------------------- #
# parameter counts
# --------------------------------------------------------------------------- #
def _conv(c_in, c_out, k):
    return c_in * c_out * k * k  # all convolutions are bias-free


def _bn(c):
    return 2 * c  # affine weight + bias


def _wrn_param_count(depth, k, in_channels, n_classes):
    """Closed-form count for the WRN defined in ``skactive.nets.modules``.

    Stem conv3x3 (in -> 16); per group ``(depth - 4) / 6`` pre-activation
    blocks ``BN(c_in), conv3x3(c_in -> c), BN(c), conv3x3(c -> c)`` plus a
    bias-free 1x1 projection when ``c_in != c``; final ``BN(64k)`` and
    ``Linear(64k, n_classes)``. For WRN-28-2 with 10 classes this gives
    432 + 70,112 + 279,488 + 1,116,032 + 256 + 1,290 = 1,467,610, the figure
    commonly quoted for the MixMatch/FixMatch WRN-28-2 ("1.5M parameters").
    """
    n = (depth - 4) // 6
    widths = [16, 16 * k, 32 * k, 64 * k]
    total = _conv(in_channels, 16, 3)
    for g in range(3):
        for i in range(n):
            c_in = widths[g] if i == 0 else widths[g + 1]
            c = widths[g + 1]
            total += _bn(c_in) + _conv(c_in, c, 3) + _bn(c) + _conv(c, c, 3)
            if c_in != c:
                total += _conv(c_in, c, 1)
    return total + _bn(widths[3]) + widths[3] * n_classes + n_classes


def _resnet18_param_count(in_channels, n_classes):
    """Closed-form count for the CIFAR ResNet-18 (post-activation blocks)."""
    total = _conv(in_channels, 64, 3) + _bn(64)
    c_in = 64
    for c, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        for i in range(2):
            cin = c_in if i == 0 else c
            total += _conv(cin, c, 3) + _bn(c) + _conv(c, c, 3) + _bn(c)
            if i == 0 and (stride != 1 or cin != c):
                total += _conv(cin, c, 1) + _bn(c)
        c_in = c
    return total + 512 * n_classes + n_classes


def test_wide_resnet_28_2_parameter_count():
    n = _n_params(WideResNet(depth=28, widen_factor=2, n_classes=10))
    assert n == _wrn_param_count(28, 2, 3, 10) == 1_467_610
    assert abs(n - 1_467_610) / 1_467_610 < 0.02
    n = _n_params(WideResNet(depth=16, widen_factor=4, in_channels=1, n_classes=5))
    assert n == _wrn_param_count(16, 4, 1, 5)


def test_resnet18_parameter_count():
    n = _n_params(ResNet18(in_channels=3, n_classes=10))
    assert n == _resnet18_param_count(3, 10) == 11_173_962
    assert abs(n - 11_173_962) / 11_173_962 < 0.02
    assert _n_params(ResNet18(in_channels=1, n_classes=100)) == (
        _resnet18_param_count(1, 100)
    )


def test_wrn_batchnorm_settings():
    module = WideResNet(10, 1, bn_momentum=0.01, leaky_relu_slope=0.2)
    bns = [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]
    acts = [m for m in module.modules() if isinstance(m, nn.LeakyReLU)]
    assert bns and all(m.momentum == 0.01 for m in bns)
    assert acts and all(m.negative_slope == 0.2 for m in acts)
    assert WideResNet().bn.momentum == 0.001


# --------------------------------------------------------------------------- #
# dropout behaviour
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name, channels, size", ALL_CASES)
def test_dropout_train_vs_eval(name, channels, size):
    module = _build(name, size, dropout=0.5)
    x = _input(channels, size)
    with torch.no_grad():
        module.train()
        torch.manual_seed(10)
        a = module(x)
        torch.manual_seed(11)
        b = module(x)
        assert not torch.allclose(a, b)
        module.eval()
        torch.testing.assert_close(module(x), module(x), rtol=0, atol=0)


# --------------------------------------------------------------------------- #
# argument validation
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "factory, param, bad",
    [
        (lambda v: MLP(v, 2), "n_features", 0),
        (lambda v: MLP(v, 2), "n_features", 2.5),
        (lambda v: MLP(v, 2), "n_features", True),
        (lambda v: MLP(4, v), "n_classes", -1),
        (lambda v: MLP(4, 2, hidden_units=v), "hidden_units", (8, 0)),
        (lambda v: MLP(4, 2, hidden_units=v), "hidden_units", "64"),
        (lambda v: MLP(4, 2, dropout=v), "dropout", 1.0),
        (lambda v: MLP(4, 2, dropout=v), "dropout", -0.1),
        (lambda v: MLP(4, 2, activation=v), "activation", "swishy"),
        (lambda v: SmallCNN(in_channels=v), "in_channels", 0),
        (lambda v: SmallCNN(n_classes=v), "n_classes", 0),
        (lambda v: SmallCNN(channels=v), "channels", ()),
        (lambda v: SmallCNN(channels=v), "channels", (32, -4)),
        (lambda v: SmallCNN(hidden_units=v), "hidden_units", 0),
        (lambda v: SmallCNN(dropout=v), "dropout", 1.5),
        (lambda v: ResNet18(in_channels=v), "in_channels", 0),
        (lambda v: ResNet18(n_classes=v), "n_classes", 1.0),
        (lambda v: ResNet18(dropout=v), "dropout", 1),
        (lambda v: WideResNet(depth=v), "depth", 27),
        (lambda v: WideResNet(depth=v), "depth", 4),
        (lambda v: WideResNet(widen_factor=v), "widen_factor", 0),
        (lambda v: WideResNet(in_channels=v), "in_channels", 0),
        (lambda v: WideResNet(n_classes=v), "n_classes", 0),
        (lambda v: WideResNet(dropout=v), "dropout", 2.0),
        (lambda v: WideResNet(bn_momentum=v), "bn_momentum", 0.0),
        (lambda v: WideResNet(bn_momentum=v), "bn_momentum", 1.5),
        (lambda v: WideResNet(leaky_relu_slope=v), "leaky_relu_slope", -0.1),
    ],
)
def test_bad_arguments_raise(factory, param, bad):
    with pytest.raises(ValueError, match=param) as excinfo:
        factory(bad)
    assert repr(bad) in str(excinfo.value)


# --------------------------------------------------------------------------- #
# tiny overfit check
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", ["mlp", "smallcnn"])
def test_overfits_random_labels(name):
    torch.manual_seed(0)
    x = torch.randn(32, 1, 28, 28)
    y = torch.randint(0, 10, (32,))
    module = _build(name, 28)  # default dropout=0.5, accuracy measured in eval
    optimizer = torch.optim.Adam(module.parameters(), lr=3e-3)
    accuracy = 0.0
    for step in range(300):
        module.train()
        optimizer.zero_grad()
        nn.functional.cross_entropy(module(x), y).backward()
        optimizer.step()
        if step % 10 == 9:
            module.eval()
            with torch.no_grad():
                accuracy = (module(x).argmax(1) == y).float().mean().item()
            if accuracy == 1.0:
                break
    assert accuracy == 1.0, f"{name} reached only {accuracy:.2f} after {step} steps"
