"""FlexMatch: class-wise thresholds against a hand-worked and a USB-style loop."""

import copy
from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skactive.nets import MLP, FlexMatchClassifier, flexmatch_thresholds
from skactive.nets._semi import SemiSupervisedBatch


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _reference_thresholds(selected, n_classes, tau, warmup):
    """USB's FlexMatch update, written with a Counter over Python lists."""
    counter = Counter(selected)
    acc = [0.0] * n_classes
    if max(counter.values()) < len(selected):
        if warmup:
            denom = max(counter.values())
        else:
            denom = max(v for k, v in counter.items() if k != -1)
        acc = [counter[c] / denom for c in range(n_classes)]
    return [tau * a / (2.0 - a) for a in acc]


def test_thresholds_hand_worked():
    sel = torch.tensor([0, 0, 0, 0, 1, 1, -1, -1, -1, -1, -1, -1])
    # no warm-up: beta = (4/4, 2/4, 0) -> M(beta) = (1, 1/3, 0)
    out = flexmatch_thresholds(sel, 3, 0.9, warmup=False)
    torch.testing.assert_close(out, torch.tensor([0.9, 0.3, 0.0], dtype=torch.float64))
    # warm-up: the 6 unused rows are the largest "class": beta = (4/6, 2/6, 0)
    out = flexmatch_thresholds(sel, 3, 0.9, warmup=True)
    b = torch.tensor([4 / 6, 2 / 6, 0.0], dtype=torch.float64)
    torch.testing.assert_close(out, 0.9 * b / (2 - b))
    # nothing selected yet: every threshold is 0
    none = flexmatch_thresholds(torch.full((5,), -1), 3, 0.95)
    torch.testing.assert_close(none, torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize("warmup", [True, False])
def test_thresholds_match_a_counter_loop(warmup):
    rng = np.random.RandomState(0)
    for _ in range(20):
        sel = rng.randint(-1, 4, size=30)
        ours = flexmatch_thresholds(torch.as_tensor(sel), 4, 0.95, warmup)
        ref = _reference_thresholds(sel.tolist(), 4, 0.95, warmup)
        np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-12)


def test_thresholds_hand_worked_warmup_and_kept_effect():
    # 10 rows: 5 selected as 0, 3 as 1, 2 unused. Warm-up: the denominator is
    # max(max sigma = 5, unused = 2) = 5, so beta = (1, 3/5, 0) either way and
    # M(beta) = (1, (3/5) / (7/5) = 3/7, 0).
    sel = torch.tensor([0, 0, 0, 0, 0, 1, 1, 1, -1, -1])
    expected = torch.tensor([0.95, 0.95 * 3 / 7, 0.0], dtype=torch.float64)
    for warmup in (True, False):
        out = flexmatch_thresholds(sel, 3, 0.95, warmup=warmup)
        torch.testing.assert_close(out, expected)
    # 10 rows: 2 as 0, 1 as 1, 7 unused. Warm-up: denominator 7, beta = (2/7,
    # 1/7, 0), M = (2/7) / (12/7) = 1/6 and (1/7) / (13/7) = 1/13.
    sel = torch.tensor([0, 0, 1, -1, -1, -1, -1, -1, -1, -1])
    out = flexmatch_thresholds(sel, 3, 0.9, warmup=True)
    torch.testing.assert_close(
        out, torch.tensor([0.9 / 6, 0.9 / 13, 0.0], dtype=torch.float64)
    )
    # without warm-up: denominator max sigma = 2, beta = (1, 1/2, 0): (1, 1/3, 0)
    out = flexmatch_thresholds(sel, 3, 0.9, warmup=False)
    torch.testing.assert_close(out, torch.tensor([0.9, 0.3, 0.0], dtype=torch.float64))
    # every row the same entry (all unused, or all one class): USB keeps the
    # learning effect of the last step; zeros at the start
    prev = torch.tensor([0.5, 0.25, 1.0], dtype=torch.float64)
    for same in (torch.full((6,), -1), torch.full((6,), 2)):
        torch.testing.assert_close(
            flexmatch_thresholds(same, 3, 0.9), torch.zeros(3, dtype=torch.float64)
        )
        out = flexmatch_thresholds(same, 3, 0.9, previous=prev)
        torch.testing.assert_close(
            out, torch.tensor([0.9 / 3, 0.9 / 7, 0.9], dtype=torch.float64)
        )
    with pytest.raises(ValueError, match="previous"):
        flexmatch_thresholds(sel, 3, previous=torch.zeros(2))


class _USBHook:
    """USB's FlexMatchThresholdingHook (update + masking) over Python lists."""

    def __init__(self, n, n_classes, warmup, tau):
        self.selected = [-1] * n
        self.acc = [0.0] * n_classes
        self.n_classes, self.warmup, self.tau = n_classes, warmup, tau

    def update(self):
        counter = Counter(self.selected)
        if max(counter.values()) < len(self.selected):
            if self.warmup:
                denom = max(counter.values())
            else:
                denom = max(v for k, v in counter.items() if k != -1)
            self.acc = [counter[c] / denom for c in range(self.n_classes)]

    def masking(self, probs, idx):
        mask = []
        for p, i in zip(probs.tolist(), idx.tolist(), strict=True):
            conf = max(p)
            c = p.index(conf)
            a = self.acc[c]
            mask.append(conf >= self.tau * a / (2.0 - a))
            if conf >= self.tau:
                self.selected[i] = c
        self.update()
        return mask


