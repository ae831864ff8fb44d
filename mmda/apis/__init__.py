from .config_loading import (check_cfg_options, enable_amp, load_config,
                             parse_cfg_options)
from .runner_builder import build_runner_from_args

__all__ = [
    'check_cfg_options', 'enable_amp', 'load_config', 'parse_cfg_options',
    'build_runner_from_args'
]
