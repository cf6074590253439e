"""Metrics of runs and batches (:mod:`skactive.metrics`)."""

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import pdist

from skactive.metrics import batch_diversity

from .selection._helpers import HYP


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
