"""SelfEnsembling end to end on the tiny sim2real benchmark: a run holds
the teacher in its mode every iteration and moves it by the EMA; a run
killed after iteration 3 and resumed ends bit-identical (student, teacher,
optimizer) to the uninterrupted one; under DDP (2 ranks, gloo) the teacher
is never wrapped and is identical on both ranks (its BN statistics, per rank
without SyncBN, broadcast from rank 0)."""
import os.path as osp
import shutil

import pytest
import torch

from conftest import (NO_WORKERS, REPO, assert_same_training_state,
                      load_checkpoint, run_tool, run_tool_forked)

pytestmark = pytest.mark.slow

SE = osp.join(REPO, 'configs', 'self_ensembling',
              'self-ensembling_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
TRAIN = osp.join(REPO, 'tools', 'train.py')
# 6 iterations, checkpoints at 3 and 6, batch 1
SIX_ITERS = [
    'train_cfg.max_iters=6', 'train_cfg.val_interval=6',
    'default_hooks.checkpoint.interval=3', 'default_hooks.logger.interval=1',
    'train_dataloader.batch_size=1'
] + NO_WORKERS


def train(cwd, work_dir, options, resume=False):
    argv = [TRAIN, SE, '--work-dir', str(work_dir)]
    if resume:
        argv.append('--resume')
    proc = run_tool_forked(argv + ['--cfg-options'] + options, cwd=cwd)
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def se_run(sim2real_tiny):
    run_dir = sim2real_tiny / 'work_dirs' / 'se_exact'
    text = train(sim2real_tiny, run_dir, SIX_ITERS)
    return run_dir, text


def test_training_moves_the_teacher_by_ema(se_run):
    run_dir, text = se_run
    assert 'ema_alpha: 0.9900' in text
    assert 'target.loss_con' in text
    state = load_checkpoint(run_dir / 'iter_6.pth')['state_dict']
    student = {k[len('student.'):]: v for k, v in state.items()
               if k.startswith('student.')}
    teacher = {k[len('teacher.'):]: v for k, v in state.items()
               if k.startswith('teacher.')}
    assert set(student) == set(teacher)
    # parameters differ (the teacher lags), buffers are copied
    w = 'decode_head.aspp_branches.0.weight'
    assert not torch.equal(student[w], teacher[w])
    bn = 'backbone.layer1.0.bn1.running_mean'
    assert torch.equal(student[bn], teacher[bn])


def test_resume_is_bit_identical(sim2real_tiny, se_run):
    run_dir, _ = se_run
    work_dir = sim2real_tiny / 'work_dirs' / 'se_exact_resumed'
    shutil.copytree(run_dir, work_dir, symlinks=True)
    (work_dir / 'iter_6.pth').unlink()
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_3.pth'))
    text = train(sim2real_tiny, work_dir, SIX_ITERS, resume=True)
    assert 'resumed epoch: 0, iter: 3' in text
    assert_same_training_state(work_dir / 'iter_6.pth',
                               run_dir / 'iter_6.pth')


@pytest.mark.parametrize('wrapper', [
    'MMDistributedDataParallel', 'MMSeparateDistributedDataParallel'])
def test_ddp_teacher_unwrapped_and_identical(sim2real_tiny, tmp_path,
                                             wrapper):
    worker = osp.join(REPO, 'tests', 'ddp_se_worker.py')
    run_tool([
        '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node',
        '2', worker, SE, '--work-dir', tmp_path / 'wd', '--out',
        tmp_path / 'out', '--launcher', 'pytorch', '--cfg-options',
        'train_cfg.max_iters=3', 'train_cfg.val_interval=100',
        f'model_wrapper_cfg.type={wrapper}'
    ] + SIX_ITERS[3:], cwd=sim2real_tiny)
    r0, r1 = (torch.load(tmp_path / 'out' / f'rank{r}.pt',
                         weights_only=False) for r in (0, 1))
    assert r0['wrapper'] == wrapper
    assert r0['teacher_type'] == 'EncoderDecoder'
    if wrapper == 'MMSeparateDistributedDataParallel':
        assert r0['student_type'] == 'MMDistributedDataParallel'
    # the whole teacher is identical on both ranks
    differ = [k for k, v in r0['teacher'].items()
              if not torch.equal(v, r1['teacher'][k])]
    assert not differ, differ[:5]
    # the student's weights are (DDP), its BN statistics are per rank
    weights = [k for k in r0['student'] if 'running_' not in k
               and 'num_batches' not in k]
    assert weights and all(
        torch.equal(r0['student'][k], r1['student'][k]) for k in weights)
    w = 'decode_head.aspp_branches.0.weight'
    assert not torch.equal(r0['teacher'][w], r0['student'][w])
