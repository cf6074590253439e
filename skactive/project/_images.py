"""The images of a project: the folder's files, their content hashes, and a
dataset that decodes them to fixed-size ``uint8`` tensors.

Decoding uses :mod:`torchvision.io` (PNG, JPEG, GIF, WebP), so no imaging
library beyond torchvision is needed (torchvision >= 0.29 deprecates these
functions in favour of TorchCodec; :func:`quiet_torchvision_io` silences that
notice where skactive calls them).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
from numbers import Integral
from pathlib import Path

from .._errors import InvalidParameterError
from .._validation import Interval, validate_parameter_constraints, validate_params

__all__ = ["IMAGE_SUFFIXES", "list_images", "file_sha256", "ImageFiles"]


@contextlib.contextmanager
def quiet_torchvision_io():
    """Silence torchvision's deprecation notice of its image decoders."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", category=DeprecationWarning, module="torchvision.io.image"
        )
        yield


#: The file suffixes taken as images (lower case).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


@validate_params({"folder": ["path"]})
def list_images(folder):
    """The image files under ``folder``, as sorted POSIX paths relative to it.

    Hidden files and folders (a name starting with ``.``) are left out.

    Parameters
    ----------
    folder : str or pathlib.Path
        The image folder (searched recursively).

    Returns
    -------
    list of str
        Relative paths such as ``"cats/001.jpg"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skactive.project import list_images
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "b").mkdir(); _ = (d / "b" / "x.png").write_bytes(b"")
    >>> _ = (d / "a.jpg").write_bytes(b""); _ = (d / "notes.txt").write_text("")
    >>> list_images(d)
    ['a.jpg', 'b/x.png']
    """
    root = Path(folder)
    if not root.is_dir():
        raise InvalidParameterError(f"images {str(folder)!r} is not a folder.")
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(IMAGE_SUFFIXES):
                continue
            found.append(Path(dirpath, name).relative_to(root).as_posix())
    return sorted(found)


@validate_params(
    {"path": ["path"], "chunk_size": [Interval(Integral, 1, None, closed="left")]}
)
def file_sha256(path, *, chunk_size=1 << 20):
    """The SHA-256 of a file's content, as 64 hex digits.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    chunk_size : int, default=1048576
        Bytes read at a time.

    Returns
    -------
    str
        The hex digest.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skactive.project import file_sha256
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x"
    >>> _ = f.write_bytes(b"abc")
    >>> file_sha256(f)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


class ImageFiles:
    """A map-style dataset of image files decoded to ``3 x size x size`` uint8.

    Grey and RGBA images become RGB; every image is resized (with
    antialiasing) to a square of ``size`` pixels, so a batch stacks. Wrap it
    in :class:`skactive.pools.DatasetRows` to use it as a pool.

    Parameters
    ----------
    paths : sequence of str or pathlib.Path
        The image files.
    size : int, default=32
        Side of the square the images are resized to.

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> from torchvision.io import encode_png
    >>> from skactive.project import ImageFiles
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.png"
    >>> _ = f.write_bytes(encode_png(torch.zeros(1, 5, 7, dtype=torch.uint8)).numpy())
    >>> ImageFiles([f], size=8)[0].shape
    torch.Size([3, 8, 8])
    """

    _parameter_constraints = {
        "paths": [list, tuple],
        "size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, paths, size=32):
        validate_parameter_constraints(
            self._parameter_constraints, {"paths": paths, "size": size}, "ImageFiles"
        )
        self.paths = [str(p) for p in paths]
        self.size = size

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        import torch
        from torchvision.io import ImageReadMode, decode_image, read_file

        path = self.paths[int(i)]
        try:
            with quiet_torchvision_io():
                image = decode_image(read_file(path), mode=ImageReadMode.RGB)
        except (RuntimeError, OSError) as exc:
            raise InvalidParameterError(
                f"the image {path!r} cannot be decoded: {exc}"
            ) from exc
        if tuple(image.shape[1:]) != (self.size, self.size):
            image = torch.nn.functional.interpolate(
                image[None].float(),
                size=(self.size, self.size),
                mode="bilinear",
                antialias=True,
                align_corners=False,
            )[0]
            image = image.round().clamp(0, 255).to(torch.uint8)
        return image
