"""Label propagation on deep embeddings (Iscen et al., CVPR 2019)."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from scipy.sparse.linalg import cg

from .._validation import Interval, InvalidParameterError, validate_params
from ._pseudo import _PseudoLabelTraining

__all__ = ["LabelPropagationClassifier", "knn_graph", "label_propagation"]


_POSITIVE = [Interval(numbers.Integral, 1, None, closed="left")]


@validate_params(
    {
        "embeddings": ["array-like"],
        "k": _POSITIVE,
        "gamma": [Interval(numbers.Real, 0, None, closed="neither")],
        "chunk_size": _POSITIVE,
    }
)
def knn_graph(embeddings, k, *, gamma=3.0, chunk_size=1024):
    """Sparse kNN affinity ``A`` with ``a_ij = max(v_i . v_j, 0) ** gamma``.

    Rows of ``embeddings`` are L2-normalised; for every row ``i`` the ``k``
    other rows of largest cosine similarity are found by chunked
    matrix products and :func:`torch.topk` (``chunk_size`` rows at a time, so
    memory is ``chunk_size x n``, never ``n x n``); a row is never its own
    neighbour.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
        One row per sample (normalised here).
    k : int
        Neighbours per row (at most ``n_samples - 1``).
    gamma : float, default=3.0
        Exponent of the similarities.
    chunk_size : int, default=1024
        Rows per chunk.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        ``A`` (not symmetric: row ``i`` holds the neighbours of ``i``).

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.nets.label_propagation import knn_graph
    >>> A = knn_graph(np.array([[1.0, 0], [1, 0.1], [0, 1], [0.1, 1]]), k=1)
    >>> A.toarray().round(3)
    array([[0.   , 0.985, 0.   , 0.   ],
           [0.985, 0.   , 0.   , 0.   ],
           [0.   , 0.   , 0.   , 0.985],
           [0.   , 0.   , 0.985, 0.   ]])
    """
    v = torch.as_tensor(np.asarray(embeddings), dtype=torch.float32)
    if v.ndim != 2:
        raise InvalidParameterError(
            f"embeddings must be 2-D, got shape {tuple(v.shape)}."
        )
    n = v.shape[0]
    k, gamma, chunk_size = int(k), float(gamma), int(chunk_size)
    k = min(k, n - 1)
    if k < 1:
        return sp.csr_matrix((n, n), dtype=np.float64)
    v = F.normalize(v, dim=1)
    rows, cols, vals = [], [], []
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        sims = v[start:stop] @ v.T
        idx = torch.arange(stop - start)
        sims[idx, idx + start] = -float("inf")  # no self-loops
        top, nn = torch.topk(sims, k, dim=1)
        rows.append(np.repeat(np.arange(start, stop), k))
        cols.append(nn.reshape(-1).numpy())
        vals.append(top.clamp(min=0).pow(gamma).reshape(-1).double().numpy())
    A = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n, n),
    )
    A.eliminate_zeros()
    return A


@validate_params(
    {
        "embeddings": ["array-like"],
        "y": ["array-like"],
        "k": _POSITIVE,
        "gamma": [Interval(numbers.Real, 0, None, closed="neither")],
        "alpha": [Interval(numbers.Real, 0, 1, closed="left")],
        "classes": ["array-like", None],
        "tol": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "chunk_size": _POSITIVE,
        "return_scores": ["boolean"],
    }
)
def label_propagation(
    embeddings,
    y,
    *,
    k=50,
    gamma=3.0,
    alpha=0.99,
    classes=None,
    tol=1e-6,
    max_iter=None,
    chunk_size=1024,
    return_scores=False,
):
    """Propagate labels over a kNN graph of embeddings (Iscen et al., 2019).

    1. ``A = knn_graph(embeddings, k, gamma)``: L2-normalised embeddings,
       ``a_ij = [v_i . v_j]_+ ** gamma`` for the ``k`` nearest neighbours
       ``j`` of ``i`` (found in chunks, never an ``n x n`` matrix).
    2. ``W = A + A^T`` and ``W_n = D^{-1/2} W D^{-1/2}`` with
       ``D = diag(W 1)`` (isolated rows get 0).
    3. For each class ``c``, solve ``(I - alpha W_n) z_c = y_c`` with
       conjugate gradients (:func:`scipy.sparse.linalg.cg`), where ``y_c``
       is ``1 / |L_c|`` on the labeled rows of class ``c`` and 0 elsewhere
       (the class-normalised seed of the authors' code).
    4. Pseudo-label ``argmax_c Z_ic``; certainty
       ``w_i = 1 - H(Z_hat_i) / log C`` where ``Z_hat`` is ``Z`` clipped at
       0 and row-normalised (a row with no mass gets the uniform
       distribution, so certainty 0).

    Labeled rows keep their label and get weight 1.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
        Features of the rows (penultimate embeddings of a net).
    y : array-like of shape (n_samples,)
        Labels, ``-1`` for unlabeled rows.
    k : int, default=50
        Neighbours per row.
    gamma : float, default=3.0
        Similarity exponent.
    alpha : float, default=0.99
        Propagation coefficient in ``[0, 1)``.
    classes : array-like or None, default=None
        Class labels (columns of ``Z``); default: the labels present.
    tol : float, default=1e-6
        Relative tolerance of conjugate gradients.
    max_iter : int or None, default=None
        Conjugate-gradient iterations per class; ``None`` is scipy's default
        (``10 n``, i.e. until ``tol``). The authors stop at 20.
    chunk_size : int, default=1024
        Rows per chunk of the neighbour search.
    return_scores : bool, default=False
        Also return ``Z``.

    Returns
    -------
    pseudo_labels : ndarray of shape (n_samples,)
        Elements of ``classes``; the given label on labeled rows.
    weights : ndarray of shape (n_samples,)
        Certainty in ``[0, 1]``; 1 on labeled rows.
    Z : ndarray of shape (n_samples, n_classes)
        Only when ``return_scores`` is true.

    References
    ----------
    A. Iscen, G. Tolias, Y. Avrithis and O. Chum, "Label Propagation for
    Deep Semi-supervised Learning", CVPR 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.nets.label_propagation import label_propagation
    >>> rng = np.random.RandomState(0)
    >>> emb = np.vstack([rng.normal([5, 0], 1, (20, 2)),
    ...                  rng.normal([0, 5], 1, (20, 2))])
    >>> y = np.full(40, -1)
    >>> y[0], y[20] = 0, 1
    >>> labels, weights = label_propagation(emb, y, k=5)
    >>> labels.tolist() == [0] * 20 + [1] * 20
    True
    >>> bool(weights.min() >= 0 and weights.max() <= 1)
    True
    """
    emb = np.asarray(embeddings)
    if emb.ndim != 2:
        raise InvalidParameterError(f"embeddings must be 2-D, got shape {emb.shape}.")
    y = np.asarray(y)
    if y.shape != (emb.shape[0],):
        raise InvalidParameterError(
            f"y must have one label per row of embeddings ({emb.shape[0]}), got "
            f"shape {y.shape}."
        )
    alpha, tol = float(alpha), float(tol)
    labeled = y != -1
    if classes is None:
        classes = np.unique(y[labeled])
    classes = np.asarray(classes)
    if len(classes) < 1 or not labeled.any():
        raise InvalidParameterError("label_propagation needs at least one labeled row.")
    codes = np.searchsorted(classes, y[labeled])
    codes = np.clip(codes, 0, len(classes) - 1)
    if np.any(classes[codes] != y[labeled]):
        raise InvalidParameterError("y has labels that are not in classes.")
    n, n_classes = emb.shape[0], len(classes)

    A = knn_graph(emb, k, gamma=gamma, chunk_size=chunk_size)
    W = (A + A.T).tocsr()
    degree = np.asarray(W.sum(axis=1)).ravel()
    with np.errstate(divide="ignore"):
        d_inv_sqrt = np.where(degree > 0, 1.0 / np.sqrt(degree), 0.0)
    D = sp.diags(d_inv_sqrt)
    W_n = D @ W @ D
    system = (sp.eye(n, format="csr") - alpha * W_n).tocsr()

    lab_idx = np.flatnonzero(labeled)
    Z = np.zeros((n, n_classes))
    for c in range(n_classes):
        rows = lab_idx[codes == c]
        if len(rows) == 0:
            continue
        b = np.zeros(n)
        b[rows] = 1.0 / len(rows)
        z, _ = cg(system, b, rtol=tol, atol=0.0, maxiter=max_iter)
        Z[:, c] = z

    P = np.clip(Z, 0.0, None)
    mass = P.sum(axis=1, keepdims=True)
    P = np.where(mass > 0, P / np.where(mass > 0, mass, 1.0), 1.0 / n_classes)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(P > 0, P * np.log(P), 0.0).sum(axis=1)
    if n_classes > 1:
        weights = np.clip(1.0 - entropy / np.log(n_classes), 0.0, 1.0)
    else:
        weights = np.ones(n)
    pseudo = classes[np.argmax(P, axis=1)]
    pseudo[labeled] = y[labeled]
    weights[labeled] = 1.0
    if return_scores:
        return pseudo, weights, Z
    return pseudo, weights


class LabelPropagationClassifier(_PseudoLabelTraining):
    """Deep label propagation (Iscen et al., CVPR 2019; Siméoni et al.).

    Every ``propagate_every`` epochs (from the end of ``warmup_epochs``
    epochs trained on the labeled rows only), the net embeds all training
    rows (penultimate features, :meth:`embed`), builds a kNN graph and
    propagates the labels (:func:`label_propagation`). Each unlabeled row
    ``i`` gets a pseudo-label ``y_i`` and the weight ``w_i * zeta_{y_i}``:
    its certainty ``w_i = 1 - H(Z_hat_i) / log C`` times a class-balancing
    weight ``zeta_c`` proportional to ``1 / |c|`` (``|c|``: unlabeled rows
    pseudo-labeled ``c``), scaled so that the ``zeta`` of the unlabeled rows
    average 1. Each training step then minimises the mean cross-entropy of
    the labeled batch (weight 1) plus ``unlabeled_weight`` times the mean
    weighted cross-entropy of the unlabeled batch with its pseudo-labels.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns logits.
    *args
        Passed on to :class:`~skactive.nets.DeepClassifier` after ``module``;
        as there, a positional argument raises a ``TypeError``: give every
        argument other than ``module`` by keyword.
    k : int, default=50
        Neighbours in the graph.
    gamma : float, default=3.0
        Similarity exponent.
    alpha : float, default=0.99
        Propagation coefficient.
    propagate_every : int, default=1
        Epochs between propagations.
    warmup_epochs : int, default=5
        Epochs of each fit trained on the labeled rows only before the first
        propagation (the embedding must mean something first).
    unlabeled_weight : float, default=1.0
        Weight of the pseudo-labeled term.
    cg_max_iter : int or None, default=None
        Conjugate-gradient iterations per class (``None``: until ``1e-6``).
    **kwargs
        Any :class:`SemiSupervisedClassifier` parameter.

    Attributes
    ----------
    pseudo_labels_ : ndarray of shape (n_unlabeled,)
        Encoded pseudo-labels of the unlabeled rows from the last
        propagation (``-1`` before the first).
    pseudo_weights_ : ndarray of shape (n_unlabeled,)
        Their weights ``w_i * zeta_{y_i}`` (0 before the first propagation).
    n_propagations_ : int
        Propagations in the last fit.

    References
    ----------
    A. Iscen, G. Tolias, Y. Avrithis and O. Chum, "Label Propagation for
    Deep Semi-supervised Learning", CVPR 2019. O. Siméoni, M. Budnik,
    Y. Avrithis and G. Gravier, "Rethinking deep active learning: Using
    unlabeled data at model training", ICPR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import MLP
    >>> from skactive.nets.label_propagation import LabelPropagationClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype("float32")
    >>> y_semi = np.where(np.arange(len(y)) < 100, y, -1)
    >>> net = LabelPropagationClassifier(MLP, k=10, warmup_epochs=1,
    ...                                  max_epochs=2, random_state=0)
    >>> net.fit(X[:400], y_semi[:400]).n_propagations_
    1
    >>> net.pseudo_weights_.shape
    (300,)
    """

    _parameter_constraints = {
        "k": [Interval(numbers.Integral, 1, None, closed="left")],
        "gamma": [Interval(numbers.Real, 0, None, closed="neither")],
        "alpha": [Interval(numbers.Real, 0, 1, closed="left")],
        "propagate_every": [Interval(numbers.Integral, 1, None, closed="left")],
        "warmup_epochs": [Interval(numbers.Integral, 0, None, closed="left")],
        "unlabeled_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "cg_max_iter": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        module,
        *args,
        k=50,
        gamma=3.0,
        alpha=0.99,
        propagate_every=1,
        warmup_epochs=5,
        unlabeled_weight=1.0,
        cg_max_iter=None,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.k = k
        self.gamma = gamma
        self.alpha = alpha
        self.propagate_every = propagate_every
        self.warmup_epochs = warmup_epochs
        self.unlabeled_weight = unlabeled_weight
        self.cg_max_iter = cg_max_iter

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Validate, seed, and forget the pseudo-labels of an earlier fit.

        skorch calls this hook of the net at the start of every ``fit`` /
        ``partial_fit``, before the callbacks' hooks. It also resets the epoch
        and propagation counts of this fit.

        Parameters
        ----------
        net : LabelPropagationClassifier
            The net being trained (this net: skorch passes it to every hook).
        X : array-like or torch.Tensor of shape (n_samples, ...), default=None
            The training inputs, labeled and unlabeled; passed on to the
            parent hook.
        y : ndarray of shape (n_samples,), default=None
            Their encoded labels, ``-1`` for unlabeled rows; passed on to the
            parent hook.
        **kwargs : dict
            Other arguments of skorch's hook; passed on to the parent hook.
        """
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self.epochs_in_fit_ = 0
        self.n_propagations_ = 0
        self.pseudo_labels_ = np.empty(0, dtype=np.int64)
        self.pseudo_weights_ = np.empty(0)

    def propagate(self, dataset):
        """Pseudo-labels and weights of the unlabeled rows of ``dataset``.

        Parameters
        ----------
        dataset : SemiSupervisedDataset
            The training rows (labeled first, then unlabeled).

        Returns
        -------
        pseudo_labels : ndarray of shape (n_unlabeled,)
            Encoded labels.
        weights : ndarray of shape (n_unlabeled,)
            ``certainty * class-balancing weight``.
        """
        X_all, y_all = dataset.all_rows()
        with self._rng_preserved():
            embeddings = self.embed(X_all)
        n_classes = len(self.classes_)
        pseudo, certainty = label_propagation(
            embeddings,
            y_all,
            k=self.k,
            gamma=self.gamma,
            alpha=self.alpha,
            classes=np.arange(n_classes),
            max_iter=self.cg_max_iter,
        )
        n_l = dataset.n_labeled
        pseudo, certainty = pseudo[n_l:].astype(np.int64), certainty[n_l:]
        counts = np.bincount(pseudo, minlength=n_classes).astype(np.float64)
        present = counts > 0
        zeta = np.zeros(n_classes)
        zeta[present] = len(pseudo) / (present.sum() * counts[present])
        return pseudo, certainty * zeta[pseudo]

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Propagate the labels when due.

        skorch calls this hook of the net at the start of every epoch, before
        the callbacks' hooks. A propagation is due at epoch ``warmup_epochs``
        of this fit (counted from 0) and every ``propagate_every`` epochs
        after it, when the training rows include unlabeled rows; it sets
        ``pseudo_labels_`` and ``pseudo_weights_`` (:meth:`propagate`).

        Parameters
        ----------
        net : LabelPropagationClassifier
            The net being trained (this net: skorch passes it to every hook).
        dataset_train : SemiSupervisedDataset or None, default=None
            The training rows (labeled first, then unlabeled), whose labels
            are propagated; also passed on to the parent hook.
        dataset_valid : torch.utils.data.Dataset or None, default=None
            The validation rows (labeled only), ``None`` without a
            ``train_split``; passed on to the parent hook.
        **kwargs : dict
            Other arguments of skorch's hook; passed on to the parent hook.
        """
        super().on_epoch_begin(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        e = self.epochs_in_fit_ - self.warmup_epochs
        due = e >= 0 and e % self.propagate_every == 0
        if due and dataset_train is not None and dataset_train.n_unlabeled:
            self.pseudo_labels_, self.pseudo_weights_ = self.propagate(dataset_train)
            self.n_propagations_ += 1
        self.epochs_in_fit_ += 1

    def pseudo_targets(self, unlabeled_index):
        """Every unlabeled row of a batch, its propagated label and weight.

        Before the first propagation of a fit no row is selected.

        Parameters
        ----------
        unlabeled_index : ndarray of int
            Positions of the batch's unlabeled rows among the unlabeled rows
            of the training set.

        Returns
        -------
        rows : ndarray of int
            All positions of the batch (none before the first propagation).
        targets : ndarray of int
            Their propagated labels (``pseudo_labels_``).
        weights : ndarray of float
            Their weights (``pseudo_weights_``).
        """
        if self.n_propagations_ == 0:
            return np.empty(0, dtype=np.int64), None, None
        rows = np.arange(len(unlabeled_index))
        return (
            rows,
            self.pseudo_labels_[unlabeled_index],
            self.pseudo_weights_[unlabeled_index],
        )

    def pseudo_label_weight(self):
        """``unlabeled_weight``: the weight of the pseudo-labeled term.

        Returns
        -------
        float
        """
        return float(self.unlabeled_weight)
