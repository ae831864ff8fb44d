"""RIPU's active-selection hook: one image by hand, then whole runs.

(a) ``select_image`` on hand-built logits with known best regions: the
    picks, the labels copied from the ground truth, the active windows, the
    per-image budget, no relabelling across rounds; the contract checked
    in ``before_train`` (a model with a deployable segmentor of the
    target's classes, LoadActiveLabels in the target pipeline, the
    checkpoint's strategy on resume).
(b) A 6-iteration RA training on the tiny sim2real benchmark with rounds
    after iterations 2 and 4: the ledger on disk and in the checkpoints, and
    ``--resume`` from the iteration-4 checkpoint (both rounds done) and from
    the iteration-2 checkpoint (round 2 runs after the resume) reproducing
    the uninterrupted run (ledger and weights, bit for bit, random flips
    on).
(c) Two selection rounds on 2 DDP processes (torchrun, gloo on CPU) publish
    byte for byte the ledger of the same rounds on 1 process.
"""
import filecmp
import glob
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from conftest import REPO, run_tool, run_tool_forked
from mmda.active.label_ledger import (ACTIVE, LABELLED_IGNORE, UNTOUCHED,
                                      ActiveLabelLedger, LedgerError)
from mmda.active.strategies import RandomRegions
from mmda.engine.hooks.active_selection_hook import ActiveSelectionHook

pytestmark = pytest.mark.usefixtures('torch_one_thread')
RA_CONFIG = osp.join(
    REPO, 'configs', 'ripu',
    'ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py')

# ----------------------------------------------------------------------------
# (a) one image by hand
# ----------------------------------------------------------------------------
C, H, W = 3, 12, 12
# Background: class 0 with certainty (entropy ~0, impurity 0, score ~0).
# Two 3 x 3 patches predicting the three classes three times each (impurity
# ln 3 / ln 3 = 1, the maximum) with near-uniform probabilities:
#   P1 centred at (5, 6), winning logit 0.2 -> entropy ~0.996 (the best);
#   P2 centred at (2, 2), winning logit 1.0 -> entropy ~0.888 (second).
# Every other window holds fewer patch pixels: lower uncertainty and
# impurity (the best of them scores ~0.60 < 0.888). The centres are 4 apart:
# P1's suppression window (5 x 5) does not reach P2's centre.
PATTERN = ((0, 1, 2), (1, 2, 0), (2, 0, 1))
P1, P2 = (5, 6), (2, 2)


def toy_logits():
    logits = torch.zeros(C, H, W)
    logits[0] = 8.
    for (ci, cj), strength in ((P1, 0.2), (P2, 1.0)):
        for a in range(3):
            for b in range(3):
                logits[:, ci - 1 + a, cj - 1 + b] = 0.
                logits[PATTERN[a][b], ci - 1 + a, cj - 1 + b] = strength
    return logits


def toy_gt():
    """Ground truth: (row + 2 col) mod 3, with one void pixel in P1."""
    rows, cols = np.mgrid[:H, :W]
    gt = ((rows + 2 * cols) % 3).astype(np.uint8)
    gt[4, 7] = 255
    return gt


def sample_with_gt(gt):
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None].long())
    return sample


def window(centre, radius):
    mask = np.zeros((H, W), bool)
    i, j = centre
    mask[max(i - radius, 0):i + radius + 1,
         max(j - radius, 0):j + radius + 1] = True
    return mask


def expected_map(centres, gt, old=None):
    """``old`` with the 5 x 5 windows around ``centres`` made active where
    untouched and their 3 x 3 regions labelled from ``gt`` where not
    labelled before (void -> 253)."""
    before = np.full((H, W), UNTOUCHED, np.uint8) if old is None else old
    new = before.copy()
    for c in centres:
        new[window(c, 2) & (before == UNTOUCHED)] = ACTIVE
    for c in centres:
        sel = window(c, 1) & (before >= ACTIVE)
        new[sel] = np.where(gt[sel] == 255, LABELLED_IGNORE, gt[sel])
    return new


def make_hook(budget_ratio, rounds):
    init_default_scope('mmseg')
    hook = ActiveSelectionHook(
        dataloader=dict(),
        select_iters=list(range(1, rounds + 1)),
        budget_ratio=budget_ratio)
    hook.ledger = hook._new_ledger(C)
    return hook


