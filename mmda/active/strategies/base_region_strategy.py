"""Region-based annotating: RIPU RA's budget and region shape."""
from typing import Tuple

from ..budget import region_budget, regions_per_round
from .base_strategy import BaseAcquisitionStrategy


class BaseRegionStrategy(BaseAcquisitionStrategy):
    """Strategies that label ``(2K+1)^2`` regions, RIPU RA's budget.

    Every image gets ``budget_ratio`` of its pixels labelled, split
    equally over the rounds, in regions of half-size ``K = radius``:
    ``ceil(H * W * budget_ratio / rounds / (2K+1)^2)`` regions every round
    (:func:`~mmda.active.regions_per_round`), the last one not capped, as
    released, so the image budget is every round's whole regions
    (:func:`~mmda.active.budget.region_budget`, e.g. 5 x 1026 regions for
    1024 x 2048 at 2.2 %); each picked region suppresses the ``(4K+1)^2``
    window around it. The subclasses differ
    only in the score, so ablations against RIPU's score run at the same
    budget with the same regions and suppression.

    Args:
        budget_ratio (float): Labelled fraction of each image's pixels after
            all rounds, in (0, 1] (RIPU: 0.022 or 0.05).
        radius (int): Region half-size ``K``. Defaults to 1 (3 x 3
            regions, 5 x 5 suppression windows).
    """

    def __init__(self, budget_ratio: float = 0.022, radius: int = 1):
        if isinstance(budget_ratio, bool) or not isinstance(
                budget_ratio, (int, float)) or not 0. < budget_ratio <= 1.:
            raise ValueError(f'{type(self).__name__}: budget_ratio must be '
                             f'in (0, 1], got {budget_ratio!r}')
        if not isinstance(radius, int) or radius < 0:
            raise ValueError(f'{type(self).__name__}: radius must be a '
                             f'non-negative int, got {radius!r}')
        super().__init__(label_radius=radius, mask_radius=2 * radius)
        self.budget_ratio = budget_ratio
        self.radius = radius

    def ledger_budget(self, num_rounds: int) -> dict:
        return dict(
            budget_ratio=self.budget_ratio,
            budget_regions=dict(num_rounds=num_rounds, radius=self.radius))

    def picks_per_round(self, shape: Tuple[int, int],
                        num_rounds: int) -> int:
        return regions_per_round(shape[0], shape[1], self.budget_ratio,
                                 num_rounds, self.radius)

    def image_budget(self, shape: Tuple[int, int], num_rounds: int) -> int:
        # the active-label ledger's budget_of (ledger_budget)
        return region_budget(shape[0], shape[1], self.budget_ratio,
                             num_rounds, self.radius)

    def _arguments(self) -> dict:
        return dict(budget_ratio=self.budget_ratio, radius=self.radius)
