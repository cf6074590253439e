"""Array inputs: every selector rejects bad embeddings the same way."""

import numpy as np
import pytest

from skactive._validation import InvalidParameterError
from skactive.metrics import batch_diversity
from skactive.selection import (
    badge_sampling,
    diversity_sampling,
    probcover_sampling,
    typiclust_sampling,
)

from ._helpers import X10, badge_data


@pytest.mark.parametrize(
    "emb, exc, match",
    [
        (
            np.where(np.eye(10, 3) > 0, np.nan, X10),
            ValueError,
            "embeddings contains NaN",
        ),
        (
            np.where(np.eye(10, 3) > 0, np.inf, X10),
            ValueError,
            "embeddings contains NaN",
        ),
        (np.arange(10.0), ValueError, "embeddings must be a 2-D"),
        (np.zeros((0, 3)), ValueError, "embeddings must have at least one row"),
        (np.array([["a", "b"]]), TypeError, "embeddings must be numeric"),
    ],
)
def test_bad_embeddings(emb, exc, match):
    for call in (
        lambda: diversity_sampling(emb, 1),
        lambda: typiclust_sampling(emb, 1),
        lambda: probcover_sampling(emb, 1, delta=1.0),
        lambda: batch_diversity(emb),
    ):
        with pytest.raises(exc, match=match):
            call()


def test_overflowing_embeddings():
    X = np.full((4, 3), 1e30, dtype=np.float32)
    X[0, 0] = -1e30
    with pytest.raises(ValueError, match="embeddings has values too large"):
        diversity_sampling(X, 2)
    with pytest.raises(ValueError, match="embeddings has values too large"):
        badge_sampling(np.full((4, 2), 0.5), X, 2)
    with pytest.raises(ValueError, match="embeddings contains NaN"):
        badge_sampling(np.full((4, 2), 0.5), np.where(X > 0, np.nan, 1.0), 2)


def test_bad_probas_and_labeled():
    P, F = badge_data(n=10)
    with pytest.raises(ValueError, match="probas"):
        badge_sampling(P[:5], F, 2)
    with pytest.raises(ValueError, match="probas"):
        badge_sampling(P * 3, F, 2)
    with pytest.raises(ValueError, match="labeled"):
        typiclust_sampling(X10, 2, labeled=np.zeros((1, 2)))


def test_array_errors_are_invalid_parameter_errors():
    # one error type, both a ValueError and a TypeError, naming the argument
    with pytest.raises(InvalidParameterError, match="embeddings must be a 2-D"):
        diversity_sampling(np.arange(10.0), 1)
    with pytest.raises(InvalidParameterError, match="embeddings must be numeric"):
        diversity_sampling(np.array([["a", "b"]]), 1)
    with pytest.raises(InvalidParameterError, match="embeddings must be an array"):
        diversity_sampling("not an array", 1)
