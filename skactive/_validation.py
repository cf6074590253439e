"""One validation vocabulary for every public class and function of skactive.

Parameters are described by **declared constraints** -- a dict
``{name: [constraint, ...]}`` -- and a value is valid when it satisfies any
constraint of its list (scikit-learn's ``_parameter_constraints`` idea, written
here without importing scikit-learn's private module). A constraint is one of

* an :class:`Interval` (``Interval(Integral, 1, None, closed="left")``: an int
  ``>= 1``), :class:`StrOptions` (one of a set of strings), :class:`Options`
  (one of a set of values of a type), :class:`HasMethods`;
* a type (any instance of it), ``None`` (the value ``None``), ``callable``;
* a name: ``"array-like"``, ``"sparse matrix"``, ``"random_state"``
  (int >= 0, :class:`~numpy.random.RandomState` or ``None``), ``"boolean"``
  (``bool`` or numpy bool), ``"device"`` (a str or :class:`torch.device` that
  torch accepts), ``"tensor"``, ``"path"`` (a non-empty str or
  :class:`os.PathLike`).

Classes declare ``_parameter_constraints`` (merged along the class hierarchy,
so a subclass declares only what it adds) and check them at ``fit`` /
``select`` / ``transform`` time with :func:`validate_estimator_params`;
functions are wrapped by :func:`validate_params`. Every violation raises
:class:`InvalidParameterError`, which is both a :class:`ValueError` and a
:class:`TypeError` (``1.5`` where an int is due is the same mistake wherever
it is made), with a message naming the parameter, what it must be and the
value received. :func:`invalid_values` generates values that break a
constraint list, which ``tests/test_common.py`` feeds to every declared
parameter of every public object.

The module also holds the checks on data every strategy shares (pools,
``n_instances``, fitted models).
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
from numbers import Integral, Real

import numpy as np

from ._errors import InvalidParameterError
from ._rows import n_rows

__all__ = [
    "InvalidParameterError",
    "Interval",
    "StrOptions",
    "Options",
    "HasMethods",
    "PositiveInts",
    "validate_params",
    "validate_parameter",
    "validate_parameter_constraints",
    "validate_estimator_params",
    "parameter_constraints",
    "invalid_values",
    "N_JOBS",
    "BATCH_SIZE",
    "POSITIVE_INT",
    "UNLABELED",
    "unlabeled_mask",
    "check_n_instances",
    "check_pool",
    "check_fitted",
    "check_has_method",
    "unwrap_estimator",
]


def _is_sparse(value):
    """Whether ``value`` is a scipy sparse matrix (scipy is not imported for it)."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(value)


