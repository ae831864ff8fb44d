"""Inference throughput of an mmda config's deployable segmentor.

    python tools/analysis_tools/benchmark.py CONFIG [CKPT] \
        [--num-images 200] [--warmup 5] [--split test]

Runs the test dataloader's images through the segmentor (``test_step``,
the path ``tools/test.py`` takes) and reports images per second over the
images after the warm-up, model time only (data loading excluded), on the
GPU when there is one. Like mmseg's ``benchmark.py``, which needs a GPU
and builds the config's model as it is (an AdvEnt wrapper has no test
path of its own); without a checkpoint the weights are random (the speed
is the same).
"""
import argparse
import time

import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmseg_tools import mmseg_tool  # noqa: F401  (imports mmda)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?')
    parser.add_argument('--num-images', type=int, default=200)
    parser.add_argument('--warmup', type=int, default=5,
                        help='batches not timed')
    parser.add_argument('--split', default='test',
                        choices=['train', 'val', 'test'])
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def measure(model, dataloader, num_images: int, warmup: int) -> dict:
    """``images``, ``seconds`` and ``images_per_s`` of ``model.test_step``
    after ``warmup`` batches (at most ``num_images`` timed images)."""
    cuda = torch.cuda.is_available()
    timed = seconds = 0.0
    model.eval()
    with torch.no_grad():
        for i, batch in enumerate(dataloader):
            if cuda:
                torch.cuda.synchronize()
            start = time.perf_counter()
            model.test_step(batch)
            if cuda:
                torch.cuda.synchronize()
            if i >= warmup:
                seconds += time.perf_counter() - start
                timed += len(batch['inputs'])
                if timed >= num_images:
                    break
    if not timed:
        raise ValueError(f'the dataloader has no images after {warmup} '
                         'warm-up batches: lower --warmup')
    return dict(images=int(timed), seconds=seconds,
                images_per_s=timed / seconds)


def main(argv=None):
    args = parse_args(argv)
    from mmda.apis import load_config, load_segmentor_weights
    from mmda.models.segmentors.deployable import deployable_segmentor
    from mmseg.registry import MODELS
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope('mmseg')
    model = deployable_segmentor(MODELS.build(cfg.model))
    if args.checkpoint:
        load_segmentor_weights(model, args.checkpoint, args.config)
    if torch.cuda.is_available():
        model = model.cuda()
    dataloader = Runner.build_dataloader(cfg[f'{args.split}_dataloader'])
    result = measure(model, dataloader, args.num_images, args.warmup)
    device = 'cuda' if torch.cuda.is_available() else (
        f'cpu, {torch.get_num_threads()} thread(s)')
    print(f'{result["images"]} images in {result["seconds"]:.2f} s: '
          f'{result["images_per_s"]:.2f} images/s ({device}, batch '
          f'{dataloader.batch_size})')
    return result


if __name__ == '__main__':
    main()
