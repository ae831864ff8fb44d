"""Results table of the embedded sim2real benchmark.

Trains the benchmark's configs with ``tools/train.py`` (one subprocess each,
an ordinary mmda run in its own work dir), reads the final target-val
metrics, and writes a Markdown table (``benchmarks/results/sim2real.md``),
the raw numbers (``sim2real.json``) and the RIPU budget-vs-mIoU plot::

    python benchmarks/sim2real_results.py                 # every run
    python benchmarks/sim2real_results.py --runs ripu_ra5 # the main job

The benchmark data is generated (``tools/make_sim2real.py``) and converted
(``tools/dataset_converters``) when missing. Finished runs are not trained
again (delete their work dir, or pass ``--force``), so an interrupted
benchmark resumes where it stopped. Rows of runs not trained in this call
come from the stored results and are marked as such.

Trainers run with one OpenMP thread unless ``OMP_NUM_THREADS`` is set: on a
2-core machine the trainer and its two dataloader workers otherwise
oversubscribe the cores and every iteration gets several times slower.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from collections import OrderedDict

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
RESULTS_DIR = osp.join(ROOT, 'benchmarks', 'results')
ADAPT = 'configs/ripu/ripu_{}_deeplabv2-small_sim2real-gta5-to-cityscapes.py'
ENTROPY = 'configs/{}_deeplabv2-small_sim2real-gta5-to-cityscapes.py'

# name -> (label, budget of target labels, config, extra --cfg-options);
# IntraDA's config is (stage 1, stage 2): tools/intrada_pipeline.py ranks
# the AdvEnt run's final checkpoint (its stage 1) and trains stage 2.
# AdvEnt+MinEnt is the test-time ensemble of the AdvEnt and MinEnt runs'
# final checkpoints (nothing more is trained).
RUNS = OrderedDict([
    ('source_only', ('Source only', '0', 'configs/baselines/'
                     'source-only_deeplabv2-small_sim2real-gta5-to-'
                     'cityscapes.py', [])),
    ('minent', ('MinEnt', '0', ENTROPY.format('advent/minent'), [])),
    ('advent', ('AdvEnt', '0', ENTROPY.format('advent/advent'), [])),
    ('advent_minent', ('AdvEnt+MinEnt', '0',
                       ENTROPY.format('advent/advent-minent-ensemble'), [])),
    ('intrada', ('IntraDA', '0', (ENTROPY.format('advent/advent'),
                                  ENTROPY.format('intrada/intrada')), [])),
    ('ripu_pa', ('RIPU PA', '5 px/img', ADAPT.format('pa'), [])),
    ('ripu_ra1', ('RIPU RA', '1 %', ADAPT.format('ra-2.2'),
                  ['custom_hooks.0.budget_ratio=0.01'])),
    ('ripu_ra2.2', ('RIPU RA', '2.2 %', ADAPT.format('ra-2.2'), [])),
    ('ripu_ra5', ('RIPU RA', '5 %', ADAPT.format('ra-5'), [])),
    ('oracle', ('Target oracle', '100 %', 'configs/baselines/'
                'oracle_deeplabv2-small_sim2real-cityscapes.py', [])),
])
RA_BUDGETS = OrderedDict([('ripu_ra1', 1.0), ('ripu_ra2.2', 2.2),
                          ('ripu_ra5', 5.0)])


def ensure_data(data_root: str, python: str) -> None:
    """Generate and convert the benchmark if it is not there yet."""
    done = osp.join(data_root, 'cityscapes', 'class_stats_train.json')
    if osp.isfile(done):
        return
    print(f'[sim2real] generating the benchmark into {data_root}', flush=True)
    subprocess.run([python, 'tools/make_sim2real.py', data_root],
                   cwd=ROOT,
                   check=True)
    for name in ('gta5', 'synthia', 'cityscapes'):
        subprocess.run([
            python, f'tools/dataset_converters/{name}.py',
            osp.join(data_root, name)
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


def train(name: str, work_root: str, python: str,
          max_iters: int, force: bool) -> dict:
    label, budget, config, options = RUNS[name]
    work_dir = osp.join(work_root, name)
    result_file = osp.join(work_dir, 'result.json')
    if osp.isfile(result_file) and not force:
        with open(result_file) as f:
            return json.load(f)
    options = list(options)
    if max_iters:
        options.append(f'train_cfg.max_iters={max_iters}')
        options.append(f'train_cfg.val_interval={max_iters}')
    metrics_of = final_metrics
    if isinstance(config, (tuple, list)):
        cmds = [intrada_command(config, work_dir, work_root, python, options)]
        metrics_dir = osp.join(work_dir, 'stage2')
    elif name == 'advent_minent':
        cmds = ensemble_commands(config, work_dir, work_root, python)
        metrics_dir, metrics_of = work_dir, test_metrics
    else:
        cmd = [python, 'tools/train.py', config, '--work-dir', work_dir]
        if osp.isfile(osp.join(work_dir, 'last_checkpoint')) and not force:
            cmd.append('--resume')
        if options:
            cmd += ['--cfg-options'] + options
        cmds = [cmd]
        metrics_dir = work_dir
    start = time.time()
    os.makedirs(work_dir, exist_ok=True)
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    with open(osp.join(work_dir, 'train_stdout.log'), 'a') as log:
        for cmd in cmds:
            print(f'[sim2real] {name}: {" ".join(cmd)}', flush=True)
            subprocess.run(cmd, cwd=ROOT, check=True, stdout=log,
                           stderr=subprocess.STDOUT, env=env)
    metrics = metrics_of(metrics_dir)
    result = dict(
        name=name,
        label=label,
        budget=budget,
        config=config,
        options=options,
        minutes=round((time.time() - start) / 60, 1),
        metrics=metrics)
    with open(result_file, 'w') as f:
        json.dump(result, f, indent=1)
    print(f'[sim2real] {name}: mIoU {metrics["mIoU"]:.2f} in '
          f'{result["minutes"]} min', flush=True)
    return result


def intrada_command(configs, work_dir: str, work_root: str, python: str,
                    options) -> list:
    """The one-command IntraDA pipeline on the AdvEnt run's checkpoint."""
    stage1, stage2 = configs
    train('advent', work_root, python, 0, False)  # stage 1 (kept if done)
    ckpt = final_checkpoint(work_root, 'advent')
    cmd = [
        python, 'tools/intrada_pipeline.py', stage1, stage2, '--work-dir',
        work_dir, '--stage1-checkpoint', ckpt
    ]
    if options:
        cmd += ['--stage2-options'] + options
    return cmd


