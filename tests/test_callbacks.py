"""EMA and RampUp callbacks."""

import inspect
import math
import pickle
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skactive._validation import (
    InvalidParameterError,
    invalid_values,
    parameter_constraints,
)
from skactive.callbacks import (
    EMA,
    CosineDecay,
    DivergenceGuard,
    DivergenceWarning,
    PredictionRecorder,
    RampUp,
)
from skactive.nets import MLP, DeepClassifier


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


class Recorder(Callback):
    """Record the module's parameters and an attribute after every step."""

    def __init__(self, attribute=None):
        self.attribute = attribute

    def initialize(self):
        self.params_, self.values_ = [], []
        return self

    def on_train_begin(self, net, **kwargs):
        self.params_.append([p.detach().clone() for p in net.module_.parameters()])

    def on_batch_begin(self, net, training=False, **kwargs):
        if training and self.attribute:
            self.values_.append(getattr(net, self.attribute))

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.params_.append([p.detach().clone() for p in net.module_.parameters()])


def _net(callbacks, **kwargs):
    params = dict(
        max_epochs=2,
        batch_size=32,
        lr=0.01,
        random_state=0,
        module__hidden_units=(16,),
        callbacks=callbacks,
    )
    params.update(kwargs)
    return DeepClassifier(MLP, **params)


@pytest.mark.parametrize("warmup", [False, True])
def test_ema_equals_a_hand_computed_average(digits, warmup):
    X, y = digits
    rec = Recorder()
    net = _net([("rec", rec), ("ema", EMA(decay=0.8, warmup=warmup))])
    net.fit(X[:100], y[:100])  # 2 epochs x 4 steps
    steps = rec.params_
    assert len(steps) == 1 + 8
    expected = [p.clone() for p in steps[0]]
    for t, params in enumerate(steps[1:]):
        d = min(0.8, (1 + t) / (10 + t)) if warmup else 0.8
        expected = [d * e + (1 - d) * p for e, p in zip(expected, params, strict=True)]
    got = list(net.ema_module_.parameters())
    for e, g in zip(expected, got, strict=True):
        torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-6)
    # the trained weights differ from the average
    online = list(net.online_module_.parameters())
    assert not torch.allclose(online[0], got[0])
    assert dict(net.callbacks_)["ema"].n_updates_ == 8


def test_ema_weights_are_used_for_prediction(digits):
    X, y = digits
    net = _net([("ema", EMA(decay=0.9))]).fit(X[:100], y[:100])
    assert net.module_ is net.ema_module_
    assert net.online_module_ is not net.ema_module_
    with torch.no_grad():
        logits = net.ema_module_.eval()(torch.as_tensor(X[:10]))
    np.testing.assert_allclose(
        net.predict_proba(X[:10]), torch.softmax(logits, 1).numpy(), atol=1e-6
    )
    # embeddings come from the averaged module too
    with torch.no_grad():
        emb = net.ema_module_.features(torch.as_tensor(X[:10]))
    np.testing.assert_allclose(net.embed(X[:10]), emb.numpy(), atol=1e-6)
    assert not any(p.requires_grad for p in net.ema_module_.parameters())


def test_ema_warm_start_resumes_the_average(digits):
    X, y = digits
    net = _net([("ema", EMA(decay=0.9))], warm_start=True)
    net.fit(X[:100], y[:100])
    ema, online = net.ema_module_, net.online_module_
    net.fit(X[:100], y[:100])
    assert net.ema_module_ is ema and net.online_module_ is online
    assert dict(net.callbacks_)["ema"].n_updates_ == 16
    # the optimizer kept training the online weights
    opt_params = {id(p) for g in net.optimizer_.param_groups for p in g["params"]}
    assert opt_params == {id(p) for p in online.parameters()}


def test_ema_restarts_on_a_fresh_fit(digits):
    X, y = digits
    net = _net([("ema", EMA(decay=0.9))]).fit(X[:100], y[:100])
    first = net.ema_module_
    net.fit(X[:100], y[:100])
    assert net.ema_module_ is not first
    assert dict(net.callbacks_)["ema"].n_updates_ == 8


