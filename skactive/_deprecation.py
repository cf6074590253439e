"""Deprecated keyword aliases: an old parameter name that still works, with a warning.

:func:`renamed_keywords` wraps a function so that a call passing the old
keyword is translated to the new one and emits a :class:`FutureWarning` naming
both. Positional calls are unaffected, and the wrapped function keeps its
signature (with the new names only), its docstring and any attribute the
function carries (such as the constraints of
:func:`~skactive._validation.validate_params`).
"""

from __future__ import annotations

import functools
import warnings

from ._validation import InvalidParameterError

__all__ = ["renamed_keywords"]


def renamed_keywords(**renamed):
    """Accept deprecated keyword names for renamed parameters.

    Parameters
    ----------
    **renamed : str
        ``old_name="new_name"`` for each renamed parameter.

    Returns
    -------
    callable
        The decorator. A call passing ``old_name=value`` warns (a
        :class:`FutureWarning` naming ``new_name``) and is made with
        ``new_name=value``; passing both names raises
        :class:`~skactive._validation.InvalidParameterError`.

    Examples
    --------
    >>> import warnings
    >>> from skactive._deprecation import renamed_keywords
    >>> @renamed_keywords(n="n_instances")
    ... def pick(scores, n_instances):
    ...     return n_instances
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     pick([1, 2], n=2)
    2
    >>> print(caught[0].message)
    pick: the keyword n= is deprecated; use n_instances= instead (n= will be removed in a future release).
    """  # noqa: E501

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in renamed.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise InvalidParameterError(
                        f"{func.__name__}: got both {old}= (deprecated) and {new}=; "
                        f"pass only {new}=."
                    )
                warnings.warn(
                    f"{func.__name__}: the keyword {old}= is deprecated; use "
                    f"{new}= instead ({old}= will be removed in a future release).",
                    FutureWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        wrapper.__skactive_renamed__ = dict(renamed)
        return wrapper

    return decorator
