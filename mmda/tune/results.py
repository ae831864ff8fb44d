"""The results of a search, read from its Ray experiment.

:func:`write_results` writes into the search's work dir:

* ``results.csv``: one row per trial, best first: trial id, status
  (``completed``, ``stopped early`` by the scheduler, ``error``,
  ``unfinished`` when the search was interrupted), the sampled values, the
  metric at the trial's last validation and its best over the
  validations, the last reported iteration, the run's length, the number
  of validations (from the trial's logs: a resumed trial's whole run), the
  trial's last checkpoint and work dir;
* ``best_config.py``: the config of the best trial, ready to train with
  ``tools/train.py`` (the searched config with the fixed ``--cfg-options``
  and the trial's values; no work dir, no ``tune_cfg``);
* ``best.json``: the best trial, its values, metric, checkpoint and work
  dir (relative to the search's work dir), and the search's work dir
  (relative to the directory the search was started from);
* ``<metric>_vs_hyperparameters.png``: the metric of every trial against
  each searched hyper-parameter.

The best trial is the best by the metric at its last validation among the
trials that trained to the end (the ones the scheduler kept), or among all
trials when none did. An interrupted search (unfinished trials) gets the
CSV and the plot only: its best config is written when it has finished.
"""
import csv
import glob
import json
import math
import os
import os.path as osp
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np

from ..utils.checkpoint_files import read_last_checkpoint
from .search_space import SearchParam
from .settings import TuneSettings

COMPLETED, STOPPED, ERROR, UNFINISHED = ('completed', 'stopped early',
                                         'error', 'unfinished')
CSV_FILE = 'results.csv'
BEST_CONFIG = 'best_config.py'
BEST_JSON = 'best.json'


@dataclass
class TrialRecord:
    """What one trial did (a row of ``results.csv``)."""
    trial_id: str
    status: str
    params: Dict[str, Any]
    metric: Optional[float] = None
    best_metric: Optional[float] = None
    iter: Optional[int] = None
    max_iters: Optional[int] = None
    validations: int = 0
    checkpoint: str = ''
    work_dir: str = ''
    error: str = ''
    history: List[tuple] = field(default_factory=list, repr=False)


def _number(value) -> Optional[float]:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _float32_digits(value: float) -> float:
    """A metric logged from a numpy float32 (``35.38999938964844``) with its
    printed digits (``35.39``); other values unchanged."""
    if float(np.float32(value)) == value:
        return float(str(np.float32(value)))
    return value


def validation_history(work_dir: str, metric: str) -> List[tuple]:
    """``(iteration, value)`` of every validation of a trial, from its
    mmengine logs (``<work_dir>/<timestamp>/vis_data/scalars.json``): the
    whole run, across resumes (Ray's own history restarts with a resumed
    trial)."""
    history = {}
    pattern = osp.join(work_dir, '*', 'vis_data', 'scalars.json')
    for path in sorted(glob.glob(pattern)):  # runs in time order
        with open(path) as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                # validation records have a step and no training 'iter'
                if metric in record and 'step' in record and \
                        'iter' not in record:
                    value = _number(record[metric])
                    history[int(record['step'])] = (
                        None if value is None else _float32_digits(value))
    return sorted(history.items())


def _status(trial_status: str, it: Optional[int], max_iters) -> str:
    if trial_status == 'ERROR':
        return ERROR
    if trial_status != 'TERMINATED':
        return UNFINISHED
    if it is not None and max_iters is not None and it < max_iters:
        return STOPPED
    return COMPLETED


def _last_checkpoint(work_dir: str, reported: str) -> str:
    return read_last_checkpoint(work_dir) or reported


