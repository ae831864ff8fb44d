"""Building blocks of the TGCF-DA generator (MUNIT/AdaIN-style image
translators): convolutions with optional spectral normalisation, instance
norm and ReLU, and residual blocks."""
import torch.nn as nn
from torch import Tensor
from torch.nn.utils import spectral_norm as apply_spectral_norm


def conv(in_channels: int,
         out_channels: int,
         kernel_size: int,
         stride: int = 1,
         spectral_norm: bool = False) -> nn.Module:
    """A reflect-padded convolution keeping the size (``stride`` 1) or
    dividing it by ``stride``; spectrally normalised on request."""
    layer = nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size,
        stride=stride,
        padding=(kernel_size - stride + 1) // 2,
        padding_mode='reflect')
    return apply_spectral_norm(layer) if spectral_norm else layer


def conv_in_relu(in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 spectral_norm: bool = False,
                 norm: bool = True) -> nn.Sequential:
    """conv → InstanceNorm (if ``norm``) → ReLU."""
    return nn.Sequential(
        conv(in_channels, out_channels, kernel_size, stride, spectral_norm),
        nn.InstanceNorm2d(out_channels, affine=True)
        if norm else nn.Identity(), nn.ReLU(inplace=True))


class ResBlock(nn.Module):
    """x + (conv3×3 → IN → ReLU → conv3×3 → IN)(x); without the IN layers
    when ``norm`` is False (decoder blocks after AdaIN: instance norm would
    erase the style statistics AdaIN put in)."""

    def __init__(self,
                 channels: int,
                 spectral_norm: bool = False,
                 norm: bool = True):
        super().__init__()
        self.body = nn.Sequential(
            conv_in_relu(channels, channels, 3, 1, spectral_norm, norm),
            conv(channels, channels, 3, 1, spectral_norm),
            nn.InstanceNorm2d(channels, affine=True)
            if norm else nn.Identity())

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def downsampling_encoder(in_channels: int, base_channels: int,
                         n_downsample: int, n_res: int,
                         spectral_norm: bool) -> nn.Sequential:
    """conv7×7 stem → ``n_downsample`` stride-2 conv4×4 (channels doubled
    each) → ``n_res`` residual blocks."""
    layers = [conv_in_relu(in_channels, base_channels, 7, 1, spectral_norm)]
    channels = base_channels
    for _ in range(n_downsample):
        layers.append(
            conv_in_relu(channels, channels * 2, 4, 2, spectral_norm))
        channels *= 2
    layers += [ResBlock(channels, spectral_norm) for _ in range(n_res)]
    return nn.Sequential(*layers)
