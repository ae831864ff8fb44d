"""Results table of the embedded sim2real benchmark.

Trains the benchmark's configs with ``tools/train.py`` (one subprocess each,
an ordinary mmda run in its own work dir), reads the final target-val
metrics, and writes a Markdown table (``benchmarks/results/sim2real.md``),
the raw numbers (``sim2real.json``), the RIPU budget-vs-mIoU plot, with
the ``gio_ada`` row GIO-Ada's pictures (``gio_ada_pictures.png``) and with a
TGCF-DA row the generated images beside their sources
(``tgcf_pictures.png``)::

    python benchmarks/sim2real_results.py                 # every run
    python benchmarks/sim2real_results.py --runs ripu_ra5 # the main job
    python benchmarks/sim2real_results.py --runs source_only plca \
        --seeds 0 1 2 --jobs 2                            # 3 seeds, 2 cores
    python benchmarks/sim2real_results.py --runs ablation_random \
        ablation_uncertainty ablation_impurity   # acquisition ablations

Every row is trained once per training seed (``--seeds``, default 0 1 2:
``randomness.seed``; the benchmark data, generated with its own fixed seed,
is the same for all) and reported as mean ± sample standard deviation over
the seeds; the per-seed metrics are kept in ``sim2real.json``. The rows that
pick regions at random also seed their draws with it
(``RandomRegions.seed``), so their seeds sample the acquisition as well as
the training.

The benchmark data is generated (``tools/make_sim2real.py``) and converted
(``tools/dataset_converters``) when missing. Finished (run, seed) pairs are not
trained again (delete their work dir, or pass ``--force``), and each is
stored as soon as it finishes, so an interrupted benchmark resumes where it
stopped. Rows of runs not trained in this call come from the stored results
and are marked as such. A row gathers its seeds over calls: the seeds a call
trains join the seeds the store holds for the same config and options (a
seed trained again replaces its stored result).

While runs train, one line per run every ``--progress-interval`` seconds
(30) shows its iteration, mmengine's ETA and its latest validation mIoU
(:mod:`run_progress`); the job ends by printing where its table, plot and
logs are, and its wall time and peak memory (:func:`resource_summary`).

Trainers run with one OpenMP thread unless ``OMP_NUM_THREADS`` is set: on a
2-core machine the trainer and its two dataloader workers otherwise
oversubscribe the cores and every iteration gets several times slower.
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import statistics
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from run_progress import ProgressPrinter  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
RESULTS_DIR = osp.join(ROOT, 'benchmarks', 'results')
ADAPT = 'configs/ripu/ripu_{}_deeplabv2-small_sim2real-gta5-to-cityscapes.py'
ABLATION = ('configs/ripu/ripu-ablation-{}_ra-2.2_deeplabv2-small_sim2real-'
            'gta5-to-cityscapes.py')
ENTROPY = 'configs/{}_deeplabv2-small_sim2real-gta5-to-cityscapes.py'
SYNTHIA = 'configs/{}_deeplabv2-small_sim2real-synthia-to-cityscapes.py'
TGCF = 'configs/tgcf/{}_deeplabv2-small_sim2real-gta5-to-cityscapes.py'
SOURCE_ONLY = ('configs/baselines/source-only_deeplabv2-small_sim2real-'
               'gta5-to-cityscapes.py')
SELF_ENSEMBLING = ('configs/self_ensembling/self-ensembling_deeplabv2-'
                   'small_sim2real-gta5-to-cityscapes.py')
TGCF_STAGE_A = 'configs/tgcf/tgcf-da-generator_sim2real-gta5-to-cityscapes.py'


def budget_option(percent: float, strategy: bool = False) -> str:
    """The ``--cfg-options`` entry that sets RA's share of labelled target
    pixels: the active-selection hook's (the first custom hook) legacy key
    in the RIPU configs, its ``strategy``'s in the ablation configs."""
    key = 'strategy.budget_ratio' if strategy else 'budget_ratio'
    return f'custom_hooks.0.{key}={percent / 100:g}'


