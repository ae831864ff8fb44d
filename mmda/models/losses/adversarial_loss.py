import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS

from .weighted_loss import WeightedLoss

#: Domain labels of the discriminators (AdvEnt / IntraDA convention).
SOURCE_LABEL = 0.
TARGET_LABEL = 1.


def adversarial_bce_loss(d_logits: Tensor, domain_label: float) -> Tensor:
    """Binary cross-entropy of discriminator logits against one domain
    label for every output cell,

    .. math::

        L = -\\frac{1}{|\\Omega|} \\sum_{\\omega}
            [y \\log \\sigma(d_\\omega)
             + (1 - y) \\log(1 - \\sigma(d_\\omega))]

    Args:
        d_logits (Tensor): Discriminator outputs (logits), any shape.
        domain_label (float): ``y``: 0 for source (``SOURCE_LABEL``), 1 for
            target (``TARGET_LABEL``).
    """
    target = d_logits.new_full(d_logits.shape, float(domain_label))
    return F.binary_cross_entropy_with_logits(d_logits, target)


@MODELS.register_module()
class AdversarialLoss(WeightedLoss):
    """Weighted :func:`adversarial_bce_loss`.

    Used on both sides of adversarial training: the segmentor fools the
    discriminator (target maps scored against the *source* label, AdvEnt
    weights 0.001 main / 0.0002 aux), and the discriminator learns the
    domains (source maps vs 0, target maps vs 1, each halved).

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name under which the loss is logged.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_adv'):
        super().__init__(loss_weight, loss_name)

    def forward(self, d_logits: Tensor, domain_label: float) -> Tensor:
        return self.loss_weight * adversarial_bce_loss(d_logits, domain_label)
