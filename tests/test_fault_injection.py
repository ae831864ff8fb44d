"""``kill -9`` at every point where a kill can hurt, then ``--resume``.

Each case trains on the tiny sim2real benchmark with ``tools/train.py``,
has the process kill itself with SIGKILL at one point
(``MMDA_FAULT_POINT``, :mod:`mmda.utils.fault_injection`), checks what the
kill left on disk, resumes with ``--resume`` and compares the end of the
run with the uninterrupted run of the same config, bit for bit: weights,
optimizer state, the active-label ledger in the checkpoint and on disk
(whose invariants are also checked from the files alone, against the
ground truth the simulated annotator labelled from).

* source-only, 6 iterations, a checkpoint every 2 with
  ``max_keep_ckpts=1`` (the tune configs' setting): mid-iteration, before,
  inside (the temporary file half written), and after a checkpoint write,
  inside the ``last_checkpoint`` update, between it and the deletion of
  the previous checkpoint, the first and the last checkpoint; and a
  damaged checkpoint ``last_checkpoint`` names (``--resume`` falls back);
* RIPU (region-based annotating), 6 iterations, rounds after iterations 2
  and 4, checkpoints at 3 and 6: during the scoring of a round, after a
  round, inside the ledger publish (written, published, before ``current``
  is switched), and a second kill inside the resume's republishing of the
  ledger round that ``current`` names;
* source-only with ``save_best`` (the best checkpoint of the AdvEnt /
  MinEnt / IntraDA configs), 8 iterations, a best at 2 replaced at 8:
  inside the best checkpoint's write, between it and the resumable
  checkpoint that records it, and before the old best is deleted;
* DeepSpeed ZeRO-1 (source-only), 4 iterations, checkpoint directories at
  2 and 4 with ``max_keep_ckpts=1``: inside the save of a checkpoint
  directory.

Every run is a ``fork`` of the test process that runs ``tools/train.py``
as ``__main__`` (with mmda, mmseg and torch already imported, a run starts
in a fraction of a second); the uninterrupted run of each config is shared
by its cases.
"""
import itertools
import os
import os.path as osp
import re
import runpy
import signal
import sys
import traceback

import cv2
import numpy as np
import pytest

import mmda  # noqa: F401  (imported once, before the forks)
from conftest import (DEEPSPEED_MODEL_STATES, NO_WORKERS, REPO, ledger_files,
                      assert_same_deepspeed_state, assert_same_training_state,
                      deepspeed_config, load_checkpoint)
from mmda.active.budget import region_budget
from mmda.active.label_ledger import (ACTIVE, LABELLED_IGNORE,
                                      ActiveLabelLedger)
from mmda.utils.checkpoint_files import read_last_checkpoint
from mmda.utils.fault_injection import FAULT_POINT_ENV

pytestmark = pytest.mark.slow

