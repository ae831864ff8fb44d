from torch import Tensor

from mmseg.models.utils import resize


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
