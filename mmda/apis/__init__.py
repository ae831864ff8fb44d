from .config_loading import (check_cfg_options, enable_amp, load_config,
                             parse_cfg_options, strip_add_prefix)
from .runner_builder import build_runner, build_runner_from_args
from .segmentor_weights import (holds_plain_segmentor_weights,
                                load_segmentor_weights, segmentor_state_dict)

__all__ = [
    'check_cfg_options', 'enable_amp', 'load_config', 'parse_cfg_options',
    'build_runner', 'build_runner_from_args', 'holds_plain_segmentor_weights',
    'load_segmentor_weights',
    'segmentor_state_dict', 'strip_add_prefix'
]
