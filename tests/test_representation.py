"""Self-supervised representation learners of skactive.representation."""

import inspect
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
)
from threadpoolctl import threadpool_limits

from skactive._validation import (
    InvalidParameterError,
    invalid_values,
    parameter_constraints,
)
from skactive.nets import MLP, DeepClassifier, SmallCNN
from skactive.representation import (
    BarlowTwins,
    DeepCluster,
    PretrainedEmbedder,
    RotNet,
    SimCLR,
    classifier_from_embedder,
    initial_selection,
)

TINY = dict(max_epochs=1, batch_size=32, random_state=0)
SMALL_CNN = dict(channels=(8, 16), hidden_units=32)


def _tiny(cls, **kw):
    extra = {
        RotNet: {},
        BarlowTwins: dict(projector_dims=(32, 32)),
        SimCLR: dict(projector_dims=(32, 16)),
        DeepCluster: dict(n_clusters=5, pca_dim=8),
    }[cls]
    return cls(module_kwargs=SMALL_CNN, **{**TINY, **extra, **kw})


LEARNERS = [RotNet, BarlowTwins, SimCLR, DeepCluster]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny nets and probes run faster on one thread when the cores are busy."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def images(digit_images):
    return digit_images


@pytest.fixture(scope="module")
def rotnet(images):
    X, _ = images
    # 8 x 8 digits: the 2 x 2 map of the second block is kept (pool_size=2);
    # global average pooling throws away the layout that tells digits apart.
    return RotNet(pool_size=2, max_epochs=5, random_state=0).fit(X[:1500])


@pytest.fixture(scope="module")
def simclr(images):
    X, _ = images
    return SimCLR(max_epochs=8, random_state=0).fit(X)


@pytest.fixture(scope="module")
def deepcluster(images):
    X, _ = images
    # a small pool: 4 epochs per clustering let the fresh head fit the clusters
    return DeepCluster(
        n_clusters=30,
        pca_dim=32,
        reassign_every=4,
        max_epochs=8,
        batch_size=64,
        random_state=0,
    ).fit(X)


def _probe(E, y, seed):
    rng = np.random.RandomState(seed)
    idx = rng.permutation(len(y))
    train, test = idx[:100], idx[100:]
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    return clf.fit(E[train], y[train]).score(E[test], y[test])


def _probe_gain(E, X, y):
    raw = X.reshape(len(X), -1).astype(np.float64)
    gains = [_probe(E, y, s) - _probe(raw, y, s) for s in range(3)]
    return float(np.mean(gains)), gains


# --------------------------------------------------------------- basic API
@pytest.mark.parametrize("cls", LEARNERS)
def test_fit_transform_shapes(cls, images):
    X, _ = images
    est = _tiny(cls).fit(X[:96])
    emb = est.transform(X[:70])
    assert emb.shape == (70, est.n_features_out_)
    assert emb.dtype == np.float32
    assert np.isfinite(emb).all()
    assert isinstance(est.encoder_, torch.nn.Module)
    assert est.loss_history_.shape == (1,)
    assert est.input_shape_ == (8, 8) and est.image_shape_ == (1, 8, 8)
    assert not est.encoder_.training
    names = est.get_feature_names_out()
    assert len(names) == emb.shape[1] and names[0] == f"{cls.__name__.lower()}0"


@pytest.mark.parametrize("cls", LEARNERS)
def test_seed_determinism(cls, images):
    X, _ = images
    a = _tiny(cls).fit(X[:96])
    b = _tiny(cls).fit(X[:96])
    np.testing.assert_array_equal(a.transform(X[:20]), b.transform(X[:20]))
    np.testing.assert_array_equal(a.loss_history_, b.loss_history_)
    c = _tiny(cls, random_state=1).fit(X[:96])
    assert not np.allclose(a.transform(X[:20]), c.transform(X[:20]))


def test_global_random_state_is_left_alone(images):
    X, _ = images
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002
    _tiny(SimCLR).fit(X[:64])
    assert torch.equal(torch.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)  # noqa: NPY002


def test_input_layouts_give_the_same_embedding(rotnet, images):
    X, _ = images
    x = X[:10]
    expected = rotnet.transform(x)
    f = x.astype(np.float32) / 255
    for layout in (torch.from_numpy(x), torch.from_numpy(f)):
        np.testing.assert_allclose(rotnet.transform(layout), expected, atol=1e-6)
    with pytest.raises(ValueError, match=r"rows of shape \(8, 8, 1\)"):
        rotnet.transform(x[..., None])


