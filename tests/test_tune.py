"""Hyper-parameter search with Ray Tune (``tools/tune.py``, ``mmda.tune``).

Fast tests: the search-space syntax and its checks (exact messages), the
config's keys and validation metrics, the settings (command line over
``tune_cfg``), ASHA's rungs, a trial's config, the report hook, the DDP
trainer of a multi-process trial.

End to end on the tiny sim2real benchmark (a 12-iteration RIPU schedule
validating every 3 iterations): a 4-trial search over tau and the
consistency weight is interrupted (Ctrl+C) and resumed, ASHA stops trials
early, the results (CSV, best config, plot) are checked and the best config
trains with ``tools/train.py``; one trial trains with DDP on two Ray Train
workers (gloo); ``slurm/tune.sh`` runs a 2-trial search through ``sbatch``
on the local Slurm cluster.
"""
import csv
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest
from mmengine.config import Config

from conftest import REPO, run_tool
# the local Slurm cluster of tests/test_slurm.py (started, or skipped)
from test_slurm import read, slurm_env, submit, wait_job  # noqa: F401
from mmda.apis import load_config
from mmda.engine.hooks import TuneReportHook
from mmda.tune import (MetricError, SearchParam, SearchSpaceError,
                       TuneSettings, TuneSettingsError, check_metric,
                       parse_entry, parse_search_space, reported_metrics,
                       resolve_settings)
from mmda.tune.search_space import check_keys
from mmda.tune.trainable import TRIAL_CONFIG, trial_config, write_trial_config