def _is_tensor(value):
    """Whether ``value`` is a torch tensor (torch is not imported to find out)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


# ------------------------------------------------------------------ constraints
class _Constraint:
    """A set of valid values: ``is_satisfied_by(value)`` and a description."""

    hidden = False

    def is_satisfied_by(self, value) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def __str__(self):  # pragma: no cover - abstract
        raise NotImplementedError


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool | np.bool_)


def _is_real(value):
    return isinstance(value, Real) and not isinstance(value, bool | np.bool_)


class Interval(_Constraint):
    """Numbers of a type in an interval.

    Parameters
    ----------
    type : {numbers.Integral, numbers.Real}
        ``Integral``: ints (numpy ints included, bools excluded); ``Real``:
        any real number but bools, NaN excluded.
    left, right : float, int or None
        Bounds; ``None`` is unbounded on that side.
    closed : {"left", "right", "both", "neither"}, default="both"
        Which bounds belong to the interval.
    """

    def __init__(self, type, left, right, *, closed="both"):
        if type not in (Integral, Real):
            raise ValueError("Interval type must be numbers.Integral or numbers.Real.")
        if closed not in ("left", "right", "both", "neither"):
            raise ValueError(f"closed must be left, right, both or neither: {closed}")
        self.type = type
        self.left = left
        self.right = right
        self.closed = closed

    def is_satisfied_by(self, value):
        ok = _is_int(value) if self.type is Integral else _is_real(value)
        if not ok:
            return False
        v = float(value) if self.type is Real else int(value)
        if self.type is Real and math.isnan(v):
            return False
        if self.left is not None:
            if self.closed in ("left", "both") and not v >= self.left:
                return False
            if self.closed in ("right", "neither") and not v > self.left:
                return False
        if self.right is not None:
            if self.closed in ("right", "both") and not v <= self.right:
                return False
            if self.closed in ("left", "neither") and not v < self.right:
                return False
        return True

    def __str__(self):
        kind = "an int" if self.type is Integral else "a float"
        left_closed = self.closed in ("left", "both")
        right_closed = self.closed in ("right", "both")
        if self.left is not None and self.right is None:
            return f"{kind} {'>=' if left_closed else '>'} {self.left}"
        if self.right is not None and self.left is None:
            return f"{kind} {'<=' if right_closed else '<'} {self.right}"
        if self.left is None and self.right is None:
            return kind
        lb = "[" if left_closed else "("
        rb = "]" if right_closed else ")"
        return f"{kind} in {lb}{self.left}, {self.right}{rb}"


class Options(_Constraint):
    """One of a set of values of a type.

    Parameters
    ----------
    type : type
        The type the value must have.
    options : set
        The allowed values.
    """

    def __init__(self, type, options):
        self.type = type
        self.options = set(options)

    def is_satisfied_by(self, value):
        try:
            return isinstance(value, self.type) and value in self.options
        except TypeError:  # unhashable
            return False

    def __str__(self):
        return "one of " + ", ".join(repr(o) for o in sorted(self.options, key=str))


class StrOptions(Options):
    """One of a set of strings.

    Parameters
    ----------
    options : set of str
        The allowed strings.
    """

    def __init__(self, options):
        super().__init__(str, options)


class HasMethods(_Constraint):
    """Objects with callable methods of the given names.

    Parameters
    ----------
    methods : str or list of str
        The method names.
    """

    def __init__(self, methods):
        self.methods = [methods] if isinstance(methods, str) else list(methods)

    def is_satisfied_by(self, value):
        return all(callable(getattr(value, m, None)) for m in self.methods)

    def __str__(self):
        names = ", ".join(f"{m}()" for m in self.methods)
        return f"an object with {names}"


class PositiveInts(_Constraint):
    """A positive int, or a sequence of positive ints (layer widths, say).

    Parameters
    ----------
    allow_empty : bool, default=False
        Whether an empty sequence is valid.
    """

    def __init__(self, allow_empty=False):
        self.allow_empty = allow_empty

    def is_satisfied_by(self, value):
        if _is_int(value):
            return int(value) >= 1
        if isinstance(value, str | bytes) or not isinstance(
            value, list | tuple | np.ndarray
        ):
            return False
        if len(value) == 0:
            return self.allow_empty
        return all(_is_int(v) and int(v) >= 1 for v in list(value))

    def __str__(self):
        empty = "" if self.allow_empty else "non-empty "
        return f"a positive int or a {empty}sequence of positive ints"

    @staticmethod
    def as_tuple(value):
        """The value as a tuple of ints (an int becomes a 1-tuple)."""
        if _is_int(value):
            return (int(value),)
        return tuple(int(v) for v in value)


class _InstancesOf(_Constraint):
    def __init__(self, type):
        self.type = type

    def is_satisfied_by(self, value):
        if self.type in (int, float) and isinstance(value, bool | np.bool_):
            return False
        return isinstance(value, self.type)

    def __str__(self):
        return f"an instance of {self.type.__name__}"


class _NoneConstraint(_Constraint):
    def is_satisfied_by(self, value):
        return value is None

    def __str__(self):
        return "None"


class _Booleans(_Constraint):
    def is_satisfied_by(self, value):
        return isinstance(value, bool | np.bool_)

    def __str__(self):
        return "a bool"


class _RandomStates(_Constraint):
    def is_satisfied_by(self, value):
        if value is None or isinstance(value, np.random.RandomState):
            return True
        return _is_int(value) and 0 <= int(value) < 2**63

    def __str__(self):
        return "an int >= 0, a numpy RandomState or None"


class _Callables(_Constraint):
    def is_satisfied_by(self, value):
        return callable(value)

    def __str__(self):
        return "a callable"


class _ArrayLikes(_Constraint):
    def is_satisfied_by(self, value):
        if isinstance(value, str | bytes) or value is None:
            return False
        return (
            hasattr(value, "__array__")
            or hasattr(value, "__len__")
            or hasattr(value, "shape")
            or _is_tensor(value)
        )

    def __str__(self):
        return "an array-like"


class _SparseMatrices(_Constraint):
    def is_satisfied_by(self, value):
        return _is_sparse(value)

    def __str__(self):
        return "a sparse matrix"


class _Tensors(_Constraint):
    def is_satisfied_by(self, value):
        return _is_tensor(value)

    def __str__(self):
        return "a torch.Tensor"


class _Paths(_Constraint):
    def is_satisfied_by(self, value):
        import os

        return isinstance(value, str | os.PathLike) and str(value) != ""

    def __str__(self):
        return "a file path (str or os.PathLike)"


class _Devices(_Constraint):
    def is_satisfied_by(self, value):
        import torch

        if isinstance(value, torch.device):
            return True
        if not isinstance(value, str):
            return False
        try:
            torch.device(value)
        except (RuntimeError, ValueError):
            return False
        return True

    def __str__(self):
        return "a torch device (a str such as 'cpu' or 'cuda:0', or a torch.device)"


_NAMED = {
    "array-like": _ArrayLikes,
    "sparse matrix": _SparseMatrices,
    "random_state": _RandomStates,
    "boolean": _Booleans,
    "device": _Devices,
    "tensor": _Tensors,
    "path": _Paths,
}


def make_constraint(spec):
    """Turn a constraint specification into a constraint object."""
    if isinstance(spec, _Constraint):
        return spec
    if spec is None:
        return _NoneConstraint()
    if spec is callable:
        return _Callables()
    if isinstance(spec, str):
        try:
            return _NAMED[spec]()
        except KeyError:
            raise ValueError(f"unknown constraint name {spec!r}") from None
    if isinstance(spec, type):
        return _InstancesOf(spec)
    raise ValueError(f"unknown constraint {spec!r}")


def _describe(constraints):
    shown = [str(c) for c in constraints if not c.hidden]
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " or " + shown[-1]


def _short_repr(value, limit=80):
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__} object>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def validate_parameter(value, name, constraints, caller):
    """Check one value against a constraint list; raise naming ``name``.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The parameter's name, for the message.
    constraints : list
        Constraint specifications (see the module docstring); the value is
        valid when it satisfies one of them.
    caller : str
        The function or class the parameter belongs to, for the message.

    Returns
    -------
    object
        ``value``, unchanged.
    """
    made = [make_constraint(c) for c in constraints]
    if any(c.is_satisfied_by(value) for c in made):
        return value
    raise InvalidParameterError(
        f"{caller}: {name} must be {_describe(made)}, got {_short_repr(value)}."
    )


def validate_parameter_constraints(constraints, params, caller):
    """Check every parameter of ``params`` that ``constraints`` declares.

    Parameters
    ----------
    constraints : dict
        ``{name: [constraint, ...]}``; a name mapped to ``"no_validation"`` is
        skipped.
    params : dict
        ``{name: value}``.
    caller : str
        The function or class, for the message.
    """
    for name, value in params.items():
        spec = constraints.get(name)
        if spec is None or spec == "no_validation":
            continue
        validate_parameter(value, name, spec, caller)


@functools.cache
def _merged_constraints(cls):
    merged = {}
    for klass in reversed(cls.__mro__):
        merged.update(klass.__dict__.get("_parameter_constraints", {}))
    return merged


def parameter_constraints(obj):
    """The constraints declared for ``obj``'s class and its bases, merged."""
    cls = obj if isinstance(obj, type) else type(obj)
    return dict(_merged_constraints(cls))


