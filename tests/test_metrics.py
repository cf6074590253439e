"""Metrics of runs and batches (:mod:`skactive.metrics`): values and argument checks."""

import inspect

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import pdist

import skactive.metrics as metrics_module
from skactive._validation import InvalidParameterError, invalid_values
from skactive.metrics import batch_diversity

from .selection._helpers import HYP

#: Valid arguments of every public function of skactive.metrics.
VALID = {
    "learning_curve_auc": {"n_labels": [1, 2], "scores": [0.5, 0.6]},
    "class_distribution_distance": {"y_selected": [0], "y_reference": [0, 1]},
    "batch_diversity": {"embeddings": np.zeros((2, 2))},
    "evaluate_initial_set": {
        "indices": [0],
        "y": [0, 1],
        "embeddings": np.zeros((2, 2)),
    },
}


def test_every_public_function_is_covered():
    assert set(metrics_module.__all__) == set(VALID)


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_parameter_refuses_invalid_values(name):
    func = getattr(metrics_module, name)
    constraints = func.__skactive_constraints__
    assert set(constraints) == set(inspect.signature(func).parameters)
    func(**VALID[name])
    for param, spec in constraints.items():
        for bad in invalid_values(spec):
            with pytest.raises(InvalidParameterError, match=f"{param} must be"):
                func(**{**VALID[name], param: bad})


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: metrics_module.learning_curve_auc([1], [0.5]), "same length"),
        (lambda: metrics_module.learning_curve_auc(["a", "b"], [1, 2]), "n_labels"),
        (lambda: metrics_module.class_distribution_distance([], [0]), "non-empty"),
        (lambda: metrics_module.batch_diversity(np.zeros(3)), "embeddings must be"),
        (lambda: metrics_module.batch_diversity([["a"]]), "embeddings must be"),
        (
            lambda: metrics_module.evaluate_initial_set([0], [0, 1], np.zeros((3, 2))),
            "embeddings must have shape",
        ),
    ],
)
def test_bad_arrays_raise_invalid_parameter_error(call, match):
    with pytest.raises(InvalidParameterError, match=match):
        call()


@HYP
@given(n=st.integers(2, 60), dim=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_batch_diversity_matches_pdist(n, dim, seed):
    X = np.random.default_rng(seed).normal(size=(n, dim))
    np.testing.assert_allclose(batch_diversity(X), pdist(X).mean(), rtol=1e-7)


def test_batch_diversity_chunked_and_single():
    X = np.random.default_rng(0).normal(size=(3000, 5))
    np.testing.assert_allclose(
        batch_diversity(torch.from_numpy(X)), pdist(X).mean(), rtol=1e-7
    )
    assert batch_diversity(X[:1]) == 0.0
