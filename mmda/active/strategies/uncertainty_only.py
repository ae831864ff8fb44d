"""Ablation of RIPU RA: prediction uncertainty alone."""
from torch import Tensor

from mmseg.registry import TASK_UTILS
from ..region_scores import region_uncertainty
from .base_region_strategy import BaseRegionStrategy


@TASK_UTILS.register_module()
class UncertaintyOnly(BaseRegionStrategy):
    """RIPU RA with score = prediction uncertainty ``U`` only.

    ``U`` is the mean pixel entropy of the softmax over the ``(2K+1)^2``
    region around each pixel (:func:`~mmda.active.region_uncertainty`,
    normalised by ``ln C``); budget, regions and suppression are RA's
    (:class:`BaseRegionStrategy`). The ablation "w/o region impurity" of
    the RIPU paper.

    Args:
        budget_ratio (float): Labelled fraction of each image's pixels.
        radius (int): Region half-size ``K``. Defaults to 1.
    """

    def score(self, logits: Tensor, key: str, round_no: int) -> Tensor:
        return region_uncertainty(logits, self.radius)