# name -> (label, budget of target labels, config, extra --cfg-options);
# IntraDA's config is (stage 1, stage 2): tools/intrada_pipeline.py ranks
# the AdvEnt run's final checkpoint (its stage 1) and trains stage 2.
# AdvEnt+MinEnt is the test-time ensemble of the AdvEnt and MinEnt runs'
# final checkpoints (nothing more is trained). TGCF-DA rows train their
# stage B through tools/tgcf_pipeline.py, which shares one generator stage
# per seed (frozen segmentor: the same seed's source-only final checkpoint)
# and one generated set per seed between both rows.
RUNS = OrderedDict([
    ('source_only', ('Source only', '0', SOURCE_ONLY, [])),
    ('minent', ('MinEnt', '0', ENTROPY.format('advent/minent'), [])),
    ('advent', ('AdvEnt', '0', ENTROPY.format('advent/advent'), [])),
    ('advent_minent', ('AdvEnt+MinEnt', '0',
                       ENTROPY.format('advent/advent-minent-ensemble'), [])),
    ('intrada', ('IntraDA', '0', (ENTROPY.format('advent/advent'),
                                  ENTROPY.format('intrada/intrada')), [])),
    ('plca', ('PLCA', '0', ENTROPY.format('plca/plca'), [])),
    ('se', ('Self-ensembling', '0', SELF_ENSEMBLING, [])),
    # the teacher in eval mode (running BN statistics of both domains):
    # the default before it followed French et al.'s train-mode teacher
    ('se_teacher_eval', ('Self-ensembling, eval-mode teacher', '0',
                         SELF_ENSEMBLING,
                         ['custom_hooks.0.teacher_mode=eval'])),
    ('tgcf', ('TGCF-DA (no SE)', '0', TGCF.format('tgcf-da'), [])),
    ('tgcf_se', ('TGCF-DA + SE', '0',
                 TGCF.format('tgcf-da-self-ensembling'), [])),
    ('ripu_pa', ('RIPU PA', '5 px/img', ADAPT.format('pa'), [])),
    ('ripu_ra0.25', ('RIPU RA', '0.25 %', ADAPT.format('ra-2.2'),
                     [budget_option(0.25)])),
    ('ripu_ra0.5', ('RIPU RA', '0.5 %', ADAPT.format('ra-2.2'),
                    [budget_option(0.5)])),
    ('ripu_ra1', ('RIPU RA', '1 %', ADAPT.format('ra-2.2'),
                  [budget_option(1)])),
    ('ripu_ra2.2', ('RIPU RA', '2.2 %', ADAPT.format('ra-2.2'), [])),
    ('ripu_ra5', ('RIPU RA', '5 %', ADAPT.format('ra-5'), [])),
    # acquisition ablations: RA with another strategy at the same budget
    # (the region size and the rounds of RIPU RA 2.2 %)
    ('ablation_random_0.25', ('RA regions at random', '0.25 %',
                              ABLATION.format('random'),
                              [budget_option(0.25, strategy=True)])),
    ('ablation_random_0.5', ('RA regions at random', '0.5 %',
                             ABLATION.format('random'),
                             [budget_option(0.5, strategy=True)])),
    ('ablation_random', ('RA regions at random', '2.2 %',
                         ABLATION.format('random'), [])),
    ('ablation_uncertainty_0.25', ('RA by uncertainty only', '0.25 %',
                                   ABLATION.format('uncertainty'),
                                   [budget_option(0.25, strategy=True)])),
    ('ablation_uncertainty', ('RA by uncertainty only', '2.2 %',
                              ABLATION.format('uncertainty'), [])),
    ('ablation_impurity_0.25', ('RA by impurity only', '0.25 %',
                                ABLATION.format('impurity'),
                                [budget_option(0.25, strategy=True)])),
    ('ablation_impurity', ('RA by impurity only', '2.2 %',
                           ABLATION.format('impurity'), [])),
    # the SYNTHIA-layout source (labels and depth): GIO-Ada and its
    # semantic-only ablation, against source-only on the same source
    ('source_only_synthia', ('Source only (SYNTHIA)', '0',
                             SYNTHIA.format('baselines/source-only'), [])),
    ('gio_ada_nodepth', ('GIO-Ada without depth (SYNTHIA)', '0',
                         SYNTHIA.format('gio_ada/gio-ada-nodepth'), [])),
    ('gio_ada', ('GIO-Ada (SYNTHIA)', '0',
                 SYNTHIA.format('gio_ada/gio-ada'), [])),
    # AdaBN (Li et al. 2017): the source-only runs' final checkpoints with
    # their BN statistics re-estimated on target training images
    # (tools/analysis_tools/recalibrate_bn.py), nothing trained
    ('source_only_adabn', ('Source only + AdaBN', '0', SOURCE_ONLY, [])),
    ('source_only_synthia_adabn', ('Source only + AdaBN (SYNTHIA)', '0',
                                   SYNTHIA.format('baselines/source-only'),
                                   [])),
    # how much of a method's gain target BN statistics subsume: the same
    # re-estimation on the final checkpoints of self-ensembling (its
    # student) and of TGCF-DA without and with self-ensembling
    ('se_adabn', ('Self-ensembling + AdaBN', '0', SELF_ENSEMBLING, [])),
    ('tgcf_adabn', ('TGCF-DA (no SE) + AdaBN', '0', TGCF.format('tgcf-da'),
                    [])),
    ('tgcf_se_adabn', ('TGCF-DA + SE + AdaBN', '0',
                       TGCF.format('tgcf-da-self-ensembling'), [])),
    ('oracle', ('Target oracle', '100 %', 'configs/baselines/'
                'oracle_deeplabv2-small_sim2real-cityscapes.py', [])),
])
GTA5_TO_CITYSCAPES = 'configs/_base_/datasets/sim2real_gta5_to_cityscapes.py'
#: rows whose source-only reference is not the GTA5-layout source_only
SOURCE_ONLY_OF = {
    'gio_ada_nodepth': 'source_only_synthia',
    'gio_ada': 'source_only_synthia',
    'source_only_synthia_adabn': 'source_only_synthia',
}
#: AdaBN rows -> (the row whose checkpoints they re-estimate, the two-domain
#: data config whose target stream gives the images)
ADABN_OF = {
    'source_only_adabn': ('source_only', GTA5_TO_CITYSCAPES),
    'source_only_synthia_adabn':
    ('source_only_synthia',
     'configs/_base_/datasets/sim2real_synthia_to_cityscapes.py'),
    'se_adabn': ('se', GTA5_TO_CITYSCAPES),
    'tgcf_adabn': ('tgcf', GTA5_TO_CITYSCAPES),
    'tgcf_se_adabn': ('tgcf_se', GTA5_TO_CITYSCAPES),
}
#: the work-dir subfolder of a run's last stage (its final checkpoint and
#: metrics)
FINAL_STAGE_DIR = {'intrada': 'stage2', 'tgcf': 'stage_b',
                   'tgcf_se': 'stage_b'}
