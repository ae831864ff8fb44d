from typing import Optional

import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS

from .weighted_loss import WeightedLoss


def consistency_loss(student_logits: Tensor,
                     teacher_logits: Tensor,
                     mask: Optional[Tensor] = None) -> Tensor:
    """Self-ensembling's consistency: the mean squared difference of the
    student's and the teacher's softmax probability maps,

    .. math::

        L_{con} = \\frac{1}{N H W K} \\sum_{n,h,w} m_{n,h,w}
                  \\sum_k \\big(\\sigma(f_S(\\tilde x))_k
                  - \\sigma(f_T(\\hat x))_k\\big)^2

    (French et al., ICLR 2018, ``Britefury/self-ensemble-visual-domain-
    adapt`` ``experiment_domainadapt_meanteacher.py``: squared difference
    averaged over the classes, then over the samples; TGCF-DA, Choi et al.
    ICCV 2019 §3.4). The teacher's probabilities are constants (detached).

    Args:
        student_logits (Tensor): N×K×H×W class scores of the student.
        teacher_logits (Tensor): N×K×H×W class scores of the teacher.
        mask (Tensor, optional): N×H×W weights of the pixels (French et
            al.'s teacher-confidence mask); all ones when omitted. The mean
            is over all pixels, masked or not, as in French et al.
    """
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            'consistency_loss: student and teacher maps differ in shape: '
            f'{tuple(student_logits.shape)} vs '
            f'{tuple(teacher_logits.shape)}')
    diff = (F.softmax(student_logits, dim=1) -
            F.softmax(teacher_logits.detach(), dim=1)).pow(2).mean(dim=1)
    if mask is not None:
        diff = diff * mask
    return diff.mean()


def confidence_mask(teacher_logits: Tensor, threshold: float) -> Tensor:
    """N×H×W mask of the pixels where the teacher's top softmax
    probability is at least ``threshold`` (French et al.: 0.968)."""
    probs = F.softmax(teacher_logits.detach(), dim=1)
    return (probs.max(dim=1).values >= threshold).to(teacher_logits.dtype)


@MODELS.register_module()
class ConsistencyLoss(WeightedLoss):
    """Module form of :func:`consistency_loss`.

    Args:
        loss_weight (float): δ_con. Defaults to 3.0 (French et al.'s and
            SE-GAN's weight; TGCF-DA's value is not published).
        conf_thresh (float, optional): Teacher-confidence threshold of the
            mask (French et al.: 0.968); ``None`` (default) for no mask.
        loss_name (str): Name under which the loss is logged.
    """

    def __init__(self,
                 loss_weight: float = 3.0,
                 conf_thresh: Optional[float] = None,
                 loss_name: str = 'loss_con'):
        super().__init__(loss_weight, loss_name)
        if conf_thresh is not None and not 0. < conf_thresh <= 1.:
            raise ValueError('ConsistencyLoss: conf_thresh must be in '
                             f'(0, 1] or None, got {conf_thresh!r}')
        self.conf_thresh = conf_thresh

    def forward(self,
                student_logits: Tensor,
                teacher_logits: Tensor,
                weight: float = 1.0) -> Tensor:
        """``weight`` is the ramp-up factor of the iteration."""
        mask = None if self.conf_thresh is None else confidence_mask(
            teacher_logits, self.conf_thresh)
        return self.loss_weight * weight * consistency_loss(
            student_logits, teacher_logits, mask)
