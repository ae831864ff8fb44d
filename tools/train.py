"""Train a segmentor with an mmda config (a thin tool over mmengine's Runner).

Same flags as MMSegmentation's ``tools/train.py``::

    python tools/train.py CONFIG [--work-dir DIR] [--resume] [--amp]
        [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm]

Multi-process training goes through ``tools/dist_train.sh`` (torchrun) or
``slurm/train.sh`` (srun); both pass ``--launcher``.

SIGUSR1 or SIGTERM stops the run after the current iteration with a
checkpoint (:class:`mmda.engine.PreemptionHook`); inside a Slurm job,
SIGUSR1 also requeues the job. Exit status: 0 when training finished or the
job was requeued, 128 + the signal number when a signal stopped it (resume
with ``--resume``).
"""
import argparse
import os
import os.path as osp
import sys

try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmda  # noqa: F401

from mmengine.config import DictAction

from mmda.apis import build_runner_from_args
from mmda.engine.hooks import exit_code


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work dir: the one '
        'its last_checkpoint file names or, if that one is missing or '
        'unreadable, the newest intact one (training starts afresh when '
        'there is none)')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. '
        'train_cfg.max_iters=1000 (the key must exist in the config); '
        '+KEY=VALUE adds a new key, e.g. +randomness.deterministic=True')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    runner = build_runner_from_args(
        args.config,
        work_dir=args.work_dir,
        cfg_options=args.cfg_options,
        launcher=args.launcher,
        resume=args.resume,
        amp=args.amp)
    runner.train()
    # (the process group is torn down at exit:
    # mmda.engine.launch.destroy_distributed)
    return exit_code(runner)


if __name__ == '__main__':
    sys.exit(main())
