"""The one door between strategies and models.

Strategies never call a model themselves: they ask this module, which knows
how to get each quantity from every kind of model skactive supports, through
the models' public methods only, chunked over the pool:

* :func:`predict_proba_pool` -- class probabilities;
* :func:`embed_pool` -- penultimate embeddings (a skactive net's, the features
  a :class:`~sklearn.pipeline.Pipeline`'s final step sees, or the rows
  themselves), optionally with the probabilities from the same pass;
* :func:`mc_samples` / :func:`iter_mc_samples` -- MC-dropout samples, with
  independent or *consistent* masks;
* :func:`augmented_predictions` -- predictions under augmentation;
* :func:`final_layer` -- the weight and bias of the final linear layer;
* :func:`input_shape` -- the shape of one row as the model sees it.

Row chunks come from :func:`skactive._rows.row_chunks`, seeds from
:mod:`skactive._random`.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import numbers
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import torch
from joblib import Parallel, delayed
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from ._cache import active_cache
from ._random import SEED_MOD, forked_torch_rng, seed_from_random_state
from ._rows import is_lazy, n_rows, row_chunks, slice_rows
from ._validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    check_has_method,
    validate_params,
)

__all__ = [
    "predict_proba_pool",
    "embed_pool",
    "mc_samples",
    "iter_mc_samples",
    "augmented_predictions",
    "consistent_mc_dropout",
    "supports_consistent_dropout",
    "final_layer",
    "input_shape",
    "transform_pool",
    "predict_loss_pool",
    "predict_proba_discriminator_pool",
    "is_skorch_net",
    "pool_offset",
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_MC_CHUNK_ROWS",
]

#: Rows per call for estimators that are not skorch nets.
DEFAULT_CHUNK_ROWS = 16384

#: Rows per ``predict_proba_samples`` call: bounds the ``(T, rows, C)`` block
#: held in memory at once.
DEFAULT_MC_CHUNK_ROWS = 4096


def is_skorch_net(estimator) -> bool:
    """Whether ``estimator`` is a skorch net (which batches inference itself)."""
    return any(
        klass.__module__.startswith("skorch.") and klass.__name__ == "NeuralNet"
        for klass in type(estimator).__mro__
    )


def _is_skactive_net(model) -> bool:
    return callable(getattr(model, "predict_proba_with_embedding", None))


def _chunked(fn, X, batch_size, n_jobs):
    """``fn`` over row chunks of ``X``, written into one preallocated array.

    Chunks of a lazy pool are read one at a time (with ``n_jobs``, a few at
    a time); only the per-row outputs are kept. Parallel chunks run under
    whatever joblib backend is active, so
    ``with joblib.parallel_config(backend="dask"): ...`` spreads them over a
    Dask cluster.
    """
    step = DEFAULT_CHUNK_ROWS if batch_size is None else int(batch_size)
    if step < 1:
        raise InvalidParameterError(
            f"batch_size must be a positive integer, got {batch_size}."
        )
    n = n_rows(X)
    if n <= step and not is_lazy(X):
        return np.asarray(fn(X))
    out = None

    def put(start, part):
        nonlocal out
        part = np.asarray(part)
        if out is None:
            out = np.empty((n, *part.shape[1:]), dtype=part.dtype)
        out[start : start + part.shape[0]] = part

    if n_jobs is None or n_jobs == 1:
        for start, _, rows in row_chunks(X, step):
            put(start, fn(rows))
        return out
    bounds = [(s, min(s + step, n)) for s in range(0, n, step)]
    # the pool is read by the workers' tasks, chunk by chunk, as they run
    parts = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_apply_to_rows)(fn, X, s, e) for s, e in bounds
    )
    for (s, _), part in zip(bounds, parts, strict=True):
        put(s, part)
    return out


def _apply_to_rows(fn, X, start, stop):
    return fn(slice_rows(X, start, stop))


def predict_proba_pool(estimator, X, *, batch_size=None, n_jobs=None):
    """Class probabilities of every row of ``X``, computed in chunks.

    skorch nets batch inference themselves (``batch_size`` of their iterator,
    on their device); other estimators are called on chunks of ``batch_size``
    rows (default :data:`DEFAULT_CHUNK_ROWS`), in parallel over ``n_jobs``
    joblib workers when asked, so a pool of millions of rows never goes
    through one ``predict_proba`` call.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    X : array-like of shape (n_samples, ...)
    batch_size : int or None, default=None
    n_jobs : int or None, default=None
        joblib workers for the chunks (``-1``: all cores; any joblib backend,
        e.g. Dask or Ray, applies).

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    """
    check_has_method(estimator, "predict_proba", purpose="this query strategy")
    cache = active_cache()
    if cache is not None:
        entry = cache.entry(estimator, X)
        if "proba" not in entry:
            if _is_skactive_net(estimator):  # both from one pass
                _shared_net_pass(cache, entry, estimator, X)
            else:
                cache.n_passes_ += 1
                entry["proba"] = _proba(estimator, X, batch_size, n_jobs)
        return entry["proba"]
    return _proba(estimator, X, batch_size, n_jobs)


def _proba(estimator, X, batch_size, n_jobs):
    if is_skorch_net(estimator):
        return np.asarray(estimator.predict_proba(X))
    return _chunked(estimator.predict_proba, X, batch_size, n_jobs)


def _shared_net_pass(cache, entry, net, X):
    """Probabilities and embeddings of a skactive net, from one pass, kept."""
    cache.n_passes_ += 1
    entry["proba"], entry["embedding"] = net.predict_proba_with_embedding(
        X,
        embedding_dtype=cache.embedding_dtype,
        embedding_file=cache.embedding_file(),
    )


def _rows_as_features(X):
    """Rows of ``X`` as a 2-D matrix (images flattened; sparse kept sparse).

    A lazy pool stays lazy (flattened without reading it): the selectors
    read it in blocks.
    """
    if is_lazy(X):
        from .pools import flat_rows

        return flat_rows(X)
    if sp.issparse(X):
        return X.tocsr()
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    elif hasattr(X, "to_numpy"):
        X = X.to_numpy()
    X = np.asarray(X)
    return X.reshape(X.shape[0], -1)


def _in_memory(rows, lazy):
    """``rows`` read into an array, unless ``lazy`` or already in memory."""
    if lazy or not is_lazy(rows):
        return rows
    n = n_rows(rows)
    out = None
    for start, stop, block in row_chunks(rows, DEFAULT_CHUNK_ROWS):
        block = np.asarray(block)
        if out is None:
            out = np.empty((n, *block.shape[1:]), dtype=block.dtype)
        out[start:stop] = block
    return out


def embed_pool(
    estimator,
    X,
    *,
    return_proba=False,
    batch_size=None,
    n_jobs=None,
    keep_sparse=False,
    lazy=False,
):
    """Embeddings of every row of ``X`` (and probabilities, from the same pass).

    * Estimators with ``predict_proba_with_embedding`` (skactive nets): the
      penultimate embedding, from the forward pass that gives the
      probabilities.
    * Estimators with ``embed``: that.
    * A scikit-learn :class:`~sklearn.pipeline.Pipeline`: the features its
      final step sees (``pipeline[:-1].transform``).
    * Any other estimator: the rows themselves, flattened to 2-D.

    Parameters
    ----------
    estimator : fitted estimator
    X : array-like of shape (n_samples, ...)
    return_proba : bool, default=False
    batch_size, n_jobs : int or None
        Chunking of scikit-learn estimators (see :func:`predict_proba_pool`).
    keep_sparse : bool, default=False
        Return sparse features (a sparse pool, or a pipeline whose transforms
        produce sparse rows) as a CSR matrix instead of densifying them.
    lazy : bool, default=False
        Embeddings that are read on demand -- the rows of a lazy pool used
        as features, a net's embeddings written to a file (see
        :class:`skactive.shared_inference`) -- are returned as they are,
        for the selectors of :mod:`skactive.selection`, which read them in
        blocks. ``False``: they are read into an array.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        Only when ``return_proba`` is true.
    embedding : ndarray or sparse matrix of shape (n_samples, n_features_embedding)
    """
    if _is_skactive_net(estimator):
        cache = active_cache()
        if cache is not None:
            entry = cache.entry(estimator, X)
            if "embedding" not in entry:
                _shared_net_pass(cache, entry, estimator, X)
            emb = _in_memory(entry["embedding"], lazy)
            return (entry["proba"], emb) if return_proba else emb
        if return_proba:
            return estimator.predict_proba_with_embedding(X)
        return estimator.embed(X)
    if callable(getattr(estimator, "embed", None)):
        emb = estimator.embed(X)
        emb = emb if is_lazy(emb) else np.asarray(emb)
    elif isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        emb = _chunked_features(estimator[:-1].transform, X, batch_size, n_jobs)
    else:
        emb = _rows_as_features(X)
    emb = _in_memory(emb, lazy)
    if sp.issparse(emb) and not keep_sparse:
        emb = emb.toarray()
    if not sp.issparse(emb) and not is_lazy(emb):
        emb = np.asarray(emb)
        if not np.issubdtype(emb.dtype, np.floating):
            emb = emb.astype(np.float32)
    if return_proba:
        return predict_proba_pool(
            estimator, X, batch_size=batch_size, n_jobs=n_jobs
        ), emb
    return emb


def _chunked_features(transform, X, batch_size, n_jobs):
    """``transform`` over row chunks, as 2-D features (sparse parts stacked)."""
    step = DEFAULT_CHUNK_ROWS if batch_size is None else int(batch_size)
    chunks = [rows for _, _, rows in row_chunks(X, step)]

    def features(rows):
        return _rows_as_features(transform(rows))

    if n_jobs is None or n_jobs == 1 or len(chunks) == 1:
        parts = [features(rows) for rows in chunks]
    else:
        parts = Parallel(n_jobs=n_jobs)(delayed(features)(rows) for rows in chunks)
    if len(parts) == 1:
        return parts[0]
    if any(sp.issparse(p) for p in parts):
        return sp.vstack([sp.csr_matrix(p) for p in parts], format="csr")
    return np.concatenate(parts, axis=0)


def predict_loss_pool(estimator, X, *, batch_size=None, n_jobs=None):
    """Predicted losses of every row of ``X`` (Learning Loss nets).

    Asks the estimator's ``predict_loss`` (a
    :class:`~skactive.nets.LossPredictionClassifier`); skorch nets batch it
    themselves, other estimators are called on chunks of ``batch_size`` rows.

    Parameters
    ----------
    estimator : fitted estimator with ``predict_loss``
    X : array-like of shape (n_samples, ...)
    batch_size, n_jobs : int or None
        Chunking of estimators that are not skorch nets.

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    check_has_method(estimator, "predict_loss", purpose="learning-loss sampling")
    if is_skorch_net(estimator):
        return np.asarray(estimator.predict_loss(X))
    return _chunked(estimator.predict_loss, X, batch_size, n_jobs)


