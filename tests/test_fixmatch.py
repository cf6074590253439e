"""FixMatchClassifier: one step against a manual computation, schedule, defaults."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch.callbacks import Callback

from skactive.augment import Compose, Cutout, RandAugment, RandomCropReflect
from skactive.nets import MLP, FixMatchClassifier
from skactive.nets._semi import SemiSupervisedBatch

from ._sklearn_checks import SEMI_SUPERVISED_EXPECTED_FAILURES


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@parametrize_with_checks(
    [
        FixMatchClassifier(
            MLP,
            weak="none",  # the checks use feature vectors, not images
            strong="none",
            max_epochs=15,
            lr=0.1,
            batch_size=32,
            mu=2,
            random_state=0,
            module__hidden_units=(32,),
            module__dropout=0.0,
        )
    ],
    expected_failed_checks=lambda est: SEMI_SUPERVISED_EXPECTED_FAILURES,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def images(digit_images):
    X, y = digit_images
    y_semi = np.where(np.arange(len(y)) < 60, y, -1)
    return X[:300], y[:300], y_semi[:300]


def _net(**kwargs):
    params = dict(
        max_epochs=1,
        steps_per_epoch=3,
        batch_size=8,
        mu=2,
        random_state=0,
        module__hidden_units=(32,),
        module__dropout=0.0,
    )
    params.update(kwargs)
    return FixMatchClassifier(MLP, **params)


def test_one_step_matches_a_manual_computation(images):
    X, y, y_semi = images
    weak = RandomCropReflect(1)
    strong = Compose([RandomCropReflect(1), RandAugment(2), Cutout(0.5)])
    net = _net(weak=weak, strong=strong, ema_decay=None, max_epochs=4, lr=0.1)
    net.fit(X, y_semi)
    net.threshold = 0.14  # about half of these confidences pass
    model = copy.deepcopy(net.module_)
    batch = SemiSupervisedBatch(
        torch.as_tensor(X[:8]),
        torch.as_tensor(y[:8]),
        torch.as_tensor(X[100:116]),
        torch.arange(16),
    )
    net.unlabeled_scale_ = 1.0
    net.train_generator_ = torch.Generator().manual_seed(7)
    net.module_.zero_grad()
    out = net.train_step_single(batch)

    # by hand: weak labeled, weak and strong unlabeled, one forward pass
    g = torch.Generator().manual_seed(7)
    xl = torch.as_tensor(X[:8]).float().div(255).unsqueeze(1)
    xu = torch.as_tensor(X[100:116]).float().div(255).unsqueeze(1)
    xl_w, xu_w, xu_s = (
        weak(xl, generator=g),
        weak(xu, generator=g),
        strong(xu, generator=g),
    )
    logits = model(torch.cat([xl_w, xu_w, xu_s]))
    lx, lw, ls = logits[:8], logits[8:24], logits[24:]
    loss_s = F.cross_entropy(lx, torch.as_tensor(y[:8]))
    probs = torch.softmax(lw.detach(), 1)
    loss_u = 0.0
    n_kept = 0
    for b in range(16):
        conf, label = probs[b].max(0)
        if conf >= 0.14:
            n_kept += 1
            loss_u = loss_u - torch.log_softmax(ls[b], 0)[label]
    loss_u = loss_u / 16  # averaged over every unlabeled row
    l2 = 0.0
    for name, p in model.named_parameters():
        if name.endswith("weight"):  # MLP: linear weights only, no norm layers
            l2 = l2 + (p**2).sum()
    expected = loss_s + 1.0 * loss_u + 0.5 * 5e-4 * l2
    torch.testing.assert_close(out["loss"], expected)
    assert 0 < n_kept < 16 and net.mask_rate_ == pytest.approx(n_kept / 16)
    torch.testing.assert_close(out["loss_labeled"], loss_s.detach())
    expected.backward()
    for a, b in zip(net.module_.parameters(), model.parameters(), strict=True):
        torch.testing.assert_close(a.grad, b.grad)


def test_threshold_extremes_and_backoff_scale(images):
    X, _, y_semi = images
    everything = _net(weak="none", strong="none", threshold=0.0).fit(X, y_semi)
    assert everything.mask_rate_ == 1.0
    nothing = _net(weak="none", strong="none", threshold=1.0).fit(X, y_semi)
    assert nothing.mask_rate_ == 0.0
    assert nothing.unlabeled_scale_ == 1.0  # the guard did not back off


class _LRs(Callback):
    def initialize(self):
        self.lrs_ = []
        return self

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            self.lrs_.append(net.optimizer_.param_groups[0]["lr"])


def test_cosine_lr_decay_over_the_planned_steps(images):
    X, _, y_semi = images
    rec = _LRs()
    net = _net(weak="none", strong="none", max_epochs=2, lr=0.05)
    net.set_params(callbacks=[("lrs", rec)], callbacks__lr_decay__min_total=None)
    net.fit(X, y_semi)
    assert net.planned_steps_ == 6
    expected = [0.05 * math.cos(7 * math.pi * t / (16 * 6)) for t in range(6)]
    assert rec.lrs_ == pytest.approx(expected)


def test_short_fit_follows_the_start_of_the_papers_schedule(images):
    # by default T = max(planned_steps_, 2**20): 6 steps are the first 6 of a
    # 2**20-step cosine decay, not a whole decay squeezed into 6 steps
    X, _, y_semi = images
    rec = _LRs()
    net = _net(weak="none", strong="none", max_epochs=2, lr=0.05)
    net.set_params(callbacks=[("lrs", rec)])
    net.fit(X, y_semi)
    expected = [0.05 * math.cos(7 * math.pi * t / (16 * 2**20)) for t in range(6)]
    assert rec.lrs_ == pytest.approx(expected, rel=1e-12)
    assert dict(net.callbacks_)["lr_decay"].min_total == 2**20
    # a fit as long as the paper's decays over its own length, to 0.2 lr
    decay = dict(net.callbacks_)["lr_decay"]
    assert decay.lr_at(0.03, 2**21, 2**21) == pytest.approx(
        0.03 * math.cos(7 * math.pi / 16)
    )


def test_defaults_are_the_papers():
    net = FixMatchClassifier(MLP)
    assert (net.threshold, net.lambda_u, net.mu, net.lr) == (0.95, 1.0, 7, 0.03)
    assert net.weight_decay == 5e-4 and net.ema_decay == 0.999
    assert net.batch_size == 64 and net.optimizer is torch.optim.SGD
    params = net.get_params()
    assert params["optimizer__momentum"] == 0.9 and params["optimizer__nesterov"]
    assert (net.weak, net.strong, net.flip) == ("standard", "strong", False)
    names = [n for n, _ in net.get_default_callbacks()]
    assert {"lr_decay", "ema", "divergence_guard"} <= set(names)


def test_named_augmentations_and_ema(images):
    X, _, y_semi = images
    net = _net().fit(X, y_semi)
    assert [type(t).__name__ for t in net.weak_] == ["RandomCropReflect"]
    kinds = [type(t).__name__ for t in net.strong_]
    assert kinds == ["RandomCropReflect", "RandAugment", "Cutout"]
    flipped = _net(flip=True).fit(X, y_semi)
    assert len(flipped.weak_) == 2 and len(flipped.strong_) == 4
    assert net.module_ is net.ema_module_
    a = _net().fit(X, y_semi).predict_proba(X[:10])
    np.testing.assert_array_equal(a, net.predict_proba(X[:10]))  # seeded


@pytest.mark.parametrize(
    "params, match",
    [
        ({"threshold": 1.5}, "threshold"),
        ({"lambda_u": -1}, "lambda_u"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"weak": 3}, "weak"),
        ({"flip": "yes"}, "flip"),
    ],
)
def test_bad_parameters(images, params, match):
    X, _, y_semi = images
    with pytest.raises(ValueError, match=match):
        _net(**params).fit(X, y_semi)


def test_beats_supervised_on_digits_with_50_labels(digits_50_labels):
    d = digits_50_labels

    def noise(x, generator=None):
        return x + 0.1 * torch.randn(x.shape, generator=generator)

    def strong_noise(x, generator=None):
        keep = torch.rand(x.shape, generator=generator) > 0.2
        return (x + 0.3 * torch.randn(x.shape, generator=generator)) * keep

    semi = FixMatchClassifier(
        MLP,
        weak=noise,
        strong=strong_noise,
        max_epochs=6,
        steps_per_epoch=50,
        batch_size=32,
        mu=4,
        lr=0.05,
        threshold=0.8,
        random_state=1,
    ).fit(d.X_train, d.y_semi)
    acc_semi = np.mean(semi.predict(d.X_test) == d.y_test)
    assert acc_semi >= d.supervised_accuracy + 0.02, (acc_semi, d.supervised_accuracy)
