"""Pictures of a trained GIO-Ada model on the embedded benchmark.

For a few source/target pairs of the config's training data: the source
image, its translation by the image transform network G (what the task
network is trained on), the target image, and the depth the task network
predicts on the target (inverse depth, brighter = nearer)::

    python benchmarks/gio_ada_pictures.py CONFIG CHECKPOINT \\
        --out gio_ada_pictures.png

The checkpoint is one of the run's own (mmengine's loader, as
``tools/test.py`` reads it), loaded strictly into the config's model.
"""
import argparse
import os.path as osp
import sys

import cv2
import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from mmengine.config import Config  # noqa: E402
from mmengine.dataset import pseudo_collate  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import load_checkpoint  # noqa: E402

from mmseg.registry import DATASETS, MODELS  # noqa: E402

import mmda  # noqa: E402,F401
from mmda.models import depth_representation  # noqa: E402
from picture_grid import grid, write_picture  # noqa: E402


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """N×3×H×W in [-1, 1] (RGB) → N×H×W×3 uint8 BGR."""
    x = ((images.clamp(-1, 1) + 1) * 127.5).round().byte()
    return x.permute(0, 2, 3, 1).numpy()[..., ::-1]


def depth_picture(depth: torch.Tensor) -> np.ndarray:
    """N×1×H×W → N×H×W×3 colour-mapped (per image min-max)."""
    d = depth[:, 0]
    lo = d.flatten(1).amin(1).view(-1, 1, 1)
    hi = d.flatten(1).amax(1).view(-1, 1, 1)
    d = ((d - lo) / (hi - lo).clamp(min=1e-6) * 255).round().byte()
    return np.stack([cv2.applyColorMap(x, cv2.COLORMAP_INFERNO)
                     for x in d.numpy()])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out',
                        default=osp.join(ROOT, 'benchmarks', 'results',
                                         'gio_ada_pictures.png'))
    parser.add_argument('--num', type=int, default=3)
    args = parser.parse_args(argv)

    init_default_scope('mmseg')
    cfg = Config.fromfile(args.config)
    model = MODELS.build(cfg.model)
    if type(model).__name__ != 'GIOAda':
        raise SystemExit(f'{args.config} is not a GIO-Ada config')
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    model.eval()
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    # pair i: source image i, target image i (TwoDomainDataset pairs)
    batch = pseudo_collate(
        [dataset[dataset.pair_index(i, i)] for i in range(args.num)])
    torch.manual_seed(0)
    with torch.no_grad():
        data = model.data_preprocessor(batch, True)
        inputs, samples = data['inputs'], data['data_samples']
        src, tgt = inputs['source'], inputs['target']
        labels = torch.stack([s.gt_sem_seg.data for s in samples['source']])
        g_depth = None
        if model.with_depth:
            depth, valid = model.source_depth(src, samples['source'])
            g_depth = model.normalise_depth(
                depth_representation(
                    torch.where(valid, depth, torch.ones_like(depth)),
                    model.depth_repr), valid)
        source = model.to_unit_range(src)
        translated = model.generator(source, labels[:, 0], g_depth)
        _, pred_depth = model.task_outputs(tgt)
    columns = [('source', to_uint8(source)),
               ('translated source (G)', to_uint8(translated)),
               ('target', to_uint8(model.to_unit_range(tgt)))]
    if pred_depth is not None:
        columns.append(
            ('predicted depth on target', depth_picture(pred_depth)))
    write_picture(args.out, grid(columns, args.num))


if __name__ == '__main__':
    main()
