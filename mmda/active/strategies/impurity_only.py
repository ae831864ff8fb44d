"""Ablation of RIPU RA: region impurity alone."""
from torch import Tensor

from mmseg.registry import TASK_UTILS
from ..region_scores import region_impurity
from .base_region_strategy import BaseRegionStrategy


@TASK_UTILS.register_module()
class ImpurityOnly(BaseRegionStrategy):
    """RIPU RA with score = region impurity ``P`` only.

    ``P`` is the entropy of the histogram of the predicted (arg-max)
    classes over the ``(2K+1)^2`` region around each pixel
    (:func:`~mmda.active.region_impurity`, normalised by ``ln C``); budget,
    regions and suppression are RA's (:class:`BaseRegionStrategy`). The
    ablation "w/o prediction uncertainty" of the RIPU paper.

    ``P`` takes few distinct values (it depends on class counts only), so
    many regions tie; ties go to the smallest row-major index, as in every
    strategy.

    Args:
        budget_ratio (float): Labelled fraction of each image's pixels.
        radius (int): Region half-size ``K``. Defaults to 1.
    """

    def score(self, logits: Tensor, key: str, round_no: int) -> Tensor:
        return region_impurity(logits, self.radius)
