"""The settings of one search: command line over the config's ``tune_cfg``.

A config may carry its search (``tools/tune.py CONFIG`` then needs no
options)::

    tune_cfg = dict(
        search_space={'model.negative_loss.tau': 'loguniform(0.01, 0.2)'},
        metric='mIoU', mode='max', num_samples=8, max_concurrent=2,
        scheduler='asha', grace_period=1, reduction_factor=2,
        search='random', seed=0,
        cpus_per_trial=1, gpus_per_trial=0, workers_per_trial=1)

``tune_cfg`` is ignored by ``tools/train.py``. Command-line options win over
it; command-line ``--search-space`` entries replace the config's sampler of
the same key and add the others. :func:`resolve_settings` checks the whole
search before Ray starts: the search space against the config, the metric
against its validation, the scheduler against its schedule, the resources.
The settings are saved in the search's work dir (``settings.json``) so that
``--resume`` continues with exactly the same search.
"""
import json
import os
import os.path as osp
import warnings
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, List, Mapping, Optional

from mmengine.config import Config

from ..apis.config_loading import (check_cfg_options, did_you_mean,
                                   load_config, strip_add_prefix)
from ..utils.atomic_write import atomic_write_json
from .metrics import check_metric
from .search_space import (NOT_FOR_OPTUNA, SearchParam, SearchSpaceError,
                           check_keys, parse_search_space)

SETTINGS_FILE = 'settings.json'
SCHEDULERS = ('asha', 'fifo', 'pbt')
SEARCHES = ('random', 'optuna')
MODES = ('max', 'min')


class TuneSettingsError(ValueError):
    """Search settings that cannot work (the message names the setting)."""


@dataclass
class TuneSettings:
    """Everything that defines one search.

    Attributes:
        config (str): Absolute path of the mmda config.
        search_space (list[str]): ``KEY=FN(ARGS)`` entries.
        cfg_options (dict): Fixed overrides of every trial
            (``--cfg-options``).
        work_dir (str): Absolute work dir of the search.
        launch_dir (str): Absolute directory the search was started from;
            trials run there, so relative paths of the config (``data_root``)
            mean what they mean to ``tools/train.py``.
        metric (str): Validation metric to optimise. Defaults to ``mIoU``.
        mode (str): ``max`` or ``min``.
        scheduler (str): ``asha`` (early stopping), ``fifo`` (none) or
            ``pbt`` (Population Based Training: every ``grace_period``
            validations the weaker trials continue from a stronger trial's
            checkpoint with perturbed values).
        grace_period (int): ASHA: validations before a trial may be stopped;
            PBT: validations between perturbations.
        reduction_factor (float): ASHA: keep the best 1 / reduction_factor
            of the trials at each rung.
        search (str): ``random`` (Ray's random / grid sampling) or
            ``optuna`` (TPE).
        seed (int, optional): Seed of the sampler (the same trials again).
        num_samples (int): Number of trials (times the grid size with
            ``grid``).
        max_concurrent (int, optional): Trials at once (default: as many as
            the resources allow).
        cpus_per_trial (float): CPUs of a trial (split over its workers).
        gpus_per_trial (float): GPUs of a trial (one per worker when it has
            several workers).
        workers_per_trial (int): Processes of a trial: more than one runs
            DDP on Ray Train workers. Defaults to the GPU count when a trial
            has several GPUs, else 1.
    """
    config: str
    search_space: List[str]
    work_dir: str
    launch_dir: str
    cfg_options: Dict[str, Any] = field(default_factory=dict)
    metric: str = 'mIoU'
    mode: str = 'max'
    scheduler: str = 'asha'
    grace_period: int = 1
    reduction_factor: float = 2
    search: str = 'random'
    seed: Optional[int] = None
    num_samples: int = 8
    max_concurrent: Optional[int] = None
    cpus_per_trial: float = 1
    gpus_per_trial: float = 0
    workers_per_trial: int = 1

    # ------------------------------------------------------------ derived
    @property
    def params(self) -> List[SearchParam]:
        """The parsed search space."""
        return parse_search_space(self.search_space)

    @property
    def trials_dir(self) -> str:
        """Where the trials' work dirs are (``<work_dir>/trials/<id>``)."""
        return osp.join(self.work_dir, 'trials')

    @property
    def experiment_dir(self) -> str:
        """Ray Tune's experiment dir (what ``--resume`` restores)."""
        return osp.join(self.work_dir, 'ray')

    def load_cfg(self) -> Config:
        """The config with the fixed overrides, loaded as the tools load it
        (checked keys, adapted to this machine): what the checks read."""
        return load_config(self.config, self.cfg_options or None)

    def config_with(self, values: Mapping) -> Config:
        """The searched config with the fixed overrides and ``values`` (a
        trial's, the best ones), without ``tune_cfg``: a config file's
        content, not adapted to any machine."""
        cfg = Config.fromfile(self.config)
        options = dict(self.cfg_options)
        options.update(values)
        check_cfg_options(cfg, options)
        cfg.merge_from_dict(strip_add_prefix(options))
        cfg.pop('tune_cfg', None)
        return cfg

    # --------------------------------------------------------- persistence
    def save(self) -> str:
        """Write ``<work_dir>/settings.json``; its path."""
        path = osp.join(self.work_dir, SETTINGS_FILE)
        atomic_write_json(path, asdict(self), indent=2, default=repr)
        return path

    @classmethod
    def load(cls, work_dir: str) -> 'TuneSettings':
        """The settings saved in a search's work dir."""
        path = osp.join(work_dir, SETTINGS_FILE)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path} not found: {work_dir} holds no search to resume')
        with open(path) as f:
            return cls(**json.load(f))