def select_image(hook, key, logits, data_sample):
    """The hook's ``select_image`` with the number of selected pixels."""
    new, selected = hook.select_image(key, logits, data_sample)
    return new, int(selected.sum())


def test_toy_scores_rank_as_designed():
    from mmda.active import region_scores
    score = region_scores(toy_logits(), 1)[0]
    order = score.flatten().argsort(descending=True)
    assert divmod(int(order[0]), W) == P1
    assert divmod(int(order[1]), W) == P2
    assert score.flatten()[order[2]] < 0.61 < 0.88 < score[P2]


def test_select_image_picks_the_best_region():
    # 1 round, budget 9 / 144 pixels: ceil(144 * 0.0625 / 9) = 1 region
    hook = make_hook(0.0625, 1)
    gt = toy_gt()
    new, count = select_image(hook, 'img', toy_logits(), sample_with_gt(gt))
    expected = np.full((H, W), UNTOUCHED, np.uint8)
    expected[3:8, 4:9] = ACTIVE  # the 5 x 5 window around (5, 6)
    expected[4:7, 5:8] = gt[4:7, 5:8]  # its 3 x 3 region, labelled
    expected[4, 7] = LABELLED_IGNORE  # the annotator's void
    assert np.array_equal(new, expected)
    assert count == 9
    # select_image does not touch the ledger; the hook's round does
    assert hook.ledger.keys == []
    assert hook.ledger.update('img', new) == 9


def test_budget_caps_the_picks():
    # 2 rounds, budget 0.25 * 144 = 36 pixels: ceil(144 * 0.125 / 9) = 2
    # regions per round
    hook = make_hook(0.25, 2)
    gt = toy_gt()
    new, count = select_image(hook, 'fresh', toy_logits(), sample_with_gt(gt))
    assert count == 18
    assert np.array_equal(new, expected_map([P1, P2], gt))

    # an image with 20 pixels labelled already (bottom rows): 16 left, room
    # for one 3 x 3 region only; the best one
    old = np.full((H, W), UNTOUCHED, np.uint8)
    old[10:12, 0:10] = 1
    hook.ledger.update('busy', old)
    assert hook.ledger.budget_left('busy', (H, W)) == 16
    new, count = select_image(hook, 'busy', toy_logits(), sample_with_gt(gt))
    assert count == 9
    assert np.array_equal(new, expected_map([P1], gt, old))
    assert hook.ledger.update('busy', new) == 9
    assert hook.ledger.labelled_pixels('busy') == 29 <= 36

    # 30 labelled: 6 left, less than a region: nothing is picked
    old[9, 0:10] = 1
    hook.ledger.update('full', old)
    new, count = select_image(hook, 'full', toy_logits(), sample_with_gt(gt))
    assert count == 0 and np.array_equal(new, old)


def test_next_round_never_relabels():
    # 2 rounds of 1 region, budget 18 pixels
    hook = make_hook(0.125, 2)
    gt = toy_gt()
    logits = toy_logits()
    first, count = select_image(hook, 'img', logits, sample_with_gt(gt))
    assert count == 9
    assert hook.ledger.update('img', first) == 9
    # the same prediction again: P1 is active, P2 is next
    second, count = select_image(hook, 'img', logits, sample_with_gt(gt))
    assert count == 9
    assert np.array_equal(second, expected_map([P1, P2], gt))
    labelled = first < ACTIVE
    assert np.array_equal(second[labelled], first[labelled])
    assert hook.ledger.update('img', second) == 9
    # budget spent: a third call picks nothing
    third, count = select_image(hook, 'img', logits, sample_with_gt(gt))
    assert count == 0 and np.array_equal(third, second)


