from typing import Dict

import torch.nn as nn
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType

from .multi_level_encoder_decoder import (MultiLevelEncoderDecoder,
                                          check_levels)


@MODELS.register_module()
class MinEnt(MultiLevelEncoderDecoder):
    """MinEnt: direct entropy minimisation (Vu et al., AdvEnt, CVPR 2019).

    A single-optimizer method: each two-domain batch minimises

    .. math::

        L = \\underbrace{CE_{main} + 0.1\\,CE_{aux}}_{source}
            + \\lambda_{main} L_{ent}(P^{main}_t)
            + \\lambda_{aux} L_{ent}(P^{aux}_t)

    where :math:`L_{ent}` is the mean normalised entropy of the target
    prediction (:class:`~mmda.models.EntropyLoss`), λ = 0.001 (main) and
    0.0002 (aux), both levels upsampled to the input size. The model is a
    :class:`MultiLevelEncoderDecoder` (mmseg ``EncoderDecoder`` weights); a
    single-domain batch trains it as an ordinary segmentor.

    Args:
        entropy_losses (dict[str, dict]): level (``main``, ``aux``) → the
            entropy loss config of that level.
        **kwargs: :class:`EncoderDecoder` arguments (with an
            ``auxiliary_head``).
    """

    def __init__(self,
                 entropy_losses: Dict[str, ConfigType] = dict(
                     main=dict(type='EntropyLoss', loss_weight=0.001),
                     aux=dict(type='EntropyLoss', loss_weight=0.0002)),
                 **kwargs):
        super().__init__(**kwargs)
        check_levels('MinEnt', 'entropy_losses', entropy_losses)
        self.entropy_losses = nn.ModuleDict({
            level: MODELS.build(cfg)
            for level, cfg in entropy_losses.items()
        })

    def loss(self, inputs, data_samples) -> Dict[str, Tensor]:
        """Source CE of both levels and target entropy of both levels."""
        if not isinstance(inputs, dict):
            return super().loss(inputs, data_samples)
        losses = self.level_losses(
            self.level_logits(inputs['source']), data_samples['source'],
            prefix='src.')
        tgt_levels = self.level_logits(inputs['target'])
        for level, loss in self.entropy_losses.items():
            losses[f'tgt.{level}.{loss.loss_name}'] = loss(tgt_levels[level])
        return losses
