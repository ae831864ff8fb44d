from .advent import AdvEnt
from .minent import MinEnt
from .multi_level_encoder_decoder import LEVELS, MultiLevelEncoderDecoder
from .ripu import RIPU
from .segmentor_ensemble import SegmentorEnsemble

__all__ = [
    'AdvEnt', 'LEVELS', 'MinEnt', 'MultiLevelEncoderDecoder', 'RIPU',
    'SegmentorEnsemble'
]
