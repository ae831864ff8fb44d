"""Resume start-up time late in a run vs at its start.

mmengine's ``IterBasedTrainLoop`` resumes by replaying every trained batch
through the data pipeline, so its start-up grows with the iteration it
resumes at. ``SeekableIterBasedTrainLoop`` moves the sampler to the resumed
position instead. This benchmark resumes the same checkpoint (weights,
optimizer, ledger) stamped with iteration 0 and with iteration ``--iters``
and measures, inside the training process, the time from ``runner.train()``
to the end of the first resumed iteration (loop and dataloader set-up,
checkpoint loading, seeking, the first batch and step). It prints both and
their ratio. ``--replay-iters M`` adds a comparison at iteration M with
mmengine's replaying loop, on the source-only config (mmengine's loop starts
its data workers before RIPU's hook configures the ledger directory, so it
cannot run the RIPU configs)::

    python benchmarks/resume_startup.py [--iters 40000] [--repeats 3]
        [--replay-iters 200] [--config CONFIG] [--threads 1]

Every measurement runs in a fresh process. The embedded sim2real benchmark
is generated under data/sim2real when missing.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

from bench_common import ROOT, run_or_exit, timing_options

DEFAULT_CONFIG = ('configs/ripu/ripu_ra-2.2_deeplabv2-small_sim2real-'
                  'gta5-to-cityscapes.py')
REPLAY_CONFIG = ('configs/baselines/source-only_deeplabv2-small_sim2real-'
                 'gta5-to-cityscapes.py')
SEEK, REPLAY = 'SeekableIterBasedTrainLoop', 'IterBasedTrainLoop'
ENV = dict(os.environ)


def options(config: str, max_iters: int, loop: str) -> list:
    return [f'train_cfg.type={loop}'] + timing_options(config, max_iters)


def run(argv, what):
    return run_or_exit([sys.executable] + argv, what, ENV)


def first_checkpoint(config: str, work_dir: str) -> str:
    """Train one iteration and checkpoint it."""
    opts = options(config, 1, 'SeekableIterBasedTrainLoop')
    opts[opts.index('default_hooks.checkpoint.save_last=False')] = \
        'default_hooks.checkpoint.save_last=True'
    run(['tools/train.py', config, '--work-dir', work_dir, '--cfg-options'] +
        opts, 'the first training iteration')
    return osp.join(work_dir, 'iter_1.pth')


def stamp(src: str, dst: str, iteration: int) -> None:
    """Copy a Runner checkpoint as if written at ``iteration``."""
    import torch

    from mmda.utils.atomic_write import atomic_torch_save
    from mmda.utils.checkpoint_files import write_last_checkpoint
    ckpt = torch.load(src, map_location='cpu', weights_only=True)
    ckpt['meta']['iter'] = iteration
    for sched in ckpt.get('param_schedulers', []):
        if 'last_step' in sched:
            sched['last_step'] = iteration
    os.makedirs(osp.dirname(dst), exist_ok=True)
    atomic_torch_save(ckpt, dst)
    write_last_checkpoint(osp.dirname(dst), dst)


def measure(config: str, ckpt: str, iteration: int, loop: str,
            work_dir: str) -> float:
    """Seconds from ``runner.train()`` to the end of the first iteration
    after resuming ``ckpt`` stamped with ``iteration`` (fresh process)."""
    stamp(ckpt, osp.join(work_dir, f'iter_{iteration}.pth'), iteration)
    out = run([
        osp.abspath(__file__), '--child', config, work_dir, loop,
        str(iteration)
    ], f'resuming at iteration {iteration} ({loop})')
    return json.loads(out.strip().splitlines()[-1])['startup_s']


def child(config: str, work_dir: str, loop: str, iteration: int) -> None:
    """In the measured process: resume, time the first iteration, exit."""
    sys.path.insert(0, ROOT)
    from mmengine.hooks import Hook

    from mmda.apis import build_runner_from_args, parse_cfg_options

    class FirstIteration(Hook):
        priority = 'LOWEST'

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            elapsed = time.perf_counter() - start
            print(json.dumps(dict(startup_s=elapsed, iter=runner.iter + 1)),
                  flush=True)
            os._exit(0)  # nothing after the first iteration is measured

    cfg_options = parse_cfg_options(options(config, iteration + 1, loop))
    runner = build_runner_from_args(
        config, work_dir=work_dir, cfg_options=cfg_options, resume=True)
    runner.register_hook(FirstIteration())
    start = time.perf_counter()
    runner.train()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--iters', type=int, default=40000,
                        help='late iteration to resume at (RIPU stops at 40k)')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--replay-iters', type=int, default=0,
                        help='also resume mmengine\'s replaying loop at this '
                        'iteration (0: skip)')
    parser.add_argument('--threads', type=int, default=1,
                        help='OMP_NUM_THREADS of the training processes '
                        '(1: steadier timings on a shared machine)')
    parser.add_argument('--child', nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    ENV['OMP_NUM_THREADS'] = str(args.threads)
    if args.child:
        config, work_dir, loop, iteration = args.child
        return child(config, work_dir, loop, int(iteration))

    from sim2real_results import ensure_data
    ensure_data(osp.join(ROOT, 'data', 'sim2real'), sys.executable)

    cases = [(args.config, SEEK, 0), (args.config, SEEK, args.iters)]
    if args.replay_iters:
        cases += [(REPLAY_CONFIG, loop, it) for loop in (SEEK, REPLAY)
                  for it in (0, args.replay_iters)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ckpts = {}
        for config, loop, iteration in cases:
            if config not in ckpts:
                ckpts[config] = first_checkpoint(
                    config, osp.join(tmp, f'first{len(ckpts)}'))
            times = [
                measure(config, ckpts[config], iteration, loop,
                        osp.join(tmp, f'{len(rows)}_{r}'))
                for r in range(args.repeats)
            ]
            rows.append((config, loop, iteration, statistics.median(times)))
            print(f'{osp.basename(config)}, {loop} at iteration '
                  f'{iteration}: median {rows[-1][3]:.2f} s of '
                  f'{args.repeats} ({", ".join(f"{t:.2f}" for t in times)})',
                  flush=True)
    print('\nresume start-up: runner.train() to the end of the first '
          'resumed iteration')
    print('| config | loop | resumed at | start-up (s) | ratio vs '
          'iteration 0 |')
    print('|---|---|---|---|---|')
    base = {}
    for config, loop, iteration, seconds in rows:
        base.setdefault((config, loop), seconds)
        print(f'| {osp.basename(config)[:-3]} | {loop} | {iteration} | '
              f'{seconds:.2f} | {seconds / base[config, loop]:.2f} |')


if __name__ == '__main__':
    main()
