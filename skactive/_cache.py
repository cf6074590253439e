"""One pass of the net per round: per-row outputs shared across strategies.

Inside ``with skactive.shared_inference(): ...`` the probabilities and
embeddings the door (:mod:`skactive._inference`) computes for a model and a
pool are kept and handed to every later request for the same model and pool,
so running several strategies in one round (core-set then entropy, say)
passes the pool through the net once. For a skactive net, the first request
of either computes both, from the same forward pass.
"""

from __future__ import annotations

import contextvars
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from ._validation import StrOptions, validate_parameter

__all__ = ["shared_inference", "active_cache"]

_ACTIVE = contextvars.ContextVar("skactive_shared_inference", default=None)


def active_cache():
    """The :class:`shared_inference` block the caller runs in, or ``None``."""
    return _ACTIVE.get()


def _model_key(model):
    """Identity of a fitted model; a refitted skorch net gets a new key."""
    history = getattr(model, "history_", None) or getattr(model, "history", None)
    module = getattr(model, "module_", None)
    return (
        id(model),
        id(module) if module is not None else None,
        len(history) if history is not None and hasattr(history, "__len__") else None,
    )


def _pool_key(X):
    """Identity of a pool: its memory, file or rows (never its values)."""
    from .pools import ArrayFile, ConcatRows, DatasetRows, PoolView, ShardedArray

    if isinstance(X, ArrayFile):
        return ("file", str(X.path), X.offset, X.shape, str(X.dtype))
    if isinstance(X, ShardedArray):
        return ("shards", *(_pool_key(s) for s in X.shards))
    if isinstance(X, PoolView):
        return ("view", _pool_key(X.source), X.indices.size, hash(X.indices.tobytes()))
    if isinstance(X, ConcatRows):
        return ("concat", *(_pool_key(p) for p in X.parts))
    if isinstance(X, DatasetRows):
        return ("dataset", id(X.dataset))
    if isinstance(X, np.ndarray):
        return ("array", X.__array_interface__["data"][0], X.shape, X.strides)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(X, torch.Tensor):
        return ("tensor", X.data_ptr(), tuple(X.shape), str(X.device))
    return ("object", id(X))


class shared_inference:
    """Compute each model's outputs on a pool once, for every strategy in a round.

    Inside the block, the class probabilities and embeddings the strategies
    ask of a model for a pool are computed on the first request and reused
    by every later one (for the same fitted model and the same pool --
    the same array, file, or view of the same rows). For a skactive net
    the first request computes both from one forward pass, so a round that
    runs core-set, BADGE and entropy passes the pool through the net once.
    Leaving the block frees the outputs.

    Enter it after fitting: a model refitted inside the block (a skorch
    net's history grows) gets fresh outputs, but a scikit-learn estimator
    refitted in place cannot be told from the one before.

    Parameters
    ----------
    embedding_dtype : {"float32", "float16"}, default="float32"
        The dtype skactive nets store embeddings in (float16 halves them;
        the selectors compute in float32 either way).
    directory : str, pathlib.Path or None, default=None
        Write skactive nets' embeddings into ``.npy`` files in this folder
        (created if needed) as they are computed, and hand them to the
        selectors as :class:`~skactive.pools.ArrayFile` (read in blocks), so
        a million-row pool's embeddings cost no memory. ``None`` keeps them
        in memory. The files are removed when the block ends unless
        ``keep_files``.
    keep_files : bool, default=False
        Leave the embedding files in ``directory`` after the block.

    Attributes
    ----------
    n_passes_ : int
        Passes over a pool the models made inside the block.
    files_ : list of pathlib.Path
        The embedding files written.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> import skactive
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies import CoreSet, UncertaintySampling
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> with skactive.shared_inference() as shared:
    ...     a = CoreSet(random_state=0)(net, X[100:], n_instances=5)
    ...     b = UncertaintySampling(random_state=0)(net, X[100:], n_instances=5)
    >>> shared.n_passes_
    1
    """

    _parameter_constraints = {
        "embedding_dtype": [StrOptions({"float32", "float16"})],
        "directory": ["path", None],
        "keep_files": ["boolean"],
    }

    def __init__(self, *, embedding_dtype="float32", directory=None, keep_files=False):
        self.embedding_dtype = embedding_dtype
        self.directory = directory
        self.keep_files = keep_files

    def __enter__(self):
        for name, spec in self._parameter_constraints.items():
            validate_parameter(getattr(self, name), name, spec, "shared_inference")
        if self.directory is not None:
            os.makedirs(self.directory, exist_ok=True)
        self.n_passes_ = 0
        self.files_ = []
        self._entries = {}
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, *exc):
        _ACTIVE.reset(self._token)
        self._entries.clear()
        if not self.keep_files:
            for path in self.files_:
                try:
                    os.remove(path)
                except OSError:
                    pass
        return False

    # -- used by skactive._inference -------------------------------------
    def entry(self, model, X):
        """The outputs kept for ``model`` on ``X`` (a dict, created if new).

        Parameters
        ----------
        model : estimator
            A fitted model.
        X : pool
            The pool it is asked about.

        Returns
        -------
        dict
            The outputs kept so far (``"proba"``, ``"embedding"``), shared by
            every request for the same model and pool.
        """
        key = (_model_key(model), _pool_key(X))
        found = self._entries.get(key)
        if found is None:
            # the model and the pool are held, so their ids stay theirs
            found = self._entries[key] = {"_refs": (model, X)}
        return found

    def embedding_file(self):
        """A new file for embeddings in ``directory`` (``None`` without one)."""
        if self.directory is None:
            return None
        fd, path = tempfile.mkstemp(
            prefix="embeddings-", suffix=".npy", dir=self.directory
        )
        os.close(fd)
        self.files_.append(Path(path))
        return path
