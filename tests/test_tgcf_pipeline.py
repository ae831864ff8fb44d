"""``tools/tgcf_pipeline.py`` end to end on the tiny sim2real benchmark:
stage A (generator), generation, stage B (TGCF-DA + self-ensembling) on
the generated set; a rerun keeps the generated set and the finished
stages."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from conftest import NO_WORKERS, REPO, load_checkpoint, run_tool_forked

pytestmark = pytest.mark.slow

STAGE_A = osp.join(REPO, 'configs', 'tgcf',
                   'tgcf-da-generator_sim2real-gta5-to-cityscapes.py')
STAGE_B = osp.join(
    REPO, 'configs', 'tgcf',
    'tgcf-da-self-ensembling_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
SEGMENTOR = osp.join(REPO, 'configs', '_base_', 'models',
                     'deeplabv2_small.py')
PIPELINE = osp.join(REPO, 'tools', 'tgcf_pipeline.py')
TWO_ITERS = [
    'train_cfg.max_iters=2', 'train_dataloader.batch_size=1',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'default_hooks.checkpoint.interval=2'
]
STAGE_A_OPTIONS = TWO_ITERS + [
    'model.generator.base_channels=4', 'model.generator.n_res=1',
    'model.discriminator.base_channels=4'
]
STAGE_B_OPTIONS = TWO_ITERS[:1] + ['train_cfg.val_interval=2'] + \
    TWO_ITERS[1:2] + NO_WORKERS + ['default_hooks.logger.interval=1']


def source_only_checkpoint(path):
    """A checkpoint of the small segmentor (random weights)."""
    from mmengine.registry import init_default_scope

    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(SEGMENTOR).model)
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), path)


def test_pipeline_trains_generates_and_adapts(sim2real_tiny, tmp_path):
    source_only_checkpoint(tmp_path / 'source_only.pth')
    work_dir = tmp_path / 'tgcf'
    generated = tmp_path / 'generated'
    argv = [
        PIPELINE, STAGE_A, STAGE_B, '--work-dir', work_dir,
        '--segmentor-checkpoint', tmp_path / 'source_only.pth',
        '--generated-dir', generated, '--seed', 1, '--stage-a-options'
    ] + STAGE_A_OPTIONS + ['--stage-b-options'] + STAGE_B_OPTIONS
    out = run_tool_forked(argv, cwd=sim2real_tiny, timeout=900)
    text = out.stdout + out.stderr
    stage_a = load_checkpoint(work_dir / 'stage_a' / 'iter_2.pth')
    assert any(k.startswith('generator.') for k in stage_a['state_dict'])
    manifest = json.loads((generated / 'tgcf_manifest.json').read_text())
    assert manifest['seed'] == 1 and manifest['num_images'] == 8
    assert manifest['checkpoint'] == str(work_dir / 'stage_a' / 'iter_2.pth')
    # stage B read the generated set as its third stream, beside the source
    used = Config.fromfile(
        str(work_dir / 'stage_b' / osp.basename(STAGE_B)))
    streams = used.train_dataloader.dataset.streams
    assert used.train_dataloader.dataset.type == 'MultiStreamDataset'
    assert list(streams) == ['source', 'source_aug', 'target']
    assert streams.source.data_root == 'data/sim2real/gta5'
    assert streams.source_aug.data_root == str(generated)
    log = open(next((work_dir / 'stage_b').glob('*/*.log'))).read()
    assert 'mIoU' in log
    # the student's CE on every labelled stream, the consistency on target
    for term in ('source.decode.loss_ce', 'source_aug.decode.loss_ce',
                 'loss_con'):
        assert term in log, term
    stage_b = load_checkpoint(work_dir / 'stage_b' / 'iter_2.pth')
    assert {k.split('.')[0] for k in stage_b['state_dict']} == \
        {'student', 'teacher'}
    assert '[tgcf_pipeline] done' in text
    # a rerun keeps the generated set and resumes the finished stages
    again = run_tool_forked(argv, cwd=sim2real_tiny, timeout=900)
    again = again.stdout + again.stderr
    assert 'holds this generator\'s images (seed 1): kept' in again
    assert again.count('--resume') == 2
