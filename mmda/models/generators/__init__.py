from .adain import ADAIN_EPS, adaptive_instance_norm, channel_mean_std
from .image_transform_net import ImageTransformNet
from .tgcf_generator import AdaINDecoder, TGCFGenerator

__all__ = [
    'ADAIN_EPS', 'adaptive_instance_norm', 'channel_mean_std',
    'AdaINDecoder', 'ImageTransformNet', 'TGCFGenerator'
]
