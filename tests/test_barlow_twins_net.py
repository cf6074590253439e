import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.base import clone

from skactive.augment import make_augmentation
from skactive.losses import BarlowTwinsLoss
from skactive.nets import MLP, SmallCNN, to_float_tensor
from skactive.nets._semi import SemiSupervisedBatch
from skactive.nets.barlow_twins import BarlowTwinsClassifier


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # tiny nets on shared cores: intra-op threads only add contention
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def semi_images(digit_images):
    X, y = digit_images
    X, y = X[:400], y[:400]
    y_semi = np.where(np.arange(len(y)) < 60, y, -1)
    return X, y, y_semi


def _net(**kwargs):
    params = dict(
        max_epochs=1,
        steps_per_epoch=3,
        batch_size=16,
        projector_dims=(32, 16),
        random_state=0,
        module__channels=(8,),
        module__hidden_units=24,
    )
    params.update(kwargs)
    return BarlowTwinsClassifier(SmallCNN, **params)


def _batch(X, y, n_labeled=12, n_unlabeled=20, offset=100):
    return SemiSupervisedBatch(
        torch.as_tensor(X[:n_labeled]),
        torch.as_tensor(y[:n_labeled]),
        torch.as_tensor(X[offset : offset + n_unlabeled]),
        torch.arange(n_unlabeled),
    )


def test_joint_loss_is_ce_plus_gamma_barlow_by_hand(semi_images):
    X, y, y_semi = semi_images
    net = _net(module__dropout=0.0).fit(X, y_semi)
    batch = _batch(X, y)
    module = net.module_.train()
    loss, ce, barlow, logits = net.joint_loss(batch, torch.Generator().manual_seed(5))

    xl = to_float_tensor(batch.X_labeled)
    xu = to_float_tensor(batch.X_unlabeled)
    ce_hand = F.cross_entropy(module.backbone(xl), batch.y_labeled)
    g = torch.Generator().manual_seed(5)
    aug = make_augmentation("ssl", (1, 8, 8))
    x_all = torch.cat([xl, xu])
    v1 = aug(x_all, generator=g)
    v2 = aug(x_all, generator=g)
    z1 = module.projector(module.backbone.features(v1))
    z2 = module.projector(module.backbone.features(v2))
    bt_hand = BarlowTwinsLoss(lambda_offdiag=5e-3)(z1, z2)

    torch.testing.assert_close(ce, ce_hand)
    torch.testing.assert_close(barlow, bt_hand)
    torch.testing.assert_close(loss, ce_hand + 0.001 * bt_hand)
    assert logits.shape == (12, 10)
    assert barlow.item() > 0


def test_divergence_guard_scales_the_barlow_term(semi_images):
    X, y, y_semi = semi_images
    net = _net(module__dropout=0.0).fit(X, y_semi)
    assert net.unlabeled_scale_ == 1.0  # a healthy 3-step fit: no back-off
    net.module_.eval()  # deterministic batch norm for the comparison
    net.unlabeled_scale_ = 0.25
    loss, ce, barlow, _ = net.joint_loss(_batch(X, y), torch.Generator().manual_seed(2))
    torch.testing.assert_close(loss, ce + 0.001 * 0.25 * barlow)
    assert barlow.item() > 0


def _strict_guard(**kwargs):
    # back off at the first step whose labeled loss exceeds the lowest so far
    return _net(
        max_epochs=3,
        gamma=1.0,
        callbacks__divergence_guard__patience=1,
        callbacks__divergence_guard__tolerance=0.0,
        callbacks__divergence_guard__min_delta=0.0,
        callbacks__divergence_guard__smoothing=0.0,
        callbacks__divergence_guard__recovery=None,
        **kwargs,
    )


