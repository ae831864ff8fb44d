"""Training throughput of every method's small config, per image, against
source-only, in one run.

Each row trains its config for ``--iters`` iterations with
``tools/train.py`` (data loading, logging and hooks included, no validation,
no checkpoint, no RIPU selection round) and reads mmengine's per-iteration
time (``time`` in ``vis_data/scalars.json``: data wait plus train step),
skipping the first ``--warmup`` iterations; a run's figure is its median
iteration time.

*Images per iteration* are the images drawn from the datasets per
iteration: the batch size times the drawn streams (source-only 2 source;
the adaptation methods 2 source + 2 target). A second view of a drawn image
(the mean teacher's input) or a generated image is the method's own work on
that image and is not counted again. The *per-image cost* is the iteration
time divided by the images per iteration; each row's ratio is its
per-image cost over its source-only row's (GIO-Ada: the SYNTHIA-layout
source-only) **in the same round**. The rows run one after the other, and
``--repeats`` rounds repeat the whole sequence, so every ratio compares
runs made side by side on the same (possibly shared) machine; the table
gives the median ratio over the rounds and its range::

    python benchmarks/train_throughput.py                 # ~15 minutes
    python benchmarks/train_throughput.py --iters 40 --repeats 1  # ~5 min

``--model r101`` (with ``--mode steps``) times the train steps of the
real-data configs' models instead: DeepLab-v2 ResNet-101 (random init, the
ImageNet weights are never read: the runner loads them in ``train()`` only)
with their discriminators, on the embedded benchmark's batches resized by
``--scale`` (2: target 512x256, source 512x288; 4: the real-data sizes of
AdvEnt's target, 1024x512). The small model's ratios weigh a method's own
fixed-size modules (discriminators) against a quarter-width ResNet-18;
these rows weigh them against the segmentor they were designed beside::

    python benchmarks/train_throughput.py --mode steps --model r101 \
        --iters 8 --warmup 2 --out /tmp/throughput_r101.md

Writes ``benchmarks/results/train_throughput.md`` (with the machine's core
count, the thread settings and the load average).
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
from typing import List, NamedTuple, Optional

from bench_common import (RESULTS_DIR, ROOT, iteration_times, run_or_exit,
                          timing_options)

SIM2REAL = 'configs/{}_deeplabv2-small_sim2real-{}.py'
R101 = 'configs/{}_deeplabv2-r101_gta5-to-cityscapes.py'
GTA5 = 'gta5-to-cityscapes'
#: the embedded benchmark's image sizes (``source_scale``, ``target_scale``)
SIM2REAL_DATA = 'configs/_base_/datasets/sim2real_common.py'
SYNTHIA = 'synthia-to-cityscapes'


class Row(NamedTuple):
    """One benchmarked config: its name, the config, the row it is
    compared with (None: a baseline), extra ``--cfg-options``, a note, and
    a config whose ``model`` and ``optim_wrapper`` replace the config's
    (``''``: none)."""
    name: str
    config: str
    baseline: Optional[str] = None
    options: tuple = ()
    note: str = ''
    model_from: str = ''


SOURCE_ONLY = 'source-only'
SOURCE_ONLY_SYNTHIA = 'source-only (SYNTHIA layout)'
ROWS = [
    Row(SOURCE_ONLY, SIM2REAL.format('baselines/source-only', GTA5)),
    Row('RIPU RA 5 %', SIM2REAL.format('ripu/ripu_ra-5', GTA5), SOURCE_ONLY),
    Row('MinEnt', SIM2REAL.format('advent/minent', GTA5), SOURCE_ONLY),
    Row('AdvEnt', SIM2REAL.format('advent/advent', GTA5), SOURCE_ONLY,
        note='two discriminators, their own step'),
    Row('PLCA', SIM2REAL.format('plca/plca', GTA5), SOURCE_ONLY),
    Row('self-ensembling',
        SIM2REAL.format('self_ensembling/self-ensembling', GTA5),
        SOURCE_ONLY, note='target seen by student and EMA teacher'),
    # stage B reads a generated set (tools/tgcf_generate.py); the source
    # images stand in for it, which costs the same to load and train on
    Row('TGCF-DA stage B (+ self-ensembling)',
        SIM2REAL.format('tgcf/tgcf-da-self-ensembling', GTA5), SOURCE_ONLY,
        ('train_dataloader.dataset.streams.source_aug.data_root='
         'data/sim2real/gta5', ),
        note='source, generated and target streams; the source images '
        'stand in for the generated set'),
    Row(SOURCE_ONLY_SYNTHIA, SIM2REAL.format('baselines/source-only',
                                             SYNTHIA)),
    Row('GIO-Ada', SIM2REAL.format('gio_ada/gio-ada', SYNTHIA),
        SOURCE_ONLY_SYNTHIA, note='generator, depth, three optimizers'),
]

SOURCE_ONLY_R101 = 'source-only, DeepLab-v2 R101'
#: ``--model r101``: the small configs' data and hooks, the real-data
#: configs' models (DeepLab-v2 ResNet-101; AdvEnt's two levels and its
#: full-width discriminators) and optimizers
R101_ROWS = [
    Row(SOURCE_ONLY_R101, SIM2REAL.format('baselines/source-only', GTA5),
        model_from=R101.format('baselines/source-only')),
    Row('RIPU RA 2.2 %, DeepLab-v2 R101',
        SIM2REAL.format('ripu/ripu_ra-2.2', GTA5), SOURCE_ONLY_R101,
        model_from=R101.format('ripu/ripu_ra-2.2')),
    Row('MinEnt, DeepLab-v2 R101', SIM2REAL.format('advent/minent', GTA5),
        SOURCE_ONLY_R101, model_from=R101.format('advent/minent')),
    Row('AdvEnt, DeepLab-v2 R101', SIM2REAL.format('advent/advent', GTA5),
        SOURCE_ONLY_R101, note='two full-width discriminators, their own '
        'step', model_from=R101.format('advent/advent')),
]


def model_options(config: str) -> dict:
    """``--cfg-options`` that replace a config's ``model`` and
    ``optim_wrapper`` with those of ``config``."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, config))
    return dict(
        model=dict(_delete_=True, **cfg.model.to_dict()),
        optim_wrapper=dict(_delete_=True, **cfg.optim_wrapper.to_dict()))