def test_ema_survives_callback_reinitialisation(digits):
    # set_params(callbacks__...) re-initialises the callbacks of a fitted net
    # whose module_ is the average: training must go back to the online module
    X, y = digits
    net = _net([("ema", EMA(decay=0.9))], warm_start=True).fit(X[:100], y[:100])
    net.set_params(callbacks__ema__decay=0.5)
    net.fit(X[:100], y[:100])
    assert net.module_ is net.ema_module_
    assert dict(net.callbacks_)["ema"].n_updates_ == 8


def test_ema_net_pickles(digits):
    X, y = digits
    net = _net([("ema", EMA(decay=0.9))]).fit(X[:100], y[:100])
    again = pickle.loads(pickle.dumps(net))
    np.testing.assert_allclose(again.predict_proba(X[:20]), net.predict_proba(X[:20]))
    assert again.module_ is again.ema_module_


@pytest.mark.parametrize("decay", [1.0, -0.1, "0.9"])
def test_ema_bad_decay(digits, decay):
    X, y = digits
    with pytest.raises(ValueError, match="decay must be a float in"):
        _net([("ema", EMA(decay=decay))]).fit(X[:50], y[:50])


def test_rampup_values():
    lin = RampUp("a_", 0.0, 75.0, length=4).initialize()
    assert [lin.value_at(t) for t in range(6)] == [0, 18.75, 37.5, 56.25, 75, 75]
    sig = RampUp("a_", 0.0, 1.0, length=10, kind="sigmoid").initialize()
    assert sig.value_at(5) == pytest.approx(math.exp(-5 * 0.25))
    assert sig.value_at(10) == 1.0 and sig.value_at(0) == pytest.approx(math.exp(-5))
    cos = RampUp("a_", 1.0, 3.0, length=2, kind="cosine").initialize()
    assert [cos.value_at(t) for t in (0, 1, 2)] == pytest.approx([1.0, 2.0, 3.0])
    assert RampUp("a_", 2.0, 5.0, length=0).initialize().value_at(0) == 5.0


def test_rampup_sets_the_attribute_every_step(digits):
    X, y = digits
    rec = Recorder("ramp_")
    net = _net([("ramp", RampUp("ramp_", 0.0, 10.0, length=4)), ("rec", rec)])
    net.fit(X[:100], y[:100])
    assert rec.values_ == [0.0, 2.5, 5.0, 7.5] + [10.0] * 4
    assert net.ramp_ == 10.0


def test_rampup_per_epoch_and_warm_start(digits):
    X, y = digits
    rec = Recorder("ramp_")
    net = _net(
        [("ramp", RampUp("ramp_", 0.0, 1.0, length=4, unit="epoch")), ("rec", rec)],
        warm_start=True,
    )
    net.fit(X[:100], y[:100])
    assert rec.values_ == [0.0] * 4 + [0.25] * 4
    net.fit(X[:100], y[:100])  # warm start continues the ramp
    assert rec.values_[8:] == [0.5] * 4 + [0.75] * 4


class _Planned(Callback):
    """Set a planned length on the net, as the semi-supervised nets do."""

    def on_train_begin(self, net, **kwargs):
        net.planned_ = 8


def test_rampup_length_as_a_fraction_of_a_planned_total(digits):
    X, y = digits
    rec = Recorder("ramp_")
    ramp = RampUp("ramp_", 0.0, 1.0, length=0.5, total="planned_")
    net = _net([("plan", _Planned()), ("ramp", ramp), ("rec", rec)])
    net.fit(X[:100], y[:100])  # 2 epochs x 4 steps: a ramp over 0.5 * 8 = 4
    assert ramp.length_ == 4.0
    assert rec.values_ == [0.0, 0.25, 0.5, 0.75] + [1.0] * 4
    missing = _net([RampUp("ramp_", length=0.5, total="nothing_")])
    with pytest.raises(InvalidParameterError, match="total='nothing_'"):
        missing.fit(X[:50], y[:50])


