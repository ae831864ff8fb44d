"""The rows of the embedded-benchmark results job
(``benchmarks/sim2real_results.py``): every active-learning row builds its
selection hook with the budget its label states, and the budget plot draws
RIPU's curve beside the acquisition ablations'."""
import json
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'benchmarks'))

import sim2real_results as job  # noqa: E402

ACTIVE_ROWS = [
    name for name, (_, budget, config, _) in job.RUNS.items()
    if isinstance(config, str) and budget.endswith(' %')
    and 'ripu' in config
]
STRATEGIES = {
    'ripu': 'RegionImpurityUncertainty',
    'ablation_random': 'RandomRegions',
    'ablation_uncertainty': 'UncertaintyOnly',
    'ablation_impurity': 'ImpurityOnly',
}


def test_the_budget_sweep_has_ripu_and_every_ablation_at_the_small_budget():
    budgets = {job.RUNS[n][1] for n in ACTIVE_ROWS}
    assert {'0.25 %', '0.5 %', '1 %', '2.2 %', '5 %'} <= budgets
    for label in ('RIPU RA', 'RA regions at random', 'RA by uncertainty only',
                  'RA by impurity only'):
        assert any(job.RUNS[n][0] == label and job.RUNS[n][1] == '0.25 %'
                   for n in ACTIVE_ROWS), label


@pytest.mark.parametrize('name', ACTIVE_ROWS)
def test_active_row_builds_its_hook_with_the_labelled_budget(name):
    from mmengine.registry import init_default_scope
    from mmseg.registry import HOOKS

    import mmda  # noqa: F401
    from mmda.apis import load_config, parse_cfg_options
    init_default_scope('mmseg')
    label, budget, config, options = job.RUNS[name]
    # as the job trains training seed 2
    options = list(options) + job.seed_options(2)
    cfg = load_config(osp.join(REPO, config), parse_cfg_options(options))
    assert cfg.randomness.seed == 2
    hook = HOOKS.build(cfg.custom_hooks[0])
    assert hook.strategy.budget_ratio == pytest.approx(
        float(budget.rstrip(' %')) / 100, abs=1e-12)
    kind = next(k for k in sorted(STRATEGIES, key=len, reverse=True)
                if name.startswith(k))
    assert type(hook.strategy).__name__ == STRATEGIES[kind]
    if kind == 'ablation_random':
        # the seeds of a random row draw other regions, not one set thrice:
        # the draws follow the run's seed, which the hook hands over in
        # before_train (mmengine's runner.seed: randomness.seed)
        assert hook.strategy.follows_run_seed
        hook.strategy.bind_run_seed(cfg.randomness.seed)
        assert hook.strategy.seed == 2
    else:
        assert not hasattr(hook.strategy, 'seed')


def test_a_row_is_stored_without_its_seed_options():
    result = dict(name='ablation_random_0.25', seed=2, label='l', budget='b',
                  config='c', minutes=1.0, metrics={'mIoU': 1.0},
                  options=['custom_hooks.0.strategy.budget_ratio=0.0025'] +
                  job.seed_options(2))
    assert result['options'][1:] == ['randomness.seed=2']
    assert job.row_of([result])['options'] == [
        'custom_hooks.0.strategy.budget_ratio=0.0025']
    # results stored when the job also set the draw seed: the same row
    result['options'].append('custom_hooks.0.strategy.seed=2')
    assert job.row_of([result])['options'] == [
        'custom_hooks.0.strategy.budget_ratio=0.0025']


def row(name, values):
    per_seed = {str(s): {'mIoU': v} for s, v in enumerate(values)}
    return dict(name=name, label=job.RUNS[name][0], seeds=list(per_seed),
                metrics=per_seed, **job.summarise(per_seed))


