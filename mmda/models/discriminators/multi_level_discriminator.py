from typing import Dict

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType


@MODELS.register_module()
class MultiLevelDiscriminator(BaseModule):
    """One discriminator per output level of a multi-level segmentor.

    AdvEnt adapts the main (layer4) and auxiliary (layer3) predictions with
    a discriminator each. Holding them in one module gives adversarial
    methods a single trainable child: one optimizer, one DDP wrapper
    (``MMSeparateDistributedDataParallel`` wraps each child of the model),
    one entry of the checkpoint.

    Args:
        discriminators (dict[str, dict]): level name → discriminator config,
            e.g. ``dict(main=dict(type='FCDiscriminator', in_channels=19),
            aux=dict(type='FCDiscriminator', in_channels=19))``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, discriminators: Dict[str, ConfigType], init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if not discriminators:
            raise ValueError('MultiLevelDiscriminator needs at least one '
                             'level in `discriminators`')
        self.levels = nn.ModuleDict(
            {name: MODELS.build(cfg)
             for name, cfg in discriminators.items()})

    @property
    def level_names(self):
        return list(self.levels.keys())

    def forward(self, maps: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Level name → input maps, to level name → domain logits (only the
        levels given)."""
        unknown = sorted(set(maps) - set(self.levels))
        if unknown:
            raise KeyError(f'MultiLevelDiscriminator has levels '
                           f'{self.level_names}, got maps for {unknown}')
        return {name: self.levels[name](x) for name, x in maps.items()}
