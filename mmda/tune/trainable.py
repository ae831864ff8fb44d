"""One trial of a search: an ordinary mmda run in its own work dir.

Ray Tune calls :func:`run_trial` with the values it sampled. The trial

1. writes its config, ``<search work dir>/trials/<trial id>/trial_config.py``:
   the searched config with the fixed ``--cfg-options``, the sampled
   values, its work dir, a unique experiment name (mmengine's logger,
   message hub and visualizer are singletons keyed by name, and one Ray
   actor may run several trials one after the other) and a
   :class:`~mmda.engine.TuneReportHook`; ``tools/train.py`` trains that
   file as any other config;
2. trains it as ``tools/train.py`` does
   (:func:`mmda.apis.build_runner_from_args`), in the directory the search
   was started from, so the config's relative paths (``data_root``) mean
   the same. A trial that Ray gives a checkpoint (``tune.get_checkpoint()``:
   a restored search, or Population Based Training exploiting another
   trial) resumes from the mmengine checkpoint inside it (see
   :class:`~mmda.engine.TuneReportHook`); a trial whose work dir has a
   ``last_checkpoint`` resumes from that; any other starts;
3. with ``workers_per_trial > 1``, trains with DDP on that many Ray Train
   workers (a ``TorchTrainer`` inside the trial: gloo on CPU, nccl with
   one GPU per worker), every rank reporting through Ray Train's
   ``TuneReportCallback``.

Trials run in a worker thread of a Ray actor, where Python cannot install
signal handlers: the trial config's :class:`~mmda.engine.PreemptionHook`
listens to no signal (Ray stops trials; a resumed search resumes them from
their checkpoints).
"""
import glob
import os
import os.path as osp
import shutil
import time
from typing import Dict, Mapping, Optional

from mmengine.config import Config

from ..apis import build_runner_from_args
from ..engine.hooks.preemption_hook import add_preemption_hook
from ..engine.hooks.tune_report_hook import checkpoint_file
from ..engine.launch import process_group_backend
from .search_space import sampled_values
from .settings import TuneSettings

TRIAL_CONFIG = 'trial_config.py'
#: Name prefix of a checkpoint Ray handed a trial (in its work dir).
RESTORED_PREFIX = 'ray_restored_'


def _type_name(hook) -> str:
    kind = hook.get('type')
    return kind if isinstance(kind, str) else getattr(kind, '__name__', '')


def trial_config(settings: TuneSettings, values: Mapping, work_dir: str,
                 experiment_name: str) -> Config:
    """The config of one trial (see the module docstring)."""
    cfg = settings.config_with(values)
    cfg.work_dir = work_dir
    cfg.experiment_name = experiment_name
    if isinstance(cfg.get('visualizer'), dict):
        # a process may run several trials: a visualizer of its own
        cfg.visualizer['name'] = experiment_name
    add_preemption_hook(cfg, signals=[])
    hooks = list(cfg.custom_hooks)
    if not any(_type_name(h) == 'TuneReportHook' for h in hooks):
        hooks.append(dict(type='TuneReportHook', metric=settings.metric))
    cfg.custom_hooks = hooks
    return cfg


def write_trial_config(settings: TuneSettings, values: Mapping,
                       work_dir: str, experiment_name: str) -> str:
    """Write the trial's config into its work dir; its path."""
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, TRIAL_CONFIG)
    trial_config(settings, values, work_dir, experiment_name).dump(path)
    return path


def train_trial(config: str,
                work_dir: str,
                launch_dir: str,
                resume,
                launcher: str = 'none') -> None:
    """Train a trial's config like ``tools/train.py`` (from ``launch_dir``;
    ``resume``: False, True for the work dir's ``last_checkpoint``, or the
    path of a checkpoint to resume from)."""
    os.chdir(launch_dir)
    runner = build_runner_from_args(
        config,
        work_dir=work_dir,
        launcher=launcher,
        resume=resume)
    runner.train()