#: budget-vs-mIoU curves: curve label -> (run, % of target pixels)
BUDGET_CURVES = OrderedDict([
    ('RIPU RA', [('ripu_ra0.25', 0.25), ('ripu_ra0.5', 0.5),
                 ('ripu_ra1', 1.0), ('ripu_ra2.2', 2.2), ('ripu_ra5', 5.0)]),
    ('regions at random', [('ablation_random_0.25', 0.25),
                           ('ablation_random_0.5', 0.5),
                           ('ablation_random', 2.2)]),
    ('uncertainty only', [('ablation_uncertainty_0.25', 0.25),
                          ('ablation_uncertainty', 2.2)]),
    ('impurity only', [('ablation_impurity_0.25', 0.25),
                       ('ablation_impurity', 2.2)]),
])


def ensure_data(data_root: str, python: str) -> None:
    """Generate and convert the benchmark if it is not there yet."""
    done = osp.join(data_root, 'cityscapes', 'class_stats_train.json')
    if osp.isfile(done):
        return
    print(f'[sim2real] generating the benchmark into {data_root}', flush=True)
    subprocess.run([python, 'tools/make_sim2real.py', data_root],
                   cwd=ROOT,
                   check=True)
    # --allow-all-ignore: at the benchmark's seed one GTA5-layout frame
    # (labels/00370.png) is filled by a trailer, an ignored class; it is kept
    # (it adds nothing to the loss), as in the data every stored row used
    for name in ('gta5', 'synthia', 'cityscapes'):
        subprocess.run([
            python, f'tools/dataset_converters/{name}.py',
            osp.join(data_root, name), '--allow-all-ignore'
        ],
                       cwd=ROOT,
                       check=True)


def test_metrics(work_dir: str) -> dict:
    """The metrics of the last ``tools/test.py`` run in ``work_dir``."""
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, f'{d}.json')))
    if not runs:
        raise FileNotFoundError(f'no test log in {work_dir}')
    with open(osp.join(work_dir, runs[-1], f'{runs[-1]}.json')) as f:
        return json.loads(f.readline())


def final_metrics(work_dir: str) -> dict:
    """The last validation metrics logged in ``work_dir``."""
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, 'vis_data',
                                         'scalars.json')))
    if not runs:
        raise FileNotFoundError(f'no training log in {work_dir}')
    metrics = None
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        for line in f:
            record = json.loads(line)
            if 'mIoU' in record:
                metrics = record
    if metrics is None:
        raise RuntimeError(f'{work_dir} logged no validation metrics')
    return metrics


