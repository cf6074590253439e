"""The base skorch classifier: what query strategies need from a deep net."""

from __future__ import annotations

import contextlib
import inspect

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from skorch import NeuralNetClassifier
from skorch.dataset import unpack_data
from skorch.utils import to_tensor

from .._random import seed_from_random_state

__all__ = ["DeepClassifier", "to_float_tensor"]


def to_float_tensor(x):
    """Default input transform: turn a batch into a float32 tensor for a module.

    * ``uint8`` images are scaled to ``[0, 1]``; other integer and boolean
      inputs are cast to float32; float64 is cast to float32.
    * A 3-D batch ``N x H x W`` becomes ``N x 1 x H x W``.
    * A 4-D batch whose last axis has 1, 3 or 4 entries and whose second axis
      does not (``N x H x W x C``, channels last) is permuted to
      ``N x C x H x W``; ``N x C x H x W`` batches are left as they are.
    * 2-D feature matrices are only cast.

    Parameters
    ----------
    x : torch.Tensor
        A batch, on any device.

    Returns
    -------
    torch.Tensor
        A float32 tensor on the same device.

    Examples
    --------
    >>> import torch
    >>> from skactive.nets import to_float_tensor
    >>> to_float_tensor(torch.full((2, 28, 28), 255, dtype=torch.uint8)).shape
    torch.Size([2, 1, 28, 28])
    >>> float(to_float_tensor(torch.full((1, 8, 8, 3), 255, dtype=torch.uint8)).max())
    1.0
    """
    if x.dtype == torch.uint8:
        x = x.to(torch.float32).div_(255.0)
    elif x.dtype != torch.float32:
        x = x.to(torch.float32)
    if x.ndim == 3:
        x = x.unsqueeze(1)
    elif x.ndim == 4 and x.shape[-1] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
        x = x.permute(0, 3, 1, 2)
    return x


