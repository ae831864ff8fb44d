import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS

from .weighted_loss import WeightedLoss


def negative_learning_loss(logits: Tensor,
                           tau: float = 0.05,
                           eps: float = 1e-6) -> Tensor:
    """RIPU's negative learning loss on unlabelled target pixels.

    With ``p = softmax(logits)``, every (pixel, class) pair whose probability
    is below the threshold ``tau`` is a *complementary label* ("this pixel is
    not class c") and is pushed further towards zero:

    .. math::

        L_{nl} = -\\frac{\\sum_{i,c} m_{ic} \\log(1 - p_{ic} + \\epsilon)}
                       {\\sum_{i,c} m_{ic}}, \\quad m_{ic} = [p_{ic} < \\tau]

    The mask is detached. Returns 0 (with a gradient path) when no pair is
    below the threshold.

    Args:
        logits (Tensor): N×C×H×W class scores (upsampled to input size).
        tau (float): Negative-learning threshold τ. Defaults to 0.05.
        eps (float): Numerical guard inside the log. Defaults to 1e-6.
    """
    prob = F.softmax(logits, dim=1)
    mask = (prob < tau).detach().to(prob.dtype)
    denom = mask.sum()
    loss = -(mask * torch.log(1 - prob + eps)).sum()
    return loss / denom.clamp(min=1.)


@MODELS.register_module()
class NegativeLearningLoss(WeightedLoss):
    """Module form of :func:`negative_learning_loss`.

    Args:
        tau (float): Negative-learning threshold τ. Defaults to 0.05.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name under which the loss is logged.
    """

    def __init__(self,
                 tau: float = 0.05,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_nl'):
        super().__init__(loss_weight, loss_name)
        if not 0. < tau < 1.:
            raise ValueError(f'NegativeLearningLoss: tau must be in (0, 1), '
                             f'got {tau}')
        self.tau = tau

    def forward(self, logits: Tensor) -> Tensor:
        return self.loss_weight * negative_learning_loss(logits, self.tau)