def final_checkpoint(work_root: str, name: str) -> str:
    """The checkpoint a finished run of ``name`` ended with."""
    from mmda.utils.checkpoint_files import read_last_checkpoint
    checkpoint = read_last_checkpoint(osp.join(work_root, name))
    if checkpoint is None:
        raise FileNotFoundError(
            f'{osp.join(work_root, name)} has no last_checkpoint')
    return checkpoint


def ensemble_commands(config: str, work_dir: str, work_root: str,
                      python: str) -> list:
    """Gather the AdvEnt and MinEnt runs' final checkpoints (each run
    trained first when missing) into the ensemble, then test it."""
    members = []
    for member in ('advent', 'minent'):
        train(member, work_root, python, 0, False)
        members.append(f'{member}={final_checkpoint(work_root, member)}')
    ckpt = osp.join(work_dir, 'ensemble.pth')
    return [[python, 'tools/ensemble_checkpoints.py', config, ckpt] +
            members,
            [python, 'tools/test.py', config, ckpt, '--work-dir', work_dir]]


def gap_recovered(result, results):
    lo = results.get('source_only')
    hi = results.get('oracle')
    if not lo or not hi or result['name'] in ('source_only', 'oracle'):
        return ''
    gap = hi['metrics']['mIoU'] - lo['metrics']['mIoU']
    got = result['metrics']['mIoU'] - lo['metrics']['mIoU']
    return f'{100 * got / gap:.0f} %' if gap > 0 else ''


