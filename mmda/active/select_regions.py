"""Vectorised greedy region selection of RIPU.

RIPU's original selection loop (:func:`.greedy.greedy_select_regions`, the
reference) repeats, once per region: take the pixel with the highest
acquisition score, label the ``(2r+1)^2`` region around it, and suppress
(score ``-inf``, mark *active*) the ``(2m+1)^2`` window around it, with
``m = 2r`` for region-based annotating (RA). Each pick costs a full-image
arg-max, i.e. ``O(R * H * W)`` for ``R`` regions: about a second per image
for the RA budget at full Cityscapes resolution.

:func:`select_regions` returns exactly the same picks without a loop per
region. Write ``key(p) = (score(p), -flat_index(p))``, a strict total order
(the reference breaks ties by the smallest row-major index), and call two
candidates *neighbours* when their Chebyshev distance is at most ``m``
(each lies in the other's suppression window).

Candidates are the pixels with a score above ``-inf`` that are not active on
entry (as if the active pixels scored ``-inf``): active pixels are neither
picked nor suppress anything.

1. **The greedy set.** Suppression only removes candidates, so the maximum of
   the remaining candidates can only decrease: greedy picks come in strictly
   decreasing key order, and a candidate is removed only by a pick with a
   higher key. Running greedy to exhaustion therefore yields the set ``G``
   characterised by: ``v`` is in ``G`` iff no neighbour of ``v`` with a
   higher key is in ``G`` (well founded, by induction along the key order),
   and the first ``R`` greedy picks are the ``R`` highest keys of ``G``.
2. **Prefixes.** Whether ``v`` is in ``G`` depends only on candidates with
   higher keys, so greedy run on the ``T`` highest-key candidates alone
   yields exactly the members of ``G`` among them. Every candidate of the
   prefix is picked or suppressed by a pick of the prefix and a pick
   suppresses at most ``(2m+1)^2`` candidates, so a prefix of
   ``T >= R (2m+1)^2`` candidates holds at least ``R`` picks. Once a prefix
   holds ``R`` members of ``G`` they are the first ``R`` greedy picks; until
   then the prefix is doubled. The candidates already decided are not
   re-examined: the new batch of candidates has lower keys than all of them,
   so a new candidate next to an earlier pick is suppressed and, for the
   others, all neighbours from earlier batches are outside ``G``; only the
   neighbours within the new batch matter.
3. **Parallel rounds.** Within a batch of candidates, every undecided
   candidate whose higher-key neighbours are all decided (all suppressed, as
   a picked one would have suppressed it) is in ``G``: it is a local maximum
   of the undecided candidates. All of them are picked at once and their
   undecided neighbours, all of lower key, are suppressed. The highest
   undecided candidate always qualifies, so every round makes progress. The
   number of rounds is the longest chain of candidates each waiting for the
   previous one: a few to a few tens on prediction-like maps; a long smooth
   score ramp makes it grow like the ramp length / ``(m+1)`` (about 340
   rounds, 0.1 s on CPU, for a 1024-pixel ramp: still ~10x faster than the
   loop).
4. **Early termination.** Once a batch holds the ``R``-th pick it needs,
   candidates of lower key than that pick cannot change the first ``R``
   picks (they can only add picks of lower key) and are dropped.

Neighbour pairs among a batch of ``T`` candidates cost
``T min(T, (2m+1)^2)`` reads (all pairs, or the window of each candidate in a
map of the batch). Besides that map, the full-image work is a few
element-wise passes: checking the input for NaN (one maximum), gathering the
candidates above a threshold (the active pixels are dropped from those, the
score map is not copied), painting the output masks.
"""
import math
from typing import Optional, Tuple

import torch
from torch import Tensor

from .greedy import greedy_select_regions, prepare_selection_inputs

#: The first batch holds ``R * min((2m+1)^2, this)`` candidates; the bound of
#: the module docstring (``R (2m+1)^2``) is far more than most maps need
#: (RA on a prediction-like 1024 x 2048 map: the 1026th pick is the 1700th
#: candidate; on i.i.d. uniform scores the 1028th), and the batch is doubled
#: when it is not enough. The cost of a batch grows with its size (its
#: neighbour pairs), that of a doubling is one more pass over the image.
_FIRST_BATCH_PER_REGION = 2

#: ... and at least this many (small maps, few regions: one batch).
_FIRST_BATCH_MIN = 4096

#: :func:`select_regions` runs the greedy loop itself when ``R (H W + this)``
#: is at most :data:`_LOOP_MAX_WORK`: on small maps with few picks (e.g. the
#: embedded benchmark's 128 x 256 maps, 37 regions) R arg-maxes cost less
#: than the vectorised selection's fixed number of tensor operations.
_LOOP_PICK_OVERHEAD = 1 << 16
_LOOP_MAX_WORK = 1 << 22

