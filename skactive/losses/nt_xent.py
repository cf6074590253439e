"""NT-Xent (normalised temperature-scaled cross-entropy) loss."""

from __future__ import annotations

from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import (
    Interval,
    InvalidParameterError,
    parameter_constraints,
    validate_parameter_constraints,
)
from ._checks import check_views

__all__ = ["NTXentLoss"]


class NTXentLoss(nn.Module):
    r"""NT-Xent contrastive loss of SimCLR (Chen et al., ICML 2020).

    The ``2B`` embeddings ``u = [z1; z2]`` are L2-normalised and compared with
    the cosine similarity ``s_{kl} = u_k^\top u_l / (\|u_k\| \|u_l\|)``. For
    each view ``k`` with positive ``p(k)`` (the other view of the same
    sample):

    .. math::

        \ell_k = -\log \frac{\exp(s_{k,p(k)} / \tau)}
            {\sum_{l \ne k} \exp(s_{kl} / \tau)},
        \qquad L = \frac{1}{2B} \sum_{k=1}^{2B} \ell_k .

    Parameters
    ----------
    temperature : float, default=0.5
        Temperature ``tau > 0``.

    References
    ----------
    T. Chen, S. Kornblith, M. Norouzi and G. Hinton, "A Simple Framework for
    Contrastive Learning of Visual Representations", ICML 2020.

    Examples
    --------
    >>> import torch
    >>> from skactive.losses import NTXentLoss
    >>> g = torch.Generator().manual_seed(0)
    >>> z1 = torch.randn(16, 8, generator=g, requires_grad=True)
    >>> z2 = torch.randn(16, 8, generator=g)
    >>> loss = NTXentLoss(temperature=0.5)(z1, z2)
    >>> loss.backward()
    >>> loss.shape
    torch.Size([])
    """

    _parameter_constraints = {
        "temperature": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, temperature: float = 0.5):
        super().__init__()
        validate_parameter_constraints(
            parameter_constraints(self),
            {"temperature": temperature},
            type(self).__name__,
        )
        self.temperature = float(temperature)

    def extra_repr(self) -> str:
        """The loss's settings, shown in its ``repr``.

        Returns
        -------
        str
            ``name=value`` pairs of the constructor arguments.
        """
        return f"temperature={self.temperature}"

    def forward(self, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        """NT-Xent loss of two views.

        Parameters
        ----------
        z1, z2 : torch.Tensor of shape (B, D)
            Embeddings of the two views; row ``b`` of ``z1`` and of ``z2``
            form the positive pair.

        Returns
        -------
        torch.Tensor
            Scalar loss (mean over the ``2B`` views).
        """
        check_views(z1, z2, "NTXentLoss")
        b = z1.shape[0]
        if b < 1:
            raise InvalidParameterError(
                "NTXentLoss: z1 and z2 must have a batch size >= 1, got 0."
            )
        u = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
        sim = (u @ u.T) / self.temperature
        self_mask = torch.eye(2 * b, dtype=torch.bool, device=sim.device)
        sim = sim.masked_fill(self_mask, float("-inf"))
        idx = torch.arange(2 * b, device=sim.device)
        positives = (idx + b) % (2 * b)
        return F.cross_entropy(sim, positives)
