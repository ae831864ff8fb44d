from typing import Dict, List

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList

from ..utils import resize_to_input
from ..utils.association_reduction import (check_reduction,
                                           reduce_for_association)
from ..utils.pixel_affinity import spatial_aggregation_map
from .da_encoder_decoder import DAEncoderDecoder


@MODELS.register_module()
class PLCA(DAEncoderDecoder):
    """PLCA: Pixel-Level Cycle Association (Kang, Wei, Yang, Zhuang,
    Hauptmann, NeurIPS 2020).

    A single-optimizer method whose model is the deployable segmentor (its
    state dict is a plain mmseg ``EncoderDecoder``'s). Each two-domain
    batch is forwarded target first, then source (two forwards: batch-norm
    statistics per domain, as the official code), and minimises

    .. math::

        L = CE(src) + w_{lov} \\, Lov\\acute{a}sz(src)
            + 0.1\\, L_{ass}^{feat} + 0.1\\, L_{ass}^{out}
            + 0.01\\, (L_{lsr}(src) + L_{lsr}(tgt))

    * CE and Lovász-softmax (mmseg's ``LovaszLoss``: ``classes='present'``,
      over the batch, not per image) on the source logits upsampled to the
      label size.
    * :class:`~mmda.models.CycleAssociationLoss` on the layer-4 features
      the decode head reads (cosine, *feature level*) and on the softmax of
      the head's logits at the same resolution (−KL, *output level*),
      source labels nearest-downsampled to that resolution. The maps can
      first be reduced (``association_reduction``: the official
      ``grid_subsample`` / ``downsample``, off by default).
    * :class:`~mmda.models.ThresholdedLSRLoss` (τ = 10) on the logits of
      both domains.

    The Lovász weight is a plain weight: it does not change with the number
    of processes or accumulation steps. The official code multiplies its
    0.75 by GPUs × accumulation steps (2 × 2 in the release), i.e. an
    effective 3.0; its multi-GPU Lovász is computed over the global batch,
    mmseg's over each rank's batch.

    **Test-time aggregation** (``test_time_aggregation``, the official
    ``TEST.WITH_AGGREGATION``): at prediction, the layer-4 features are
    spatially aggregated (cosine, α) before the head, and the softmax
    output again (−KL, α); the scores the model then returns are these
    class probabilities. The exported plain ``EncoderDecoder`` predicts
    without it.

    Args:
        feature_association (dict, optional): The feature-level
            association loss (None: off).
        output_association (dict, optional): The output-level association
            loss (None: off).
        lovasz_loss (dict, optional): The source Lovász-softmax loss (None:
            off).
        lsr_loss (dict, optional): The LSR loss of both domains (None: off).
        association_reduction (dict): ``mode`` (``'none'``,
            ``'grid_subsample'``, ``'downsample'``) and ``scale``.
        test_time_aggregation (dict, optional): ``alpha`` and
            ``block_rows`` of the aggregation at prediction (None: off).
        **kwargs: :class:`EncoderDecoder` arguments.
    """

    def __init__(self,
                 feature_association: OptConfigType = dict(
                     type='CycleAssociationLoss', metric='cos',
                     loss_weight=0.1),
                 output_association: OptConfigType = dict(
                     type='CycleAssociationLoss', metric='kl',
                     loss_weight=0.1),
                 lovasz_loss: OptConfigType = dict(
                     type='LovaszLoss', loss_type='multi_class',
                     classes='present', per_image=False, reduction='none',
                     loss_weight=0.75),
                 lsr_loss: OptConfigType = dict(
                     type='ThresholdedLSRLoss', tau=10., loss_weight=0.01),
                 association_reduction: ConfigType = dict(
                     mode='none', scale=1.0),
                 test_time_aggregation: OptConfigType = None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(self.decode_head.in_index, (list, tuple)):
            raise ValueError('PLCA associates the one backbone feature the '
                             'decode head reads: decode_head.in_index must '
                             'be an int')
        self.feature_association = self._build(feature_association)
        self.output_association = self._build(output_association)
        self.lovasz_loss = self._build(lovasz_loss)
        self.lsr_loss = self._build(lsr_loss)
        unknown = set(association_reduction) - {'mode', 'scale'}
        if unknown:
            raise KeyError(f'association_reduction takes mode and scale, '
                           f'got {sorted(unknown)}')
        self.association_reduction = dict(
            dict(mode='none', scale=1.0), **association_reduction)
        check_reduction(**self.association_reduction)
        if test_time_aggregation is not None:
            unknown = set(test_time_aggregation) - {'alpha', 'block_rows'}
            if unknown:
                raise KeyError(f'test_time_aggregation takes alpha and '
                               f'block_rows, got {sorted(unknown)}')
            test_time_aggregation = dict(test_time_aggregation)
            test_time_aggregation.setdefault('alpha', 0.5)
            test_time_aggregation.setdefault('block_rows', 1024)
        self.test_time_aggregation = test_time_aggregation

    @staticmethod
    def _build(cfg: OptConfigType):
        return None if cfg is None else MODELS.build(cfg)

    # ----------------------------------------------------------- training
    def _forward_domain(self, inputs: Tensor):
        """Backbone features, the head's input (layer 4) and its logits at
        the head's resolution, of one domain."""
        feats = self.extract_feat(inputs)
        return (self.decode_head._transform_inputs(feats),
                self.decode_head.forward(feats))

    def da_loss(self, inputs: Dict[str, Tensor],
                data_samples: Dict[str, SampleList]) -> Dict[str, Tensor]:
        """PLCA's losses of one two-domain batch (target labels, if any,
        are not used)."""
        for stream in ('source', 'target'):
            if stream not in inputs:
                raise KeyError(f'PLCA trains on a batch with "source" and '
                               f'"target" streams, got {sorted(inputs)}')
        # target first, then source: per-domain batch statistics
        feat_t, logits_t = self._forward_domain(inputs['target'])
        feat_s, logits_s = self._forward_domain(inputs['source'])
        src_samples: List = data_samples['source']
        labels = torch.stack([s.gt_sem_seg.data for s in src_samples])

        losses = {
            f'src.{k}': v
            for k, v in self.decode_head.loss_by_feat(
                logits_s, src_samples).items()
        }
        if self.lovasz_loss is not None:
            # in float32: mmseg's Lovász gradient is float32 (its dot
            # product refuses float64 errors)
            logits_up = resize_to_input(logits_s, labels,
                                        self.align_corners).float()
            losses[f'src.{self.lovasz_loss.loss_name}'] = self.lovasz_loss(
                logits_up, labels[:, 0],
                ignore_index=self.decode_head.ignore_index)
        if self.feature_association is not None or \
                self.output_association is not None:
            feat_s, prob_s, labels_s = reduce_for_association(
                feat_s, logits_s, labels, **self.association_reduction)
            feat_t, prob_t, _ = reduce_for_association(
                feat_t, logits_t, None, **self.association_reduction)
            for level, loss, src, tgt in (
                    ('feat', self.feature_association, feat_s, feat_t),
                    ('out', self.output_association, prob_s, prob_t)):
                if loss is not None:
                    losses.update({
                        f'{level}.{k}': v
                        for k, v in loss(src, tgt, labels_s).items()
                    })
        if self.lsr_loss is not None:
            name = self.lsr_loss.loss_name
            losses[f'src.{name}'] = self.lsr_loss(logits_s)
            losses[f'tgt.{name}'] = self.lsr_loss(logits_t)
        return losses

    # ----------------------------------------------------------- prediction
    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Class scores at the input size; with test-time aggregation, the
        aggregated class probabilities (official ``tools/test.py``:
        ``feats ← (1−α)·feats + α·agg_cos(feats)``, ``p = softmax(head)``,
        ``p ← (1−α)·p + α·agg_KL(p)``, then upsampled)."""
        if self.test_time_aggregation is None:
            return super().encode_decode(inputs, batch_img_metas)
        alpha = self.test_time_aggregation['alpha']
        block_rows = self.test_time_aggregation['block_rows']
        feats = list(self.extract_feat(inputs))
        index = self.decode_head.in_index
        feats[index] = spatial_aggregation_map(feats[index], 'cos', alpha,
                                               block_rows)
        probs = F.softmax(self.decode_head.forward(feats), dim=1)
        probs = spatial_aggregation_map(probs, 'kl', alpha, block_rows)
        return self.decode_head.predict_by_feat(probs, batch_img_metas)

    def prediction_mode(self) -> str:
        """How this model predicts, in words (``tools/test.py`` logs it)."""
        if self.test_time_aggregation is None:
            return 'PLCA without test-time aggregation (plain EncoderDecoder)'
        return ('PLCA with test-time aggregation (alpha {alpha}, blocks of '
                '{block_rows} rows): the scores are aggregated class '
                'probabilities'.format(**self.test_time_aggregation))
