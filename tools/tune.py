"""Search hyper-parameters of any mmda config with Ray Tune.

    python tools/tune.py CONFIG \\
        [--search-space 'KEY=FN(ARGS)' ...] [--metric mIoU] [--mode max] \\
        [--scheduler asha|fifo|pbt] [--grace-period N] \\
        [--reduction-factor F] \\
        [--search random|optuna] [--seed S] [--num-samples N] \\
        [--max-concurrent N] [--cpus-per-trial C] [--gpus-per-trial G] \\
        [--workers-per-trial W] [--work-dir DIR] [--resume] \\
        [--address ADDR | --num-cpus N --num-gpus N] \\
        [--cfg-options KEY=VALUE ...]

for example, RIPU on the embedded benchmark::

    CONFIG=\\
    configs/ripu/ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py
    python tools/tune.py $CONFIG \\
        --search-space 'model.negative_loss.tau=loguniform(0.01,0.2)' \\
            'model.consistency_loss.loss_weight=choice(0.05,0.1,0.2)' \\
        --num-samples 8 --cfg-options train_cfg.val_interval=500

Samplers: uniform, quniform, loguniform, qloguniform, randint, qrandint,
lograndint, randn, choice, grid (Ray Tune's). The search space, metric and
the other settings may also come from the config's ``tune_cfg`` (the
command line wins; see :mod:`mmda.tune.settings`). Everything is checked
before Ray starts: an unknown key (with the closest keys of the config), a
bad range, a metric the config's validation never reports.

Each trial is an ordinary mmda run in ``<work dir>/trials/<trial id>/``
(its config, logs, checkpoints), reporting after every validation; ASHA
stops the weaker trials early. Results, in the work dir
(``work_dirs/tune_<config name>`` by default): ``results.csv``,
``best_config.py`` (train it with ``tools/train.py``), ``best.json`` (with
the best checkpoint) and ``<metric>_vs_hyperparameters.png``.

Ctrl+C (or SIGUSR1) stops the search and saves its state; ``--resume``
continues it with its saved settings: finished trials are kept, unfinished
ones resume from their last checkpoints. Exit status: 0 when the search
finished with a best trial, 1 when a trial failed (its error is in
results.csv, its log in its work dir) or no trial reported the metric, 2 for
a bad search, 130 when the search was interrupted (resumable).

On a Slurm allocation, ``slurm/tune.sh`` starts a Ray cluster over its
nodes and runs this tool with ``--address``.
"""
import argparse
import os.path as osp
import sys
import warnings

try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmda  # noqa: F401

from mmengine.config import DictAction

from mmda.tune import (MetricError, SearchSpaceError, TuneSettings,
                       TuneSettingsError, init_ray, resolve_settings,
                       run_search, write_results)
from mmda.tune.results import ERROR, UNFINISHED
from mmda.tune.settings import TUNE_CFG_KEYS, default_work_dir

EXIT_FAILED, EXIT_BAD_SEARCH, EXIT_INTERRUPTED = 1, 2, 130
#: options that define the search (ignored by --resume, which continues
#: the saved search)
SEARCH_OPTIONS = TUNE_CFG_KEYS + ('cfg_options', )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Search hyper-parameters of an mmda config with Ray '
        'Tune',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='Defaults come from the config\'s tune_cfg, else: metric '
        'mIoU, mode max, ASHA (grace period 1 validation, reduction factor '
        '2), random search, 8 trials, 1 CPU and 0 GPU per trial.')
    parser.add_argument('config', help='the mmda config to search')
    space = parser.add_argument_group('search')
    space.add_argument(
        '--search-space',
        nargs='+',
        action='extend',
        metavar='KEY=FN(ARGS)',
        help="searched config keys, e.g. 'model.negative_loss.tau="
        "loguniform(0.01,0.2)' (quote them: the shell reads parentheses); "
        "they replace the config's tune_cfg.search_space entry of the same "
        'key')
    space.add_argument('--metric', help='validation metric (mIoU)')
    space.add_argument('--mode', choices=['max', 'min'])
    space.add_argument(
        '--scheduler',
        choices=['asha', 'fifo', 'pbt'],
        help='asha: stop weak trials early (default); fifo: never; pbt: '
        'Population Based Training (weak trials continue from a strong '
        "trial's checkpoint with perturbed values)")
    space.add_argument(
        '--grace-period',
        type=int,
        help='ASHA: validations before a trial may be stopped; PBT: '
        'validations between perturbations (1)')
    space.add_argument(
        '--reduction-factor',
        type=float,
        help='ASHA: keep the best 1/F of the trials at each rung (2)')
    space.add_argument(
        '--search',
        choices=['random', 'optuna'],
        help='random (default; grid() entries are crossed) or optuna (TPE)')
    space.add_argument('--seed', type=int, help='seed of the sampler')
    space.add_argument(
        '--num-samples', type=int, help='number of trials (8)')
    space.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='fixed overrides of every trial, e.g. train_cfg.max_iters=1000;'
        ' every key must exist in the config')
    res = parser.add_argument_group('resources')
    res.add_argument(
        '--cpus-per-trial', type=float, help='CPUs of a trial (1)')
    res.add_argument(
        '--gpus-per-trial', type=float, help='GPUs of a trial (0)')
    res.add_argument(
        '--workers-per-trial',
        type=int,
        help='processes of a trial; > 1 trains with DDP on Ray Train '
        'workers (default: the GPUs of a trial when more than one, else 1)')
    res.add_argument(
        '--max-concurrent',
        type=int,
        help='trials at once (default: what the resources allow)')
    ray_group = parser.add_argument_group('ray')
    ray_group.add_argument(
        '--address',
        help="an existing Ray cluster ('auto', HOST:PORT); default: start "
        'a local one')
    ray_group.add_argument(
        '--num-cpus', type=int, help='CPUs of the local Ray (all)')
    ray_group.add_argument(
        '--num-gpus', type=int, help='GPUs of the local Ray (all)')
    ray_group.add_argument(
        '--ray-temp-dir', help="the local Ray's temp dir (/tmp/ray)")
    parser.add_argument(
        '--work-dir',
        help='the search dir (default: work_dirs/tune_<config name>)')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='continue the interrupted search in --work-dir with its saved '
        'settings')
    return parser.parse_args(argv)


