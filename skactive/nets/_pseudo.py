"""The training step shared by the nets that learn from pseudo-labels.

:class:`~skactive.nets.PseudoLabelClassifier` (CEAL's confident predictions)
and :class:`~skactive.nets.LabelPropagationClassifier` (labels propagated over
a kNN graph) differ in how they choose pseudo-labels, not in how they train on
them: each step minimises the cross-entropy of the labeled batch plus a
weighted cross-entropy of the pseudo-labeled rows of the unlabeled batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..callbacks import DivergenceGuard
from ._semi import SemiSupervisedClassifier

__all__ = []


class _PseudoLabelTraining(SemiSupervisedClassifier):
    """A semi-supervised net trained on labeled rows and pseudo-labeled rows.

    Subclasses implement :meth:`pseudo_targets` (which unlabeled rows of a
    batch carry a pseudo-label, the label and an optional per-row weight)
    and :meth:`pseudo_label_weight`.
    """

    def get_default_callbacks(self):
        """skorch's defaults and the divergence guard (``"divergence_guard"``).

        Returns
        -------
        list of (str, Callback)
            The default callbacks; the guard scales the pseudo-labeled term
            through ``unlabeled_scale_``.
        """
        return [
            *super().get_default_callbacks(),
            ("divergence_guard", DivergenceGuard()),
        ]

    def pseudo_targets(self, unlabeled_index):  # pragma: no cover - abstract
        """``(rows, targets, weights)`` for the unlabeled rows of a batch.

        Parameters
        ----------
        unlabeled_index : ndarray of int
            Positions of the batch's unlabeled rows among the unlabeled rows
            of the training set.

        Returns
        -------
        rows : ndarray of int
            Positions within the batch of the rows to train on.
        targets : ndarray of int
            Their encoded pseudo-labels.
        weights : ndarray of float or None
            Their weights; ``None`` weighs every row 1.
        """
        raise NotImplementedError

    def pseudo_label_weight(self):  # pragma: no cover - abstract
        """Weight of the pseudo-labeled term of the loss."""
        raise NotImplementedError

    def train_step_single(self, batch, **fit_params):
        """Cross-entropy on the labeled batch plus the pseudo-labeled rows.

        The pseudo-labeled term is the (weighted) cross-entropy of the rows
        :meth:`pseudo_targets` selects, summed and divided by the size of the
        unlabeled batch, times :meth:`pseudo_label_weight` and the divergence
        guard's ``unlabeled_scale_`` (1 unless it backed off); only the labeled
        rows and the selected rows go through the module.

        Parameters
        ----------
        batch : SemiSupervisedBatch
            A labeled and an unlabeled batch.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        dict
            ``{"loss": loss, "y_pred": logits of the labeled rows,
            "loss_labeled": their cross-entropy, "pseudo_counts": the
            pseudo-labels trained on per class, "n_unlabeled": rows of the
            unlabeled batch}`` (the divergence guard reads the last three).
        """
        self._set_training(True)
        Xl, yl, Xu, iu = batch
        n_u = Xu.shape[0]
        rows = targets = weights = None
        if n_u:
            rows, targets, weights = self.pseudo_targets(iu.numpy())
        xl = self._model_input(Xl)
        n = xl.shape[0]
        use_u = rows is not None and len(rows) > 0
        if use_u:
            xs = Xu if len(rows) == n_u else Xu[torch.as_tensor(rows)]
            logits = self._logits(torch.cat([xl, self._model_input(xs)]), **fit_params)
        else:
            logits = self._logits(xl, **fit_params)
        loss = self.get_loss(logits[:n], yl, X=Xl, training=True)
        if use_u:
            targets = torch.as_tensor(targets, device=logits.device)
            logits_u = logits[n:].float()
            if weights is None:
                loss_u = F.cross_entropy(logits_u, targets, reduction="sum") / n_u
            else:
                w = torch.as_tensor(weights, dtype=torch.float32, device=logits.device)
                ce = F.cross_entropy(logits_u, targets, reduction="none")
                loss_u = (w * ce).sum() / n_u
            scale = float(getattr(self, "unlabeled_scale_", 1.0))
            loss = loss + float(self.pseudo_label_weight()) * scale * loss_u
        loss.backward()
        loss_labeled = F.cross_entropy(
            logits[:n].detach().float(),
            torch.as_tensor(yl, device=logits.device).long(),
        )
        n_classes = logits.shape[1]
        counts = torch.zeros(n_classes, dtype=torch.long)
        if use_u:
            counts = torch.bincount(targets.long().cpu(), minlength=n_classes)
        return {
            "loss": loss,
            "y_pred": logits[:n],
            "loss_labeled": loss_labeled,
            "pseudo_counts": counts,
            "n_unlabeled": n_u,
        }