class Benchmark:
    """Trains (run, seed) pairs, each once, and stores each result as soon
    as it is there. Safe to drive from several threads: a pair that another
    pair needs (IntraDA's stage 1, the ensemble's members) is trained by
    whichever thread asks first while the others wait for it."""

    def __init__(self, work_root: str, python: str, max_iters: int,
                 force: bool, on_result=None, progress=None):
        self.work_root = work_root
        self.progress = progress
        self.python = python
        self.max_iters = max_iters
        self.force = force
        self.on_result = on_result
        self._locks = {}
        self._guard = threading.Lock()

    def _lock(self, key) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def work_dir(self, name: str, seed: int) -> str:
        return osp.join(self.work_root, name, f'seed{seed}')

    def train(self, name: str, seed: int, force: bool = None) -> dict:
        force = self.force if force is None else force
        with self._lock((name, seed)):
            return self._train(name, seed, force)

    def _train(self, name: str, seed: int, force: bool) -> dict:
        label, budget, config, options = RUNS[name]
        work_dir = self.work_dir(name, seed)
        result_file = osp.join(work_dir, 'result.json')
        if osp.isfile(result_file) and not force:
            with open(result_file) as f:
                return json.load(f)
        options = list(options) + seed_options(seed)
        if self.max_iters:
            options.append(f'train_cfg.max_iters={self.max_iters}')
            options.append(f'train_cfg.val_interval={self.max_iters}')
        metrics_of = final_metrics
        metrics_dir = osp.join(work_dir, FINAL_STAGE_DIR.get(name, ''))
        if isinstance(config, (tuple, list)):
            cmds = [self.intrada_command(config, work_dir, seed, options)]
        elif name in ('tgcf', 'tgcf_se'):
            cmds = [self.tgcf_command(config, work_dir, seed, options)]
        elif name in ADABN_OF:
            cmds = self.adabn_commands(name, config, work_dir, seed)
            metrics_of = test_metrics
        elif name == 'advent_minent':
            cmds = self.ensemble_commands(config, work_dir, seed)
            metrics_of = test_metrics
        else:
            cmd = [self.python, 'tools/train.py', config, '--work-dir',
                   work_dir]
            if osp.isfile(osp.join(work_dir, 'last_checkpoint')) \
                    and not force:
                cmd.append('--resume')
            cmd += ['--cfg-options'] + options
            cmds = [cmd]
        start = time.time()
        os.makedirs(work_dir, exist_ok=True)
        env = dict(os.environ)
        env.setdefault('OMP_NUM_THREADS', '1')
        stdout_log = osp.join(work_dir, 'train_stdout.log')
        run = f'{name} seed {seed}'
        # the TGCF-DA rows of one seed share its generator stage: one at once
        shared = self._lock(('tgcf_stage_a', seed)) if name in (
            'tgcf', 'tgcf_se') else nullcontext()
        if self.progress is not None:
            self.progress.watch(run, work_dir)
        try:
            with shared, open(stdout_log, 'a') as log:
                for cmd in cmds:
                    print(f'[sim2real] {run}: '
                          f'{" ".join(relative(c) for c in cmd)}\n'
                          f'[sim2real] {run}: output in '
                          f'{relative(stdout_log)}', flush=True)
                    subprocess.run(cmd, cwd=ROOT, check=True, stdout=log,
                                   stderr=subprocess.STDOUT, env=env)
        finally:
            if self.progress is not None:
                self.progress.unwatch(run)
        metrics = metrics_of(metrics_dir)
        result = dict(
            name=name,
            seed=seed,
            label=label,
            budget=budget,
            config=config,
            options=options,
            minutes=round((time.time() - start) / 60, 1),
            metrics=metrics)
        tmp = f'{result_file}.tmp{os.getpid()}'
        with open(tmp, 'w') as f:
            json.dump(result, f, indent=1)
        os.replace(tmp, result_file)
        print(f'[sim2real] {name} seed {seed}: mIoU {metrics["mIoU"]:.2f} '
              f'in {result["minutes"]} min', flush=True)
        if self.on_result is not None:
            self.on_result(result)
        return result

    def intrada_command(self, configs, work_dir: str, seed: int,
                        options) -> list:
        """The one-command IntraDA pipeline on the same seed's AdvEnt
        checkpoint (its stage 1)."""
        stage1, stage2 = configs
        self.train('advent', seed, force=False)  # stage 1 (kept if done)
        ckpt = self.final_checkpoint('advent', seed)
        cmd = [
            self.python, 'tools/intrada_pipeline.py', stage1, stage2,
            '--work-dir', work_dir, '--stage1-checkpoint', ckpt
        ]
        return cmd + ['--stage2-options'] + options

    def tgcf_command(self, config: str, work_dir: str, seed: int,
                     options) -> list:
        """The TGCF-DA pipeline: the seed's shared generator stage and
        generated set (kept when done), then this row's stage B."""
        self.train('source_only', seed, force=False)
        cmd = [
            self.python, 'tools/tgcf_pipeline.py', TGCF_STAGE_A, config,
            '--work-dir', work_dir, '--stage-a-work-dir',
            osp.join(self.work_root, 'tgcf_stage_a', f'seed{seed}'),
            '--segmentor-checkpoint',
            self.final_checkpoint('source_only', seed), '--generated-dir',
            osp.join(self.work_root, 'tgcf_generated', f'seed{seed}'),
            '--seed', str(seed), '--stage-a-options',
            f'randomness.seed={seed}'
        ]
        return cmd + ['--stage-b-options'] + options

    def final_checkpoint(self, name: str, seed: int) -> str:
        """The checkpoint a finished run of ``name`` ended with (of its
        last stage: IntraDA's stage 2, TGCF-DA's stage B)."""
        work_dir = osp.join(self.work_dir(name, seed),
                            FINAL_STAGE_DIR.get(name, ''))
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            path = f.read().strip()
        return path if osp.isabs(path) else osp.join(work_dir, path)

    def ensemble_commands(self, config: str, work_dir: str,
                          seed: int) -> list:
        """Gather the same seed's AdvEnt and MinEnt final checkpoints (each
        run trained first when missing) into the ensemble, then test it."""
        members = []
        for member in ('advent', 'minent'):
            self.train(member, seed, force=False)
            members.append(f'{member}={self.final_checkpoint(member, seed)}')
        ckpt = osp.join(work_dir, 'ensemble.pth')
        return [[self.python, 'tools/ensemble_checkpoints.py', config, ckpt]
                + members,
                [self.python, 'tools/test.py', config, ckpt, '--work-dir',
                 work_dir]]

    def adabn_commands(self, name: str, config: str, work_dir: str,
                       seed: int) -> list:
        """Re-estimate the BN statistics of the same seed's run of the row
        ``ADABN_OF[name]`` (trained first when missing) on 100 batches of
        target training images, then test it."""
        base, data_config = ADABN_OF[name]
        self.train(base, seed, force=False)
        ckpt = osp.join(work_dir, 'adabn.pth')
        return [[self.python, 'tools/analysis_tools/recalibrate_bn.py',
                 config, self.final_checkpoint(base, seed), '--out', ckpt,
                 '--data-config', data_config, '--stream', 'target',
                 '--batches', '100', '--seed', str(seed)],
                [self.python, 'tools/test.py', config, ckpt, '--work-dir',
                 work_dir]]


