import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch.dataset import ValidSplit

from skactive.losses import ISDALoss
from skactive.nets import MLP, DeepClassifier, SmallCNN
from skactive.nets.isda import ISDAClassifier

from ._sklearn_checks import SKORCH_EXPECTED_FAILURES


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # tiny nets on shared cores: intra-op threads only add contention
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# The same two skorch-related entries as tests/test_nets.py, for the same reasons.
EXPECTED_FAILED_CHECKS = SKORCH_EXPECTED_FAILURES


def _check_net():
    return ISDAClassifier(
        MLP,
        max_epochs=15,
        lr=0.03,
        batch_size=128,
        random_state=0,
        module__hidden_units=(16,),
        module__dropout=0.0,
    )


@parametrize_with_checks(
    [_check_net()], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _frozen(**kwargs):
    """One epoch with lr=0: the features do not change while statistics build."""
    params = dict(
        max_epochs=1,
        lr=0.0,
        optimizer=torch.optim.SGD,
        batch_size=32,
        random_state=0,
        module__hidden_units=(12,),
    )
    params.update(kwargs)
    return ISDAClassifier(MLP, **params)


@pytest.mark.parametrize("diagonal", [False, True])
def test_statistics_are_the_class_moments_of_frozen_features(digits, diagonal):
    X, y = digits[0][:150], digits[1][:150]
    net = _frozen(diagonal=diagonal, module__dropout=0.5).fit(X, y)
    feats = net.embed(X).astype(np.float64)  # eval mode: no dropout
    np.testing.assert_array_equal(net.class_counts_, np.bincount(y, minlength=10))
    for c in range(10):
        fc = feats[y == c]
        np.testing.assert_allclose(net.class_means_[c], fc.mean(0), atol=1e-5)
        cov = np.cov(fc, rowvar=False, bias=True)
        expected = np.diag(cov) if diagonal else cov
        np.testing.assert_allclose(net.class_covariances_[c], expected, atol=1e-5)
    d = net.module_.embedding_dim
    assert net.class_covariances_.shape == ((10, d) if diagonal else (10, d, d))


def test_loss_is_plain_ce_at_lambda_zero_then_isda(digits):
    X, y = digits[0][:120], digits[1][:120]
    net = _frozen(max_epochs=2, batch_size=len(X), module__dropout=0.0).fit(X, y)
    module = net.module_.eval()
    with torch.no_grad():
        feats = module.features(torch.as_tensor(X)).double()
    W = module.classifier.weight.detach().double()
    b = module.classifier.bias.detach().double()
    yt = torch.as_tensor(y)
    logits = feats @ W.T + b
    ce = torch.nn.functional.cross_entropy(logits, yt).item()
    losses = net.history[:, "train_loss"]
    assert losses[0] == pytest.approx(ce, rel=1e-5)  # epoch 0: lambda = 0
    # epoch 1: lambda = 0.25 with the (unchanged) class covariances
    lam = net.history[1, "isda_lambda"]
    assert lam == pytest.approx(0.25)
    cov = torch.as_tensor(net.class_covariances_, dtype=torch.float64)
    aug = logits.clone()
    for i in range(len(X)):
        diff = W - W[yt[i]]  # (C, d)
        aug[i] += 0.5 * lam * ((diff @ cov[yt[i]]) * diff).sum(1)
    isda = torch.nn.functional.cross_entropy(aug, yt).item()
    assert losses[1] == pytest.approx(isda, rel=1e-5)
    assert losses[1] > losses[0]


def test_lambda_schedule_restarts_every_fit(digits):
    X, y = digits[0][:64], digits[1][:64]
    net = ISDAClassifier(
        MLP, max_epochs=4, lambda0=0.8, random_state=0, warm_start=True
    ).fit(X, y)
    expected = [0.0, 0.2, 0.4, 0.6]
    np.testing.assert_allclose(net.history[:, "isda_lambda"], expected)
    assert net.isda_lambda_ == pytest.approx(0.6)
    net.partial_fit(X, y)
    np.testing.assert_allclose(net.history[:, "isda_lambda"], expected * 2)
    # warm start keeps accumulating the statistics
    assert net.class_counts_.sum() == 8 * len(X)


def test_exposed_attributes_and_predict_proba(digit_images):
    X, y = digit_images
    net = ISDAClassifier(
        SmallCNN,
        max_epochs=2,
        random_state=0,
        diagonal=True,
        module__channels=(8,),
        module__hidden_units=24,
    ).fit(X[:120], y[:120])
    assert net.class_means_.shape == (10, 24)
    assert net.class_covariances_.shape == (10, 24)
    assert net.coef_.shape == (10, 24) and net.intercept_.shape == (10,)
    for name in ("class_means_", "class_covariances_", "coef_", "intercept_"):
        assert isinstance(getattr(net, name), np.ndarray)
    assert (net.class_covariances_ >= 0).all()
    # predict_proba is the softmax of the plain logits of the embedding
    emb = net.embed(X[200:230])
    logits = emb @ net.coef_.T + net.intercept_
    expected = torch.softmax(torch.as_tensor(logits), -1).numpy()
    np.testing.assert_allclose(net.predict_proba(X[200:230]), expected, atol=1e-5)


def test_module_without_features_uses_the_head_input(digits):
    X, y = digits[0][:80], digits[1][:80]

    class Plain(torch.nn.Module):
        def __init__(self, n_features=64, n_classes=10):
            super().__init__()
            self.body = torch.nn.Sequential(
                torch.nn.Linear(n_features, 6), torch.nn.Tanh()
            )
            self.out = torch.nn.Linear(6, n_classes)

        def forward(self, x):
            return self.out(self.body(x))

    net = ISDAClassifier(
        Plain, max_epochs=1, lr=0.0, optimizer=torch.optim.SGD, random_state=0
    ).fit(X, y)
    assert net.class_covariances_.shape == (10, 6, 6)
    assert net.coef_.shape == (10, 6)
    with torch.no_grad():
        feats = net.module_.body(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(net.class_means_[3], feats[y == 3].mean(0), atol=1e-5)


def test_validation_split_does_not_touch_statistics(digits):
    X, y = digits[0][:100], digits[1][:100]
    # valid_acc is off: DeepClassifier.predict does not accept skorch's Subset
    net = _frozen(train_split=ValidSplit(5), callbacks__valid_acc=None).fit(X, y)
    assert net.class_counts_.sum() == 80
    assert np.isfinite(net.history[-1, "valid_loss"])


def test_params_clone_and_errors(digits):
    X, y = digits[0][:40], digits[1][:40]
    net = ISDAClassifier(MLP, lambda0=0.3, diagonal=True, random_state=0)
    params = net.get_params()
    assert params["lambda0"] == 0.3 and params["diagonal"] is True
    assert params["criterion"] is ISDALoss
    cloned = clone(net)
    assert cloned.lambda0 == 0.3 and cloned.diagonal is True
    with pytest.raises(ValueError, match="lambda0 must be"):
        ISDAClassifier(MLP, lambda0=-1.0, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="diagonal must be a bool"):
        ISDAClassifier(MLP, diagonal="yes", max_epochs=1).fit(X, y)
    with pytest.raises(TypeError, match="needs an ISDALoss criterion"):
        ISDAClassifier(MLP, criterion=torch.nn.CrossEntropyLoss, max_epochs=1).fit(X, y)


def test_changed_module_rebuilds_the_criterion(digits):
    X, y = digits[0][:60], digits[1][:60]
    net = _frozen(warm_start=True).fit(X, y)
    net.set_params(diagonal=True)
    net.fit(X, y)
    assert net.class_covariances_.shape == (10, 12)


def test_digits_50_labels_not_worse_than_supervised(digits):
    X, y = digits
    rng = np.random.RandomState(0)
    perm = rng.permutation(len(y))
    labeled = np.concatenate([perm[y[perm] == c][:5] for c in range(10)])
    test = np.setdiff1d(np.arange(len(y)), labeled)[:600]
    params = dict(max_epochs=60, lr=1e-2, batch_size=50, random_state=0)
    params["module__hidden_units"] = (64,)
    sup = DeepClassifier(MLP, **params).fit(X[labeled], y[labeled])
    isda = ISDAClassifier(MLP, **params).fit(X[labeled], y[labeled])
    acc_sup = (sup.predict(X[test]) == y[test]).mean()
    acc_isda = (isda.predict(X[test]) == y[test]).mean()
    assert acc_isda >= 0.7
    assert acc_isda >= acc_sup - 0.04, (acc_isda, acc_sup)