def predict_proba_discriminator_pool(estimator, X, *, batch_size=None, n_jobs=None):
    """Class probabilities and discriminator scores of every row of ``X`` (MAL).

    Asks the estimator's ``predict_proba_with_discriminator`` (a
    :class:`~skactive.nets.MinimaxClassifier`: both from one forward pass);
    skorch nets batch it themselves, other estimators are called on chunks
    of ``batch_size`` rows.

    Parameters
    ----------
    estimator : fitted estimator with ``predict_proba_with_discriminator``
    X : array-like of shape (n_samples, ...)
    batch_size, n_jobs : int or None
        Chunking of estimators that are not skorch nets.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    p_labeled : ndarray of shape (n_samples,)
        The discriminator's probability that each row is labeled.
    """
    check_has_method(
        estimator, "predict_proba_with_discriminator", purpose="minimax sampling"
    )
    if is_skorch_net(estimator):
        proba, p_labeled = estimator.predict_proba_with_discriminator(X)
        return np.asarray(proba), np.asarray(p_labeled, dtype=np.float64)

    def both(rows):
        proba, p_labeled = estimator.predict_proba_with_discriminator(rows)
        return np.column_stack(
            [np.asarray(proba, dtype=np.float64), np.asarray(p_labeled)]
        )

    out = _chunked(both, X, batch_size, n_jobs)
    return out[:, :-1], out[:, -1]


