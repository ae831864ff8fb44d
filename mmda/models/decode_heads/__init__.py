from .deeplabv2_head import DeepLabV2Head
from .depth_head import DepthHead
from .kaiming_sep_aspp_head import KaimingDepthwiseSeparableASPPHead

__all__ = ['DeepLabV2Head', 'DepthHead', 'KaimingDepthwiseSeparableASPPHead']
