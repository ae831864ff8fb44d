from typing import Sequence

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS


@MODELS.register_module()
class FCDiscriminator(BaseModule):
    """Fully-convolutional domain discriminator (AdvEnt / IntraDA).

    ``len(channels)`` convolutions with ``kernel_size`` 4, stride 2 and
    padding 1, each followed by LeakyReLU (slope 0.2) and no normalisation,
    then a last 4×4 stride-2 convolution to one channel: the output is a map
    of domain logits, one per receptive field (original: 64-128-256-512-1).

    Args:
        in_channels (int): Channels of the input maps (the number of
            classes for weighted self-information maps).
        channels (Sequence[int]): Widths of the hidden convolutions.
            Defaults to (64, 128, 256, 512).
        kernel_size (int): Kernel of every convolution. Defaults to 4.
        stride (int): Stride of every convolution. Defaults to 2.
        negative_slope (float): LeakyReLU slope. Defaults to 0.2.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 channels: Sequence[int] = (64, 128, 256, 512),
                 kernel_size: int = 4,
                 stride: int = 2,
                 negative_slope: float = 0.2,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or not channels or min(channels) < 1:
            raise ValueError('FCDiscriminator: in_channels and channels must '
                             f'be positive, got in_channels={in_channels}, '
                             f'channels={tuple(channels)}')
        padding = (kernel_size - 1) // 2
        layers = []
        widths = [in_channels] + list(channels)
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            layers += [
                nn.Conv2d(c_in, c_out, kernel_size, stride, padding),
                nn.LeakyReLU(negative_slope, inplace=True)
            ]
        layers.append(
            nn.Conv2d(widths[-1], 1, kernel_size, stride, padding))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """N×C×H×W maps → N×1×h×w domain logits."""
        return self.layers(x)
