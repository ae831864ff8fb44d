from .advent import AdvEnt
from .base_da_model import BaseDAModel
from .da_encoder_decoder import DAEncoderDecoder
from .da_method import DAMethodMixin
from .depth_aware_encoder_decoder import DepthAwareEncoderDecoder
from .deployable import (checkpoint_deploy_prefix, deploy_prefix,
                         deployable_segmentor, member_segmentor_cfgs,
                         member_segmentors, method_deploy_prefixes,
                         model_class, prediction_mode, segmentor_cfg,
                         split_segmentor_state)
from .gio_ada import GIOAda
from .minent import MinEnt
from .multi_level_encoder_decoder import LEVELS, MultiLevelEncoderDecoder
from .plca import PLCA
from .ripu import RIPU
from .segmentor_ensemble import SegmentorEnsemble
from .self_ensembling import SelfEnsembling, gaussian_rampup
from .tgcf_da import TGCFDA

__all__ = [
    'AdvEnt', 'BaseDAModel', 'DAEncoderDecoder', 'DAMethodMixin',
    'DepthAwareEncoderDecoder', 'checkpoint_deploy_prefix', 'deploy_prefix',
    'deployable_segmentor', 'member_segmentor_cfgs', 'member_segmentors',
    'method_deploy_prefixes', 'model_class', 'prediction_mode',
    'segmentor_cfg', 'split_segmentor_state', 'GIOAda', 'LEVELS', 'MinEnt',
    'MultiLevelEncoderDecoder', 'PLCA', 'RIPU', 'SegmentorEnsemble',
    'SelfEnsembling', 'gaussian_rampup', 'TGCFDA'
]