def test_region_overlapping_an_earlier_label_keeps_it():
    # a pixel of P1's region labelled before (with a class the ground truth
    # disagrees with): P1's centre is still the best pick, its region is
    # labelled except that pixel, which keeps its label
    # budget 18 pixels, 1 round: 2 regions, capped to 1 by the 17 left
    hook = make_hook(18 / 144, 1)
    gt = toy_gt()
    old = np.full((H, W), UNTOUCHED, np.uint8)
    old[4, 5] = (gt[4, 5] + 1) % 3
    hook.ledger.update('img', old)
    new, count = select_image(hook, 'img', toy_logits(), sample_with_gt(gt))
    assert count == 8
    assert new[4, 5] == old[4, 5] != gt[4, 5]
    expected = expected_map([P1], gt)
    expected[4, 5] = old[4, 5]
    assert np.array_equal(new, expected)
    assert hook.ledger.update('img', new) == 8
    # whereas relabelling it is refused by the ledger
    bad = new.copy()
    bad[4, 5] = gt[4, 5]
    with pytest.raises(LedgerError, match='already labelled'):
        hook.ledger.update('img', bad)


def test_ra_budget_as_released_over_five_rounds():
    """RA at 2.2 % over 5 rounds of a 1024 x 2048 image labels
    ceil(1024 * 2048 * 0.022 / 5 / 9) = 1026 regions in every round, the
    last one too (a cap at floor(H * W * 0.022) = 46137 pixels would leave
    1022 for round 5): 5 x 1026 regions, 46170 pixels, through the hook's
    budget path (strategy picks, ledger budget)."""
    hook = ActiveSelectionHook(
        dataloader=dict(), select_iters=[1, 2, 3, 4, 5], budget_ratio=0.022)
    hook.ledger = hook._new_ledger(3)
    assert hook.ledger.budget_of((1024, 2048)) == 46170
    # uncertain predictions inside, a certain frame of two pixels: no pick
    # is centred on the border, so every region labels 9 pixels
    logits = torch.randn(3, 1024, 2048,
                         generator=torch.Generator().manual_seed(0))
    logits[0, :2], logits[0, -2:] = 50., 50.
    logits[0, :, :2], logits[0, :, -2:] = 50., 50.
    for round_no in range(1, 6):
        new, selected = hook.select_pixels('img', logits)
        assert selected.sum() == 1026 * 9, round_no
        new[selected] = 1  # the annotator's labels
        assert hook.ledger.update('img', new) == 1026 * 9
        hook.ledger.close_round(round_no, 1026 * 9)
    assert hook.ledger.labelled_pixels('img') == 5 * 1026 * 9
    # the budget is spent: a further call picks nothing
    _, selected = hook.select_pixels('img', logits)
    assert not selected.any()


def test_round_asking_more_regions_than_remain():
    """A round that asks for more regions than unsuppressed centres remain
    labels what remains, never a pixel twice, and an exhausted image
    yields an empty selection (no error)."""
    hook = ActiveSelectionHook(
        dataloader=dict(), select_iters=[1], budget_ratio=1.0)
    hook.ledger = hook._new_ledger(C)
    assert hook.strategy.num_picks((H, W), 1, 0) == 16  # 144 / 9
    old = np.full((H, W), ACTIVE, np.uint8)
    old[5:8, 5:8] = UNTOUCHED  # 9 candidate centres, room for one region
    old[0, 0] = 2  # and one labelled pixel
    hook.ledger.update('img', old)
    logits = torch.zeros(C, H, W)  # equal scores: ties to the first index
    new, selected = hook.select_pixels('img', logits)
    # one pick, at (5, 5): its 3 x 3 region reaches into suppressed pixels
    want = np.zeros((H, W), bool)
    want[4:7, 4:7] = True
    assert np.array_equal(selected, want)
    assert np.array_equal(new[5:8, 5:8], np.full((3, 3), ACTIVE))
    new[selected] = 1
    assert hook.ledger.update('img', new) == 9
    # nothing is left to pick: an empty selection, the map unchanged
    again, selected = hook.select_pixels('img', logits)
    assert not selected.any() and np.array_equal(again, new)
    assert new[0, 0] == 2 and hook.ledger.labelled_pixels('img') == 10


def test_annotator_needs_ground_truth_at_label_resolution():
    hook = make_hook(0.0625, 1)
    with pytest.raises(KeyError, match='LoadDAAnnotations'):
        hook.select_image('img', toy_logits(), SegDataSample())
    with pytest.raises(ValueError, match='after Resize'):
        hook.select_image('img', toy_logits(),
                          sample_with_gt(np.zeros((6, 6), np.uint8)))


