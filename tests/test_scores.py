import inspect

import numpy as np
import pytest
import scipy.sparse as sp

import skactive.scores as scores_module
from skactive._validation import InvalidParameterError, invalid_values
from skactive.scores import (
    PROBA_ATOL,
    bald,
    check_proba,
    check_samples,
    consensus_entropy,
    consistency,
    entropy,
    expected_gradient_length,
    least_confidence,
    margin,
    max_disagreement,
    max_entropy,
    mean_std,
    variation_ratio,
)


def _random_proba(n=50, c=4, seed=0):
    rng = np.random.RandomState(seed)
    p = rng.dirichlet(np.ones(c), size=n)
    return p


def test_least_confidence_matches_definition():
    p = _random_proba()
    expected = np.array([1 - max(row) for row in p])
    np.testing.assert_allclose(least_confidence(p), expected)


def test_margin_matches_brute_force():
    p = _random_proba()
    expected = np.array([-(sorted(row)[-1] - sorted(row)[-2]) for row in p])
    np.testing.assert_allclose(margin(p), expected)


def test_margin_single_class():
    np.testing.assert_array_equal(margin(np.ones((3, 1))), -np.ones(3))


def test_entropy_matches_definition_and_handles_zeros():
    p = _random_proba()
    expected = np.array([-sum(q * np.log(q) for q in row) for row in p])
    np.testing.assert_allclose(entropy(p), expected)
    np.testing.assert_allclose(entropy([[1.0, 0.0, 0.0]]), [0.0])
    np.testing.assert_allclose(entropy([[0.25] * 4]), [np.log(4)])


def test_uniform_rows_are_the_most_uncertain():
    p = np.array([[0.97, 0.01, 0.02], [1 / 3, 1 / 3, 1 / 3], [0.6, 0.3, 0.1]])
    for score in (least_confidence, margin, entropy):
        assert np.argmax(score(p)) == 1


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.ones(3), "2-D"),
        (np.array([[0.5, np.nan]]), "NaN"),
        (np.array([[0.5, np.inf]]), "NaN or infinity"),
    ],
)
def test_check_proba_rejects_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        check_proba(bad)


# ------------------------------------------------ declared constraints
_P = np.array([[0.25, 0.75], [0.5, 0.5]])
_S = np.stack([_P, _P[::-1]])
#: Valid arguments of every public function of skactive.scores.
VALID = {
    "check_proba": {"proba": _P},
    "least_confidence": {"proba": _P},
    "margin": {"proba": _P},
    "entropy": {"proba": _P},
    "check_samples": {"samples": _S},
    "bald": {"samples": _S},
    "max_entropy": {"samples": _S},
    "variation_ratio": {"samples": _S},
    "mean_std": {"samples": _S},
    "vote_entropy": {"votes": np.zeros((2, 3), int), "n_classes": 2},
    "consensus_entropy": {"member_proba": _S},
    "max_disagreement": {"member_proba": _S},
    "expected_gradient_length": {"proba": _P, "embeddings": np.ones((2, 3))},
    "consistency": {"proba_views": _S},
    "epmcm_closed_form": {
        "features": np.ones((1, 2)),
        "W": np.eye(2),
        "b": np.zeros(2),
        "covariances": np.zeros((2, 2)),
        "y_hat": [0],
    },
    "label_dispersion": {"predictions": np.zeros((2, 3), int)},
}
VALID["epmcm_monte_carlo"] = {**VALID["epmcm_closed_form"], "n_samples": 3}


def test_every_public_function_is_covered():
    functions = {
        name
        for name in scores_module.__all__
        if inspect.isfunction(getattr(scores_module, name))
    }
    assert functions == set(VALID)


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_parameter_refuses_invalid_values(name):
    func = getattr(scores_module, name)
    constraints = func.__skactive_constraints__
    assert set(constraints) == set(inspect.signature(func).parameters)
    func(**VALID[name])  # the valid arguments are valid
    for param, spec in constraints.items():
        for bad in invalid_values(spec):
            with pytest.raises(InvalidParameterError, match=f"{param} must be"):
                func(**{**VALID[name], param: bad})