def test_divergence_guard_backs_off_on_a_rising_labeled_loss(semi_images):
    from skactive.callbacks import DivergenceWarning

    X, _, y_semi = semi_images
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DivergenceWarning)
        net = _strict_guard().fit(X, y_semi)
    guard = dict(net.callbacks_)["divergence_guard"]
    ce = [b["ce_loss"] for epoch in net.history for b in epoch["batches"]]
    # with no smoothing and no tolerance, a back-off is a step above the
    # running minimum of the labeled loss (the watch restarts after each)
    rises, best = 0, None
    for loss in ce:
        if best is not None and loss > best:
            rises, best = rises + 1, None
        else:
            best = loss if best is None else min(best, loss)
    assert guard.n_backoffs_ == rises > 0
    assert net.unlabeled_scale_ == pytest.approx(0.5**rises)
    backoffs = [w for w in caught if issubclass(w.category, DivergenceWarning)]
    assert len(backoffs) == rises


def test_divergence_guard_can_be_switched_off(semi_images):
    from skactive.callbacks import DivergenceWarning

    X, _, y_semi = semi_images
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DivergenceWarning)
        net = _net(max_epochs=3, gamma=1.0, callbacks__divergence_guard=None)
        net.fit(X, y_semi)
    assert "divergence_guard" not in dict(net.callbacks_)
    assert net.unlabeled_scale_ == 1.0
    assert not [w for w in caught if issubclass(w.category, DivergenceWarning)]


def test_unlabeled_rows_enter_only_the_barlow_term(semi_images):
    X, y, y_semi = semi_images
    net = _net(module__dropout=0.0).fit(X, y_semi)
    net.module_.eval()  # deterministic batch norm for the comparison
    _, ce_a, bt_a, _ = net.joint_loss(_batch(X, y), torch.Generator().manual_seed(1))
    _, ce_b, bt_b, _ = net.joint_loss(
        _batch(X, y, offset=200), torch.Generator().manual_seed(1)
    )
    torch.testing.assert_close(ce_a, ce_b)
    assert not torch.allclose(bt_a, bt_b)


@pytest.mark.parametrize("gamma", [0.0, 0.001])
def test_unlabeled_content_matters_only_through_barlow(semi_images, gamma):
    X, _, y_semi = semi_images
    poisoned = X.copy()
    rng = np.random.RandomState(0)
    unlabeled = y_semi == -1
    poisoned[unlabeled] = rng.randint(0, 256, poisoned[unlabeled].shape)
    a = _net(gamma=gamma).fit(X, y_semi).predict_proba(X[:50])
    b = _net(gamma=gamma).fit(poisoned, y_semi).predict_proba(X[:50])
    if gamma == 0:
        np.testing.assert_array_equal(a, b)
    else:
        assert not np.allclose(a, b)


def test_history_fit_attributes_and_seeding(semi_images):
    X, _, y_semi = semi_images
    torch.manual_seed(3)
    before = torch.get_rng_state()
    net = _net().fit(X, y_semi)
    assert torch.equal(torch.get_rng_state(), before)
    np.testing.assert_array_equal(net.classes_, np.arange(10))
    assert (net.n_labeled_, net.n_unlabeled_) == (60, 340)
    for batch in net.history[-1, "batches"]:
        expected = batch["ce_loss"] + 0.001 * batch["barlow_loss"]
        assert batch["train_loss"] == pytest.approx(expected, rel=1e-5)
    again = _net().fit(X, y_semi)
    np.testing.assert_array_equal(
        net.predict_proba(X[:20]), again.predict_proba(X[:20])
    )
    # the projector is trained with the rest of the module
    init = _net(max_epochs=1, lr=0.0).fit(X, y_semi)  # initial weights
    assert not torch.allclose(
        init.module_.projector[0].weight, net.module_.projector[0].weight
    )
    assert [type(m).__name__ for m in net.module_.projector] == [
        "Linear",
        "BatchNorm1d",
        "ReLU",
        "Linear",
    ]
    assert net.module_.projector[-1].out_features == 16


