"""Constraint kinds that :mod:`skactive._validation` does not provide (yet).

They are constraints of the same vocabulary (subclasses of its base class),
so they work wherever a constraint does -- in ``_parameter_constraints``,
:func:`~skactive._validation.validate_params`,
:func:`~skactive._validation.validate_parameter` -- and a violation raises
the same :class:`~skactive._validation.InvalidParameterError`:

* :class:`Sequences`: lists or tuples whose items satisfy a constraint,
  optionally of a fixed length and non-decreasing (``(low, high)`` ranges of
  :mod:`skactive.augment`, ``projector_dims``, ``image_shape``);
* :class:`OddInts`: odd ints in an interval (kernel sizes);
* :class:`ModuleClasses`: :class:`torch.nn.Module` subclasses (a backbone
  given as a class, built once the data is seen).

:func:`~skactive._validation.invalid_values` knows none of them, so for a
parameter that only they describe it generates the object of an unrelated
type; the tests of the modules that use them add values just outside each.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
from torch import nn

from ._validation import Interval, _Constraint, make_constraint

__all__ = ["Sequences", "OddInts", "ModuleClasses"]


class Sequences(_Constraint):
    """Lists or tuples whose every item satisfies a constraint.

    Parameters
    ----------
    item : constraint specification
        What every item must satisfy (an :class:`Interval`, a type, ...).
    length : int or None, default=None
        The exact number of items; ``None`` accepts any number.
    min_length : int, default=0
        The smallest number of items (when ``length`` is ``None``).
    increasing : bool, default=False
        Require non-decreasing items (``low <= high`` for a pair).
    arrays : bool, default=False
        Accept 1-D numpy arrays too.
    description : str or None, default=None
        What the message says the value must be; ``None`` builds it from the
        other arguments.
    """

    def __init__(
        self,
        item,
        *,
        length=None,
        min_length=0,
        increasing=False,
        arrays=False,
        description=None,
    ):
        self.item = make_constraint(item)
        self.length = length
        self.min_length = min_length
        self.increasing = increasing
        self.arrays = arrays
        self.description = description

    def _items(self, value):
        if isinstance(value, str | bytes):
            return None
        if isinstance(value, np.ndarray):
            return value.tolist() if self.arrays and value.ndim == 1 else None
        if isinstance(value, Sequence):
            return list(value)
        return None

    def is_satisfied_by(self, value):
        items = self._items(value)
        if items is None:
            return False
        if self.length is not None and len(items) != self.length:
            return False
        if len(items) < self.min_length:
            return False
        if not all(self.item.is_satisfied_by(v) for v in items):
            return False
        if self.increasing:
            try:
                return all(a <= b for a, b in zip(items, items[1:], strict=False))
            except TypeError:  # items that cannot be compared
                return False
        return True

    def __str__(self):
        if self.description is not None:
            return self.description
        if self.length == 2 and self.increasing:
            return f"a pair (low, high) with low <= high, each {self.item}"
        if self.length is not None:
            return f"a sequence of {self.length} values, each {self.item}"
        if self.min_length >= 1:
            return f"a non-empty sequence of values, each {self.item}"
        return f"a sequence of values, each {self.item}"


class OddInts(Interval):
    """Odd ints in an interval (an :class:`Interval` of ``Integral``).

    Parameters
    ----------
    left, right : int or None
        Bounds; ``None`` is unbounded on that side.
    closed : {"left", "right", "both", "neither"}, default="both"
        Which bounds belong to the interval.
    """

    def __init__(self, left, right, *, closed="both"):
        super().__init__(Integral, left, right, closed=closed)

    def is_satisfied_by(self, value):
        return super().is_satisfied_by(value) and int(value) % 2 == 1

    def __str__(self):
        return "an odd " + super().__str__().removeprefix("an ")


class ModuleClasses(_Constraint):
    """Subclasses of :class:`torch.nn.Module` (the classes, not instances)."""

    def is_satisfied_by(self, value):
        return isinstance(value, type) and issubclass(value, nn.Module)

    def __str__(self):
        return "a torch.nn.Module subclass"