def test_hook_arguments():
    init_default_scope('mmseg')
    with pytest.raises(ValueError, match='increasing'):
        ActiveSelectionHook(dataloader=dict(), select_iters=[4, 2])
    with pytest.raises(ValueError, match='increasing'):
        ActiveSelectionHook(dataloader=dict(), select_iters=[])
    with pytest.raises(ValueError, match='budget_ratio'):
        ActiveSelectionHook(dataloader=dict(), select_iters=[2],
                            budget_ratio=0.)
    with pytest.raises(ValueError, match='mode'):
        ActiveSelectionHook(dataloader=dict(), select_iters=[2], mode='box')
    # (strategy keys: tests/test_acquisition_strategies.py)
    hook = ActiveSelectionHook(
        dataloader=dict(batch_size=4, sampler=dict(type='InfiniteSampler')),
        select_iters=[2])
    # the scoring sampler never pads nor shuffles (DDP shards exactly)
    assert hook.dataloader_cfg['sampler'] == dict(
        type='DefaultSampler', shuffle=False, round_up=False)


def contract_case(tmp_path, model, train_dataset, num_classes=19):
    """A hook and a fake runner for the checks of ``before_train``."""
    from types import SimpleNamespace

    from mmengine.logging import MMLogger
    hook = make_hook(0.022, 1)
    hook._dataloader = SimpleNamespace(dataset=SimpleNamespace(
        metainfo=dict(classes=tuple(f'c{i}' for i in range(num_classes)))))
    runner = SimpleNamespace(
        model=model, train_dataloader=SimpleNamespace(dataset=train_dataset),
        work_dir=str(tmp_path), iter=0, rank=0, seed=0,
        logger=MMLogger.get_instance('test_active_selection_hook'))
    return hook, runner


def test_contract_with_model_and_dataset(tmp_path):
    from types import SimpleNamespace

    from mmda.datasets.transforms import LoadActiveLabels
    init_default_scope('mmseg')
    ripu = MODELS.build(Config.fromfile(RA_CONFIG).model)  # 19 classes

    def stream(*transforms):
        return SimpleNamespace(pipeline=SimpleNamespace(
            transforms=list(transforms)))

    loader = LoadActiveLabels()
    # the target stream of a named-stream dataset has LoadActiveLabels
    train_set = SimpleNamespace(datasets=dict(source=stream(),
                                              target=stream(loader)))
    hook, runner = contract_case(tmp_path, ripu, train_set)
    hook.before_train(runner)
    assert loader.ledger_dir == str(tmp_path / 'active_ledger')
    assert ActiveLabelLedger.load(loader.ledger_dir).num_rounds == 0

    hook, runner = contract_case(tmp_path, torch.nn.Linear(2, 2), train_set)
    with pytest.raises(TypeError, match='ActiveSelectionHook needs a model '
                       'with one deployable segmentor.*the model is Linear'):
        hook.before_train(runner)
    hook, runner = contract_case(tmp_path, ripu, train_set, num_classes=16)
    with pytest.raises(ValueError, match='ActiveSelectionHook: the model '
                       'RIPU predicts 19 classes but its scoring dataset '
                       'SimpleNamespace has 16'):
        hook.before_train(runner)
    hook, runner = contract_case(tmp_path, ripu, stream())
    with pytest.raises(RuntimeError, match='ActiveSelectionHook: the '
                       'training dataset SimpleNamespace has no '
                       'LoadActiveLabels.*model RIPU'):
        hook.before_train(runner)


def resume_case(tmp_path):
    """A RIPU RA hook and a fake runner whose training set has
    LoadActiveLabels: the checks of a resumed ``before_train``."""
    from types import SimpleNamespace

    from mmda.datasets.transforms import LoadActiveLabels
    init_default_scope('mmseg')
    ripu = MODELS.build(Config.fromfile(RA_CONFIG).model)
    train_set = SimpleNamespace(pipeline=SimpleNamespace(
        transforms=[LoadActiveLabels()]))
    hook, runner = contract_case(tmp_path, ripu, train_set)
    return hook, runner


