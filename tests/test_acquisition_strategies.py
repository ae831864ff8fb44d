"""Acquisition strategies (``mmda.active.strategies``) and the hook's use
of them.

(a) RIPU's RA and PA picks through the hook are pinned: the centres below
    were computed with the hook before strategies existed (legacy keys
    ``mode`` / ``budget_ratio`` / ...); the legacy keys and the explicit
    ``strategy=dict(...)`` reproduce them.
(b) The ablations (random regions, uncertainty only, impurity only) pick
    exactly RA's number of 3 x 3 regions with RA's suppression, on the
    scores they claim; random regions are reproducible per seed, round and
    image and do not depend on the process's random state.
(c) With each strategy the hook runs a selection round on the tiny
    sim2real benchmark (a real runner, the configs of ``configs/ripu``).
"""
import math
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from mmseg.registry import TASK_UTILS

from conftest import REPO
from mmda.active import (ActiveLabelLedger, ImpurityOnly,
                         PixelImpurityUncertainty, RandomRegions,
                         RegionImpurityUncertainty, UncertaintyOnly,
                         greedy_select_regions, pixel_scores,
                         region_impurity, region_scores, region_uncertainty,
                         regions_per_round)
from mmda.active.label_ledger import ACTIVE, UNTOUCHED
from mmda.engine.hooks.active_selection_hook import (ActiveSelectionHook,
                                                     strategy_of_legacy_keys)

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
# RA: budget 10 %, ceil(768 * 0.05 / 9) = 5 regions every round, as
# released (no cap at floor(768 * 0.1) = 76 pixels: the budget is 2 x 5
# whole regions, 90 pixels); round 1 labels 42 pixels (the region at
# (21, 0) is clipped to 6), round 2 45.
RA_PINNED = [
    [(17, 20), (19, 15), (6, 3), (3, 16), (21, 0)],
    [(6, 8), (19, 27), (20, 9), (20, 19), (19, 24)],
]
# PA: 6 pixels per image at 24 x 32 (3 per round), 9 x 9 windows (K = 4).
PA_PINNED = [
    [(12, 12), (19, 24), (18, 15)],
    [(6, 8), (8, 17), (15, 3)],
]

RA_LEGACY = dict(budget_ratio=0.1)
RA_STRATEGY = dict(strategy=dict(
    type='RegionImpurityUncertainty', budget_ratio=0.1, radius=1))
PA_LEGACY = dict(mode='pixel', pixels_per_image=6, pa_radius=4,
                 pa_reference_size=(H, W))
PA_STRATEGY = dict(strategy=dict(
    type='PixelImpurityUncertainty', pixels_per_image=6, radius=4,
    reference_size=(H, W)))


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
    [(RA_LEGACY, RA_PINNED, 1, 2), (RA_STRATEGY, RA_PINNED, 1, 2),
     (PA_LEGACY, PA_PINNED, 0, 4), (PA_STRATEGY, PA_PINNED, 0, 4)],
    ids=['ra-legacy', 'ra-strategy', 'pa-legacy', 'pa-strategy'])
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
    assert hook.ledger.labelled_pixels('img') == (87 if radius else 6)