def test_rampup_dotted_attribute(digits):
    X, y = digits
    net = _net([RampUp("criterion_.ramped", 1.0, 2.0, length=1)])
    net.fit(X[:50], y[:50])
    assert net.criterion_.ramped == 2.0


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"attribute": "lambda_u"}, ValueError, "fitted attribute"),
        ({"attribute": ""}, TypeError, "non-empty string"),
        ({"attribute": "a_", "kind": "step"}, ValueError, "kind must be one of"),
        ({"attribute": "a_", "unit": "batch"}, ValueError, "unit must be one of"),
        ({"attribute": "a_", "length": -1}, ValueError, "length must be"),
        ({"attribute": "a_", "start": "0"}, TypeError, "start must be"),
    ],
)
def test_rampup_validation(digits, kwargs, exc, match):
    X, y = digits
    with pytest.raises(exc, match=match):
        _net([RampUp(**kwargs)]).fit(X[:50], y[:50])


#: Each public callback with valid values of its required arguments.
CALLBACKS = {
    EMA: {},
    RampUp: {"attribute": "a_"},
    PredictionRecorder: {"X_pool": np.zeros((3, 2))},
    CosineDecay: {},
    DivergenceGuard: {},
}


@pytest.mark.parametrize("cls", list(CALLBACKS), ids=lambda c: c.__name__)
def test_every_callback_parameter_refuses_invalid_values(cls):
    constraints = parameter_constraints(cls)
    assert set(constraints) == set(inspect.signature(cls).parameters)
    assert cls(**CALLBACKS[cls]).initialize() is not None
    for name, spec in constraints.items():
        for bad in invalid_values(spec):
            callback = cls(**{**CALLBACKS[cls], name: bad})  # __init__ only stores
            with pytest.raises(InvalidParameterError, match=f"{name} must be"):
                callback.initialize()


def test_bad_callback_parameter_fails_when_the_net_initialises(digits):
    X, y = digits
    with pytest.raises(InvalidParameterError, match="warmup must be a bool"):
        _net([("ema", EMA(warmup="yes"))]).fit(X[:50], y[:50])
    with pytest.raises(InvalidParameterError, match="X_pool must be an array-like"):
        _net([("rec", PredictionRecorder(None))]).fit(X[:50], y[:50])


def test_cosine_decay_values_and_restart(digits):
    X, y = digits
    decay = CosineDecay(fraction=0.25, total="planned_")
    rec = []

    class _LR(Callback):
        def on_batch_begin(self, net, training=False, **kwargs):
            if training:
                rec.append(net.optimizer_.param_groups[0]["lr"])

    net = _net([("plan", _Planned()), ("decay", decay), ("lr", _LR())], lr=0.2)
    net.fit(X[:100], y[:100])  # 8 steps over a planned 8
    expected = [0.2 * math.cos(math.pi * 0.25 * t / 8) for t in range(8)]
    assert rec == pytest.approx(expected)
    rec.clear()
    net.partial_fit(X[:100], y[:100])  # a new fit restarts the schedule
    assert rec[0] == pytest.approx(0.2)


def test_cosine_decay_min_total_follows_the_start_of_a_longer_schedule(digits):
    X, y = digits
    decay = CosineDecay(fraction=0.25, total="planned_", min_total=32)
    rec = []

    class _LR(Callback):
        def on_batch_begin(self, net, training=False, **kwargs):
            if training:
                rec.append(net.optimizer_.param_groups[0]["lr"])

    net = _net([("plan", _Planned()), ("decay", decay), ("lr", _LR())], lr=0.2)
    net.fit(X[:100], y[:100])  # 8 planned steps: the first 8 of a 32-step decay
    expected = [0.2 * math.cos(math.pi * 0.25 * t / 32) for t in range(8)]
    assert rec == pytest.approx(expected)
    # a fit planned longer than min_total decays over its own length
    expected_40 = 0.2 * math.cos(math.pi * 0.25 * 40 / 64)
    assert decay.lr_at(0.2, 40, 64) == pytest.approx(expected_40)
    assert decay.lr_at(0.2, 64, 64) == pytest.approx(0.2 * math.cos(math.pi * 0.25))


class _Holder:
    unlabeled_scale_ = 1.0


