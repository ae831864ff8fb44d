"""Training throughput of the small configs on this machine.

Trains each config for ``--iters`` iterations with ``tools/train.py`` (data
loading, logging and hooks included, no validation) and reports iterations
per second from mmengine's iteration timer, skipping the first
``--warmup`` iterations. The source-only run is the baseline; other rows are
printed as ratios against it and written to
``benchmarks/results/train_throughput.md``::

    python benchmarks/train_throughput.py
"""
import argparse
import os
import os.path as osp
import sys
import tempfile

from bench_common import (RESULTS_DIR, ROOT, iteration_times, run_or_exit,
                          timing_options)

CONFIGS = {
    'source-only (batch 2 source)':
    'configs/baselines/source-only_deeplabv2-small_sim2real-gta5-to-'
    'cityscapes.py',
    'RIPU RA (batch 2 source + 2 target)':
    'configs/ripu/ripu_ra-5_deeplabv2-small_sim2real-gta5-to-cityscapes.py',
    'MinEnt (batch 2 source + 2 target)':
    'configs/advent/minent_deeplabv2-small_sim2real-gta5-to-cityscapes.py',
    'AdvEnt (batch 2 + 2, two discriminators)':
    'configs/advent/advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py',
}


def measure(config: str, iters: int, warmup: int) -> float:
    with tempfile.TemporaryDirectory() as work_dir:
        env = dict(os.environ)
        env.setdefault('OMP_NUM_THREADS', '1')
        run_or_exit([
            sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
            '--cfg-options'
        ] + timing_options(config, iters), f'training {config}', env)
        times = [t for i, t in iteration_times(work_dir) if i > warmup]
    return len(times) / sum(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=200)
    parser.add_argument('--warmup', type=int, default=20)
    args = parser.parse_args(argv)
    from sim2real_results import ensure_data
    ensure_data(osp.join(ROOT, 'data', 'sim2real'), sys.executable)
    rows = [(name, measure(cfg, args.iters, args.warmup))
            for name, cfg in CONFIGS.items()]
    base = rows[0][1]
    lines = [
        '| config (one OpenMP thread, 2 dataloader workers) | iterations/s '
        '| ratio vs source-only |', '|---|---|---|'
    ] + [f'| {name} | {its:.2f} | {its / base:.2f} |' for name, its in rows]
    table = '\n'.join(lines) + '\n'
    print(table, end='')
    with open(osp.join(RESULTS_DIR, 'train_throughput.md'), 'w') as f:
        f.write(table)


if __name__ == '__main__':
    main()
