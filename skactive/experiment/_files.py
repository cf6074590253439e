"""Writing the files of a simulation safely.

* :func:`atomic_write` -- a temporary file in the same folder, then a rename:
  a reader (or a run killed mid-write) never sees half a file, and a symbolic
  link at the destination is replaced, never written through. The file gets
  the permissions of any file the user creates (``0o666 & ~umask``);
* :func:`check_folder` -- whether result files can go to a folder, checked
  before a simulation computes anything;
* :func:`strict_json` -- JSON that every parser accepts: ``NaN`` and the
  infinities written as ``null``.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import secrets
from pathlib import Path

import numpy as np

from .._validation import InvalidParameterError

__all__ = [
    "atomic_write",
    "check_folder",
    "check_file_path",
    "finite_or_none",
    "strict_json",
]

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def _fsync_folder(folder):
    """Make a rename in ``folder`` durable where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path, data, *, overwrite=True):
    """Write ``data`` to ``path`` atomically, with the user's umask.

    Parameters
    ----------
    path : str or pathlib.Path
        The destination; missing parent folders are created.
    data : str or bytes
        The content (a str is encoded as UTF-8).
    overwrite : bool, default=True
        Replace an existing file (or symbolic link: the link itself is
        replaced, its target is left alone). With ``False`` an existing
        ``path`` is refused, atomically (a hard link that fails if the name
        exists), even if it appears while the data are written.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    # os.open applies the umask to 0o666, as for any file the user creates
    # (tempfile.mkstemp would give 0o600)
    fd = os.open(tmp, _FLAGS, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
        _fsync_folder(path.parent)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _link_new(tmp, path):
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise InvalidParameterError(
            f"{path} already exists; it is not overwritten."
        ) from None
    except OSError:  # no hard links on this file system
        if os.path.lexists(path):
            raise InvalidParameterError(
                f"{path} already exists; it is not overwritten."
            ) from None
        os.replace(tmp, path)


def _nearest_existing(path):
    """The nearest ancestor of ``path`` (or itself) that exists."""
    path = Path(os.path.abspath(path))
    while not os.path.lexists(path):
        path = path.parent
    return path


def _check_creatable(folder, what):
    """Raise unless the missing ``folder`` can be created."""
    ancestor = _nearest_existing(folder)
    if not ancestor.is_dir():
        raise InvalidParameterError(
            f"{what} {str(folder)!r} cannot be created: {str(ancestor)!r} is not "
            "a folder."
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InvalidParameterError(
            f"{what} {str(folder)!r} cannot be created: {str(ancestor)!r} is not "
            "writable."
        )


def check_folder(folder, names, *, overwrite, what="out"):
    """Check that the files ``names`` can be written into ``folder``.

    Parameters
    ----------
    folder : str or pathlib.Path
        An existing writable folder, or one that can be created.
    names : iterable of str
        The files that will be written there.
    overwrite : bool
        Whether existing files of those names may be replaced.
    what : str, default="out"
        The parameter's name, for the messages.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    InvalidParameterError
        If ``folder`` is a file (or a broken link), cannot be created or is
        not writable; if one of the files is a symbolic link (never written
        through, even with ``overwrite``) or a folder; if one exists and
        ``overwrite`` is false.
    """
    folder = Path(folder)
    if os.path.lexists(folder) and not folder.is_dir():
        kind = "a broken symbolic link" if folder.is_symlink() else "a file"
        raise InvalidParameterError(
            f"{what} {str(folder)!r} is {kind}, not a folder; choose a folder "
            "for the result files."
        )
    if not folder.is_dir():
        _check_creatable(folder, what)
        return folder
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidParameterError(f"{what} {str(folder)!r} is not writable.")
    for name in names:
        path = folder / name
        if path.is_symlink():
            raise InvalidParameterError(
                f"{str(path)!r} is a symbolic link; result files are never "
                f"written through a link: remove it or choose another {what} "
                "folder."
            )
        if path.is_dir():
            raise InvalidParameterError(
                f"{str(path)!r} is a folder where a result file would go; remove "
                f"it or choose another {what} folder."
            )
        if path.exists() and not overwrite:
            raise InvalidParameterError(
                f"{str(path)!r} already exists; pass overwrite=True (in the "
                f"command: --overwrite) to replace it, or choose another {what} "
                "folder."
            )
    return folder


def check_file_path(path, what):
    """Raise unless a file can be written at ``path`` (its folder creatable).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    what : str
        The parameter's name, for the messages.
    """
    path = Path(path)
    parent = path.parent
    if os.path.lexists(parent) and not parent.is_dir():
        raise InvalidParameterError(
            f"{what} {str(path)!r} cannot be written: {str(parent)!r} is not a folder."
        )
    if not parent.is_dir():
        _check_creatable(parent, what)
    elif not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidParameterError(
            f"{what} {str(path)!r} cannot be written: {str(parent)!r} is not writable."
        )


def finite_or_none(obj):
    """``obj`` with every non-finite float replaced by ``None``, numpy made plain."""
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_or_none(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return finite_or_none(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def strict_json(obj, **kwargs):
    """``json.dumps`` of ``obj`` with ``NaN`` and infinities as ``null``."""
    return json.dumps(finite_or_none(obj), allow_nan=False, **kwargs)


#: The files ``simulate(out=folder)`` writes into the folder.
RESULT_FILES = ("results.csv", "results.json", "learning_curves.png")


def check_results_folder(folder, *, overwrite):
    """Raise unless the result files can be written into ``folder``.

    Parameters
    ----------
    folder : str or pathlib.Path
        An existing writable folder, or one that can be created.
    overwrite : bool
        Whether existing result files may be replaced.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    if importlib.util.find_spec("matplotlib") is None:
        raise InvalidParameterError(
            "simulate: out= writes learning_curves.png, which needs matplotlib: "
            "pip install matplotlib."
        )
    return check_folder(folder, RESULT_FILES, overwrite=overwrite)
