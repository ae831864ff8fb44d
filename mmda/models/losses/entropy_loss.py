import math

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS

from .weighted_loss import WeightedLoss

#: Added inside log2 as in the original AdvEnt code (keeps log2(0) finite).
LOG_EPS = 1e-30


def weighted_self_information(probs: Tensor) -> Tensor:
    """AdvEnt's weighted self-information maps ``I``.

    For softmax probabilities ``p`` (N×C×H×W) over ``C`` classes,

    .. math::

        I^{(h,w,c)} = -\\frac{p^{(h,w,c)} \\log_2 p^{(h,w,c)}}{\\log_2 C}

    Summed over the channels, ``I`` is the pixel's entropy normalised to
    [0, 1]. The maps (not their sum) are the discriminators' input in
    AdvEnt / IntraDA.

    Args:
        probs (Tensor): N×C×H×W class probabilities.

    Returns:
        Tensor: N×C×H×W maps, same dtype as ``probs``.
    """
    num_classes = probs.shape[1]
    if num_classes < 2:
        raise ValueError('weighted_self_information needs at least 2 '
                         f'classes, got {num_classes}')
    # p·log2(p)/(−log2 C): the same numbers (and gradients) as
    # −p·log2(p)/log2 C, one elementwise pass fewer
    return probs * torch.log2(probs + LOG_EPS) / -math.log2(num_classes)


def normalized_entropy(probs: Tensor) -> Tensor:
    """Per-pixel entropy normalised by ``log2 C`` (N×H×W, in [0, 1])."""
    return weighted_self_information(probs).sum(dim=1)


def entropy_loss(logits: Tensor) -> Tensor:
    """MinEnt's entropy loss: the mean normalised entropy of the softmax
    prediction over all pixels,

    .. math::

        L_{ent} = \\frac{1}{N H W} \\sum_{n,h,w} \\sum_c I^{(n,h,w,c)}

    Args:
        logits (Tensor): N×C×H×W class scores.
    """
    return normalized_entropy(F.softmax(logits, dim=1)).mean()


@MODELS.register_module()
class EntropyLoss(WeightedLoss):
    """Module form of :func:`entropy_loss` (MinEnt, Vu et al. CVPR 2019).

    Args:
        loss_weight (float): Weight of the loss (MinEnt: 0.001 on the main
            head, 0.0002 on the auxiliary head). Defaults to 1.0.
        loss_name (str): Name under which the loss is logged.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_ent'):
        super().__init__(loss_weight, loss_name)

    def forward(self, logits: Tensor) -> Tensor:
        return self.loss_weight * entropy_loss(logits)
