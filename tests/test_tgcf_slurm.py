"""``slurm/tgcf.sh`` on the local Slurm cluster (``tests/test_slurm.py``'s
fixture): stage A, the generation and stage B run as three jobs, each
waiting for the previous one (afterok), and the chain runs through on the
tiny sim2real benchmark."""
import os.path as osp
import re
import subprocess
import time

import pytest
import torch

from conftest import REPO
from test_slurm import JOB_TIMEOUT, read, slurm_env, wait_job  # noqa: F401

pytestmark = pytest.mark.slow

STAGE_A = osp.join(REPO, 'configs', 'tgcf',
                   'tgcf-da-generator_sim2real-gta5-to-cityscapes.py')
STAGE_B = osp.join(
    REPO, 'configs', 'tgcf',
    'tgcf-da-self-ensembling_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
TINY = ('--cfg-options train_cfg.max_iters=2 train_dataloader.batch_size=1 '
        'train_dataloader.num_workers=0 '
        'train_dataloader.persistent_workers=False '
        'default_hooks.checkpoint.interval=2')


def test_tgcf_stages_chain_as_dependent_jobs(
        slurm_env, sim2real_tiny):  # noqa: F811
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(0)
    seg = MODELS.build(
        Config.fromfile(
            osp.join(REPO, 'configs', '_base_', 'models',
                     'deeplabv2_small.py')).model)
    ckpt = sim2real_tiny / 'source_only_random.pth'
    torch.save(dict(meta=dict(), state_dict=seg.state_dict()), ckpt)
    env = dict(
        slurm_env,
        NAME='mmda-tgcf',
        SBATCH_ARGS='--gres=none --nodes=1 --ntasks-per-node=1 '
        '--cpus-per-task=1 --time=15',
        STAGE_A_ARGS=TINY + ' model.generator.base_channels=4 '
        'model.generator.n_res=1 model.discriminator.base_channels=4',
        STAGE_B_ARGS=TINY + ' train_cfg.val_interval=2 '
        'val_dataloader.num_workers=0 '
        'val_dataloader.persistent_workers=False')
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'slurm', 'tgcf.sh'), STAGE_A, STAGE_B,
         str(ckpt), '--seed', '2', '--cfg-options',
         'model.generator.base_channels=4', 'model.generator.n_res=1'],
        cwd=str(sim2real_tiny), env=env, capture_output=True, text=True,
        timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    jobs = dict(line.split() for line in proc.stdout.strip().splitlines())
    assert set(jobs) == {'stage_a', 'generate', 'stage_b'}
    deps = {
        step: re.search(r'Dependency=(\S+)', subprocess.run(
            ['scontrol', 'show', 'job', job], capture_output=True, text=True,
            env=env).stdout).group(1)
        for step, job in jobs.items()
    }
    assert deps['generate'].startswith(f'afterok:{jobs["stage_a"]}')
    assert deps['stage_b'].startswith(f'afterok:{jobs["generate"]}')
    deadline = time.time() + 3 * JOB_TIMEOUT
    names = {'stage_a': 'stage-a', 'generate': 'generate',
             'stage_b': 'stage-b'}
    for step in ('stage_a', 'generate', 'stage_b'):
        log = sim2real_tiny / f'slurm-mmda-tgcf-{names[step]}-{jobs[step]}.out'
        state, _, code = wait_job(env, jobs[step], log, deadline)
        assert (state, code) == ('COMPLETED', 0), \
            f'{step} {jobs[step]}: {state} ({code}):\n{read(log)[-5000:]}'
    root = sim2real_tiny / 'work_dirs' / 'mmda-tgcf'
    manifest = (root / 'generated' / 'tgcf_manifest.json').read_text()
    assert '"seed": 2' in manifest
    assert (root / 'stage_b' / 'iter_2.pth').is_file()