def _accepted_kwargs(module_cls):
    try:
        params = inspect.signature(module_cls).parameters
    except (TypeError, ValueError):
        return set()
    return {
        name
        for name, p in params.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def _is_dropout(module):
    return isinstance(module, torch.nn.modules.dropout._DropoutNd) and module.p > 0


def _first_output(out):
    return out[0] if isinstance(out, tuple | list) else out


def _transform_accepts_generator(transform):
    try:
        params = inspect.signature(transform).parameters
    except (TypeError, ValueError):
        return False
    return "generator" in params or any(
        p.kind == p.VAR_KEYWORD for p in params.values()
    )


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
        """Validate inputs; record (reset=True) or check the row shape."""
        if isinstance(X, torch.utils.data.Dataset) and not reset:
            return X  # skorch datasets (e.g. validation subsets) pass through
        if sp.issparse(X):
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
        else:
            X = check_array(
                X, allow_nd=True, dtype=None, ensure_all_finite=True, input_name="X"
            )
            if X.dtype == object:
                X = X.astype(np.float32)
        shape = tuple(X.shape[1:])
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

    def _probe_input_shape(self, X):
        """Shape of one row after ``input_transform`` (for module inference)."""
        x = X[:1] if isinstance(X, torch.Tensor) else np.asarray(X[:1])
        with torch.no_grad():
            out = self._transform_input(to_tensor(x, device="cpu"))
        return tuple(out.shape[1:])

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
        device = torch.device(self.device) if self.device is not None else None
        devices = []
        if device is not None and device.type == "cuda" and torch.cuda.is_available():
            devices = list(range(torch.cuda.device_count()))
        seed = seed_from_random_state(
            self.random_state if random_state is None else random_state
        )
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
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
            accepted = _accepted_kwargs(self.module)
            for key, value in inferred.items():
                if key in accepted and key not in kwargs:
                    kwargs[key] = value
        self.module_ = self.initialized_instance(self.module, kwargs)
        return self

    def infer(self, x, **fit_params):
        """Forward a batch: move it to the device, apply ``input_transform``.

        Parameters
        ----------
        x : array-like, torch.Tensor or dict
            A batch of inputs. It is moved to ``device``, transformed by
            ``input_transform`` and passed to the module's ``forward``. A dict
            is handed to skorch's ``infer`` unchanged (no ``input_transform``):
            its entries become keyword arguments of ``forward``.
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
        return self.module_(self._transform_input(x), **fit_params)

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
        reinitialize = not self.warm_start or not self.initialized_
        X = self._check_X(X, reset=reinitialize)
        y = self._check_y(y, X.shape[0])
        if reinitialize:
            self._set_classes(y)
        y_codes = self._encode_y(y)
        if reinitialize:
            shape = self._probe_input_shape(X)
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

    def _check_ready(self, X):
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call "
                "'fit' with appropriate arguments before using this estimator."
            )
        return self._check_X(X, reset=False)

    # ------------------------------------------------------------- inference
    def _batches(self, X):
        dataset = self.get_dataset(X)
        for batch in self.get_iterator(dataset, training=False):
            Xi, _ = unpack_data(batch)
            yield self._transform_input(to_tensor(Xi, device=self.device))

    def _nonlinearity(self):
        nonlin = self.predict_nonlinearity
        if nonlin == "auto":
            return lambda logits: torch.softmax(logits, dim=-1)
        if nonlin is None:
            return lambda logits: logits
        return nonlin

    def _embedding_module(self):
        if self.embedding_layer == "auto":
            layer = getattr(self.module_, "classifier", None)
            if isinstance(layer, torch.nn.Module):
                return layer
            linears = [
                m for m in self.module_.modules() if isinstance(m, torch.nn.Linear)
            ]
            if not linears:
                raise TypeError(
                    f"Cannot find the final layer of {type(self.module_).__name__}: "
                    "it has no 'classifier' attribute and no torch.nn.Linear. Set "
                    "embedding_layer to the name of the final layer."
                )
            return linears[-1]
        try:
            return self.module_.get_submodule(self.embedding_layer)
        except AttributeError as exc:
            raise ValueError(
                f"embedding_layer={self.embedding_layer!r} is not a submodule of "
                f"{type(self.module_).__name__}."
            ) from exc

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

    @contextlib.contextmanager
    def _capture_embedding(self, enabled=True):
        """Capture the input of the embedding layer while ``state['on']``."""
        state = {"on": enabled, "value": None}
        if not enabled:
            yield state
            return

        def hook(_module, inputs):
            if state["on"]:
                state["value"] = inputs[0].detach().float().flatten(1).cpu()

        handle = self._embedding_module().register_forward_pre_hook(hook)
        try:
            yield state
        finally:
            handle.remove()

    def predict_proba_with_embedding(self, X, *, return_embedding=True):
        """Probabilities and penultimate embeddings from one forward pass.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)
        return_embedding : bool, default=True

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        embedding : ndarray of shape (n_samples, n_features_embedding)
            Only when ``return_embedding`` is true.
        """
        X = self._check_ready(X)
        nonlin = self._nonlinearity()
        probas, embeddings = [], []
        self.module_.eval()
        with torch.no_grad(), self._capture_embedding(return_embedding) as cap:
            for x in self._batches(X):
                probas.append(nonlin(_first_output(self.module_(x))).float().cpu())
                if return_embedding:
                    embeddings.append(cap["value"])
        proba = torch.cat(probas).numpy()
        if not return_embedding:
            return proba
        return proba, torch.cat(embeddings).numpy()

    def embed(self, X):
        """Penultimate embeddings: the input of the final linear layer.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, ...)

        Returns
        -------
        embedding : ndarray of shape (n_samples, n_features_embedding)
            float32, in eval mode (dropout off).
        """
        return self.predict_proba_with_embedding(X)[1]

    def predict_proba_samples(self, X, n_samples=20, *, random_state=None):
        """Monte-Carlo dropout samples of the class probabilities.

        Dropout layers are active and batch-norm layers stay in eval mode
        (Gal et al. 2017).

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n, ...)
        n_samples : int, default=20
            Number of stochastic forward passes, at least 2.
        random_state : int, RandomState instance or None, default=None
            Seeds the dropout masks; defaults to the net's ``random_state``.

        Returns
        -------
        samples : ndarray of shape (n_samples, n, n_classes)
        """
        if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer):
            raise TypeError(f"n_samples must be an integer, got {n_samples!r}.")
        if n_samples < 2:
            raise ValueError(
                f"n_samples must be at least 2 for MC-dropout, got {n_samples}."
            )
        X = self._check_ready(X)
        dropouts = [m for m in self.module_.modules() if _is_dropout(m)]
        if not dropouts:
            raise ValueError(
                f"{type(self.module_).__name__} has no dropout layer with p > 0, so "
                "MC-dropout samples would all be identical; build the module with "
                "dropout (e.g. module__dropout=0.5)."
            )
        nonlin = self._nonlinearity()
        out = []
        try:
            self.module_.eval()
            for m in dropouts:
                m.train()
            with torch.no_grad(), self._seeded(random_state):
                for x in self._batches(X):
                    out.append(
                        torch.stack(
                            [
                                nonlin(_first_output(self.module_(x))).float().cpu()
                                for _ in range(n_samples)
                            ]
                        )
                    )
        finally:
            self.module_.eval()
        return torch.cat(out, dim=1).numpy()

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
        if isinstance(n_augmentations, bool) or not isinstance(
            n_augmentations, int | np.integer
        ):
            raise TypeError(
                f"n_augmentations must be an integer, got {n_augmentations!r}."
            )
        if n_augmentations < 1:
            raise ValueError(
                f"n_augmentations must be at least 1, got {n_augmentations}."
            )
        if not callable(transform):
            raise TypeError(f"transform must be callable, got {transform!r}.")
        X = self._check_ready(X)
        nonlin = self._nonlinearity()
        pass_generator = _transform_accepts_generator(transform)
        generator = torch.Generator(device=self.device)
        generator.manual_seed(
            seed_from_random_state(
                self.random_state if random_state is None else random_state
            )
        )
        out, embeddings = [], []
        self.module_.eval()
        with (
            torch.no_grad(),
            self._seeded(random_state),
            self._capture_embedding(return_embedding) as cap,
        ):
            for x in self._batches(X):
                cap["on"] = return_embedding
                views = [nonlin(_first_output(self.module_(x))).float().cpu()]
                if return_embedding:
                    embeddings.append(cap["value"])
                    cap["on"] = False
                for _ in range(n_augmentations):
                    if pass_generator:
                        xa = transform(x, generator=generator)
                    else:
                        xa = transform(x)
                    views.append(nonlin(_first_output(self.module_(xa))).float().cpu())
                out.append(torch.stack(views))
        proba = torch.cat(out, dim=1).numpy()
        if return_embedding:
            return proba, torch.cat(embeddings).numpy()
        return proba