def validate_estimator_params(estimator, params=None):
    """Check an estimator's parameters against its declared constraints.

    Parameters
    ----------
    estimator : object
        Declares ``_parameter_constraints`` (on its class or its bases).
    params : dict or None, default=None
        The values to check; ``None`` reads ``estimator.get_params(deep=False)``
        (or the attributes named by the constraints).
    """
    constraints = parameter_constraints(estimator)
    if params is None:
        if callable(getattr(estimator, "get_params", None)):
            params = estimator.get_params(deep=False)
        else:
            params = {k: getattr(estimator, k) for k in constraints}
    validate_parameter_constraints(constraints, params, type(estimator).__name__)


def validate_params(constraints):
    """Decorate a function so its arguments are checked against ``constraints``.

    Parameters
    ----------
    constraints : dict
        ``{argument name: [constraint, ...]}``.

    Returns
    -------
    callable
        The decorator; the wrapped function keeps its signature and exposes
        the constraints as ``__skactive_constraints__``.
    """

    def decorator(func):
        signature = inspect.signature(func)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise ValueError(f"{func.__name__} has no parameter(s) {sorted(unknown)}")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise InvalidParameterError(f"{func.__name__}: {exc}") from None
            bound.apply_defaults()
            validate_parameter_constraints(constraints, bound.arguments, func.__name__)
            return func(*args, **kwargs)

        wrapper.__skactive_constraints__ = constraints
        return wrapper

    return decorator


