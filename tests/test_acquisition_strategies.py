"""RIPU's RA and PA picks through the active-selection hook, pinned before
acquisition is refactored into strategies."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from mmda.active.label_ledger import ACTIVE, UNTOUCHED
from mmda.engine.hooks.active_selection_hook import ActiveSelectionHook

pytestmark = pytest.mark.usefixtures('torch_one_thread')

C, H, W = 5, 24, 32


def smooth_logits(seed, num_classes=C, size=(H, W)):
    generator = torch.Generator().manual_seed(seed)
    coarse = 3 * torch.randn(1, num_classes, size[0] // 4, size[1] // 4,
                             generator=generator)
    return F.interpolate(coarse, size=size, mode='bilinear',
                         align_corners=False)[0]


def ground_truth():
    rows, cols = np.mgrid[:H, :W]
    return ((rows + 2 * cols) % C).astype(np.uint8)


def windows(centres, radius, shape=(H, W)):
    mask = np.zeros(shape, bool)
    for row, col in centres:
        mask[max(row - radius, 0):row + radius + 1,
             max(col - radius, 0):col + radius + 1] = True
    return mask


# ----------------------------------------------------------------------------
# (a) RIPU's RA and PA, pinned
# ----------------------------------------------------------------------------
# Two rounds on one 24 x 32 image, logits smooth_logits(0) then (1); the
# picks of round 1 are labelled from ground_truth() before round 2.
# RA: budget 10 % (76 pixels), ceil(768 * 0.05 / 9) = 5 regions per round;
# round 1 labels 42 pixels (the region at (21, 0) is clipped to 6), round 2
# has 34 left, room for 3 regions.
RA_PINNED = [
    [(17, 20), (19, 15), (6, 3), (3, 16), (21, 0)],
    [(6, 8), (19, 27), (20, 9)],
]
# PA: 6 pixels per image at 24 x 32 (3 per round), 9 x 9 windows (K = 4).
PA_PINNED = [
    [(12, 12), (19, 24), (18, 15)],
    [(6, 8), (8, 17), (15, 3)],
]

RA_LEGACY = dict(budget_ratio=0.1)
PA_LEGACY = dict(mode='pixel', pixels_per_image=6, pa_radius=4,
                 pa_reference_size=(H, W))


def make_hook(num_rounds=2, **kwargs):
    init_default_scope('mmseg')
    hook = ActiveSelectionHook(
        dataloader=dict(), select_iters=list(range(1, num_rounds + 1)),
        **kwargs)
    hook.ledger = hook._new_ledger(C)
    return hook


def run_rounds(hook, seeds, olds):
    """(new map, selected) of each round; the selection is labelled from
    the ground truth and the round closed before the next; the ledger map
    after each round is appended to ``olds``."""
    results = []
    for round_no, seed in enumerate(seeds, 1):
        new, selected = hook.select_pixels('img', smooth_logits(seed))
        results.append((new, selected))
        labelled = new.copy()
        labelled[selected] = ground_truth()[selected]
        hook.ledger.close_round(round_no,
                                hook.ledger.update('img', labelled))
        olds.append(hook.ledger.get('img'))
    return results


@pytest.mark.parametrize(
    'kwargs, pinned, radius, mask_radius',
    [(RA_LEGACY, RA_PINNED, 1, 2), (PA_LEGACY, PA_PINNED, 0, 4)],
    ids=['ra-legacy', 'pa-legacy'])
def test_ripu_picks_are_pinned(kwargs, pinned, radius, mask_radius):
    hook = make_hook(**kwargs)
    olds = [np.full((H, W), UNTOUCHED, np.uint8)]
    results = run_rounds(hook, [0, 1], olds)
    for (new, selected), centres, old in zip(results, pinned, olds):
        assert np.array_equal(selected,
                              windows(centres, radius) & (old >= ACTIVE))
        want = old.copy()
        want[windows(centres, mask_radius) & (old == UNTOUCHED)] = ACTIVE
        assert np.array_equal(new, want)
    assert hook.ledger.labelled_pixels('img') == (69 if radius else 6)