def collect_trials(settings: TuneSettings) -> List[TrialRecord]:
    """A record per trial of the search, best first (see the module
    docstring)."""
    from ray.tune import ExperimentAnalysis
    analysis = ExperimentAnalysis(settings.experiment_dir)
    frames = analysis.trial_dataframes
    records = []
    for trial in analysis.trials:
        last = trial.last_result or {}
        work_dir = osp.join(settings.trials_dir, trial.trial_id)
        history = validation_history(work_dir, settings.metric)
        frame = frames.get(trial.trial_id)
        if not history and frame is not None and settings.metric in frame:
            history = [(int(i), _number(v)) for i, v in zip(
                frame['iter'], frame[settings.metric])]
        values = [v for _, v in history if v is not None]
        best = None
        if values:
            best = max(values) if settings.mode == 'max' else min(values)
        it = last.get('iter')
        max_iters = last.get('max_iters')
        error = trial.get_error() if trial.status == 'ERROR' else None
        records.append(
            TrialRecord(
                trial_id=trial.trial_id,
                status=_status(trial.status, it, max_iters),
                params={
                    p.key: trial.config.get(p.key)
                    for p in settings.params
                },
                metric=_number(last.get(settings.metric)),
                best_metric=best,
                iter=None if it is None else int(it),
                max_iters=None if max_iters is None else int(max_iters),
                validations=len(history),
                checkpoint=_last_checkpoint(work_dir, ''),
                work_dir=work_dir,
                error=str(error).strip().splitlines()[-1] if error else '',
                history=history))
    sign = -1 if settings.mode == 'max' else 1
    records.sort(key=lambda r: (r.metric is None, sign * (r.metric or 0)))
    return records


def select_best(records: List[TrialRecord],
                settings: TuneSettings) -> Optional[TrialRecord]:
    """The best trial (see the module docstring); None if no trial
    reported the metric."""
    scored = [r for r in records if r.metric is not None]
    completed = [r for r in scored if r.status == COMPLETED]
    pool = completed or scored
    if not pool:
        return None
    pick = max if settings.mode == 'max' else min
    return pick(pool, key=lambda r: r.metric)


def relative_path(path: str, start: str) -> str:
    """``path`` relative to ``start`` (a committed result must not hold the
    machine's absolute paths); empty stays empty."""
    return osp.relpath(path, start) if path else ''


def write_csv(records: List[TrialRecord], settings: TuneSettings,
              path: str) -> None:
    metric = settings.metric
    keys = [p.key for p in settings.params]
    header = (['trial_id', 'status'] + keys + [
        metric, f'best_{metric}', 'iter', 'max_iters', 'validations',
        'checkpoint', 'work_dir', 'error'
    ])
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for r in records:
            values = [r.params.get(k) for k in keys]
            writer.writerow([r.trial_id, r.status] + values + [
                r.metric, r.best_metric, r.iter, r.max_iters, r.validations,
                relative_path(r.checkpoint, settings.work_dir),
                relative_path(r.work_dir, settings.work_dir), r.error
            ])


def _shown(path: str, start: str) -> str:
    """``path`` relative to ``start`` when inside it (a header that reads
    the same on every checkout)."""
    if not path:
        return '(none)'
    rel = osp.relpath(path, start)
    return path if rel.startswith('..') else rel


def write_best_config(settings: TuneSettings, best: TrialRecord,
                      path: str) -> None:
    """``best_config.py``: the searched config with the fixed overrides and
    the best values, dumped by mmengine, under a header saying where it
    comes from."""
    settings.config_with(best.params).dump(path)
    start = settings.launch_dir
    header = [
        f'# The best trial ({best.trial_id}) of the search of',
        f'#   {_shown(settings.config, start)}',
        f'# in {_shown(settings.work_dir, start)}:',
        f'# {settings.metric} {best.metric} at iteration {best.iter}, with',
    ] + [f'#   {k}={v!r}' for k, v in best.params.items()] + [
        f'# Its checkpoint: {_shown(best.checkpoint, start)}',
        '# Train it as any config: python tools/train.py THIS_FILE',
    ]
    with open(path) as f:
        body = f.read()
    with open(path, 'w') as f:
        f.write('\n'.join(header) + '\n' + body)


def _axis_values(param: SearchParam, values: list):
    """(x positions, tick labels or None, log axis?) for one parameter."""
    numeric = all(
        isinstance(v, (int, float)) and not isinstance(v, bool)
        for v in values)
    if numeric:
        positive = all(v > 0 for v in values)
        wide = positive and values and max(values) >= 10 * min(values)
        return values, None, param.is_log or (param.is_categorical and wide)
    labels = []
    for value in values:
        if repr(value) not in labels:
            labels.append(repr(value))
    return [labels.index(repr(v)) for v in values], labels, False


