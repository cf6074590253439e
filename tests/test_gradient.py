"""Expected gradient length against autograd, for nets and linear models."""

import numpy as np
import pytest
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skactive import ActiveLearner
from skactive.nets import MLP, DeepClassifier
from skactive.strategies.gradient import ExpectedGradientLength


def _autograd_egl(layer_weight, layer_bias, F, proba, *, bias_gradient=True):
    """sum_y p(y|x) ||d CE(W f + b, y) / d(W[, b])|| by autograd, row by row."""
    out = []
    for f, p in zip(F, proba, strict=True):
        total = 0.0
        for y in range(layer_weight.shape[0]):
            W = layer_weight.clone().requires_grad_(True)
            b = layer_bias.clone().requires_grad_(bias_gradient)
            params = [W, b] if bias_gradient else [W]
            logits = W @ f + b
            loss = torch.nn.functional.cross_entropy(logits[None], torch.tensor([y]))
            grads = torch.autograd.grad(loss, params)
            total += p[y] * float(torch.sqrt(sum((g**2).sum() for g in grads)))
        out.append(total)
    return np.array(out)


def test_tiny_linear_layer_matches_autograd():
    torch.manual_seed(0)
    layer = torch.nn.Linear(5, 3).double()
    F = torch.randn(8, 5, dtype=torch.float64)
    with torch.no_grad():
        proba = torch.softmax(layer(F), 1).numpy()
    from skactive.scores import expected_gradient_length

    ref = _autograd_egl(layer.weight.detach(), layer.bias.detach(), F, proba)
    np.testing.assert_allclose(expected_gradient_length(proba, F.numpy()), ref)


@pytest.fixture(scope="module")
def logreg(digits):
    X, y = digits
    return LogisticRegression(max_iter=2000).fit(X[:100], y[:100]), X[100:300]


def test_logistic_regression_matches_autograd_of_the_log_loss(logreg):
    clf, pool = logreg
    W = torch.as_tensor(clf.coef_, dtype=torch.float64)
    b = torch.as_tensor(clf.intercept_, dtype=torch.float64)
    F = torch.as_tensor(pool[:40], dtype=torch.float64)
    proba = clf.predict_proba(pool[:40])
    # the model is softmax(W x + b): the input row is the final layer's input
    # (scikit-learn computes W x + b in the pool's float32: float32 tolerance)
    np.testing.assert_allclose(torch.softmax(F @ W.T + b, 1).numpy(), proba, rtol=1e-5)
    ref = _autograd_egl(W, b, F, proba)
    ours = ExpectedGradientLength().score_pool(clf, pool[:40])
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    idx, scores = ExpectedGradientLength(random_state=0).select(clf, pool, 5)
    full = ExpectedGradientLength().score_pool(clf, pool)
    assert np.all(scores >= np.sort(full)[-5] - 1e-12)


def test_include_bias(logreg, digits):
    clf, pool = logreg
    F = torch.as_tensor(pool[:10], dtype=torch.float64)
    W = torch.as_tensor(clf.coef_, dtype=torch.float64)
    b = torch.as_tensor(clf.intercept_, dtype=torch.float64)
    proba = clf.predict_proba(pool[:10])
    no_bias = ExpectedGradientLength(include_bias=False).score_pool(clf, pool[:10])
    ref = _autograd_egl(W, b, F, proba, bias_gradient=False)
    np.testing.assert_allclose(no_bias, ref, rtol=1e-6)
    X, y = digits
    flat = LogisticRegression(fit_intercept=False, max_iter=2000).fit(X[:100], y[:100])
    np.testing.assert_allclose(
        ExpectedGradientLength().score_pool(flat, pool[:10]),
        ExpectedGradientLength(include_bias=False).score_pool(flat, pool[:10]),
    )
    with pytest.raises(ValueError, match="include_bias"):
        ExpectedGradientLength(include_bias="yes")(clf, pool, 1)


def test_pipeline_uses_the_transformed_rows(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    pipe.fit(X[:100], y[:100])
    lr = pipe[-1]
    Z = pipe[:-1].transform(X[100:130])
    ref = _autograd_egl(
        torch.as_tensor(lr.coef_, dtype=torch.float64),
        torch.as_tensor(lr.intercept_, dtype=torch.float64),
        torch.as_tensor(Z, dtype=torch.float64),
        pipe.predict_proba(X[100:130]),
    )
    np.testing.assert_allclose(
        ExpectedGradientLength().score_pool(pipe, X[100:130]), ref, rtol=1e-5
    )


@pytest.fixture(scope="module")
def net(digits):
    X, y = digits
    return DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])


def test_net_matches_autograd_on_its_final_layer(net, digits):
    X, _ = digits
    pool = X[100:130]
    proba, emb = net.predict_proba_with_embedding(pool)
    layer = net.module_.classifier
    ref = _autograd_egl(
        layer.weight.detach().double(),
        layer.bias.detach().double(),
        torch.as_tensor(emb, dtype=torch.float64),
        proba.astype(np.float64),
    )
    ours = ExpectedGradientLength().score_pool(net, pool)
    np.testing.assert_allclose(ours, ref, rtol=1e-5)
    chunked = ExpectedGradientLength(batch_size=7).score_pool(net, pool)
    np.testing.assert_allclose(chunked, ours, rtol=1e-6)


def test_net_embedding_layer_must_be_the_final_layer(digits):
    X, y = digits
    net = DeepClassifier(
        MLP,
        module__hidden_units=(32, 16),
        embedding_layer="body.3",
        max_epochs=1,
        random_state=0,
    ).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="final linear layer"):
        ExpectedGradientLength()(net, X[100:120], 1)


@pytest.mark.parametrize("which", ["logreg", "net"])
def test_in_skactive_learner(which, digits, net, logreg):
    X, y = digits
    estimator = logreg[0] if which == "logreg" else net
    learner = ActiveLearner(estimator, ExpectedGradientLength(random_state=0))
    learner.X_training, learner.y_training = X[:100], y[:100]
    pool = X[100:300]
    idx, rows = learner.query(pool, n_instances=3)
    np.testing.assert_array_equal(rows, pool[idx])
    np.testing.assert_allclose(
        learner.history_[0]["scores"],
        ExpectedGradientLength().score_pool(estimator, pool)[idx],
    )


def test_non_linear_estimators_are_refused(digits):
    X, y = digits
    forest = RandomForestClassifier(3, random_state=0).fit(X[:100], y[:100])
    with pytest.raises(TypeError, match="predict_proba_with_embedding"):
        ExpectedGradientLength()(forest, X[100:200], 1)
