"""The validation vocabulary: constraints, messages, generated bad values."""

import numbers

import numpy as np
import pytest
import torch

from skactive._validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    check_n_instances,
    invalid_values,
    make_constraint,
    parameter_constraints,
    unlabeled_mask,
    validate_estimator_params,
    validate_parameter,
    validate_params,
)


def test_one_error_type_is_both_value_and_type_error():
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)
    with pytest.raises(TypeError):
        check_n_instances(1.5, 10)
    with pytest.raises(ValueError):
        check_n_instances(1.5, 10)


@pytest.mark.parametrize(
    "constraint, good, bad",
    [
        (
            Interval(numbers.Integral, 1, None, closed="left"),
            [1, np.int64(5)],
            [0, 1.0, True, "1"],
        ),
        (
            Interval(numbers.Real, 0, 1, closed="left"),
            [0, 0.5, np.float32(0.9)],
            [1, -0.1, np.nan, False],
        ),
        (Interval(numbers.Real, 0, None, closed="neither"), [1e-9, np.inf], [0, -1]),
        (StrOptions({"a", "b"}), ["a"], ["c", 1, None]),
        (Options(numbers.Integral, {-1}), [-1], [1, -1.0]),
        (
            HasMethods(["fit", "transform"]),
            [type("T", (), {"fit": len, "transform": len})()],
            [object()],
        ),
        (
            make_constraint("random_state"),
            [None, 0, np.random.RandomState(0)],
            [-1, 1.5, "x"],
        ),
        (make_constraint("boolean"), [True, np.bool_(False)], [0, "yes"]),
        (make_constraint("device"), ["cpu", torch.device("cpu")], ["no-such", 3]),
        (
            make_constraint("array-like"),
            [[1], np.zeros(2), torch.zeros(2)],
            ["abc", None, 3],
        ),
        (make_constraint(None), [None], [0]),
        (make_constraint(callable), [len], [3]),
        (make_constraint(list), [[]], [()]),
    ],
)
def test_constraints(constraint, good, bad):
    for value in good:
        assert constraint.is_satisfied_by(value), value
    for value in bad:
        assert not constraint.is_satisfied_by(value), value


@pytest.mark.parametrize(
    "constraint, text",
    [
        (Interval(numbers.Integral, 2, None, closed="left"), "an int >= 2"),
        (Interval(numbers.Real, 0, None, closed="neither"), "a float > 0"),
        (Interval(numbers.Real, None, 1, closed="right"), "a float <= 1"),
        (Interval(numbers.Real, 0, 1, closed="left"), "a float in [0, 1)"),
        (StrOptions({"b", "a"}), "one of 'a', 'b'"),
    ],
)
def test_descriptions(constraint, text):
    assert str(constraint) == text


def test_messages_name_the_caller_the_parameter_and_the_value():
    spec = [Interval(numbers.Integral, 1, None, closed="left"), None]
    with pytest.raises(InvalidParameterError) as info:
        validate_parameter(0, "k", spec, "f")
    assert str(info.value) == "f: k must be an int >= 1 or None, got 0."
    assert validate_parameter(None, "k", spec, "f") is None


def test_validate_params_decorator():
    @validate_params({"k": [Interval(numbers.Integral, 1, None, closed="left")]})
    def f(x, k=1):
        return x * k

    assert f(2, k=3) == 6
    with pytest.raises(InvalidParameterError, match="f: k must be an int >= 1"):
        f(2, k=0)
    with pytest.raises(InvalidParameterError, match="f: "):
        f(1, 2, 3)  # a bad call is answered the same way
    assert set(f.__skactive_constraints__) == {"k"}
    with pytest.raises(ValueError, match="no parameter"):
        validate_params({"nope": [None]})(lambda x: x)


def test_class_constraints_merge_along_the_hierarchy():
    class A:
        _parameter_constraints = {"a": [int]}

        def __init__(self, a=1):
            self.a = a

    class B(A):
        _parameter_constraints = {"b": ["boolean"]}

        def __init__(self, a=1, b=True):
            super().__init__(a)
            self.b = b

    assert set(parameter_constraints(B)) == {"a", "b"}
    validate_estimator_params(B())
    with pytest.raises(InvalidParameterError, match="B: a must be"):
        validate_estimator_params(B(a="x"))
    with pytest.raises(InvalidParameterError, match="B: b must be a bool"):
        validate_estimator_params(B(b=1))


@pytest.mark.parametrize(
    "spec",
    [
        [Interval(numbers.Integral, 1, None, closed="left")],
        [Interval(numbers.Integral, 1, None, closed="left"), None],
        [Interval(numbers.Real, 0, 1, closed="both")],
        [StrOptions({"x", "y"}), callable],
        ["random_state"],
        ["boolean"],
        ["device", None],
    ],
)
def test_invalid_values_break_every_constraint(spec):
    values = invalid_values(spec)
    assert len(values) >= 2
    made = [make_constraint(c) for c in spec]
    for v in values:
        assert not any(c.is_satisfied_by(v) for c in made), v


def test_unlabeled_mask():
    np.testing.assert_array_equal(unlabeled_mask([0, -1, 2]), [False, True, False])
    mask = unlabeled_mask(np.array([-1, "a", True], dtype=object))
    np.testing.assert_array_equal(mask, [True, False, False])
    assert not unlabeled_mask(np.array(["a", "-1"])).any()


def test_check_n_instances():
    assert check_n_instances(np.int32(3), 5) == 3
    with pytest.raises(InvalidParameterError, match="larger than the pool"):
        check_n_instances(6, 5)
    with pytest.raises(InvalidParameterError, match="n_instances must be a positive"):
        check_n_instances(0, 5)