# ------------------------------------------------------------ MC dropout
def _accepts(method, name):
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


def _check_samples_shape(model, P, n_samples, n):
    P = np.asarray(P)
    if P.ndim != 3 or P.shape[0] != n_samples or P.shape[1] != n:
        raise InvalidParameterError(
            f"{type(model).__name__}.predict_proba_samples returned shape "
            f"{P.shape}; expected ({n_samples}, {n}, n_classes)."
        )
    return P


def _skorch_mc_samples(net, X, n_samples, random_state=None, dropout_layers=None):
    """MC-dropout samples of a plain skorch net: ``T`` passes of its predict_proba.

    The net's dropout layers are active (batch norm stays in eval mode) and
    torch's global generator is seeded in a fork, so the caller's random
    state is untouched.
    """
    from .nets._hooks import mc_dropout, select_dropout_layers

    layers = select_dropout_layers(net.module_, dropout_layers)
    seed = seed_from_random_state(random_state)
    with (
        mc_dropout(net.module_, layers=layers),
        forked_torch_rng(getattr(net, "device", None), seed),
    ):
        return np.stack(
            [
                np.asarray(net.predict_proba(X), dtype=np.float32)
                for _ in range(n_samples)
            ]
        )


def _has_torch_module(model):
    return is_skorch_net(model) and isinstance(
        getattr(model, "module_", None), torch.nn.Module
    )