def settings_from_args(args) -> TuneSettings:
    """The search of the command line, or the saved one with --resume."""
    if args.resume:
        given = [
            f'--{name.replace("_", "-")}' for name in SEARCH_OPTIONS
            if getattr(args, name) is not None
        ]
        if given:
            warnings.warn(f'--resume continues the saved search: ignoring '
                          f'{" ".join(given)}')
        return TuneSettings.load(
            osp.abspath(args.work_dir or default_work_dir(args.config)))
    options = {
        name: getattr(args, name)
        for name in TUNE_CFG_KEYS if name != 'search_space'
    }
    return resolve_settings(
        args.config,
        options=options,
        cfg_options=args.cfg_options,
        search_space=args.search_space,
        work_dir=args.work_dir)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f'{value:.4g}'
    return '-' if value is None else str(value)


def print_summary(settings: TuneSettings, out: dict) -> None:
    keys = [p.key for p in settings.params]
    header = ['trial', 'status'] + keys + [settings.metric, 'iter']
    rows = [[r.trial_id, r.status] + [_fmt(r.params.get(k)) for k in keys] +
            [_fmt(r.metric), _fmt(r.iter)] for r in out['records']]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    for row in [header] + rows:
        print('  '.join(str(c).ljust(w) for c, w in zip(row, widths)))
    for r in out['records']:
        if r.error:
            print(f'trial {r.trial_id} failed: {r.error} (log: {r.work_dir})')
    for name in ('csv', 'plot', 'best_config', 'best_json'):
        if name in out:
            print(f'{name}: {out[name]}')
    best = out['best']
    if best is not None and 'best_config' in out:
        print(f'best trial {best.trial_id}: {settings.metric} {best.metric} '
              f'at iteration {best.iter}, checkpoint {best.checkpoint}')


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        settings = settings_from_args(args)
    except (SearchSpaceError, MetricError, TuneSettingsError, KeyError,
            FileNotFoundError) as err:
        message = err.args[0] if isinstance(err, KeyError) else err
        print(f'tools/tune.py: error: {message}', file=sys.stderr)
        return EXIT_BAD_SEARCH
    print(f'[tune] {"resuming" if args.resume else "starting"} the search '
          f'in {settings.work_dir}: {settings.num_samples} trial(s) of '
          f'{" ".join(settings.search_space)}; {settings.metric} '
          f'({settings.mode}), {settings.scheduler}, {settings.search} '
          'search')
    init_ray(args.address, args.num_cpus, args.num_gpus, args.ray_temp_dir)
    try:
        run_search(settings, resume=args.resume)
    except (FileExistsError, FileNotFoundError) as err:
        print(f'tools/tune.py: error: {err}', file=sys.stderr)
        return EXIT_BAD_SEARCH
    out = write_results(settings)
    print_summary(settings, out)
    if any(r.status == UNFINISHED for r in out['records']):
        print(f'[tune] the search was interrupted: continue it with\n'
              f'  python tools/tune.py {args.config} --work-dir '
              f'{settings.work_dir} --resume')
        return EXIT_INTERRUPTED
    if out['best'] is None or any(r.status == ERROR
                                  for r in out['records']):
        return EXIT_FAILED
    return 0


if __name__ == '__main__':
    sys.exit(main())