@pytest.mark.parametrize("warmup", [True, False])
def test_a_sequence_of_steps_matches_usb(warmup):
    net = FlexMatchClassifier(MLP, threshold=0.6, threshold_warmup=warmup)
    net.n_unlabeled_ = 12
    net.selected_label_ = None
    usb = _USBHook(12, 3, warmup, 0.6)
    g = torch.Generator().manual_seed(0)
    kept = 0
    for step in range(40):
        # steps 0-7: peaked on class 1, every row ends up selected as 1; steps
        # 8-15: flat rows (confidence < 0.6), so the learning effect is kept
        logits = torch.randn(5, 3, generator=g, dtype=torch.float64) * 3
        if step < 8:
            logits[:, 1] += 30
        elif step < 16:
            logits = logits / 20
        probs = torch.softmax(logits, 1)
        idx = torch.randperm(12, generator=g)[:5]
        if step < 8:  # visit every row
            idx = (torch.arange(5) + 5 * step) % 12
        all_one = len(set(net.selected_label_.tolist())) == 1 if step else False
        tau = net.unlabeled_thresholds(probs, idx)
        if all_one and net.selected_label_[0] >= 0:
            kept += 1
            assert tau[1] == pytest.approx(0.6)  # kept: beta_1 = 1, not 0
        conf, pred = probs.max(1)
        ours = (conf >= tau[pred]).tolist()
        assert ours == usb.masking(probs, idx), step
        assert net.selected_label_.tolist() == usb.selected
    assert kept >= 5
    assert (net.selected_label_ >= 0).all()
    assert len(set(net.selected_label_.tolist())) > 1


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
        weak="none",
        strong="none",
        random_state=0,
        module__hidden_units=(32,),
        module__dropout=0.0,
    )
    params.update(kwargs)
    return FlexMatchClassifier(MLP, **params)


def test_step_uses_thresholds_before_updating_the_selection(images):
    X, _, y_semi = images
    net = _net(threshold=0.2).fit(X, y_semi)
    assert net.selected_label_.shape == (240,)
    # a hand-set state, then one threshold call: thresholds from the old state
    sel = torch.full((240,), -1, dtype=torch.long)
    sel[:10] = 0
    sel[10:15] = 1
    net.selected_label_ = sel.clone()
    probs = torch.tensor([[0.1, 0.9], [0.7, 0.3], [0.15, 0.85]]).repeat(1, 1)
    probs = torch.cat([probs, torch.zeros(3, 8)], 1)  # 10 classes, rows sum to 1
    idx = torch.tensor([100, 101, 5])
    tau = net.unlabeled_thresholds(probs, idx)
    ref = _reference_thresholds(sel.tolist(), 10, 0.2, True)
    np.testing.assert_allclose(tau.numpy(), ref, rtol=1e-12)
    # rows whose confidence reaches 0.2 take their prediction
    expected = sel.clone()
    expected[100], expected[101], expected[5] = 1, 0, 1
    assert torch.equal(net.selected_label_, expected)


def test_one_step_masks_with_class_thresholds(images):
    X, y, y_semi = images
    net = _net(threshold=0.95, ema_decay=None, weight_decay=0.0, lr=0.0)
    net.fit(X, y_semi)
    model = copy.deepcopy(net.module_)
    with torch.no_grad():
        pred = model(torch.as_tensor(X[100:116]).float().div(255)[:, None]).argmax(1)
    c = int(pred[0])  # a class the model predicts for some rows, not all
    assert 0 < int((pred != c).sum()) < 16
    sel = torch.full((240,), -1, dtype=torch.long)
    sel[:120] = c  # beta_c = 120 / max(120, 120 unused) = 1: threshold 0.95
    net.selected_label_ = sel
    batch = SemiSupervisedBatch(
        torch.as_tensor(X[:8]),
        torch.as_tensor(y[:8]),
        torch.as_tensor(X[100:116]),
        torch.arange(120, 136),
    )
    net.train_generator_ = torch.Generator().manual_seed(0)
    out = net.train_step_single(batch)
    expected_tau = torch.zeros(10, dtype=torch.float64)
    expected_tau[c] = 0.95
    torch.testing.assert_close(net.class_thresholds_, expected_tau)
    # by hand (no augmentation: weak = strong = the rows themselves)
    xl = torch.as_tensor(X[:8]).float().div(255)[:, None]
    xu = torch.as_tensor(X[100:116]).float().div(255)[:, None]
    logits = model(torch.cat([xl, xu, xu]))
    loss_s = F.cross_entropy(logits[:8], torch.as_tensor(y[:8]))
    probs = torch.softmax(logits[8:24].detach(), 1)
    loss_u, kept = 0.0, 0
    for b in range(16):
        conf, label = probs[b].max(0)
        if conf >= float(expected_tau[label]):  # 0 for every class but c
            kept += 1
            loss_u = loss_u - torch.log_softmax(logits[24 + b], 0)[label]
    torch.testing.assert_close(out["loss"], loss_s + loss_u / 16)
    assert net.mask_rate_ == pytest.approx(kept / 16)
    assert kept >= int((pred != c).sum())


def test_fresh_fit_resets_and_warm_start_keeps_the_selection(images):
    X, _, y_semi = images
    net = _net(threshold=0.0).fit(X, y_semi)
    assert (net.selected_label_ >= 0).sum() > 0
    net.set_params(threshold=1.0)  # nothing selected in the next fit
    net.fit(X, y_semi)
    assert (net.selected_label_ >= 0).sum() == 0
    warm = _net(threshold=0.0, warm_start=True).fit(X, y_semi)
    kept = warm.selected_label_.clone()
    warm.set_params(threshold=1.0)
    warm.fit(X, y_semi)
    assert torch.equal(warm.selected_label_, kept)


def test_threshold_warmup_is_declared(images):
    X, _, y_semi = images
    with pytest.raises(ValueError, match="threshold_warmup"):
        _net(threshold_warmup="yes").fit(X, y_semi)
