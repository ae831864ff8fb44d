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
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
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


def iteration_times(work_dir: str):
    run = sorted(os.listdir(work_dir))
    run = [d for d in run if osp.isdir(osp.join(work_dir, d, 'vis_data'))]
    with open(osp.join(work_dir, run[-1], 'vis_data', 'scalars.json')) as f:
        return [(r['iter'], r['time']) for r in map(json.loads, f)
                if 'time' in r and 'iter' in r and 'loss' in r]


def measure(config: str, iters: int, warmup: int) -> float:
    with tempfile.TemporaryDirectory() as work_dir:
        options = [
            f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            'default_hooks.logger.interval=1',
            'default_hooks.checkpoint.interval=100000',
            'default_hooks.checkpoint.save_last=False', 'val_cfg=None',
            'val_dataloader=None', 'val_evaluator=None'
        ]
        if 'ripu' in config:  # no selection round inside the window
            options.append(f'custom_hooks.0.select_iters=[{iters * 10}]')
        env = dict(os.environ)
        env.setdefault('OMP_NUM_THREADS', '1')
        subprocess.run([
            sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
            '--cfg-options'
        ] + options,
                       cwd=ROOT,
                       check=True,
                       env=env,
                       stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
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
    with open(osp.join(ROOT, 'benchmarks', 'results', 'train_throughput.md'),
              'w') as f:
        f.write(table)


if __name__ == '__main__':
    main()