def test_channels_last_and_channels_first(images):
    X, _ = images
    rgb = np.repeat(X[:64, :, :, None], 3, axis=3)  # N x H x W x C
    est = _tiny(RotNet).fit(rgb)
    assert est.image_shape_ == (3, 8, 8)
    chw = np.ascontiguousarray(rgb.transpose(0, 3, 1, 2)).astype(np.float32) / 255
    est2 = _tiny(RotNet).fit(chw)
    np.testing.assert_allclose(est.transform(rgb), est2.transform(chw), atol=1e-5)


@pytest.mark.parametrize(
    "est",
    [
        RotNet(),
        BarlowTwins(),
        SimCLR(),
        DeepCluster(),
        PretrainedEmbedder(SmallCNN(in_channels=1)),
    ],
    ids=lambda e: type(e).__name__,
)
def test_transform_before_fit_raises(est, images):
    X, _ = images
    with pytest.raises(NotFittedError):
        est.transform(X[:2])


@pytest.mark.parametrize("cls", LEARNERS)
def test_clone_and_params(cls):
    est = cls(module=SmallCNN, max_epochs=3, lr=0.01, random_state=4)
    params = est.get_params()
    for key in ("module", "max_epochs", "batch_size", "lr", "random_state", "device"):
        assert key in params
    assert "progress" in params
    cloned = clone(est)
    assert cloned.get_params() == params
    cloned.set_params(max_epochs=7)
    assert cloned.max_epochs == 7 and est.max_epochs == 3


@pytest.mark.parametrize("cls", LEARNERS)
def test_scikit_learn_init_conventions(cls):
    est = cls()
    check_no_attributes_set_in_init(cls.__name__, est)
    check_parameters_default_constructible(cls.__name__, est)
    check_no_attributes_set_in_init(
        "PretrainedEmbedder", PretrainedEmbedder(SmallCNN())
    )


def test_clone_copies_a_module_instance_and_fit_leaves_it_alone(images):
    X, _ = images
    backbone = SmallCNN(in_channels=1, n_classes=10, **SMALL_CNN)
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    est = RotNet(module=backbone, max_epochs=1, batch_size=32, random_state=0)
    assert clone(est).module is not backbone
    est.fit(X[:64])
    assert est.encoder_ is not backbone
    assert backbone.classifier.out_features == 10
    for k, v in backbone.state_dict().items():
        assert torch.equal(v, before[k])


@pytest.mark.parametrize("cls", [RotNet, DeepCluster])
def test_pickle_round_trip(cls, images):
    X, _ = images
    est = _tiny(cls).fit(X[:64])
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform(X[:5]), est.transform(X[:5]))


def test_progress_bar(images, capsys):
    X, _ = images
    _tiny(RotNet, progress=True, max_epochs=2).fit(X[:64])
    assert "RotNet" in capsys.readouterr().err


def test_training_progress_shows_the_bar_and_leaves_the_params(images, capsys):
    from skactive.representation._base import training_progress

    X, _ = images
    est = _tiny(RotNet, max_epochs=2)
    before = repr(est)
    est.fit(X[:64])
    assert capsys.readouterr().err == ""  # progress=False by default
    with training_progress():
        clone(est).fit(X[:64])
        assert "RotNet" in capsys.readouterr().err
        with training_progress(False):  # nested: off again
            clone(est).fit(X[:64])
            assert capsys.readouterr().err == ""
    clone(est).fit(X[:64])  # off after the block
    assert capsys.readouterr().err == ""
    assert repr(est) == before and "progress" not in before


