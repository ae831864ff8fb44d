"""Running a search with Ray Tune: Ray, the scheduler, the searcher.

* Ray: a local instance (``num_cpus`` / ``num_gpus``, no dashboard, no
  usage statistics: nothing leaves the machine) or an existing cluster
  (``address``, e.g. the one ``slurm/tune.sh`` starts).
* Scheduler: ASHA by default, on the training iteration (``iter``, which
  :class:`~mmda.engine.TuneReportHook` reports after every validation):
  a trial may be stopped after ``grace_period`` validations, then at rungs
  ``grace_period * val_interval * reduction_factor ** k`` iterations, when
  its metric is not in the best ``1 / reduction_factor`` of the trials
  that reached the rung; ``fifo`` runs every trial to the end.
  PBT (``--scheduler pbt``) perturbs every ``grace_period`` validations:
  the weakest quarter of the trials (at least one) continue from the
  checkpoint of a trial of the strongest quarter (a Ray checkpoint, see
  :class:`~mmda.engine.TuneReportHook`) with values resampled or perturbed
  from the search space.
* Searcher: Ray's random / grid sampling, or Optuna's TPE.
* Resources: a one-process trial holds ``cpus_per_trial`` CPUs and
  ``gpus_per_trial`` GPUs; a multi-process trial's driver holds none (its
  Ray Train workers hold them), so at most ``max_concurrent`` (by default
  what the cluster fits) trials run at once.
* Actors: a finished trial's process runs the next trial (no second
  start-up of Python, torch and mmseg); a stopped one is replaced.
* Storage: Ray's experiment in ``<work_dir>/ray`` (restored by
  :func:`run_search` with ``resume=True``: finished trials are kept,
  unfinished ones continue from their mmengine checkpoints).
"""
import math
import os
import os.path as osp
from typing import Optional

from .settings import TuneSettings
from .trainable import run_trial

#: the report key ASHA compares trials at (training iterations)
TIME_ATTR = 'iter'


def init_ray(address: Optional[str] = None,
             num_cpus: Optional[int] = None,
             num_gpus: Optional[int] = None,
             temp_dir: Optional[str] = None) -> None:
    """Connect to the Ray cluster at ``address`` (or ``$RAY_ADDRESS``), or
    start a local one.

    Usage statistics are disabled (``RAY_USAGE_STATS_ENABLED=0``: Ray never
    contacts the internet); the local instance has no dashboard and keeps
    the trials' output out of the console (each trial logs to its work
    dir).
    """
    import ray
    os.environ.setdefault('RAY_USAGE_STATS_ENABLED', '0')
    if ray.is_initialized():
        return
    address = address or os.environ.get('RAY_ADDRESS')
    if address:
        ray.init(address=address, log_to_driver=False)
        return
    ray.init(
        num_cpus=num_cpus,
        num_gpus=num_gpus,
        include_dashboard=False,
        log_to_driver=False,
        _temp_dir=temp_dir)


def build_scheduler(settings: TuneSettings, cfg):
    """ASHA or PBT on ``iter`` (see the module docstring), or None for
    FIFO."""
    if settings.scheduler == 'fifo':
        return None
    train_cfg = cfg.train_cfg
    val_interval = train_cfg.get('val_interval', 1000)
    if settings.scheduler == 'pbt':
        from ray.tune.schedulers import PopulationBasedTraining
        return PopulationBasedTraining(
            time_attr=TIME_ATTR,
            perturbation_interval=settings.grace_period * val_interval,
            hyperparam_mutations={p.key: p.to_ray()
                                  for p in settings.params},
            synch=True)
    from ray.tune.schedulers import ASHAScheduler
    return ASHAScheduler(
        time_attr=TIME_ATTR,
        max_t=train_cfg.max_iters,
        grace_period=max(1, settings.grace_period * val_interval),
        reduction_factor=settings.reduction_factor)