_ROW_OFFSET = contextvars.ContextVar("skactive_pool_row_offset", default=0)


@contextlib.contextmanager
def pool_offset(start):
    """Treat the rows passed inside as rows ``start, start + 1, ...`` of a pool.

    Per-chunk seeds (:func:`iter_mc_samples`) are derived from the global
    position of the chunk, so scoring a block of a pool where it lives (a
    Dask worker, see :mod:`skactive.distributed`) draws the same dropout
    masks as scoring the whole pool in one process. ``start`` must be a
    multiple of the chunk size (:data:`DEFAULT_MC_CHUNK_ROWS`).
    """
    token = _ROW_OFFSET.set(int(start))
    try:
        yield
    finally:
        _ROW_OFFSET.reset(token)


def iter_mc_samples(
    model,
    X,
    n_samples,
    *,
    random_state=None,
    chunk_rows=None,
    dropout_layers=None,
    purpose="this strategy",
):
    """Yield MC-dropout blocks ``(T, rows, C)`` over row chunks of ``X``.

    Each chunk gets its own seed, derived from ``random_state``, so dropout
    masks do not repeat from one chunk to the next; only one block is held at
    a time. The samples come from the model's ``predict_proba_samples`` (a
    skactive net, a deep ensemble ...) or, for a plain skorch net, from its
    ``predict_proba`` with the dropout layers of its module active.

    Parameters
    ----------
    model : estimator with ``predict_proba_samples(X, n_samples, ...)``
        Or a fitted skorch net whose module has dropout.
    X : array-like of shape (n, ...)
    n_samples : int
    random_state : int, RandomState instance or None, default=None
    chunk_rows : int or None, default=None
        Rows per block (:data:`DEFAULT_MC_CHUNK_ROWS` when ``None``).
    dropout_layers : list of int or None, default=None
        The dropout layers to activate, as positions in
        ``list(module.modules())``; ``None``: all of them.
    purpose : str
        Named in the error when ``model`` has neither.

    Yields
    ------
    ndarray of shape (n_samples, rows, n_classes)
    """
    method = getattr(model, "predict_proba_samples", None)
    if not callable(method) and _has_torch_module(model):

        def method(Xc, n_samples, random_state=None, dropout_layers=None):
            return _skorch_mc_samples(
                model, Xc, n_samples, random_state, dropout_layers
            )

    if not callable(method):
        check_has_method(model, "predict_proba_samples", purpose=purpose)
    seeded = _accepts(method, "random_state")
    base = seed_from_random_state(check_random_state(random_state))
    step = DEFAULT_MC_CHUNK_ROWS if chunk_rows is None else int(chunk_rows)
    extra = {} if dropout_layers is None else {"dropout_layers": dropout_layers}
    if extra and not _accepts(method, "dropout_layers"):
        raise InvalidParameterError(
            f"{type(model).__name__}.predict_proba_samples takes no dropout_layers; "
            "leave dropout_layers=None."
        )
    offset = _ROW_OFFSET.get()
    if offset % step:
        raise InvalidParameterError(
            f"rows from {offset} on: blocks of a pool scored apart must start at "
            f"a multiple of chunk_rows={step} to draw the masks of one call."
        )
    for i, (_, _, Xc) in enumerate(row_chunks(X, step), start=offset // step):
        if seeded:
            P = method(
                Xc, n_samples=n_samples, random_state=(base + i) % SEED_MOD, **extra
            )
        else:
            P = method(Xc, n_samples=n_samples, **extra)
        yield _check_samples_shape(model, P, n_samples, n_rows(Xc))


@validate_params(
    {
        "net": [HasMethods(["predict_proba"])],
        "X": ["array-like"],
        "n_samples": [Interval(numbers.Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }
)
def consistent_mc_dropout(net, X, n_samples, *, random_state=None):
    """MC-dropout samples with one dropout mask per sample for all rows.

    Sample ``t`` of every row comes from the same thinned network ``w_t``
    (Kirsch et al. 2019's *consistent MC dropout*), so joint quantities over
    several rows, such as BatchBALD's joint entropy, can be estimated.
    Standard MC dropout draws an independent mask per row and per sample
    instead.

    Parameters
    ----------
    net : fitted skorch net
        A skactive net (its ``predict_proba_samples(..., consistent=True)``
        is used) or any skorch net whose ``module_`` holds
        :class:`torch.nn.Dropout` (or ``Dropout1d/2d/3d``, masked per channel)
        layers with ``p > 0`` (its ``predict_proba`` is run once per mask).
    X : array-like or torch.Tensor of shape (n, ...)
    n_samples : int
        Number of masks ``T >= 2``.
    random_state : int, RandomState instance or None, default=None
        Seeds the masks (a private generator; torch's global state is
        untouched).

    Returns
    -------
    samples : ndarray of shape (n_samples, n, n_classes)

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP, DeepClassifier
    >>> from skactive.strategies import consistent_mc_dropout
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=2, random_state=0).fit(X[:100], y[:100])
    >>> consistent_mc_dropout(net, X[:7], 4, random_state=0).shape
    (4, 7, 10)
    """
    method = getattr(net, "predict_proba_samples", None)
    if callable(method) and _accepts(method, "consistent"):
        return np.asarray(
            method(X, n_samples, consistent=True, random_state=random_state)
        )
    module = getattr(net, "module_", None)
    if not isinstance(module, torch.nn.Module):
        raise InvalidParameterError(
            f"consistent MC dropout needs a skorch net with a fitted module_ or a "
            f"model with predict_proba_samples(..., consistent=True); "
            f"{type(net).__name__} has neither."
        )
    from .nets._hooks import mc_dropout

    check_has_method(net, "predict_proba", purpose="consistent MC dropout")
    generator = torch.Generator(device="cpu")
    generator.manual_seed(seed_from_random_state(random_state))
    with (
        mc_dropout(module, consistent=True, generator=generator) as masks,
        forked_torch_rng(getattr(net, "device", None)),
    ):
        samples = []
        for t in range(n_samples):
            masks.t = t
            samples.append(np.asarray(net.predict_proba(X), dtype=np.float32))
    return np.stack(samples)


def mc_samples(
    model,
    X,
    n_samples,
    *,
    consistent=False,
    random_state=None,
    chunk_rows=None,
    purpose="this strategy",
):
    """MC-dropout samples ``(T, n, C)`` of every row of ``X``.

    Parameters
    ----------
    model : fitted estimator
        ``predict_proba_samples`` (a skactive net, a deep ensemble) or, for
        ``consistent=True``, any skorch net with dropout.
    X : array-like of shape (n, ...)
    n_samples : int
        ``T >= 2``.
    consistent : bool, default=False
        One mask per sample shared by every row (:func:`consistent_mc_dropout`)
        when the model supports it; otherwise the model's own samples, in
        chunks of ``chunk_rows`` rows (see :func:`iter_mc_samples`).
    random_state : int, RandomState instance or None, default=None
    chunk_rows : int or None, default=None
    purpose : str
        Named in errors.

    Returns
    -------
    ndarray of shape (n_samples, n, n_classes)
    """
    if consistent and supports_consistent_dropout(model):
        return consistent_mc_dropout(model, X, n_samples, random_state=random_state)
    return np.concatenate(
        list(
            iter_mc_samples(
                model,
                X,
                n_samples,
                random_state=random_state,
                chunk_rows=chunk_rows,
                purpose=purpose,
            )
        ),
        axis=1,
    )


def supports_consistent_dropout(model) -> bool:
    """Whether :func:`consistent_mc_dropout` can sample ``model``."""
    method = getattr(model, "predict_proba_samples", None)
    if callable(method) and _accepts(method, "consistent"):
        return True
    return _has_torch_module(model)


# ------------------------------------------------------------ augmentation
def augmented_predictions(
    model, X, transform, n_augmentations, *, return_embedding=False, random_state=None
):
    """Predictions on ``X`` and on augmented copies (a skactive net's).

    Parameters
    ----------
    model : estimator with ``predict_proba_augmented``
    X : array-like of shape (n, ...)
    transform : callable
        Per-sample augmentation of a float batch tensor.
    n_augmentations : int
    return_embedding : bool, default=False
    random_state : int or None, default=None

    Returns
    -------
    proba : ndarray of shape (1 + n_augmentations, n, n_classes)
    embedding : ndarray of shape (n, d)
        Only with ``return_embedding``.
    """
    check_has_method(
        model, "predict_proba_augmented", purpose="predictions under augmentation"
    )
    return model.predict_proba_augmented(
        X,
        transform,
        n_augmentations,
        return_embedding=return_embedding,
        random_state=random_state,
    )


def input_shape(model, X):
    """Shape of one row of ``X`` as ``model`` sees it.

    A skactive net's ``transformed_shape`` (after its ``input_transform``:
    ``N x H x W`` uint8 images become ``(1, H, W)``); the row shape of ``X``
    for any other model.
    """
    method = getattr(model, "transformed_shape", None)
    if callable(method):
        return tuple(method(X))
    return tuple(np.shape(X)[1:])


# ------------------------------------------------------------ final layer
class FinalLayer(NamedTuple):
    """Weight ``(C, d)`` and bias ``(C,)`` (``None``: no bias) of a final layer."""

    weight: np.ndarray
    bias: np.ndarray | None


def final_layer(model) -> FinalLayer:
    """The final linear layer ``logits = W f + b`` of ``model``, as float64.

    * A linear scikit-learn classifier (or a Pipeline ending in one), or any
      model with ``coef_`` / ``intercept_``: those. A binary model's single
      weight vector ``w`` becomes the softmax-equivalent layer ``[0; w]``
      (the softmax of ``(0, w.f + b)`` is its sigmoid).
    * A skactive net: its ``final_layer()``, which must be a
      :class:`torch.nn.Linear`.

    Raises
    ------
    InvalidParameterError
        For any other model.
    """
    est = model[-1] if isinstance(model, Pipeline) else model
    if hasattr(est, "coef_") and hasattr(est, "intercept_"):
        W = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
        b = np.atleast_1d(np.asarray(est.intercept_, dtype=np.float64))
        if W.shape[0] == 1 and len(getattr(est, "classes_", ())) == 2:
            W = np.vstack([np.zeros_like(W), W])
            b = np.concatenate([[0.0], b])
        return FinalLayer(W, b)
    layer_of = getattr(model, "final_layer", None)
    if callable(layer_of):
        layer = layer_of()
        if isinstance(layer, torch.nn.Linear):
            with torch.no_grad():
                W = layer.weight.detach().double().cpu().numpy()
                b = (
                    None
                    if layer.bias is None
                    else layer.bias.detach().double().cpu().numpy()
                )
            return FinalLayer(W, b)
        raise InvalidParameterError(
            f"the final layer of {type(model).__name__} is {layer!r}, not a "
            "torch.nn.Linear; leave embedding_layer='auto' or name the final "
            "linear layer."
        )
    raise InvalidParameterError(
        f"{type(est).__name__} has no final linear layer: no coef_/intercept_ and "
        "no final_layer()."
    )


def transform_pool(transformer, X):
    """``transformer.transform(X)`` as a 2-D numpy array, one row per row of ``X``.

    Parameters
    ----------
    transformer : fitted transformer
        A representation learner or any scikit-learn transformer.
    X : array-like or lazy pool of shape (n, ...)
        A lazy pool is transformed in blocks of :data:`DEFAULT_CHUNK_ROWS`.

    Returns
    -------
    ndarray of shape (n, n_features)
    """

    def transform(rows):
        out = transformer.transform(rows)
        return np.asarray(out.detach().cpu() if hasattr(out, "detach") else out)

    # a lazy pool is transformed block by block (only the output is kept)
    emb = _chunked(transform, X, None, None) if is_lazy(X) else transform(X)
    if emb.ndim != 2 or emb.shape[0] != n_rows(X):
        raise InvalidParameterError(
            f"{type(transformer).__name__}.transform returned shape {emb.shape}; "
            f"expected ({n_rows(X)}, n_features)."
        )
    return emb