def test_budget_plot_draws_ripu_and_random_with_error_bars(
        tmp_path, monkeypatch):
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib.axes import Axes
    drawn = []
    real = Axes.errorbar

    def errorbar(self, x, y, yerr=None, **kwargs):
        drawn.append((kwargs['label'], list(x), list(y), list(yerr)))
        return real(self, x, y, yerr=yerr, **kwargs)

    monkeypatch.setattr(Axes, 'errorbar', errorbar)
    rows = {
        'ripu_ra0.25': row('ripu_ra0.25', [20, 22, 24]),
        'ripu_ra2.2': row('ripu_ra2.2', [30, 31, 32]),
        'ablation_random_0.25': row('ablation_random_0.25', [15, 16, 17]),
        'ablation_random': row('ablation_random', [28, 29, 30]),
        'source_only': row('source_only', [10, 11, 12]),
    }
    path = tmp_path / 'plot.png'
    assert job.plot_budget(rows, str(path))
    assert path.stat().st_size > 0
    assert drawn == [
        ('RIPU RA', [0.25, 2.2], [22.0, 31.0], [2.0, 1.0]),
        ('regions at random', [0.25, 2.2], [16.0, 29.0], [1.0, 1.0]),
    ]


def test_budget_plot_needs_two_ripu_budgets(tmp_path):
    rows = {'ripu_ra2.2': row('ripu_ra2.2', [30, 31]),
            'ablation_random': row('ablation_random', [28, 29])}
    assert not job.plot_budget(rows, str(tmp_path / 'plot.png'))


@pytest.mark.slow
def test_fresh_machine_generates_and_converts_the_benchmark(tmp_path):
    """What the main job does first on a fresh machine: the default-seed
    benchmark generated and converted into a new folder (its GTA5-layout
    frame 00370 is all trailer, an ignored class, and must not stop it)."""
    import numpy as np
    from PIL import Image
    root = tmp_path / 'sim2real'
    job.ensure_data(str(root), sys.executable)
    assert (root / 'cityscapes' / 'class_stats_train.json').is_file()
    for name in ('gta5', 'synthia'):
        assert (root / name / 'class_stats.json').is_file()
    trailer = np.array(Image.open(
        root / 'gta5' / 'labels' / '00370_labelTrainIds.png'))
    assert (trailer == 255).all()
    assert len(list((root / 'gta5' / 'labels').glob(
        '*_labelTrainIds.png'))) == 400


def test_collect_tables_finished_runs_and_trains_nothing(
        tmp_path, monkeypatch, capsys):
    """``--collect`` puts the finished (run, seed) pairs of the work root
    into the table and json, lists the unfinished ones, and starts no
    training."""
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f'--collect started a process: {args}')

    monkeypatch.setattr(job, 'ensure_data', lambda *args: None)
    monkeypatch.setattr(job.subprocess, 'run', no_subprocess)
    work = tmp_path / 'work'
    finished = work / 'source_only' / 'seed1'
    finished.mkdir(parents=True)
    metrics = {'mIoU': 12.5, 'mIoU16': 14.0, 'mIoU13': 16.25}
    (finished / 'result.json').write_text(json.dumps(dict(
        name='source_only', seed=1, label='Source only', budget='0',
        config=job.RUNS['source_only'][2], options=['randomness.seed=1'],
        minutes=3.0, metrics=metrics)))
    results = tmp_path / 'results'
    args = ['--runs', 'source_only', 'se', '--seeds', '0', '1',
            '--work-root', str(work), '--results-dir', str(results),
            '--progress-interval', '0']
    job.main(args + ['--collect'])
    out = capsys.readouterr().out
    assert ('not finished, left out: source_only seed 0, se seed 0, '
            'se seed 1') in out
    stored = json.loads((results / 'sim2real.json').read_text())
    assert list(stored) == ['source_only']
    assert stored['source_only']['seeds'] == [1]
    assert stored['source_only']['metrics']['1']['mIoU'] == 12.5
    table = (results / 'sim2real.md').read_text()
    assert '| Source only | 0 | 1 | 12.50 |' in table
    with pytest.raises(SystemExit):
        job.main(args + ['--collect', '--force'])


