"""Helper of ``tests/test_plca_ddp.py``: one PLCA forward + backward under
DDP (torchrun, gloo), each rank on its shard of a fixed global batch.

Loads the model's start weights and the global batch (``source``,
``target``, ``labels``: 2 images each) from ``--inputs``, takes image
``rank`` of each, wraps the model in mmengine's
``MMDistributedDataParallel`` and saves the averaged gradients for each
Lovász weight of ``--lovasz-weights`` to ``OUT/rank<r>.pt``::

    torchrun --nproc_per_node 2 tests/ddp_plca_worker.py CONFIG \\
        --inputs IN.pt --out OUT --lovasz-weights 0 0.75
"""
import argparse
import os
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402
from mmengine.dist import get_rank  # noqa: E402
from mmengine.model import MMDistributedDataParallel  # noqa: E402

from mmda.engine.launch import init_distributed  # noqa: E402
from test_plca_ddp import build_plca, plca_batch  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--inputs', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--lovasz-weights', type=float, nargs='+')
    args = parser.parse_args(argv)
    init_distributed('pytorch')
    torch.set_num_threads(1)
    rank = get_rank()
    saved = torch.load(args.inputs, weights_only=True)
    inputs, samples = plca_batch(saved, slice(rank, rank + 1))
    grads = {}
    for weight in args.lovasz_weights:
        model = build_plca(args.config, weight, saved['state_dict'])
        ddp = MMDistributedDataParallel(module=model)
        losses = ddp(inputs, samples, mode='loss')
        loss, _ = model.parse_losses(losses)
        loss.backward()
        grads[weight] = {
            k: p.grad.detach().clone()
            for k, p in model.named_parameters()
        }
    os.makedirs(args.out, exist_ok=True)
    torch.save(dict(grads=grads), osp.join(args.out, f'rank{rank}.pt'))


if __name__ == '__main__':
    main()