def relative(arg: str) -> str:
    """``arg`` with the repository root left out (logs and stored results
    hold paths relative to the repository)."""
    return osp.relpath(arg, ROOT) if osp.isabs(arg) and \
        arg.startswith(ROOT) else arg


METRICS = ('mIoU', 'mIoU16', 'mIoU13')


def summarise(per_seed: dict) -> dict:
    """Mean and sample standard deviation (n - 1) over the seeds of every
    metric; std is 0 for a single seed."""
    seeds = sorted(per_seed, key=int)
    keys = [k for k in per_seed[seeds[0]]
            if isinstance(per_seed[seeds[0]][k], (int, float))]
    mean, std = {}, {}
    for k in keys:
        values = [per_seed[s][k] for s in seeds if k in per_seed[s]]
        mean[k] = statistics.fmean(values)
        std[k] = statistics.stdev(values) if len(values) > 1 else 0.0
    return dict(mean=mean, std=std)


#: the ``--cfg-options`` key of the random-acquisition rows' draw seed:
#: results stored before the draws followed ``randomness.seed`` by default
#: (``RandomRegions(seed=None)``) set it to the training seed
RANDOM_DRAW_SEED = 'custom_hooks.0.strategy.seed'


def seed_options(seed: int) -> list:
    """The ``--cfg-options`` that a training seed sets for every run:
    ``randomness.seed``, which the random-acquisition rows' region draws
    follow too (``RandomRegions`` without a fixed ``seed``)."""
    return [f'randomness.seed={seed}']


def is_seed_option(option: str) -> bool:
    """Whether ``option`` varies between the seeds of one row (the seed
    options of :func:`seed_options` and of results stored before it)."""
    return option.split('=', 1)[0] in ('randomness.seed', RANDOM_DRAW_SEED)