def markdown(results: dict, fresh: set) -> str:
    lines = [
        '| method | target labels | mIoU | mIoU16 | mIoU13 | gap recovered '
        '| train time (min) |', '|---|---|---|---|---|---|---|'
    ]
    for name in RUNS:
        if name not in results:
            continue
        r = results[name]
        m = r['metrics']
        mark = '' if name in fresh else ' (stored)'
        lines.append(f'| {r["label"]}{mark} | {r["budget"]} | '
                     f'{m["mIoU"]:.2f} | {m["mIoU16"]:.2f} | '
                     f'{m["mIoU13"]:.2f} | {gap_recovered(r, results)} | '
                     f'{r["minutes"]} |')
    names = [n for n in RUNS if n in results]
    classes = [k[4:] for k in results[names[0]]['metrics']
               if k.startswith('IoU.')]
    lines += [
        '', '| class | ' + ' | '.join(
            f'{results[n]["label"]} {results[n]["budget"]}'
            for n in names) + ' |',
        '|---|' + '---|' * len(names)
    ]
    for c in classes:
        lines.append(f'| {c} | ' + ' | '.join(
            f'{results[n]["metrics"][f"IoU.{c}"]:.1f}' for n in names) +
                     ' |')
    return '\n'.join(lines) + '\n'


def plot_budget(results: dict, path: str) -> bool:
    points = [(b, results[n]['metrics']['mIoU'])
              for n, b in RA_BUDGETS.items() if n in results]
    if len(points) < 2:
        return False
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(*zip(*points), 'o-', label='RIPU RA')
    for name, style in (('oracle', '--'), ('source_only', ':')):
        if name in results:
            ax.axhline(
                results[name]['metrics']['mIoU'],
                linestyle=style,
                color='gray',
                label=results[name]['label'])
    ax.set_xlabel('target pixels labelled (%)')
    ax.set_ylabel('target val mIoU')
    ax.set_title('sim2real GTA5 -> Cityscapes layout')
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--runs',
        nargs='+',
        default=list(RUNS),
        choices=list(RUNS),
        help='runs to train (default: all)')
    parser.add_argument('--data', default='data/sim2real')
    parser.add_argument('--work-root', default='work_dirs/sim2real_benchmark')
    parser.add_argument(
        '--max-iters', type=int, default=0, help='override the schedule')
    parser.add_argument('--force', action='store_true', help='retrain')
    parser.add_argument(
        '--results-dir',
        default=RESULTS_DIR,
        help='where the table, json and plot go')
    args = parser.parse_args(argv)
    if args.data != 'data/sim2real':
        parser.error('--data must be data/sim2real (the configs name it)')
    python = sys.executable
    ensure_data(osp.join(ROOT, args.data), python)
    os.makedirs(args.results_dir, exist_ok=True)
    store = osp.join(args.results_dir, 'sim2real.json')
    results = {}
    if osp.isfile(store):
        with open(store) as f:
            results = json.load(f)
    for name in args.runs:
        results[name] = train(name, osp.join(ROOT, args.work_root), python,
                              args.max_iters, args.force)
    ordered = OrderedDict((n, results[n]) for n in RUNS if n in results)
    with open(store, 'w') as f:
        json.dump(ordered, f, indent=1)
    table = markdown(ordered, set(args.runs))
    with open(osp.join(args.results_dir, 'sim2real.md'), 'w') as f:
        f.write(table)
    if plot_budget(ordered, osp.join(args.results_dir,
                                     'ripu_budget_vs_miou.png')):
        print(f'[sim2real] plot: {args.results_dir}/ripu_budget_vs_miou.png')
    print()
    print(table)


if __name__ == '__main__':
    main()
