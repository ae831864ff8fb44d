"""RIPU's region-based annotating (RA): region impurity x uncertainty."""
from typing import Optional

from torch import Tensor

from mmseg.registry import TASK_UTILS
from ..region_scores import region_scores
from .base_region_strategy import BaseRegionStrategy


@TASK_UTILS.register_module()
class RegionImpurityUncertainty(BaseRegionStrategy):
    """RIPU RA (Xie et al., CVPR 2022): score = region impurity ``P`` x
    prediction uncertainty ``U`` of the ``(2K+1)^2`` region around each
    pixel (:func:`~mmda.active.region_scores`).

    ``U`` is the mean pixel entropy of the softmax over the region, ``P``
    the entropy of the histogram of the predicted classes in the region.
    Picks whole regions greedily, suppressing ``(4K+1)^2`` windows, at
    :class:`BaseRegionStrategy`'s budget.

    Args:
        budget_ratio (float): Labelled fraction of each image's pixels.
        radius (int): Region half-size ``K``. Defaults to 1.
        normalizer (float, optional): Divisor of both entropies; ``None``
            is ``ln C``, ``math.log(19)`` the original's constant. It scales
            every score alike, so the picks do not depend on it.
    """

    def __init__(self,
                 budget_ratio: float = 0.022,
                 radius: int = 1,
                 normalizer: Optional[float] = None):
        super().__init__(budget_ratio, radius)
        self.normalizer = normalizer

    def score(self, logits: Tensor, key: str, round_no: int) -> Tensor:
        return region_scores(logits, self.radius, self.normalizer)[0]

    def _arguments(self) -> dict:
        return dict(super()._arguments(), normalizer=self.normalizer)
