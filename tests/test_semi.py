"""SemiSupervisedClassifier: the y == -1 convention, paired batches, splits."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch.dataset import ValidSplit

from skactive import ActiveLearner, learns_from_unlabeled
from skactive.nets import MLP
from skactive.nets._semi import (
    SemiSupervisedBatch,
    SemiSupervisedClassifier,
    SemiSupervisedDataset,
    SemiSupervisedLoader,
)
from skactive.strategies import RandomSampling

from ._sklearn_checks import SEMI_SUPERVISED_EXPECTED_FAILURES

EXPECTED_FAILED_CHECKS = SEMI_SUPERVISED_EXPECTED_FAILURES


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # tiny nets on a shared machine: one thread is faster than two
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _check_net():
    return SemiSupervisedClassifier(
        MLP,
        max_epochs=15,
        lr=0.03,
        batch_size=128,
        random_state=0,
        module__hidden_units=(32,),
        module__dropout=0.0,
    )


@parametrize_with_checks(
    [_check_net()], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def semi_data(digits):
    X, y = digits
    X, y = X[:400], y[:400]
    y_semi = np.where(np.arange(len(y)) < 60, y, -1)
    return X, y, y_semi


def _net(**kwargs):
    params = dict(max_epochs=2, batch_size=16, random_state=0)
    params.update(kwargs)
    return SemiSupervisedClassifier(MLP, **params)


def test_learns_from_unlabeled():
    assert learns_from_unlabeled(_net())


def test_classes_come_from_labeled_rows_only(semi_data):
    X, y, y_semi = semi_data
    y_semi = y_semi.copy()
    y_semi[:60][y[:60] == 9] = -1  # no labeled 9
    net = _net().fit(X, y_semi)
    np.testing.assert_array_equal(net.classes_, np.arange(9))
    assert -1 not in net.classes_
    assert net.predict_proba(X[:5]).shape == (5, 9)
    assert set(net.predict(X)) <= set(range(9))
    # float labels with -1.0 mean the same
    net_f = _net().fit(X, y_semi.astype(float))
    np.testing.assert_array_equal(net_f.classes_, np.arange(9.0))
    np.testing.assert_allclose(net_f.predict_proba(X), net.predict_proba(X))


def test_classes_parameter(semi_data):
    X, _, y_semi = semi_data
    net = _net(classes=np.arange(12)).fit(X, y_semi)
    np.testing.assert_array_equal(net.classes_, np.arange(12))
    with pytest.raises(ValueError, match="classes must not contain -1"):
        _net(classes=[-1, 0, 1]).fit(X, y_semi)


def test_encoded_labels_keep_minus_one(semi_data):
    X, _, y_semi = semi_data
    net = _net().fit(X, y_semi)
    codes = net._encode_y(y_semi)
    assert (codes[y_semi == -1] == -1).all()
    np.testing.assert_array_equal(codes[y_semi != -1], y_semi[y_semi != -1])


def test_refuses_all_unlabeled_and_single_class(semi_data):
    X, y, _ = semi_data
    with pytest.raises(ValueError, match="every row of y is -1"):
        _net().fit(X, np.full(len(y), -1))
    y_one = np.full(len(y), -1)
    y_one[:10] = 3
    with pytest.raises(ValueError, match="at least two classes.*one class: 3"):
        _net().fit(X, y_one)
    with pytest.raises(ValueError, match="at least two classes"):
        _net(classes=np.arange(10)).fit(X, y_one)


def test_unlabeled_rows_never_enter_the_supervised_loss(semi_data):
    # the base class trains on the labeled rows only: poisoning the features of
    # the unlabeled rows (huge noise) must not change a single weight
    X, _, y_semi = semi_data
    poisoned = X.copy()
    rng = np.random.RandomState(0)
    poisoned[y_semi == -1] = rng.normal(0, 1e3, poisoned[y_semi == -1].shape)
    a = _net().fit(X, y_semi)
    b = _net().fit(poisoned, y_semi)
    for p, q in zip(a.module_.parameters(), b.module_.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_labeled_batches_never_hold_unlabeled_rows(semi_data, monkeypatch):
    X, _, y_semi = semi_data
    seen = []
    original = SemiSupervisedClassifier.train_step_single

    def spy(self, batch, **fit_params):
        seen.append(batch)
        return original(self, batch, **fit_params)

    monkeypatch.setattr(SemiSupervisedClassifier, "train_step_single", spy)
    net = _net(batch_size=8, mu=3).fit(X, y_semi)
    assert seen and all(isinstance(b, SemiSupervisedBatch) for b in seen)
    labeled = {tuple(r) for r in X[y_semi != -1]}
    for b in seen:
        assert b.X_labeled.shape[0] == 8 and b.X_unlabeled.shape[0] == 24
        assert (b.y_labeled >= 0).all()
        assert all(tuple(r) in labeled for r in b.X_labeled.numpy())
        assert not any(tuple(r) in labeled for r in b.X_unlabeled.numpy())
    # default epoch: one pass over the 340 unlabeled rows in batches of 24
    assert net.history[-1, "train_batch_count"] == int(np.ceil(340 / 24))


def test_steps_per_epoch_and_unlabeled_batch_size(semi_data):
    X, _, y_semi = semi_data
    net = _net(steps_per_epoch=3, unlabeled_batch_size=5).fit(X, y_semi)
    assert net.history[:, "train_batch_count"] == [3, 3]
    assert net.n_labeled_ == 60 and net.n_unlabeled_ == 340


@pytest.mark.parametrize(
    "params, match",
    [
        ({"mu": 0}, "mu must be an int >= 1"),
        ({"unlabeled_batch_size": 0}, "unlabeled_batch_size"),
        ({"steps_per_epoch": 1.5}, "steps_per_epoch"),
    ],
)
def test_bad_parameters_are_refused_in_fit(semi_data, params, match):
    X, _, y_semi = semi_data
    net = _net(**params)  # __init__ only stores
    with pytest.raises(ValueError, match=match):
        net.fit(X, y_semi)


def test_train_split_sees_labeled_rows_only(semi_data):
    X, _, y_semi = semi_data
    received = {}

    def split(dataset, y):
        received["n"], received["y"] = len(dataset), np.asarray(y)
        return ValidSplit(0.2, stratified=True)(dataset, y)

    net = _net(train_split=split).fit(X, y_semi)
    assert received["n"] == 60 and (received["y"] >= 0).all()
    assert net.n_labeled_ == 48 and net.n_unlabeled_ == 340
    assert np.isfinite(net.history[-1, "valid_loss"])
    assert 0 <= net.history[-1, "valid_acc"] <= 1
    # a stratified ValidSplit works directly, too
    _net(train_split=ValidSplit(0.25, stratified=True)).fit(X, y_semi)


def test_train_split_must_return_a_subset(semi_data):
    X, _, y_semi = semi_data

    def bad_split(dataset, y):
        return list(dataset), None

    with pytest.raises(TypeError, match="Subset"):
        _net(train_split=bad_split).fit(X, y_semi)


def test_loader_cycles_and_is_seeded():
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.full(20, -1)
    y[:6] = [0, 1, 0, 1, 0, 1]
    ds = SemiSupervisedDataset(X, y, np.arange(6), np.arange(6, 20))

    def batches(seed):
        g = torch.Generator().manual_seed(seed)
        loader = SemiSupervisedLoader(
            ds, batch_size=4, unlabeled_batch_size=7, generator=g
        )
        return [b for _ in range(3) for b in loader]

    a, b, c = batches(0), batches(0), batches(1)
    assert len(a) == 3 * 2  # ceil(14 / 7) steps per epoch
    for u, v in zip(a, b, strict=True):
        torch.testing.assert_close(u.X_labeled, v.X_labeled)
        torch.testing.assert_close(u.unlabeled_index, v.unlabeled_index)
    assert any(
        not torch.equal(u.X_labeled, v.X_labeled) for u, v in zip(a, c, strict=True)
    )
    # 24 labeled draws = 4 full passes over the 6 labeled rows
    firsts = np.concatenate([batch.X_labeled[:, 0].numpy() for batch in a])
    np.testing.assert_array_equal(np.bincount(firsts.astype(int) // 2), [4] * 6)
    # every epoch is exactly one pass over the 14 unlabeled rows
    for epoch in range(3):
        idx = torch.cat(
            [batch.unlabeled_index for batch in a[2 * epoch : 2 * epoch + 2]]
        )
        np.testing.assert_array_equal(np.sort(idx.numpy()), np.arange(14))
    assert torch.equal(a[0].X_unlabeled, torch.as_tensor(X[6:][a[0].unlabeled_index]))


def test_loader_without_shuffling_and_custom_iterators(semi_data):
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.array([0, 1, 0, -1, -1, -1, -1, -1, -1, -1])
    ds = SemiSupervisedDataset(X, y, [0, 1, 2], np.arange(3, 10))
    loader = SemiSupervisedLoader(
        ds, batch_size=2, unlabeled_batch_size=3, shuffle=False
    )
    batches = list(loader)
    assert len(batches) == 3
    np.testing.assert_array_equal(
        torch.cat([b.y_labeled for b in batches]).numpy(), [0, 1, 0, 0, 1, 0]
    )
    np.testing.assert_array_equal(
        torch.cat([b.unlabeled_index for b in batches]).numpy(),
        [0, 1, 2, 3, 4, 5, 6, 0, 1],
    )
    Xd, _, y_semi = semi_data
    _net(iterator_train__shuffle=False).fit(Xd, y_semi)
    with pytest.raises(TypeError, match="must accept"):
        _net(iterator_train=torch.utils.data.DataLoader).fit(Xd, y_semi)


def test_seeded_fit_is_reproducible(semi_data):
    X, _, y_semi = semi_data
    p1 = _net().fit(X, y_semi).predict_proba(X[:50])
    p2 = _net().fit(X, y_semi).predict_proba(X[:50])
    p3 = _net(random_state=1).fit(X, y_semi).predict_proba(X[:50])
    np.testing.assert_array_equal(p1, p2)
    assert not np.allclose(p1, p3)


def test_warm_start_continues_training(semi_data):
    X, y, y_semi = semi_data
    net = _net(warm_start=True, classes=np.arange(10)).fit(X, y_semi)
    module = net.module_
    before = [p.detach().clone() for p in module.parameters()]
    y_more = np.where(np.arange(len(y)) < 100, y, -1)
    net.fit(X, y_more)
    assert net.module_ is module and len(net.history) == 4
    assert net.n_labeled_ == 100
    assert any(
        not torch.equal(p, q) for p, q in zip(before, module.parameters(), strict=True)
    )
    cold = _net().fit(X, y_semi)
    assert len(cold.fit(X, y_more).history) == 2


def test_clone_get_set_params(semi_data):
    X, _, y_semi = semi_data
    net = _net(mu=2, steps_per_epoch=4)
    assert net.get_params()["mu"] == 2
    net.set_params(mu=3, unlabeled_batch_size=10)
    assert net.mu == 3 and net.unlabeled_batch_size == 10
    net.fit(X, y_semi)
    copy = clone(net)
    assert copy.get_params()["mu"] == 3 and copy.steps_per_epoch == 4
    assert not hasattr(copy, "n_labeled_")


def test_in_active_learner_with_a_pool(semi_data):
    X, y, _ = semi_data
    learner = ActiveLearner(
        _net(classes=np.arange(10)),
        RandomSampling(random_state=0),
        X_training=X[:40],
        y_training=y[:40],
        X_pool=X[40:],
    )
    assert learner.estimator.n_labeled_ == 40
    assert learner.estimator.n_unlabeled_ == 360
    idx, _ = learner.query(n_instances=5)
    learner.label(idx, y[40:][idx])
    assert learner.estimator.n_labeled_ == 45
    assert learner.estimator.n_unlabeled_ == 355