def resized_batch(batch, factor: float):
    """``batch`` (a stream's ``inputs``/``data_samples`` or a dict of named
    streams) with its images resized bilinearly and its label maps by
    nearest neighbour by ``factor``."""
    import torch.nn.functional as F
    from mmengine.structures import PixelData
    if not isinstance(batch, dict):
        return batch
    if 'inputs' not in batch:
        return {k: resized_batch(v, factor) for k, v in batch.items()}
    inputs = []
    for image, sample in zip(batch['inputs'], batch['data_samples']):
        image = F.interpolate(
            image[None].float(), scale_factor=factor, mode='bilinear',
            align_corners=False)[0].round().clamp(0, 255).to(image.dtype)
        size = tuple(image.shape[-2:])
        if 'gt_sem_seg' in sample:
            seg = sample.gt_sem_seg.data
            sample.gt_sem_seg = PixelData(data=F.interpolate(
                seg[None].float(), size=size, mode='nearest')[0].to(seg.dtype))
        sample.set_metainfo(dict(img_shape=size))
        inputs.append(image)
    return dict(batch, inputs=inputs)


def images_per_iteration(cfg) -> int:
    """Images drawn from the datasets per iteration: the batch size times
    the drawn streams of the training set (a two-domain or multi-stream
    dataset draws one image per stream that is not a view of another)."""
    loader = cfg.train_dataloader
    dataset = loader.dataset
    kind = dataset.get('type', '')
    if kind == 'TwoDomainDataset':
        streams = 2
    elif kind == 'MultiStreamDataset':
        streams = sum(1 for s in dataset.streams.values()
                      if not (isinstance(s, dict) and 'view_of' in s))
    else:
        streams = 1
    return loader.batch_size * streams


def measure(row: Row, iters: int, warmup: int) -> float:
    """Median seconds per iteration of one run of ``row``."""
    with tempfile.TemporaryDirectory() as work_dir:
        env = dict(os.environ)
        env.setdefault('OMP_NUM_THREADS', '1')
        run_or_exit([
            sys.executable, 'tools/train.py', row.config, '--work-dir',
            work_dir, '--cfg-options'
        ] + timing_options(row.config, iters) + list(row.options),
                    f'training {row.config}', env)
        times = [t for i, t in iteration_times(work_dir) if i > warmup]
    if not times:
        raise ValueError(f'{row.config}: no iteration after the warm-up '
                         f'({warmup}) of {iters} iterations')
    return statistics.median(times)


