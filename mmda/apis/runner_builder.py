"""Building an mmengine Runner from tool arguments."""
from typing import Optional, Union

from mmengine.config import Config
from mmengine.hooks import CheckpointHook
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..engine.hooks.preemption_hook import add_preemption_hook
from ..engine.launch import init_distributed
from ..engine.runner import MMDARunner
from ..engine.strategies import check_single_optimizer
from ..utils.checkpoint_files import (check_checkpoint,
                                      find_resume_checkpoint)
from .config_loading import enable_amp, load_config


def build_runner_from_args(config: str,
                           work_dir: Optional[str] = None,
                           cfg_options: Optional[dict] = None,
                           launcher: str = 'none',
                           resume: Union[bool, str] = False,
                           amp: bool = False) -> Runner:
    """What ``tools/train.py`` does before ``runner.train()``.

    The process group is initialised here (gloo on CPU, nccl on GPU) so that
    mmengine's CUDA-only ``init_dist`` is never reached. Every run gets a
    :class:`~mmda.engine.PreemptionHook` (checkpoint and stop on SIGUSR1 /
    SIGTERM, Slurm requeue) unless its config has one, and writes its
    checkpoints with :class:`~mmda.engine.AtomicCheckpointHook`
    (:func:`use_atomic_checkpoints`).

    ``resume`` resumes from the work dir's checkpoint that
    :func:`~mmda.utils.checkpoint_files.find_resume_checkpoint` finds: the
    one ``last_checkpoint`` names, or, when that one is missing or cannot
    be read, the newest intact one (logged); with none, training starts at
    iteration 0 (one log line says so). A ``load_from`` of the config
    initialises the weights only when there is nothing to resume. A
    ``resume`` that is a path resumes from that checkpoint (a Ray trial
    restored from another trial's checkpoint), which must be readable.
    """
    cfg = load_config(config, cfg_options, work_dir, launcher)
    if 'DeepSpeed' in str(cfg.get('strategy', {}).get('type', '')):
        # registers MMDADeepSpeedStrategy (imports deepspeed: only here)
        from ..engine.strategies import deepspeed_strategy  # noqa: F401
        check_single_optimizer(cfg.optim_wrapper, config)
    add_preemption_hook(cfg)
    use_atomic_checkpoints(cfg)
    if amp:
        enable_amp(cfg)
    message = ''
    if isinstance(resume, str):
        check_checkpoint(resume)  # names the file if it cannot be read
        cfg.resume, cfg.load_from = True, resume
    elif resume:
        checkpoint, message = find_resume_checkpoint(cfg.work_dir)
        cfg.resume = checkpoint is not None
        if checkpoint is not None:
            cfg.load_from = checkpoint  # mmengine resumes from load_from
    init_distributed(launcher)
    runner = build_runner(cfg)
    if message:
        runner.logger.warning(message)
    return runner


def build_runner(cfg) -> Runner:
    """The config's ``runner_type`` (e.g. ``FlexibleRunner`` for
    DeepSpeed), else :class:`~mmda.engine.MMDARunner` (safe, strict
    checkpoint loading)."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return MMDARunner.from_cfg(cfg)


def use_atomic_checkpoints(cfg: Config) -> None:
    """Write checkpoints with :class:`~mmda.engine.AtomicCheckpointHook`:
    a ``default_hooks.checkpoint`` of type ``CheckpointHook`` gets that
    type (its other keys unchanged), a config without one gets mmengine's
    default checkpoint hook as one (in place). ``checkpoint=None`` (no
    checkpoints) stays."""
    hooks = cfg.get('default_hooks', None)
    if hooks is None:
        cfg.default_hooks = hooks = dict()
    if 'checkpoint' not in hooks:
        hooks['checkpoint'] = dict(type='AtomicCheckpointHook', interval=1)
    elif hooks['checkpoint'] is not None and hooks['checkpoint'].get(
            'type') in ('CheckpointHook', CheckpointHook):
        hooks['checkpoint']['type'] = 'AtomicCheckpointHook'
