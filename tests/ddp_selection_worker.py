"""Helper of ``tests/test_active_selection_hook.py``: one selection round.

Builds the runner of ``CONFIG`` the way ``tools/train.py`` does (so with
``--launcher pytorch`` under ``torchrun`` the model is DDP-wrapped and the
process group is gloo on CPU), loads ``CHECKPOINT`` into the model and runs
the config's :class:`~mmda.engine.ActiveSelectionHook` directly:
``before_train`` (publishes the empty ledger) and one ``run_round`` per
``--iterations`` entry. The ledger lands in ``<work dir>/active_ledger`` as
in training::

    python tests/ddp_selection_worker.py CONFIG CHECKPOINT --work-dir DIR \\
        [--launcher none|pytorch] [--iterations N ...] [--cfg-options ...]
"""
import argparse
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from mmengine.config import DictAction  # noqa: E402

from mmda.apis import build_runner_from_args  # noqa: E402
from mmda.engine.hooks.active_selection_hook import \
    ActiveSelectionHook  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--launcher', default='none')
    parser.add_argument('--iterations', type=int, nargs='+', default=[2])
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)

    runner = build_runner_from_args(
        args.config,
        work_dir=args.work_dir,
        cfg_options=args.cfg_options,
        launcher=args.launcher)
    hooks = [h for h in runner.hooks if isinstance(h, ActiveSelectionHook)]
    assert len(hooks) == 1, runner.hooks
    runner.load_checkpoint(args.checkpoint, map_location='cpu')
    hooks[0].before_train(runner)
    for iteration in args.iterations:
        hooks[0].run_round(runner, iteration)
    # the process group is torn down at exit
    # (mmda.engine.launch.destroy_distributed)


if __name__ == '__main__':
    main()