#: settings a config's tune_cfg may give (the paths come from elsewhere)
TUNE_CFG_KEYS = tuple(
    f.name for f in fields(TuneSettings)
    if f.name not in ('config', 'work_dir', 'launch_dir', 'cfg_options'))


def default_work_dir(config: str) -> str:
    """``work_dirs/tune_<config name>`` (relative to the launch dir)."""
    stem = osp.splitext(osp.basename(config))[0]
    return osp.join('work_dirs', f'tune_{stem}')


def _check_choice(name, value, choices) -> None:
    if value not in choices:
        raise TuneSettingsError(
            f'{name} must be one of {", ".join(choices)}, got {value!r}')


def _check_number(name, value, minimum, strict=True, integer=False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if integer:
        ok = ok and float(value).is_integer()
    if ok:
        ok = value > minimum if strict else value >= minimum
    if not ok:
        kind = 'an integer' if integer else 'a number'
        op = '>' if strict else '>='
        raise TuneSettingsError(
            f'{name} must be {kind} {op} {minimum}, got {value!r}')


def _default_workers(gpus_per_trial: float) -> int:
    if gpus_per_trial >= 2 and float(gpus_per_trial).is_integer():
        return int(gpus_per_trial)
    return 1


def check_schedule(settings: TuneSettings, cfg: Config) -> None:
    """ASHA needs an iteration-based schedule that validates several times.

    Raises:
        TuneSettingsError: ASHA on a config without ``train_cfg.max_iters``,
            or searching the schedule itself under ASHA.
    """
    if settings.scheduler == 'fifo':
        return
    name = settings.scheduler
    train_cfg = cfg.get('train_cfg') or {}
    if 'max_iters' not in train_cfg:
        raise TuneSettingsError(
            f'scheduler {name} compares trials at training iterations and '
            'needs an iteration-based train_cfg (train_cfg.max_iters); use '
            '--scheduler fifo for this config')
    for key in ('train_cfg.max_iters', 'train_cfg.val_interval'):
        if any(p.key == key for p in settings.params):
            raise TuneSettingsError(
                f'{key} cannot be searched with scheduler {name} (it '
                'compares trials at training iterations); use --scheduler '
                'fifo')
    if name == 'pbt':
        if settings.search != 'random':
            raise TuneSettingsError(
                'scheduler pbt picks the values itself: it runs with '
                '--search random only')
        return
    max_iters = train_cfg['max_iters']
    val_interval = train_cfg.get('val_interval', 1000)
    if settings.grace_period * val_interval >= max_iters:
        warnings.warn(
            f'trials validate every {val_interval} of {max_iters} '
            f'iterations and ASHA waits {settings.grace_period} '
            'validation(s): no trial can be stopped early; lower '
            'train_cfg.val_interval or --grace-period')


def resolve_settings(config: str,
                     options: Optional[Dict[str, Any]] = None,
                     cfg_options: Optional[Dict[str, Any]] = None,
                     search_space: Optional[List[str]] = None,
                     work_dir: Optional[str] = None,
                     launch_dir: Optional[str] = None) -> TuneSettings:
    """Merge the command line over the config's ``tune_cfg`` and check the
    search.

    Args:
        config (str): The mmda config.
        options (dict): Command-line settings (:data:`TUNE_CFG_KEYS`);
            None values are not given.
        cfg_options (dict): Fixed overrides of every trial.
        search_space (list[str]): Command-line ``KEY=FN(ARGS)`` entries.
        work_dir (str): The search's work dir; defaults to
            ``work_dirs/tune_<config name>``.
        launch_dir (str): Where relative paths are resolved; defaults to
            the current directory.

    Raises:
        SearchSpaceError, MetricError, TuneSettingsError: naming the
            problem, before anything runs.
    """
    launch_dir = osp.abspath(launch_dir or os.getcwd())
    config = osp.abspath(osp.join(launch_dir, config))
    cfg = load_config(config, cfg_options or None)
    tune_cfg = dict(cfg.get('tune_cfg') or {})
    for key in tune_cfg:
        if key not in TUNE_CFG_KEYS:
            hint = did_you_mean(key, TUNE_CFG_KEYS, n=1)
            raise TuneSettingsError(
                f'tune_cfg has no setting {key!r}{hint}; its settings are '
                f'{", ".join(TUNE_CFG_KEYS)}')
    params = parse_search_space(search_space or [],
                                tune_cfg.pop('search_space', None))
    merged = {k: v for k, v in tune_cfg.items()}
    merged.update({k: v for k, v in (options or {}).items() if v is not None})
    unknown = set(merged) - set(TUNE_CFG_KEYS)
    if unknown:
        raise TuneSettingsError(f'unknown settings {sorted(unknown)}')
    if work_dir is None:
        work_dir = default_work_dir(config)
    merged.setdefault('workers_per_trial',
                      _default_workers(merged.get('gpus_per_trial', 0)))
    settings = TuneSettings(
        config=config,
        search_space=[str(p) for p in params],
        work_dir=osp.abspath(osp.join(launch_dir, work_dir)),
        launch_dir=launch_dir,
        cfg_options=dict(cfg_options or {}),
        **merged)
    check_settings(settings, cfg)
    return settings


def check_settings(settings: TuneSettings, cfg: Optional[Config] = None):
    """Check every setting of a search (see :func:`resolve_settings`)."""
    _check_choice('mode', settings.mode, MODES)
    _check_choice('scheduler', settings.scheduler, SCHEDULERS)
    _check_choice('search', settings.search, SEARCHES)
    _check_number('num_samples', settings.num_samples, 1, False, True)
    _check_number('grace_period', settings.grace_period, 1, False, True)
    _check_number('reduction_factor', settings.reduction_factor, 1)
    _check_number('cpus_per_trial', settings.cpus_per_trial, 0)
    _check_number('gpus_per_trial', settings.gpus_per_trial, 0, False)
    _check_number('workers_per_trial', settings.workers_per_trial, 1, False,
                  True)
    if settings.max_concurrent is not None:
        _check_number('max_concurrent', settings.max_concurrent, 1, False,
                      True)
    if settings.seed is not None:
        _check_number('seed', settings.seed, 0, False, True)
    workers, gpus = settings.workers_per_trial, settings.gpus_per_trial
    if workers > 1 and gpus and not (gpus / workers).is_integer():
        raise TuneSettingsError(
            f'gpus_per_trial {gpus} cannot be split over {workers} workers: '
            'a DDP worker takes whole GPUs (give a multiple of '
            'workers_per_trial)')
    params = settings.params
    if settings.search == 'optuna':
        for param in params:
            if param.sampler in NOT_FOR_OPTUNA:
                raise SearchSpaceError(
                    f'search space {param}: {param.sampler} is not supported '
                    'by --search optuna (use uniform, loguniform, randint, '
                    'choice, ...)')
    cfg = cfg if cfg is not None else settings.load_cfg()
    check_keys(cfg, params, settings.cfg_options)
    check_metric(cfg, settings.metric)
    check_schedule(settings, cfg)
