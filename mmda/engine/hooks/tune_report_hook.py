"""Report validation metrics to Ray Tune (hyper-parameter search).

A trial of ``tools/tune.py`` is an ordinary mmengine run with one extra hook:
:class:`TuneReportHook` sends the metrics of every validation, with the
training iteration, to Ray. Schedulers such as ASHA compare trials at the
same iteration (``iter`` is their time attribute) and stop the weaker ones.

Where it reports from:

* a one-process trial (a Ray Tune function trainable):
  ``ray.tune.report`` in the single process;
* a multi-process trial (DDP on Ray Train workers inside the trial):
  ``ray.train.report`` on every rank (Ray Train needs every worker to
  report; the evaluator gives every rank the same metrics), forwarded to
  Tune by the trial's ``TuneReportCallback``;
* anywhere else (``tools/train.py`` on a trial's config): nothing, with one
  log line, so a trial's config trains as an ordinary config.

Ray is imported only inside a Ray process: importing mmda never imports
it.
"""
import sys
from typing import Callable, Dict, Optional

import numpy as np
from mmengine.hooks import Hook

from mmseg.registry import HOOKS


def _ray_report_fn() -> Optional[Callable[[Dict], None]]:
    """``ray.tune.report`` in a Tune function trainable, ``ray.train.report``
    in a Ray Train worker, else None (Ray 2.60's own session checks, the
    ones its report functions make)."""
    if 'ray' not in sys.modules:  # a Ray worker has imported ray
        return None
    from ray.train.v2._internal.util import _in_ray_train_worker
    from ray.tune.trainable.trainable_fn_utils import _in_tune_session
    if _in_tune_session():
        import ray.tune
        return ray.tune.report
    if _in_ray_train_worker():
        import ray.train
        return ray.train.report
    return None


@HOOKS.register_module()
class TuneReportHook(Hook):
    """After every validation, report its metrics to Ray Tune.

    Each report holds the validation metrics (numbers only, e.g. ``mIoU``,
    ``mIoU16``, ``IoU.road``) and:

    * ``iter``: training iterations done (ASHA's time attribute);
    * ``max_iters``: the run's length (a report with ``iter < max_iters``
      as a trial's last one means the scheduler stopped it early);
    * ``work_dir``: the trial's work dir;
    * ``checkpoint``: the latest checkpoint written (empty before the
      first one).

    Args:
        metric (str, optional): The metric the search optimises. When set,
            a validation without it is an error naming the metrics it did
            report, instead of a search that silently compares nothing.
    """

    priority = 'LOWEST'  # after the logger and checkpoint hooks

    def __init__(self, metric: Optional[str] = None) -> None:
        self.metric = metric
        self._report: Optional[Callable[[Dict], None]] = None

    def before_run(self, runner) -> None:
        self._report = _ray_report_fn()
        if self._report is None:
            runner.logger.info('TuneReportHook: not in a Ray Tune trial, '
                               'validation metrics are not reported')

    def after_val_epoch(self, runner, metrics: Optional[Dict] = None) -> None:
        if self._report is None:
            return
        metrics = dict(metrics or {})
        if self.metric is not None and self.metric not in metrics:
            raise KeyError(
                f'TuneReportHook: the validation reported no {self.metric!r} '
                f'(the metric of the search); it reported '
                f'{", ".join(sorted(metrics)) or "nothing"}')
        report = {}
        for key, value in metrics.items():
            number = _as_float(value)
            if number is not None:
                report[key] = number
        report.update(
            iter=int(runner.iter),
            max_iters=int(runner.max_iters),
            work_dir=str(runner.work_dir),
            checkpoint=str(runner.message_hub.get_info('last_ckpt') or ''))
        self._report(report)


def _as_float(value) -> Optional[float]:
    """``value`` as a float if it is one number (Python, numpy or torch
    scalar), else None. A numpy float32 keeps its printed digits (the
    metric's ``35.39``, not ``35.38999938964844``)."""
    if isinstance(value, (str, bytes)):
        return None
    if isinstance(value, np.floating):
        return float(str(value))
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
