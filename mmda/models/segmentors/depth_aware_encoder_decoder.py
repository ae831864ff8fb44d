from typing import Tuple

from torch import Tensor

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import OptSampleList

from ..utils import resize_to_input


@MODELS.register_module()
class DepthAwareEncoderDecoder(EncoderDecoder):
    """The segmentation half of a task network whose encoder a depth head
    shares (GIO-Ada's task network T, DADA).

    It adds the ``'features'`` forward mode: one encoder pass returning the
    encoder features (for the depth head) and the decode head's class
    scores at the input resolution. The depth head is *not* a child of
    this segmentor but of the method (:class:`~mmda.models.GIOAda`'s
    ``depth_head``), so this module's state dict, prediction and plain
    training are exactly :class:`EncoderDecoder`'s: the adapted weights
    load in mmseg alone and ``tools/export_segmentor.py`` writes them as a
    plain ``EncoderDecoder``.

    The method calls the segmentor through its forward (``mode=
    'features'``) so that a DDP wrapper synchronises its gradients.
    """

    def features_and_logits(self, inputs: Tensor) -> Tuple[tuple, Tensor]:
        """``(encoder features, N×C×H×W class scores at the input size)``
        (the decode head only; an auxiliary head is not evaluated)."""
        feats = self.extract_feat(inputs)
        logits = resize_to_input(
            self.decode_head(feats), inputs, self.align_corners)
        return feats, logits

    def forward(self,
                inputs: Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor'):
        """mmseg's modes (``'tensor'``, ``'predict'``, ``'loss'``) plus
        ``'features'``: :meth:`features_and_logits`."""
        if mode == 'features':
            return self.features_and_logits(inputs)
        return super().forward(inputs, data_samples, mode)
