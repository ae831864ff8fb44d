"""Depth supervision of a task network (GIO-Ada's depth head, DADA's)."""
import torch
from torch import Tensor

from mmseg.registry import MODELS

from .weighted_loss import WeightedLoss

#: Depth representations a depth head can regress (``depth_repr``).
DEPTH_REPRS = ('inverse', 'log', 'metric')


def depth_representation(depth: Tensor, kind: str) -> Tensor:
    """Metric depth in metres → the representation a depth head regresses.

    * ``'inverse'``: :math:`655.36 / (d + 0.01)`, i.e. DADA's
      :math:`65536 / (d_{cm} + 1)` on depth in centimetres
      (``valeoai/DADA``, ``dada/dataset/depth.py``), 1 at 655.35 m;
    * ``'log'``: :math:`\\log d`;
    * ``'metric'``: :math:`d` itself.

    Only meaningful where ``depth > 0``; callers mask the rest.
    """
    if kind == 'inverse':
        return 655.36 / (depth + 0.01)
    if kind == 'log':
        return depth.clamp(min=1e-3).log()
    if kind == 'metric':
        return depth
    raise ValueError(f'depth representation must be one of {DEPTH_REPRS}, '
                     f'got {kind!r}')


def berhu(diff: Tensor, threshold_ratio: float = 0.2) -> Tensor:
    """Reverse Huber of absolute differences (DADA, ``dada/utils/func.py``):
    :math:`|x|` where :math:`|x| \\le c`, :math:`(x^2 + c^2) / 2c` above,
    with :math:`c` = ``threshold_ratio`` × the largest :math:`|x|` of the
    given elements (not differentiated)."""
    diff = diff.abs()
    c = (threshold_ratio * diff.max()).detach().clamp(min=1e-12)
    return torch.where(diff <= c, diff, (diff * diff + c * c) / (2 * c))


@MODELS.register_module()
class DepthLoss(WeightedLoss):
    """Masked depth regression loss: L1 or berHu, averaged over the valid
    pixels only (padding, sky and pixels without depth carry no loss).

    Args:
        mode (str): ``'l1'`` (the form of GIO-Ada's objective) or
            ``'berhu'`` (DADA's, with ``threshold_ratio`` 0.2 of the
            batch's largest error). Defaults to ``'berhu'``.
        threshold_ratio (float): berHu's :math:`c` as a fraction of the
            largest valid absolute error. Defaults to 0.2.
        loss_weight (float): :math:`\\lambda_{depth}`. Defaults to 1.0.
        loss_name (str): Name under which the loss is logged.
    """

    MODES = ('l1', 'berhu')

    def __init__(self,
                 mode: str = 'berhu',
                 threshold_ratio: float = 0.2,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_depth'):
        super().__init__(loss_weight, loss_name)
        if mode not in self.MODES:
            raise ValueError(f'DepthLoss: mode must be one of {self.MODES}, '
                             f'got {mode!r}')
        self.mode = mode
        self.threshold_ratio = threshold_ratio

    def forward(self, pred: Tensor, target: Tensor, valid: Tensor) -> Tensor:
        """``pred``, ``target``: N×1×H×W (or N×H×W) depth in the same
        representation; ``valid``: boolean mask of the same shape. No valid
        pixel gives a zero loss that still depends on ``pred``."""
        if pred.shape != target.shape or valid.shape != pred.shape:
            raise ValueError(
                f'DepthLoss: pred {tuple(pred.shape)}, target '
                f'{tuple(target.shape)} and valid {tuple(valid.shape)} must '
                'have one shape')
        if not valid.any():
            return pred.sum() * 0.
        diff = pred[valid] - target[valid]
        if self.mode == 'l1':
            loss = diff.abs()
        else:
            loss = berhu(diff, self.threshold_ratio)
        return self.loss_weight * loss.mean()
