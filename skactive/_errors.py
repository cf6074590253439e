"""The one exception type of skactive's validation (no dependencies, so that
light modules -- the command line, the strategy registry -- can raise it)."""

__all__ = ["InvalidParameterError"]


class InvalidParameterError(ValueError, TypeError):
    """A parameter or an input has a bad type or value.

    Both a :class:`ValueError` and a :class:`TypeError`, so code that catches
    either keeps working whichever of the two the mistake "is".
    """
