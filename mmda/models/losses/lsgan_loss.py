from typing import Sequence, Union

from torch import Tensor

from mmseg.registry import MODELS

from .weighted_loss import WeightedLoss


def lsgan_loss(scores: Union[Tensor, Sequence[Tensor]],
               real: bool) -> Tensor:
    """Least-squares GAN loss (Mao et al., ICCV 2017) of discriminator
    scores against the real (1) or fake (0) label,

    .. math::

        L = \\sum_{k} \\tfrac12 \\mathbb{E}\\big[(D_k(x) - b)^2\\big],
        \\quad b \\in \\{0, 1\\}

    summed over the discriminator scales ``k`` (pix2pixHD sums its
    multi-scale GAN losses). TGCF-DA: :math:`L_D = \\frac12 E[(D(x_t) -
    1)^2] + \\frac12 E[D(G(x_s, x_t))^2]`, :math:`L_G^{adv} = \\frac12
    E[(D(G(x_s, x_t)) - 1)^2]`.

    Args:
        scores: One score map or a list of them (one per scale).
        real (bool): Whether the scores are compared with the real label.
    """
    if isinstance(scores, Tensor):
        scores = [scores]
    if not scores:
        raise ValueError('lsgan_loss: no discriminator scores')
    target = 1. if real else 0.
    return sum(0.5 * (s - target).pow(2).mean() for s in scores)


@MODELS.register_module()
class LSGANLoss(WeightedLoss):
    """Module form of :func:`lsgan_loss`.

    Args:
        loss_weight (float): Factor on the loss. Defaults to 1.0.
        loss_name (str): Name under which the loss is logged.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_gan'):
        super().__init__(loss_weight, loss_name)

    def forward(self, scores, real: bool) -> Tensor:
        return self.loss_weight * lsgan_loss(scores, real)
