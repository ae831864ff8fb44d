import torch
import torch.nn as nn
from torch import Tensor

from mmseg.registry import MODELS


@MODELS.register_module()
class FrozenBatchNorm2d(nn.Module):
    """Batch normalisation with fixed statistics and affine parameters.

    ``y = (x - running_mean) / sqrt(running_var + eps) * weight + bias``
    per channel, where all four are buffers: no optimizer sees them and
    neither training mode nor a forward pass changes them, so the layer is
    the same function in ``train()`` and ``eval()``. They start at
    ``weight = 1``, ``bias = 0``, ``running_mean = 0``, ``running_var = 1``
    and change only by loading a state dict (the keys of
    ``nn.BatchNorm2d`` without ``num_batches_tracked``).

    RIPU's released DeepLab-v3+ head builds every norm as such a layer and
    never loads statistics into it, so with ``eps=0`` the layer is the
    identity there (``BIT-DA/RIPU:core/models/layers.py``, whose layer has
    no ``eps``; ``docs/methods.md#ripu``). As an mmcv norm config::

        norm_cfg = dict(type='FrozenBatchNorm2d', eps=0.)

    (mmcv's ``build_norm_layer`` sets ``eps=1e-5`` unless the config gives
    one.)

    Args:
        num_features (int): Number of channels.
        eps (float): Added to the variance. Defaults to 0 (RIPU's layer).
    """

    _abbr_ = 'bn'

    def __init__(self, num_features: int, eps: float = 0.):
        super().__init__()
        if eps < 0:
            raise ValueError(f'FrozenBatchNorm2d: eps must be >= 0, got '
                             f'{eps}')
        self.num_features = num_features
        self.eps = eps
        self.register_buffer('weight', torch.ones(num_features))
        self.register_buffer('bias', torch.zeros(num_features))
        self.register_buffer('running_mean', torch.zeros(num_features))
        self.register_buffer('running_var', torch.ones(num_features))

    def forward(self, x: Tensor) -> Tensor:
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale.view(1, -1, 1, 1) + shift.view(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f'{self.num_features}, eps={self.eps}'
