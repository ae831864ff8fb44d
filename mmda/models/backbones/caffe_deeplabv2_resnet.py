import torch.nn as nn

from mmseg.models.backbones import ResNet
from mmseg.registry import MODELS


@MODELS.register_module()
class CaffeDeepLabV2ResNet(ResNet):
    """The Caffe-style DeepLab-v2 ResNet of ADVENT and IntraDA
    (``valeoai/ADVENT:advent/model/deeplabv2.py``; docs/methods.md#advent).

    mmseg's :class:`ResNet` with the original DeepLab-v2 layout:

    * the stride of a bottleneck on its first 1×1 convolution
      (``style='caffe'``);
    * layer3 and layer4 dilated by 2 and 4 in *every* block, the first
      included (``contract_dilation=False``), strides 1/2/1/1: output
      stride 8;
    * the stem max-pool rounding up (``ceil_mode=True``), which mmseg's
      ``ResNet`` has no option for: a 1024×512 input gives 129×65 feature
      maps, not 128×64.

    These are the defaults here; other :class:`ResNet` arguments (depth,
    norm, ``init_cfg``) are passed on.
    """

    def __init__(self,
                 depth: int = 101,
                 strides=(1, 2, 1, 1),
                 dilations=(1, 1, 2, 4),
                 style: str = 'caffe',
                 contract_dilation: bool = False,
                 **kwargs):
        super().__init__(
            depth=depth,
            strides=strides,
            dilations=dilations,
            style=style,
            contract_dilation=contract_dilation,
            **kwargs)
        self.maxpool = nn.MaxPool2d(
            kernel_size=3, stride=2, padding=1, ceil_mode=True)
