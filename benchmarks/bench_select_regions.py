"""Benchmark RIPU's region selection: vectorised vs the original greedy loop.

Selects one round of region-based annotating at RIPU's 2.2 % / 5-round
budget (1026 regions of 3 x 3, 5 x 5 suppression) at full Cityscapes
resolution (1024 x 2048) with the reference greedy loop and with the
vectorised :func:`mmda.active.vectorised_select_regions` (what
:func:`mmda.active.select_regions` runs at this size), on two kinds of
score maps:

* **region scores**: :func:`mmda.active.region_scores` (``K = 1``) of a
  random but prediction-like 19-class logit map (class blobs);
* **uniform**: i.i.d. uniform random scores, a local maximum every few
  pixels.

Greedy and vectorised runs are interleaved (``--repeats`` pairs, the
vectorised time of a pair the median of ``--inner`` runs) and the speed-up
is the median of the pairs' ratios, so that the load of other jobs on the
machine affects both sides alike. Checks that both label the same pixels
and prints the timings (also written to
``benchmarks/results/select_regions.txt``)::

    python benchmarks/bench_select_regions.py [--device cuda] [--threads 0]
"""
import argparse
import os
import os.path as osp
import statistics
import time
from typing import Callable, List, Tuple

import torch
import torch.nn.functional as F

from mmda.active import (greedy_select_regions, region_scores,
                         regions_per_round, vectorised_select_regions)

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
    parser.add_argument('--repeats', type=int, default=3,
                        help='interleaved (greedy, vectorised) pairs')
    parser.add_argument('--inner', type=int, default=5,
                        help='vectorised runs per pair (median)')
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


def compare(score: torch.Tensor, num_regions: int, radius: int,
            mask_radius: int, device: torch.device, repeats: int,
            inner: int) -> Tuple[float, float, float, bool, int]:
    """Interleaved greedy and vectorised selections on ``score``: median
    greedy and vectorised seconds, median ratio, identical picks, labelled
    pixels."""
    vectorised_select_regions(score, num_regions, radius,
                              mask_radius)  # warm-up
    greedy_s, vectorised_s, ratios = [], [], []
    identical = True
    for _ in range(repeats):
        greedy, times = timed(
            lambda: greedy_select_regions(score, num_regions, radius,
                                          mask_radius), device)
        greedy_s.append(times[0])
        vectorised, times = timed(
            lambda: vectorised_select_regions(score, num_regions, radius,
                                              mask_radius), device, inner)
        vectorised_s.append(statistics.median(times))
        ratios.append(greedy_s[-1] / vectorised_s[-1])
        identical &= all(
            torch.equal(a, b) for a, b in zip(vectorised, greedy))
    return (statistics.median(greedy_s), statistics.median(vectorised_s),
            statistics.median(ratios), identical, int(vectorised[0].sum()))


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
    uniform = torch.rand(
        args.height, args.width,
        generator=torch.Generator().manual_seed(args.seed)).to(device)
    load = ', '.join(f'{v:.2f}' for v in os.getloadavg())
    lines = [
        f'device {device}, {os.cpu_count()} CPU cores (load average {load}),'
        f' torch threads {torch.get_num_threads()}, OMP_NUM_THREADS='
        f'{os.environ.get("OMP_NUM_THREADS", "unset")}, torch '
        f'{torch.__version__}',
        f'image {args.height}x{args.width}, {args.num_classes} classes, '
        f'{args.ratio:.1%} / {args.rounds} rounds: {num_regions} regions '
        f'({2 * radius + 1}x{2 * radius + 1}, suppression '
        f'{2 * mask_radius + 1}x{2 * mask_radius + 1})',
        f'greedy and vectorised interleaved, {args.repeats} pairs (the '
        f'vectorised time of a pair: median of {args.inner} runs); '
        'speed-up: median of the pairs\' ratios',
        f'region_scores: {score_times[0]:.3f} s',
    ]
    all_identical = True
    for name, kind_score in (('region scores', score),
                             ('uniform i.i.d.', uniform)):
        greedy_s, vectorised_s, ratio, identical, pixels = compare(
            kind_score, num_regions, radius, mask_radius, device,
            args.repeats, args.inner)
        all_identical &= identical
        lines.append(
            f'select_regions on {name}: greedy {greedy_s:.3f} s, '
            f'vectorised {vectorised_s:.4f} s, speed-up {ratio:.1f}x, '
            f'identical picks: {identical} ({pixels} pixels labelled)')
    report = '\n'.join(lines) + '\n'
    print(report, end='')
    with open(osp.join(RESULTS_DIR, 'select_regions.txt'), 'w') as f:
        f.write(report)
    assert all_identical, 'vectorised and greedy selections differ'


if __name__ == '__main__':
    main()