def test_divergence_guard_backs_off_after_patience_rising_steps():
    guard = DivergenceGuard(patience=3, tolerance=0.2, min_delta=0.0, smoothing=0.0)
    guard.initialize()
    net = _Holder()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for loss in [1.0, 0.5, 0.55, 0.7, 0.7, 0.7]:  # 0.7 > 1.2 * 0.5, 3 times
            guard.observe(net, loss)
    assert net.unlabeled_scale_ == 0.5 and guard.n_backoffs_ == 1
    assert len(caught) == 1 and issubclass(caught[0].category, DivergenceWarning)
    assert "rose for 3 steps" in str(caught[0].message)
    # a falling or flat loss never backs off
    quiet = DivergenceGuard(patience=2, tolerance=0.1, smoothing=0.5).initialize()
    tiny = DivergenceGuard(patience=2, tolerance=0.1, smoothing=0.0).initialize()
    near_zero = _Holder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for loss in [2e-4, 1e-4, 2e-3, 2e-3, 2e-3, 5e-3]:  # x20, but < min_delta
            tiny.observe(near_zero, loss)
    assert near_zero.unlabeled_scale_ == 1.0
    calm = _Holder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for loss in np.linspace(2.0, 0.1, 50):
            quiet.observe(calm, float(loss))
    assert calm.unlabeled_scale_ == 1.0


def test_divergence_guard_smoothing_matches_a_loop_and_switches_off():
    losses = [1.0, 0.8, 0.6, 0.9, 1.2, 1.5, 1.8, 2.0, 2.2, 2.5, 2.6, 2.7, 3.0]
    guard = DivergenceGuard(
        patience=2, tolerance=0.1, min_delta=0.05, smoothing=0.5, min_scale=0.3
    )
    guard.initialize()
    net = _Holder()
    # reference loop: EMA, running minimum, consecutive count, halving
    s, best, bad, scale, scales = None, None, 0, 1.0, []
    for loss in losses:
        s = loss if s is None else 0.5 * s + 0.5 * loss
        best = s if best is None or s < best else best
        bad = bad + 1 if s > max(1.1 * best, best + 0.05) else 0
        if bad >= 2 and scale > 0:
            scale = scale * 0.5
            scale = 0.0 if scale <= 0.3 else scale
            s, best, bad = None, None, 0
        scales.append(scale)
    got = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for loss in losses:
            guard.observe(net, loss)
            got.append(net.unlabeled_scale_)
    assert got == scales and scales[-1] == 0.0
    assert any("labels only" in str(w.message) for w in caught)