def row_of(results: list) -> dict:
    """One stored row: the run's description, the per-seed metrics and
    minutes, and their mean and standard deviation."""
    first = results[0]
    per_seed = {str(r['seed']): r['metrics'] for r in results}
    return dict(
        name=first['name'],
        label=first['label'],
        budget=first['budget'],
        config=first['config'],
        options=[o for o in first['options'] if not is_seed_option(o)],
        seeds=sorted(int(s) for s in per_seed),
        minutes={str(r['seed']): r['minutes'] for r in results},
        metrics=per_seed,
        **summarise(per_seed))


def gap_recovered(row, rows):
    lo = rows.get(SOURCE_ONLY_OF.get(row['name'], 'source_only'))
    hi = rows.get('oracle')
    if not lo or not hi or row['name'] in ('source_only', 'oracle',
                                           'source_only_synthia'):
        return ''
    gap = hi['mean']['mIoU'] - lo['mean']['mIoU']
    got = row['mean']['mIoU'] - lo['mean']['mIoU']
    return f'{100 * got / gap:.0f} %' if gap > 0 else ''


def pm(row, key) -> str:
    if key not in row['mean']:
        return ''
    if len(row['seeds']) == 1:  # no spread to report
        return f'{row["mean"][key]:.2f}'
    return f'{row["mean"][key]:.2f} ± {row["std"][key]:.2f}'


def markdown(rows: dict, fresh: set) -> str:
    lines = [
        '| method | target labels | seeds | mIoU | mIoU16 | mIoU13 '
        '| gap recovered | train time (min/seed) |',
        '|---|---|---|---|---|---|---|---|'
    ]
    for name in RUNS:
        if name not in rows:
            continue
        r = rows[name]
        mark = '' if name in fresh else ' (stored)'
        minutes = statistics.fmean(r['minutes'].values())
        lines.append(f'| {r["label"]}{mark} | {r["budget"]} | '
                     f'{len(r["seeds"])} | {pm(r, "mIoU")} | '
                     f'{pm(r, "mIoU16")} | {pm(r, "mIoU13")} | '
                     f'{gap_recovered(r, rows)} | {minutes:.1f} |')
    names = [n for n in RUNS if n in rows]
    lines += ['', 'Per seed (mIoU):', '',
              '| method | target labels | ' + ' | '.join(
                  f'seed {s}' for s in all_seeds(rows, names)) + ' |',
              '|---|---|' + '---|' * len(all_seeds(rows, names))]
    for n in names:
        r = rows[n]
        lines.append(f'| {r["label"]} | {r["budget"]} | ' + ' | '.join(
            f'{r["metrics"][str(s)]["mIoU"]:.2f}'
            if str(s) in r['metrics'] else ''
            for s in all_seeds(rows, names)) + ' |')
    classes = [k[4:] for k in rows[names[0]]['mean'] if k.startswith('IoU.')]
    lines += [
        '', 'Per class (IoU, mean over seeds):', '',
        '| class | ' + ' | '.join(
            f'{rows[n]["label"]} {rows[n]["budget"]}' for n in names) + ' |',
        '|---|' + '---|' * len(names)
    ]
    for c in classes:
        lines.append(f'| {c} | ' + ' | '.join(
            f'{rows[n]["mean"][f"IoU.{c}"]:.1f}' for n in names) + ' |')
    return '\n'.join(lines) + '\n'


def all_seeds(rows: dict, names) -> list:
    return sorted({s for n in names for s in rows[n]['seeds']})


def plot_budget(rows: dict, path: str) -> bool:
    """Target mIoU against the share of labelled target pixels, mean ± std
    over the seeds, for RIPU RA and every acquisition ablation with rows;
    source only and the oracle as lines. False (nothing drawn) with fewer
    than two RIPU budgets."""
    curves = OrderedDict()
    for label, runs in BUDGET_CURVES.items():
        points = [(b, rows[n]['mean']['mIoU'], rows[n]['std']['mIoU'])
                  for n, b in runs if n in rows]
        if points:
            curves[label] = points
    if len(curves.get('RIPU RA', [])) < 2:
        return False
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, points in curves.items():
        x, y, err = zip(*points)
        ax.errorbar(x, y, yerr=err, fmt='o-' if len(x) > 1 else 'o',
                    capsize=3, label=label)
    for name, style in (('oracle', '--'), ('source_only', ':')):
        if name in rows:
            ax.axhline(
                rows[name]['mean']['mIoU'],
                linestyle=style,
                color='gray',
                label=rows[name]['label'])
    ax.set_xscale('log')
    # the budgets themselves as ticks (log-axis minor labels overlap)
    budgets = sorted({b for points in curves.values() for b, _, _ in points})
    ax.set_xticks(budgets, [f'{b:g}' for b in budgets])
    ax.minorticks_off()
    ax.set_xlabel('target pixels labelled (%, log scale)')
    ax.set_ylabel('target val mIoU (mean ± std over seeds)')
    ax.set_title('sim2real GTA5 -> Cityscapes layout')
    ax.legend(fontsize='small')
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def stored_results(row: dict, fresh: dict) -> list:
    """The per-seed results of a stored ``row`` as result dicts, when the
    row was made by the same run as ``fresh`` (a result of this call): the
    same config and the same options but the seed. Rows accumulate seeds
    over calls this way (seed 0 trained one day, seeds 1 and 2 another);
    a row made with another config or other options is not mixed in."""
    if row is None:
        return []
    config = json.loads(json.dumps(fresh['config']))  # tuples as lists
    options = [o for o in fresh['options'] if not is_seed_option(o)]
    if row['config'] != config or row['options'] != options:
        return []
    return [
        dict(name=fresh['name'], seed=int(s), label=row['label'],
             budget=row['budget'], config=row['config'],
             options=row['options'], minutes=row['minutes'][s], metrics=m)
        for s, m in row['metrics'].items()
    ]


