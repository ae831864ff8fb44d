from typing import Dict

import torch.nn as nn
from torch import Tensor

from mmseg.models.losses import accuracy
from mmseg.models.utils import resize
from mmseg.utils import SampleList


def resize_to_input(logits: Tensor, inputs: Tensor,
                    align_corners: bool) -> Tensor:
    """Class scores bilinearly upsampled to the (padded) input size, where
    the adaptation losses and scores of mmda's methods are computed."""
    return resize(
        logits,
        size=inputs.shape[2:],
        mode='bilinear',
        align_corners=align_corners)


def main_logits_at_input(segmentor, inputs: Tensor) -> Tensor:
    """The decode head's class scores of ``inputs`` at the input size (one
    backbone pass, no auxiliary head)."""
    return resize_to_input(
        segmentor.decode_head(segmentor.extract_feat(inputs)), inputs,
        segmentor.align_corners)


def losses_at_label_size(head, seg_logits: Tensor,
                         data_samples: SampleList) -> Dict[str, Tensor]:
    """``head.loss_by_feat(seg_logits, data_samples)`` for class scores
    that may already be at the labels' size.

    mmseg's ``loss_by_feat`` always resizes the scores to the labels' size
    first; for scores already at that size (the methods' scores at the
    input size) that bilinear resize is an exact copy which still costs an
    upsampling pass and its backward. Here it is skipped; the losses and
    the accuracy are mmseg's, computed on the same numbers. Scores of
    another size go to ``loss_by_feat`` as they are.
    """
    seg_label = head._stack_batch_gt(data_samples)
    if seg_logits.shape[2:] != seg_label.shape[2:]:
        return head.loss_by_feat(seg_logits, data_samples)
    seg_weight = None
    if head.sampler is not None:
        seg_weight = head.sampler.sample(seg_logits, seg_label)
    seg_label = seg_label.squeeze(1)
    losses_decode = head.loss_decode
    if not isinstance(losses_decode, nn.ModuleList):
        losses_decode = [losses_decode]
    losses = {}
    for loss_decode in losses_decode:
        value = loss_decode(
            seg_logits,
            seg_label,
            weight=seg_weight,
            ignore_index=head.ignore_index)
        name = loss_decode.loss_name
        losses[name] = value if name not in losses else losses[name] + value
    losses['acc_seg'] = accuracy(
        seg_logits, seg_label, ignore_index=head.ignore_index)
    return losses
