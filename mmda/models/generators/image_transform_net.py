from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS


class _ResidualBlock(nn.Module):
    """CycleGAN's residual block: two reflection-padded 3×3 convolutions
    with instance norm, ReLU between, identity shortcut."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels), nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


@MODELS.register_module()
class ImageTransformNet(BaseModule):
    """GIO-Ada's image transform network G (Chen et al., CVPR 2019): a
    synthetic image, conditioned on its semantic labels and depth, to a
    realistic-looking image.

    Input: the image in [-1, 1] (3 channels) ⊕ the one-hot source label
    (``num_classes`` channels; *ignore* pixels, e.g. 255 and padding, are
    all-zero in every class channel, so no class is claimed there) ⊕ the
    normalised depth (1 channel, 0 where there is no depth), i.e.
    ``3 + num_classes + 1`` channels (``3 + num_classes`` with
    ``with_depth=False``, the semantic-only ablation). Output: the
    translated image in [-1, 1] range (3 channels).

    Architecture (the paper's is not known): CycleGAN's ResNet generator
    (``junyanz/pytorch-CycleGAN-and-pix2pix``, ``models/networks.py``
    ``ResnetGenerator``): 7×7 conv, two stride-2 downsamplings, ``n_res``
    residual blocks, two transposed-conv upsamplings, 7×7 conv, tanh;
    instance norm. With ``residual=True`` (mmda's default) the tanh output
    is *added* to the input image, and the last convolution starts at zero
    weights, so G starts as the identity translation (the task network
    first sees the plain source images); with ``residual=False`` G outputs
    the image directly, as CycleGAN. Other convolutions are initialised
    N(0, ``init_std``), bias 0 (the seed-article sketch's N(0, 0.001) by
    default is too small to train a deep generator from scratch; mmda uses
    CycleGAN's 0.02).

    Args:
        num_classes (int): K, the number of label channels.
        with_depth (bool): take the depth channel. Defaults to True.
        base_channels (int): width of the first layer (CycleGAN ngf 64).
        n_res (int): residual blocks (CycleGAN: 9 for 256 px crops).
        residual (bool): add the output to the input image. Defaults to
            True.
        init_std (float): std of the convolution weights. Defaults to 0.02.
        init_cfg (dict, optional): Initialisation config (overrides the
            initialisation above when given).
    """

    def __init__(self,
                 num_classes: int,
                 with_depth: bool = True,
                 base_channels: int = 64,
                 n_res: int = 9,
                 residual: bool = True,
                 init_std: float = 0.02,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if num_classes < 1 or base_channels < 1 or n_res < 0:
            raise ValueError(
                'ImageTransformNet: num_classes and base_channels must be '
                f'positive and n_res >= 0, got num_classes={num_classes}, '
                f'base_channels={base_channels}, n_res={n_res}')
        self.num_classes = num_classes
        self.with_depth = with_depth
        self.residual = residual
        self.init_std = init_std
        self.in_channels = 3 + num_classes + int(with_depth)
        c = base_channels
        layers = [
            nn.ReflectionPad2d(3), nn.Conv2d(self.in_channels, c, 7),
            nn.InstanceNorm2d(c), nn.ReLU(inplace=True)
        ]
        for mult in (1, 2):
            layers += [
                nn.Conv2d(c * mult, c * mult * 2, 3, 2, 1),
                nn.InstanceNorm2d(c * mult * 2), nn.ReLU(inplace=True)
            ]
        layers += [_ResidualBlock(c * 4) for _ in range(n_res)]
        for mult in (4, 2):
            layers += [
                nn.ConvTranspose2d(c * mult, c * mult // 2, 3, 2, 1, 1),
                nn.InstanceNorm2d(c * mult // 2), nn.ReLU(inplace=True)
            ]
        self.body = nn.Sequential(*layers)
        self.to_image = nn.Sequential(nn.ReflectionPad2d(3),
                                      nn.Conv2d(c, 3, 7))

    def init_weights(self):
        if self.init_cfg is not None:
            return super().init_weights()
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, 0., self.init_std)
                nn.init.zeros_(m.bias)
        if self.residual:
            nn.init.zeros_(self.to_image[1].weight)

    def encode_input(self, images: Tensor, labels: Tensor,
                     depth: Optional[Tensor]) -> Tensor:
        """G's input tensor: ``images`` N×3×H×W in [-1, 1] ⊕ one-hot of
        ``labels`` N×H×W (values outside [0, K) → all-zero) ⊕ ``depth``
        N×1×H×W (required iff ``with_depth``)."""
        if labels.dim() == 4:
            labels = labels[:, 0]
        valid = (labels >= 0) & (labels < self.num_classes)
        one_hot = F.one_hot(
            torch.where(valid, labels, torch.zeros_like(labels)).long(),
            self.num_classes).permute(0, 3, 1, 2).to(images.dtype)
        one_hot = one_hot * valid[:, None].to(images.dtype)
        parts = [images, one_hot]
        if self.with_depth:
            if depth is None:
                raise ValueError('ImageTransformNet(with_depth=True) needs '
                                 'the depth channel')
            parts.append(depth.to(images.dtype))
        elif depth is not None:
            raise ValueError('ImageTransformNet(with_depth=False) got a '
                             'depth channel')
        return torch.cat(parts, dim=1)

    def forward(self, images: Tensor, labels: Tensor,
                depth: Optional[Tensor] = None) -> Tensor:
        """Translate ``images`` (N×3×H×W in [-1, 1]) given their labels and
        depth (see :meth:`encode_input`); H and W divisible by 4."""
        if images.shape[-1] % 4 or images.shape[-2] % 4:
            raise ValueError('ImageTransformNet: image height and width must '
                             f'be multiples of 4, got {tuple(images.shape)}')
        out = torch.tanh(
            self.to_image(self.body(self.encode_input(images, labels,
                                                      depth))))
        return images + out if self.residual else out