# ------------------------------------------------------------ bad inputs
def test_bad_inputs(images):
    X, _ = images
    flat = X.reshape(len(X), -1)
    with pytest.raises(ValueError, match="image batch"):
        _tiny(SimCLR).fit(flat[:64])
    with pytest.raises(ValueError, match="square"):
        _tiny(RotNet).fit(X[:64, :, :6])
    with pytest.raises(ValueError, match="cannot process images"):
        _tiny(RotNet).fit(X[:64, :2, :2])  # too small for two pooling blocks
    with pytest.raises(ValueError, match="cannot process images"):
        RotNet(SmallCNN(in_channels=3), max_epochs=1).fit(X[:64])
    with pytest.raises(ValueError, match="NaN"):
        bad = X[:8].astype(np.float32)
        bad[0, 0, 0] = np.nan
        _tiny(RotNet).fit(bad)
    with pytest.raises(ValueError, match="at least 2 images"):
        _tiny(RotNet).fit(X[:1])
    with pytest.raises(ValueError, match="n_clusters=500"):
        _tiny(DeepCluster, n_clusters=500).fit(X[:64])
    with pytest.raises(ValueError, match="not a submodule"):
        _tiny(RotNet, layer="nope").fit(X[:64])
    with pytest.raises(TypeError, match="features"):
        RotNet(torch.nn.Linear(64, 4), max_epochs=1).fit(X[:64])
    with pytest.raises(ValueError, match="augmentation must be .* got None"):
        _tiny(SimCLR, augmentation=None).fit(X[:64])
    fitted = _tiny(RotNet).fit(X[:64])
    with pytest.raises(ValueError, match=r"fitted on rows of shape \(8, 8\)"):
        fitted.transform(np.zeros((3, 16, 16), np.uint8))


@pytest.mark.parametrize(
    "param, value, exc",
    [
        ("max_epochs", 0, ValueError),
        ("max_epochs", 1.5, TypeError),
        ("batch_size", 1, ValueError),
        ("lr", -1.0, ValueError),
        ("weight_decay", -1.0, ValueError),
        ("device", "no-such-device", ValueError),
        ("progress", "yes", TypeError),
        ("module", "SmallCNN", TypeError),
        ("module_kwargs", [1], TypeError),
    ],
)
def test_bad_params(param, value, exc, images):
    X, _ = images
    with pytest.raises(exc, match=param if param != "module" else "module"):
        _tiny(RotNet).set_params(**{param: value}).fit(X[:64])


# ------------------------------------------------------- learning signals
def test_rotnet_learns_rotations(rotnet, images):
    X, _ = images
    hist = rotnet.loss_history_
    assert hist[-1] < 0.75 * hist[0]
    assert rotnet.layer_ == "conv.5"
    assert rotnet.rotation_accuracy(X[1500:]) > 0.6  # chance is 0.25


def test_rotnet_embedding_beats_raw_pixels(rotnet, images):
    X, y = images
    gain, gains = _probe_gain(rotnet.transform(X), X, y)
    assert gain > 0.005 and min(gains) > -0.01, gains


def test_simclr_learns_and_beats_raw_pixels(simclr, images):
    X, y = images
    assert simclr.loss_history_[-1] < simclr.loss_history_[0]
    gain, gains = _probe_gain(simclr.transform(X), X, y)
    assert gain > 0.005 and min(gains) > -0.01, gains


def test_deepcluster_learns_and_beats_raw_pixels(deepcluster, images):
    X, y = images
    hist = deepcluster.loss_history_
    assert hist[3] < hist[0] and hist[-1] < hist[4], hist  # within each clustering
    assert hist[-1] < hist[0], hist
    gain, gains = _probe_gain(deepcluster.transform(X), X, y)
    assert gain > 0.005 and min(gains) > -0.01, gains


def test_barlow_twins_loss_decreases(images):
    X, _ = images
    est = BarlowTwins(
        projector_dims=(128, 128), max_epochs=3, batch_size=64, random_state=0
    ).fit(X[:512])
    hist = est.loss_history_
    assert hist[-1] < hist[0], hist


def test_rotnet_layer_none_uses_features(images):
    X, _ = images
    est = _tiny(RotNet, layer=None).fit(X[:64])
    assert est.layer_ is None
    assert est.n_features_out_ == SMALL_CNN["hidden_units"]
    x = torch.from_numpy(X[:5]).float().div(255).unsqueeze(1)
    with torch.no_grad():
        expected = est.encoder_.features(x).numpy()
    np.testing.assert_allclose(est.transform(X[:5]), expected, atol=1e-6)


def test_rotnet_default_layer_is_the_pooled_second_block(images):
    X, _ = images
    est = _tiny(RotNet).fit(X[:64])
    assert est.layer_ == "conv.5" and est.n_features_out_ == SMALL_CNN["channels"][1]
    x = torch.from_numpy(X[:5]).float().div(255).unsqueeze(1)
    with torch.no_grad():
        expected = est.encoder_.conv[:6](x).mean(dim=(2, 3)).numpy()
    np.testing.assert_allclose(est.transform(X[:5]), expected, atol=1e-6)


