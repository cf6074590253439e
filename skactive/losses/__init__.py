"""Pure-torch training losses used by the active-learning strategies.

* :class:`ISDALoss` / :func:`isda_lambda` -- implicit semantic data
  augmentation (DAST-AL).
* :class:`BarlowTwinsLoss` -- redundancy reduction (DALBT).
* :class:`NTXentLoss` -- SimCLR contrastive loss.
* :class:`LossRankingLoss` -- Learning Loss's pairwise ranking loss.
* :class:`GradientReversal`, :func:`grad_reverse` -- the gradient-reversal
  layer; :class:`MinimaxEntropyLoss` -- the minimax entropy game (MME, MAL).
* :class:`VAELoss`, :func:`gaussian_kl` -- the beta-VAE loss of VAAL.
* :class:`FixMatchLoss`, :func:`confidence_mask` -- FixMatch / FlexMatch.
* :class:`MixMatchLoss`, :func:`sharpen`, :func:`mixup`,
  :func:`linear_rampup` -- MixMatch semi-supervised training.
"""

from .barlow_twins import BarlowTwinsLoss
from .fixmatch import FixMatchLoss, confidence_mask
from .gradient_reversal import GradientReversal, grad_reverse
from .isda import ISDALoss, isda_lambda
from .loss_ranking import LossRankingLoss
from .minimax_entropy import MinimaxEntropyLoss
from .mixmatch import MixMatchLoss, linear_rampup, mixup, sharpen
from .nt_xent import NTXentLoss
from .vae import VAELoss, gaussian_kl

__all__ = [
    "BarlowTwinsLoss",
    "FixMatchLoss",
    "GradientReversal",
    "ISDALoss",
    "LossRankingLoss",
    "MinimaxEntropyLoss",
    "MixMatchLoss",
    "NTXentLoss",
    "VAELoss",
    "gaussian_kl",
    "confidence_mask",
    "grad_reverse",
    "isda_lambda",
    "linear_rampup",
    "mixup",
    "sharpen",
]
