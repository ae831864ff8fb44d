"""``tools/dist_train.sh`` as two nodes on loopback.

Two torchrun launchers (``NNODES=2``, ``NODE_RANK=0/1``, ``MASTER_ADDR``
127.0.0.1, one ``PORT``), i.e. two "nodes" of one process each, form one
2-rank gloo job that trains the source-only config for two iterations and
checkpoints, and both launchers exit 0.

Each launcher's output goes to a file (a pipe left unread can block a
launcher), and the test stops waiting as soon as one launcher fails: the
other one would otherwise sit in torchrun's exit barrier for 300 s.
"""
import os
import os.path as osp
import subprocess
import sys
import time

import pytest
import torch

from conftest import REPO, free_port

pytestmark = pytest.mark.slow

SOURCE_ONLY = osp.join(
    REPO, 'configs', 'baselines',
    'source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
OPTIONS = [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=1000',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
    'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'train_dataloader.batch_size=1'
]
TIMEOUT = 240


def launch(node_rank: int, port: int, work_dir, cwd, log_path):
    env = dict(
        os.environ,
        NNODES='2',
        NODE_RANK=str(node_rank),
        MASTER_ADDR='127.0.0.1',
        PORT=str(port),
        PYTHON=sys.executable,
        OMP_NUM_THREADS='1')
    with open(log_path, 'w') as log:
        return subprocess.Popen([
            'bash',
            osp.join(REPO, 'tools', 'dist_train.sh'), SOURCE_ONLY, '1',
            '--work-dir',
            str(work_dir), '--cfg-options'
        ] + OPTIONS,
                                cwd=str(cwd),
                                env=env,
                                stdout=log,
                                stderr=subprocess.STDOUT)


def wait_all(procs, timeout: float) -> list:
    """Exit codes; stops at the first failure or at the deadline, killing
    the launchers still running (None for those)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        codes = [p.poll() for p in procs]
        if all(c == 0 for c in codes) or any(c not in (None, 0)
                                             for c in codes):
            break
        time.sleep(0.2)
    codes = [p.poll() for p in procs]
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    return codes


def test_two_nodes_on_loopback_train(sim2real_tiny):
    work_dir = sim2real_tiny / 'work_dirs' / 'two_nodes'
    port = free_port()
    logs = [sim2real_tiny / f'two_nodes_node{rank}.log' for rank in (0, 1)]
    procs = [
        launch(rank, port, work_dir, sim2real_tiny, logs[rank])
        for rank in (0, 1)
    ]
    codes = wait_all(procs, TIMEOUT)
    outputs = [log.read_text(errors='replace') for log in logs]
    for rank, (code, out) in enumerate(zip(codes, outputs)):
        assert code == 0, f'node {rank} exited with {code}:\n{out[-4000:]}'
    log = outputs[0]
    assert 'Distributed launcher: pytorch' in log, log[-3000:]
    # mmengine logs the world size as "GPU number", also on CPU
    assert 'GPU number: 2' in log, log[-3000:]
    assert "'backend': 'gloo'" in log or "backend='gloo'" in log
    assert 'Iter(train) [2/2]' in log
    ckpt = torch.load(
        work_dir / 'iter_2.pth', map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 2
    for name, value in ckpt['state_dict'].items():
        assert torch.isfinite(value.float()).all(), name
