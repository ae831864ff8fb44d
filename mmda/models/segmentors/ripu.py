from typing import Dict, List, Optional

import torch
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList

from ..utils import losses_at_label_size, main_logits_at_input
from .da_encoder_decoder import DAEncoderDecoder

#: RIPU's negative learning as a target term of :class:`DAEncoderDecoder`.
NEGATIVE_TERM = 'negative_learning'


@MODELS.register_module()
class RIPU(DAEncoderDecoder):
    """RIPU: active domain adaptation by Region Impurity and Prediction
    Uncertainty (Xie et al., CVPR 2022).

    The segmentor is a plain :class:`EncoderDecoder` (a
    :class:`DAEncoderDecoder`: its state dict loads into mmseg's
    ``EncoderDecoder``); only training differs. Each iteration
    takes a two-domain batch from :class:`~mmda.models.DADataPreprocessor`
    and minimises, with logits bilinearly upsampled to the input size,

    .. math::

        L = CE(src) + w_t \\cdot CE(tgt \\text{ on labelled pixels})
            + L_{cr}(src) + L_{nl}(tgt)

    * ``CE(tgt)`` uses the labels of the regions picked so far by the
      active-selection hook (:class:`~mmda.engine.ActiveSelectionHook`);
      unlabelled target pixels are 255 and ignored.
    * ``L_cr`` is the local consistency regulariser
      (:class:`~mmda.models.LocalConsistencyLoss`, weight 0.1).
    * ``L_nl`` is negative learning on the target
      (:class:`~mmda.models.NegativeLearningLoss`, τ = 0.05, weight 1.0),
      the target term ``negative_learning``; ``target_losses`` adds others
      (e.g. MinEnt's entropy, see :class:`DAEncoderDecoder`).

    Acquisition itself (region scores, greedy selection) lives in
    :mod:`mmda.active` and the hook; a batch without ``source``/``target``
    keys trains as an ordinary ``EncoderDecoder``.

    Args:
        negative_loss (dict, optional): Config of the negative learning
            loss (None: no negative learning).
        consistency_loss (dict): Config of the local consistency loss.
        target_loss_weight (float): Weight of the target CE. Defaults to 1.
        target_losses (dict[str, dict], optional): Further target terms,
            applied after negative learning.
        **kwargs: :class:`EncoderDecoder` arguments.
    """

    def __init__(self,
                 negative_loss: OptConfigType = dict(
                     type='NegativeLearningLoss', tau=0.05, loss_weight=1.0),
                 consistency_loss: ConfigType = dict(
                     type='LocalConsistencyLoss',
                     region='boundary',
                     loss_weight=0.1),
                 target_loss_weight: float = 1.0,
                 target_losses: Optional[Dict[str, ConfigType]] = None,
                 **kwargs):
        terms = dict(target_losses or {})
        if NEGATIVE_TERM in terms:
            raise KeyError(f'RIPU: target_losses.{NEGATIVE_TERM} is set by '
                           'negative_loss (set negative_loss instead)')
        if negative_loss is not None:
            terms = {NEGATIVE_TERM: negative_loss, **terms}
        super().__init__(target_losses=terms, **kwargs)
        self.consistency_loss = MODELS.build(consistency_loss)
        self.target_loss_weight = target_loss_weight

    @staticmethod
    def _stack_labels(data_samples: SampleList) -> Tensor:
        return torch.stack([s.gt_sem_seg.data for s in data_samples])

    @staticmethod
    def _has_labels(data_samples: SampleList) -> bool:
        return all('gt_sem_seg' in s for s in data_samples)

    def _prefixed(self, losses: Dict[str, Tensor],
                  prefix: str) -> Dict[str, Tensor]:
        return {f'{prefix}.{k}': v for k, v in losses.items()}

    def da_loss(self, inputs: Dict[str, Tensor],
                data_samples: Dict[str, SampleList]) -> Dict[str, Tensor]:
        """Source and target losses of one two-domain batch."""
        losses = {}
        src_samples: List = data_samples['source']
        src_logits = main_logits_at_input(self, inputs['source'])
        losses.update(
            self._prefixed(
                losses_at_label_size(self.decode_head, src_logits,
                                     src_samples),
                'src'))
        losses[f'src.{self.consistency_loss.loss_name}'] = \
            self.consistency_loss(src_logits, self._stack_labels(src_samples))

        tgt_samples: List = data_samples['target']
        tgt_logits = main_logits_at_input(self, inputs['target'])
        if self._has_labels(tgt_samples):
            tgt_ce = losses_at_label_size(self.decode_head, tgt_logits,
                                          tgt_samples)
            tgt_ce = {
                k: (v * self.target_loss_weight if 'loss' in k else v)
                for k, v in tgt_ce.items()
            }
            losses.update(self._prefixed(tgt_ce, 'tgt'))
        losses.update(self.target_term_losses(dict(main=tgt_logits)))
        return losses