def test_deepcluster_labels(images):
    X, _ = images
    est = _tiny(DeepCluster, max_epochs=2).fit(X[:96])
    assert est.labels_.shape == (96,)
    assert est.labels_.min() >= 0 and est.labels_.max() < 5
    assert est.encoder_.classifier.out_features == 5
    # "auto": at least 100 steps per clustering (3 steps per epoch here)
    assert est.reassign_every_ == 34
    assert _tiny(DeepCluster, reassign_every=2).fit(X[:64]).reassign_every_ == 2
    with pytest.raises(TypeError, match="reassign_every"):
        _tiny(DeepCluster, reassign_every="often").fit(X[:64])


# ------------------------------------------------------ PretrainedEmbedder
def test_pretrained_embedder_does_not_train(images):
    X, _ = images
    torch.manual_seed(0)
    backbone = SmallCNN(in_channels=1, n_classes=10, **SMALL_CNN).eval()
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    emb = PretrainedEmbedder(backbone, layer="conv.2").fit(X[:50])
    assert emb.loss_history_.shape == (0,)
    out = emb.transform(X[:7])
    x = torch.from_numpy(X[:7]).float().div(255).unsqueeze(1)
    with torch.no_grad():
        expected = backbone.conv[:3](x).mean(dim=(2, 3)).numpy()
    np.testing.assert_allclose(out, expected, atol=1e-6)
    for k, v in backbone.state_dict().items():
        assert torch.equal(v, before[k])
    # layer=None: the module output (logits here), flattened
    logits = PretrainedEmbedder(backbone).fit_transform(X[:7])
    with torch.no_grad():
        np.testing.assert_allclose(logits, backbone(x).numpy(), atol=1e-6)


