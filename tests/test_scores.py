import numpy as np
import pytest

from skactive.scores import check_proba, entropy, least_confidence, margin


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
