"""Annotation budgets of RIPU's selection rounds.

The budget of an image is split equally over the selection rounds (five in
RIPU, at iterations 10k, 12k, 14k, 16k and 18k).
"""
import math
from typing import Tuple


def regions_per_round(height: int, width: int, ratio: float,
                      num_rounds: int, radius: int) -> int:
    """Regions to select per image and round, region-based annotating.

    ``ceil(H * W * ratio / num_rounds / (2K+1)^2)``: the share ``ratio`` of
    the image's pixels (e.g. 0.022 or 0.05), split over the rounds, in
    ``(2K+1)^2`` regions. Regions overlap earlier labels at their borders, so
    fewer pixels than this are newly labelled. Evaluated in floating point in
    the original's order (``H * W * (ratio / num_rounds) / (2K+1)^2``) so that
    the counts match it, e.g. 1026 regions for 1024 x 2048, 2.2 %, 5 rounds,
    ``K = 1``.
    """
    if min(height, width, num_rounds) <= 0 or radius < 0 or ratio < 0:
        raise ValueError('expected a positive size and number of rounds and '
                         'a non-negative ratio and radius')
    return math.ceil(height * width * (ratio / num_rounds) /
                     (2 * radius + 1)**2)


def region_budget(height: int, width: int, ratio: float, num_rounds: int,
                  radius: int) -> int:
    """Pixels an image may have labelled after all rounds of region-based
    annotating: every round labels :func:`regions_per_round` whole
    ``(2K+1)^2`` regions, the last round included (the original caps no
    round), so the total may exceed ``floor(H * W * ratio)`` by less than a
    region per round: 5 x 1026 x 9 = 46170 pixels for 1024 x 2048, 2.2 %,
    5 rounds, ``K = 1`` (``floor`` gives 46137).
    """
    return num_rounds * regions_per_round(height, width, ratio, num_rounds,
                                          radius) * (2 * radius + 1)**2


def pixels_per_round(height: int,
                     width: int,
                     pixels_per_image: int,
                     num_rounds: int,
                     reference_size: Tuple[int, int] = (640, 1280)) -> int:
    """Pixels to select per image and round, pixel-based annotating.

    RIPU's budget is ``pixels_per_image`` (40) pixels per image at the
    training resolution ``reference_size`` (640 x 1280, height first),
    rescaled by area to the resolution the selection scores (the full label
    resolution) and split over the rounds:
    ``ceil(pixels_per_image * H * W / (h_ref * w_ref) / num_rounds)``.

    For Cityscapes (1024 x 2048), 40 pixels and 5 rounds this is
    ``ceil(8 * 2.56) = ceil(20.48) = 21`` per round, as in the original,
    which evaluates ``ceil(40 / 5 / (1280 * 640) * (2048 * 1024))`` in
    floating point with the full resolution hard-coded. Here the image's own
    size is used and the arithmetic is exact (integers), so a budget that is
    a whole number, e.g. 8 per round at the reference size itself, is not
    rounded up by floating-point noise.
    """
    ref_height, ref_width = reference_size
    if min(height, width, num_rounds, ref_height, ref_width) <= 0 or \
            pixels_per_image < 0:
        raise ValueError('expected positive sizes and number of rounds and '
                         'a non-negative number of pixels')
    numerator = pixels_per_image * height * width
    denominator = num_rounds * ref_height * ref_width
    return -(-numerator // denominator)
