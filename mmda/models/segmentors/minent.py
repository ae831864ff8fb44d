from typing import Dict, Optional

from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList

from .da_encoder_decoder import DAEncoderDecoder
from .multi_level_encoder_decoder import (LEVELS, MultiLevelEncoderDecoder,
                                          check_levels)


@MODELS.register_module()
class MinEnt(MultiLevelEncoderDecoder, DAEncoderDecoder):
    """MinEnt: direct entropy minimisation (Vu et al., AdvEnt, CVPR 2019).

    A single-optimizer method: each two-domain batch minimises

    .. math::

        L = \\underbrace{CE_{main} + 0.1\\,CE_{aux}}_{source}
            + \\lambda_{main} L_{ent}(P^{main}_t)
            + \\lambda_{aux} L_{ent}(P^{aux}_t)

    where :math:`L_{ent}` is the mean normalised entropy of the target
    prediction (:class:`~mmda.models.EntropyLoss`), λ = 0.001 (main) and
    0.0002 (aux), both levels upsampled to the input size. The entropy
    losses are the target terms ``entropy_main`` / ``entropy_aux`` of
    :class:`DAEncoderDecoder` (logged ``tgt.<level>.loss_ent``);
    ``target_losses`` adds others on either level. The model is a
    :class:`MultiLevelEncoderDecoder` (mmseg ``EncoderDecoder`` weights); a
    single-domain batch trains it as an ordinary segmentor.

    Args:
        entropy_losses (dict[str, dict]): level (``main``, ``aux``) → the
            entropy loss config of that level.
        target_losses (dict[str, dict], optional): Further target terms
            (with ``level='main'`` or ``'aux'``).
        **kwargs: :class:`EncoderDecoder` arguments (with an
            ``auxiliary_head``).
    """

    term_levels = LEVELS

    def __init__(self,
                 entropy_losses: Dict[str, ConfigType] = dict(
                     main=dict(type='EntropyLoss', loss_weight=0.001),
                     aux=dict(type='EntropyLoss', loss_weight=0.0002)),
                 target_losses: Optional[Dict[str, ConfigType]] = None,
                 **kwargs):
        check_levels('MinEnt', 'entropy_losses', entropy_losses)
        terms = {
            f'entropy_{level}': dict(cfg, level=level)
            for level, cfg in entropy_losses.items()
        }
        clash = sorted(set(terms) & set(target_losses or {}))
        if clash:
            raise KeyError(f'MinEnt: target_losses {clash} are set by '
                           'entropy_losses (set entropy_losses instead)')
        super().__init__(
            target_losses=dict(terms, **(target_losses or {})), **kwargs)

    def da_loss(self, inputs: Dict[str, Tensor],
                data_samples: Dict[str, SampleList]) -> Dict[str, Tensor]:
        """Source CE of both levels and the target terms of both levels."""
        losses = self.level_losses(
            self.level_logits(inputs['source']), data_samples['source'],
            prefix='src.')
        losses.update(
            self.target_term_losses(self.level_logits(inputs['target'])))
        return losses
