"""A Ray Tune search over self-ensembling's consistency weight and EMA
decay (``tools/tune.py`` on the SE config): every trial trains with its
sampled values, which reach the model and the EMA teacher hook."""
import csv
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import REPO, run_tool

pytestmark = pytest.mark.slow

SE_TUNE = osp.join(
    REPO, 'configs', 'self_ensembling',
    'self-ensembling_deeplabv2-small_sim2real-gta5-to-cityscapes_tune.py')
TUNE = osp.join(REPO, 'tools', 'tune.py')
WEIGHT = 'model.consistency_loss.loss_weight'
ALPHA = 'custom_hooks.0.alpha'
TINY = [
    'train_cfg.max_iters=4', 'train_cfg.val_interval=2',
    'param_scheduler.0.end=4', 'default_hooks.checkpoint.interval=2',
    'default_hooks.logger.interval=1', 'train_dataloader.batch_size=1'
] + [
    f'{loader}.{key}={value}'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for key, value in (('num_workers', 0), ('persistent_workers', False))
]


def test_search_over_consistency_weight_and_alpha(sim2real_tiny):
    work_dir = sim2real_tiny / 'work_dirs' / 'tune_se'
    out = run_tool([
        TUNE, SE_TUNE, '--search-space', f'{WEIGHT}=choice(0.5,5.0)',
        f'{ALPHA}=choice(0.9,0.999)', '--num-samples', '2',
        '--max-concurrent', '1', '--seed', '0', '--scheduler', 'fifo',
        '--num-cpus', '2', '--work-dir', str(work_dir), '--cfg-options'
    ] + TINY, cwd=sim2real_tiny, timeout=600)
    with open(work_dir / 'results.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2, out.stdout[-3000:]
    for row in rows:
        assert row['status'] == 'completed', row
        assert row['iter'] == '4' and float(row['mIoU']) >= 0
        # the trial's config carries its sampled values
        cfg = Config.fromfile(
            osp.join(work_dir, row['work_dir'], 'trial_config.py'))
        assert cfg.model.consistency_loss.loss_weight == float(row[WEIGHT])
        assert cfg.custom_hooks[0].type == 'EMATeacherHook'
        assert cfg.custom_hooks[0].alpha == float(row[ALPHA])
        assert float(row[WEIGHT]) in (0.5, 5.0)
        assert float(row[ALPHA]) in (0.9, 0.999)
    best = Config.fromfile(str(work_dir / 'best_config.py'))
    assert best.model.type == 'SelfEnsembling' and 'tune_cfg' not in best
