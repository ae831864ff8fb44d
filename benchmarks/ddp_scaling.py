"""DDP scaling on CPU: two ranks against one, one OpenMP thread per rank.

Trains the small source-only config on the embedded sim2real benchmark

* with 1 rank: ``tools/train.py CONFIG`` and
* with 2 ranks: ``tools/dist_train.sh CONFIG 2`` (torchrun, gloo),

each rank with ``OMP_NUM_THREADS=1``, the config's per-rank batch (2
images), the same number of dataloader workers per rank, no validation and
no checkpoints. Throughput is ``ranks x batch / mean iteration time`` in
images/s, the iteration time being mmengine's per-iteration ``time``
(``IterTimerHook``, rank 0's ``vis_data/scalars.json``: data wait, forward,
backward, gradient all-reduce and step) over the iterations after
``--warmup`` (process start-up and the first iterations are excluded). The
2-rank throughput is printed as a ratio against the 1-rank run of the same
invocation, for each ``--workers`` setting, and written to
``benchmarks/results/ddp_scaling.{md,json}`` with the machine's load
average before and after (other jobs on the machine lower the ratio)::

    python benchmarks/ddp_scaling.py [--iters 200] [--warmup 40]
        [--workers 0 1] [--repeats 1]

The benchmark data is generated under ``data/sim2real`` when missing.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

from bench_common import (RESULTS_DIR, ROOT, free_port, iteration_times,
                          run_or_exit, timing_options)

CONFIG = ('configs/baselines/source-only_deeplabv2-small_sim2real-'
          'gta5-to-cityscapes.py')
RESULTS = osp.join(RESULTS_DIR, 'ddp_scaling')


def options(iters: int, workers: int) -> list:
    return timing_options(CONFIG, iters) + [
        f'train_dataloader.num_workers={workers}',
        f'train_dataloader.persistent_workers={workers > 0}'
    ]


def train(ranks: int, iters: int, workers: int, work_dir: str) -> None:
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable)
    if ranks == 1:
        argv = [sys.executable, 'tools/train.py', CONFIG]
    else:
        env['PORT'] = str(free_port())
        argv = ['bash', 'tools/dist_train.sh', CONFIG, str(ranks)]
    run_or_exit(
        argv + ['--work-dir', work_dir, '--cfg-options'] +
        options(iters, workers), f'{ranks}-rank training', env)


def measure(ranks: int, iters: int, warmup: int, workers: int,
            batch: int) -> dict:
    """Train in a fresh work dir; steady-state throughput of rank 0."""
    with tempfile.TemporaryDirectory() as work_dir:
        train(ranks, iters, workers, work_dir)
        times = [t for i, t in iteration_times(work_dir) if i > warmup]
    if len(times) < 10:
        sys.exit(f'only {len(times)} iterations after the warm-up: raise '
                 '--iters')
    mean = statistics.fmean(times)
    return dict(
        ranks=ranks,
        workers=workers,
        iterations=len(times),
        iter_time_s=mean,
        images_per_s=ranks * batch / mean)


def load_average() -> list:
    return [round(x, 2) for x in os.getloadavg()]


def markdown(result: dict) -> str:
    lines = [
        '# DDP scaling on CPU (`python benchmarks/ddp_scaling.py`)', '',
        f'Config `{result["config"]}`, {result["batch_per_rank"]} images '
        'per rank and iteration, one OpenMP thread per rank, gloo; '
        f'throughput over iterations {result["warmup"] + 1}-'
        f'{result["iters"]} (median of {result["repeats"]} run(s)).', '',
        '| dataloader workers per rank | 1 rank (images/s) | 2 ranks '
        '(images/s) | ratio 2 ranks / 1 rank |', '|---|---|---|---|'
    ]
    for row in result['rows']:
        lines.append(f'| {row["workers"]} | {row["1"]:.2f} | '
                     f'{row["2"]:.2f} | {row["ratio"]:.2f} |')
    machine = result['machine']
    lines += [
        '', f'Machine: {machine["cpus"]} CPUs; load average (1, 5, 15 min) '
        f'{machine["load_before"]} before, {machine["load_after"]} after '
        f'({machine["date"]}).'
    ]
    if busy(machine):
        lines.append('Other jobs were running when it started (1-minute '
                     'load above half the CPUs): the 2-rank run competed '
                     'with them for the cores, so its ratio is low; rerun '
                     'on a quiet machine.')
    lines.append('With dataloader workers the 1-rank run already uses '
                 'the second core for loading, so 2 ranks gain less; 0 '
                 'workers is the 1-thread-per-rank comparison.')
    return '\n'.join(lines) + '\n'


def busy(machine: dict) -> bool:
    """Whether other work loaded the machine when the benchmark started
    (the load after it includes its own ranks)."""
    return machine['load_before'][0] > 0.5 * machine['cpus']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=200)
    parser.add_argument('--warmup', type=int, default=40,
                        help='iterations left out of the throughput')
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 1],
                        help='dataloader workers per rank (one row each)')
    parser.add_argument('--repeats', type=int, default=1,
                        help='runs per measurement (median)')
    parser.add_argument('--out', default=RESULTS,
                        help='results path without extension')
    args = parser.parse_args(argv)
    if args.warmup >= args.iters:
        parser.error('--warmup must be below --iters')

    from sim2real_results import ensure_data
    ensure_data(osp.join(ROOT, 'data', 'sim2real'), sys.executable)
    from mmengine.config import Config
    batch = Config.fromfile(osp.join(ROOT, CONFIG)).train_dataloader.batch_size

    load_before = load_average()
    rows = []
    for workers in args.workers:
        row = dict(workers=workers)
        for ranks in (1, 2):
            runs = [
                measure(ranks, args.iters, args.warmup, workers, batch)
                for _ in range(args.repeats)
            ]
            row[str(ranks)] = statistics.median(r['images_per_s']
                                                for r in runs)
            row[f'{ranks}_runs'] = runs
            print(f'{ranks} rank(s), {workers} worker(s) per rank: '
                  f'{row[str(ranks)]:.2f} images/s', flush=True)
        row['ratio'] = row['2'] / row['1']
        print(f'  ratio 2 ranks / 1 rank: {row["ratio"]:.2f}', flush=True)
        rows.append(row)
    result = dict(
        config=CONFIG,
        batch_per_rank=batch,
        iters=args.iters,
        warmup=args.warmup,
        repeats=args.repeats,
        rows=rows,
        machine=dict(
            cpus=os.cpu_count(),
            load_before=load_before,
            load_after=load_average(),
            date=time.strftime('%Y-%m-%d %H:%M')))
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    with open(args.out + '.json', 'w') as f:
        json.dump(result, f, indent=2)
    text = markdown(result)
    with open(args.out + '.md', 'w') as f:
        f.write(text)
    print('\n' + text)


if __name__ == '__main__':
    main()