#: Size of the strided sample used to guess the score threshold of a batch,
#: and the number of sampled entries added above it as a safety margin.
_THRESHOLD_SAMPLE = 1 << 16
_THRESHOLD_MARGIN = 32


def window_mask(centres: Tensor, height: int, width: int,
                radius: int) -> Tensor:
    """Union of the ``(2r+1)^2`` windows around ``centres``, clipped.

    Args:
        centres (Tensor): 1-D flat (row-major) pixel indices.
        height (int): Image height.
        width (int): Image width.
        radius (int): Window half-size ``r``.

    Returns:
        Tensor: ``H x W`` bool mask.
    """
    mask = torch.zeros(height * width, dtype=torch.bool,
                       device=centres.device)
    return _paint_windows(mask, centres, height, width, radius).view(
        height, width)


def _paint_windows(mask: Tensor, centres: Tensor, height: int, width: int,
                   radius: int) -> Tensor:
    """Set the clipped ``(2r+1)^2`` windows around ``centres`` in the flat
    bool ``mask`` (in place); returns ``mask``."""
    offsets = torch.arange(-radius, radius + 1, device=centres.device)
    rows = (centres // width)[:, None, None] + offsets[None, :, None]
    cols = (centres % width)[:, None, None] + offsets[None, None, :]
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    mask[(rows * width + cols)[inside]] = True
    return mask


def _top_candidates(flat: Tensor, k: int,
                    excluded: Optional[Tensor] = None) -> Tensor:
    """Flat indices of the ``k`` highest-key candidates, best first.

    Candidates are the entries above ``-inf`` that are not ``excluded``
    (flat bool mask, optional); the key is the score, ties broken by the
    smaller index. Fewer than ``k`` are returned only when there are fewer
    candidates.
    """
    # Guess a threshold with about 2k entries above it from a strided sample
    # (odd stride, so the sample does not follow a few image columns), and
    # lower it until at least k lie above; the k-th largest value is then
    # above the threshold, so every candidate of the top k (ties included)
    # is in the pool.
    stride = max(1, flat.numel() // _THRESHOLD_SAMPLE) | 1
    sample = flat[::stride]
    if excluded is not None:
        sample = sample.masked_fill(excluded[::stride], -math.inf)
    num_above = 2 * math.ceil(k / stride) + _THRESHOLD_MARGIN
    while True:
        if num_above >= sample.numel():
            threshold = -math.inf
        else:
            threshold = sample.topk(num_above, sorted=False).values.min()
        pool = (flat > threshold).nonzero().squeeze(1)
        if excluded is not None:
            pool = pool[~excluded[pool]]
        if pool.numel() >= k or threshold == -math.inf:
            break
        num_above *= 8
    values = flat[pool]
    if pool.numel() > k:
        kth = values.topk(k, sorted=False).values.min()
        keep = values > kth
        # ``pool`` is sorted by index, so the first ties have the
        # smaller indices.
        ties = (values == kth).nonzero().squeeze(1)
        keep[ties[:k - int(keep.sum())]] = True
        pool, values = pool[keep], values[keep]
    order = values.sort(descending=True, stable=True).indices
    return pool[order]


def _neighbour_pairs(batch: Tensor, height: int, width: int,
                     mask_radius: int) -> Tuple[Tensor, Tensor]:
    """Neighbouring pairs of a batch of candidates sorted by key.

    The pairs are found by comparing all pairs of candidates or by reading the
    window of every candidate in a map of the batch, whichever reads less
    (``T^2`` or ``T (2m+1)^2`` for ``T`` candidates).

    Returns:
        tuple[Tensor, Tensor]: Positions ``(higher, lower)`` in ``batch`` of
        every pair of candidates within Chebyshev distance ``mask_radius``,
        ``higher < lower`` (the first has the higher key).
    """
    device = batch.device
    rows, cols = batch // width, batch % width
    if batch.numel() < (2 * mask_radius + 1)**2:
        near = ((rows[:, None] - rows[None, :]).abs() <= mask_radius) & (
            (cols[:, None] - cols[None, :]).abs() <= mask_radius)
        lower, higher = near.tril_(-1).nonzero().unbind(1)
        return higher, lower
    # Position in the batch of every candidate on a grid padded by the
    # suppression radius (-1 elsewhere), read back around every candidate.
    padded_width = width + 2 * mask_radius
    grid = torch.full(((height + 2 * mask_radius) * padded_width, ),
                      -1,
                      dtype=torch.int32,
                      device=device)
    centre = (rows + mask_radius) * padded_width + cols + mask_radius
    position = torch.arange(batch.numel(), device=device)
    grid[centre] = position.int()
    offsets = torch.arange(-mask_radius, mask_radius + 1, device=device)
    window = (offsets[:, None] * padded_width + offsets[None, :]).flatten()
    other = grid[centre[:, None] + window[None, :]].long()
    owner = position[:, None].expand_as(other)
    is_higher = (other >= 0) & (other < owner)
    return other[is_higher], owner[is_higher]


def _greedy_batch(batch: Tensor, height: int, width: int, mask_radius: int,
                  num_picks: int) -> Tensor:
    """First ``num_picks`` greedy picks of a key-sorted batch of candidates.

    Returns:
        Tensor: Positions in ``batch`` of the picks, best first.
    """
    higher, lower = _neighbour_pairs(batch, height, width, mask_radius)
    undecided = torch.ones_like(batch, dtype=torch.bool)
    picked = torch.zeros_like(undecided)
    while True:
        # Pairs always join two undecided candidates (compacted below).
        blocked = torch.zeros_like(undecided)
        blocked[lower] = True
        new = undecided & ~blocked
        picked |= new
        undecided &= ~new
        undecided[lower[new[higher]]] = False
        picks = picked.nonzero().squeeze(1)
        if picks.numel() >= num_picks:
            undecided[int(picks[num_picks - 1]):] = False
        if not undecided.any():
            return picks[:num_picks]
        keep = undecided[higher] & undecided[lower]
        higher, lower = higher[keep], lower[keep]


def select_regions(score: Tensor,
                   num_regions: int,
                   radius: int,
                   mask_radius: int,
                   active: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """Greedy non-maximum-suppression selection of RIPU, the faster way.

    :func:`vectorised_select_regions`, or on small maps with few picks
    (``R (H W + 2^16) <= 2^22``) the greedy loop
    (:func:`.greedy.greedy_select_regions`), which is cheaper there; both
    give the same result. Arguments and result as
    :func:`vectorised_select_regions`.
    """
    if num_regions * (score.numel() + _LOOP_PICK_OVERHEAD) <= \
            _LOOP_MAX_WORK:
        return greedy_select_regions(score, num_regions, radius,
                                     mask_radius, active)
    return vectorised_select_regions(score, num_regions, radius, mask_radius,
                                     active)


def vectorised_select_regions(score: Tensor,
                              num_regions: int,
                              radius: int,
                              mask_radius: int,
                              active: Optional[Tensor] = None
                              ) -> Tuple[Tensor, Tensor]:
    """Greedy non-maximum-suppression selection of RIPU, vectorised.

    Same result as :func:`.greedy.greedy_select_regions`: repeat
    ``num_regions`` times (stopping early when no pixel with a score above
    ``-inf`` remains): take the highest remaining score (ties: smallest
    row-major index), label its ``(2*radius+1)^2`` window and suppress its
    ``(2*mask_radius+1)^2`` window (score ``-inf``, marked active). Pixels
    active on entry cannot be picked but do not suppress anything. See the
    module docstring for the algorithm and why it equals the loop.

    Args:
        score (Tensor): ``H x W`` acquisition scores (no NaN), e.g. from
            :func:`.region_scores.region_scores`.
        num_regions (int): Number of regions ``R`` to select.
        radius (int): Half-size of the labelled region.
        mask_radius (int): Half-size of the suppressed window.
        active (Tensor, optional): ``H x W`` bool mask of pixels already
            active (labelled or suppressed in earlier rounds).

    Returns:
        tuple[Tensor, Tensor]: ``selected``, the bool ``H x W`` mask of the
        pixels labelled by this call, and the updated ``active`` mask
        (``active`` or the new suppressed windows).
    """
    score, active = prepare_selection_inputs(score, num_regions, radius,
                                             mask_radius, active)
    height, width = score.shape
    flat = score.flatten()
    excluded = active.flatten() if bool(active.any()) else None
    picks = []
    num_picked = 0
    num_decided = 0
    suppressed = None
    batch_size = max(
        num_regions * min((2 * mask_radius + 1)**2, _FIRST_BATCH_PER_REGION),
        _FIRST_BATCH_MIN)
    while num_picked < num_regions:
        ranked = _top_candidates(flat, batch_size, excluded)
        batch = ranked[num_decided:]
        if suppressed is not None:
            batch = batch[~suppressed.view(-1)[batch]]
        new = batch[_greedy_batch(batch, height, width, mask_radius,
                                  num_regions - num_picked)]
        picks.append(new)
        num_picked += new.numel()
        if ranked.numel() < batch_size:
            break  # every candidate has been decided
        num_decided = ranked.numel()
        batch_size *= 2
        suppressed = window_mask(torch.cat(picks), height, width,
                                 mask_radius)
    centres = torch.cat(picks) if picks else flat.new_zeros(
        0, dtype=torch.long)
    selected = window_mask(centres, height, width, radius)
    active = _paint_windows(active.flatten().clone(), centres, height,
                            width, mask_radius)
    return selected, active.view(height, width)