def load_rows(store: str) -> dict:
    """Stored rows; a row of the single-seed format (before seeds) becomes
    a one-seed row (it was trained with seed 0)."""
    if not osp.isfile(store):
        return {}
    with open(store) as f:
        stored = json.load(f)
    rows = {}
    for name, row in stored.items():
        if name not in RUNS:
            continue
        if 'seeds' not in row:
            row = row_of([dict(row, seed=0)])
        rows[name] = row
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--runs',
        nargs='+',
        default=list(RUNS),
        choices=list(RUNS),
        help='runs to train (default: all)')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        default=[0, 1, 2],
        help='training seeds of every run (randomness.seed)')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='(run, seed) pairs trained at once, one OpenMP thread each')
    parser.add_argument('--data', default='data/sim2real')
    parser.add_argument('--work-root', default='work_dirs/sim2real_benchmark')
    parser.add_argument(
        '--max-iters', type=int, default=0, help='override the schedule')
    parser.add_argument('--force', action='store_true', help='retrain')
    parser.add_argument(
        '--collect',
        action='store_true',
        help='train nothing: put the finished (run, seed) pairs of '
        '--work-root into the table and list the unfinished ones')
    parser.add_argument(
        '--progress-interval',
        type=float,
        default=30,
        help='seconds between the progress lines of the training runs '
        '(0: none)')
    parser.add_argument(
        '--results-dir',
        default=RESULTS_DIR,
        help='where the table, json and plot go')
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.data != 'data/sim2real':
        parser.error('--data must be data/sim2real (the configs name it)')
    if args.jobs < 1:
        parser.error('--jobs must be at least 1')
    if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
        parser.error(f'--seeds must be distinct and >= 0, got {args.seeds}')
    python = sys.executable
    ensure_data(osp.join(ROOT, args.data), python)
    os.makedirs(args.results_dir, exist_ok=True)
    store = osp.join(args.results_dir, 'sim2real.json')
    rows = load_rows(store)
    stored = dict(rows)  # as this call found them
    done = {}
    guard = threading.Lock()

    def publish(result):
        """Store the rows of this call with every seed finished so far,
        beside the seeds the store already held for the same run."""
        with guard:
            name = result['name']
            if name not in args.runs or result['seed'] not in args.seeds:
                return
            done.setdefault(name, {})[result['seed']] = result
            seeds = {r['seed']: r
                     for r in stored_results(stored.get(name), result)}
            seeds.update(done[name])
            rows[name] = row_of([seeds[s] for s in sorted(seeds)])
            ordered = OrderedDict((n, rows[n]) for n in RUNS if n in rows)
            tmp = f'{store}.tmp{os.getpid()}'
            with open(tmp, 'w') as f:
                json.dump(ordered, f, indent=1)
            os.replace(tmp, store)

    progress = ProgressPrinter(args.progress_interval, prefix='[sim2real] ')
    bench = Benchmark(osp.join(ROOT, args.work_root), python, args.max_iters,
                      args.force, on_result=publish, progress=progress)
    tasks = [(name, seed) for seed in args.seeds for name in args.runs]
    if args.collect:
        unfinished = [(n, s) for n, s in tasks if not osp.isfile(
            osp.join(bench.work_dir(n, s), 'result.json'))]
        if unfinished:
            print('[sim2real] --collect: not finished, left out: ' +
                  ', '.join(f'{n} seed {s}' for n, s in unfinished))
        tasks = [t for t in tasks if t not in unfinished]
        if args.force:
            parser.error('--collect trains nothing: drop --force')
    with progress, ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for result in pool.map(lambda t: bench.train(*t), tasks):
            publish(result)  # results read back from a finished work dir
    ordered = OrderedDict((n, rows[n]) for n in RUNS if n in rows)
    table = markdown(ordered, set(done))
    table_path = osp.join(args.results_dir, 'sim2real.md')
    with open(table_path, 'w') as f:
        f.write(table)
    plot = osp.join(args.results_dir, 'ripu_budget_vs_miou.png')
    plotted = plot_budget(ordered, plot)
    if 'gio_ada' in done:
        render_gio_ada_pictures(bench, min(done['gio_ada']),
                                args.results_dir)
    tgcf_seeds = sorted(
        s for n in ('tgcf', 'tgcf_se') for s in done.get(n, {}))
    if tgcf_seeds:
        render_tgcf_pictures(bench, tgcf_seeds[0], args.results_dir)
    print()
    print(table)
    print(where_summary(table_path, store, plot if plotted else None,
                        [bench.work_dir(n, s) for n, s in tasks]))
    print(resource_summary(time.monotonic() - started), flush=True)


