"""label_propagation / knn_graph against dense references; the net on digits."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from skactive.nets import MLP
from skactive.nets._semi import SemiSupervisedClassifier, SemiSupervisedDataset
from skactive.nets.label_propagation import (
    LabelPropagationClassifier,
    knn_graph,
    label_propagation,
)

from ._sklearn_checks import SEMI_SUPERVISED_EXPECTED_FAILURES

EXPECTED_FAILED_CHECKS = SEMI_SUPERVISED_EXPECTED_FAILURES


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@parametrize_with_checks(
    [
        LabelPropagationClassifier(
            MLP,
            k=5,
            warmup_epochs=1,
            max_epochs=15,
            lr=0.03,
            batch_size=128,
            random_state=0,
            module__hidden_units=(32,),
            module__dropout=0.0,
        )
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _dense_knn_affinity(emb, k, gamma):
    v = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    A = np.zeros_like(sims)
    for i, row in enumerate(sims):
        nn = np.argsort(-row, kind="stable")[:k]
        A[i, nn] = np.maximum(row[nn], 0) ** gamma
    return A


@pytest.mark.parametrize("chunk_size", [7, 1024])
def test_knn_graph_matches_brute_force(chunk_size):
    rng = np.random.RandomState(0)
    emb = rng.normal(size=(50, 6))
    A = knn_graph(emb, k=4, gamma=3, chunk_size=chunk_size)
    assert sp.issparse(A) and A.shape == (50, 50)
    assert A.diagonal().sum() == 0
    assert (np.diff(A.indptr) <= 4).all()
    np.testing.assert_allclose(A.toarray(), _dense_knn_affinity(emb, 4, 3), atol=1e-6)


def test_cg_solution_matches_a_dense_solve():
    rng = np.random.RandomState(1)
    emb = np.abs(rng.normal(size=(30, 5)))
    y = np.full(30, -1)
    y[[0, 1, 2, 3, 4, 5]] = [0, 1, 2, 0, 1, 0]
    k, gamma, alpha = 5, 3.0, 0.99
    labels, weights, Z = label_propagation(
        emb, y, k=k, gamma=gamma, alpha=alpha, return_scores=True, tol=1e-12
    )
    A = _dense_knn_affinity(emb, k, gamma)
    W = A + A.T
    d = W.sum(1)
    W_n = W / np.sqrt(np.outer(d, d))
    Y = np.zeros((30, 3))
    for c in range(3):
        Y[y == c, c] = 1.0 / np.sum(y == c)
    Z_dense = np.linalg.solve(np.eye(30) - alpha * W_n, Y)
    np.testing.assert_allclose(Z, Z_dense, rtol=1e-6, atol=1e-9)
    # pseudo-labels and certainty from Z, by hand
    P = np.clip(Z_dense, 0, None)
    P /= P.sum(1, keepdims=True)
    H = -(P * np.log(np.where(P > 0, P, 1))).sum(1)
    unl = y == -1
    np.testing.assert_array_equal(labels[unl], P.argmax(1)[unl])
    np.testing.assert_allclose(weights[unl], 1 - H[unl] / np.log(3), atol=1e-8)
    np.testing.assert_array_equal(labels[~unl], y[~unl])
    assert (weights[~unl] == 1).all()


def test_two_blobs_with_one_label_each():
    rng = np.random.RandomState(0)
    emb = np.vstack(
        [rng.normal([6, 1, 0], 1, (150, 3)), rng.normal([1, 6, 0], 1, (150, 3))]
    )
    truth = np.repeat(["a", "b"], 150)
    y = np.full(300, -1, dtype=object)
    y[7], y[200] = "a", "b"
    labels, weights = label_propagation(emb, y, k=10, classes=np.array(["a", "b"]))
    np.testing.assert_array_equal(labels, truth)
    assert ((weights >= 0) & (weights <= 1)).all()
    assert weights[y == -1].mean() > 0.5


def test_certainty_weights_in_unit_interval_and_isolated_rows():
    rng = np.random.RandomState(3)
    emb = np.abs(rng.normal(size=(80, 4)))
    emb[-1] = -emb[:-1].mean(0)  # negative similarity to every other row
    y = np.full(80, -1)
    y[:8] = np.arange(8) % 4
    labels, weights = label_propagation(emb, y, k=6)
    assert ((weights >= 0) & (weights <= 1)).all()
    assert weights[-1] == 0  # no graph mass: uniform, certainty 0
    assert set(labels) <= {0, 1, 2, 3}


def test_label_propagation_errors():
    emb = np.zeros((5, 2))
    with pytest.raises(ValueError, match="at least one labeled row"):
        label_propagation(emb + 1, np.full(5, -1))
    with pytest.raises(ValueError, match=r"alpha must be a float in \[0, 1\)"):
        label_propagation(emb + 1, np.array([0, 1, -1, -1, -1]), alpha=1.0)
    with pytest.raises(ValueError, match="one label per row"):
        label_propagation(emb + 1, np.array([0, 1]))
    with pytest.raises(ValueError, match="not in classes"):
        label_propagation(emb + 1, np.array([0, 5, -1, -1, -1]), classes=[0, 1])


@pytest.fixture(scope="module")
def semi_data(digits):
    X, y = digits
    y_semi = np.where(np.arange(400) < 60, y[:400], -1)
    return X[:400], y[:400], y_semi


def _net(cls=LabelPropagationClassifier, **kwargs):
    params = dict(max_epochs=3, batch_size=16, random_state=0)
    if cls is LabelPropagationClassifier:
        params.update(k=10, warmup_epochs=1)
    params.update(kwargs)
    return cls(MLP, **params)


def test_propagation_schedule(semi_data):
    X, _, y_semi = semi_data
    net = _net(max_epochs=7, warmup_epochs=2, propagate_every=2).fit(X, y_semi)
    assert net.n_propagations_ == 3  # epochs 2, 4 and 6
    assert net.pseudo_labels_.shape == net.pseudo_weights_.shape == (340,)
    assert (net.pseudo_labels_ >= 0).all() and (net.pseudo_weights_ >= 0).all()


def test_pseudo_weights_are_certainty_times_class_balance(semi_data):
    X, _, y_semi = semi_data
    net = _net().fit(X, y_semi)
    codes = net._encode_y(y_semi)
    ds = SemiSupervisedDataset(
        X, codes, np.flatnonzero(codes >= 0), np.flatnonzero(codes < 0)
    )
    pseudo, weights = net.propagate(ds)
    labels, certainty = label_propagation(
        net.embed(np.vstack([X[codes >= 0], X[codes < 0]])),
        np.concatenate([codes[codes >= 0], codes[codes < 0]]),
        k=10,
        classes=np.arange(10),
    )
    np.testing.assert_array_equal(pseudo, labels[60:])
    counts = np.bincount(pseudo, minlength=10)
    zeta = 340 / (np.count_nonzero(counts) * counts[pseudo])
    np.testing.assert_allclose(weights, certainty[60:] * zeta, rtol=1e-6)
    np.testing.assert_allclose(np.mean(zeta), 1.0)


def test_before_the_first_propagation_it_is_the_supervised_base(semi_data):
    X, _, y_semi = semi_data
    lp = _net(warmup_epochs=3).fit(X, y_semi)
    base = _net(cls=SemiSupervisedClassifier).fit(X, y_semi)
    assert lp.n_propagations_ == 0
    np.testing.assert_array_equal(lp.predict_proba(X), base.predict_proba(X))
    # propagated pseudo-labels change the fit
    lp2 = _net(warmup_epochs=1).fit(X, y_semi)
    assert lp2.n_propagations_ == 2
    assert not np.allclose(lp2.predict_proba(X), base.predict_proba(X))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"k": 0}, "k must be"),
        ({"alpha": 1.0}, r"alpha must be a float in \[0, 1\)"),
        ({"gamma": 0}, "gamma"),
        ({"propagate_every": 0}, "propagate_every"),
        ({"warmup_epochs": -1}, "warmup_epochs"),
        ({"unlabeled_weight": -1.0}, "unlabeled_weight"),
    ],
)
def test_bad_parameters(semi_data, params, match):
    X, _, y_semi = semi_data
    with pytest.raises(ValueError, match=match):
        _net(**params).fit(X, y_semi)


def test_clone_get_set_params():
    net = _net(k=7)
    net.set_params(alpha=0.9, propagate_every=3)
    copy_ = clone(net)
    assert copy_.k == 7 and copy_.alpha == 0.9 and copy_.propagate_every == 3


def test_beats_supervised_on_digits_with_50_labels(digits_50_labels):
    # 5 labels per class, 1154 unlabeled rows, 593 held-out rows. Margins over
    # the supervised MLP with these settings: +3.2, +6.2, +6.4 points for split
    # seeds 0, 1, 2; the test uses seed 1.
    d = digits_50_labels
    X_tr, y_semi, X_te, y_te = d.X_train, d.y_semi, d.X_test, d.y_test
    semi = LabelPropagationClassifier(
        MLP,
        k=10,
        warmup_epochs=5,
        max_epochs=25,
        batch_size=32,
        lr=3e-3,
        random_state=1,
    ).fit(X_tr, y_semi)
    acc_sup = d.supervised_accuracy
    acc_semi = np.mean(semi.predict(X_te) == y_te)
    assert acc_semi >= acc_sup + 0.03, (acc_semi, acc_sup)
