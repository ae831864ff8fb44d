from .advent import AdvEnt
from .base_da_model import BaseDAModel
from .da_encoder_decoder import DAEncoderDecoder
from .deployable import (deploy_prefix, deployable_segmentor, model_class,
                         prediction_mode, segmentor_cfg,
                         split_segmentor_state)
from .minent import MinEnt
from .multi_level_encoder_decoder import LEVELS, MultiLevelEncoderDecoder
from .plca import PLCA
from .ripu import RIPU
from .segmentor_ensemble import SegmentorEnsemble

__all__ = [
    'AdvEnt', 'BaseDAModel', 'DAEncoderDecoder', 'deploy_prefix',
    'deployable_segmentor', 'model_class', 'prediction_mode', 'segmentor_cfg',
    'split_segmentor_state', 'LEVELS', 'MinEnt', 'MultiLevelEncoderDecoder',
    'PLCA', 'RIPU',
    'SegmentorEnsemble'
]
