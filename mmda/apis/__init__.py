from .config_loading import check_cfg_options, enable_amp, load_config
from .runner_builder import build_runner_from_args

__all__ = [
    'check_cfg_options', 'enable_amp', 'load_config', 'build_runner_from_args'
]
