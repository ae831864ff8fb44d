"""Reference greedy region selection: RIPU's original loop.

One full-image arg-max per selected region, exactly as in the original
``RegionSelection`` / ``PixelSelection``. It is the ground truth that the
tests and ``benchmarks/bench_select_regions.py`` compare the vectorised
:func:`.select_regions.vectorised_select_regions` against;
:func:`.select_regions.select_regions` runs the one that is faster for the
map and number of picks.
"""
import math
from typing import Optional, Tuple

import torch
from torch import Tensor


def prepare_selection_inputs(score: Tensor, num_regions: int, radius: int,
                             mask_radius: int, active: Optional[Tensor]
                             ) -> Tuple[Tensor, Tensor]:
    """Validate the arguments shared by the selection functions.

    Returns:
        tuple[Tensor, Tensor]: ``score`` as float32 or float64 (not a copy
        when it is one already; the active pixels are *not* masked) and
        ``active`` as a bool tensor.
    """
    if score.dim() != 2 or not score.is_floating_point():
        raise ValueError('score must be a floating-point H x W tensor, got '
                         f'{tuple(score.shape)} {score.dtype}')
    for name, value in (('num_regions', num_regions), ('radius', radius),
                        ('mask_radius', mask_radius)):
        if value < 0:
            raise ValueError(f'{name} must be non-negative, got {value}')
    # one pass: a NaN anywhere makes the maximum NaN
    if score.numel() and torch.isnan(score.max()):
        raise ValueError('score contains NaN')
    if active is None:
        active = torch.zeros_like(score, dtype=torch.bool)
    elif active.shape != score.shape or active.dtype != torch.bool:
        raise ValueError('active must be a bool tensor shaped like score, '
                         f'got {tuple(active.shape)} {active.dtype}')
    if score.dtype != torch.float64:
        score = score.float()
    return score, active


def greedy_select_regions(score: Tensor,
                          num_regions: int,
                          radius: int,
                          mask_radius: int,
                          active: Optional[Tensor] = None
                          ) -> Tuple[Tensor, Tensor]:
    """Select regions one at a time, one arg-max over the whole map each.

    Same signature and result as
    :func:`.select_regions.vectorised_select_regions`.
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