def test_pretrained_embedder_input_transform_and_features():
    torch.manual_seed(0)
    mlp = MLP(4, 3, hidden_units=(5,)).eval()
    X = np.random.RandomState(0).rand(6, 4).astype(np.float32)
    emb = PretrainedEmbedder(mlp, layer="body", input_transform=lambda x: 2 * x)
    out = emb.fit(X).transform(X)
    with torch.no_grad():
        expected = mlp.body(2 * torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_pretrained_embedder_errors(images):
    X, _ = images
    with pytest.raises(TypeError, match="instance"):
        PretrainedEmbedder(SmallCNN).fit(X[:4])
    with pytest.raises(ValueError, match="not a submodule"):
        PretrainedEmbedder(SmallCNN(in_channels=1), layer="nope").fit(X[:4])
    with pytest.raises(ValueError, match="cannot process"):
        PretrainedEmbedder(SmallCNN(in_channels=3)).fit(X[:4])
    emb = PretrainedEmbedder(SmallCNN(in_channels=1)).fit(X[:4])
    with pytest.raises(ValueError, match="fitted on rows"):
        emb.transform(np.zeros((2, 9, 9), np.uint8))


# --------------------------------------------------------------- hand-off
def _state_without_head(module):
    return {
        k: v for k, v in module.state_dict().items() if not k.startswith("classifier.")
    }


def test_classifier_from_embedder_copies_encoder_weights(rotnet, images):
    X, y = images
    module = classifier_from_embedder(rotnet, 10, random_state=0)
    assert isinstance(module, SmallCNN)
    assert module.classifier.out_features == 10
    assert module is not rotnet.encoder_
    ours, theirs = _state_without_head(module), _state_without_head(rotnet.encoder_)
    assert ours.keys() == theirs.keys()
    for k in ours:
        assert torch.equal(ours[k], theirs[k])
    # the embedder keeps its rotation head; the seed fixes the new head
    assert rotnet.encoder_.classifier.out_features == 4
    again = classifier_from_embedder(rotnet, 10, random_state=0)
    assert torch.equal(again.classifier.weight, module.classifier.weight)

    net = DeepClassifier(module, max_epochs=1, random_state=0).fit(X[:100], y[:100])
    assert net.module_ is module
    assert net.predict_proba(X[100:110]).shape == (10, 10)
    assert net.embed(X[:3]).shape == (3, module.embedding_dim)


def test_classifier_from_pretrained_embedder(images):
    X, y = images
    torch.manual_seed(0)
    backbone = SmallCNN(in_channels=1, **SMALL_CNN).eval()
    emb = PretrainedEmbedder(backbone, layer="conv.5").fit(X[:10])
    module = classifier_from_embedder(emb, 10, random_state=0)
    assert module.embedding_dim == emb.n_features_out_
    module.eval()
    x = torch.from_numpy(X[:4]).float().div(255).unsqueeze(1)
    with torch.no_grad():
        np.testing.assert_allclose(
            module.features(x).numpy(), emb.transform(X[:4]), atol=1e-6
        )
    net = DeepClassifier(module, max_epochs=1, random_state=0).fit(X[:64], y[:64])
    assert net.predict(X[:3]).shape == (3,)


def test_classifier_from_embedder_errors():
    with pytest.raises(NotFittedError):
        classifier_from_embedder(RotNet(), 10)
    with pytest.raises(ValueError, match="n_classes"):
        classifier_from_embedder(RotNet(), 0)


# ------------------------------------------------------ declared constraints
#: Values just outside the constraint kinds ``invalid_values`` does not know.
EXTRA_BAD = {
    "module": ["SmallCNN", torch.nn.Linear(2, 2).weight],
    "projector_dims": [(), (0,), (8, 2.5), "ab", 0],
}


def _transformers():
    return [_tiny(cls) for cls in LEARNERS] + [
        PretrainedEmbedder(SmallCNN(in_channels=1), batch_size=8)
    ]


@pytest.mark.parametrize("est", _transformers(), ids=lambda e: type(e).__name__)
def test_every_parameter_refuses_invalid_values_at_fit(est, images):
    X, _ = images
    constraints = parameter_constraints(est)
    assert set(constraints) == set(est.get_params(deep=False))
    for name, spec in constraints.items():
        bad_values = invalid_values(spec) + EXTRA_BAD.get(name, [])
        if isinstance(est, PretrainedEmbedder) and name == "module":
            bad_values.append(SmallCNN)  # a class: weights are needed
        for bad in bad_values:
            with pytest.raises(InvalidParameterError, match=f"{name} must be"):
                clone(est).set_params(**{name: bad}).fit(X[:8])


@pytest.mark.parametrize("est", _transformers(), ids=lambda e: type(e).__name__)
def test_transform_checks_the_inference_parameters(est, images):
    X, _ = images
    fitted = clone(est).fit(X[:32])
    expected = fitted.transform(X[:5])
    # inference takes batches of a single image (training needs 2)
    one = fitted.set_params(batch_size=1).transform(X[:5])
    np.testing.assert_allclose(one, expected, atol=1e-6)
    for name, bad in [("batch_size", 0), ("batch_size", 2.5), ("device", "nope")]:
        with pytest.raises(InvalidParameterError, match=f"{name} must be"):
            fitted.set_params(**{name: bad}).transform(X[:5])
        fitted.set_params(batch_size=4, device="cpu")


def test_rotation_accuracy_checks_batch_size(images):
    X, _ = images
    rot = _tiny(RotNet).fit(X[:32])
    with pytest.raises(InvalidParameterError, match="batch_size must be"):
        rot.set_params(batch_size=0).rotation_accuracy(X[:8])


def test_cross_parameter_rules_name_the_parameter(images):
    X, _ = images
    with pytest.raises(InvalidParameterError, match="module_kwargs can only be used"):
        RotNet(SmallCNN(in_channels=1), module_kwargs={"channels": (4, 8)}).fit(X[:8])
    with pytest.raises(InvalidParameterError, match="n_clusters=9 is larger"):
        _tiny(DeepCluster, n_clusters=9).fit(X[:8])
    with pytest.raises(InvalidParameterError, match="layer='nope' is not a submodule"):
        PretrainedEmbedder(SmallCNN(in_channels=1), layer="nope").fit(X[:8])


FUNCTIONS = {
    initial_selection: {
        "X": np.zeros((5, 2)),
        "n": 2,
        "embedder": StandardScaler(),
        "temperature": 0.5,
        "random_state": 0,
    },
    classifier_from_embedder: {"embedder": RotNet(), "n_classes": 2, "random_state": 0},
}


@pytest.mark.parametrize("func", list(FUNCTIONS), ids=lambda f: f.__name__)
def test_every_function_parameter_refuses_invalid_values(func):
    constraints = func.__skactive_constraints__
    assert set(constraints) == set(inspect.signature(func).parameters)
    for name, spec in constraints.items():
        for bad in invalid_values(spec):
            with pytest.raises(InvalidParameterError, match=f"{name} must be"):
                func(**{**FUNCTIONS[func], name: bad})
    with pytest.raises(InvalidParameterError, match="temperature must be"):
        initial_selection(**{**FUNCTIONS[initial_selection], "temperature": np.inf})