def test_legacy_keys_name_ripus_strategies():
    assert strategy_of_legacy_keys() == dict(
        type='RegionImpurityUncertainty')
    assert strategy_of_legacy_keys(
        'region', budget_ratio=0.05, radius=2, normalizer=None) == dict(
            type='RegionImpurityUncertainty', budget_ratio=0.05, radius=2)
    assert strategy_of_legacy_keys(
        'pixel', pixels_per_image=40, pa_radius=4,
        pa_reference_size=(640, 1280)) == dict(
            type='PixelImpurityUncertainty', pixels_per_image=40, radius=4,
            reference_size=(640, 1280))
    hook = make_hook()
    assert hook.strategy.config() == dict(
        type='RegionImpurityUncertainty', budget_ratio=0.022, radius=1,
        normalizer=None)
    assert make_hook(mode='pixel').strategy.config() == dict(
        type='PixelImpurityUncertainty', pixels_per_image=40, radius=32,
        reference_size=(640, 1280))
    with pytest.raises(ValueError, match="pa_radius do.es. not apply to "
                       "mode='region'"):
        make_hook(pa_radius=4)
    with pytest.raises(ValueError, match='budget_ratio, radius do.es. not '
                       "apply to mode='pixel'"):
        make_hook(mode='pixel', budget_ratio=0.05, radius=1)
    with pytest.raises(ValueError, match='not both.*budget_ratio'):
        make_hook(strategy=dict(type='RandomRegions'), budget_ratio=0.05)
    with pytest.raises(TypeError, match='ActiveSelectionHook: strategy '
                       'SimulatedAnnotator is no acquisition strategy'):
        make_hook(strategy=dict(type='SimulatedAnnotator'))
    with pytest.raises(TypeError, match='annotator RandomRegions is no '
                       'annotator'):
        make_hook(annotator=dict(type='RandomRegions'))
    with pytest.raises(KeyError, match='NoSuchStrategy'):
        make_hook(strategy=dict(type='NoSuchStrategy'))


def test_strategy_arguments_are_checked():
    for bad in (0., 1.5, -0.1, True, '0.02'):
        with pytest.raises(ValueError, match='RandomRegions: budget_ratio'):
            RandomRegions(budget_ratio=bad)
    with pytest.raises(ValueError, match='UncertaintyOnly: radius'):
        UncertaintyOnly(radius=-1)
    with pytest.raises(ValueError, match='RandomRegions: seed'):
        RandomRegions(seed=-1)
    with pytest.raises(ValueError, match='pixels_per_image'):
        PixelImpurityUncertainty(pixels_per_image=-1)
    with pytest.raises(ValueError, match='reference_size'):
        PixelImpurityUncertainty(reference_size=(0, 10))


# ----------------------------------------------------------------------------
# (b) the ablations
# ----------------------------------------------------------------------------
REGION_TYPES = ['RegionImpurityUncertainty', 'RandomRegions',
                'UncertaintyOnly', 'ImpurityOnly']


def greedy_centres(score, active, num_picks, mask_radius):
    """The reference loop, returning its centres."""
    score = score.double().masked_fill(active, -math.inf)
    width = score.shape[1]
    centres = []
    for _ in range(num_picks):
        index = int(score.view(-1).argmax())
        if score.view(-1)[index] == -math.inf:
            break
        row, col = divmod(index, width)
        centres.append((row, col))
        score[max(row - mask_radius, 0):row + mask_radius + 1,
              max(col - mask_radius, 0):col + mask_radius + 1] = -math.inf
    return centres


@pytest.mark.parametrize('typ', REGION_TYPES)
def test_region_strategies_share_ras_budget_and_shape(typ):
    strategy = TASK_UTILS.build(dict(type=typ, budget_ratio=0.022, radius=1))
    assert (strategy.label_radius, strategy.mask_radius) == (1, 2)
    assert strategy.pick_area == 9
    assert strategy.ledger_budget(5) == dict(
        budget_ratio=0.022, budget_regions=dict(num_rounds=5, radius=1))
    assert strategy.picks_per_round((1024, 2048), 5) == 1026
    # every round's whole regions, as released: 5 x 1026 x 9, not
    # floor(1024 * 2048 * 0.022) = 46137
    assert strategy.image_budget((1024, 2048), 5) == 46170
    ledger = ActiveLabelLedger(19, **strategy.ledger_budget(5))
    assert ledger.budget_of((1024, 2048)) == 46170
    assert strategy.image_budget(
        (128, 256), 5) == ledger.budget_of((128, 256)) == 5 * 17 * 9
    # every round gets its regions, the last one too (no cap) ...
    for labelled in range(5):
        assert strategy.num_picks((128, 256), 5, labelled * 17 * 9) == 17
    # ... and only a run that labelled more than its rounds can is capped
    # (in whole regions)
    assert strategy.num_picks((128, 256), 5, 765 - 100) == 11  # 100 left
    assert strategy.num_picks((128, 256), 5, 765) == 0


