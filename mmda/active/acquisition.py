"""RIPU's two annotation modes for one target image.

* **Region-based annotating (RA)**: score every ``(2K+1)^2`` region by region
  impurity x prediction uncertainty, label whole regions greedily and
  suppress the ``(4K+1)^2`` window around each.
* **Pixel-based annotating (PA)**: score every pixel by its entropy x the
  region impurity of the ``(2K+1)^2`` window around it (unnormalised,
  ``K = 32``), label single pixels and suppress the window around each.

Both return the pixels to label in this round and the updated active mask;
the per-round counts come from :mod:`.budget`. These are the functional form
of the strategies :class:`~mmda.active.RegionImpurityUncertainty` and
:class:`~mmda.active.PixelImpurityUncertainty`, which the
:class:`~mmda.engine.ActiveSelectionHook` uses.
"""
from typing import Optional, Tuple

from torch import Tensor

from .region_scores import pixel_scores, region_scores
from .select_regions import select_regions


def region_annotate(logits: Tensor,
                    active: Optional[Tensor],
                    num_regions: int,
                    radius: int = 1,
                    normalizer: Optional[float] = None
                    ) -> Tuple[Tensor, Tensor]:
    """Region-based annotating (RA) of one image.

    Args:
        logits (Tensor): ``C x H x W`` logits at label resolution.
        active (Tensor, optional): ``H x W`` bool mask of the pixels active
            from earlier rounds.
        num_regions (int): Regions to label, see
            :func:`.budget.regions_per_round`.
        radius (int): Region half-size ``K``. Defaults to 1 (3 x 3).
        normalizer (float, optional): Entropy normaliser, ``ln C`` by
            default; ``math.log(19)`` reproduces the original.

    Returns:
        tuple[Tensor, Tensor]: ``selected`` (pixels to label now) and the
        updated ``active`` mask, both ``H x W`` bool.
    """
    score = region_scores(logits, radius, normalizer)[0]
    return select_regions(score, num_regions, radius, 2 * radius, active)


def pixel_annotate(logits: Tensor,
                   active: Optional[Tensor],
                   num_pixels: int,
                   radius: int = 32) -> Tuple[Tensor, Tensor]:
    """Pixel-based annotating (PA) of one image.

    Args:
        logits (Tensor): ``C x H x W`` logits at label resolution.
        active (Tensor, optional): ``H x W`` bool mask of the pixels active
            from earlier rounds.
        num_pixels (int): Pixels to label, see
            :func:`.budget.pixels_per_round`.
        radius (int): Half-size ``K`` of the impurity and suppression window.
            Defaults to 32 (65 x 65).

    Returns:
        tuple[Tensor, Tensor]: ``selected`` (pixels to label now) and the
        updated ``active`` mask, both ``H x W`` bool.
    """
    score = pixel_scores(logits, radius)[0]
    return select_regions(score, num_pixels, 0, radius, active)
