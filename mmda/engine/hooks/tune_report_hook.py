"""Report validation metrics and checkpoints to Ray Tune.

A trial of ``tools/tune.py`` is an ordinary mmengine run with one extra hook:
:class:`TuneReportHook` sends the metrics of every validation, with the
training iteration, to Ray, and the checkpoint written since the last
report as a Ray checkpoint (``ray.tune.Checkpoint``), so that Ray keeps it
in the trial's storage, ``result.checkpoint`` names it, and schedulers
that move checkpoints between trials (Population Based Training) work.
Schedulers compare trials at the same iteration (``iter`` is their time
attribute).

Where it reports from (found with Ray's public context API only):

* a one-process trial (a Ray Tune function trainable,
  ``ray.tune.get_context().get_trial_id()`` is set): ``ray.tune.report``;
* a multi-process trial (DDP on Ray Train workers inside the trial,
  ``ray.train.get_context()`` answers): ``ray.train.report`` on every rank
  (Ray Train needs every worker to report; the evaluator gives every rank
  the same metrics), the checkpoint from rank 0, forwarded to Tune by the
  trial's ``TuneReportCallback``;
* anywhere else (``tools/train.py`` on a trial's config): nothing, with one
  log line, so a trial's config trains as an ordinary config.

Ray is imported only inside a Ray process: importing mmda never imports
it.
"""
import os
import os.path as osp
import shutil
import sys
import tempfile
import warnings
from typing import Callable, Dict, Optional

import numpy as np
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmseg.registry import HOOKS


def _in_tune_trial() -> bool:
    """Whether this process runs a Ray Tune function trainable."""
    import ray.tune
    with warnings.catch_warnings():  # Ray warns when asked outside a trial
        warnings.simplefilter('ignore')
        return ray.tune.get_context().get_trial_id() is not None


def _in_train_worker() -> bool:
    """Whether this process is a Ray Train worker."""
    import ray.train
    try:
        ray.train.get_context()
    except RuntimeError:  # "cannot be used outside of a Ray Train ..."
        return False
    return True


def ray_reporter():
    """``(report, Checkpoint)`` of the Ray session this process runs in:
    ``ray.tune``'s in a Tune function trainable, ``ray.train``'s in a Ray
    Train worker; None outside Ray."""
    if 'ray' not in sys.modules:  # a Ray worker has imported ray
        return None
    if _in_tune_trial():
        import ray.tune
        return ray.tune.report, ray.tune.Checkpoint
    if _in_train_worker():
        import ray.train
        return ray.train.report, ray.train.Checkpoint
    return None


#: File name of the mmengine checkpoint inside a reported Ray checkpoint.
CHECKPOINT_FILE = 'checkpoint.pth'


def checkpoint_file(directory: str) -> str:
    """The mmengine checkpoint inside a Ray checkpoint's directory."""
    path = osp.join(directory, CHECKPOINT_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'the Ray checkpoint {directory} holds no {CHECKPOINT_FILE} '
            f'(it holds: {", ".join(sorted(os.listdir(directory)))})')
    return path


@HOOKS.register_module()
class TuneReportHook(Hook):
    """After every validation, report its metrics (and the new checkpoint)
    to Ray Tune.

    Each report holds the validation metrics (numbers only, e.g. ``mIoU``,
    ``mIoU16``, ``IoU.road``) and:

    * ``iter``: training iterations done (the schedulers' time attribute);
    * ``max_iters``: the run's length (a report with ``iter < max_iters``
      as a trial's last one means the scheduler stopped it early);
    * ``work_dir``: the trial's work dir.

    The reported numbers also go to the trial's visualisation backends as
    ``tune/<metric>`` scalars.

    The mmengine checkpoint written since the previous report (if any) goes
    with it as a Ray checkpoint: a directory holding it as
    :data:`CHECKPOINT_FILE`, which Ray copies into the trial's storage
    (``mmda.tune.trainable.run_trial`` resumes from it when Ray restores or
    exploits a trial).

    Args:
        metric (str, optional): The metric the search optimises. When set,
            a validation without it is an error naming the metrics it did
            report, instead of a search that silently compares nothing.
    """

    priority = 'LOWEST'  # after the logger and checkpoint hooks

    def __init__(self, metric: Optional[str] = None) -> None:
        self.metric = metric
        self._report: Optional[Callable] = None
        self._checkpoint_cls = None
        self._reported_ckpt: Optional[str] = None

    def before_run(self, runner) -> None:
        found = ray_reporter()
        if found is None:
            runner.logger.info('TuneReportHook: not in a Ray Tune trial, '
                               'validation metrics are not reported')
            return
        self._report, self._checkpoint_cls = found
        # a resumed or restored run: its checkpoint is Ray's already
        self._reported_ckpt = runner.message_hub.get_info('last_ckpt')

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
        report.update(iter=int(runner.iter), max_iters=int(runner.max_iters))
        # what the search compares, on the trial's dashboards too
        runner.visualizer.add_scalars(
            {f'tune/{k}': v for k, v in report.items()}, step=runner.iter)
        report['work_dir'] = str(runner.work_dir)
        ckpt = runner.message_hub.get_info('last_ckpt')
        if not ckpt or ckpt == self._reported_ckpt or get_rank() != 0 or \
                self._checkpoint_cls is None:
            self._report(report)
            return
        # a directory with the checkpoint (a hard link where possible),
        # which Ray copies into the trial's storage during the report
        staging = tempfile.mkdtemp(prefix='.ray_ckpt_', dir=runner.work_dir)
        try:
            target = osp.join(staging, CHECKPOINT_FILE)
            try:
                os.link(ckpt, target)
            except OSError:
                shutil.copyfile(ckpt, target)
            self._report(
                report,
                checkpoint=self._checkpoint_cls.from_directory(staging))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self._reported_ckpt = ckpt


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