# ------------------------------------------------ probability checks
NORMALIZED = [least_confidence, margin, entropy, expected_gradient_length]
NORMALIZED_SAMPLES = [bald, max_entropy, consensus_entropy, max_disagreement]
RANGE_ONLY_SAMPLES = [variation_ratio, mean_std, consistency]


def _call(f, P):
    if f is expected_gradient_length:
        return f(P, np.ones((len(P), 2)))
    return f(P)


@pytest.mark.parametrize("bad", [-0.1, 1.5, -2 * PROBA_ATOL])
def test_check_proba_refuses_values_outside_0_1(bad):
    P = np.array([[0.5, 0.5], [0.0, 1.0]])
    P[1, 0] = bad
    with pytest.raises(
        InvalidParameterError, match=r"proba must hold probabilities in \[0, 1\]"
    ):
        check_proba(P)
    with pytest.raises(InvalidParameterError, match="samples must hold probabilities"):
        check_samples(np.stack([P, P]))


def test_rounding_inside_the_tolerance_is_accepted():
    P = np.array([[1.0 + PROBA_ATOL / 2, -PROBA_ATOL / 2], [0.5, 0.5]])
    for f in NORMALIZED:
        _call(f, P)
    for f in NORMALIZED_SAMPLES + RANGE_ONLY_SAMPLES:
        f(np.stack([P, P]))
    # a float32 softmax over many classes sums to 1 only up to rounding
    rng = np.random.RandomState(0)
    logits = rng.randn(50, 1000).astype(np.float32)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    soft = e / e.sum(axis=1, keepdims=True, dtype=np.float32)
    assert soft.dtype == np.float32
    entropy(soft)
    bald(np.stack([soft, soft[::-1]]))


@pytest.mark.parametrize("f", NORMALIZED, ids=lambda f: f.__name__)
def test_scores_on_a_distribution_refuse_rows_not_summing_to_1(f):
    P = np.array([[0.5, 0.5], [0.6, 0.6]])
    with pytest.raises(
        InvalidParameterError, match="summing to 1.*row at 1 sums to 1.2"
    ):
        _call(f, P)
    with pytest.raises(InvalidParameterError, match="summing to 1"):
        _call(f, np.array([[0.5, 0.49]]))


@pytest.mark.parametrize("f", NORMALIZED_SAMPLES, ids=lambda f: f.__name__)
def test_sample_scores_on_a_distribution_refuse_rows_not_summing_to_1(f):
    S = np.full((3, 4, 2), 0.5)
    S[2, 1] = [0.5, 0.4]
    with pytest.raises(InvalidParameterError, match=r"row at \(2, 1\) sums to 0.9"):
        f(S)


@pytest.mark.parametrize("f", RANGE_ONLY_SAMPLES, ids=lambda f: f.__name__)
def test_per_class_scores_check_the_range_only(f):
    S = np.full((3, 4, 2), 0.4)  # rows sum to 0.8: accepted
    assert f(S).shape == (4,)
    S[0, 0, 0] = 1.1
    with pytest.raises(InvalidParameterError, match=r"in \[0, 1\]"):
        f(S)


def test_check_proba_and_check_samples_normalize_on_request():
    P = np.full((2, 2), 0.4)
    assert check_proba(P) is not None
    assert check_samples(np.stack([P, P])) is not None
    with pytest.raises(InvalidParameterError, match="summing to 1"):
        check_proba(P, normalized=True)
    with pytest.raises(InvalidParameterError, match="summing to 1"):
        check_samples(np.stack([P, P]), normalized=True)


def test_non_numeric_and_sparse_inputs():
    with pytest.raises(
        InvalidParameterError, match="proba must be an array of numbers"
    ):
        entropy([["a", "b"]])
    with pytest.raises(
        InvalidParameterError, match="samples must be an array of numbers"
    ):
        bald([[[0.5, 0.5]], [[0.5]]])
    np.testing.assert_allclose(
        expected_gradient_length(_P, sp.csr_matrix(np.ones((2, 3)))),
        expected_gradient_length(_P, np.ones((2, 3))),
    )