def peak_rss_gib(who: int) -> float:
    """Peak resident set size in GiB from ``getrusage(who)``:
    ``RUSAGE_SELF`` this process, ``RUSAGE_CHILDREN`` the largest of its
    finished child processes (and of their descendants they waited for:
    the trainers' dataloader workers). ``ru_maxrss`` is in KiB on Linux,
    in bytes on macOS."""
    maxrss = resource.getrusage(who).ru_maxrss
    return maxrss / (2**30 if sys.platform == 'darwin' else 2**20)


def format_resources(wall_seconds: float, self_gib: float,
                     child_gib: float) -> str:
    """The job's closing line, e.g. ``[sim2real] wall time 12.3 min, peak
    memory 1.4 GiB (largest child process; this process 0.3 GiB)``."""
    if child_gib >= self_gib:
        which = f'largest child process; this process {self_gib:.1f} GiB'
    else:
        which = f'this process; largest child process {child_gib:.1f} GiB'
    return (f'[sim2real] wall time {wall_seconds / 60:.1f} min, peak '
            f'memory {max(self_gib, child_gib):.1f} GiB ({which})')


def resource_summary(wall_seconds: float) -> str:
    """Wall time and peak memory of the job: the larger of the peak RSS of
    this process and of its largest child process (the trainers run as
    child processes). It is the peak of one process, not the sum of
    the trainers that ran at the same time (``--jobs``)."""
    return format_resources(wall_seconds,
                            peak_rss_gib(resource.RUSAGE_SELF),
                            peak_rss_gib(resource.RUSAGE_CHILDREN))


def where_summary(table: str, store: str, plot, work_dirs) -> str:
    """The closing lines: where the table, raw numbers, plot and each
    run's logs are (paths relative to the repository)."""
    lines = [f'[sim2real] table: {relative(table)}',
             f'[sim2real] raw numbers: {relative(store)}']
    if plot:
        lines.append(f'[sim2real] plot: {relative(plot)}')
    for work_dir in work_dirs:
        lines.append(f'[sim2real] logs: {relative(work_dir)}/ '
                     '(train_stdout.log, <timestamp>/<timestamp>.log, '
                     '<timestamp>/vis_data/scalars.json)')
    return '\n'.join(lines)


def render_gio_ada_pictures(bench: Benchmark, seed: int,
                            results_dir: str) -> None:
    """Source, translated source, target and predicted depth of the GIO-Ada
    run of ``seed`` (``benchmarks/gio_ada_pictures.py``)."""
    out = osp.join(results_dir, 'gio_ada_pictures.png')
    subprocess.run([
        bench.python, 'benchmarks/gio_ada_pictures.py', RUNS['gio_ada'][2],
        bench.final_checkpoint('gio_ada', seed), '--out', out
    ],
                   cwd=ROOT,
                   check=True)


def render_tgcf_pictures(bench: Benchmark, seed: int,
                         results_dir: str) -> None:
    """Source, style and generated images of the TGCF-DA set of ``seed``
    (``benchmarks/tgcf_pictures.py``)."""
    subprocess.run([
        bench.python, 'benchmarks/tgcf_pictures.py',
        osp.join(bench.work_root, 'tgcf_generated', f'seed{seed}'), '--out',
        osp.join(results_dir, 'tgcf_pictures.png')
    ],
                   cwd=ROOT,
                   check=True)


if __name__ == '__main__':
    main()
