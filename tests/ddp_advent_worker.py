"""Helper of ``tests/test_advent_ddp.py``: one AdvEnt iteration under DDP,
recording the gradients each optimizer steps with.

Builds the runner of ``CONFIG`` as ``tools/train.py`` does (under torchrun
with ``--launcher pytorch``: ``MMSeparateDistributedDataParallel``, gloo on
CPU), takes this rank's first training batch, runs ``train_step`` and saves
``{'grads': {optimizer: {param: grad}}, 'inputs': ..., 'params': ...}`` to
``OUT/rank<r>.pt``; with ``--load CKPT`` the Runner first loads the
checkpoint into the wrapped model, and ``'loaded'`` holds the state dict
right after; ``--save-batch`` also saves the batch (``OUT/rank<r>.batch``)
and ``--batch FILE`` trains on a saved batch instead of the dataloader's
(a one-process rerun of one rank's step)::

    python tests/ddp_advent_worker.py CONFIG --work-dir DIR --out OUT \\
        [--launcher pytorch] [--load CKPT] [--save-batch] [--batch FILE] \\
        [--cfg-options ...]

Used by the AdvEnt and GIO-Ada DDP tests.
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
from mmengine.model import is_model_wrapper  # noqa: E402

from mmda.apis import build_runner_from_args  # noqa: E402


def record_step(name, wrapper, model, store):
    """Wrap ``wrapper.step`` to save the gradients it applies."""
    real_step = wrapper.step
    child = getattr(model, name)
    child = child.module if is_model_wrapper(child) else child

    def step(**kwargs):
        store[name] = {
            k: p.grad.detach().clone()
            for k, p in child.named_parameters() if p.grad is not None
        }
        return real_step(**kwargs)

    wrapper.step = step


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--launcher', default='none')
    parser.add_argument('--load', help='checkpoint loaded by the Runner')
    parser.add_argument('--save-batch', action='store_true')
    parser.add_argument('--batch', help='a batch saved by --save-batch')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)

    runner = build_runner_from_args(
        args.config,
        work_dir=args.work_dir,
        cfg_options=args.cfg_options,
        launcher=args.launcher)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    loaded = {}
    if args.load:  # as resume / load_from / tools/test.py do
        runner.load_checkpoint(args.load, map_location='cpu')
        loaded = {k: v.detach().clone() for k, v in model.state_dict().items()}
    grads = {}
    for name, wrapper in runner.optim_wrapper.items():
        record_step(name, wrapper, model, grads)
    if args.batch:
        batch = torch.load(args.batch, weights_only=False)
    else:
        batch = next(iter(runner.train_dataloader))
    os.makedirs(args.out, exist_ok=True)
    if args.save_batch:
        torch.save(batch, osp.join(args.out, f'rank{get_rank()}.batch'))
    runner.message_hub.update_info('iter', 0)
    runner.model.train()
    runner.model.train_step(batch, optim_wrapper=runner.optim_wrapper)
    torch.save(
        dict(
            grads=grads,
            inputs=torch.stack(batch['target']['inputs']).float().sum(),
            wrapper=type(runner.model).__name__,
            state_dict_keys=sorted(model.state_dict()),
            children={
                name: type(getattr(model, name)).__name__
                for name in ('segmentor', 'discriminator', 'data_preprocessor')
            },
            loaded=loaded,
            params={k: v.detach().clone()
                    for k, v in model.named_parameters()}),
        osp.join(args.out, f'rank{get_rank()}.pt'))
    # the process group is torn down at exit
    # (mmda.engine.launch.destroy_distributed)


if __name__ == '__main__':
    main()
