"""FlexMatch (Zhang et al., NeurIPS 2021): FixMatch with curriculum thresholds."""

from __future__ import annotations

from numbers import Integral, Real

import torch

from .._validation import Interval, InvalidParameterError, validate_params
from .fixmatch import FixMatchClassifier

__all__ = ["FlexMatchClassifier", "flexmatch_thresholds"]


def _learning_effect(selected_label, n_classes, warmup, previous=None):
    """FlexMatch's normalised learning effect ``beta_c`` of every class.

    USB's ``FlexMatchThresholdingHook.update``: while one entry of
    ``selected_label`` fills every row (every row unused, or every row
    selected as one class) the learning effect is not recomputed and
    ``previous`` (zeros at the start of training) is kept.
    """
    counts = torch.bincount(selected_label.long() + 1, minlength=n_classes + 1)
    counts = counts.to(torch.float64)
    n = selected_label.numel()
    if n == 0 or counts.max() >= n:
        if previous is None:
            return torch.zeros(n_classes, dtype=torch.float64)
        return previous.detach().to("cpu", torch.float64).clone()
    denom = counts.max() if warmup else counts[1:].max()
    return counts[1:] / denom


def _convex(beta):
    """FlexMatch's convex mapping ``M(x) = x / (2 - x)``."""
    return beta / (2.0 - beta)


