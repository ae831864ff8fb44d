import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS

from .weighted_loss import WeightedLoss


def thresholded_lsr_loss(logits: Tensor, tau: float = 10.) -> Tensor:
    """PLCA's label-smoothing regulariser with its threshold τ.

    Per pixel, ``l = −(1/K) Σ_c log p_c`` is the cross-entropy of the
    prediction to the uniform distribution (up to a constant); the loss is

    .. math::

        L_{lsr} = \\operatorname{mean}_{pixels}
            \\big(\\operatorname{sg}(l / \\tau - 1) \\cdot l\\big)

    whose gradient is that of ``(l − τ)² / (2τ)``: a two-sided pull of
    ``l`` toward τ, which smooths over-confident pixels (``l > τ``) and
    sharpens the others. ``tau <= 0`` gives the plain ``mean(l)``.
    (Official code: ``kgl-prml/Pixel-Level-Cycle-Association``,
    ``solver/utils.py::LSR``.)

    Args:
        logits (Tensor): N×K×H×W class scores.
        tau (float): The threshold τ (10 in PLCA).
    """
    lsr = -F.log_softmax(logits, dim=1).mean(dim=1)
    if tau > 0:
        return ((lsr / tau - 1.).detach() * lsr).mean()
    return lsr.mean()


@MODELS.register_module()
class ThresholdedLSRLoss(WeightedLoss):
    """Module form of :func:`thresholded_lsr_loss` (PLCA, Kang et al.,
    NeurIPS 2020; applied to the source and the target logits, 0.01 each).

    Args:
        tau (float): The threshold τ. Defaults to 10.
        loss_weight (float): Weight of the loss. Defaults to 0.01.
        loss_name (str): Name under which the loss is logged.
    """

    def __init__(self,
                 tau: float = 10.,
                 loss_weight: float = 0.01,
                 loss_name: str = 'loss_lsr'):
        super().__init__(loss_weight, loss_name)
        self.tau = tau

    def forward(self, logits: Tensor) -> Tensor:
        return self.loss_weight * thresholded_lsr_loss(logits, self.tau)
