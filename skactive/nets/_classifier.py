"""The base skorch classifier: what query strategies need from a deep net."""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from skorch import NeuralNetClassifier
from skorch.utils import to_tensor

from .._random import forked_torch_rng, seed_from_random_state
from .._rows import is_lazy, take_rows
from .._validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    check_pool,
    validate_estimator_params,
    validate_parameter,
)
from ._hooks import layer_input, mc_dropout, select_dropout_layers
from ._inputs import _PoolDataset, _transform_accepts_generator, to_float_tensor
from .modules import accepted_kwargs

__all__ = ["DeepClassifier", "to_float_tensor"]


def _first_output(out):
    return out[0] if isinstance(out, tuple | list) else out


_EMBEDDING_DTYPES = {"float32", "float16"}


class _FileRows:
    """Rows written into a new ``.npy`` file as they come (see ``ArrayFile``)."""

    def __init__(self, shape, dtype, path):
        from ..pools import ArrayFile

        self.result = ArrayFile.create(path, shape, dtype)

    def __setitem__(self, key, values):
        self.result.write(key.start, values)


def _embedding_rows(shape, dtype, path):
    """Where the embeddings of a pass go: an array, or a file written in blocks."""
    if path is None:
        return np.empty(shape, dtype=dtype)
    return _FileRows(shape, dtype, path)