def test_embed_is_the_encoder_output(semi_images):
    X, _, y_semi = semi_images
    net = _net().fit(X, y_semi)
    emb = net.embed(X[:15])
    assert emb.shape == (15, 24) == (15, net.module_.embedding_dim)
    with torch.no_grad():
        expected = net.module_.eval().backbone.features(
            to_float_tensor(torch.as_tensor(X[:15]))
        )
    np.testing.assert_allclose(emb, expected.numpy(), atol=1e-5)
    logits = emb @ net.module_.classifier.weight.detach().numpy().T
    logits += net.module_.classifier.bias.detach().numpy()
    np.testing.assert_allclose(
        net.predict_proba(X[:15]),
        torch.softmax(torch.as_tensor(logits), -1).numpy(),
        atol=1e-5,
    )


def test_get_params_and_clone():
    net = BarlowTwinsClassifier(
        MLP, gamma=0.01, projector_dims=(64, 32), augmentation="standard", mu=2
    )
    params = net.get_params()
    assert params["gamma"] == 0.01 and params["projector_dims"] == (64, 32)
    assert params["lambda_offdiag"] == 5e-3 and params["augmentation"] == "standard"
    assert params["mu"] == 2
    cloned = clone(net)
    assert cloned.get_params()["gamma"] == 0.01
    assert cloned.set_params(gamma=0.5).gamma == 0.5
    assert BarlowTwinsClassifier._learns_from_unlabeled


def test_feature_vectors_need_a_callable_augmentation(digits):
    X, y = digits
    X, y = X[:200], y[:200]
    y_semi = np.where(np.arange(len(y)) < 40, y, -1)
    with pytest.raises(ValueError, match="needs image inputs"):
        BarlowTwinsClassifier(MLP, max_epochs=1).fit(X, y_semi)

    def noise(x, generator=None):
        return x + 0.1 * torch.randn(x.shape, generator=generator)

    net = BarlowTwinsClassifier(
        MLP,
        augmentation=noise,
        max_epochs=1,
        steps_per_epoch=2,
        projector_dims=(16,),
        random_state=0,
    ).fit(X, y_semi)
    assert net.embed(X[:3]).shape == (3, 256)


def test_invalid_parameters(semi_images):
    X, _, y_semi = semi_images
    with pytest.raises(ValueError, match="gamma must be"):
        _net(gamma=-1.0).fit(X, y_semi)
    with pytest.raises(ValueError, match="projector_dims must be"):
        _net(projector_dims=(32, 0)).fit(X, y_semi)
    with pytest.raises(TypeError, match="augmentation must be"):
        _net(augmentation=3).fit(X, y_semi)

    class NoFeatures(torch.nn.Module):
        def __init__(self, n_classes=10):
            super().__init__()
            self.classifier = torch.nn.Linear(64, n_classes)

        def forward(self, x):
            return self.classifier(x.flatten(1).float())

    with pytest.raises(TypeError, match="needs a module with features"):
        BarlowTwinsClassifier(NoFeatures, max_epochs=1).fit(X, y_semi)


def test_digits_50_labels_learns_and_matches_supervised(digit_images):
    X, y = digit_images
    rng = np.random.RandomState(0)
    perm = rng.permutation(len(y))
    labeled = np.concatenate([perm[y[perm] == c][:5] for c in range(10)])
    unlabeled = np.setdiff1d(perm[:700], labeled)
    test = np.setdiff1d(np.arange(len(y)), perm[:700])
    train = np.concatenate([labeled, unlabeled])
    y_semi = np.full(len(train), -1)
    y_semi[: len(labeled)] = y[labeled]
    params = dict(
        max_epochs=4,
        lr=2e-3,
        batch_size=32,
        projector_dims=(128, 64),
        random_state=0,
        module__hidden_units=(128,),
    )
    # the supervised control: same steps and batches, gamma = 0
    sup = BarlowTwinsClassifier(MLP, gamma=0.0, **params).fit(X[train], y_semi)
    bt = BarlowTwinsClassifier(MLP, **params).fit(X[train], y_semi)
    acc_sup = (sup.predict(X[test]) == y[test]).mean()
    acc_bt = (bt.predict(X[test]) == y[test]).mean()
    assert acc_bt >= 0.7  # chance is 0.1
    assert acc_bt >= acc_sup - 0.03, (acc_bt, acc_sup)
