"""Building an mmengine Runner from tool arguments."""
from typing import Optional

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..engine.hooks.preemption_hook import add_preemption_hook
from ..engine.launch import init_distributed
from ..engine.strategies import check_single_optimizer
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
        from ..engine.strategies import deepspeed_strategy  # noqa: F401
        check_single_optimizer(cfg.optim_wrapper, config)
    add_preemption_hook(cfg)
    if amp:
        enable_amp(cfg)
    if resume:
        cfg.resume = True
    init_distributed(launcher)
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