class _NotAnything:
    """An object of a type no constraint accepts."""

    def __repr__(self):
        return "<NotAnything>"


def invalid_values(constraints):
    """Values that satisfy none of ``constraints`` (for tests).

    Parameters
    ----------
    constraints : list
        Constraint specifications.

    Returns
    -------
    list
        An object of an unrelated type, then, per constraint, values just
        outside it where it has an outside (an interval's bounds, an unknown
        option string, a non-integral float for an int interval), keeping only
        those no other constraint of the list accepts.
    """
    made = [make_constraint(c) for c in constraints]
    candidates = [_NotAnything()]
    for c in made:
        if isinstance(c, Interval):
            step = 1 if c.type is Integral else 1e-6
            if c.left is not None:
                candidates.append(
                    c.left - step if c.closed in ("left", "both") else c.left
                )
            if c.right is not None:
                candidates.append(
                    c.right + step if c.closed in ("right", "both") else c.right
                )
            if c.type is Integral:
                low = c.left if c.left is not None else 0
                candidates.append(float(low) + 0.5)
            else:
                candidates.append(float("nan"))
        elif isinstance(c, StrOptions):
            candidates.append("not-" + "-or-".join(sorted(c.options)))
        elif isinstance(c, _RandomStates):
            candidates.append(-1)
        elif isinstance(c, _Devices):
            candidates.append("no-such-device")
        elif isinstance(c, _Booleans):
            candidates.append("yes")
        elif isinstance(c, _Paths):
            candidates.append("")
        elif isinstance(c, PositiveInts):
            candidates += [0, (1, 0), "12"] + ([] if c.allow_empty else [()])
    out = []
    for v in candidates:
        if not any(c.is_satisfied_by(v) for c in made):
            out.append(v)
    return out


# ------------------------------------------------------- unlabeled rows
#: The label that marks unlabeled rows (scikit-learn's semi-supervised
#: convention).
UNLABELED = -1


def unlabeled_mask(y):
    """Boolean mask of the entries of ``y`` equal to ``UNLABELED`` (numbers only)."""
    y = np.asarray(y)
    if y.dtype.kind in "iuf":
        return y == UNLABELED
    if y.dtype == object:
        return np.fromiter(
            (
                isinstance(v, Real) and not isinstance(v, bool) and v == UNLABELED
                for v in y.ravel()
            ),
            dtype=bool,
            count=y.size,
        ).reshape(y.shape)
    return np.zeros(y.shape, dtype=bool)


# --------------------------------------------------- common constraint lists
#: ``n_jobs`` as joblib takes it: a positive count, ``-1`` for all cores, ...
N_JOBS = [
    Interval(Integral, 1, None, closed="left"),
    Interval(Integral, None, -1, closed="right"),
    None,
]

#: Rows per forward pass or per call; ``None`` for the default.
BATCH_SIZE = [Interval(Integral, 1, None, closed="left"), None]

#: A positive count.
POSITIVE_INT = [Interval(Integral, 1, None, closed="left")]