def test_resume_refuses_another_strategy(tmp_path):
    hook, runner = resume_case(tmp_path)
    hook.ledger = ActiveLabelLedger(19, budget_ratio=0.022)
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    assert checkpoint['active_strategy'] == dict(
        type='RegionImpurityUncertainty', budget_ratio=0.022, radius=1,
        normalizer=None)
    checkpoint['active_strategy'] = dict(
        type='RandomRegions', budget_ratio=0.022, radius=1, seed=0)
    hook.after_load_checkpoint(runner, checkpoint)
    runner.iter = 2
    with pytest.raises(RuntimeError, match="selected with the strategy "
                       "{'type': 'RandomRegions'.*the config says "
                       "{'type': 'RegionImpurityUncertainty'"):
        hook.before_train(runner)


def test_resume_checks_the_run_seed_of_random_draws(tmp_path):
    hook, runner = resume_case(tmp_path)
    hook.strategy = RandomRegions()
    runner.seed = 3
    saved = dict(type='RandomRegions', budget_ratio=0.022, radius=1, seed=3)
    hook.after_load_checkpoint(runner, dict(
        active_strategy=saved,
        active_ledger=hook._new_ledger(19).state_dict()))
    runner.iter = 2
    hook._image_paths = lambda dataset: []
    hook.before_train(runner)  # the checkpoint's draws: the run's seed 3
    assert hook.strategy.config() == saved
    # a run resumed under another seed would draw other regions: refused
    hook.strategy = RandomRegions()
    runner.seed = 4
    with pytest.raises(RuntimeError, match="selected with the strategy "
                       ".*'seed': 3}, the config says .*'seed': 4}"):
        hook.before_train(runner)


# ----------------------------------------------------------------------------
# (b) end to end: train, rounds, checkpoint, resume
# ----------------------------------------------------------------------------
NUM_TARGET, TARGET_HW = 8, (128, 256)
# RA's budget per image, every round's whole regions: 2 rounds of
# ceil(128 * 256 * 0.011 / 9) = 41 regions, 738 pixels
BUDGET = 2 * 41 * 9

E2E_OPTIONS = [
    'custom_hooks.0.select_iters=[2,4]',
    'train_cfg.max_iters=6',
    'train_cfg.val_interval=6',
    'default_hooks.checkpoint.interval=2',
    'default_hooks.checkpoint.max_keep_ckpts=3',
    'default_hooks.logger.interval=1',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
    'custom_hooks.0.dataloader.num_workers=0',
    # random flips stay on: augmentations are keyed by the sample's position
    # in the stream (mmda.utils.keyed_randomness), so a resumed run flips
    # the same samples as the uninterrupted one
]


# One thread per process: on a small shared CPU machine two OpenMP threads
# per run are several times slower under load, and runs compared bit for bit
# use the same kernels.
ONE_THREAD = dict(os.environ, OMP_NUM_THREADS='1')


def train(cwd, work_dir, resume=False):
    argv = [osp.join(REPO, 'tools', 'train.py'), RA_CONFIG, '--work-dir',
            str(work_dir)]
    if resume:
        argv.append('--resume')
    return run_tool_forked(
        argv + ['--cfg-options'] + E2E_OPTIONS, cwd=cwd, env=ONE_THREAD)


def tree(root):
    """{relative path: bytes} of the files under ``root``, and
    {relative path: target} of its symlinks."""
    files, links = {}, {}
    for d, dirs, names in os.walk(root):
        for name in dirs + names:
            path = osp.join(d, name)
            rel = osp.relpath(path, root)
            if osp.islink(path):
                links[rel] = os.readlink(path)
            elif osp.isfile(path):
                with open(path, 'rb') as f:
                    files[rel] = f.read()
    return files, links


