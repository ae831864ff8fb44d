"""What the benchmark scripts share: timing runs of ``tools/train.py``
without validation or checkpoints, and reading mmengine's per-iteration
times back from the run's ``vis_data/scalars.json``."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
RESULTS_DIR = osp.join(ROOT, 'benchmarks', 'results')


def timing_options(config: str, iters: int) -> list:
    """``--cfg-options`` of a timed run of ``iters`` iterations: every
    iteration logged, no validation, no checkpoint, and (RIPU) no selection
    round inside the run."""
    options = [
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
        'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None',
        'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=1000000000',
        'default_hooks.checkpoint.save_last=False'
    ]
    if 'ripu' in osp.basename(config):
        options.append(f'custom_hooks.0.select_iters=[{iters + 1000}]')
    return options


def training_records(work_dir: str) -> list:
    """mmengine's logged records (``vis_data/scalars.json``) of every
    training iteration of the last run in ``work_dir`` (rank 0's log)."""
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, 'vis_data',
                                         'scalars.json')))
    if not runs:
        raise FileNotFoundError(f'no training log in {work_dir}')
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        records = [json.loads(line) for line in f]
    return [r for r in records if 'loss' in r and 'time' in r]


def iteration_times(work_dir: str) -> list:
    """(iteration, seconds) of every logged training iteration of the last
    run in ``work_dir`` (rank 0's log)."""
    return [(r['iter'], r['time']) for r in training_records(work_dir)]


def run_or_exit(argv: list, what: str, env: dict) -> str:
    """Run ``argv`` in the repository; exit with the end of its output when
    it fails. Its stdout."""
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                          env=env)
    if proc.returncode != 0:
        sys.exit(f'{what} failed ({proc.returncode}):\n'
                 f'{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}')
    return proc.stdout


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