# ------------------------------------------------------------------- the data
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
    :class:`skactive.ActiveLearner`), or an object that says it stands for
    one (``_skactive_learner = True``, with ``estimator``, ``X_training``
    and ``y_training``), is unwrapped to its ``.estimator``; anything else
    is returned unchanged.
    """
    if (
        _is_modal_learner(estimator) or getattr(estimator, "_skactive_learner", False)
    ) and hasattr(estimator, "estimator"):
        return estimator.estimator
    return estimator


def check_n_instances(n_instances, n_pool, *, name="n_instances", caller=None):
    """Validate a number of rows to select from a pool of ``n_pool`` rows."""
    prefix = f"{caller}: " if caller else ""
    if not _is_int(n_instances):
        raise InvalidParameterError(
            f"{prefix}{name} must be a positive integer, got "
            f"{_short_repr(n_instances)} of type {type(n_instances).__name__}."
        )
    n_instances = int(n_instances)
    if n_instances < 1:
        raise InvalidParameterError(
            f"{prefix}{name} must be a positive integer, got {n_instances}."
        )
    if n_instances > n_pool:
        raise InvalidParameterError(
            f"{prefix}{name}={n_instances} is larger than the pool, which has "
            f"{n_pool} rows."
        )
    return n_instances


def _all_finite(X, name) -> bool:
    if _is_tensor(X):
        import torch

        if not (torch.is_floating_point(X) or torch.is_complex(X)):
            return True
        return bool(torch.isfinite(X).all())
    if _is_sparse(X):
        data = X.data
        return not np.issubdtype(data.dtype, np.inexact) or bool(
            np.isfinite(data).all()
        )
    arr = np.asarray(X)
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(
                f"{name} must hold numbers; got an object array that cannot be "
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


def _is_array_of_numbers(arr):
    return isinstance(arr, np.ndarray) and arr.dtype.kind in "biufc"


def _refuse_items_for_a_row_model(X_pool, name, estimator):
    """A 1-D pool for a model fitted on rows of features is a mistake; say so."""
    if estimator is None:
        return
    n_features = getattr(estimator, "n_features_in_", None)
    input_shape = getattr(estimator, "input_shape_", None)
    expected = tuple(input_shape) if input_shape is not None else None
    if expected is None and isinstance(n_features, Integral):
        expected = (int(n_features),)
    if expected:
        raise InvalidParameterError(
            f"{name} is 1-D (a sequence of {n_rows(X_pool)} items), but "
            f"{type(estimator).__name__} was fitted on rows of shape {expected}: "
            "pass a 2-D array of rows (X.reshape(1, -1) for a single row)."
        )


def check_pool(X_pool, *, name="X_pool", allow_nd=True, estimator=None):
    """Validate a pool of rows and return it (unchanged, or a list made an array).

    Two kinds of pools are accepted:

    * **arrays of numbers** -- numpy arrays, torch tensors, scipy sparse
      matrices, pandas DataFrames, and lists of equal-length number rows
      (returned as an array) -- with at least two dimensions (rows by
      features, or images ``N x H x W``, ``N x H x W x C``,
      ``N x C x H x W``): they must be non-empty, finite, and have the row
      shape ``estimator`` was fitted on when that is known;
    * **sequences of items** -- a list or tuple of documents, of images of
      different sizes or of anything a pipeline's first step takes, a 1-D
      (object) array or a pandas Series: they must be non-empty, and are
      otherwise left to the estimator to validate (a
      :class:`~sklearn.pipeline.Pipeline` with a ``TfidfVectorizer``, say).
      Lists are returned as lists;
    * **lazy pools** (:mod:`skactive.pools`: ``.npy`` files and memmaps,
      shards, torch datasets, views; dask arrays) -- only their shape is
      checked (against ``estimator`` too); their values are not read here,
      so a pool of millions of rows costs nothing to validate. A memmap is
      returned as an :class:`~skactive.pools.ArrayFile`, a torch dataset as a
      :class:`~skactive.pools.DatasetRows`.
    """
    if X_pool is None:
        raise InvalidParameterError(f"{name} must be an array of rows, got None.")
    from ._rows import is_lazy

    if is_lazy(X_pool):
        return _check_lazy_pool(X_pool, name, allow_nd, estimator)
    if isinstance(X_pool, list | tuple):
        if len(X_pool) == 0:
            raise InvalidParameterError(f"{name} is empty: it has 0 rows.")
        try:
            arr = np.asarray(X_pool)
        except (TypeError, ValueError):  # ragged: a sequence of items
            return X_pool
        if not (_is_array_of_numbers(arr) and arr.ndim >= 2):
            return X_pool
        X_pool = arr
    if not (
        isinstance(X_pool, np.ndarray)
        or _is_tensor(X_pool)
        or _is_sparse(X_pool)
        or hasattr(X_pool, "iloc")
    ):
        raise InvalidParameterError(
            f"{name} must be a numpy array, torch tensor, scipy sparse matrix, "
            f"pandas object or a list of rows, got {type(X_pool).__name__}."
        )
    shape = tuple(X_pool.shape)
    if len(shape) == 0:
        raise InvalidParameterError(
            f"{name} must be a collection of rows, got a scalar {X_pool!r}."
        )
    if shape[0] == 0:
        raise InvalidParameterError(f"{name} is empty: it has 0 rows (shape {shape}).")
    if len(shape) == 1 or (isinstance(X_pool, np.ndarray) and X_pool.dtype == object):
        # a sequence of items (documents, ...): the estimator validates them
        if _is_array_of_numbers(np.asarray(X_pool)) and not _all_finite(X_pool, name):
            raise InvalidParameterError(f"{name} contains NaN or infinity.")
        _refuse_items_for_a_row_model(X_pool, name, estimator)
        return X_pool
    if not allow_nd and len(shape) > 2:
        raise InvalidParameterError(f"{name} must be 2-D, got shape {shape}.")
    if not _all_finite(X_pool, name):
        raise InvalidParameterError(f"{name} contains NaN or infinity.")
    _check_row_shape(shape, name, estimator)
    return X_pool


def _check_lazy_pool(X_pool, name, allow_nd, estimator):
    """A lazy pool: its shape is checked, its values are not read.

    A memmap becomes an :class:`~skactive.pools.ArrayFile` (read without the
    mapping, so the process's memory stays bounded) and a torch ``Dataset`` a
    :class:`~skactive.pools.DatasetRows`; the rows keep their positions.
    """
    from .pools import as_pool

    X_pool = as_pool(X_pool)
    shape = tuple(int(s) for s in X_pool.shape)
    if shape[0] == 0:
        raise InvalidParameterError(f"{name} is empty: it has 0 rows (shape {shape}).")
    if len(shape) < 2:
        raise InvalidParameterError(
            f"{name} must have rows of at least one value (shape (n_rows, ...)), "
            f"got shape {shape}."
        )
    if not allow_nd and len(shape) > 2:
        raise InvalidParameterError(f"{name} must be 2-D, got shape {shape}.")
    _check_row_shape(shape, name, estimator)
    return X_pool


def _check_row_shape(shape, name, estimator):
    """Refuse rows of another shape than ``estimator`` was fitted on."""
    if estimator is not None:
        n_features = getattr(estimator, "n_features_in_", None)
        input_shape = getattr(estimator, "input_shape_", None)
        if input_shape is not None and tuple(shape[1:]) != tuple(input_shape):
            raise InvalidParameterError(
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
            raise InvalidParameterError(
                f"{name} has {shape[1]} features, but {type(estimator).__name__} "
                f"was fitted with {n_features} features."
            )


def check_fitted(estimator, *, name="estimator"):
    """Raise :class:`~sklearn.exceptions.NotFittedError` unless fitted."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet: fit it "
            "(or teach the learner some labeled rows) before querying. skactive "
            "never returns arbitrary picks for an unfitted model."
        ) from exc
    except TypeError as exc:
        raise InvalidParameterError(
            f"{name} must be a scikit-learn estimator, a skorch net or a modAL "
            f"learner; got {type(estimator).__name__}."
        ) from exc


def check_has_method(estimator, method, *, purpose):
    """Raise :class:`InvalidParameterError` if ``estimator`` lacks ``method``."""
    if not callable(getattr(estimator, method, None)):
        raise InvalidParameterError(
            f"{type(estimator).__name__} has no {method}() method, which "
            f"{purpose} needs."
        )
