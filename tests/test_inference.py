"""The one door (``skactive._inference``) and the nets' one inference funnel."""

import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNetClassifier

import skactive.strategies
from skactive import _inference
from skactive._validation import InvalidParameterError
from skactive.nets import MLP, DeepClassifier, SmallCNN


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


@pytest.fixture(scope="module")
def net(data):
    X, y = data
    return DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:200], y[:200])


def _tempered(p, t):
    """softmax(z / t) from p = softmax(z)."""
    q = np.power(p.astype(np.float64), 1.0 / t)
    return q / q.sum(axis=-1, keepdims=True)


class Tempered(DeepClassifier):
    """Scales the logits in ``infer``, skorch's customisation point."""

    def infer(self, x, **fit_params):
        return super().infer(x, **fit_params) / 4.0


def test_an_infer_override_reaches_every_inference_method(net, data):
    X, y = data
    tempered = Tempered(MLP, max_epochs=1, random_state=0).fit(X[:200], y[:200])
    tempered.module_.load_state_dict(net.module_.state_dict())
    pool = X[300:360]
    p = net.predict_proba(pool)
    np.testing.assert_allclose(tempered.predict_proba(pool), _tempered(p, 4), atol=1e-5)
    proba, emb = tempered.predict_proba_with_embedding(pool)
    np.testing.assert_allclose(proba, _tempered(p, 4), atol=1e-5)
    np.testing.assert_allclose(emb, net.embed(pool), atol=1e-6)
    np.testing.assert_allclose(tempered.embed(pool), net.embed(pool), atol=1e-6)
    for consistent in (False, True):
        a = net.predict_proba_samples(pool, 3, consistent=consistent, random_state=1)
        b = tempered.predict_proba_samples(
            pool, 3, consistent=consistent, random_state=1
        )
        np.testing.assert_allclose(b, _tempered(a, 4), atol=1e-5)

    def noise(x, generator=None):
        return x + 0.2 * torch.randn(x.shape, generator=generator)

    a = net.predict_proba_augmented(pool, noise, 3, random_state=2)
    b = tempered.predict_proba_augmented(pool, noise, 3, random_state=2)
    np.testing.assert_allclose(b, _tempered(a, 4), atol=1e-5)
    # and what a strategy computes through the door follows it too
    scores = skactive.strategies.UncertaintySampling("entropy").score_pool(
        tempered, pool
    )
    q = _tempered(p, 4)
    np.testing.assert_allclose(scores, -(q * np.log(q)).sum(1), rtol=1e-4)


def test_batches_of_any_size_give_the_same_rows(net, data):
    X, _ = data
    pool = X[300:437]
    p, e = net.predict_proba_with_embedding(pool)
    small = net.set_params(batch_size=7)
    try:
        p7, e7 = small.predict_proba_with_embedding(pool)
    finally:
        net.set_params(batch_size=64)
    np.testing.assert_allclose(p7, p, atol=1e-6)
    np.testing.assert_allclose(e7, e, atol=1e-6)
    assert p.dtype == np.float32 and e.dtype == np.float32


def test_consistent_samples_share_one_mask_per_pass(net, data):
    X, _ = data
    pool = np.repeat(X[300:301], 40, axis=0)  # 40 copies of one row
    S = net.predict_proba_samples(pool, 5, consistent=True, random_state=0)
    # the same mask for every row: copies get identical samples
    np.testing.assert_allclose(S, np.broadcast_to(S[:, :1], S.shape), atol=1e-6)
    assert not np.allclose(S[0], S[1])  # but not the same across passes
    independent = net.predict_proba_samples(pool, 5, random_state=0)
    assert not np.allclose(independent[:, 0], independent[:, 1])


def test_samples_leave_the_module_as_it_was(net, data):
    X, _ = data
    state = {k: v.clone() for k, v in net.module_.state_dict().items()}
    net.predict_proba_samples(X[:50], 3, random_state=0)
    net.predict_proba_samples(X[:50], 3, consistent=True, random_state=0)
    assert not any(m.training for m in net.module_.modules())
    for k, v in net.module_.state_dict().items():
        torch.testing.assert_close(v, state[k])
    hooks = [m._forward_hooks or m._forward_pre_hooks for m in net.module_.modules()]
    assert not any(hooks)


def test_final_layer_and_transformed_shape(net, data):
    X, _ = data
    assert net.final_layer() is net.module_.classifier
    layer = _inference.final_layer(net)
    np.testing.assert_allclose(
        layer.weight, net.module_.classifier.weight.detach().double().numpy()
    )
    assert net.transformed_shape(X[:3]) == (64,)
    images = (X[:10].reshape(-1, 8, 8) * 255).astype(np.uint8)
    cnn = DeepClassifier(SmallCNN, max_epochs=1, random_state=0)
    assert cnn.transformed_shape(images) == (1, 8, 8)
    assert _inference.input_shape(cnn, images) == (1, 8, 8)
    assert _inference.input_shape(LogisticRegression(), images) == (8, 8)


