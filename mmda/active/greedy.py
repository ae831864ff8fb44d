"""Reference greedy region selection: RIPU's original loop.

One full-image arg-max per selected region, exactly as in the original
``RegionSelection`` / ``PixelSelection``. It is the ground truth that the
tests and ``benchmarks/bench_select_regions.py`` compare the vectorised
:func:`.select_regions.select_regions` against; use the latter in training.
"""
import math
from typing import Optional, Tuple

from torch import Tensor

from .select_regions import prepare_selection_inputs


def greedy_select_regions(score: Tensor,
                          num_regions: int,
                          radius: int,
                          mask_radius: int,
                          active: Optional[Tensor] = None
                          ) -> Tuple[Tensor, Tensor]:
    """Select regions one at a time, one arg-max over the whole map each.

    Same signature and result as :func:`.select_regions.select_regions`.
    Ties go to the smallest row-major index (the first maximum of
    ``argmax``). The original takes a column-wise maximum first, which breaks
    ties by the smallest column instead; exact ties practically never occur
    between real-valued scores.
    """
    score, active = prepare_selection_inputs(score, num_regions, radius,
                                             mask_radius, active)
    score = score.masked_fill(active, -math.inf)  # a copy, changed below
    height, width = score.shape
    selected = active.new_zeros(height, width)
    active = active.clone()
    flat = score.view(-1)
    for _ in range(num_regions):
        index = int(flat.argmax())
        if flat[index].item() == -math.inf:
            break  # nothing selectable remains
        row, col = divmod(index, width)
        selected[max(row - radius, 0):row + radius + 1,
                 max(col - radius, 0):col + radius + 1] = True
        window = (slice(max(row - mask_radius, 0), row + mask_radius + 1),
                  slice(max(col - mask_radius, 0), col + mask_radius + 1))
        active[window] = True
        score[window] = -math.inf
    return selected, active
