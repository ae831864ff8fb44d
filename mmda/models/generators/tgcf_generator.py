import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import OptConfigType

from .adain import adaptive_instance_norm
from .blocks import ResBlock, conv, conv_in_relu, downsampling_encoder


class AdaINDecoder(nn.Module):
    """Renders an image from the AdaIN bottleneck: ``n_res`` residual blocks
    → ``n_upsample`` × (nearest ×2 → conv5×5 → ReLU, channels halved) →
    conv7×7 → tanh. No normalisation layers (they would undo AdaIN's
    statistics; Huang & Belongie's decoder has none either)."""

    def __init__(self, in_channels: int, out_channels: int, n_upsample: int,
                 n_res: int, spectral_norm: bool):
        super().__init__()
        layers = [
            ResBlock(in_channels, spectral_norm, norm=False)
            for _ in range(n_res)
        ]
        channels = in_channels
        for _ in range(n_upsample):
            layers += [
                nn.Upsample(scale_factor=2, mode='nearest'),
                conv_in_relu(channels, channels // 2, 5, 1, spectral_norm,
                             norm=False)
            ]
            channels //= 2
        layers += [conv(channels, out_channels, 7, 1, spectral_norm),
                   nn.Tanh()]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


@MODELS.register_module()
class TGCFGenerator(BaseModule):
    """The target-guided, cycle-free generator of TGCF-DA (Choi, Kim & Kim,
    ICCV 2019): :math:`x_g = G(x_s, x_t)`.

    A *source (content) encoder* :math:`E_c` maps the source image to
    content features, a *target (style) encoder* :math:`E_s` maps a target
    image to features whose channel statistics are the style; AdaIN joins
    them at the bottleneck, :math:`AdaIN(E_c(x_s), E_s(x_t))`, and a decoder
    renders the image, which keeps the source layout (so :math:`y_s` is its
    label). No inverse generator, no cycle loss.

    The paper gives none of the sizes; every one is a key here, with a
    design default (MUNIT-like: conv7×7 stem, stride-2 conv4×4
    downsampling, residual blocks with instance norm; a norm-free decoder as
    Huang & Belongie's; spectral norm on every conv, which the paper applies
    "in G and D"). Images are in [−1, 1]; the output size equals the input
    size when it is divisible by ``2 ** n_downsample``.

    Args:
        in_channels (int): Image channels. Defaults to 3.
        base_channels (int): Channels of the stem (doubled per
            downsampling). Defaults to 64.
        n_downsample (int): Stride-2 stages of both encoders (and
            upsampling stages of the decoder). Defaults to 2.
        n_res (int): Residual blocks of the content encoder and of the
            decoder. Defaults to 4.
        spectral_norm (bool): Spectral norm on every conv. Defaults to True.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 3,
                 base_channels: int = 64,
                 n_downsample: int = 2,
                 n_res: int = 4,
                 spectral_norm: bool = True,
                 init_cfg: OptConfigType = None):
        super().__init__(init_cfg=init_cfg)
        for name, value, low in (('base_channels', base_channels, 1),
                                 ('n_downsample', n_downsample, 0),
                                 ('n_res', n_res, 0)):
            if not isinstance(value, int) or value < low:
                raise ValueError(f'TGCFGenerator: {name} must be an integer '
                                 f'>= {low}, got {value!r}')
        self.size_divisor = 2**n_downsample
        self.content_encoder = downsampling_encoder(
            in_channels, base_channels, n_downsample, n_res, spectral_norm)
        # only the feature statistics of the style encoder are used
        self.style_encoder = downsampling_encoder(
            in_channels, base_channels, n_downsample, 0, spectral_norm)
        self.decoder = AdaINDecoder(base_channels * self.size_divisor,
                                    in_channels, n_downsample, n_res,
                                    spectral_norm)

    def forward(self, source: Tensor, target: Tensor) -> Tensor:
        """:math:`G(x_s, x_t)` for N source and N target images (sizes may
        differ between the two)."""
        if source.shape[0] != target.shape[0]:
            raise ValueError(
                'TGCFGenerator: one target (style) image per source image, '
                f'got {source.shape[0]} and {target.shape[0]}')
        h, w = source.shape[2:]
        if h % self.size_divisor or w % self.size_divisor:
            raise ValueError(
                f'TGCFGenerator: source size {h}x{w} is not divisible by '
                f'{self.size_divisor} (pad with the data preprocessor\'s '
                'size_divisor)')
        content = self.content_encoder(source)
        style = self.style_encoder(target)
        return self.decoder(adaptive_instance_norm(content, style))