@pytest.mark.parametrize('typ', REGION_TYPES)
def test_region_strategies_pick_the_budget(typ):
    # 19 classes, 64 x 96, 2.2 % in one round: ceil(6144 * 0.022 / 9) = 16
    # regions, on an image with an earlier round's active pixels
    shape = (64, 96)
    logits = smooth_logits(7, 19, shape)
    strategy = TASK_UTILS.build(dict(type=typ, budget_ratio=0.022, radius=1))
    num_picks = strategy.picks_per_round(shape, 1)
    assert num_picks == regions_per_round(64, 96, 0.022, 1, 1) == 16
    generator = torch.Generator().manual_seed(8)
    active = torch.from_numpy(windows(
        [tuple(int(v) for v in torch.randint(0, 64, (2, ),
                                             generator=generator))
         for _ in range(6)], 2, shape))
    selected, new_active = strategy.select(logits, active, num_picks,
                                           'img', 1)
    score = strategy.score(logits, 'img', 1)
    centres = greedy_centres(score, active, num_picks, 2)
    # exactly the budget's number of picks, none centred on an active pixel,
    # no two within each other's 5 x 5 suppression window
    assert len(centres) == num_picks
    assert not any(active[c] for c in centres)
    assert all(max(abs(a[0] - b[0]), abs(a[1] - b[1])) > 2
               for i, a in enumerate(centres) for b in centres[:i])
    # 3 x 3 regions labelled, 5 x 5 windows made active
    assert np.array_equal(selected.numpy(), windows(centres, 1, shape))
    assert np.array_equal(new_active.numpy(),
                          active.numpy() | windows(centres, 2, shape))
    expected = greedy_select_regions(score, num_picks, 1, 2, active)
    assert torch.equal(selected, expected[0])
    assert torch.equal(new_active, expected[1])


def test_ablation_scores_are_u_and_p():
    logits = smooth_logits(9, 19, (32, 48))
    _, impurity, uncertainty = region_scores(logits, 1)
    assert torch.equal(UncertaintyOnly().score(logits, 'k', 1), uncertainty)
    assert torch.equal(
        UncertaintyOnly().score(logits, 'k', 1), region_uncertainty(logits,
                                                                    1))
    assert torch.equal(ImpurityOnly().score(logits, 'k', 1), impurity)
    assert torch.equal(
        ImpurityOnly(radius=2).score(logits, 'k', 1),
        region_impurity(logits, 2))
    assert torch.equal(
        RegionImpurityUncertainty().score(logits, 'k', 1),
        impurity * uncertainty)
    assert torch.equal(
        PixelImpurityUncertainty(radius=4).score(logits, 'k', 1),
        pixel_scores(logits, 4)[0])


def test_uncertainty_only_picks_by_hand():
    # 2 classes, 7 x 11. Every pixel is certain (logits 100 : 0, entropy
    # -ln(1 + 1e-6) ~ 0) but a 3 x 3 block centred at (3, 2) and the pixel
    # (3, 8), which are uniform (entropy ~1). U of the window around (3, 2)
    # is ~1, the maximum; its 5 x 5 suppression covers every other window
    # that meets the block. The 9 windows holding (3, 8) then tie at ~1/9:
    # the smallest row-major index, (2, 7), goes first.
    logits = torch.zeros(2, 7, 11)
    logits[0] = 100.
    logits[0, 2:5, 1:4] = 0.
    logits[0, 3, 8] = 0.
    # 20 % of 77 pixels: ceil(15.4 / 9) = 2 regions
    strategy = UncertaintyOnly(budget_ratio=0.2, radius=1)
    assert strategy.picks_per_round((7, 11), 1) == 2
    score = strategy.score(logits, 'k', 1)
    assert score[3, 2] == score.max()
    assert torch.allclose(score[2:5, 7:10], score[2, 7].expand(3, 3))
    selected, active = strategy.select(logits, None, 2, 'k', 1)
    assert np.array_equal(selected.numpy(),
                          windows([(3, 2), (2, 7)], 1, (7, 11)))
    assert np.array_equal(active.numpy(),
                          windows([(3, 2), (2, 7)], 2, (7, 11)))
    expected = greedy_select_regions(score, 2, 1, 2)
    assert torch.equal(selected, expected[0])
    assert torch.equal(active, expected[1])


