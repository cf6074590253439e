"""The Dask client a distributed strategy or selector talks to."""

from __future__ import annotations

from .._validation import InvalidParameterError, validate_params

__all__ = ["get_client"]


@validate_params({"client": "no_validation"})
def get_client(client=None):
    """The ``dask.distributed`` client to use: ``client``, else the active one.

    Parameters
    ----------
    client : distributed.Client or None, default=None
        An explicit client. ``None`` looks for the client of the current
        context (``with Client(...):``, a client created last, or the one a
        task runs under).

    Returns
    -------
    client : distributed.Client or None
        ``None`` when ``client`` is ``None`` and no client is active (or
        ``dask.distributed`` is not installed): the callers then run in
        this process.

    Examples
    --------
    >>> from skactive.distributed import get_client
    >>> get_client() is None  # no cluster started here
    True
    """
    try:
        from distributed import Client
        from distributed import get_client as _active
    except ImportError:  # pragma: no cover - distributed is a dependency
        if client is not None:
            raise InvalidParameterError(
                "client= needs dask.distributed, which is not installed."
            ) from None
        return None
    if client is not None:
        if not isinstance(client, Client):
            raise InvalidParameterError(
                "client must be a dask.distributed.Client or None, got "
                f"{type(client).__name__}."
            )
        return client
    try:
        return _active()
    except ValueError:  # no client
        return None


def require_client(client, caller):
    """:func:`get_client`, raising when there is none."""
    found = get_client(client)
    if found is None:
        raise InvalidParameterError(
            f"{caller}: no dask.distributed client: pass client= or start one "
            "(distributed.Client(...))."
        )
    return found
