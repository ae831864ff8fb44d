"""Helper of ``tests/test_self_ensembling_e2e.py``: a short SelfEnsembling
run under DDP, saving what each rank ends with.

Builds the runner of ``CONFIG`` as ``tools/train.py`` does (under torchrun
with ``--launcher pytorch``, gloo on CPU), trains it and saves
``{'wrapper', 'teacher_type', 'student_type', 'teacher', 'student'}`` to
``OUT/rank<r>.pt``::

    python tests/ddp_se_worker.py CONFIG --work-dir DIR --out OUT \\
        [--launcher pytorch] [--cfg-options ...]
"""
import argparse
import os
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from mmengine.dist import get_rank  # noqa: E402

from mmda.apis import build_runner_from_args  # noqa: E402
from mmda.models.utils import unwrap  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--launcher', default='none')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)

    runner = build_runner_from_args(
        args.config,
        work_dir=args.work_dir,
        cfg_options=args.cfg_options,
        launcher=args.launcher)
    runner.train()
    model = unwrap(runner.model)
    os.makedirs(args.out, exist_ok=True)
    torch.save(
        dict(
            wrapper=type(runner.model).__name__,
            teacher_type=type(model.teacher).__name__,
            student_type=type(model.student).__name__,
            teacher={
                k: v.detach().clone()
                for k, v in model.teacher.state_dict().items()
            },
            student={
                k: v.detach().clone()
                for k, v in unwrap(model.student).state_dict().items()
            }), osp.join(args.out, f'rank{get_rank()}.pt'))


if __name__ == '__main__':
    main()