def test_random_regions_follow_the_run_seed_unless_fixed():
    logits = smooth_logits(3, 19, (64, 96))

    def picks(strategy):
        return strategy.select(logits, None, 16, 'a', 1)[0]

    following = RandomRegions()
    assert following.seed == 0  # used on its own: seed 0
    assert torch.equal(picks(following), picks(RandomRegions(seed=0)))
    following.bind_run_seed(5)
    assert following.seed == 5
    assert following.config()['seed'] == 5  # what a checkpoint records
    assert torch.equal(picks(following), picks(RandomRegions(seed=5)))
    fixed = RandomRegions(seed=0)
    fixed.bind_run_seed(5)
    assert fixed.seed == 0
    with pytest.raises(ValueError, match=r"RandomRegions: the run's seed "
                       r"\(randomness.seed\) must be a non-negative int, "
                       "got -1"):
        RandomRegions().bind_run_seed(-1)
    # strategies without draws of their own take no seed
    strategy = RegionImpurityUncertainty()
    strategy.bind_run_seed(5)
    assert 'seed' not in strategy.config()


def test_random_regions_are_reproducible_per_seed():
    logits = smooth_logits(3, 19, (64, 96))

    def picks(strategy, key='a', round_no=1):
        return strategy.select(logits, None, 16, key, round_no)[0]

    first = picks(RandomRegions(seed=0))
    # the process's random state does not matter (a resumed run)
    torch.manual_seed(123)
    np.random.seed(5)
    torch.rand(1000)
    assert torch.equal(picks(RandomRegions(seed=0)), first)
    # another seed, image or round: other regions
    for other in (picks(RandomRegions(seed=1)), picks(RandomRegions(), 'b'),
                  picks(RandomRegions(), round_no=2)):
        assert not torch.equal(other, first)
    # the score: uniform in [0, 1), whatever the logits
    score = RandomRegions(seed=0).score(logits, 'a', 1)
    assert torch.equal(score, RandomRegions(seed=0).score(
        torch.randn_like(logits), 'a', 1))
    assert score.dtype == torch.float64 and 0 <= score.min() < \
        score.max() < 1
    # 16 regions picked greedily on it; the first three pinned (a change of
    # the seeding changes the ablation's regions)
    centres = greedy_centres(score, torch.zeros(64, 96, dtype=torch.bool),
                             16, 2)
    assert len(centres) == 16
    assert np.array_equal(first.numpy(), windows(centres, 1, (64, 96)))
    assert centres[:3] == RANDOM_PINNED


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
@pytest.mark.parametrize('typ', REGION_TYPES)
def test_strategies_on_cuda(typ):
    logits = smooth_logits(11, 19, (128, 256))
    strategy = TASK_UTILS.build(dict(type=typ, budget_ratio=0.022, radius=1))
    score = strategy.score(logits, 'k', 1)
    on_cuda = strategy.score(logits.cuda(), 'k', 1)
    assert on_cuda.is_cuda
    torch.testing.assert_close(on_cuda.cpu(), score)
    if typ == 'RandomRegions':  # drawn on the CPU: the same regions
        cpu = strategy.select(logits, None, 41, 'k', 1)
        cuda = strategy.select(logits.cuda(), None, 41, 'k', 1)
        assert torch.equal(cuda[0].cpu(), cpu[0])
        assert torch.equal(cuda[1].cpu(), cpu[1])


# ----------------------------------------------------------------------------
# (c) a round on tiny data with each strategy
# ----------------------------------------------------------------------------
RANDOM_PINNED = [(15, 74), (0, 81), (8, 37)]
NUM_TARGET = 8
SMALL = '_deeplabv2-small_sim2real-gta5-to-cityscapes.py'
STRATEGY_CONFIGS = {
    'RegionImpurityUncertainty': 'ripu_ra-2.2' + SMALL,
    'PixelImpurityUncertainty': 'ripu_pa' + SMALL,
    'RandomRegions': 'ripu-ablation-random_ra-2.2' + SMALL,
    'UncertaintyOnly': 'ripu-ablation-uncertainty_ra-2.2' + SMALL,
    'ImpurityOnly': 'ripu-ablation-impurity_ra-2.2' + SMALL,
}