class DeepClassifier(NeuralNetClassifier):
    """A skorch classifier that exposes what active-learning strategies need.

    It wraps a PyTorch module that returns **logits** and adds, on top of
    skorch's :class:`~skorch.classifier.NeuralNetClassifier`:

    * labels of any type (strings included), mapped through ``classes_``;
    * inference of the module's ``n_classes``, ``n_features`` and
      ``in_channels`` arguments from the training data when the module class
      takes them and they are not given as ``module__...``;
    * :meth:`embed` — penultimate embeddings, the input of the final linear
      layer, captured by a forward pre-hook (no change to the module needed);
    * :meth:`predict_proba_samples` — MC-dropout samples;
    * :meth:`predict_proba_augmented` — predictions under augmentation;
    * uint8 images (``N x H x W`` or ``N x H x W x C``) converted on the device
      by an overridable ``input_transform``;
    * seeded training and sampling through ``random_state``, without touching
      torch's global random state.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns logits of shape ``(batch, n_classes)``. The modules in
        :mod:`skactive.nets` (:class:`~skactive.nets.MLP`,
        :class:`~skactive.nets.SmallCNN`, :class:`~skactive.nets.ResNet18`,
        :class:`~skactive.nets.WideResNet`) fit this contract.
    *args
        Passed on, after ``module``, to skorch's
        :class:`~skorch.classifier.NeuralNetClassifier`, whose signature
        ``(module, *args, ...)`` this one mirrors. skorch's next positional
        parameter is ``criterion``, which this class always passes by keyword,
        so a positional argument here raises a ``TypeError``: give every
        argument other than ``module`` by keyword.
    criterion : torch criterion class, default=torch.nn.CrossEntropyLoss
        Applied to logits. ``predict_proba`` applies a softmax to the logits
        whatever the criterion, since modules return logits by contract.
    optimizer : torch optimizer class, default=torch.optim.Adam
    lr : float, default=1e-3
    max_epochs : int, default=10
    batch_size : int, default=64
        Training and inference batch size; inference over a pool is always
        batched, never one forward pass over the whole pool.
    train_split : callable or None, default=None
        No validation split by default: labeled sets in active learning are
        small. Pass ``skorch.dataset.ValidSplit(...)`` to hold rows out.
    classes : array-like or None, default=None
        All class labels. Set it when early rounds may not contain every
        class, so the output layer has one unit per class from the start.
    input_transform : "auto", callable or None, default="auto"
        Applied to every batch tensor on the device before the module.
        ``"auto"`` is :func:`to_float_tensor`; ``None`` passes batches as they
        are. A callable receives and returns a tensor (normalisation, say).
    embedding_layer : "auto" or str, default="auto"
        The layer whose *input* :meth:`embed` returns. ``"auto"`` uses the
        module's ``classifier`` attribute if it is a module, else the last
        :class:`torch.nn.Linear`. A string names a submodule (dotted path).
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, dropout, MC-dropout samples
        and augmentations. torch's global random state is saved and restored
        around each use. Pass an int for reproducible output across multiple
        function calls.
    device : str or torch.device, default="cpu"
        Where the module runs (``"cuda"``, ``"cuda:1"``, ``"mps"`` ...).
    verbose : int, default=0
        skorch's per-epoch table is off by default (nets are refitted every
        round); set 1 to print it.
    iterator_train__shuffle : bool, default=True
        Shuffle training batches (skorch's default is not to; labeled rows in
        active learning arrive in acquisition order, often grouped by class).
    **kwargs
        Any other skorch ``NeuralNet`` argument (``callbacks``,
        ``module__...``, ``optimizer__...``, ``iterator_train__...``,
        ``warm_start`` ...).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    input_shape_ : tuple
        Shape of one input row seen in ``fit``.
    n_features_in_ : int
        Number of features, for 2-D inputs.
    module_ : torch.nn.Module
        The initialised module.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import DeepClassifier, MLP
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> net = DeepClassifier(MLP, max_epochs=5, random_state=0).fit(X[:200], y[:200])
    >>> net.predict_proba(X[:3]).shape
    (3, 10)
    >>> net.embed(X[:3]).shape
    (3, 256)
    >>> net.predict_proba_samples(X[:3], n_samples=4).shape
    (4, 3, 10)
    """

    _parameter_constraints = {
        "module": [type, torch.nn.Module],
        "criterion": [type, torch.nn.Module, callable],
        "optimizer": [type, callable],
        "lr": [Interval(numbers.Real, 0, None, closed="left")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Options(numbers.Integral, {-1}),
        ],
        "train_split": [callable, None],
        "classes": ["array-like", None],
        "input_transform": [StrOptions({"auto"}), callable, None],
        "embedding_layer": [StrOptions({"auto"}), str],
        "random_state": ["random_state"],
        "device": ["device", None],
        "verbose": [Interval(numbers.Integral, 0, None, closed="left"), "boolean"],
        "warm_start": ["boolean"],
        "iterator_train__shuffle": ["boolean"],
        "predict_nonlinearity": [StrOptions({"auto"}), callable, None],
    }

    def __init__(
        self,
        module,
        *args,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=10,
        batch_size=64,
        train_split=None,
        classes=None,
        input_transform="auto",
        embedding_layer="auto",
        random_state=None,
        device="cpu",
        verbose=0,
        iterator_train__shuffle=True,
        **kwargs,
    ):
        super().__init__(
            module,
            *args,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            classes=classes,
            device=device,
            verbose=verbose,
            iterator_train__shuffle=iterator_train__shuffle,
            **kwargs,
        )
        self.input_transform = input_transform
        self.embedding_layer = embedding_layer
        self.random_state = random_state

    # ------------------------------------------------------------------ data
    def _check_X(self, X, *, reset):
        """Validate inputs; record (reset=True) or check the row shape.

        A lazy pool (:mod:`skactive.pools`, a memmap, a dask array) is
        checked by its shape only and streamed later (:meth:`get_dataset`).
        """
        if isinstance(X, torch.utils.data.Dataset) and not reset:
            return X  # skorch datasets (e.g. validation subsets) pass through
        if is_lazy(X):
            X = check_pool(X, name="X")
        elif sp.issparse(X):
            raise TypeError(
                f"{type(self).__name__} does not accept sparse input; convert "
                "it with X.toarray()."
            )
        if isinstance(X, torch.Tensor):
            if X.ndim < 2:
                raise ValueError(
                    f"Expected 2D array or an image batch, got a {X.ndim}-D tensor "
                    "instead. Reshape your data with X.reshape(-1, 1) or "
                    "X.reshape(1, -1)."
                )
            if X.shape[0] == 0:
                raise ValueError("Found array with 0 sample(s); X must be non-empty.")
            if X.is_complex():
                raise ValueError("Complex data not supported.")
            if X.is_floating_point() and not bool(torch.isfinite(X).all()):
                raise ValueError("Input X contains NaN or infinity.")
        elif not is_lazy(X):
            X = check_array(
                X, allow_nd=True, dtype=None, ensure_all_finite=True, input_name="X"
            )
            if X.dtype == object:
                X = X.astype(np.float32)
        shape = tuple(int(s) for s in X.shape[1:])
        if reset:
            self.input_shape_ = shape
            if len(shape) == 1:
                self.n_features_in_ = shape[0]
            elif hasattr(self, "n_features_in_"):
                del self.n_features_in_
        else:
            expected = getattr(self, "input_shape_", None)
            if expected is not None and shape != tuple(expected):
                if len(shape) == 1 and len(expected) == 1:
                    raise ValueError(
                        f"X has {shape[0]} features, but {type(self).__name__} "
                        f"is expecting {expected[0]} features as input."
                    )
                raise ValueError(
                    f"X has rows of shape {shape}, but {type(self).__name__} was "
                    f"fitted on rows of shape {tuple(expected)}."
                )
        return X

    def get_dataset(self, X, y=None):
        """skorch's dataset of ``X, y``; a lazy pool is streamed, never read whole.

        Parameters
        ----------
        X : validated input rows, a lazy pool or a torch Dataset
            A torch Dataset (skorch's own, a validation subset) is returned
            as it is, as skorch does.
        y : array-like or None
            Encoded labels.

        Returns
        -------
        torch.utils.data.Dataset
        """
        if is_lazy(X) and not isinstance(X, torch.utils.data.Dataset):
            return _PoolDataset(X, y)
        return super().get_dataset(X, y)

    def get_iterator(self, dataset, training=False):
        """skorch's ``DataLoader``; pinned memory for a lazy pool on CUDA.

        Rows read from disk (:class:`~skactive.pools.ArrayFile`, datasets)
        are copied to the GPU from pinned memory unless the net's
        ``iterator_*__pin_memory`` says otherwise.

        Parameters
        ----------
        dataset : torch.utils.data.Dataset
        training : bool, default=False

        Returns
        -------
        torch.utils.data.DataLoader
        """
        prefix = "iterator_train" if training else "iterator_valid"
        if (
            isinstance(dataset, _PoolDataset)
            and str(self.device).startswith("cuda")
            and f"{prefix}__pin_memory" not in self.get_params()
        ):
            kwargs = self.get_params_for(prefix)
            kwargs.setdefault("batch_size", self.batch_size)
            if kwargs["batch_size"] == -1:
                kwargs["batch_size"] = len(dataset)
            kwargs["pin_memory"] = True
            iterator = self.iterator_train if training else self.iterator_valid
            return iterator(dataset, **kwargs)
        return super().get_iterator(dataset, training=training)

    def _check_y(self, y, n_samples):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        if isinstance(y, torch.Tensor):
            y = y.detach().cpu().numpy()
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        check_consistent_length(np.empty(n_samples), y)
        return y

    def _set_classes(self, y):
        if self.classes is not None:
            classes = np.asarray(self.classes)
            if classes.ndim != 1 or len(classes) == 0:
                raise ValueError(
                    f"classes must be a non-empty 1-D array of labels, got "
                    f"{self.classes!r}."
                )
            classes = np.unique(classes)
        else:
            classes = np.unique(y)
        self.classes_inferred_ = classes

    def _encode_y(self, y):
        classes = self.classes_
        codes = np.searchsorted(classes, y)
        codes = np.clip(codes, 0, len(classes) - 1)
        bad = classes[codes] != y
        if np.any(bad):
            raise ValueError(
                f"y contains labels {np.unique(np.asarray(y)[bad]).tolist()} that "
                f"are not among the classes {classes.tolist()}; pass every label "
                "through the 'classes' parameter when they appear over rounds."
            )
        return codes.astype(np.int64)

    def _transform_input(self, x):
        if self.input_transform == "auto":
            return to_float_tensor(x)
        if self.input_transform is None:
            return x
        if not callable(self.input_transform):
            raise TypeError(
                "input_transform must be 'auto', None or a callable, got "
                f"{self.input_transform!r}."
            )
        return self.input_transform(x)

    def check_data(self, X, y):
        """Skip skorch's data check: :meth:`fit` has validated the data already.

        skorch calls it at the start of every training loop. Its
        :class:`~skorch.classifier.NeuralNetClassifier` version would set
        ``classes_inferred_`` from the labels it receives, which here are the
        encoded labels; :meth:`fit` sets the classes instead, so this method
        does nothing.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
            The training inputs, as passed to skorch's ``fit_loop``; not used.
        y : ndarray of shape (n_samples,)
            Their encoded labels; not used.
        """

    # -------------------------------------------------------------- seeding
    @contextlib.contextmanager
    def _seeded(self, random_state=None):
        """Seed torch from ``random_state`` inside, restoring global state after."""
        if getattr(self, "_seeding_active_", False):
            yield
            return
        seed = seed_from_random_state(
            self.random_state if random_state is None else random_state
        )
        with forked_torch_rng(self.device, seed):
            self._seeding_active_ = True
            try:
                yield
            finally:
                self._seeding_active_ = False

    # ---------------------------------------------------------------- skorch
    def initialize_module(self):
        """Initialise the module, inferring its size arguments from the data.

        Values inferred from the training data are used only for arguments the
        module class accepts and the user did not set via ``module__...``.
        """
        kwargs = self.get_params_for("module")
        inferred = getattr(self, "_inferred_module_kwargs_", {})
        if isinstance(self.module, type) and inferred:
            accepted = accepted_kwargs(self.module)
            for key, value in inferred.items():
                if key in accepted and key not in kwargs:
                    kwargs[key] = value
        self.module_ = self.initialized_instance(self.module, kwargs)
        return self

    def fit(self, X, y, **fit_params):
        """Initialise (unless warm-starting) and train the module.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
            2-D features or an image batch.
        y : array-like of shape (n_samples,)
            Class labels (any type).
        **fit_params : dict
            Passed to skorch's ``fit``.

        Returns
        -------
        self : DeepClassifier
        """
        validate_estimator_params(self)
        reinitialize = not self.warm_start or not self.initialized_
        X = self._check_X(X, reset=reinitialize)
        y = self._check_y(y, X.shape[0])
        if reinitialize:
            self._set_classes(y)
        y_codes = self._encode_y(y)
        if reinitialize:
            shape = self.transformed_shape(X)
            inferred = {"n_classes": len(self.classes_)}
            if len(shape) >= 1:
                inferred["n_features"] = int(np.prod(shape))
            if len(shape) == 3:
                inferred["in_channels"] = int(shape[0])
            self._inferred_module_kwargs_ = inferred
        with self._seeded():
            return super().fit(X, y_codes, _skactive_checked=True, **fit_params)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Continue training without re-initialising (skorch's ``partial_fit``).

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
        y : array-like of shape (n_samples,)
        classes : array-like or None
            Accepted for scikit-learn compatibility; set the ``classes``
            parameter to fix the label set instead.
        **fit_params : dict

        Returns
        -------
        self : DeepClassifier
        """
        if fit_params.pop("_skactive_checked", False):
            return super().partial_fit(X, y, classes=classes, **fit_params)
        if not self.initialized_ or not hasattr(self, "classes_inferred_"):
            return self.fit(X, y, **fit_params)
        X = self._check_X(X, reset=False)
        y_codes = self._encode_y(self._check_y(y, X.shape[0]))
        with self._seeded():
            return super().partial_fit(X, y_codes, classes=classes, **fit_params)

    def __sklearn_is_fitted__(self):
        return bool(getattr(self, "initialized_", False)) and (
            hasattr(self, "classes_inferred_") or self.classes is not None
        )

    def _raise_not_fitted(self):
        raise NotFittedError(
            f"This {type(self).__name__} instance is not fitted yet. Call "
            "'fit' with appropriate arguments before using this estimator."
        )

    def _check_ready(self, X):
        if not self.__sklearn_is_fitted__():
            self._raise_not_fitted()
        return self._check_X(X, reset=False)

    # ------------------------------------------------------------- inference
    def _nonlinearity(self):
        nonlin = self.predict_nonlinearity
        if nonlin == "auto":
            return lambda logits: torch.softmax(logits, dim=-1)
        if nonlin is None:
            return lambda logits: logits
        return nonlin

    def final_layer(self):
        """The layer whose input :meth:`embed` returns (the final linear layer).

        ``embedding_layer="auto"`` finds the module's ``classifier``
        attribute if it is a module, else its last :class:`torch.nn.Linear`;
        a string names a submodule (dotted path).

        Returns
        -------
        torch.nn.Module
            The layer (a :class:`torch.nn.Linear` for the modules of
            :mod:`skactive.nets`), part of the fitted ``module_``.
        """
        if not isinstance(getattr(self, "module_", None), torch.nn.Module):
            self._raise_not_fitted()
        if self.embedding_layer == "auto":
            layer = getattr(self.module_, "classifier", None)
            if isinstance(layer, torch.nn.Module):
                return layer
            linears = [
                m for m in self.module_.modules() if isinstance(m, torch.nn.Linear)
            ]
            if not linears:
                raise InvalidParameterError(
                    f"Cannot find the final layer of {type(self.module_).__name__}: "
                    "it has no 'classifier' attribute and no torch.nn.Linear. Set "
                    "embedding_layer to the name of the final layer."
                )
            return linears[-1]
        try:
            return self.module_.get_submodule(self.embedding_layer)
        except AttributeError as exc:
            raise InvalidParameterError(
                f"embedding_layer={self.embedding_layer!r} is not a submodule of "
                f"{type(self.module_).__name__}."
            ) from exc

    def transformed_shape(self, X):
        """Shape of one row of ``X`` as the module sees it (after ``input_transform``).

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
            Rows of the kind the net takes; only the first is transformed.

        Returns
        -------
        tuple of int
            E.g. ``(1, 28, 28)`` for ``N x 28 x 28`` uint8 images with the
            default ``input_transform``.
        """
        x = take_rows(X, [0]) if is_lazy(X) else X[:1]
        x = x if isinstance(x, torch.Tensor) else np.asarray(x)
        with torch.no_grad():
            out = self._transform_input(to_tensor(x, device="cpu"))
        return tuple(out.shape[1:])

    def infer(self, x, **fit_params):
        """Forward a batch: move it to the device, apply ``input_transform``.

        Every forward pass of the net, in training and in every inference
        method (``predict_proba``, :meth:`predict_proba_with_embedding`,
        :meth:`embed`, :meth:`predict_proba_samples`,
        :meth:`predict_proba_augmented`), goes through this method, called by
        skorch's ``evaluation_step`` for inference: override it once (to
        scale logits, say) and every method follows.

        Parameters
        ----------
        x : array-like, torch.Tensor or dict
            A batch of inputs. It is moved to ``device``, transformed by
            ``input_transform`` (and, inside :meth:`predict_proba_augmented`,
            by the augmentation of the current view) and passed to the
            module's ``forward``. A dict is handed to skorch's ``infer``
            unchanged (no ``input_transform``): its entries become keyword
            arguments of ``forward``.
        **fit_params : dict
            Extra keyword arguments of the module's ``forward``.

        Returns
        -------
        torch.Tensor
            The module's output (logits, by the module contract).
        """
        x = to_tensor(x, device=self.device)
        if isinstance(x, dict):
            return super().infer(x, **fit_params)
        x = self._transform_input(x)
        view = getattr(self, "_view_transform", None)
        if view is not None:
            x = view(x)
        return self.module_(x, **fit_params)

    def _gather(self, tensor):
        """Gather a per-batch tensor across processes as skorch gathers outputs.

        With :class:`skorch.hf.AccelerateMixin`, ``evaluation_step`` returns
        the predictions of every process, padding removed
        (``gather_for_metrics``); an embedding captured beside them is
        gathered the same way. A single process returns it as it is.
        """
        accelerator = getattr(self, "accelerator", None)
        gather = getattr(accelerator, "gather_for_metrics", None)
        return tensor if gather is None else gather(tensor)

    def _forward_passes(
        self,
        X,
        n_passes,
        *,
        before_pass=None,
        embedding_pass=None,
        embedding_dtype="float32",
        embedding_file=None,
    ):
        """Probabilities of ``n_passes`` forward passes of every row of ``X``.

        The one inference loop of the net: batches from skorch's
        ``get_iterator``, each pass through ``evaluation_step`` (eval mode,
        no gradient) and :meth:`infer`, the prediction non-linearity applied,
        and every result written into arrays allocated once for the whole of
        ``X`` (so the peak memory is the input, the outputs and one batch).

        Parameters
        ----------
        X : validated input rows
        n_passes : int
            Forward passes per batch, run one after the other on the batch.
        before_pass : callable or None
            ``before_pass(t)`` is called before pass ``t`` of every batch.
        embedding_pass : int or None
            The pass whose final-layer input is returned as the embedding.
        embedding_dtype : {"float32", "float16"}
            The dtype the embeddings are stored in.
        embedding_file : path or None
            Write the embeddings into this ``.npy`` file, batch by batch,
            and return it as an :class:`~skactive.pools.ArrayFile`.

        Returns
        -------
        proba : ndarray of float32 of shape (n_passes, n_samples, n_classes)
        embedding : ndarray or ArrayFile of shape (n_samples, d), or None
        """
        nonlin = self._nonlinearity()
        dataset = self.get_dataset(X)
        n = len(dataset)
        proba = embedding = None
        pos = 0
        layer = self.final_layer() if embedding_pass is not None else None
        with (
            layer_input(layer, enabled=layer is not None) as captured,
            torch.no_grad(),
        ):
            for batch in self.get_iterator(dataset, training=False):
                rows = None
                for t in range(n_passes):
                    if before_pass is not None:
                        before_pass(t)
                    captured.enabled = t == embedding_pass
                    out = nonlin(_first_output(self.evaluation_step(batch)))
                    out = out.detach().float().cpu()
                    if proba is None:
                        proba = np.empty(
                            (n_passes, n) + tuple(out.shape[1:]), np.float32
                        )
                    rows = out.shape[0]
                    if pos + rows > n:
                        raise RuntimeError(
                            f"inference produced more than the {n} rows of X; a "
                            "custom iterator or infer must return one output per row."
                        )
                    proba[t, pos : pos + rows] = out.numpy()
                    if t == embedding_pass:
                        emb = self._gather(captured.value.float().flatten(1)).cpu()
                        if embedding is None:
                            embedding = _embedding_rows(
                                (n, emb.shape[1]), embedding_dtype, embedding_file
                            )
                        embedding[pos : pos + rows] = emb.numpy()
                pos += rows or 0
        if pos != n:
            raise RuntimeError(
                f"inference produced {pos} rows for the {n} rows of X; a custom "
                "iterator or infer must return one output per row."
            )
        return proba, getattr(embedding, "result", embedding)

    def predict_proba(self, X):
        """Class probabilities, batched over ``X``.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self.predict_proba_with_embedding(X, return_embedding=False)

    def predict(self, X):
        """Predicted class labels (elements of ``classes_``).

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def predict_proba_with_embedding(
        self,
        X,
        *,
        return_embedding=True,
        embedding_dtype="float32",
        embedding_file=None,
    ):
        """Probabilities and penultimate embeddings from one forward pass.

        Parameters
        ----------
        X : array-like, torch.Tensor or lazy pool of shape (n_samples, ...)
            A lazy pool (:mod:`skactive.pools`: a ``.npy`` file, a memmap, a
            torch dataset, a view) is streamed through the net's iterator.
        return_embedding : bool, default=True
        embedding_dtype : {"float32", "float16"}, default="float32"
            The dtype the embeddings are stored in (float16 halves their
            memory; the selectors compute in float32 either way).
        embedding_file : str, pathlib.Path or None, default=None
            Write the embeddings into this ``.npy`` file as they are computed
            and return them as an :class:`~skactive.pools.ArrayFile` (read
            in blocks by the selectors): a million-row pool's embeddings then
            cost no memory.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        embedding : ndarray or ArrayFile of shape (n_samples, n_features_embedding)
            Only when ``return_embedding`` is true.
        """
        caller = f"{type(self).__name__}.predict_proba_with_embedding"
        validate_parameter(
            embedding_dtype, "embedding_dtype", [StrOptions(_EMBEDDING_DTYPES)], caller
        )
        validate_parameter(embedding_file, "embedding_file", ["path", None], caller)
        X = self._check_ready(X)
        proba, emb = self._forward_passes(
            X,
            1,
            embedding_pass=0 if return_embedding else None,
            embedding_dtype=embedding_dtype,
            embedding_file=embedding_file,
        )
        if not return_embedding:
            return proba[0]
        return proba[0], emb

    def embed(self, X, *, dtype="float32", file=None):
        """Penultimate embeddings: the input of the final linear layer.

        Parameters
        ----------
        X : array-like, torch.Tensor or lazy pool of shape (n_samples, ...)
        dtype : {"float32", "float16"}, default="float32"
            The dtype the embeddings are stored in.
        file : str, pathlib.Path or None, default=None
            Write them into this ``.npy`` file, batch by batch, and return an
            :class:`~skactive.pools.ArrayFile`.

        Returns
        -------
        embedding : ndarray or ArrayFile of shape (n_samples, n_features_embedding)
            In eval mode (dropout off).
        """
        return self.predict_proba_with_embedding(
            X, embedding_dtype=dtype, embedding_file=file
        )[1]

    def predict_proba_samples(
        self,
        X,
        n_samples=20,
        *,
        consistent=False,
        dropout_layers=None,
        random_state=None,
    ):
        """Monte-Carlo dropout samples of the class probabilities.

        Dropout layers are active and batch-norm layers stay in eval mode
        (Gal et al. 2017).

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n, ...)
        n_samples : int, default=20
            Number of stochastic forward passes, at least 2.
        consistent : bool, default=False
            ``False``: an independent dropout mask for every row and pass.
            ``True``: one mask per pass ``t`` shared by every row (and every
            batch), so sample ``t`` of all rows comes from the same thinned
            network ``w_t`` (Kirsch et al. 2019's *consistent MC dropout*),
            as joint quantities over rows (BatchBALD) need.
        dropout_layers : list of int or None, default=None
            The dropout layers to activate, as positions in
            ``list(module_.modules())`` (modAL's ``dropout_layer_indexes``);
            ``None``: every dropout layer with ``p > 0``.
        random_state : int, RandomState instance or None, default=None
            Seeds the dropout masks; defaults to the net's ``random_state``.

        Returns
        -------
        samples : ndarray of shape (n_samples, n, n_classes)
        """
        validate_parameter(
            n_samples,
            "n_samples",
            [Interval(numbers.Integral, 2, None, closed="left")],
            f"{type(self).__name__}.predict_proba_samples",
        )
        validate_parameter(
            consistent,
            "consistent",
            ["boolean"],
            f"{type(self).__name__}.predict_proba_samples",
        )
        X = self._check_ready(X)
        layers = select_dropout_layers(self.module_, dropout_layers)
        seed_source = self.random_state if random_state is None else random_state
        if consistent:
            generator = torch.Generator(device="cpu")
            generator.manual_seed(seed_from_random_state(seed_source))
            with (
                mc_dropout(
                    self.module_, consistent=True, generator=generator, layers=layers
                ) as p,
                forked_torch_rng(self.device),
            ):
                proba, _ = self._forward_passes(
                    X, n_samples, before_pass=lambda t: setattr(p, "t", t)
                )
            return proba
        with (
            mc_dropout(self.module_, layers=layers),
            forked_torch_rng(self.device, seed_from_random_state(seed_source)),
        ):
            proba, _ = self._forward_passes(X, n_samples)
        return proba

    def predict_proba_augmented(
        self,
        X,
        transform,
        n_augmentations=10,
        *,
        return_embedding=False,
        random_state=None,
    ):
        """Predictions on ``X`` and on ``n_augmentations`` augmented copies.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n, ...)
        transform : callable
            Applied to a float batch tensor (after ``input_transform``) on the
            device; it must draw its randomness per sample. If it accepts a
            ``generator`` keyword it receives a seeded :class:`torch.Generator`.
            See :mod:`skactive.augment`.
        n_augmentations : int, default=10
            Number of augmented copies ``N_a`` (at least 1).
        return_embedding : bool, default=False
            Also return the penultimate embedding of the un-augmented rows,
            from the same forward pass.
        random_state : int, RandomState instance or None, default=None
            Seeds the augmentations; defaults to the net's ``random_state``.

        Returns
        -------
        proba : ndarray of shape (1 + n_augmentations, n, n_classes)
            The un-augmented prediction first.
        embedding : ndarray of shape (n, n_features_embedding)
            Only when ``return_embedding`` is true.
        """
        caller = f"{type(self).__name__}.predict_proba_augmented"
        validate_parameter(
            n_augmentations,
            "n_augmentations",
            [Interval(numbers.Integral, 1, None, closed="left")],
            caller,
        )
        validate_parameter(transform, "transform", [callable], caller)
        X = self._check_ready(X)
        pass_generator = _transform_accepts_generator(transform)
        seed_source = self.random_state if random_state is None else random_state
        generator = torch.Generator(device=self.device)
        generator.manual_seed(seed_from_random_state(seed_source))

        def view(x):
            if pass_generator:
                return transform(x, generator=generator)
            return transform(x)

        def before_pass(t):
            self._view_transform = None if t == 0 else view

        try:
            with forked_torch_rng(self.device, seed_from_random_state(seed_source)):
                proba, emb = self._forward_passes(
                    X,
                    1 + n_augmentations,
                    before_pass=before_pass,
                    embedding_pass=0 if return_embedding else None,
                )
        finally:
            self._view_transform = None
        if return_embedding:
            return proba, emb
        return proba
