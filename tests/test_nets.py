import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import estimator_checks_generator

from skactive.nets import MLP, DeepClassifier, SmallCNN, to_float_tensor

from ._sklearn_checks import SKORCH_EXPECTED_FAILURES

EXPECTED_FAILED_CHECKS = SKORCH_EXPECTED_FAILURES


def _check_net():
    return DeepClassifier(
        MLP,
        max_epochs=15,
        lr=0.03,
        batch_size=128,
        random_state=0,
        module__hidden_units=(32,),
        module__dropout=0.0,
    )


def _check_name(check):
    return getattr(check, "func", check).__name__


# The array-API check needs SCIPY_ARRAY_API and array_api_compat and would be
# skipped; DeepClassifier takes numpy arrays and torch tensors, tested below.
SKLEARN_CHECKS = [
    item
    for item in estimator_checks_generator(
        _check_net(), expected_failed_checks=EXPECTED_FAILED_CHECKS, mark="xfail"
    )
    if _check_name(item.values[1] if hasattr(item, "values") else item[1])
    != "check_array_api_input"
]


@pytest.mark.parametrize(
    "estimator, check",
    SKLEARN_CHECKS,
    ids=lambda obj: _check_name(obj) if callable(obj) else "DeepClassifier",
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def mlp_net(digits):
    X, y = digits
    return DeepClassifier(MLP, max_epochs=5, batch_size=32, random_state=0).fit(
        X[:300], y[:300]
    )


def test_embed_is_the_input_of_the_final_layer(mlp_net, digits):
    X, _ = digits
    emb = mlp_net.embed(X[:20])
    module = mlp_net.module_.eval()
    with torch.no_grad():
        expected = module.dropout(module.features(torch.as_tensor(X[:20])))
        logits = module.classifier(torch.as_tensor(emb))
    np.testing.assert_allclose(emb, expected.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        torch.softmax(logits, -1).numpy(), mlp_net.predict_proba(X[:20]), atol=1e-5
    )


def test_predict_proba_with_embedding_is_one_pass(mlp_net, digits):
    X, _ = digits
    proba, emb = mlp_net.predict_proba_with_embedding(X[:50])
    np.testing.assert_allclose(proba, mlp_net.predict_proba(X[:50]), atol=1e-6)
    np.testing.assert_allclose(emb, mlp_net.embed(X[:50]), atol=1e-6)
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-5)


def test_named_embedding_layer(digits):
    X, y = digits
    net = DeepClassifier(
        MLP, max_epochs=1, random_state=0, embedding_layer="dropout"
    ).fit(X[:100], y[:100])
    module = net.module_.eval()
    with torch.no_grad():
        expected = module.features(torch.as_tensor(X[:5]))
    np.testing.assert_allclose(net.embed(X[:5]), expected.numpy(), atol=1e-6)
    bad = DeepClassifier(MLP, max_epochs=1, embedding_layer="nope").fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="embedding_layer='nope'"):
        bad.embed(X[:5])


def test_mc_dropout_samples(mlp_net, digits):
    X, _ = digits
    samples = mlp_net.predict_proba_samples(X[:30], n_samples=8)
    assert samples.shape == (8, 30, 10)
    np.testing.assert_allclose(samples.sum(-1), 1, atol=1e-5)
    assert not np.allclose(samples[0], samples[1])  # dropout is active
    again = mlp_net.predict_proba_samples(X[:30], n_samples=8)
    np.testing.assert_array_equal(samples, again)  # seeded by random_state
    other = mlp_net.predict_proba_samples(X[:30], n_samples=8, random_state=1)
    assert not np.allclose(samples, other)
    assert not mlp_net.module_.training  # left in eval mode


def test_mc_dropout_keeps_batchnorm_in_eval(digit_images):
    X, y = digit_images

    class BNNet(torch.nn.Module):
        def __init__(self, in_channels=1, n_classes=10):
            super().__init__()
            self.bn = torch.nn.BatchNorm1d(64)
            self.dropout = torch.nn.Dropout(0.5)
            self.classifier = torch.nn.Linear(64, n_classes)

        def forward(self, x):
            return self.classifier(self.dropout(self.bn(x.flatten(1))))

    net = DeepClassifier(BNNet, max_epochs=2, random_state=0).fit(X[:200], y[:200])
    stats = net.module_.bn.running_mean.clone()
    net.predict_proba_samples(X[:50], n_samples=4)
    torch.testing.assert_close(net.module_.bn.running_mean, stats)


def test_mc_dropout_errors(digits):
    X, y = digits
    net = DeepClassifier(MLP, max_epochs=1, module__dropout=0.0).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="no dropout layer"):
        net.predict_proba_samples(X[:5], n_samples=4)
    with pytest.raises(ValueError, match="n_samples must be an int >= 2, got 1"):
        net.predict_proba_samples(X[:5], n_samples=1)


def test_predict_proba_augmented(mlp_net, digits):
    X, _ = digits

    def noise(x, generator=None):
        return x + 0.3 * torch.randn(x.shape, generator=generator)

    proba, emb = mlp_net.predict_proba_augmented(
        X[:40], noise, n_augmentations=3, return_embedding=True
    )
    assert proba.shape == (4, 40, 10)
    np.testing.assert_allclose(proba[0], mlp_net.predict_proba(X[:40]), atol=1e-6)
    np.testing.assert_allclose(emb, mlp_net.embed(X[:40]), atol=1e-6)
    assert not np.allclose(proba[1], proba[2])
    again = mlp_net.predict_proba_augmented(X[:40], noise, n_augmentations=3)
    np.testing.assert_array_equal(proba, again)
    with pytest.raises(ValueError, match="n_augmentations must be an int >= 1"):
        mlp_net.predict_proba_augmented(X[:5], noise, n_augmentations=0)
    with pytest.raises(TypeError, match="transform must be a callable"):
        mlp_net.predict_proba_augmented(X[:5], "flip", n_augmentations=1)