#: method hooks whose per-iteration work is part of the method's step
STEP_HOOKS = ('EMATeacherHook', 'AdversarialDiscriminatorHook')


def build_step(row: Row, work_dir: str, batches: int, scale: float = 1.):
    """(model, optimizer wrapper, hooks, prefetched batches) of ``row``,
    built by the runner of ``tools/train.py`` (no worker processes); the
    batches resized by ``scale``."""
    from mmda.apis import build_runner_from_args
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='+', action=DictAction)
    options = parser.parse_args(
        ['--o', 'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False'] +
        timing_options(row.config, 10) + list(row.options)).o
    if row.model_from:
        options.update(model_options(row.model_from))
    runner = build_runner_from_args(osp.join(ROOT, row.config), work_dir,
                                    options)
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    hooks = [h for h in runner.hooks
             if type(h).__name__ in STEP_HOOKS + ('ActiveSelectionHook', )]
    for hook in hooks:
        hook.before_train(runner)
    stream = iter(runner.train_dataloader)
    prefetched = [next(stream) for _ in range(batches)]
    if scale != 1:
        prefetched = [resized_batch(b, scale) for b in prefetched]
    wrapper = runner.build_optim_wrapper(runner.cfg.optim_wrapper)
    runner.optim_wrapper = wrapper
    runner.model.train()
    return (runner, wrapper,
            [h for h in hooks if type(h).__name__ in STEP_HOOKS], prefetched)


def interleaved_steps(rows: List[Row], iters: int, warmup: int,
                      scale: float = 1.) -> list:
    """Seconds of the train step alone (forward, losses, backward, the
    optimizer steps and the method hooks' per-iteration work, on prefetched
    batches: no data loading), every row once per round, ``iters`` rounds;
    one ``{row name: seconds}`` per round after ``warmup`` rounds."""
    import torch
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
    os.chdir(ROOT)  # the configs' data roots are relative to it
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        built = {r.name: build_step(r, osp.join(tmp, str(i)), 4, scale)
                 for i, r in enumerate(rows)}
        for k in range(iters):
            times = {}
            for row in rows:
                runner, wrapper, hooks, batches = built[row.name]
                batch = batches[k % len(batches)]
                start = time.perf_counter()
                for hook in hooks:
                    hook.before_train_iter(runner, k, batch)
                outputs = runner.model.train_step(batch, wrapper)
                for hook in hooks:
                    hook.after_train_iter(runner, k, batch, outputs)
                times[row.name] = time.perf_counter() - start
            if k >= warmup:
                rounds.append(times)
    return rounds


def summarise(rows: List[Row], images: dict, rounds: List[dict]) -> list:
    """Per row: iterations/s and images/s (median over the rounds) and the
    per-image cost ratio to its baseline of each round.

    ``rounds``: one ``{row name: seconds per iteration}`` per round.
    """
    out = []
    for row in rows:
        seconds = statistics.median(r[row.name] for r in rounds)
        ratios = []
        if row.baseline is not None:
            ratios = [(r[row.name] / images[row.name]) /
                      (r[row.baseline] / images[row.baseline])
                      for r in rounds]
        out.append(dict(name=row.name, images=images[row.name],
                        its=1. / seconds, ips=images[row.name] / seconds,
                        ratios=ratios, baseline=row.baseline,
                        note=row.note))
    return out


def markdown(summary: list, header: str) -> str:
    lines = [
        header, '',
        '| config | images per iteration | iterations/s | images/s '
        '| per-image cost vs source-only (median, range over rounds) '
        '| note |', '|---|---|---|---|---|---|'
    ]
    for s in summary:
        if s['ratios']:
            ratio = f'**{statistics.median(s["ratios"]):.2f}×**'
            if len(s['ratios']) > 1:
                ratio += (f' ({min(s["ratios"]):.2f}–'
                          f'{max(s["ratios"]):.2f})')
            if s['baseline'] != SOURCE_ONLY:
                ratio += f' vs {s["baseline"]}'
        else:
            ratio = '1 (baseline)'
        lines.append(f'| {s["name"]} | {s["images"]} | {s["its"]:.2f} | '
                     f'{s["ips"]:.1f} | {ratio} | {s["note"]} |')
    return '\n'.join(lines) + '\n'


