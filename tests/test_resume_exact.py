"""A resumed run ends with the weights of the uninterrupted run.

On the tiny sim2real benchmark, with random flips on and deterministic CPU
settings, a 6-iteration run with checkpoints every 3 iterations is compared
with the same run resumed from its iteration-3 checkpoint, in the state a
``kill -9`` during iteration 5 leaves behind (checkpoints up to 3,
``last_checkpoint`` naming iter_3, and for RIPU the active-label ledger on
disk one round ahead of the checkpoint):

(a) source-only: the uninterrupted run loads data with 2 worker processes,
    the resumed one in the main process; every tensor and the optimizer
    state are equal, bit for bit. Also a run stopped by SIGUSR1 sent to all
    its processes, the dataloader workers included (as Slurm signals a job
    step): the PreemptionHook writes a checkpoint after the current
    iteration, the tool exits with 128 + 10, and ``--resume`` ends with the
    same state;
(b) RIPU (region-based annotating) with selection rounds after iterations
    2 and 4, one before and one after the break: the resumed run
    republishes the checkpoint's ledger, redoes round 2 and ends with the
    same weights, optimizer state and ledger (in the checkpoint and on
    disk).

The augmentations are a function of each sample's position in the sample
stream (``mmda.utils.keyed_randomness``), not of process-global generators,
so neither the resume nor the number of dataloader workers changes them.
See also ``test_preemption_hook.py`` (the hook in process) and
``test_slurm.py`` (a requeued Slurm job).
"""
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import (REPO, assert_same_training_state, ledger_files,
                      run_tool_forked)

pytestmark = pytest.mark.slow

SOURCE_ONLY = osp.join(
    REPO, 'configs', 'baselines',
    'source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
RA_CONFIG = osp.join(
    REPO, 'configs', 'ripu',
    'ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
TRAIN = osp.join(REPO, 'tools', 'train.py')
EVAL_NO_WORKERS = [
    f'{loader}.{key}={value}' for loader in ('val_dataloader',
                                             'test_dataloader')
    for key, value in (('num_workers', 0), ('persistent_workers', False))
]
TRAIN_NO_WORKERS = [
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False'
]
# 6 iterations, checkpoints at 3 and 6; the LR schedule (PolyLR over the
# config's 3000 iterations) does not depend on max_iters
SIX_ITERS = [
    'train_cfg.max_iters=6', 'train_cfg.val_interval=6',
    'default_hooks.checkpoint.interval=3', 'default_hooks.logger.interval=1'
] + EVAL_NO_WORKERS
RA_OPTIONS = SIX_ITERS + TRAIN_NO_WORKERS + [
    'custom_hooks.0.select_iters=[2,4]',
    'custom_hooks.0.dataloader.num_workers=0',
]


# one OpenMP thread per process: much faster on a small shared machine, and
# compared runs use the same kernels
ONE_THREAD = dict(os.environ, OMP_NUM_THREADS='1')


def train(cwd, config, work_dir, options, resume=False):
    argv = [TRAIN, config, '--work-dir', str(work_dir)]
    if resume:
        argv.append('--resume')
    proc = run_tool_forked(argv + ['--cfg-options'] + options, cwd=cwd,
                           env=ONE_THREAD)
    return proc.stdout + proc.stderr


def killed_after_iter_5(run_dir, work_dir):
    """``work_dir`` as a ``kill -9`` during iteration 5 of the run in
    ``run_dir`` would have left it: everything but the iteration-6
    checkpoint, ``last_checkpoint`` naming iter_3."""
    shutil.copytree(run_dir, work_dir, symlinks=True)
    os.remove(work_dir / 'iter_6.pth')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_3.pth'))


@pytest.fixture(scope='module')
def source_only_run(sim2real_tiny):
    """The uninterrupted run (the config's 2 dataloader workers)."""
    run_dir = sim2real_tiny / 'work_dirs' / 'exact_source_only'
    train(sim2real_tiny, SOURCE_ONLY, run_dir, SIX_ITERS)
    return run_dir


def test_source_only_resume_equals_uninterrupted(sim2real_tiny,
                                                 source_only_run):
    run_dir = source_only_run
    work_dir = sim2real_tiny / 'work_dirs' / 'exact_source_only_resumed'
    killed_after_iter_5(run_dir, work_dir)
    text = train(sim2real_tiny, SOURCE_ONLY, work_dir,
                 SIX_ITERS + TRAIN_NO_WORKERS, resume=True)
    assert 'resumed epoch: 0, iter: 3' in text
    assert 'Advance dataloader' not in text  # seeks, no replay
    assert_same_training_state(work_dir / 'iter_6.pth',
                               run_dir / 'iter_6.pth')


def test_signal_stop_then_resume_equals_uninterrupted(sim2real_tiny,
                                                      source_only_run):
    work_dir = sim2real_tiny / 'work_dirs' / 'exact_source_only_signal'
    log_path = sim2real_tiny / 'exact_source_only_signal.log'
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(
            [sys.executable, TRAIN, SOURCE_ONLY, '--work-dir',
             str(work_dir), '--cfg-options'] + SIX_ITERS,
            cwd=str(sim2real_tiny), env=ONE_THREAD, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 300
    try:
        while 'Iter(train) [1/6]' not in read(log_path):
            assert proc.poll() is None, read(log_path)[-3000:]
            assert time.time() < deadline, 'no training iteration'
            time.sleep(0.1)
        # to the whole process group: the main process and its workers
        os.killpg(proc.pid, signal.SIGUSR1)
        rc = proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    text = read(log_path)
    assert rc == 128 + signal.SIGUSR1, text[-3000:]
    assert 'received SIGUSR1' in text
    stopped = read(work_dir / 'last_checkpoint')  # relative to the work dir
    step = int(stopped[len('iter_'):-len('.pth')])
    assert 1 <= step < 6 and osp.isfile(work_dir / stopped), text[-3000:]
    assert not osp.exists(work_dir / 'iter_6.pth')
    text = train(sim2real_tiny, SOURCE_ONLY, work_dir, SIX_ITERS,
                 resume=True)
    assert f'resumed epoch: 0, iter: {step}' in text
    assert_same_training_state(work_dir / 'iter_6.pth',
                               source_only_run / 'iter_6.pth')


def read(path):
    with open(path) as f:
        return f.read()


def test_ripu_resume_between_rounds_equals_uninterrupted(sim2real_tiny):
    run_dir = sim2real_tiny / 'work_dirs' / 'exact_ripu'
    train(sim2real_tiny, RA_CONFIG, run_dir, RA_OPTIONS)
    work_dir = sim2real_tiny / 'work_dirs' / 'exact_ripu_resumed'
    killed_after_iter_5(run_dir, work_dir)
    assert os.readlink(work_dir / 'active_ledger' / 'current') == 'round_002'
    text = train(sim2real_tiny, RA_CONFIG, work_dir, RA_OPTIONS, resume=True)
    assert 'resumed epoch: 0, iter: 3' in text
    # the checkpoint's ledger (round 1) is republished, round 2 redone
    assert 'active-label ledger: 1 of 2 rounds done' in text
    assert 'active selection round 2/2 at iter 4' in text
    assert_same_training_state(work_dir / 'iter_6.pth',
                               run_dir / 'iter_6.pth')
    assert ledger_files(work_dir) == ledger_files(run_dir)