def load_ckpt(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def gt_of(data_root, key):
    city = key.split('_')[0]
    stem = key[:-len('_leftImg8bit')]
    path = osp.join(data_root, 'cityscapes', 'gtFine', 'train', city,
                    f'{stem}_gtFine_labelTrainIds.png')
    gt = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert gt is not None, path
    return gt


@pytest.fixture(scope='module')
def ra_run(sim2real_tiny):
    work_dir = sim2real_tiny / 'work_dirs' / 'ripu_ra_uninterrupted'
    train(sim2real_tiny, work_dir)
    return work_dir


@pytest.mark.slow
def test_e2e_rounds_ledger_and_checkpoint(sim2real_tiny, ra_run):
    root = osp.join(ra_run, 'active_ledger')
    assert os.readlink(osp.join(root, 'current')) == 'round_002'
    assert sorted(d for d in os.listdir(root) if d.startswith('round_')) == [
        'round_000', 'round_001', 'round_002'
    ]
    ledger = ActiveLabelLedger.load(root)
    assert ledger.num_rounds == 2
    rounds = [(r['round'], r['iter']) for r in ledger.rounds]
    assert rounds == [(1, 2), (2, 4)]
    assert len(ledger.keys) == NUM_TARGET
    data_root = str(sim2real_tiny / 'data' / 'sim2real')
    for key in ledger.keys:
        m = ledger.get(key)
        assert m.shape == TARGET_HW
        labelled = m < ACTIVE
        assert 0 < labelled.sum() <= BUDGET
        # labels are the ground truth (void -> 253) of the labelled pixels
        gt = gt_of(data_root, key)
        want = np.where(gt == 255, LABELLED_IGNORE, gt)
        assert np.array_equal(m[labelled], want[labelled])
        # the 5 x 5 window around each labelled 3 x 3 region is active:
        # no labelled pixel touches an untouched one
        near = cv2.dilate(labelled.astype(np.uint8), np.ones((3, 3),
                                                             np.uint8))
        assert not np.any(near.astype(bool) & (m == UNTOUCHED))
        assert np.any(m == ACTIVE)
    # each round labels regions in every image: the second round adds
    r1, r2 = ledger.rounds
    assert r1['new_pixels'] > 0 and r2['new_pixels'] > 0
    assert r2['labelled_pixels'] == r1['labelled_pixels'] + r2['new_pixels']
    assert r2['labelled_pixels'] == ledger.labelled_pixels() <= \
        NUM_TARGET * BUDGET

    # the checkpoints carry the ledger of their iteration
    ckpt2, ckpt4, ckpt6 = (load_ckpt(osp.join(ra_run, f'iter_{i}.pth'))
                           for i in (2, 4, 6))
    assert ckpt2['active_ledger']['rounds'] == ledger.rounds[:1]
    assert ckpt4['active_ledger'] == ledger.state_dict()
    assert ckpt6['active_ledger'] == ledger.state_dict()

    # the target CE is 0 until the first round (no labels) and counts the
    # new labels from the very next iteration (the data stream restarts)
    logs = glob.glob(osp.join(ra_run, '*', 'vis_data', 'scalars.json'))
    with open(logs[0]) as f:
        records = [json.loads(line) for line in f]
    tgt_ce = {r['iter']: r['tgt.loss_ce'] for r in records
              if 'tgt.loss_ce' in r}
    assert sorted(tgt_ce) == [1, 2, 3, 4, 5, 6]
    assert tgt_ce[1] == tgt_ce[2] == 0
    assert all(tgt_ce[i] > 0 for i in (3, 4, 5, 6))
    val = [r for r in records if 'mIoU' in r]
    assert len(val) == 1 and 'mIoU16' in val[0]
    # each round's statistics reached the visualisation backend (here the
    # local one: scalars.json), at the round's iteration
    stats = [r for r in records if 'active/new_pixels' in r]
    assert [(r['step'], r['active/round']) for r in stats] == [(2, 1), (4, 2)]
    for r, want in zip(stats, ledger.rounds):
        assert r['active/new_pixels'] == want['new_pixels']
        assert r['active/labelled_pixels'] == want['labelled_pixels']
        assert sum(v for k, v in r.items()
                   if k.startswith('active/new_labels.')) == \
            want['new_pixels']
        assert r['active/new_regions'] >= 1


def interrupted_copy(ra_run, work_dir, at_iter):
    """``ra_run``'s work dir as it was right after the checkpoint of
    ``at_iter``: later checkpoints and ledger rounds removed, ``current``
    pointing at the last round done (select_iters 2 and 4)."""
    shutil.copytree(ra_run, work_dir, symlinks=True)
    for i in (2, 4, 6):
        if i > at_iter:
            os.remove(work_dir / f'iter_{i}.pth')
    rounds = sum(i <= at_iter for i in (2, 4))
    root = work_dir / 'active_ledger'
    for r in (1, 2):
        if r > rounds:
            shutil.rmtree(root / f'round_{r:03d}')
            shutil.rmtree(root / 'vis' / f'round_{r:03d}')
    os.remove(root / 'current')
    os.symlink(f'round_{rounds:03d}', root / 'current')
    (work_dir / 'last_checkpoint').write_text(
        str(work_dir / f'iter_{at_iter}.pth'))


@pytest.mark.slow
@pytest.mark.parametrize('at_iter', [4, 2])
def test_e2e_resume_reproduces_the_run(sim2real_tiny, ra_run, at_iter):
    work_dir = sim2real_tiny / 'work_dirs' / f'ripu_ra_resumed_{at_iter}'
    interrupted_copy(ra_run, work_dir, at_iter)
    assert ActiveLabelLedger.load(str(work_dir / 'active_ledger')
                                  ).num_rounds == at_iter // 2
    proc = train(sim2real_tiny, work_dir, resume=True)
    text = proc.stdout + proc.stderr
    assert f'resumed epoch: 0, iter: {at_iter}' in text
    assert 'Advance dataloader' not in text and 'replaying' not in text
    # resumed at 4, both rounds were done before; resumed at 2, round 2
    # runs again, on the resumed weights
    assert ('active selection round 2/2' in text) == (at_iter == 2)
    assert 'active selection round 1/2' not in text

    # the same ledger on disk, byte for byte (maps, index, visualisations;
    # round_00k republished from the checkpoint or selected anew)
    assert tree(work_dir / 'active_ledger') == tree(ra_run / 'active_ledger')
    want, got = (load_ckpt(d / 'iter_6.pth') for d in (ra_run, work_dir))
    assert got['active_ledger'] == want['active_ledger']
    # the same final weights and optimizer state, bit for bit
    assert got['meta']['iter'] == want['meta']['iter'] == 6
    assert set(got['state_dict']) == set(want['state_dict'])
    for k, v in want['state_dict'].items():
        assert torch.equal(got['state_dict'][k], v), k
    for pid, state in want['optimizer']['state'].items():
        assert torch.equal(got['optimizer']['state'][pid]['momentum_buffer'],
                           state['momentum_buffer'])


# ----------------------------------------------------------------------------
# (c) DDP selection == single-process selection
# ----------------------------------------------------------------------------
@pytest.mark.slow
def test_ddp_selection_equals_single_process(sim2real_tiny, tmp_path):
    # a fixed model: the config's, seeded, with the classifier scaled so
    # that the predictions are far from uniform
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(RA_CONFIG).model)
    model.init_weights()
    with torch.no_grad():
        for branch in model.decode_head.aspp_branches:
            branch.weight.mul_(100.)
    ckpt = str(tmp_path / 'fixed.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)

    options = [
        'custom_hooks.0.select_iters=[2,4]',
        'custom_hooks.0.dataloader.num_workers=0',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
    ]
    worker = osp.join(REPO, 'tests', 'ddp_selection_worker.py')
    common = [RA_CONFIG, ckpt, '--iterations', '2', '4']
    env = ONE_THREAD  # the same kernels in both runs
    run_tool_forked([worker] + common + ['--work-dir', tmp_path / 'one'] +
                    ['--cfg-options'] + options, cwd=sim2real_tiny, env=env)
    proc = run_tool([
        '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node',
        '2', worker
    ] + common + ['--work-dir', tmp_path / 'two', '--launcher', 'pytorch',
                  '--cfg-options'] + options,
                    cwd=sim2real_tiny, env=env)
    assert 'on 2 rank(s)' in proc.stdout + proc.stderr

    one = tree(tmp_path / 'one' / 'active_ledger')
    two = tree(tmp_path / 'two' / 'active_ledger')
    assert one[1] == two[1] == {'current': 'round_002'}
    assert sorted(one[0]) == sorted(two[0])
    for rel in one[0]:
        assert one[0][rel] == two[0][rel], rel
    ledger = ActiveLabelLedger.load(str(tmp_path / 'two' / 'active_ledger'))
    assert len(ledger.keys) == NUM_TARGET and ledger.num_rounds == 2
    assert all(ledger.labelled_pixels(k) > 0 for k in ledger.keys)
    assert filecmp.cmp(
        tmp_path / 'one' / 'active_ledger' / 'round_002' / 'ledger.json',
        tmp_path / 'two' / 'active_ledger' / 'round_002' / 'ledger.json',
        shallow=False)
