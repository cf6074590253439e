"""shared_inference: one pass of the net per round, outputs shared."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

import skactive
from skactive._errors import InvalidParameterError
from skactive.nets import MLP, DeepClassifier
from skactive.pools import ArrayFile
from skactive.strategies import (
    BADGE,
    CoreSet,
    DiversitySampling,
    UncertaintySampling,
)


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    return X, y, net


def _round(net, pool):
    return [
        CoreSet(random_state=0)(net, pool, 5).tolist(),
        BADGE(random_state=0)(net, pool, 5).tolist(),
        UncertaintySampling("margin", random_state=0)(net, pool, 5).tolist(),
        DiversitySampling(0.5, random_state=0)(net, pool, 5).tolist(),
    ]


class CountingNet(DeepClassifier):
    passes = 0

    def _forward_passes(self, X, n_passes, **kwargs):
        type(self).passes += 1
        return super()._forward_passes(X, n_passes, **kwargs)


def test_one_pass_per_round_and_the_same_picks(data):
    X, y, _ = data
    net = CountingNet(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    pool = X[100:]
    CountingNet.passes = 0
    alone = _round(net, pool)
    assert CountingNet.passes == 4
    CountingNet.passes = 0
    with skactive.shared_inference() as shared:
        together = _round(net, pool)
    assert together == alone
    assert CountingNet.passes == 1 and shared.n_passes_ == 1


def test_another_pool_or_a_refit_model_gets_its_own_pass(data):
    X, y, net = data
    with skactive.shared_inference() as shared:
        UncertaintySampling()(net, X[100:], 3)
        UncertaintySampling()(net, X[100:], 3)
        assert shared.n_passes_ == 1
        UncertaintySampling()(net, X[200:], 3)
        assert shared.n_passes_ == 2
        refit = DeepClassifier(MLP, max_epochs=1, random_state=1).fit(X[:50], y[:50])
        UncertaintySampling()(refit, X[100:], 3)
        assert shared.n_passes_ == 3
        net.partial_fit(X[:20], y[:20])  # its history grows: new outputs
        UncertaintySampling()(net, X[100:], 3)
        assert shared.n_passes_ == 4


def test_scikit_learn_models_share_probabilities(data):
    X, y, _ = data
    clf = LogisticRegression(max_iter=300).fit(X[:100], y[:100])
    with skactive.shared_inference() as shared:
        a = UncertaintySampling("margin", random_state=0)(clf, X, 4)
        b = UncertaintySampling("entropy", random_state=0)(clf, X, 4)
    assert shared.n_passes_ == 1
    assert (
        a.tolist() == UncertaintySampling("margin", random_state=0)(clf, X, 4).tolist()
    )
    assert (
        b.tolist() == UncertaintySampling("entropy", random_state=0)(clf, X, 4).tolist()
    )


def test_float16_embeddings_in_files(data, tmp_path):
    X, _, net = data
    folder = tmp_path / "round"
    with skactive.shared_inference(embedding_dtype="float16", directory=folder) as s:
        picks = CoreSet(random_state=0)(net, X[100:], 6)
        (path,) = s.files_
        stored = ArrayFile(path)
        expected = net.embed(X[100:])
        assert stored.dtype == np.float16 and stored.shape == expected.shape
        assert stored.shape[0] == 1697
        np.testing.assert_allclose(stored[:], expected, rtol=1e-3, atol=1e-3)
    assert not path.exists()  # removed with the block
    # the file gives the picks of the same float16 embeddings in memory
    with skactive.shared_inference(embedding_dtype="float16") as s:
        in_memory = CoreSet(random_state=0)(net, X[100:], 6)
        assert s.files_ == []
    assert picks.tolist() == in_memory.tolist()
    with skactive.shared_inference(directory=folder, keep_files=True) as s:
        CoreSet(random_state=0)(net, X[100:], 6)
    assert s.files_[0].exists()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"embedding_dtype": "float64"}, "embedding_dtype"),
        ({"directory": 3}, "directory"),
        ({"keep_files": "yes"}, "keep_files"),
    ],
)
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        with skactive.shared_inference(**kwargs):
            pass


def test_outside_the_block_nothing_is_kept(data):
    X, _, net = data
    from skactive._cache import active_cache

    assert active_cache() is None
    with skactive.shared_inference() as shared:
        assert active_cache() is shared
    assert active_cache() is None


def test_every_generated_bad_value_is_refused_naming_its_parameter():
    from skactive._validation import invalid_values, parameter_constraints

    for param, spec in parameter_constraints(skactive.shared_inference).items():
        values = list(invalid_values(spec))
        assert values, param
        for value in values:
            with pytest.raises(InvalidParameterError, match=f"{param} must"):
                with skactive.shared_inference(**{param: value}):
                    pass
