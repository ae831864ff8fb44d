import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS


@MODELS.register_module()
class PatchDiscriminator(BaseModule):
    """PatchGAN image discriminator (pix2pix / CycleGAN,
    ``junyanz/pytorch-CycleGAN-and-pix2pix``, ``models/networks.py``
    ``NLayerDiscriminator``): one real/fake logit per overlapping image
    patch.

    A 4×4 stride-2 convolution with LeakyReLU (0.2), then ``n_layers - 1``
    stride-2 and one stride-1 convolutions doubling the width (capped at
    8× ``base_channels``), each with instance norm and LeakyReLU, then a
    4×4 stride-1 convolution to one channel (70×70 receptive field for
    ``n_layers=3``). GIO-Ada's input-level discriminator on images.

    Args:
        in_channels (int): Channels of the input images. Defaults to 3.
        base_channels (int): Width of the first layer (ndf 64).
        n_layers (int): Stride-2 convolutions. Defaults to 3.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 3,
                 base_channels: int = 64,
                 n_layers: int = 3,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or base_channels < 1 or n_layers < 1:
            raise ValueError(
                'PatchDiscriminator: in_channels, base_channels and n_layers '
                f'must be positive, got {in_channels}, {base_channels}, '
                f'{n_layers}')
        layers = [
            nn.Conv2d(in_channels, base_channels, 4, 2, 1),
            nn.LeakyReLU(0.2, inplace=True)
        ]
        width = base_channels
        for i in range(1, n_layers + 1):
            out = base_channels * min(2**i, 8)
            stride = 2 if i < n_layers else 1
            layers += [
                nn.Conv2d(width, out, 4, stride, 1),
                nn.InstanceNorm2d(out),
                nn.LeakyReLU(0.2, inplace=True)
            ]
            width = out
        layers.append(nn.Conv2d(width, 1, 4, 1, 1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """N×C×H×W images → N×1×h×w patch logits."""
        return self.layers(x)
