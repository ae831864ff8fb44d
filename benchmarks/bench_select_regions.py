"""Benchmark RIPU's region selection: vectorised vs the original greedy loop.

Scores a random but prediction-like 19-class logit map at full Cityscapes
resolution (1024 x 2048) with :func:`mmda.active.region_scores` (``K = 1``),
then selects one round of region-based annotating at RIPU's 2.2 % / 5-round
budget (1026 regions of 3 x 3, 5 x 5 suppression) with the reference greedy
loop and with the vectorised :func:`mmda.active.select_regions`, checks that
both label the same pixels, and prints the timings (also written to
``benchmarks/results/select_regions.txt``)::

    python benchmarks/bench_select_regions.py [--device cuda] [--threads 0]
"""
import argparse
import os.path as osp
import statistics
import time
from typing import Callable, List, Tuple

import torch
import torch.nn.functional as F

from mmda.active import (greedy_select_regions, region_scores,
                         regions_per_round, select_regions)

RESULTS_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'results')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument('--height', type=int, default=1024)
    parser.add_argument('--width', type=int, default=2048)
    parser.add_argument('--num-classes', type=int, default=19)
    parser.add_argument('--ratio', type=float, default=0.022,
                        help='annotation budget, share of the pixels')
    parser.add_argument('--rounds', type=int, default=5,
                        help='selection rounds the budget is split over')
    parser.add_argument('--radius', type=int, default=1, help='region K')
    parser.add_argument('--repeats', type=int, default=5,
                        help='timed runs of the vectorised selection')
    parser.add_argument('--blob', type=int, default=16,
                        help='size in pixels of the random class blobs')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--threads', type=int, default=1,
        help='CPU threads of torch (0: its default). One thread by default: '
        'on a shared machine multi-threaded timings are erratic')
    return parser.parse_args()


def fake_logits(num_classes: int, height: int, width: int, blob: int,
                seed: int, device: torch.device) -> torch.Tensor:
    """Smooth random logits: class blobs of about ``blob`` pixels."""
    generator = torch.Generator().manual_seed(seed)
    coarse = 4 * torch.randn(1, num_classes, height // blob, width // blob,
                             generator=generator)
    fine = F.interpolate(coarse, size=(height, width), mode='bilinear')
    return fine[0].to(device)


def timed(fn: Callable, device: torch.device,
          repeats: int = 1) -> Tuple[object, List[float]]:
    """Result of ``fn()`` and the wall time of each of ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        result = fn()
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return result, times


def main() -> None:
    args = parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    logits = fake_logits(args.num_classes, args.height, args.width,
                         args.blob, args.seed, device)
    num_regions = regions_per_round(args.height, args.width, args.ratio,
                                    args.rounds, args.radius)
    radius, mask_radius = args.radius, 2 * args.radius

    region_scores(logits[:, :64, :64], args.radius)  # warm-up
    (score, _, _), score_times = timed(
        lambda: region_scores(logits, args.radius), device)
    select_regions(score, num_regions, radius, mask_radius)  # warm-up
    vectorised, vectorised_times = timed(
        lambda: select_regions(score, num_regions, radius, mask_radius),
        device, args.repeats)
    greedy, greedy_times = timed(
        lambda: greedy_select_regions(score, num_regions, radius,
                                      mask_radius), device)

    identical = all(
        torch.equal(a, b) for a, b in zip(vectorised, greedy))
    greedy_s = greedy_times[0]
    vectorised_s = statistics.median(vectorised_times)
    report = (
        f'device {device}, CPU threads {torch.get_num_threads()}, '
        f'image {args.height}x{args.width}, '
        f'{args.num_classes} classes, {num_regions} regions '
        f'({2 * radius + 1}x{2 * radius + 1}, suppression '
        f'{2 * mask_radius + 1}x{2 * mask_radius + 1}), '
        f'{int(vectorised[0].sum())} pixels labelled\n'
        f'region_scores: {score_times[0]:.3f} s\n'
        f'select_regions: greedy {greedy_s:.3f} s, vectorised '
        f'{vectorised_s:.4f} s, speed-up {greedy_s / vectorised_s:.1f}x, '
        f'identical picks: {identical}\n')
    print(report, end='')
    with open(osp.join(RESULTS_DIR, 'select_regions.txt'), 'w') as f:
        f.write(report)
    assert identical, 'vectorised and greedy selections differ'


if __name__ == '__main__':
    main()
