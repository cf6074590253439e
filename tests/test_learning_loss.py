"""Learning Loss for Active Learning: the ranking loss, the loss-prediction
module and net (skactive/nets/loss_prediction.py) and the strategy."""

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from skactive._validation import InvalidParameterError
from skactive.losses import LossRankingLoss
from skactive.nets import MLP, LossPredictionClassifier, LossPredictionModule, SmallCNN
from skactive.nets.loss_prediction import _tapped, loss_blocks
from skactive.strategies import LearningLoss, make_strategy


def _ranking_loop(pred, true, margin, reduction="mean"):
    """Eq. 2 of the paper, pair by pair: (i, b-1-i) for i < b // 2."""
    b = len(pred)
    terms = []
    for i in range(b // 2):
        j = b - 1 - i
        sign = 1.0 if true[i] > true[j] else -1.0
        terms.append(max(0.0, -sign * (pred[i] - pred[j]) + margin))
    if not terms:
        return 0.0
    return float(np.mean(terms) if reduction == "mean" else np.sum(terms))


@pytest.mark.parametrize("b", [1, 2, 7, 16])
@pytest.mark.parametrize("margin", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_ranking_loss_matches_a_loop(b, margin, reduction):
    g = torch.Generator().manual_seed(b)
    pred = torch.randn(b, generator=g)
    true = torch.rand(b, generator=g)
    true[0] = true[-1]  # a tie counts as "not greater": sign -1
    got = LossRankingLoss(margin, reduction)(pred, true)
    expected = _ranking_loop(pred.tolist(), true.tolist(), margin, reduction)
    assert got.item() == pytest.approx(expected, abs=1e-6)


def test_ranking_loss_gradient_reaches_the_prediction_only():
    pred = torch.tensor([0.0, 0.3, 0.1, 0.2], requires_grad=True)
    true = torch.tensor([1.0, 0.0, 2.0, 0.5], requires_grad=True)
    LossRankingLoss()(pred, true).backward()
    assert true.grad is None
    # pairs (0, 3): l0 > l3, sign +1, d/dpred0 = -1/2, d/dpred3 = +1/2;
    # (1, 2): l1 < l2, sign -1, d/dpred1 = +1/2, d/dpred2 = -1/2
    np.testing.assert_allclose(pred.grad.numpy(), [-0.5, 0.5, -0.5, 0.5])


def test_ranking_loss_refuses_bad_values():
    with pytest.raises(InvalidParameterError, match="margin must"):
        LossRankingLoss(-1.0)
    with pytest.raises(InvalidParameterError, match="reduction must"):
        LossRankingLoss(reduction="max")
    with pytest.raises(InvalidParameterError, match="one loss per row"):
        LossRankingLoss()(torch.zeros(4), torch.zeros(3))


def test_loss_module_is_fc_per_block_concat_linear():
    torch.manual_seed(0)
    m = LossPredictionModule([3, 5], width=4)
    f1, f2 = torch.randn(6, 3), torch.randn(6, 5)
    h1 = torch.relu(f1 @ m.fcs[0][0].weight.T + m.fcs[0][0].bias)
    h2 = torch.relu(f2 @ m.fcs[1][0].weight.T + m.fcs[1][0].bias)
    expected = torch.cat([h1, h2], 1) @ m.out.weight.T + m.out.bias
    torch.testing.assert_close(m([f1, f2]), expected[:, 0])
    with pytest.raises(InvalidParameterError, match="2 feature blocks"):
        m([f1])


def test_default_blocks_of_the_skactive_modules():
    assert loss_blocks(MLP(4, 3, hidden_units=(8, 6))) == ["body.2", "body.4"]
    assert loss_blocks(MLP(4, 3, hidden_units=())) == ["<embedding>"]
    assert loss_blocks(SmallCNN(channels=(4, 8, 8))) == [
        "conv.2",
        "conv.5",
        "conv.8",
        "fc",
    ]


def test_the_module_sees_the_intended_intermediate_features():
    torch.manual_seed(0)
    cnn = SmallCNN(in_channels=1, n_classes=3, channels=(4, 6)).eval()
    x = torch.randn(5, 1, 16, 16)
    with _tapped(cnn, loss_blocks(cnn), cnn.classifier) as taps:
        cnn(x)
    first, second, fc = taps.features()
    # global average pooling of each block's output, computed by hand
    torch.testing.assert_close(first, cnn.conv[:3](x).mean(dim=(2, 3)))
    torch.testing.assert_close(second, cnn.conv[:6](x).mean(dim=(2, 3)))
    torch.testing.assert_close(fc, cnn.fc(cnn.conv(x)))
    mlp = MLP(4, 3, hidden_units=()).eval()
    x = torch.randn(5, 4)
    with _tapped(mlp, ["<embedding>"], mlp.classifier) as taps:
        mlp(x)
    torch.testing.assert_close(taps.features()[0], x)


def test_resnet_stages_are_the_papers_four_blocks():
    from skactive.nets import ResNet18, WideResNet

    torch.manual_seed(0)
    x = torch.randn(2, 3, 16, 16)
    resnet = ResNet18(in_channels=3, n_classes=4).eval()
    names = loss_blocks(resnet)
    assert names == ["layer1", "layer2", "layer3", "layer4"]
    with torch.no_grad(), _tapped(resnet, names, resnet.classifier) as taps:
        resnet(x)
        h = resnet.stem(x)
        expected = []
        for stage in (resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4):
            h = stage(h)
            expected.append(h.mean(dim=(2, 3)))  # global average pooling
    assert [f.shape[1] for f in taps.features()] == [64, 128, 256, 512]
    for got, want in zip(taps.features(), expected, strict=True):
        torch.testing.assert_close(got, want)
    wrn = WideResNet(depth=10, widen_factor=1, n_classes=4).eval()
    names = loss_blocks(wrn)
    assert names == ["block1", "block2", "block3"]
    with torch.no_grad(), _tapped(wrn, names, wrn.classifier) as taps:
        wrn(x)
        h = wrn.block1(wrn.stem(x))
        torch.testing.assert_close(taps.features()[0], h.mean(dim=(2, 3)))
    assert [f.shape[1] for f in taps.features()] == [16, 32, 64]


def test_net_reads_its_blocks_and_predicts_a_loss_per_row(digits):
    X, y = digits
    net = LossPredictionClassifier(
        MLP, max_epochs=2, random_state=0, module__hidden_units=(16, 8), loss_width=4
    ).fit(X[:100], y[:100])
    assert net.loss_blocks_ == ["body.2", "body.4"]
    assert net.lossnet_.in_features == [16, 8]
    assert [fc[0].out_features for fc in net.lossnet_.fcs] == [4, 4]
    pred = net.predict_loss(X[100:150])
    assert pred.shape == (50,) and pred.dtype == np.float32
    # the same as the module applied by hand to the features
    module = net.module_.eval()
    x = torch.as_tensor(X[100:150])
    with torch.no_grad():
        h1 = module.body[:3](x)
        h2 = module.body[:5](x)
        expected = net.lossnet_.eval()([h1, h2]).numpy()
    np.testing.assert_allclose(pred, expected, rtol=1e-5, atol=1e-6)
    assert net.predict_proba(X[:3]).shape == (3, 10)


def _backbone(net):
    return {k: v.clone() for k, v in net.module_.state_dict().items()}


def test_stop_gradient_keeps_the_ranking_loss_out_of_the_backbone(digits):
    X, y = digits
    kw = {"max_epochs": 3, "random_state": 0, "module__hidden_units": (16,)}

    def fit(**extra):
        net = LossPredictionClassifier(MLP, **kw, **extra)
        return _backbone(net.fit(X[:96], y[:96]))

    plain = fit(loss_weight=0.0, stop_gradient_epoch=None)
    stopped = fit(loss_weight=1.0, stop_gradient_epoch=0)
    joint = fit(loss_weight=1.0, stop_gradient_epoch=None)
    late = fit(loss_weight=1.0, stop_gradient_epoch=2)
    for k in plain:  # stopped from the first epoch: the backbone never sees it
        torch.testing.assert_close(stopped[k], plain[k], rtol=0, atol=0)
    assert any(not torch.equal(joint[k], plain[k]) for k in plain)
    assert any(not torch.equal(late[k], plain[k]) for k in plain)


def test_stop_gradient_fraction_of_max_epochs():
    net = LossPredictionClassifier(MLP, max_epochs=200, stop_gradient_epoch=0.6)
    assert net._stop_epoch() == 120
    assert LossPredictionClassifier(MLP, stop_gradient_epoch=3)._stop_epoch() == 3


def test_predicted_loss_ranks_the_true_loss_on_held_out_digits(digits):
    X, y = digits
    torch.set_num_threads(1)
    net = LossPredictionClassifier(
        MLP, max_epochs=15, random_state=0, module__hidden_units=(64, 32)
    ).fit(X[:600], y[:600])
    X_held, y_held = X[1200:], y[1200:]
    proba = net.predict_proba(X_held)
    true_loss = -np.log(np.clip(proba[np.arange(len(y_held)), y_held], 1e-12, None))
    rho = spearmanr(net.predict_loss(X_held), true_loss).statistic
    assert rho > 0.3, rho


def test_bad_blocks_and_criterion_are_refused(digits):
    X, y = digits
    with pytest.raises(InvalidParameterError, match="'nope' is not a submodule"):
        LossPredictionClassifier(MLP, loss_blocks=["nope"], max_epochs=1).fit(
            X[:40], y[:40]
        )
    with pytest.raises(InvalidParameterError, match="loss_blocks must"):
        LossPredictionClassifier(MLP, loss_blocks=[], max_epochs=1).fit(X[:40], y[:40])

    class NoReduction(torch.nn.Module):
        def forward(self, logits, y):
            return torch.nn.functional.cross_entropy(logits, y, reduction="none")

    with pytest.raises(InvalidParameterError, match="criterion must compute"):
        LossPredictionClassifier(MLP, criterion=NoReduction, max_epochs=1).fit(
            X[:40], y[:40]
        )


def test_images_through_a_cnn(digit_images):
    X, y = digit_images
    net = LossPredictionClassifier(
        SmallCNN, max_epochs=1, random_state=0, module__channels=(4, 8)
    ).fit(X[:64], y[:64])
    assert net.loss_blocks_ == ["conv.2", "conv.5", "fc"]
    assert net.lossnet_.in_features == [4, 8, 128]
    assert net.predict_loss(X[64:70]).shape == (6,)


def test_strategy_takes_the_highest_predicted_losses(digits):
    X, y = digits
    net = LossPredictionClassifier(MLP, max_epochs=2, random_state=0).fit(
        X[:100], y[:100]
    )
    pool = X[100:400]
    scores = net.predict_loss(pool)
    idx = LearningLoss(R=None, random_state=0)(net, pool, 7)
    np.testing.assert_array_equal(idx, np.argsort(-scores, kind="stable")[:7])
    # on a random subset of R rows: the best of those rows
    idx = LearningLoss(R=50, random_state=3)(net, pool, 5)
    subset = np.sort(np.random.RandomState(3).choice(len(pool), 50, replace=False))
    best = subset[np.argsort(-scores[subset], kind="stable")[:5]]
    np.testing.assert_array_equal(np.sort(idx), np.sort(best))


def test_strategy_needs_predict_loss(digits):
    from sklearn.linear_model import LogisticRegression

    X, y = digits
    clf = LogisticRegression(max_iter=200).fit(X[:100], y[:100])
    with pytest.raises(InvalidParameterError, match="no predict_loss"):
        LearningLoss()(clf, X[100:200], 2)
    assert isinstance(make_strategy("learning_loss"), LearningLoss)