@validate_params(
    {
        "selected_label": ["tensor"],
        "n_classes": [Interval(Integral, 1, None, closed="left")],
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "warmup": ["boolean"],
        "previous": ["tensor", None],
    }
)
def flexmatch_thresholds(
    selected_label: torch.Tensor,
    n_classes: int,
    threshold: float = 0.95,
    warmup: bool = True,
    previous: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""FlexMatch's class-wise flexible thresholds (Zhang et al. 2021, eqs. 6-11).

    ``selected_label[i]`` is the class that unlabeled row ``i`` was last
    confidently predicted as (its confidence reached ``threshold``), ``-1``
    if never. With ``\sigma_c`` the number of rows selected as class ``c``
    and ``N`` the number of rows, the learning effect of class ``c`` is

    .. math::

        \beta_c = \frac{\sigma_c}{\max\left(\max_{c'} \sigma_{c'},\;
                  N - \sum_{c'} \sigma_{c'}\right)} \ \text{(warm-up)}
        \quad\text{or}\quad
        \beta_c = \frac{\sigma_c}{\max_{c'} \sigma_{c'}},

    and the threshold of class ``c`` is ``\tau \, \mathcal{M}(\beta_c)`` with
    the convex mapping ``\mathcal{M}(x) = x / (2 - x)``. With warm-up (the
    paper's threshold warm-up, eq. 11, USB's default) the unused rows
    ``N - \sum \sigma`` count as one more class, so the thresholds rise
    gradually from 0 while most rows are still unselected.

    As in the paper and in USB's ``FlexMatchThresholdingHook``, training
    starts with every ``beta_c = 0``: **every threshold is 0**, so every
    pseudo-label counts until rows reach ``threshold``. While one entry
    fills every row -- no row selected yet, or every row selected as the
    same class -- USB does not update its learning effect: ``previous`` (the
    ``beta`` of the last step; zeros when None) is kept.

    Parameters
    ----------
    selected_label : torch.Tensor of int of shape (n_unlabeled,)
        The last confident class of each unlabeled row, ``-1`` for none.
    n_classes : int
        Number of classes ``C``.
    threshold : float, default=0.95
        The upper threshold ``tau``.
    warmup : bool, default=True
        Threshold warm-up.
    previous : torch.Tensor of shape (n_classes,) or None, default=None
        The learning effect ``beta`` of the previous step, kept when it
        cannot be recomputed (see above); None means zeros.

    Returns
    -------
    torch.Tensor of float64 of shape (n_classes,)

    Examples
    --------
    >>> import torch
    >>> from skactive.nets import flexmatch_thresholds
    >>> sel = torch.tensor([0, 0, 0, 0, 1, 1, -1, -1])
    >>> flexmatch_thresholds(sel, 2, 0.95, warmup=False)
    tensor([0.9500, 0.3167], dtype=torch.float64)
    >>> flexmatch_thresholds(torch.tensor([-1, -1, -1]), 2)  # nothing selected
    tensor([0., 0.], dtype=torch.float64)
    """
    if previous is not None and previous.shape != (int(n_classes),):
        raise InvalidParameterError(
            f"flexmatch_thresholds: previous must have shape ({int(n_classes)},) "
            f"(one learning effect per class), got {tuple(previous.shape)}."
        )
    beta = _learning_effect(selected_label.cpu(), int(n_classes), warmup, previous)
    return float(threshold) * _convex(beta)


class FlexMatchClassifier(FixMatchClassifier):
    """FlexMatch semi-supervised classifier (Zhang et al., 2021).

    :class:`~skactive.nets.FixMatchClassifier` with curriculum pseudo-labeling:
    instead of one threshold ``tau = 0.95``, a pseudo-label of class ``c``
    counts when its confidence reaches ``tau * M(beta_c)``
    (:func:`flexmatch_thresholds`), where ``beta_c`` measures how many
    unlabeled rows the model has already learned to predict confidently as
    ``c``. Classes that are hard to learn get lower thresholds, and early in
    training, when few rows are confident, most pseudo-labels count.

    At every step, as the reference implementation (USB) does: the learning
    effect ``learning_effect_`` is computed from ``selected_label_`` (one
    entry per unlabeled row: the class it was last predicted with confidence
    ``>= tau``, ``-1`` if never; kept from the last step while every row
    has the same entry), then ``selected_label_`` is updated with the step's
    confident weak predictions, and the step's mask uses the thresholds.
    Everything else -- augmentations, loss, optimizer, schedule, EMA,
    divergence guard -- is FixMatch's.

    As in the paper and USB, the thresholds **start at 0**: until rows reach
    ``tau``, every pseudo-label counts, the untrained model's included. On a
    short budget this can pull the model to one class; the divergence
    guard's class-share signal (:class:`~skactive.callbacks.DivergenceGuard`,
    ``max_share``) then backs the unlabeled term off, with a warning. The
    warm-up lasts until a sizeable share of the unlabeled rows has reached
    ``tau``: in a 200-step MNIST run with 9,900 unlabeled rows, 59 had, and
    every threshold stayed below 0.001 for the whole run. Give FlexMatch
    enough steps for that, or use FixMatch on short budgets.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns logits.
    *args
        Passed on to :class:`~skactive.nets.DeepClassifier` after ``module``;
        as there, a positional argument raises a ``TypeError``: give every
        argument other than ``module`` by keyword.
    threshold_warmup : bool, default=True
        FlexMatch's threshold warm-up (see :func:`flexmatch_thresholds`).
    **kwargs
        Any :class:`~skactive.nets.FixMatchClassifier` parameter (``weak``,
        ``strong``, ``flip``, ``threshold``, ``lambda_u``, ``mu``, ``lr``,
        ``weight_decay``, ``ema_decay``, ``max_epochs``, ``random_state`` ...).

    Attributes
    ----------
    selected_label_ : torch.Tensor of int64 of shape (n_unlabeled,)
        The last confident class of each of the ``n_unlabeled_`` unlabeled
        rows (``-1``: none). Kept
        across ``warm_start`` fits on the same number of unlabeled rows,
        reset otherwise.
    learning_effect_ : torch.Tensor of float64 of shape (n_classes,)
        The learning effect ``beta`` of the last step (kept with
        ``selected_label_``; see :func:`flexmatch_thresholds`).
    class_thresholds_ : torch.Tensor of shape (n_classes,)
        The thresholds of the last step.

    References
    ----------
    B. Zhang, Y. Wang, W. Hou, H. Wu, J. Wang, M. Okumura and T. Shinozaki,
    "FlexMatch: Boosting Semi-Supervised Learning with Curriculum Pseudo
    Labeling", NeurIPS 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.nets import FlexMatchClassifier, SmallCNN
    >>> X, y = load_digits(return_X_y=True)
    >>> X = np.round(X.reshape(-1, 8, 8) * 255 / 16).astype(np.uint8)
    >>> y_semi = np.where(np.arange(len(y)) < 50, y, -1)
    >>> net = FlexMatchClassifier(SmallCNN, max_epochs=1, steps_per_epoch=5,
    ...                           batch_size=8, mu=2, flip=False, random_state=0)
    >>> net.fit(X[:500], y_semi[:500]).selected_label_.shape
    torch.Size([450])
    """

    _parameter_constraints = {"threshold_warmup": ["boolean"]}

    def __init__(self, module, *args, threshold_warmup=True, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.threshold_warmup = threshold_warmup

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """FixMatch's set-up; a fresh fit forgets the selected labels.

        Parameters
        ----------
        net : FlexMatchClassifier
            The net being trained (this net: skorch passes it to every hook).
        X : array-like or torch.Tensor of shape (n_samples, ...), default=None
            The training inputs, labeled and unlabeled.
        y : ndarray of shape (n_samples,), default=None
            Their encoded labels, ``-1`` for unlabeled rows.
        **kwargs : dict
            Other arguments of skorch's hook; passed on to the parent hook.
        """
        super().on_train_begin(net, X=X, y=y, **kwargs)
        if not self.warm_start:
            self.selected_label_ = None
            self.learning_effect_ = None

    def unlabeled_thresholds(self, probs_weak, unlabeled_index):
        """Class-wise thresholds from ``selected_label_``, then update it.

        Parameters
        ----------
        probs_weak : torch.Tensor of shape (n_unlabeled_batch, n_classes)
            Probabilities of the weakly augmented unlabeled rows.
        unlabeled_index : torch.Tensor of int64
            Their positions among the unlabeled rows of the training set.

        Returns
        -------
        torch.Tensor of shape (n_classes,)
        """
        n_classes = probs_weak.shape[1]
        sel = getattr(self, "selected_label_", None)
        beta = getattr(self, "learning_effect_", None)
        if sel is None or sel.numel() != self.n_unlabeled_:
            sel = torch.full((self.n_unlabeled_,), -1, dtype=torch.long)
            self.selected_label_ = sel
            beta = None
        if beta is not None and beta.shape != (n_classes,):
            beta = None
        beta = _learning_effect(sel, n_classes, bool(self.threshold_warmup), beta)
        thresholds = float(self.threshold) * _convex(beta)
        conf, pred = probs_weak.max(dim=1)
        chosen = (conf >= float(self.threshold)).cpu()
        idx = torch.as_tensor(unlabeled_index).long().cpu()
        sel[idx[chosen]] = pred.cpu()[chosen]
        self.learning_effect_ = beta
        self.class_thresholds_ = thresholds
        return thresholds.to(probs_weak.device)