def build_search_alg(settings: TuneSettings,
                     max_concurrent: Optional[int] = None):
    """Random / grid sampling (seeded), or Optuna's TPE (seeded), running
    at most ``max_concurrent`` trials at once (None: no limit)."""
    if settings.search == 'optuna':
        import optuna
        from ray.tune.search import ConcurrencyLimiter
        from ray.tune.search.optuna import OptunaSearch
        searcher = OptunaSearch(
            sampler=optuna.samplers.TPESampler(seed=settings.seed))
        if max_concurrent:
            searcher = ConcurrencyLimiter(searcher, max_concurrent)
        return searcher
    from ray.tune.search import BasicVariantGenerator
    return BasicVariantGenerator(
        random_state=settings.seed, max_concurrent=max_concurrent or 0)


def trial_resources(settings: TuneSettings) -> dict:
    """What the trial actor holds (see the module docstring)."""
    if settings.workers_per_trial > 1:
        # the driver of a Ray Train run: no CPU, a token of memory
        # (Ray refuses an empty request)
        return {'cpu': 0, 'memory': 1 << 20}
    return {'cpu': settings.cpus_per_trial, 'gpu': settings.gpus_per_trial}


def default_max_concurrent(settings: TuneSettings) -> Optional[int]:
    """For multi-process trials, the trials the cluster fits at once (their
    drivers hold nothing, so Ray would start them all); else None (Ray
    fits one-process trials itself)."""
    if settings.max_concurrent is not None:
        return settings.max_concurrent
    if settings.workers_per_trial == 1:
        return None
    import ray
    total = ray.cluster_resources()
    fits = math.floor(total.get('CPU', 0) / settings.cpus_per_trial)
    if settings.gpus_per_trial:
        fits = min(fits,
                   math.floor(total.get('GPU', 0) / settings.gpus_per_trial))
    return max(1, fits)


def _trial_dirname(trial) -> str:
    return trial.trial_id


def build_tuner(settings: TuneSettings, resume: bool = False):
    """The ``ray.tune.Tuner`` of a search, new or restored from
    ``settings.experiment_dir``."""
    from ray import tune
    trainable = tune.with_resources(
        tune.with_parameters(run_trial, settings=settings),
        trial_resources(settings))
    if resume:
        return tune.Tuner.restore(
            settings.experiment_dir,
            trainable=trainable,
            resume_unfinished=True,
            resume_errored=True)
    cfg = settings.load_cfg()
    return tune.Tuner(
        trainable,
        param_space={p.key: p.to_ray()
                     for p in settings.params},
        tune_config=tune.TuneConfig(
            metric=settings.metric,
            mode=settings.mode,
            scheduler=build_scheduler(settings, cfg),
            search_alg=build_search_alg(settings,
                                        default_max_concurrent(settings)),
            num_samples=settings.num_samples,
            reuse_actors=True,
            trial_dirname_creator=_trial_dirname),
        run_config=tune.RunConfig(
            name=osp.basename(settings.experiment_dir),
            storage_path=osp.dirname(settings.experiment_dir),
            # the Ray checkpoints of TuneReportHook: the latest two per
            # trial (PBT and a restored search need the latest)
            checkpoint_config=tune.CheckpointConfig(num_to_keep=2),
            verbose=1))


def can_resume(settings: TuneSettings) -> bool:
    """Whether the search's work dir holds a Ray experiment to restore."""
    from ray import tune
    return osp.isdir(settings.experiment_dir) and tune.Tuner.can_restore(
        settings.experiment_dir)


def run_search(settings: TuneSettings, resume: bool = False):
    """Run (or, with ``resume``, continue) the search; Ray's
    ``ResultGrid``.

    Ray must be initialised (:func:`init_ray`). A search interrupted with
    SIGINT (Ctrl+C) or SIGUSR1 stops its trials, saves its state and
    returns; ``resume=True`` continues it.
    """
    if resume and not can_resume(settings):
        raise FileNotFoundError(
            f'{settings.experiment_dir} holds no Ray Tune experiment to '
            'resume')
    if not resume and osp.exists(settings.experiment_dir):
        raise FileExistsError(
            f'{settings.work_dir} already holds a search: continue it with '
            '--resume or choose another --work-dir')
    settings.save()
    return build_tuner(settings, resume).fit()
