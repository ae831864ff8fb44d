"""The Slurm batch scripts on a real (local, one-node) Slurm cluster.

``slurm/local_cluster.sh start`` installs slurm-wlm and munge when needed
(apt-get, as root) and starts the cluster; CI runs it before pytest. On the
tiny sim2real benchmark with the tiny RIPU config (one selection round after
iteration 2, 4 iterations, checkpoints at 3 and 4):

(a) ``sbatch --ntasks-per-node=2 slurm/train_ripu.sh CONFIG ...`` trains
    with 2 DDP ranks (gloo; the selection round is split over both) and
    evaluates;
(b) the same job sent Slurm's warning signal after its first iteration
    (``scancel --signal=USR1 --batch``, as ``--signal=B:USR1@N`` does before
    the time limit) checkpoints, requeues itself, resumes from the
    checkpoint and ends with the final weights, optimizer state and ledger
    of the uninterrupted job (a);
(c) ``sbatch slurm/test.sh CONFIG CKPT`` evaluates the final checkpoint of
    (a) on 2 tasks;
(d) (a) and (b) with the DeepSpeed ZeRO-1 strategy: the requeued job ends
    with the weights, ledger and each rank's ZeRO partition of the
    uninterrupted one.
(e) ``slurm/intrada.sh`` chains IntraDA's stages as dependent jobs; when a
    stage fails, the stages after it are cancelled, not left pending.

The tests poll ``scontrol show job`` every 0.5 s rather than using
``sbatch --wait``, whose polling interval grows to tens of seconds.
"""
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time

import pytest

from conftest import (REPO, assert_same_deepspeed_state,
                      assert_same_training_state, deepspeed_config)

pytestmark = pytest.mark.slow