def test_divergence_guard_reads_loss_labeled_in_a_net(digits_50_labels):
    from skactive.nets import MixMatchClassifier

    d = digits_50_labels
    net = MixMatchClassifier(
        MLP,
        augmentation="none",
        max_epochs=1,
        steps_per_epoch=4,
        batch_size=8,
        random_state=0,
        callbacks__divergence_guard__patience=1,
        callbacks__divergence_guard__tolerance=0.0,
        callbacks__divergence_guard__min_delta=0.0,
        callbacks__divergence_guard__smoothing=0.0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        net.fit(d.X_train, d.y_semi)
    guard = dict(net.callbacks_)["divergence_guard"]
    assert guard.smoothed_ is not None or guard.n_backoffs_ > 0
    assert net.unlabeled_scale_ == 0.5**guard.n_backoffs_ or net.unlabeled_scale_ == 0


def test_divergence_guard_class_share_matches_a_loop():
    # 10 unlabeled rows a step, ten classes: majority shares 0.3, 0.9, 0.9, ...
    steps = [3, 9, 9, 9, 2, 10, 10, 10, 10, 10, 10, 10]
    guard = DivergenceGuard(
        smoothing=0.5, share_patience=3, max_share=0.6, share_arm=None
    )
    guard.initialize()
    net = _Holder()
    r, bad, scale, scales = None, 0, 1.0, []
    for top in steps:
        share = top / 10
        r = share if r is None else 0.5 * r + 0.5 * share
        bad = bad + 1 if r > 0.6 else 0
        if bad >= 3:
            scale, r, bad = scale * 0.5, None, 0
        scales.append(scale)
    got = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for top in steps:
            counts = torch.zeros(10, dtype=torch.long)
            others = [c for c in range(10) if c != 4][: 10 - top]
            counts[others] = 1  # the other rows spread, one per class
            counts[4] = top
            guard.observe_pseudo_labels(net, counts, 10)
            got.append(net.unlabeled_scale_)
    assert got == scales and scales[-1] == 0.25
    assert guard.n_collapses_ == guard.n_backoffs_ == 2
    assert all("collapsed onto one class" in str(w.message) for w in caught)
    assert "class index 4" in str(caught[0].message)
    # a step without unlabeled rows is ignored
    guard.observe_pseudo_labels(net, torch.zeros(10), 0)
    assert guard.smoothed_share_ is None or guard.smoothed_share_ <= 1


def test_divergence_guard_default_share_bound_from_the_labels():
    guard = DivergenceGuard().initialize()
    # labeled rows 0, 0, 0, 1 (-1 unlabeled): p = 3/4, bound (1 + 3/4) / 2
    guard.on_train_begin(_Holder(), y=np.array([0, 0, 1, -1, 0, -1]))
    assert guard._share_bound(2) == pytest.approx(0.875)
    guard.on_train_begin(_Holder(), y=None)  # unknown labels: 1 / n_classes
    assert guard._share_bound(10) == pytest.approx(0.55)
    assert DivergenceGuard(max_share=0.3).initialize()._share_bound(10) == 0.3


def _fixmatch_digits(**kwargs):
    from sklearn.datasets import load_digits

    from skactive.nets import FixMatchClassifier

    X, y = load_digits(return_X_y=True)
    X = np.round(X.reshape(-1, 8, 8) * (255 / 16)).astype(np.uint8)
    y_semi = np.where(np.arange(600) < 50, y[:600], -1)
    params = dict(
        max_epochs=3,
        steps_per_epoch=20,
        batch_size=10,
        mu=4,
        weak="none",
        strong="none",
        random_state=0,
        module__hidden_units=(32,),
        module__dropout=0.0,
    )
    params.update(kwargs)
    net = FixMatchClassifier(MLP, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DivergenceWarning)
        net.fit(X[:600], y_semi)
    pred = net.predict(X[1000:])
    caught = [w for w in caught if issubclass(w.category, DivergenceWarning)]
    return net, caught, pred, y[1000:]


def test_divergence_guard_catches_a_constructed_collapse():
    # every pseudo-label counts (threshold 0) with a heavy unlabeled weight:
    # the untrained net's majority class takes every unlabeled row
    collapse = dict(threshold=0.0, lambda_u=10.0)
    _, caught, pred, _ = _fixmatch_digits(callbacks__divergence_guard=None, **collapse)
    assert not caught
    assert np.bincount(pred).max() / len(pred) > 0.9  # unguarded: one class
    net, caught, _, _ = _fixmatch_digits(**collapse)
    guard = dict(net.callbacks_)["divergence_guard"]
    assert len(caught) >= 2 and guard.n_collapses_ == len(caught)
    assert "collapsed onto one class" in str(caught[0].message)
    assert net.unlabeled_scale_ == 0.5 ** len(caught)
    # without an unlabeled term no row is trained towards a pseudo-label
    _, caught, _, _ = _fixmatch_digits(threshold=0.0, lambda_u=0.0)
    assert not caught


def test_divergence_guard_quiet_on_a_healthy_run():
    from sklearn.datasets import load_digits

    # every pseudo-label counts here too, but the labels keep them spread out
    net, caught, pred, y_test = _fixmatch_digits(threshold=0.0, lambda_u=0.3, lr=0.1)
    assert not caught and net.unlabeled_scale_ == 1.0
    guard = dict(net.callbacks_)["divergence_guard"]
    p = np.bincount(load_digits().target[:50]).max() / 50  # labeled rows
    assert guard.share_bound_ == pytest.approx((1 + p) / 2)
    assert guard.smoothed_share_ < guard.share_bound_
    assert np.mean(pred == y_test) > 0.6


def test_divergence_guard_restores_stepwise_after_recovery_healthy_steps():
    # smoothing 0: rising 3 steps backs off (patience 3), then 4 healthy
    # steps (recovery 4) undo one back-off at a time, up to 1
    guard = DivergenceGuard(
        patience=3, tolerance=0.1, min_delta=0.0, smoothing=0.0, recovery=4
    ).initialize()
    net = _Holder()
    losses = [1.0, 2.0, 2.0, 2.0]  # back-off 1 at step 3 (scale 0.5)
    losses += [1.0, 1.5, 1.5, 1.5]  # watch restarted at 1.0: back-off 2 (0.25)
    losses += [1.0] * 4  # 4 healthy: 0.5
    losses += [1.0] * 3 + [5.0]  # 3 healthy, one bad: the count restarts
    losses += [1.0] * 4  # 1.0
    losses += [1.0] * 8  # already at 1: nothing to restore
    # reference loop
    s_best, bad, healthy, levels, scale, ref = None, 0, 0, [], 1.0, []
    for loss in losses:
        s_best = loss if s_best is None or loss < s_best else s_best
        if loss > 1.1 * s_best:
            bad, healthy = bad + 1, 0
        else:
            bad, healthy = 0, healthy + 1
            if levels and healthy >= 4:
                scale, healthy = levels.pop(), 0
        if bad >= 3:
            levels.append(scale)
            scale, s_best, bad, healthy = scale * 0.5, None, 0, 0
        ref.append(scale)
    got = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for loss in losses:
            guard.observe(net, loss)
            got.append(net.unlabeled_scale_)
    assert got == ref
    assert got[3] == 0.5 and got[7] == 0.25 and got[11] == 0.5 and got[-1] == 1.0
    assert guard.n_backoffs_ == 2 and guard.n_restores_ == 2 and len(caught) == 2
    # recovery=None: one way
    oneway = DivergenceGuard(
        patience=3, tolerance=0.1, min_delta=0.0, smoothing=0.0, recovery=None
    ).initialize()
    held = _Holder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        for loss in losses:
            oneway.observe(held, loss)
    assert held.unlabeled_scale_ == 0.25 and oneway.n_restores_ == 0


def test_divergence_guard_restores_from_off_to_the_last_level():
    guard = DivergenceGuard(
        patience=1,
        tolerance=0.0,
        min_delta=0.0,
        smoothing=0.0,
        min_scale=0.3,
        recovery=2,
    ).initialize()
    net = _Holder()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for loss in [1.0, 2.0, 1.0, 2.0]:  # 0.5, then 0.25 <= 0.3: off
            guard.observe(net, loss)
    assert net.unlabeled_scale_ == 0.0 and "labels only" in str(caught[-1].message)
    for loss in [1.0, 1.0]:
        guard.observe(net, loss)
    assert net.unlabeled_scale_ == 0.5
    for loss in [1.0, 1.0]:
        guard.observe(net, loss)
    assert net.unlabeled_scale_ == 1.0 and guard.n_restores_ == 2


class _PlannedHolder(_Holder):
    planned_steps_ = 100


def _one_class(top, n=10):
    counts = torch.zeros(n, dtype=torch.long)
    counts[0] = top
    return counts


def test_divergence_guard_share_waits_for_the_labels_to_be_learned():
    # an untrained net: labeled loss at chance (log 10), every row one class
    guard = DivergenceGuard(smoothing=0.0, share_patience=3).initialize()
    net = _PlannedHolder()
    chance = math.log(10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning before the arm
        for _ in range(24):  # 24 < 0.25 * 100 steps, loss never below chance / 2
            guard.observe(net, chance)
            guard.observe_pseudo_labels(net, _one_class(10), 10)
    assert not guard.share_armed_ and net.unlabeled_scale_ == 1.0
    assert guard.smoothed_share_ == 1.0  # smoothed all along
    # the 25th step arms by the step count: 3 collapsed steps back off
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            guard.observe(net, chance)
            guard.observe_pseudo_labels(net, _one_class(10), 10)
    assert guard.share_armed_ and guard.n_collapses_ == 1 and len(caught) == 1
    # armed by the loss: below 0.5 * log(10) = 1.151
    early = DivergenceGuard(smoothing=0.0, share_patience=3).initialize()
    other = _PlannedHolder()
    for loss in [2.3, 1.2, 1.16]:
        early.observe(other, loss)
        early.observe_pseudo_labels(other, _one_class(10), 10)
    assert not early.share_armed_
    early.observe(other, 1.15)
    early.observe_pseudo_labels(other, _one_class(10), 10)
    assert early.share_armed_ and early.n_collapsed_ == 1