def test_identity_augmentation_repeats_the_prediction(mlp_net, digits):
    X, _ = digits
    proba = mlp_net.predict_proba_augmented(X[:10], lambda x: x, n_augmentations=2)
    np.testing.assert_allclose(proba[1], proba[0], atol=1e-6)


@pytest.mark.parametrize("layout", ["NHW", "NHWC", "NCHW"])
def test_image_layouts(digit_images, layout):
    X, y = digit_images
    if layout == "NHWC":
        X = X[..., None]
    elif layout == "NCHW":
        X = X[:, None].astype(np.float32) / 255
    net = DeepClassifier(SmallCNN, max_epochs=2, random_state=0).fit(X[:200], y[:200])
    assert net.module_.classifier.out_features == 10
    assert net.predict_proba(X[200:210]).shape == (10, 10)
    assert net.embed(X[200:210]).shape == (10, net.module_.embedding_dim)


def test_to_float_tensor():
    x = torch.full((2, 5, 6, 3), 255, dtype=torch.uint8)
    out = to_float_tensor(x)
    assert out.shape == (2, 3, 5, 6) and out.dtype == torch.float32
    assert float(out.max()) == 1.0
    assert (
        to_float_tensor(torch.zeros(2, 4, dtype=torch.float64)).dtype == torch.float32
    )
    assert to_float_tensor(torch.zeros(2, 3, 5, 6)).shape == (2, 3, 5, 6)


def test_string_labels_and_classes(digits):
    X, y = digits
    names = np.array(list("abcdefghij"))
    net = DeepClassifier(MLP, max_epochs=3, random_state=0).fit(X[:200], names[y[:200]])
    assert set(net.predict(X[:20])) <= set(names)
    np.testing.assert_array_equal(net.classes_, names)
    # classes= fixes the output layer before every class was seen
    few = y[:200] < 3
    net = DeepClassifier(MLP, max_epochs=1, classes=np.arange(10)).fit(
        X[:200][few], y[:200][few]
    )
    assert net.predict_proba(X[:3]).shape == (3, 10)
    with pytest.raises(ValueError, match="not among the classes"):
        DeepClassifier(MLP, max_epochs=1, classes=[0, 1]).fit(X[:20], y[:20])


def test_seeded_and_leaves_global_rng_alone(digits):
    X, y = digits
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = DeepClassifier(MLP, max_epochs=2, random_state=7).fit(X[:200], y[:200])
    b = DeepClassifier(MLP, max_epochs=2, random_state=7).fit(X[:200], y[:200])
    assert torch.equal(torch.get_rng_state(), before)
    np.testing.assert_array_equal(a.predict_proba(X[:50]), b.predict_proba(X[:50]))
    c = DeepClassifier(MLP, max_epochs=2, random_state=8).fit(X[:200], y[:200])
    assert not np.allclose(a.predict_proba(X[:50]), c.predict_proba(X[:50]))


def test_warm_start_partial_fit_and_input_checks(digits):
    X, y = digits
    net = DeepClassifier(MLP, max_epochs=1, warm_start=True, random_state=0)
    net.fit(X[:100], y[:100])
    module = net.module_
    net.fit(X[:150], y[:150])
    assert net.module_ is module  # warm start keeps the module
    net.partial_fit(X[150:200], y[150:200])
    assert len(net.history) == 3
    with pytest.raises(ValueError, match="X has 10 features, but DeepClassifier"):
        net.predict(X[:5, :10])


def test_unfitted_and_bad_input(digits):
    X, y = digits
    with pytest.raises(NotFittedError):
        DeepClassifier(MLP).predict_proba(X[:5])
    with pytest.raises(NotFittedError):
        DeepClassifier(MLP).embed(X[:5])
    with pytest.raises(ValueError, match="requires y"):
        DeepClassifier(MLP).fit(X[:5], None)
    with pytest.raises(ValueError, match="NaN"):
        DeepClassifier(MLP).fit(np.full((5, 3), np.nan), np.arange(5))
    with pytest.raises(ValueError, match="Unknown label type"):
        DeepClassifier(MLP).fit(X[:5], np.linspace(0, 1, 5))


def test_runs_on_the_requested_device(digits):
    X, y = digits
    net = DeepClassifier(MLP, max_epochs=1, device=torch.device("cpu")).fit(
        X[:50], y[:50]
    )
    assert next(net.module_.parameters()).device.type == "cpu"


def test_shuffles_training_batches_and_accepts_a_validation_split(digits):
    from skorch.dataset import ValidSplit

    X, y = digits
    order = np.argsort(y[:300], kind="stable")  # class-sorted, as rounds arrive
    net = DeepClassifier(MLP, max_epochs=2, random_state=0)
    assert net.iterator_train__shuffle is True
    net = DeepClassifier(
        MLP, max_epochs=2, random_state=0, train_split=ValidSplit(0.2, random_state=0)
    ).fit(X[:300][order], y[:300][order])
    assert "valid_acc" in net.history[-1]
    assert 0.0 <= net.history[-1]["valid_acc"] <= 1.0


def test_fitting_adds_no_parameters(digits):
    X, y = digits
    net = DeepClassifier(MLP, max_epochs=1, random_state=0)
    before = set(net.get_params())
    net.fit(X[:50], y[:50])
    net.predict_proba_samples(X[:5], n_samples=2)
    assert set(net.get_params()) == before
