from .deeplabv2_head import DeepLabV2Head
from .depth_head import DepthHead

__all__ = ['DeepLabV2Head', 'DepthHead']