def _finished(work, name, seed, miou, options=()):
    run_dir = work / name / f'seed{seed}'
    run_dir.mkdir(parents=True)
    (run_dir / 'result.json').write_text(json.dumps(dict(
        name=name, seed=seed, label=job.RUNS[name][0],
        budget=job.RUNS[name][1], config=job.RUNS[name][2],
        options=list(options) + [f'randomness.seed={seed}'], minutes=2.0,
        metrics={'mIoU': miou, 'mIoU16': miou, 'mIoU13': miou})))


def test_a_row_gathers_its_seeds_over_calls(tmp_path, monkeypatch):
    """Seeds stored by an earlier call (their work dirs gone) join the
    seeds of this call; a seed trained again replaces its stored result;
    a stored row of other options is not mixed in."""
    monkeypatch.setattr(job, 'ensure_data', lambda *args: None)
    results = tmp_path / 'results'
    first, second = tmp_path / 'first', tmp_path / 'second'
    _finished(first, 'source_only', 0, 10.0)
    _finished(first, 'source_only', 1, 20.0)
    _finished(first, 'se', 0, 30.0, options=['train_cfg.max_iters=8'])
    common = ['--results-dir', str(results), '--progress-interval', '0',
              '--collect']
    job.main(['--runs', 'source_only', 'se', '--seeds', '0', '1',
              '--work-root', str(first)] + common)
    _finished(second, 'source_only', 1, 22.0)
    _finished(second, 'source_only', 2, 24.0)
    _finished(second, 'se', 1, 40.0)
    job.main(['--runs', 'source_only', 'se', '--seeds', '1', '2',
              '--work-root', str(second)] + common)
    stored = json.loads((results / 'sim2real.json').read_text())
    row = stored['source_only']
    assert row['seeds'] == [0, 1, 2]
    assert [row['metrics'][s]['mIoU'] for s in '012'] == [10.0, 22.0, 24.0]
    assert row['mean']['mIoU'] == pytest.approx(56.0 / 3)
    assert row['std']['mIoU'] == pytest.approx(7.5719, abs=1e-4)
    assert stored['se']['seeds'] == [1]  # seed 0 had max_iters=8
    assert stored['se']['options'] == []


@pytest.mark.parametrize('name', sorted(job.ADABN_OF))
def test_adabn_row_recalibrates_its_source_only_run_then_tests(
        name, tmp_path, monkeypatch):
    """An AdaBN row trains nothing of its own: the same seed's run of its
    base row (trained first when missing) re-estimated on 100 batches of
    the target stream of its two-domain data, then tools/test.py."""
    base, data_config = job.ADABN_OF[name]
    bench = job.Benchmark(str(tmp_path), 'python', 0, False)
    trained = []
    monkeypatch.setattr(bench, 'train',
                        lambda n, s, force=None: trained.append((n, s)))
    # the final checkpoint of the base run's last stage
    base_dir = tmp_path / base / 'seed2' / job.FINAL_STAGE_DIR.get(base, '')
    base_dir.mkdir(parents=True)
    (base_dir / 'last_checkpoint').write_text(
        str(base_dir / 'iter_3000.pth'))
    work = str(tmp_path / name / 'seed2')
    config = job.RUNS[name][2]
    assert config == job.RUNS[base][2]  # the base row's model
    cmds = bench.adabn_commands(name, config, work, 2)
    assert trained == [(base, 2)]
    ckpt = osp.join(work, 'adabn.pth')
    assert cmds == [
        ['python', 'tools/analysis_tools/recalibrate_bn.py', config,
         str(base_dir / 'iter_3000.pth'), '--out', ckpt, '--data-config',
         data_config, '--stream', 'target', '--batches', '100', '--seed',
         '2'],
        ['python', 'tools/test.py', config, ckpt, '--work-dir', work]]
    assert osp.isfile(osp.join(REPO, data_config))