TRAIN = osp.join(REPO, 'tools', 'train.py')
SOURCE_ONLY = osp.join(
    REPO, 'configs', 'baselines',
    'source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
RA_CONFIG = osp.join(
    REPO, 'configs', 'ripu',
    'ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
SOURCE_OPTIONS = [
    'train_cfg.max_iters=6', 'train_cfg.val_interval=100',
    'default_hooks.checkpoint.interval=2',
    'default_hooks.checkpoint.max_keep_ckpts=1',
    'default_hooks.logger.interval=1'
] + NO_WORKERS
RA_OPTIONS = [
    'train_cfg.max_iters=6', 'train_cfg.val_interval=100',
    'default_hooks.checkpoint.interval=3', 'default_hooks.logger.interval=1',
    'custom_hooks.0.select_iters=[2,4]',
    'custom_hooks.0.dataloader.num_workers=0'
] + NO_WORKERS
DS_OPTIONS = [
    'train_cfg.max_iters=4', 'train_cfg.val_interval=100',
    'default_hooks.checkpoint.interval=2',
    'default_hooks.checkpoint.max_keep_ckpts=1',
    'default_hooks.logger.interval=1'
] + NO_WORKERS


_RUNS = itertools.count()


def train(cwd, config, work_dir, options, fault=None, resume=False):
    """Run ``tools/train.py`` in a forked process; returns ``(status,
    log)``: the exit code, or ``-9`` when the fault point killed it."""
    log_path = f'{work_dir}.{next(_RUNS)}.log'
    os.makedirs(osp.dirname(log_path), exist_ok=True)
    argv = [TRAIN, config, '--work-dir', str(work_dir)]
    argv += ['--resume'] if resume else []
    argv += ['--cfg-options'] + list(options)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the training process
        code = 1
        try:
            fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            sys.stdout = open(1, 'w', buffering=1, closefd=False)
            sys.stderr = open(2, 'w', buffering=1, closefd=False)
            os.chdir(str(cwd))
            if fault:
                os.environ[FAULT_POINT_ENV] = fault
            else:
                os.environ.pop(FAULT_POINT_ENV, None)
            sys.argv = argv
            try:
                runpy.run_path(TRAIN, run_name='__main__')
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    with open(log_path) as f:
        text = f.read()
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status), text
    return os.WEXITSTATUS(status), text


def finished(cwd, config, work_dir, options, resume=False):
    status, text = train(cwd, config, work_dir, options, resume=resume)
    assert status == 0, text[-5000:]
    return text


def killed(cwd, config, work_dir, options, fault, resume=False):
    status, text = train(cwd, config, work_dir, options, fault, resume)
    assert status == -signal.SIGKILL, (
        f'not killed at {fault} (status {status}):\n{text[-5000:]}')
    assert f'[fault injection] kill -9 at {fault}' in text
    return text


def resumed_at(text):
    """The iteration a run resumed at (0: it started afresh)."""
    found = re.findall(r'resumed epoch: \d+, iter: (\d+)', text)
    return int(found[-1]) if found else 0


def files(work_dir):
    """Names in the work dir, without the log directories."""
    return sorted(n for n in os.listdir(work_dir)
                  if not re.match(r'^\d{8}_\d{6}$', n) and n != 'vis_data')


def last_named(work_dir):
    path = read_last_checkpoint(str(work_dir))
    return None if path is None else osp.relpath(path, str(work_dir))


# ------------------------------------------------------------ source-only
@pytest.fixture(scope='module')
def source_only_run(sim2real_tiny):
    work_dir = sim2real_tiny / 'work_dirs' / 'fault_source_only'
    finished(sim2real_tiny, SOURCE_ONLY, work_dir, SOURCE_OPTIONS)
    # max_keep_ckpts=1: only the last checkpoint is left
    assert [f for f in files(work_dir) if 'iter' in f] == ['iter_6.pth']
    return work_dir


# (fault point, files the kill leaves, last_checkpoint, resumed at)
SOURCE_CASES = [
    ('train.iteration@5', ['iter_4.pth'], 'iter_4.pth', 4),
    ('checkpoint.before_save@2', ['iter_2.pth'], 'iter_2.pth', 2),
    # the temporary file half written (a kill inside the write)
    ('checkpoint.before_rename@2', ['iter_2.pth', 'iter_4.pth.tmp'],
     'iter_2.pth', 2),
    ('checkpoint.before_last_checkpoint@2', ['iter_2.pth', 'iter_4.pth'],
     'iter_2.pth', 2),
    ('last_checkpoint.before_replace@2',
     ['iter_2.pth', 'iter_4.pth', 'last_checkpoint.tmp*'], 'iter_2.pth', 2),
    ('checkpoint.before_prune@2', ['iter_2.pth', 'iter_4.pth'],
     'iter_4.pth', 4),
    ('checkpoint.done@2', ['iter_4.pth'], 'iter_4.pth', 4),
    # no checkpoint yet: --resume starts afresh (and says so)
    ('checkpoint.before_rename@1', ['iter_2.pth.tmp'], None, 0),
    ('checkpoint.before_prune@3', ['iter_4.pth', 'iter_6.pth'],
     'iter_6.pth', 6),
]


def checkpoint_files(work_dir):
    return [
        re.sub(r'\.tmp\d+$', '.tmp*', f) for f in files(work_dir)
        if f.startswith(('iter_', 'last_checkpoint.'))
    ]


@pytest.mark.parametrize('fault,left,named,resume_iter',
                         SOURCE_CASES,
                         ids=[c[0] for c in SOURCE_CASES])
def test_source_only_kill_and_resume(sim2real_tiny, source_only_run, fault,
                                     left, named, resume_iter):
    work_dir = sim2real_tiny / 'work_dirs' / f'fault_so_{fault}'
    killed(sim2real_tiny, SOURCE_ONLY, work_dir, SOURCE_OPTIONS, fault)
    assert checkpoint_files(work_dir) == left
    assert last_named(work_dir) == named
    text = finished(
        sim2real_tiny, SOURCE_ONLY, work_dir, SOURCE_OPTIONS, resume=True)
    assert resumed_at(text) == resume_iter, text[-3000:]
    if named is None:
        assert text.count('--resume: nothing to resume in') == 1
    # what the kill left is gone; only the last checkpoint is kept
    assert checkpoint_files(work_dir) == ['iter_6.pth']
    assert (work_dir / 'last_checkpoint').read_text() == 'iter_6.pth'
    assert_same_training_state(work_dir / 'iter_6.pth',
                               source_only_run / 'iter_6.pth')


def test_resume_falls_back_from_a_damaged_checkpoint(sim2real_tiny,
                                                     source_only_run):
    """``last_checkpoint`` names a truncated file (a disk fault, a copy
    cut short): ``--resume`` says so and resumes from the newest intact
    checkpoint."""
    work_dir = sim2real_tiny / 'work_dirs' / 'fault_so_damaged'
    killed(sim2real_tiny, SOURCE_ONLY, work_dir, SOURCE_OPTIONS,
           'checkpoint.before_prune@2')
    ckpt = work_dir / 'iter_4.pth'
    ckpt.write_bytes(ckpt.read_bytes()[:1000])
    text = finished(
        sim2real_tiny, SOURCE_ONLY, work_dir, SOURCE_OPTIONS, resume=True)
    assert (f'{work_dir}/last_checkpoint names {ckpt}, which cannot be read'
            in text)
    assert (f'resuming from {work_dir}/iter_2.pth, the newest intact '
            'checkpoint of the work dir' in text)
    assert resumed_at(text) == 2
    assert_same_training_state(work_dir / 'iter_6.pth',
                               source_only_run / 'iter_6.pth')


# -------------------------------------------------------- best checkpoint
# save_best (AdvEnt's best-snapshot protocol): 8 iterations, validation and
# a checkpoint every 2, max_keep_ckpts=1. The validation mIoU falls after
# iteration 2 and rises above it at 8 (5.37, 4.96, 4.18, 7.15 on one
# machine, 5.36, 4.96, 4.17, 7.10 on another: the digits depend on the
# CPU's floating point, the shape is what the cases need): a best
# checkpoint at 2, replaced at 8.
BEST_OPTIONS = [
    'train_cfg.max_iters=8', 'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2',
    'default_hooks.checkpoint.max_keep_ckpts=1',
    '+default_hooks.checkpoint.save_best=mIoU',
    '+default_hooks.checkpoint.rule=greater',
    'default_hooks.logger.interval=1'
] + NO_WORKERS


def best_state(work_dir):
    """(best files, the best the last checkpoint records, its score)."""
    hub = load_checkpoint(
        read_last_checkpoint(str(work_dir)))['message_hub']['runtime_info']
    best = [f for f in files(work_dir) if f.startswith('best_')]
    return best, osp.basename(hub['best_ckpt']), hub['best_score']


@pytest.fixture(scope='module')
def best_run(sim2real_tiny):
    work_dir = sim2real_tiny / 'work_dirs' / 'fault_best'
    text = finished(sim2real_tiny, SOURCE_ONLY, work_dir, BEST_OPTIONS)
    scores = re.findall(r'Iter\(val\) \[\d+/\d+\].* mIoU: ([\d.]+)', text)
    assert len(scores) == 4, text[-3000:]
    at2, at4, at6, at8 = map(float, scores)
    assert max(at4, at6) < at2 < at8, (
        f'validation mIoU {scores} at 2, 4, 6, 8: the cases need a best at '
        '2 that 4 and 6 do not beat and 8 does')
    assert re.findall(r'best checkpoint with ([\d.]+) mIoU at (\d+)',
                      text) == [(scores[0], '2'), (scores[3], '8')]
    best, named, score = best_state(work_dir)
    assert (best, named) == (['best_mIoU_iter_8.pth'], 'best_mIoU_iter_8.pth')
    assert score == pytest.approx(at8)
    return work_dir


# (fault point, checkpoint files the kill leaves, resumed at, log line)
BEST_CASES = [
    # the first best half written: gone; the score at 2 is lost (the
    # resumed run goes on from iter_2, saved before that validation)
    ('best_checkpoint.before_rename@1',
     ['best_mIoU_iter_2.pth.tmp', 'iter_2.pth'], 2, 'left by an interrupted'),
    # written, not yet recorded by iter_2: adopted
    ('best_checkpoint.before_record@1',
     ['best_mIoU_iter_2.pth', 'iter_2.pth'], 2, 'adopted'),
    # the new best at 8 written, iter_8 (saved before the validation)
    # records the old one: the new one is adopted, the old one deleted
    ('best_checkpoint.before_record@2',
     ['best_mIoU_iter_2.pth', 'best_mIoU_iter_8.pth', 'iter_8.pth'], 8,
     'adopted'),
    # recorded, the old best not yet deleted: deleted on resume
    ('best_checkpoint.before_prune@1',
     ['best_mIoU_iter_2.pth', 'best_mIoU_iter_8.pth', 'iter_8.pth'], 8,
     'a best checkpoint that a kill left behind'),
]


@pytest.mark.parametrize('fault,left,resume_iter,message',
                         BEST_CASES,
                         ids=[c[0] for c in BEST_CASES])
def test_best_checkpoint_kill_and_resume(sim2real_tiny, best_run, fault,
                                         left, resume_iter, message):
    """The best checkpoint of ``save_best`` is written atomically and one
    best checkpoint, the one the resumable checkpoint names, survives any
    kill: the resumed run ends with the uninterrupted run's best."""
    work_dir = sim2real_tiny / 'work_dirs' / f'fault_best_{fault}'
    killed(sim2real_tiny, SOURCE_ONLY, work_dir, BEST_OPTIONS, fault)
    assert [f for f in files(work_dir)
            if f.startswith(('iter_', 'best_'))] == left
    text = finished(
        sim2real_tiny, SOURCE_ONLY, work_dir, BEST_OPTIONS, resume=True)
    assert resumed_at(text) == resume_iter, text[-3000:]
    assert message in text
    assert best_state(work_dir) == best_state(best_run)
    got = load_checkpoint(work_dir / 'best_mIoU_iter_8.pth')['state_dict']
    want = load_checkpoint(best_run / 'best_mIoU_iter_8.pth')['state_dict']
    assert got.keys() == want.keys()
    assert all(got[k].equal(want[k]) for k in want)


# ------------------------------------------------------------------- RIPU
def check_ledger_invariants(data_root, work_dir, rounds, budget_ratio=0.022):
    """The published ledger, read from the files alone: ``rounds`` rounds,
    every labelled pixel holds the ground truth, no image over its
    budget, labelled counts growing, and it equals the checkpoint's."""
    root = osp.join(work_dir, 'active_ledger')
    ledger = ActiveLabelLedger.load(root)  # validates maps against index
    assert ledger.num_rounds == rounds
    counts = [r['labelled_pixels'] for r in ledger.rounds]
    assert counts == sorted(counts) and counts[-1] > 0
    gt_root = osp.join(data_root, 'data', 'sim2real', 'cityscapes', 'gtFine',
                       'train')
    gt_files = {
        osp.basename(p).replace('_gtFine_labelTrainIds.png', ''): osp.join(
            d, p)
        for d, _, names in os.walk(gt_root) for p in names
        if p.endswith('_gtFine_labelTrainIds.png')
    }
    for key in ledger.keys:
        arr = ledger.get(key)
        gt = cv2.imread(gt_files[key.replace('_leftImg8bit', '')],
                        cv2.IMREAD_UNCHANGED)
        assert gt.shape == arr.shape, key
        labelled = arr < ACTIVE
        want = np.where(gt == 255, LABELLED_IGNORE, gt)
        assert np.array_equal(arr[labelled], want[labelled]), key
        # RA's budget: every round's whole 3 x 3 regions (as released)
        budget = region_budget(*arr.shape, budget_ratio, rounds, 1)
        assert 0 < labelled.sum() <= budget, key
    state = load_checkpoint(osp.join(work_dir, 'iter_6.pth'))['active_ledger']
    assert state == ledger.state_dict()


@pytest.fixture(scope='module')
def ripu_run(sim2real_tiny):
    work_dir = sim2real_tiny / 'work_dirs' / 'fault_ripu'
    finished(sim2real_tiny, RA_CONFIG, work_dir, RA_OPTIONS)
    check_ledger_invariants(sim2real_tiny, work_dir, rounds=2)
    return work_dir


# (fault point, round `current` names after the kill, resumed at); the
# ledger is published at the start and after each round (publish 1, 2, 3)
# and the rounds score 8 images each
RIPU_CASES = [
    ('selection.scoring@10', 'round_001', 3),
    ('selection.round_done@2', 'round_002', 3),
    ('ledger.written@3', 'round_001', 3),
    ('ledger.round_published@3', 'round_001', 3),
]


def assert_ripu_equal(data_root, work_dir, run_dir):
    assert_same_training_state(work_dir / 'iter_6.pth', run_dir / 'iter_6.pth')
    assert ledger_files(work_dir) == ledger_files(run_dir)  # no leftovers
    check_ledger_invariants(data_root, work_dir, rounds=2)


@pytest.mark.parametrize('fault,current,resume_iter',
                         RIPU_CASES,
                         ids=[c[0] for c in RIPU_CASES])
def test_ripu_kill_and_resume(sim2real_tiny, ripu_run, fault, current,
                              resume_iter):
    work_dir = sim2real_tiny / 'work_dirs' / f'fault_ripu_{fault}'
    killed(sim2real_tiny, RA_CONFIG, work_dir, RA_OPTIONS, fault)
    root = work_dir / 'active_ledger'
    assert os.readlink(root / 'current') == current
    ActiveLabelLedger.load(str(root))  # a reader can use it at once
    text = finished(
        sim2real_tiny, RA_CONFIG, work_dir, RA_OPTIONS, resume=True)
    assert resumed_at(text) == resume_iter
    assert 'active selection round 2/2 at iter 4' in text
    assert_ripu_equal(sim2real_tiny, work_dir, ripu_run)


def test_ripu_kill_inside_the_resumes_ledger_publish(sim2real_tiny,
                                                     ripu_run):
    """Killed during iteration 4 (the checkpoint of iteration 3 holds round
    1, which ``current`` names); the resume republishes that live round and
    is killed with ``current`` on the staged copy; a reader can still load
    the ledger, and a second resume finishes."""
    work_dir = sim2real_tiny / 'work_dirs' / 'fault_ripu_republish'
    killed(sim2real_tiny, RA_CONFIG, work_dir, RA_OPTIONS,
           'train.iteration@4')
    root = work_dir / 'active_ledger'
    assert os.readlink(root / 'current') == 'round_001'
    killed(sim2real_tiny, RA_CONFIG, work_dir, RA_OPTIONS,
           'ledger.current_on_staged@1', resume=True)
    assert re.match(r'^\.round_001\.stage\d+$',
                    os.readlink(root / 'current'))
    assert ActiveLabelLedger.load(str(root)).num_rounds == 1
    text = finished(
        sim2real_tiny, RA_CONFIG, work_dir, RA_OPTIONS, resume=True)
    assert resumed_at(text) == 3
    assert_ripu_equal(sim2real_tiny, work_dir, ripu_run)


# -------------------------------------------------------------- DeepSpeed
@pytest.fixture(scope='module')
def deepspeed_run(sim2real_tiny):
    pytest.importorskip('deepspeed')
    config = deepspeed_config(sim2real_tiny, SOURCE_ONLY, 'deepspeed_zero1')
    work_dir = sim2real_tiny / 'work_dirs' / 'fault_deepspeed'
    finished(sim2real_tiny, config, work_dir, DS_OPTIONS)
    return config, work_dir


def test_deepspeed_kill_inside_a_checkpoint_save(sim2real_tiny,
                                                 deepspeed_run):
    config, run_dir = deepspeed_run
    work_dir = sim2real_tiny / 'work_dirs' / 'fault_deepspeed_killed'
    killed(sim2real_tiny, config, work_dir, DS_OPTIONS,
           'checkpoint.before_rename@2')
    assert checkpoint_files(work_dir) == ['iter_2.pth', 'iter_4.pth.tmp']
    assert osp.isfile(work_dir / 'iter_4.pth.tmp' / DEEPSPEED_MODEL_STATES)
    assert last_named(work_dir) == 'iter_2.pth'
    text = finished(sim2real_tiny, config, work_dir, DS_OPTIONS, resume=True)
    assert resumed_at(text) == 2, text[-3000:]
    assert checkpoint_files(work_dir) == ['iter_4.pth']
    assert_same_deepspeed_state(work_dir / 'iter_4.pth',
                                run_dir / 'iter_4.pth', ranks=1)