def plot_metric_vs_params(records: List[TrialRecord],
                          settings: TuneSettings,
                          path: str,
                          best: Optional[TrialRecord] = None) -> None:
    """One panel per searched hyper-parameter: each trial's metric at its
    last validation against its value; trials stopped early are hollow,
    labelled with the iteration they stopped at; the best trial is a
    star."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    params = settings.params
    shown = [r for r in records if r.metric is not None]
    fig = Figure(figsize=(4.6 * len(params), 3.9), layout='constrained')
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(params), squeeze=False)[0]
    styles = {
        COMPLETED: dict(marker='o', color='tab:blue', label='completed'),
        STOPPED: dict(
            marker='o',
            facecolors='none',
            edgecolors='tab:orange',
            label='stopped early (@iteration)'),
        UNFINISHED: dict(marker='s', color='tab:gray', label='unfinished'),
    }
    for ax, param in zip(axes, params):
        xs, labels, log = _axis_values(param,
                                       [r.params[param.key] for r in shown])
        for status, style in styles.items():
            pts = [(x, r) for x, r in zip(xs, shown) if r.status == status]
            if not pts:
                continue
            ax.scatter([x for x, _ in pts], [r.metric for _, r in pts],
                       s=42,
                       zorder=3,
                       **style)
            if status == STOPPED:
                for x, r in pts:
                    ax.annotate(
                        f'@{r.iter}',
                        (x, r.metric),
                        textcoords='offset points',
                        xytext=(5, -9),
                        fontsize=7,
                        color='tab:orange')
        if best is not None and best in shown:
            x = xs[shown.index(best)]
            ax.scatter([x], [best.metric],
                       marker='*',
                       s=220,
                       color='tab:red',
                       zorder=4,
                       label=f'best ({best.trial_id})')
        if labels is not None:
            ax.set_xticks(range(len(labels)), labels, rotation=20)
        if log:
            ax.set_xscale('log')
        ax.set_xlabel(f'{param.key}\n{param.spec}', fontsize=8)
        ax.set_ylabel(f'{settings.metric} (last validation)')
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc='best')
    fig.suptitle(
        f'{osp.basename(settings.config)}: {len(shown)} trials, '
        f'{settings.scheduler.upper()}, {settings.search} search',
        fontsize=9)
    fig.savefig(path, dpi=120)


def plot_path(settings: TuneSettings, out_dir: str) -> str:
    name = settings.metric.replace('/', '_').replace(' ', '_')
    return osp.join(out_dir, f'{name}_vs_hyperparameters.png')


def write_results(settings: TuneSettings,
                  out_dir: Optional[str] = None) -> Dict[str, Any]:
    """Write the results of a search (see the module docstring) into
    ``out_dir`` (default: its work dir).

    Returns:
        dict: ``records`` (best first), ``best`` (a :class:`TrialRecord` or
        None) and the paths written (``csv``, ``plot``, and for a finished
        search with a best trial ``best_config`` and ``best_json``).
    """
    out_dir = out_dir or settings.work_dir
    os.makedirs(out_dir, exist_ok=True)
    records = collect_trials(settings)
    best = select_best(records, settings)
    out = dict(records=records, best=best)
    out['csv'] = osp.join(out_dir, CSV_FILE)
    write_csv(records, settings, out['csv'])
    if any(r.metric is not None for r in records):
        out['plot'] = plot_path(settings, out_dir)
        plot_metric_vs_params(records, settings, out['plot'], best)
    if best is not None and not any(r.status == UNFINISHED
                                    for r in records):
        out['best_config'] = osp.join(out_dir, BEST_CONFIG)
        write_best_config(settings, best, out['best_config'])
        out['best_json'] = osp.join(out_dir, BEST_JSON)
        summary = asdict(best)
        summary.pop('history')
        summary.update(
            checkpoint=relative_path(best.checkpoint, settings.work_dir),
            work_dir=relative_path(best.work_dir, settings.work_dir),
            metric_name=settings.metric,
            mode=settings.mode,
            config=relative_path(out['best_config'], settings.work_dir),
            search_work_dir=relative_path(settings.work_dir,
                                          settings.launch_dir))
        with open(out['best_json'], 'w') as f:
            json.dump(summary, f, indent=2)
    return out
