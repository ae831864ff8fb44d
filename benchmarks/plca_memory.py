"""Peak memory and time of PLCA's cycle association, blocked vs dense.

One forward + backward of the feature-level association
(:class:`mmda.models.CycleAssociationLoss`, cosine, spatial aggregation of
the target with α = 0.5) of one source/target pair at the released size:
730×730 crops give 92×92 layer-4 maps, N = 8,464 pixels per image, with
2,048-d features. Each variant runs in its own subprocess, so its peak is
its own: on CPU the peak resident set (``ru_maxrss``) minus the resident
set just before the association (inputs already allocated; glibc told
to unmap every freed large block, ``MALLOC_MMAP_THRESHOLD_``); on CUDA
``torch.cuda.max_memory_allocated`` minus the memory allocated before.
Writes ``benchmarks/results/plca_memory.md``::

    python benchmarks/plca_memory.py [--side 92] [--channels 2048] \\
        [--block-rows 256 1024] [--device cpu] [--threads 1]
"""
import argparse
import json
import os
import os.path as osp
import platform
import resource
import subprocess
import sys
import time

from bench_common import RESULTS_DIR, ROOT


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--side', type=int, default=92,
                        help='map side: N = side^2 pixels per image')
    parser.add_argument('--channels', type=int, default=2048)
    parser.add_argument('--block-rows', type=int, nargs='+',
                        default=[256, 1024],
                        help='rows per block of the blocked variants')
    parser.add_argument('--num-classes', type=int, default=19)
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument('--threads', type=int, default=1,
                        help='CPU threads of torch')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--variant', choices=['dense', 'blocked'],
                        help=argparse.SUPPRESS)  # one measurement, with
    # --block-rows B for 'blocked'
    parser.add_argument('--out', default=osp.join(RESULTS_DIR,
                                                  'plca_memory.md'))
    return parser.parse_args(argv)


def rss_bytes() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def measure(args) -> dict:
    """One forward + backward of one variant, in this process."""
    import torch
    import torch.nn.functional as F

    from mmda.models import CycleAssociationLoss
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    gen = torch.Generator().manual_seed(args.seed)
    side, k = args.side, args.num_classes
    # class-structured maps: class blobs of 8x8 feature pixels, each
    # class with its own direction in feature space plus noise
    coarse = torch.randint(0, k, (2, 1, side // 8 + 1, side // 8 + 1),
                           generator=gen).float()
    labels = F.interpolate(coarse, size=(side, side),
                           mode='nearest')[:, 0].long()
    centres = torch.randn(k, args.channels, generator=gen)

    def features(y):
        # filled in chunks of rows: no N×C temporaries raise the peak
        y = y.flatten()
        x = torch.empty(args.channels, y.numel())
        for start in range(0, y.numel(), 512):
            rows = y[start:start + 512]
            x[:, start:start + 512] = (centres[rows] + 2 * torch.randn(
                rows.numel(), args.channels, generator=gen)).t()
        return x.reshape(1, args.channels, side, side)

    x_s = features(labels[0]).to(device).requires_grad_(True)
    x_t = features(labels[1]).to(device).requires_grad_(True)
    y_s = labels[:1].to(device)
    loss = CycleAssociationLoss(
        metric='cos',
        spagg_alpha=0.5,
        block_rows=None if args.variant == 'dense' else args.block_rows[0],
        loss_weight=1.)
    cuda = device.type == 'cuda'
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
    else:
        before = rss_bytes()
        if resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 > \
                before + (32 << 20):
            # an earlier peak would hide this one
            raise RuntimeError('peak RSS before the association is above '
                               'the current RSS')
    start = time.perf_counter()
    out = loss(x_s, x_t, y_s)
    out['loss_association'].backward()
    if cuda:
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated()
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    seconds = time.perf_counter() - start
    return dict(
        variant=args.variant,
        peak_mb=(peak - before) / 2**20,
        seconds=seconds,
        loss=out['loss_association'].item(),
        pos_ratio=out['pos_ratio'].item(),
        grad_norm=(x_s.grad.norm()**2 + x_t.grad.norm()**2).sqrt().item())


def main(argv=None):
    args = parse_args(argv)
    if args.variant:
        print(json.dumps(measure(args)))
        return
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep +
               os.environ.get('PYTHONPATH', ''))
    env['OMP_NUM_THREADS'] = str(args.threads)
    # glibc serves blocks under its (growing) mmap threshold from the heap,
    # which keeps freed memory resident: the peak RSS would then count
    # freed blocks. A fixed threshold maps every large block and unmaps it
    # when freed, so the resident set follows the live tensors.
    env['MALLOC_MMAP_THRESHOLD_'] = str(64 << 10)
    results = {}
    variants = [(f'blocked{b}', 'blocked', b) for b in args.block_rows]
    for name, variant, block in variants + [('dense', 'dense', 0)]:
        cmd = [sys.executable, osp.abspath(__file__), '--variant', variant,
               '--side', str(args.side), '--channels', str(args.channels),
               '--block-rows', str(block or 1), '--device', args.device,
               '--threads', str(args.threads), '--seed', str(args.seed),
               '--num-classes', str(args.num_classes)]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                              env=env)
        if proc.returncode != 0:
            sys.exit(f'{name} failed:\n{proc.stderr[-3000:]}')
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(name, results[name], flush=True)
    n = args.side**2
    dense = results['dense']
    lines = [
        '# PLCA cycle association: blocked vs dense', '',
        f'`python benchmarks/plca_memory.py --side {args.side} --channels '
        f'{args.channels} --block-rows '
        f'{" ".join(map(str, args.block_rows))} --device {args.device} '
        f'--threads {args.threads}`', '',
        f'One forward + backward of the feature-level association (cosine, '
        f'spatial aggregation α = 0.5) of one pair: N = {args.side}×'
        f'{args.side} = {n:,} pixels per image, C = {args.channels}; one '
        f'N×N fp32 matrix is {4 * n * n / 1e6:.0f} MB, one N×C map '
        f'{4 * n * args.channels / 1e6:.0f} MB. Peak: memory above what '
        'the inputs already held ('
        + ('CUDA max_memory_allocated' if args.device.startswith('cuda')
           else 'CPU peak resident set, ru_maxrss, with freed large '
           'blocks unmapped: MALLOC_MMAP_THRESHOLD_=65536') +
        f'), each variant in its own process. Machine: {platform.machine()},'
        f' {os.cpu_count()} cores shared with other jobs, {args.threads} '
        f'torch thread(s), device {args.device}.', '',
        '| variant | peak memory (MB) | peak / dense | time (s) | loss '
        '| pos. ratio |', '|---|---|---|---|---|---|'
    ]
    for name, r in [('dense', dense)] + [(v[0], results[v[0]])
                                         for v in variants]:
        label = ('dense (one block)' if name == 'dense' else
                 f'blocked ({name[7:]} rows, recomputed in backward)')
        lines.append(f'| {label} | {r["peak_mb"]:.0f} | '
                     f'{r["peak_mb"] / dense["peak_mb"]:.3f} | '
                     f'{r["seconds"]:.1f} | {r["loss"]:.6f} | '
                     f'{r["pos_ratio"]:.4f} |')
    lines += [
        '', 'Gradient norms (inputs of both domains): ' + ', '.join(
            f'{name} {r["grad_norm"]:.6g}' for name, r in results.items())
        + '.'
    ]
    text = '\n'.join(lines) + '\n'
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write(text)
    print(text)


if __name__ == '__main__':
    main()