LOCAL_CLUSTER = osp.join(REPO, 'slurm', 'local_cluster.sh')
TRAIN_RIPU = osp.join(REPO, 'slurm', 'train_ripu.sh')
TEST = osp.join(REPO, 'slurm', 'test.sh')
RA_CONFIG = osp.join(
    REPO, 'configs', 'ripu',
    'ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
OPTIONS = [
    'custom_hooks.0.select_iters=[2]',
    'custom_hooks.0.dataloader.num_workers=0',
    'train_cfg.max_iters=4',
    'train_cfg.val_interval=4',
    'default_hooks.checkpoint.interval=3',
    'default_hooks.logger.interval=1',
    # one persistent worker per rank: Slurm signals every process of the
    # step, the workers must survive it
    'train_dataloader.num_workers=1',
    'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
]
# 2 tasks of 1 CPU on the local node; no GPUs there: no gres request
RESOURCES = ['--gres=none', '--nodes=1', '--ntasks-per-node=2',
             '--cpus-per-task=1', '--time=15']
JOB_TIMEOUT = 400


def _can_install() -> bool:
    if not shutil.which('apt-get'):
        return False
    if os.geteuid() == 0:
        return True
    return shutil.which('sudo') is not None and subprocess.run(
        ['sudo', '-n', 'true'], capture_output=True).returncode == 0


@pytest.fixture(scope='session')
def slurm_env():
    """Environment for Slurm clients and jobs; starts the local cluster
    (and stops it afterwards if it was not running before)."""
    if not (shutil.which('sbatch') and shutil.which('slurmctld')) and \
            not _can_install():
        pytest.skip('Slurm is not installed and cannot be installed here '
                    '(needs apt-get and root or passwordless sudo); CI runs '
                    '`bash slurm/local_cluster.sh start` as root')
    status = subprocess.run(['bash', LOCAL_CLUSTER, 'status'],
                            capture_output=True,
                            text=True)
    was_running = 'slurmctld: running' in status.stdout
    proc = subprocess.run(['bash', LOCAL_CLUSTER, 'start'],
                          capture_output=True,
                          text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    conf = proc.stdout.strip().splitlines()[-1]
    assert conf.startswith('SLURM_CONF='), proc.stdout
    env = dict(os.environ, SLURM_CONF=conf[len('SLURM_CONF='):],
               MMDA_ROOT=REPO, PYTHON=sys.executable)
    env.pop('OMP_NUM_THREADS', None)  # the batch script sets it per task
    yield env
    if not was_running:
        subprocess.run(['bash', LOCAL_CLUSTER, 'stop'], capture_output=True)


def submit(env, cwd, argv):
    """``sbatch`` a script; the job id."""
    proc = subprocess.run(['sbatch', '--parsable'] + argv, cwd=str(cwd),
                          env=env, capture_output=True, text=True,
                          timeout=60)
    job_id = proc.stdout.strip().split(';')[0]
    assert proc.returncode == 0 and job_id.isdigit(), proc.stderr
    return job_id


def train_job(env, cwd, name, config=RA_CONFIG):
    return submit(env, cwd, ['-J', name] + RESOURCES +
                  [TRAIN_RIPU, config, '--cfg-options'] + OPTIONS)


def job_info(env, job_id):
    """(state, restarts, exit code) of a job."""
    out = subprocess.run(['scontrol', 'show', 'job', job_id],
                         capture_output=True, text=True, env=env).stdout
    state = re.search(r'JobState=(\S+)', out)
    restarts = re.search(r'Restarts=(\d+)', out)
    code = re.search(r' ExitCode=(\d+):', out)
    return (state.group(1) if state else 'UNKNOWN',
            int(restarts.group(1)) if restarts else 0,
            int(code.group(1)) if code else None)


ACTIVE = ('PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'REQUEUED',
          'REQUEUE_HOLD', 'RESIZING', 'SUSPENDED')


def wait_job(env, job_id, log_path, deadline):
    """Poll until the job has ended; cancel it on timeout."""
    while True:
        info = job_info(env, job_id)
        if info[0] not in ACTIVE:
            wait_settled(log_path, deadline)
            return info
        if time.time() > deadline:
            cancel(env, job_id)
            raise AssertionError(f'job {job_id} still {info[0]}:\n'
                                 f'{read(log_path)[-5000:]}')
        time.sleep(0.5)


def wait_settled(path, deadline):
    """Wait until the job's output file stops growing: slurmd may still be
    writing it when the job is reported as ended."""
    last = -1
    while time.time() < deadline:
        size = osp.getsize(path) if osp.isfile(path) else -1
        if size == last and size >= 0:
            return
        last = size
        time.sleep(0.5)


def read(path):
    if not osp.isfile(path):
        return ''
    with open(path, errors='replace') as f:
        return f.read()


def cancel(env, job_id):
    subprocess.run(['scancel', job_id], env=env, capture_output=True)


@pytest.fixture(scope='module')
def ddp_job(slurm_env, sim2real_tiny):
    """The uninterrupted 2-rank job: (work dir, log text)."""
    job_id = train_job(slurm_env, sim2real_tiny, 'mmda-ddp')
    log_path = sim2real_tiny / f'slurm-mmda-ddp-{job_id}.out'
    state, _, code = wait_job(slurm_env, job_id, log_path,
                              time.time() + JOB_TIMEOUT)
    log = read(log_path)
    assert (state, code) == ('COMPLETED', 0), \
        f'job {job_id}: {state} ({code}):\n{log[-5000:]}'
    return sim2real_tiny / 'work_dirs' / 'mmda-ddp', log


def test_train_ripu_two_ddp_ranks(ddp_job):
    work_dir, log = ddp_job
    assert '2 task(s), work dir work_dirs/mmda-ddp' in log
    assert "backend='gloo'" in log or '"backend": "gloo"' in log or \
        "'backend': 'gloo'" in log
    assert 'scoring 8 target images on 2 rank(s)' in log
    assert re.search(r'Iter\(val\).*mIoU: [\d.]+', log), log[-3000:]
    assert osp.isfile(work_dir / 'iter_4.pth')


def preempt_and_finish(env, cwd, name, config=RA_CONFIG):
    """Submit a training job, send it Slurm's warning signal after its first
    iteration and wait until it has ended; check that it checkpointed,
    requeued itself, resumed without replaying batches and completed.
    Returns the work dir."""
    job_id = train_job(env, cwd, name, config)
    log_path = cwd / f'slurm-{name}-{job_id}.out'
    deadline = time.time() + JOB_TIMEOUT
    while 'Iter(train) [1/4]' not in read(log_path):
        if job_info(env, job_id)[0] not in ACTIVE or \
                time.time() > deadline:
            cancel(env, job_id)
            raise AssertionError(f'no training iteration:\n'
                                 f'{read(log_path)[-5000:]}')
        time.sleep(0.2)
    # what Slurm does before the time limit with --signal=B:USR1@N
    subprocess.run(['scancel', '--signal=USR1', '--batch', job_id],
                   env=env, check=True)
    state, restarts, _ = wait_job(env, job_id, log_path, deadline)
    log = read(log_path)
    assert state == 'COMPLETED' and restarts == 1, f'{state}, {restarts} ' \
        f'restarts:\n{log[-5000:]}'
    stopped = re.search(r'received SIGUSR1: saving a checkpoint of '
                        r'iteration (\d+)', log)
    assert stopped, log[-5000:]
    step = int(stopped.group(1))
    assert 1 <= step < 4
    assert f'requeued Slurm job {job_id}' in log
    assert f'job {job_id} ({name}) start 1' in log  # the second start
    assert f'resumed epoch: 0, iter: {step}' in log
    assert 'Advance dataloader' not in log
    return cwd / 'work_dirs' / name


def test_warning_signal_requeues_and_resumes_exactly(slurm_env, sim2real_tiny,
                                                     ddp_job):
    work_dir = preempt_and_finish(slurm_env, sim2real_tiny, 'mmda-preempt')
    assert_same_training_state(work_dir / 'iter_4.pth',
                               ddp_job[0] / 'iter_4.pth')


def test_deepspeed_job_requeues_and_resumes_exactly(slurm_env,
                                                    sim2real_tiny):
    """RIPU with ZeRO-1 on 2 tasks: the preempted, requeued job ends with
    the weights, ledger and per-rank ZeRO partitions of an uninterrupted
    ZeRO-1 job (DeepSpeed checkpoints are directories; the same preemption
    hook and last_checkpoint drive them)."""
    config = deepspeed_config(sim2real_tiny, RA_CONFIG, 'deepspeed_zero1')
    job_id = train_job(slurm_env, sim2real_tiny, 'mmda-ds', config)
    log_path = sim2real_tiny / f'slurm-mmda-ds-{job_id}.out'
    state, _, code = wait_job(slurm_env, job_id, log_path,
                              time.time() + JOB_TIMEOUT)
    assert (state, code) == ('COMPLETED', 0), read(log_path)[-5000:]
    assert 'DeepSpeed' in read(log_path)
    work_dir = preempt_and_finish(slurm_env, sim2real_tiny,
                                  'mmda-ds-preempt', config)
    assert osp.isdir(work_dir / 'iter_4.pth')  # a DeepSpeed checkpoint
    assert_same_deepspeed_state(work_dir / 'iter_4.pth',
                                sim2real_tiny / 'work_dirs' / 'mmda-ds' /
                                'iter_4.pth', ranks=2)


def test_test_script_two_tasks(slurm_env, sim2real_tiny, ddp_job):
    job_id = submit(slurm_env, sim2real_tiny, ['-J', 'mmda-test'] +
                    RESOURCES + [
                        TEST, RA_CONFIG,
                        str(ddp_job[0] / 'iter_4.pth'), '--cfg-options',
                        'test_dataloader.num_workers=0',
                        'test_dataloader.persistent_workers=False'
                    ])
    log_path = sim2real_tiny / f'slurm-mmda-test-{job_id}.out'
    state, _, code = wait_job(slurm_env, job_id, log_path,
                              time.time() + JOB_TIMEOUT)
    log = read(log_path)
    assert (state, code) == ('COMPLETED', 0), log[-5000:]
    assert '2 task(s)' in log and 'per class results' in log
    assert re.search(r'Iter\(test\).*mIoU: [\d.]+', log), log[-3000:]
    assert osp.isdir(sim2real_tiny / 'work_dirs' / 'mmda-test-test')


ADVENT_SIM2REAL = osp.join(
    REPO, 'configs', 'advent',
    'advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
INTRADA_SIM2REAL = osp.join(
    REPO, 'configs', 'intrada',
    'intrada_deeplabv2-small_sim2real-gta5-to-cityscapes.py')


def submit_intrada_chain(env, cwd, name, train_args):
    """``bash slurm/intrada.sh`` on the sim2real configs: {step: job id}."""
    env = dict(
        env,
        NAME=name,
        SBATCH_ARGS='--gres=none --nodes=1 --ntasks-per-node=1 '
        '--cpus-per-task=1 --time=15',
        TRAIN_ARGS=train_args)
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'slurm', 'intrada.sh'), ADVENT_SIM2REAL,
         INTRADA_SIM2REAL, '--lambda', '0.5'],
        cwd=str(cwd), env=env, capture_output=True, text=True,
        timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    jobs = dict(line.split() for line in proc.stdout.strip().splitlines())
    assert set(jobs) == {'stage1', 'rank', 'stage2'}
    return jobs


def test_intrada_stages_chain_as_dependent_jobs(slurm_env, sim2real_tiny):
    """``slurm/intrada.sh`` submits stage 1, the ranking and stage 2 as
    jobs that wait for each other, and the chain runs through."""
    env = slurm_env
    jobs = submit_intrada_chain(
        env, sim2real_tiny, 'mmda-intrada',
        '--cfg-options train_cfg.max_iters=2 '
        'train_cfg.val_interval=2 train_dataloader.batch_size=1 '
        'train_dataloader.num_workers=0 '
        'train_dataloader.persistent_workers=False '
        'val_dataloader.num_workers=0 val_dataloader.persistent_workers=False')
    deps = {
        step: re.search(r'Dependency=(\S+)', subprocess.run(
            ['scontrol', 'show', 'job', job], capture_output=True, text=True,
            env=env).stdout).group(1)
        for step, job in jobs.items()
    }
    assert deps['rank'].startswith(f'afterok:{jobs["stage1"]}')
    assert deps['stage2'].startswith(f'afterok:{jobs["rank"]}')
    deadline = time.time() + JOB_TIMEOUT
    for step in ('stage1', 'rank', 'stage2'):
        log = sim2real_tiny / f'slurm-mmda-intrada-{step}-{jobs[step]}.out'
        state, _, code = wait_job(env, jobs[step], log, deadline)
        assert (state, code) == ('COMPLETED', 0), \
            f'{step} {jobs[step]}: {state} ({code}):\n{read(log)[-5000:]}'
    root = sim2real_tiny / 'work_dirs' / 'mmda-intrada'
    manifest = json.load(open(root / 'entropy_rank' / 'manifest.json'))
    assert manifest['num_images'] == 8 and manifest['num_easy'] == 4
    # ranked with stage 1's best checkpoint (save_best), and the log says so
    best = root / 'stage1' / 'best_mIoU_iter_2.pth'
    assert manifest['checkpoint'] == str(best)
    log = sim2real_tiny / f'slurm-mmda-intrada-rank-{jobs["rank"]}.out'
    assert f'entropy ranking with the best snapshot {best}' in read(log)
    assert (root / 'stage2' / 'iter_2.pth').is_file()


def test_failed_stage_cancels_the_stages_after_it(slurm_env, sim2real_tiny):
    """A stage 1 that fails (a mistyped config key) leaves no job of the
    chain pending forever: Slurm cancels the ranking and stage 2."""
    jobs = submit_intrada_chain(slurm_env, sim2real_tiny,
                                'mmda-intrada-fail',
                                '--cfg-options train_cfg.max_iterz=2')
    deadline = time.time() + JOB_TIMEOUT
    log = sim2real_tiny / f'slurm-mmda-intrada-fail-stage1-' \
        f'{jobs["stage1"]}.out'
    state, _, code = wait_job(slurm_env, jobs['stage1'], log, deadline)
    assert state == 'FAILED' and code != 0, (state, code)
    assert 'max_iterz' in read(log)  # the error names the key
    deadline = time.time() + 60  # Slurm re-checks dependencies in seconds
    for step in ('rank', 'stage2'):
        while job_info(slurm_env, jobs[step])[0] == 'PENDING':
            if time.time() > deadline:
                for job in (jobs['rank'], jobs['stage2']):
                    cancel(slurm_env, job)
                raise AssertionError(f'{step} {jobs[step]} still pending '
                                     '60 s after stage 1 failed')
            time.sleep(0.5)
        assert job_info(slurm_env, jobs[step])[0] == 'CANCELLED', step