def test_final_layer_of_linear_models(data):
    X, y = data
    multi = LogisticRegression(max_iter=500).fit(X[:200], y[:200])
    layer = _inference.final_layer(make_pipeline(StandardScaler(), multi))
    np.testing.assert_allclose(layer.weight, multi.coef_)
    binary = LogisticRegression(max_iter=500).fit(X[:200], y[:200] % 2)
    W, b = _inference.final_layer(binary)
    assert W.shape == (2, 64) and np.all(W[0] == 0) and b[0] == 0
    # softmax of the two-row layer is the model's sigmoid
    z = X[:5] @ W.T + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(p, binary.predict_proba(X[:5]), atol=1e-6)
    with pytest.raises(InvalidParameterError, match="no final linear layer"):
        _inference.final_layer(StandardScaler().fit(X))


def test_embed_pool_kinds(net, data):
    X, y = data
    clf = LogisticRegression(max_iter=500).fit(X[:200], y[:200])
    np.testing.assert_array_equal(_inference.embed_pool(clf, X[:5]), X[:5])
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    pipe.fit(X[:200], y[:200])
    np.testing.assert_allclose(
        _inference.embed_pool(pipe, X[:5]), pipe[:-1].transform(X[:5]), rtol=1e-6
    )
    sparse = sp.csr_matrix(X[:200])
    sclf = LogisticRegression(max_iter=500).fit(sparse, y[:200])
    assert sp.issparse(_inference.embed_pool(sclf, sparse[:5], keep_sparse=True))
    assert isinstance(_inference.embed_pool(sclf, sparse[:5]), np.ndarray)
    p, e = _inference.embed_pool(net, X[:5], return_proba=True)
    assert p.shape == (5, 10) and e.shape == (5, 256)


def test_mc_samples_chunks_are_seeded_apart(net, data):
    X, _ = data
    whole = _inference.mc_samples(net, X[:100], 3, random_state=0, chunk_rows=100)
    chunks = _inference.mc_samples(net, X[:100], 3, random_state=0, chunk_rows=30)
    assert whole.shape == chunks.shape == (3, 100, 10)
    again = _inference.mc_samples(net, X[:100], 3, random_state=0, chunk_rows=30)
    np.testing.assert_array_equal(chunks, again)
    with pytest.raises(InvalidParameterError, match="predict_proba_samples"):
        _inference.mc_samples(LogisticRegression(), X[:10], 3)


def test_consistent_samples_of_a_plain_skorch_net(data):
    X, y = data
    module = MLP(n_features=64, n_classes=10, dropout=0.5)
    plain = NeuralNetClassifier(module, max_epochs=1, train_split=None)
    plain.fit(X[:200], y[:200].astype(np.int64))
    assert _inference.supports_consistent_dropout(plain)
    pool = np.repeat(X[300:301], 10, axis=0)
    S = _inference.consistent_mc_dropout(plain, pool, 4, random_state=0)
    assert S.shape == (4, 10, 10)
    np.testing.assert_allclose(S, np.broadcast_to(S[:, :1], S.shape), atol=1e-6)
    again = _inference.consistent_mc_dropout(plain, pool, 4, random_state=0)
    np.testing.assert_array_equal(S, again)
    with pytest.raises(InvalidParameterError, match="n_samples must be an int >= 2"):
        _inference.consistent_mc_dropout(plain, pool, 1)


def test_no_strategy_reaches_into_a_model():
    """No private attribute of a model, no hook of its own, in any strategy."""
    folder = Path(skactive.strategies.__file__).parent
    private = re.compile(
        r"getattr\([^,]+, *\"_[a-z]|(net|model|estimator|module)\._[a-z][a-z_]*\("
    )
    for path in folder.glob("*.py"):
        text = path.read_text()
        # (skactive's own learner class marks itself with _skactive_learner)
        lines = [ln for ln in text.splitlines() if "_skactive_learner" not in ln]
        assert not private.search("\n".join(lines)), path.name
        assert "register_forward" not in text, path.name
        assert not re.search(r"\bmodule_\b", text), path.name


def test_every_net_inference_method_goes_through_the_funnel():
    """The inference methods call _forward_passes, which calls evaluation_step."""
    for name in (
        "predict_proba_with_embedding",
        "predict_proba_samples",
        "predict_proba_augmented",
    ):
        source = inspect.getsource(getattr(DeepClassifier, name))
        assert "_forward_passes" in source, name
        assert "module_(" not in source, name
    loop = inspect.getsource(DeepClassifier._forward_passes)
    assert "get_iterator" in loop and "evaluation_step" in loop


def test_blocks_scored_apart_draw_the_masks_of_one_call():
    from sklearn.datasets import load_digits

    from skactive._inference import mc_samples, pool_offset
    from skactive.nets import MLP, DeepClassifier

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    net = DeepClassifier(MLP, max_epochs=1, random_state=0).fit(X[:100], y[:100])
    whole = mc_samples(net, X, 3, random_state=7, chunk_rows=200)
    parts = []
    for start in range(0, len(X), 600):
        with pool_offset(start):
            parts.append(
                mc_samples(
                    net, X[start : start + 600], 3, random_state=7, chunk_rows=200
                )
            )
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), whole)
    with pool_offset(100), pytest.raises(InvalidParameterError, match="multiple"):
        mc_samples(net, X[100:300], 3, random_state=7, chunk_rows=200)