@pytest.mark.parametrize('typ', ['RandomRegions', 'UncertaintyOnly',
                                 'ImpurityOnly'])
def test_ablation_configs_differ_from_ra_by_the_strategy(typ):
    from mmengine.config import Config

    def load(typ):
        return Config.fromfile(
            osp.join(REPO, 'configs', 'ripu', STRATEGY_CONFIGS[typ])).to_dict()

    ra, ablation = load('RegionImpurityUncertainty'), load(typ)
    ra_hook, = ra.pop('custom_hooks')
    hook, = ablation.pop('custom_hooks')
    assert ablation == ra
    strategy = hook.pop('strategy')
    legacy = {k: ra_hook.pop(k) for k in ('mode', 'budget_ratio', 'radius')}
    assert hook == ra_hook
    assert strategy_of_legacy_keys(**legacy) == dict(
        type='RegionImpurityUncertainty', budget_ratio=0.022, radius=1)
    assert strategy == dict(type=typ, budget_ratio=0.022, radius=1,
                            **(dict(seed=None) if typ == 'RandomRegions'
                               else {}))


@pytest.mark.slow
@pytest.mark.parametrize('typ', list(STRATEGY_CONFIGS))
def test_hook_runs_a_round_with_each_strategy(typ, sim2real_tiny, tmp_path,
                                              monkeypatch):
    from mmda.apis import build_runner_from_args
    monkeypatch.chdir(sim2real_tiny)  # the configs' data_root
    runner = build_runner_from_args(
        osp.join(REPO, 'configs', 'ripu', STRATEGY_CONFIGS[typ]),
        work_dir=str(tmp_path),
        cfg_options={
            'custom_hooks.0.select_iters': [2, 4],
            'custom_hooks.0.dataloader.num_workers': 0,
            'train_dataloader.num_workers': 0,
            'train_dataloader.persistent_workers': False,
            'randomness.seed': 7,
        })
    hook, = (h for h in runner.hooks if isinstance(h, ActiveSelectionHook))
    assert type(hook.strategy).__name__ == typ
    hook.before_train(runner)
    if typ == 'RandomRegions':
        # its draws follow the run's seed (the config gives none)
        assert hook.strategy.seed == runner.seed == 7
    hook.run_round(runner, 2)

    ledger = ActiveLabelLedger.load(str(tmp_path / 'active_ledger'))
    assert ledger.num_rounds == 1 and len(ledger.keys) == NUM_TARGET
    # the ledger holds, for every image, the strategy's picks on the
    # model's logits with the ground truth's labels
    strategy = hook.strategy
    model = runner.model
    model.eval()
    seen = 0
    with torch.no_grad():
        for data in hook._get_dataloader(runner):
            for sample in model.test_step(data):
                key = osp.splitext(osp.basename(sample.img_path))[0]
                logits = sample.seg_logits.data
                shape = tuple(logits.shape[-2:])
                assert shape == (128, 256)
                num_picks = strategy.num_picks(shape, 2, 0)
                selected, active = strategy.select(logits, None, num_picks,
                                                   key, 1)
                got = ledger.get(key)
                labelled = got < ACTIVE
                assert np.array_equal(labelled, selected.numpy())
                gt = sample.gt_sem_seg.data[0].numpy()
                want = np.where(gt == 255, 253, gt)
                assert np.array_equal(got[labelled], want[labelled])
                assert np.array_equal(got != UNTOUCHED, active.numpy())
                assert 0 < labelled.sum() <= strategy.image_budget(shape, 2)
                seen += 1
    assert seen == NUM_TARGET
    if typ == 'PixelImpurityUncertainty':
        # ceil(40 * 128 * 256 / (640 * 1280) / 2) = 1 pixel per round
        assert ledger.labelled_pixels() == NUM_TARGET
    else:
        # ceil(128 * 256 * 0.011 / 9) = 41 regions, 369 pixels at most
        assert strategy.num_picks((128, 256), 2, 0) == 41
        assert all(ledger.labelled_pixels(k) <= 369 for k in ledger.keys)