def machine_header(args, load_before, load_after, minutes) -> str:
    from mmengine.config import Config
    threads = os.environ.get('OMP_NUM_THREADS', '1')
    if args.mode == 'runs':
        what = (f'`--mode runs`: `tools/train.py` runs one after the other, '
                f'each with OMP_NUM_THREADS={threads} and 2 dataloader '
                f'workers; {args.repeats} round(s) of every row, '
                f'{args.iters} iterations per run, median iteration time '
                f'(data wait + step) after the first {args.warmup}')
    else:
        what = (f'`--mode steps`: the train steps of all rows interleaved '
                f'iteration by iteration in one process '
                f'({threads} thread(s), prefetched batches, no data '
                f'loading), {args.iters} rounds, the first {args.warmup} '
                f'not counted; a row\'s figure is its median step time')
    if args.model == 'r101':
        data = Config.fromfile(osp.join(ROOT, SIM2REAL_DATA))

        def size(scale):  # (w, h) -> 'WxH' resized by --scale
            return 'x'.join(str(round(v * args.scale)) for v in scale)

        what += (f'; the real-data configs\' DeepLab-v2 ResNet-101 models '
                 f'(random init, frozen BN) on the benchmark\'s batches '
                 f'resized {args.scale:g}x (target '
                 f'{size(data.target_scale)}, source '
                 f'{size(data.source_scale)})')
    return (f'Machine: {os.cpu_count()} CPU cores, load average (1 min) '
            f'{load_before:.2f} before and {load_after:.2f} after (other '
            f'jobs on the machine). {what}; {minutes:.1f} min in all.')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=100)
    parser.add_argument('--warmup', type=int, default=10)
    parser.add_argument('--repeats', type=int, default=2,
                        help='rounds over all rows')
    parser.add_argument(
        '--mode', choices=('runs', 'steps'), default='runs',
        help='runs: tools/train.py runs one after the other (data loading '
        'included); steps: the train steps of all rows interleaved '
        'iteration by iteration in this process (no data loading)')
    parser.add_argument(
        '--model', choices=('small', 'r101'), default='small',
        help='small: the embedded benchmark configs; r101: their data with '
        'the real-data configs\' DeepLab-v2 ResNet-101 models (--mode '
        'steps only)')
    parser.add_argument(
        '--scale', type=float, default=2.,
        help='--model r101: factor by which the batches are resized')
    parser.add_argument('--rows', nargs='+',
                        choices=[r.name for r in ROWS + R101_ROWS],
                        help='a subset (with their baselines)')
    parser.add_argument('--out', default=osp.join(RESULTS_DIR,
                                                  'train_throughput.md'))
    args = parser.parse_args(argv)
    if args.iters <= args.warmup:
        parser.error('--iters must be above --warmup')
    if args.model == 'r101' and args.mode != 'steps':
        parser.error('--model r101 times train steps: add --mode steps')
    if args.scale <= 0:
        parser.error(f'--scale must be positive, got {args.scale}')
    scale = args.scale if args.model == 'r101' else 1.
    rows = R101_ROWS if args.model == 'r101' else ROWS
    if args.rows:
        unknown = set(args.rows) - {r.name for r in rows}
        if unknown:
            parser.error(f'rows {sorted(unknown)} are not rows of --model '
                         f'{args.model}')
        wanted = set(args.rows)
        wanted |= {r.baseline for r in rows if r.name in wanted}
        rows = [r for r in rows if r.name in wanted]
    from mmengine.config import Config
    from sim2real_results import ensure_data
    ensure_data(osp.join(ROOT, 'data', 'sim2real'), sys.executable)
    images = {
        r.name: images_per_iteration(
            Config.fromfile(osp.join(ROOT, r.config)))
        for r in rows
    }
    start, load_before = time.time(), os.getloadavg()[0]
    rounds = []
    if args.mode == 'steps':
        rounds = interleaved_steps(rows, args.iters, args.warmup, scale)
    for k in range(args.repeats if args.mode == 'runs' else 0):
        rounds.append({})
        for row in rows:
            rounds[-1][row.name] = measure(row, args.iters, args.warmup)
            print(f'[throughput] round {k + 1}: {row.name}: '
                  f'{1 / rounds[-1][row.name]:.2f} it/s', flush=True)
    header = machine_header(args, load_before, os.getloadavg()[0],
                            (time.time() - start) / 60)
    table = markdown(summarise(rows, images, rounds), header)
    print(table, end='')
    with open(args.out, 'w') as f:
        f.write(table)


if __name__ == '__main__':
    main()
