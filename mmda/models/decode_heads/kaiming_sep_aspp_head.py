import math

import torch.nn as nn

from mmseg.models.decode_heads import DepthwiseSeparableASPPHead
from mmseg.registry import MODELS


@MODELS.register_module()
class KaimingDepthwiseSeparableASPPHead(DepthwiseSeparableASPPHead):
    """mmseg's DeepLab-v3+ head initialised as RIPU's released head
    (docs/methods.md#ripu).

    The released ``DepthwiseSeparableASPP`` head Kaiming-normal initialises
    every conv (fan-in, gain √2) and leaves the classifier's bias at
    PyTorch's default. An ``init_cfg`` cannot say this for mmseg's head:
    mmengine applies the head's ``init_cfg`` first, then calls the
    ``init_weights`` of its direct children, and mmcv's ``ConvModule`` there
    (the 3×3 fusing ``bottleneck`` and the 1×1 low-level ``c1_bottleneck``)
    re-initialises its conv in fan-out mode, √5 and ≈2.3 times the released
    spread. This head applies the released initialisation after all that.

    The forward pass is :class:`DepthwiseSeparableASPPHead`'s, unchanged:
    trained weights load into mmseg's head (``tools/export_segmentor.py``
    writes that type), and mmseg's head with its default initialisation is
    one config line away.
    """

    def init_weights(self) -> None:
        super().init_weights()
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(
                    module.weight, mode='fan_in', nonlinearity='relu')
        # PyTorch's default bias of a conv (nn.Conv2d.reset_parameters)
        if self.conv_seg.bias is not None:
            fan_in = self.conv_seg.weight[0].numel()
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.conv_seg.bias, -bound, bound)