def checkpoint_from_ray(work_dir: str) -> Optional[str]:
    """The checkpoint Ray hands this trial (a restored search, a paused
    trial, PBT exploiting another trial), copied into its work dir as
    ``ray_restored_<trial>_<checkpoint dir>.pth`` (named after where Ray
    stored it: the trial it comes from; an earlier one is removed); None
    when Ray gives none."""
    from ray import tune
    checkpoint = tune.get_checkpoint()
    if checkpoint is None:
        return None
    where = osp.normpath(checkpoint.path)
    name = (f'{RESTORED_PREFIX}{osp.basename(osp.dirname(where))}_'
            f'{osp.basename(where)}.pth')
    os.makedirs(work_dir, exist_ok=True)
    staged = osp.join(work_dir, f'.{name}.tmp')
    with checkpoint.as_directory() as directory:
        shutil.copyfile(checkpoint_file(directory), staged)
    for old in glob.glob(osp.join(work_dir, RESTORED_PREFIX + '*.pth')):
        os.remove(old)
    target = osp.join(work_dir, name)
    os.replace(staged, target)
    return target


def _ddp_worker(loop_config: Dict) -> None:
    """A Ray Train worker of a multi-process trial (process group set up by
    Ray Train; mmengine finds it initialised)."""
    train_trial(
        loop_config['config'],
        loop_config['work_dir'],
        loop_config['launch_dir'],
        loop_config['resume'],
        launcher='pytorch')


def build_ddp_trainer(settings: TuneSettings,
                      loop_config: Dict,
                      name: str,
                      callbacks: Optional[list] = None):
    """The Ray Train ``TorchTrainer`` of a multi-process trial: one worker
    per process with ``cpus_per_trial / workers`` CPUs and
    ``gpus_per_trial / workers`` GPUs each, gloo on CPU, nccl on GPU
    (``callbacks``: the trial's ``TuneReportCallback``, which forwards the
    workers' reports to Tune)."""
    import ray.train
    from ray.train.torch import TorchConfig, TorchTrainer
    workers = settings.workers_per_trial
    gpus = settings.gpus_per_trial / workers
    resources = {'CPU': settings.cpus_per_trial / workers}
    if gpus:
        resources['GPU'] = gpus
    return TorchTrainer(
        _ddp_worker,
        train_loop_config=loop_config,
        torch_config=TorchConfig(backend=process_group_backend(bool(gpus))),
        scaling_config=ray.train.ScalingConfig(
            num_workers=workers,
            use_gpu=bool(gpus),
            resources_per_worker=resources),
        run_config=ray.train.RunConfig(
            name=name,
            storage_path=osp.join(settings.work_dir, 'ray_train'),
            callbacks=callbacks))


def run_trial(config: Dict, settings: TuneSettings) -> None:
    """The Ray Tune function trainable of mmda searches.

    Args:
        config (dict): The values Ray sampled, keyed by config key.
        settings (TuneSettings): The search (``tune.with_parameters``).
    """
    from ray import tune
    from ray.tune.integration.ray_train import TuneReportCallback
    trial_id = tune.get_context().get_trial_id()
    work_dir = osp.join(settings.trials_dir, trial_id)
    resume = checkpoint_from_ray(work_dir) or osp.isfile(
        osp.join(work_dir, 'last_checkpoint'))
    stamp = time.strftime('%Y%m%d_%H%M%S')
    path = write_trial_config(settings,
                              sampled_values(config, settings.params),
                              work_dir, f'{trial_id}_{stamp}')
    if settings.workers_per_trial > 1:
        loop_config = dict(
            config=path,
            work_dir=work_dir,
            launch_dir=settings.launch_dir,
            resume=resume)
        build_ddp_trainer(settings, loop_config, f'{trial_id}_{stamp}',
                          [TuneReportCallback()]).fit()
    else:
        train_trial(path, work_dir, settings.launch_dir, resume)
