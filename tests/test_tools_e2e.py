"""End to end through the user-facing tools on the tiny sim2real benchmark:
train -> checkpoint -> test, sharded testing, resume, bad config keys."""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess

import pytest
import torch

from conftest import NO_WORKERS, REPO, logged_metric, run_tool_forked

SOURCE_ONLY = osp.join(
    REPO, 'configs', 'baselines',
    'source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
TINY = [
    'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1'
] + NO_WORKERS

pytestmark = pytest.mark.slow


def last_val_metrics(work_dir: str) -> dict:
    logs = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                     'scalars.json')))
    with open(logs[-1]) as f:
        records = [json.loads(line) for line in f]
    return [r for r in records if 'mIoU' in r][-1]


@pytest.fixture(scope='module')
def trained(sim2real_tiny):
    """A 4-iteration source-only run with checkpoints at 2 and 4."""
    work_dir = sim2real_tiny / 'work_dirs' / 'source_only'
    run_tool_forked([
        osp.join(REPO, 'tools', 'train.py'), SOURCE_ONLY, '--work-dir',
        str(work_dir), '--cfg-options'
    ] + TINY,
                    cwd=sim2real_tiny)
    return work_dir


def test_train_checkpoint_test_round_trip(sim2real_tiny, trained):
    assert osp.isfile(trained / 'iter_2.pth')
    assert osp.isfile(trained / 'iter_4.pth')
    val = last_val_metrics(str(trained))
    for key in ('mIoU', 'mIoU16', 'mIoU13', 'IoU.road', 'IoU.train'):
        assert key in val
    out_dir = sim2real_tiny / 'preds'
    show_dir = sim2real_tiny / 'overlays'
    proc = run_tool_forked([
        osp.join(REPO, 'tools', 'test.py'), SOURCE_ONLY,
        str(trained / 'iter_4.pth'), '--work-dir',
        str(sim2real_tiny / 'work_dirs' / 'test'), '--out',
        str(out_dir), '--show-dir',
        str(show_dir), '--cfg-options'
    ] + NO_WORKERS,
                           cwd=sim2real_tiny)
    text = proc.stdout + proc.stderr
    # the test run reproduces the validation of the same weights exactly
    assert logged_metric(text) == pytest.approx(val['mIoU'], abs=1e-6)
    assert 'per class results' in text and 'traffic light' in text
    # predictions as label PNGs, one per val image, and colour overlays
    assert len(glob.glob(str(out_dir / '*.png'))) == 4
    overlays = glob.glob(str(show_dir / '**' / '*.png'), recursive=True)
    assert len(overlays) == 4


def test_dist_test_two_processes_equals_single_process(sim2real_tiny,
                                                       trained):
    common = ['--cfg-options'] + NO_WORKERS
    single = run_tool_forked([
        osp.join(REPO, 'tools', 'test.py'), SOURCE_ONLY,
        str(trained / 'iter_4.pth'), '--work-dir',
        str(sim2real_tiny / 'work_dirs' / 'test1')
    ] + common,
                             cwd=sim2real_tiny)
    env = dict(os.environ, PORT='29731', PYTHON=os.environ.get(
        'PYTHON', __import__('sys').executable))
    dist = subprocess.run([
        'bash',
        osp.join(REPO, 'tools', 'dist_test.sh'), SOURCE_ONLY,
        str(trained / 'iter_4.pth'), '2', '--work-dir',
        str(sim2real_tiny / 'work_dirs' / 'test2')
    ] + common,
                          cwd=sim2real_tiny,
                          capture_output=True,
                          text=True,
                          timeout=600,
                          env=env)
    assert dist.returncode == 0, dist.stdout[-3000:] + dist.stderr[-3000:]
    for key in ('aAcc', 'mIoU', 'mIoU16', 'mIoU13', 'mAcc'):
        assert logged_metric(dist.stdout + dist.stderr, key) == \
            logged_metric(single.stdout + single.stderr, key)


def test_resume_from_checkpoint_under_torch_2_13(sim2real_tiny, trained):
    """``--resume`` restores an mmda Runner checkpoint (plain containers:
    torch >= 2.6's weights_only default reads it) and continues."""
    assert tuple(map(int, torch.__version__.split('.')[:2])) >= (2, 6)
    work_dir = sim2real_tiny / 'work_dirs' / 'resumed'
    work_dir.mkdir(parents=True)
    shutil.copy(trained / 'iter_2.pth', work_dir / 'iter_2.pth')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_2.pth'))
    proc = run_tool_forked([
        osp.join(REPO, 'tools', 'train.py'), SOURCE_ONLY, '--work-dir',
        str(work_dir), '--resume', '--cfg-options'
    ] + TINY,
                           cwd=sim2real_tiny)
    text = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 2' in text
    # the data stream seeks to iteration 2 instead of replaying 2 batches
    assert 'Advance dataloader' not in text
    ckpt = torch.load(
        work_dir / 'iter_4.pth', map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 4
    assert 'mIoU' in last_val_metrics(str(work_dir))


def test_unknown_config_key_is_a_clear_error(sim2real_tiny):
    proc = run_tool_forked([
        osp.join(REPO, 'tools', 'train.py'), SOURCE_ONLY, '--cfg-options',
        'train_cfg.max_iter=4'
    ],
                           cwd=sim2real_tiny,
                           check=False)
    assert proc.returncode != 0
    assert "train_cfg has no key 'max_iter'" in proc.stderr
    assert 'max_iters' in proc.stderr  # the suggestion


def test_missing_data_root_is_a_clear_error(tmp_path):
    proc = run_tool_forked([
        osp.join(REPO, 'tools', 'train.py'), SOURCE_ONLY, '--work-dir',
        str(tmp_path / 'wd'), '--cfg-options'
    ] + TINY,
                           cwd=tmp_path,
                           check=False)
    assert proc.returncode != 0
    assert 'data/sim2real/gta5' in proc.stderr
