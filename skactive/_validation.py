"""Input validation shared by strategies, selectors, learners and nets."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "check_n_instances",
    "check_pool",
    "n_rows",
    "take_rows",
    "slice_rows",
    "unwrap_estimator",
    "check_fitted",
    "check_has_method",
    "torch_generator",
    "seed_from_random_state",
]


def _is_modal_learner(obj) -> bool:
    """Whether ``obj`` is a modAL learner or committee (without importing modAL)."""
    for klass in type(obj).__mro__:
        if klass.__module__.startswith("modAL.") and klass.__name__ in (
            "BaseLearner",
            "BaseCommittee",
        ):
            return True
    return False


def unwrap_estimator(estimator):
    """Return the model behind ``estimator``.

    A modAL learner (``modAL.models.ActiveLearner`` and subclasses, including
    :class:`skactive.ActiveLearner`) is unwrapped to its ``.estimator``;
    anything else is returned unchanged.
    """
    if _is_modal_learner(estimator) and hasattr(estimator, "estimator"):
        return estimator.estimator
    return estimator


def check_n_instances(n_instances, n_pool, *, name="n_instances"):
    """Validate a number of rows to select from a pool of ``n_pool`` rows."""
    if isinstance(n_instances, bool) or not isinstance(n_instances, numbers.Integral):
        raise TypeError(
            f"{name} must be a positive integer, got {n_instances!r} "
            f"of type {type(n_instances).__name__}."
        )
    n_instances = int(n_instances)
    if n_instances < 1:
        raise ValueError(f"{name} must be a positive integer, got {n_instances}.")
    if n_instances > n_pool:
        raise ValueError(
            f"{name}={n_instances} is larger than the pool, which has {n_pool} rows."
        )
    return n_instances


def n_rows(X) -> int:
    """Number of rows of an array, tensor, sparse matrix, DataFrame or list."""
    if hasattr(X, "shape") and len(X.shape) > 0:
        return int(X.shape[0])
    return len(X)


def take_rows(X, indices):
    """Rows ``indices`` of ``X`` keeping its type (ndarray, tensor, sparse, pandas)."""
    indices = np.asarray(indices, dtype=np.int64)
    if isinstance(X, torch.Tensor):
        return X[torch.as_tensor(indices, device=X.device)]
    if sp.issparse(X):
        return X.tocsr()[indices]
    if hasattr(X, "iloc"):
        return X.iloc[indices]
    if isinstance(X, list):
        return [X[i] for i in indices]
    return X[indices]


def slice_rows(X, start, stop):
    """Rows ``start:stop`` of ``X`` without copying where the type allows."""
    if hasattr(X, "iloc"):
        return X.iloc[start:stop]
    if sp.issparse(X):
        return X.tocsr()[start:stop]
    return X[start:stop]


def _all_finite(X) -> bool:
    if isinstance(X, torch.Tensor):
        if not (torch.is_floating_point(X) or torch.is_complex(X)):
            return True
        return bool(torch.isfinite(X).all())
    if sp.issparse(X):
        data = X.data
        return not np.issubdtype(data.dtype, np.inexact) or bool(
            np.isfinite(data).all()
        )
    arr = np.asarray(X)
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                "X_pool must hold numbers; got an object array that cannot be "
                "converted to float."
            ) from exc
    if not np.issubdtype(arr.dtype, np.inexact):
        return True
    # Fast path (as scikit-learn does): a finite sum means every entry is
    # finite; only an overflowing or non-finite sum needs the full scan.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(arr.sum(dtype=np.float64)):
            return True
    return bool(np.isfinite(arr).all())


def check_pool(X_pool, *, name="X_pool", allow_nd=True, estimator=None):
    """Validate a pool of unlabeled rows and return it unchanged.

    Checks that the pool is non-empty, at least two-dimensional (rows by
    features, or images ``N x H x W``, ``N x H x W x C``, ``N x C x H x W``),
    finite, and that its feature shape matches what ``estimator`` was fitted on
    when that is known.
    """
    if X_pool is None:
        raise ValueError(f"{name} must be an array of rows, got None.")
    if isinstance(X_pool, list | tuple):
        X_pool = np.asarray(X_pool)
    if not (
        isinstance(X_pool, np.ndarray | torch.Tensor)
        or sp.issparse(X_pool)
        or hasattr(X_pool, "iloc")
    ):
        raise TypeError(
            f"{name} must be a numpy array, torch tensor, scipy sparse matrix or "
            f"pandas DataFrame, got {type(X_pool).__name__}."
        )
    shape = tuple(X_pool.shape)
    if len(shape) < 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features) or an image batch "
            f"(N x H x W[, C]); got an array of shape {shape}. Reshape a single "
            "feature with X.reshape(-1, 1) or a single row with X.reshape(1, -1)."
        )
    if not allow_nd and len(shape) > 2:
        raise ValueError(f"{name} must be 2-D, got shape {shape}.")
    if shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 rows (shape {shape}).")
    if not _all_finite(X_pool):
        raise ValueError(f"{name} contains NaN or infinity.")
    if estimator is not None:
        n_features = getattr(estimator, "n_features_in_", None)
        input_shape = getattr(estimator, "input_shape_", None)
        if input_shape is not None and tuple(shape[1:]) != tuple(input_shape):
            raise ValueError(
                f"{name} has rows of shape {tuple(shape[1:])}, but "
                f"{type(estimator).__name__} was fitted on rows of shape "
                f"{tuple(input_shape)}."
            )
        if (
            input_shape is None
            and n_features is not None
            and len(shape) == 2
            and shape[1] != n_features
        ):
            raise ValueError(
                f"{name} has {shape[1]} features, but {type(estimator).__name__} "
                f"was fitted with {n_features} features."
            )
    return X_pool


def check_fitted(estimator, *, name="estimator"):
    """Raise :class:`~sklearn.exceptions.NotFittedError` unless fitted."""
    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet: fit it "
            "(or teach the learner some labeled rows) before querying. skactive "
            "never returns arbitrary picks for an unfitted model."
        ) from exc
    except TypeError as exc:
        raise TypeError(
            f"{name} must be a scikit-learn estimator, a skorch net or a modAL "
            f"learner; got {type(estimator).__name__}."
        ) from exc


def check_has_method(estimator, method, *, purpose):
    """Raise a :class:`TypeError` if ``estimator`` has no callable ``method``."""
    if not callable(getattr(estimator, method, None)):
        raise TypeError(
            f"{type(estimator).__name__} has no {method}() method, which "
            f"{purpose} needs."
        )


def seed_from_random_state(random_state) -> int:
    """Derive a 63-bit integer seed from ``random_state``.

    An int is used as is (so the same int always gives the same seed); a
    :class:`numpy.random.RandomState` is advanced by one draw; ``None`` draws
    fresh operating-system entropy (never the global numpy RNG).
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, bool
    ):
        if random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state}.")
        return int(random_state)
    rng = check_random_state(random_state)
    return int(rng.randint(0, np.iinfo(np.int64).max, dtype=np.int64))


def torch_generator(random_state, device="cpu") -> torch.Generator:
    """A :class:`torch.Generator` on ``device`` seeded from ``random_state``."""
    g = torch.Generator(device=device)
    g.manual_seed(seed_from_random_state(random_state))
    return g
