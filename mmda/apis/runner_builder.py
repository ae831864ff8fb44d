"""Building an mmengine Runner from tool arguments."""
from typing import Optional

from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from mmengine.runner.checkpoint import find_latest_checkpoint

from ..engine.hooks.preemption_hook import add_preemption_hook
from ..engine.runner import MMDARunner
from ..utils import check_single_optimizer, init_distributed
from .config_loading import enable_amp, load_config


def build_runner_from_args(config: str,
                           work_dir: Optional[str] = None,
                           cfg_options: Optional[dict] = None,
                           launcher: str = 'none',
                           resume: bool = False,
                           amp: bool = False) -> Runner:
    """What ``tools/train.py`` does before ``runner.train()``.

    The process group is initialised here (gloo on CPU, nccl on GPU) so that
    mmengine's CUDA-only ``init_dist`` is never reached. Every run gets a
    :class:`~mmda.engine.PreemptionHook` (checkpoint and stop on SIGUSR1 /
    SIGTERM, Slurm requeue) unless its config has one.
    """
    cfg = load_config(config, cfg_options, work_dir, launcher)
    if 'DeepSpeed' in str(cfg.get('strategy', {}).get('type', '')):
        # registers MMDADeepSpeedStrategy (imports deepspeed: only here)
        from ..utils import deepspeed_strategy  # noqa: F401
        check_single_optimizer(cfg.optim_wrapper, config)
    add_preemption_hook(cfg)
    if amp:
        enable_amp(cfg)
    if resume:
        cfg.resume = True
    check_resumable(cfg)
    init_distributed(launcher)
    return build_runner(cfg)


def check_resumable(cfg) -> None:
    """Refuse ``resume`` without a checkpoint: mmengine would log "Did not
    find last_checkpoint" and silently train from scratch.

    Raises:
        FileNotFoundError: naming the work dir.
    """
    if (cfg.get('resume') and cfg.get('load_from') is None
            and find_latest_checkpoint(cfg.work_dir) is None):
        raise FileNotFoundError(
            f'--resume: the work dir {cfg.work_dir} has no last_checkpoint '
            'to resume from; run without --resume to start from scratch')


def build_runner(cfg) -> Runner:
    """The config's ``runner_type`` (e.g. ``FlexibleRunner`` for
    DeepSpeed), else :class:`~mmda.engine.MMDARunner` (safe, strict
    checkpoint loading)."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return MMDARunner.from_cfg(cfg)