RIPU = osp.join(REPO, 'configs', 'ripu',
                'ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
RIPU_TUNE = RIPU[:-3] + '_tune.py'
TUNE = osp.join(REPO, 'tools', 'tune.py')
TAU = 'model.negative_loss.tau'
WEIGHT = 'model.consistency_loss.loss_weight'
SPACE = [f'{TAU}=loguniform(0.01,0.2)', f'{WEIGHT}=choice(0.05,0.1,0.2,0.4)']


def tiny(max_iters=12, val_interval=3, select_iter=2):
    """--cfg-options of a tiny RIPU schedule: ``max_iters`` iterations, a
    validation and a checkpoint every ``val_interval``, one selection round
    after ``select_iter``, no data workers."""
    return [
        f'train_cfg.max_iters={max_iters}',
        f'train_cfg.val_interval={val_interval}',
        f'param_scheduler.0.end={max_iters}',
        f'custom_hooks.0.select_iters=[{select_iter}]',
        'custom_hooks.0.dataloader.num_workers=0',
        f'default_hooks.checkpoint.interval={val_interval}',
        'default_hooks.logger.interval=1'
    ] + [
        f'{loader}.{key}={value}'
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader')
        for key, value in (('num_workers', 0), ('persistent_workers', False))
    ]


# 12 iterations, a validation every 3: ASHA's rungs are 3, 6 and 12
TINY = tiny()


def settings_for(tmp_path, **kwargs) -> TuneSettings:
    kwargs.setdefault('search_space', list(SPACE))
    return TuneSettings(
        config=RIPU,
        work_dir=str(tmp_path / 'search'),
        launch_dir=str(tmp_path),
        **kwargs)


# ------------------------------------------------------------ search space
def test_parse_entries():
    assert parse_entry(f'{TAU}=loguniform(0.01,0.2)') == SearchParam(
        TAU, 'loguniform', (0.01, 0.2))
    # by name, in any order; written back positionally
    param = parse_entry('a.b=quniform(q=0.1, low=0, high=1)')
    assert param == SearchParam('a.b', 'quniform', (0, 1, 0.1))
    assert str(param) == 'a.b=quniform(0, 1, 0.1)'
    assert parse_entry("x.y = choice('a', [1, 2], None)") == SearchParam(
        'x.y', 'choice', ('a', [1, 2], None))
    assert parse_entry('custom_hooks.0.budget_ratio=grid(0.01, 0.05)').args \
        == (0.01, 0.05)
    assert parse_entry('a.b=randint(1, 5)').is_log is False
    assert parse_entry('a.b=lograndint(1, 64)').is_log is True


def test_samplers_are_ray_domains():
    from ray.tune.search.sample import Categorical, Float, Integer
    tau = parse_entry(f'{TAU}=loguniform(0.01, 0.2)').to_ray()
    assert isinstance(tau, Float)
    assert (tau.lower, tau.upper) == (0.01, 0.2)
    assert isinstance(tau.sampler, Float._LogUniform)
    weight = parse_entry(f'{WEIGHT}=choice(0.05, 0.1, 0.2)').to_ray()
    assert isinstance(weight, Categorical)
    assert weight.categories == [0.05, 0.1, 0.2]
    steps = parse_entry('a.b=qrandint(8, 64, 8)').to_ray()
    assert isinstance(steps, Integer) and steps.sampler.q == 8
    assert parse_entry('a.b=grid(1, 2)').to_ray() == {'grid_search': [1, 2]}


@pytest.mark.parametrize('entry, message', [
    (f'{TAU}=loguniform(0.2,0.01)',
     f'search space {TAU}=loguniform(0.2, 0.01): loguniform needs '
     '0 < low < high, got low=0.2, high=0.01'),
    (f'{TAU}=loguniform(0,0.2)',
     f'search space {TAU}=loguniform(0, 0.2): loguniform needs '
     '0 < low < high, got low=0, high=0.2'),
    ('a.b=uniform(1, 1)',
     'search space a.b=uniform(1, 1): uniform needs low < high, got low=1, '
     'high=1'),
    ('a.b=quniform(0, 1, 0)',
     'search space a.b=quniform(0, 1, 0): quniform needs q > 0, got low=0, '
     'high=1, q=0'),
    ('a.b=randint(1.5, 3)',
     'search space a.b=randint(1.5, 3): low must be an integer, got 1.5'),
    ("a.b=uniform('0', 1)",
     "search space a.b=uniform('0', 1): low must be a finite number, got "
     "'0'"),
    ('a.b=randn(0, -1)',
     'search space a.b=randn(0, -1): randn needs sd > 0, got mean=0, sd=-1'),
    ('a.b=choice()', 'search space a.b=choice(): choice needs at least one '
     'value'),
    ('a.b=choice(1, 1)', 'search space a.b=choice(1, 1): choice lists 1 '
     'twice'),
    ('a.b=loguniform(0.01)',
     'search space a.b=loguniform(0.01): loguniform takes 2 arguments (low, '
     'high), got 1'),
    ('a.b=uniform(0, lo=1)',
     "search space a.b=uniform(0, lo=1): uniform has no argument 'lo'; its "
     'arguments are low, high'),
    ('a.b=logunif(0.01, 0.2)',
     "search space a.b=logunif(0.01, 0.2): unknown sampler 'logunif' (did "
     'you mean loguniform?); use one of uniform, quniform, loguniform, '
     'qloguniform, randint, qrandint, lograndint, randn, choice, grid'),
    ('a.b=choice(x)',
     'search space a.b=choice(x): argument x is not a Python literal (a '
     'number, string, list, tuple or dict)'),
    ('a.b=0.1',
     'search space a.b=0.1: expected FN(ARGS) with FN one of uniform, '
     'quniform, loguniform, qloguniform, randint, qrandint, lograndint, '
     'randn, choice, grid, e.g. a.b=loguniform(0.01, 0.2)'),
    ('loguniform(0.01, 0.2)',
     "search space entry 'loguniform(0.01, 0.2)' is not KEY=FN(ARGS), e.g. "
     'model.negative_loss.tau=loguniform(0.01,0.2)'),
])
def test_bad_entries_are_clear_errors(entry, message):
    with pytest.raises(SearchSpaceError) as err:
        parse_entry(entry)
    assert str(err.value) == message


def test_config_space_and_command_line_merge():
    params = parse_search_space(
        ['a.b=choice(1, 2)', 'e.f=uniform(0, 1)'], {
            'a.b': 'uniform(0, 1)',
            'c.d': 'randint(1, 5)'
        })
    assert [str(p) for p in params] == [
        'a.b=choice(1, 2)', 'c.d=randint(1, 5)', 'e.f=uniform(0, 1)'
    ]
    with pytest.raises(SearchSpaceError, match='^search space key a.b is '
                       'given twice$'):
        parse_search_space(['a.b=choice(1)', 'a.b=choice(2)'])
    with pytest.raises(SearchSpaceError, match='^the search space is empty'):
        parse_search_space([])
    with pytest.raises(SearchSpaceError) as err:
        parse_search_space([], {TAU: 0.05})
    assert str(err.value) == (
        f'search space {TAU}: the sampler must be a string such as '
        "'loguniform(0.01, 0.2)' or 'choice(0.05, 0.1)', got 0.05")


def test_unknown_key_suggests_the_closest_keys():
    cfg = load_config(RIPU)
    check_keys(cfg, [parse_entry(e) for e in SPACE])  # both exist
    with pytest.raises(SearchSpaceError) as err:
        check_keys(cfg, [parse_entry('model.consistency_weight=choice(0.1)')])
    assert str(err.value) == (
        'search space key model.consistency_weight: model has no key '
        "'consistency_weight' (did you mean model.consistency_loss."
        'loss_weight, model.consistency_loss, model.consistency_loss.region?)')
    with pytest.raises(SearchSpaceError) as err:
        check_keys(cfg, [parse_entry('custom_hooks.1.radius=choice(1, 2)')])
    assert str(err.value).startswith(
        'search space key custom_hooks.1.radius: custom_hooks is a list of 1 '
        "entries, '1' is no index")
    with pytest.raises(SearchSpaceError) as err:
        check_keys(cfg, [parse_entry(f'{TAU}=choice(0.05)')], {TAU: 0.1})
    assert str(err.value) == (
        f'search space key {TAU} is also fixed by --cfg-options ({TAU}=0.1):'
        ' search it or fix it')


# ------------------------------------------------------------------ metrics
def test_metrics_the_configs_report():
    cfg = load_config(RIPU)
    names = reported_metrics(cfg)
    assert {'aAcc', 'mIoU', 'mIoU16', 'mIoU13', 'mAcc', 'IoU.road',
            'IoU.traffic light', 'IoU.bicycle'} <= names
    assert len(names) == 5 + 19
    # a 16-class validation set: mIoU13 is its only protocol subset
    cfg16 = load_config(osp.join(
        REPO, 'configs', 'advent',
        'advent_deeplabv2-r101_synthia-to-cityscapes-16.py'))
    names16 = reported_metrics(cfg16)
    assert 'mIoU13' in names16 and 'mIoU16' not in names16
    assert len(names16) == 4 + 16 and 'IoU.train' not in names16
    cfg.val_evaluator = dict(
        type='IoUMetric', iou_metrics=['mIoU', 'mDice'], prefix='val')
    assert reported_metrics(cfg) == {
        'val/aAcc', 'val/mIoU', 'val/mAcc', 'val/mDice'
    }
    cfg.val_evaluator = [dict(type='IoUMetric'), dict(type='MyMetric')]
    assert reported_metrics(cfg) is None  # not known here: not refused
    assert check_metric(cfg, 'anything') is None


def test_unknown_metric_is_a_clear_error():
    cfg = load_config(RIPU)
    with pytest.raises(MetricError) as err:
        check_metric(cfg, 'mIoU19')
    assert str(err.value) == (
        "metric 'mIoU19' is never reported by this config (did you mean "
        'mIoU16, mIoU13, mIoU?): its val_evaluator (DAIoUMetric) reports '
        'aAcc, mAcc, mIoU, mIoU13, mIoU16, IoU.<class> (IoU.bicycle, ...)')
    with pytest.raises(MetricError, match=r'\(did you mean mIoU, '):
        check_metric(cfg, 'miou')
    cfg.val_cfg = None
    with pytest.raises(MetricError) as err:
        check_metric(cfg, 'mIoU')
    assert str(err.value) == (
        'the config never validates (no val_cfg): a search compares trials '
        'on validation metrics')


def test_bad_search_fails_before_ray_starts(tmp_path):
    """The command line refuses an unknown key and an unknown metric with
    exit status 2, before any Ray start-up."""
    proc = subprocess.run([
        sys.executable, TUNE, RIPU, '--search-space',
        'model.consistency_weight=choice(0.05,0.1)', f'{TAU}=choice(0.05)',
        '--metric', 'mIoU19'
    ],
                          cwd=tmp_path,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert ('tools/tune.py: error: search space key model.consistency_'
            "weight: model has no key 'consistency_weight' (did you mean "
            'model.consistency_loss.loss_weight') in proc.stderr
    assert 'Started a local Ray instance' not in proc.stdout + proc.stderr
    proc = subprocess.run(
        [sys.executable, TUNE, RIPU, '--search-space', SPACE[0],
         '--metric', 'mIoU19'],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "tools/tune.py: error: metric 'mIoU19' is never reported by " \
        'this config (did you mean mIoU16' in proc.stderr
    assert not osp.exists(tmp_path / 'work_dirs')


# ----------------------------------------------------------------- settings
def test_settings_from_tune_cfg_and_command_line(tmp_path):
    settings = resolve_settings(RIPU_TUNE, launch_dir=str(tmp_path))
    assert settings.search_space == [
        f'{TAU}=loguniform(0.01, 0.3)', f'{WEIGHT}=choice(0.03, 0.1, 0.3, 1.0)'
    ]
    assert (settings.metric, settings.mode, settings.num_samples,
            settings.max_concurrent, settings.cpus_per_trial,
            settings.scheduler, settings.grace_period,
            settings.reduction_factor, settings.seed,
            settings.workers_per_trial) == ('mIoU', 'max', 8, 2, 1, 'asha',
                                            1, 3, 0, 1)
    assert settings.work_dir == str(
        tmp_path / 'work_dirs' / ('tune_' + osp.basename(RIPU_TUNE)[:-3]))
    # the command line wins; its entries replace the config's of that key
    settings = resolve_settings(
        RIPU_TUNE,
        options=dict(num_samples=4, metric='mIoU16', gpus_per_trial=4),
        search_space=[f'{WEIGHT}=choice(0.1)'],
        cfg_options={'train_cfg.val_interval': 100},
        work_dir='search',
        launch_dir=str(tmp_path))
    assert settings.search_space == [
        f'{TAU}=loguniform(0.01, 0.3)', f'{WEIGHT}=choice(0.1)'
    ]
    assert (settings.num_samples, settings.metric,
            settings.workers_per_trial) == (4, 'mIoU16', 4)
    assert settings.cfg_options == {'train_cfg.val_interval': 100}
    assert settings.work_dir == str(tmp_path / 'search')
    # saved for --resume
    settings.save()
    assert TuneSettings.load(settings.work_dir) == settings


def test_bad_settings_are_clear_errors(tmp_path):
    config = tmp_path / 'bad_tune_cfg.py'
    config.write_text(f"_base_ = '{RIPU_TUNE}'\n"
                      "tune_cfg = dict(num_sample=4)\n")
    with pytest.raises(TuneSettingsError) as err:
        resolve_settings(str(config))
    assert str(err.value).startswith(
        "tune_cfg has no setting 'num_sample' (did you mean num_samples?)")
    cases = [
        (dict(gpus_per_trial=3, workers_per_trial=2),
         'gpus_per_trial 3 cannot be split over 2 workers: a DDP worker '
         'takes whole GPUs (give a multiple of workers_per_trial)'),
        (dict(mode='maximum'), "mode must be one of max, min, got 'maximum'"),
        (dict(num_samples=0), 'num_samples must be an integer >= 1, got 0'),
        (dict(reduction_factor=1),
         'reduction_factor must be a number > 1, got 1'),
    ]
    for options, message in cases:
        with pytest.raises(TuneSettingsError) as err:
            resolve_settings(RIPU, options=options, search_space=SPACE)
        assert str(err.value) == message
    with pytest.raises(SearchSpaceError) as err:
        resolve_settings(
            RIPU,
            options=dict(search='optuna'),
            search_space=[f'{TAU}=grid(0.01, 0.1)'])
    assert str(err.value).startswith(
        f'search space {TAU}=grid(0.01, 0.1): grid is not supported by '
        '--search optuna')
    with pytest.raises(TuneSettingsError, match='train_cfg.max_iters cannot '
                       'be searched with scheduler asha'):
        resolve_settings(
            RIPU, search_space=['train_cfg.max_iters=choice(100, 200)'])
    with pytest.warns(UserWarning, match='no trial can be stopped early'):
        resolve_settings(RIPU, search_space=SPACE)  # validates at the end


def test_asha_rungs_are_validation_iterations(tmp_path):
    from ray.tune.schedulers import ASHAScheduler

    from mmda.tune.tuner import build_scheduler
    settings = settings_for(tmp_path)
    cfg = load_config(RIPU, {'train_cfg.max_iters': 800,
                             'train_cfg.val_interval': 100})
    scheduler = build_scheduler(settings, cfg)
    assert isinstance(scheduler, ASHAScheduler)
    assert (scheduler._time_attr, scheduler._max_t) == ('iter', 800)
    assert [m for m, _ in scheduler._brackets[0]._rungs] == [
        800, 400, 200, 100
    ]
    settings.grace_period, settings.reduction_factor = 2, 3
    scheduler = build_scheduler(settings, cfg)
    assert [m for m, _ in scheduler._brackets[0]._rungs] == [600, 200]
    settings.scheduler = 'fifo'
    assert build_scheduler(settings, cfg) is None


def test_search_algorithms(tmp_path):
    from ray.tune.search import BasicVariantGenerator, ConcurrencyLimiter
    from ray.tune.search.optuna import OptunaSearch

    from mmda.tune.tuner import build_search_alg, default_max_concurrent
    settings = settings_for(tmp_path, seed=3, max_concurrent=2)
    assert default_max_concurrent(settings) == 2
    alg = build_search_alg(settings, 2)
    assert isinstance(alg, BasicVariantGenerator)
    assert alg.max_concurrent == 2
    settings.search = 'optuna'
    alg = build_search_alg(settings, 2)
    assert isinstance(alg, ConcurrencyLimiter) and alg.max_concurrent == 2
    assert isinstance(alg.searcher, OptunaSearch)
    settings.max_concurrent = None  # one-process trials: Ray fits them
    assert default_max_concurrent(settings) is None
    assert isinstance(build_search_alg(settings, None), OptunaSearch)


# -------------------------------------------------------------------- trial
def test_trial_config(tmp_path):
    settings = settings_for(tmp_path, cfg_options={'train_cfg.max_iters': 12})
    work_dir = str(tmp_path / 'search' / 'trials' / 'abc_00001')
    path = write_trial_config(settings, {TAU: 0.03, WEIGHT: 0.2}, work_dir,
                              'abc_00001_x')
    assert path == osp.join(work_dir, TRIAL_CONFIG)
    cfg = Config.fromfile(path)  # an ordinary config file
    assert cfg.model.negative_loss.tau == 0.03
    assert cfg.model.consistency_loss.loss_weight == 0.2
    assert cfg.train_cfg.max_iters == 12
    assert (cfg.work_dir, cfg.experiment_name) == (work_dir, 'abc_00001_x')
    assert cfg.visualizer.name == 'abc_00001_x'
    assert 'tune_cfg' not in cfg
    hooks = {h.type: h for h in cfg.custom_hooks}
    assert hooks['TuneReportHook'].metric == 'mIoU'
    # trials run in a worker thread: no signal handlers there
    assert hooks['PreemptionHook'].signals == []
    assert hooks['ActiveSelectionHook'].budget_ratio == 0.022
    # the searched config is untouched
    assert trial_config(settings, {}, work_dir,
                        'n').model.negative_loss.tau == 0.05


class _Logger:

    def __init__(self):
        self.lines = []

    def info(self, line):
        self.lines.append(line)


def test_report_hook():
    scalars = []
    runner = SimpleNamespace(
        logger=_Logger(),
        iter=200,
        max_iters=800,
        work_dir='/w',
        visualizer=SimpleNamespace(
            add_scalars=lambda values, step: scalars.append((step, values))),
        message_hub=SimpleNamespace(
            get_info=lambda key: '/w/iter_200.pth'
            if key == 'last_ckpt' else None))
    hook = TuneReportHook(metric='mIoU')
    hook.before_run(runner)  # outside Ray: nothing to report to
    assert runner.logger.lines == [
        'TuneReportHook: not in a Ray Tune trial, validation metrics are '
        'not reported'
    ]
    hook.after_val_epoch(runner, {'mIoU': 1.0})  # a no-op
    reports = []
    hook._report = reports.append
    hook.after_val_epoch(
        runner, {
            'mIoU': np.float32(35.39),
            'IoU.road': np.float64(90.125),
            'aAcc': 71,
            'per_class': np.zeros(3),
            'name': 'x'
        })
    assert reports == [{
        'mIoU': 35.39,
        'IoU.road': 90.125,
        'aAcc': 71.0,
        'iter': 200,
        'max_iters': 800,
        'work_dir': '/w'
    }]
    # and to the trial's visualisation backends
    assert scalars == [(200, {
        'tune/mIoU': 35.39,
        'tune/IoU.road': 90.125,
        'tune/aAcc': 71.0,
        'tune/iter': 200,
        'tune/max_iters': 800
    })]
    with pytest.raises(KeyError) as err:
        hook.after_val_epoch(runner, {'aAcc': 71.0})
    assert err.value.args[0] == (
        "TuneReportHook: the validation reported no 'mIoU' (the metric of "
        'the search); it reported aAcc')


class _FakeCheckpoint:
    """Stands in for ``ray.tune.Checkpoint`` (records what the directory
    held when reported)."""

    def __init__(self, files):
        self.files = files

    @classmethod
    def from_directory(cls, path):
        return cls({
            name: open(osp.join(path, name), 'rb').read()
            for name in os.listdir(path)
        })


def test_report_hook_sends_each_new_checkpoint_once(tmp_path):
    """The checkpoint written since the last report goes as a Ray
    checkpoint: a directory holding it as ``checkpoint.pth``, removed from
    the work dir after the report."""
    info = {}
    runner = SimpleNamespace(
        logger=_Logger(), iter=3, max_iters=12, work_dir=str(tmp_path),
        message_hub=SimpleNamespace(get_info=info.get),
        visualizer=SimpleNamespace(add_scalars=lambda values, step: None))
    hook = TuneReportHook(metric='mIoU')
    reports = []
    hook._report = lambda metrics, checkpoint=None: reports.append(
        (metrics['iter'], checkpoint))
    hook._checkpoint_cls = _FakeCheckpoint
    hook.after_val_epoch(runner, {'mIoU': 1.0})  # no checkpoint yet
    (tmp_path / 'iter_3.pth').write_bytes(b'weights at 3')
    info['last_ckpt'] = str(tmp_path / 'iter_3.pth')
    hook.after_val_epoch(runner, {'mIoU': 2.0})
    runner.iter = 4
    hook.after_val_epoch(runner, {'mIoU': 3.0})  # the same checkpoint
    assert [(it, c and c.files) for it, c in reports] == [
        (3, None), (3, {'checkpoint.pth': b'weights at 3'}), (4, None)]
    assert sorted(os.listdir(tmp_path)) == ['iter_3.pth']  # no staging


def test_hook_finds_no_ray_session_outside_ray():
    pytest.importorskip('ray')
    import ray  # noqa: F401  (imported, but no session)
    from mmda.engine.hooks.tune_report_hook import ray_reporter
    assert ray_reporter() is None


def test_committed_results_hold_relative_paths():
    results = osp.join(REPO, 'benchmarks', 'results', 'tune_ripu')
    for name in os.listdir(results):
        if name.endswith(('.csv', '.json', '.py')):
            with open(osp.join(results, name)) as f:
                text = f.read()
            assert not re.search(r'(^|[\s,"\'])/(work|home|tmp|root)/',
                                 text), name
    best = json.loads(open(osp.join(results, 'best.json')).read())
    assert best['checkpoint'] == f'trials/{best["trial_id"]}/iter_400.pth'
    assert best['search_work_dir'] == 'work_dirs/tune_ripu_sim2real'


def test_multi_process_trials_run_ddp_on_ray_train(tmp_path):
    from mmda.tune.trainable import build_ddp_trainer
    from mmda.tune.tuner import trial_resources
    settings = settings_for(tmp_path, cpus_per_trial=2, workers_per_trial=2)
    trainer = build_ddp_trainer(settings, dict(config='c.py'), 'abc_1')
    assert trainer.scaling_config.num_workers == 2
    assert trainer.scaling_config.use_gpu is False
    assert trainer.scaling_config.resources_per_worker == {'CPU': 1.0}
    assert trainer.backend_config.backend == 'gloo'
    assert trainer.run_config.name == 'abc_1'
    assert trainer.run_config.storage_path == str(tmp_path / 'search' /
                                                  'ray_train')
    # the trial's driver holds no CPU: its workers do
    assert trial_resources(settings) == {'cpu': 0, 'memory': 1 << 20}
    settings = settings_for(
        tmp_path, cpus_per_trial=8, gpus_per_trial=4, workers_per_trial=4)
    trainer = build_ddp_trainer(settings, {}, 'x')
    assert trainer.scaling_config.use_gpu is True
    assert trainer.scaling_config.resources_per_worker == {
        'CPU': 2.0,
        'GPU': 1.0
    }
    assert trainer.backend_config.backend == 'nccl'
    settings = settings_for(tmp_path, cpus_per_trial=2, gpus_per_trial=1)
    assert trial_resources(settings) == {'cpu': 2, 'gpu': 1}


# --------------------------------------------------------------- end to end
def _tune_argv(work_dir, extra=()):
    return [TUNE, RIPU, '--search-space'] + SPACE + [
        '--num-samples', '4', '--max-concurrent', '1', '--seed', '0',
        '--num-cpus', '2', '--work-dir', str(work_dir)
    ] + list(extra) + ['--cfg-options'] + TINY


def _read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def _logs(work_dir):
    text = ''
    for root, _, files in os.walk(work_dir):
        for name in files:
            if name.endswith('.log'):
                with open(osp.join(root, name)) as f:
                    text += f.read()
    return text


@pytest.fixture(scope='module')
def search(sim2real_tiny):
    """A 4-trial search (one trial at a time, so that ASHA's decisions do
    not depend on timing), interrupted with Ctrl+C once a trial has a
    checkpoint at iteration 6, then resumed: (work dir, rows of results.csv
    at the interruption, output of the resumed search)."""
    work_dir = sim2real_tiny / 'work_dirs' / 'tune'
    proc = subprocess.Popen([sys.executable] + _tune_argv(work_dir),
                            cwd=sim2real_tiny,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            text=True)
    deadline = time.time() + 300
    while not list((work_dir / 'trials').glob('*/iter_6.pth')):
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f'no checkpoint at iteration 6:\n'
                        f'{proc.communicate()[0][-5000:]}')
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out = proc.communicate(timeout=300)[0]
    assert proc.returncode == 130, out[-5000:]
    assert f'--work-dir {work_dir} --resume' in out
    interrupted = _read_csv(work_dir / 'results.csv')
    assert not osp.exists(work_dir / 'best_config.py')  # not finished
    resumed = run_tool(
        _tune_argv(work_dir, ['--resume']), cwd=sim2real_tiny, timeout=600)
    return work_dir, interrupted, resumed.stdout + resumed.stderr


@pytest.mark.slow
def test_search_asha_results_and_resume(search):
    work_dir, interrupted, out = search
    assert 'ignoring --search-space' in out  # --resume uses the saved search
    assert 'unfinished' in {r['status'] for r in interrupted}
    rows = _read_csv(work_dir / 'results.csv')
    # the resumed search continued the same 4 trials
    assert len(rows) == 4
    ids = {r['trial_id'] for r in rows}
    assert {r['trial_id'] for r in interrupted} <= ids
    assert list(rows[0]) == [
        'trial_id', 'status', TAU, WEIGHT, 'mIoU', 'best_mIoU', 'iter',
        'max_iters', 'validations', 'checkpoint', 'work_dir', 'error'
    ]
    statuses = [r['status'] for r in rows]
    assert set(statuses) <= {'completed', 'stopped early'}, rows
    # ASHA stopped at least one trial at a rung (iteration 3 or 6)
    stopped = [r for r in rows if r['status'] == 'stopped early']
    assert stopped, rows
    for row in stopped:
        assert int(row['iter']) in (3, 6) and row['max_iters'] == '12'
        assert not osp.exists(work_dir / row['work_dir'] / 'iter_12.pth')
    completed = [r for r in rows if r['status'] == 'completed']
    assert completed, rows
    for row in rows:
        assert 0.01 <= float(row[TAU]) <= 0.2
        assert float(row[WEIGHT]) in (0.05, 0.1, 0.2, 0.4)
        # paths relative to the search's work dir
        assert not osp.isabs(row['checkpoint'])
        assert osp.isfile(work_dir / row['checkpoint'])
        assert osp.isfile(work_dir / row['work_dir'] / 'trial_config.py')
    for row in completed:
        assert row['iter'] == '12' and row['validations'] == '4'
        assert row['checkpoint'] == osp.join(row['work_dir'], 'iter_12.pth')
    # rows are sorted best first
    scores = [float(r['mIoU']) for r in rows]
    assert scores == sorted(scores, reverse=True), scores
    # an interrupted trial resumed from its checkpoint, not from scratch
    resumed = re.findall(r'resumed epoch: 0, iter: (\d+)', _logs(work_dir))
    assert resumed and all(int(i) >= 3 for i in resumed), resumed
    # the best trial: the best completed one, its config and checkpoint
    best = json.loads((work_dir / 'best.json').read_text())
    best_row = max(completed, key=lambda r: float(r['mIoU']))
    assert best['trial_id'] == best_row['trial_id']
    assert best['checkpoint'] == best_row['checkpoint']
    assert f'best trial {best_row["trial_id"]}: mIoU' in out
    cfg = Config.fromfile(str(work_dir / 'best_config.py'))
    assert cfg.model.negative_loss.tau == pytest.approx(float(best_row[TAU]))
    assert cfg.model.consistency_loss.loss_weight == float(best_row[WEIGHT])
    assert cfg.train_cfg.max_iters == 12 and 'tune_cfg' not in cfg
    assert 'work_dir' not in cfg
    # the plot
    png = work_dir / 'mIoU_vs_hyperparameters.png'
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert png.stat().st_size > 20000


@pytest.mark.slow
def test_pbt_search_exploits_through_ray_checkpoints(sim2real_tiny):
    """Population Based Training, 2 trials: at the perturbation the weaker
    trial continues from the stronger one's Ray checkpoint (copied into
    its work dir and resumed there) with perturbed values."""
    work_dir = sim2real_tiny / 'work_dirs' / 'tune_pbt'
    argv = [
        TUNE, RIPU, '--search-space'] + SPACE + [
        '--num-samples', '2', '--scheduler', 'pbt', '--grace-period', '1',
        '--seed', '0', '--num-cpus', '2', '--work-dir', str(work_dir),
        '--cfg-options'
    ] + tiny(max_iters=4, val_interval=2, select_iter=1)
    out = run_tool(argv, cwd=sim2real_tiny)
    text = out.stdout + out.stderr
    rows = _read_csv(work_dir / 'results.csv')
    assert len(rows) == 2 and {r['status'] for r in rows} == {'completed'}
    # Ray keeps the reported checkpoints in the trials' storage
    stored = list((work_dir / 'ray').glob('*/checkpoint_*/checkpoint.pth'))
    assert stored, text[-3000:]
    from ray.tune import ExperimentAnalysis
    analysis = ExperimentAnalysis(str(work_dir / 'ray'))
    for trial in analysis.trials:
        assert trial.checkpoint is not None
    # the exploit: the weaker trial continued from the stronger one's
    # checkpoint at the perturbation (iteration 2), copied from Ray's
    # storage into its work dir and resumed there
    found = re.search(r'\[Exploit\] Cloning trial (\S+) \(score = [\d.]+\) '
                      r'into trial (\S+)', text)
    assert found, text[-3000:]
    donor, target = found.groups()
    log = _logs(work_dir / 'trials' / target)
    assert re.search(
        rf'Load checkpoint from \S+/trials/{target}/ray_restored_{donor}_'
        r'checkpoint_\d+\.pth', log), log[-3000:]
    assert 'resumed epoch: 0, iter: 2' in log
    assert (work_dir / 'trials' / target / 'iter_4.pth').is_file()


@pytest.mark.slow
def test_best_config_trains_as_an_ordinary_config(sim2real_tiny, search):
    work_dir = search[0]
    train_dir = sim2real_tiny / 'work_dirs' / 'best'
    run_tool([
        osp.join(REPO, 'tools', 'train.py'),
        str(work_dir / 'best_config.py'), '--work-dir',
        str(train_dir)
    ],
             cwd=sim2real_tiny)
    assert (train_dir / 'iter_12.pth').is_file()
    assert 'TuneReportHook' not in (work_dir / 'best_config.py').read_text()


@pytest.mark.slow
def test_two_worker_trial_trains_with_ddp(sim2real_tiny):
    work_dir = sim2real_tiny / 'work_dirs' / 'tune_ddp'
    argv = [
        TUNE, RIPU, '--search-space', f'{TAU}=choice(0.05)', '--num-samples',
        '1', '--workers-per-trial', '2', '--cpus-per-trial', '2',
        '--num-cpus', '2', '--scheduler', 'fifo', '--work-dir',
        str(work_dir), '--cfg-options'
    ] + tiny(max_iters=4, val_interval=2, select_iter=1)
    out = run_tool(argv, cwd=sim2real_tiny)
    (row, ) = _read_csv(work_dir / 'results.csv')
    assert row['status'] == 'completed'
    assert (row['iter'], row['validations']) == ('4', '2')
    log = _logs(work_dir / row['work_dir'])
    assert 'scoring 8 target images on 2 rank(s)' in log
    assert "backend='gloo'" in log or "'backend': 'gloo'" in log
    assert 'best trial' in out.stdout


@pytest.mark.slow
def test_slurm_tune_runs_a_search_on_the_allocation(
        slurm_env, sim2real_tiny):  # noqa: F811 (the imported fixture)
    name = 'mmda-tune'
    job_id = submit(slurm_env, sim2real_tiny, [
        '-J', name, '--gres=none', '--nodes=1', '--cpus-per-task=2',
        '--time=10',
        osp.join(REPO, 'slurm', 'tune.sh'), RIPU, '--search-space'
    ] + SPACE + ['--num-samples', '2', '--seed', '0', '--cfg-options'] +
                    tiny(max_iters=6))
    log_path = sim2real_tiny / f'slurm-{name}-{job_id}.out'
    state, _, code = wait_job(slurm_env, job_id, log_path,
                              time.time() + 300)
    log = read(log_path)
    assert (state, code) == ('COMPLETED', 0), log[-5000:]
    assert re.search(r'Ray cluster at \S+: 1 node\(s\), 2 CPU\(s\)', log)
    rows = _read_csv(sim2real_tiny / 'work_dirs' / name / 'results.csv')
    assert len(rows) == 2, rows
    assert {r['status'] for r in rows} <= {'completed', 'stopped early'}
    assert '[slurm/tune.sh] tools/tune.py exited with status 0' in log
