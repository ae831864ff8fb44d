"""Live progress of the main job (benchmarks/run_progress.py): the lines
it prints from a run's mmengine logs as they grow."""
import json
import os.path as osp
import re
import resource
import subprocess
import sys

from conftest import REPO

sys.path.insert(0, osp.join(REPO, 'benchmarks'))
from run_progress import ProgressPrinter, RunProgress  # noqa: E402

TRAIN = ('2026/12/07 02:46:48 - mmengine - INFO - Iter(train) [ {}/3000]  '
         'base_lr: 3.7e-03 lr: 3.7e-03  eta: {}  time: 0.17  loss: 2.5\n')


def _write(path, text, mode='a'):
    with open(path, mode) as f:
        f.write(text)


def test_progress_follows_the_logs(tmp_path):
    run = tmp_path / '20261207_024640'
    (run / 'vis_data').mkdir(parents=True)
    log, scalars = run / '20261207_024640.log', run / 'vis_data/scalars.json'
    progress = RunProgress(str(tmp_path))
    assert progress.update().line() == 'starting'  # no log yet
    _write(log, TRAIN.format(50, '0:09:12'))
    assert progress.update().line() == (
        'iter 50/3000 (1 %), ETA 0:09:12, no validation yet')
    _write(log, TRAIN.format(1000, '0:06:01'))
    _write(scalars, json.dumps({'loss': 2.5, 'iter': 1000, 'step': 1000}) +
           '\n' + json.dumps({'mIoU': 27.399999618530273, 'step': 1000}) +
           '\n')
    # a line being written is left for the next update
    last = TRAIN.format(1300, '0:05:10')
    _write(log, TRAIN.format(1250, '0:05:31') + last[:-20])
    assert progress.update().line() == (
        'iter 1250/3000 (41 %), ETA 0:05:31, val mIoU 27.40 @1000')
    _write(log, last[-20:])
    assert progress.update().line() == (
        'iter 1300/3000 (43 %), ETA 0:05:10, val mIoU 27.40 @1000')


def test_printer_reports_each_watched_run(tmp_path):
    lines = []
    printer = ProgressPrinter(0, prefix='[sim2real] ', write=lines.append)
    for name in ('a', 'b'):
        run = tmp_path / name / '20261207_000000'
        run.mkdir(parents=True)
        printer.watch(f'{name} seed 0', str(tmp_path / name))
    _write(tmp_path / 'a/20261207_000000/20261207_000000.log',
           TRAIN.format(30, '0:01:00'))
    printer.report()
    assert lines == [
        '[sim2real] a seed 0: iter 30/3000 (1 %), ETA 0:01:00, '
        'no validation yet', '[sim2real] b seed 0: starting'
    ]
    printer.unwatch('a seed 0')
    lines.clear()
    printer.report()
    assert lines == ['[sim2real] b seed 0: starting']


def test_printer_thread_prints_every_interval(tmp_path):
    import threading
    lines, seen = [], threading.Event()

    def write(line):
        lines.append(line)
        if len(lines) >= 2:
            seen.set()

    with ProgressPrinter(0.05, write=write) as printer:
        printer.watch('r', str(tmp_path))
        assert seen.wait(5)
    assert lines[:2] == ['r: starting', 'r: starting']


def test_main_job_ends_with_where_its_outputs_are():
    import sim2real_results as job
    text = job.where_summary(
        osp.join(job.RESULTS_DIR, 'sim2real.md'),
        osp.join(job.RESULTS_DIR, 'sim2real.json'),
        osp.join(job.RESULTS_DIR, 'ripu_budget_vs_miou.png'),
        [osp.join(job.ROOT, 'work_dirs/sim2real_benchmark/ripu_ra5/seed0')])
    assert text.splitlines() == [
        '[sim2real] table: benchmarks/results/sim2real.md',
        '[sim2real] raw numbers: benchmarks/results/sim2real.json',
        '[sim2real] plot: benchmarks/results/ripu_budget_vs_miou.png',
        '[sim2real] logs: work_dirs/sim2real_benchmark/ripu_ra5/seed0/ '
        '(train_stdout.log, <timestamp>/<timestamp>.log, '
        '<timestamp>/vis_data/scalars.json)'
    ]


def test_main_job_ends_with_its_wall_time_and_peak_memory():
    import sim2real_results as job
    assert job.format_resources(738., 0.31, 1.42) == (
        '[sim2real] wall time 12.3 min, peak memory 1.4 GiB (largest child '
        'process; this process 0.3 GiB)')
    assert job.format_resources(30., 2.04, 0.5) == (
        '[sim2real] wall time 0.5 min, peak memory 2.0 GiB (this process; '
        'largest child process 0.5 GiB)')
    # the real getrusage: a finished child process that held 300 MiB
    subprocess.run([sys.executable, '-c', "b = b'x' * (300 * 2**20)"],
                   check=True)
    assert job.peak_rss_gib(resource.RUSAGE_CHILDREN) >= 300 / 1024
    line = job.resource_summary(90.)
    match = re.fullmatch(
        r'\[sim2real\] wall time 1\.5 min, peak memory ([0-9.]+) GiB '
        r'\((largest child process|this process); .*\)', line)
    assert match, line
    assert float(match.group(1)) >= 0.3
