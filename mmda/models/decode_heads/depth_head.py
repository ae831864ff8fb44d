from typing import Sequence, Tuple, Union

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS


@MODELS.register_module()
class DepthHead(BaseModule):
    """Monocular depth head on the shared encoder of a segmentor: the depth
    branch of GIO-Ada's task network (and of DADA).

    The layers follow DADA's depth branch on layer4 (``valeoai/DADA``,
    ``dada/model/deeplabv2_depth.py``: 1×1 → 512, 3×3 → 512, 1×1 → 128,
    each with ReLU) scaled by ``channels``; a last 1×1 convolution regresses
    one depth value per cell (DADA averages the 128 channels instead; a
    learned projection also fits the log representation, which can be
    negative). No activation on the output: the representation
    (``inverse``, ``log``, ``metric``, see
    :func:`~mmda.models.losses.depth_representation`) is the loss's
    business.

    Args:
        in_channels (int): Channels of the encoder feature it reads.
        channels (Sequence[int]): Widths of the three hidden convolutions
            (1×1, 3×3, 1×1). Defaults to DADA's (512, 512, 128).
        in_index (int): Which encoder output it reads (the segmentation
            decode head's ``in_index`` for a shared layer4).
        norm_cfg (dict, optional): Normalisation of the hidden layers
            (DADA: none).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 channels: Sequence[int] = (512, 512, 128),
                 in_index: int = -1,
                 norm_cfg=None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if len(channels) != 3 or min(channels) < 1 or in_channels < 1:
            raise ValueError(
                'DepthHead: channels must be three positive widths (1x1, '
                f'3x3, 1x1) and in_channels positive, got channels='
                f'{tuple(channels)}, in_channels={in_channels}')
        self.in_index = in_index
        widths = [in_channels] + list(channels)
        self.convs = nn.Sequential(*[
            ConvModule(c_in, c_out, k, padding=k // 2, norm_cfg=norm_cfg)
            for c_in, c_out, k in zip(widths[:-1], widths[1:], (1, 3, 1))
        ])
        self.depth_conv = nn.Conv2d(widths[-1], 1, 1)

    def forward(self, feats: Union[Tensor, Tuple[Tensor]]) -> Tensor:
        """Encoder features (a tuple, indexed by ``in_index``, or one map) →
        N×1×h×w depth at the feature resolution."""
        x = feats[self.in_index] if isinstance(feats, (tuple, list)) \
            else feats
        return self.depth_conv(self.convs(x))
