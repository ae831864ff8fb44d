from collections import OrderedDict
from typing import Dict

import torch.nn as nn
from torch import Tensor

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import OptSampleList, SampleList

from ..utils import losses_at_label_size, resize_to_input

#: Output levels: ``main`` is the decode head (layer4 in DeepLab-v2),
#: ``aux`` the auxiliary head (layer3).
LEVELS = ('main', 'aux')


def check_levels(owner: str, what: str, names) -> None:
    """Refuse level names other than :data:`LEVELS` (naming the setting)."""
    unknown = sorted(set(names) - set(LEVELS))
    if unknown:
        raise KeyError(f'{owner}: {what} levels must be among {LEVELS}, got '
                       f'{unknown}')


@MODELS.register_module()
class MultiLevelEncoderDecoder(EncoderDecoder):
    """An :class:`EncoderDecoder` whose two heads are both adapted.

    AdvEnt / MinEnt / IntraDA predict from two levels of DeepLab-v2: the
    main classifier on layer4 (``decode_head``) and an auxiliary one on
    layer3 (``auxiliary_head``), and align both. This class only adds the
    ``'levels'`` forward mode, which returns both levels' class scores at
    the input resolution; training as a plain segmentor, prediction (main
    head only) and the state dict are exactly :class:`EncoderDecoder`'s, so
    the adapted weights load in mmseg alone.

    Adversarial wrappers call the segmentor through its forward (``mode=
    'levels'``) so that a DDP wrapper synchronises its gradients.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.with_auxiliary_head or isinstance(
                self.auxiliary_head, nn.ModuleList):
            raise ValueError(
                f'{type(self).__name__} needs exactly one auxiliary_head '
                '(the layer3 classifier of the multi-level recipe)')

    def level_logits(self, inputs: Tensor) -> Dict[str, Tensor]:
        """Class scores of every level, bilinearly upsampled to the input
        size: ``OrderedDict(main=N×C×H×W, aux=N×C×H×W)``."""
        feats = self.extract_feat(inputs)
        return OrderedDict(
            (name, resize_to_input(head(feats), inputs, self.align_corners))
            for name, head in (('main', self.decode_head),
                               ('aux', self.auxiliary_head)))

    def level_losses(self,
                     levels: Dict[str, Tensor],
                     data_samples: SampleList,
                     prefix: str = '') -> Dict[str, Tensor]:
        """Supervised losses of both levels with the heads' own loss configs
        (AdvEnt: CE_main + 0.1·CE_aux), keyed like
        :meth:`EncoderDecoder.loss` (``decode.*``, ``aux.*``) after
        ``prefix``.

        Parameter-free: it only scores ``levels`` against the labels.
        """
        losses = {}
        for name_prefix, head, name in (('decode', self.decode_head, 'main'),
                                        ('aux', self.auxiliary_head, 'aux')):
            for key, value in losses_at_label_size(
                    head, levels[name], data_samples).items():
                losses[f'{prefix}{name_prefix}.{key}'] = value
        return losses

    def forward(self,
                inputs: Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor'):
        """mmseg's modes (``'tensor'``, ``'predict'``, ``'loss'``) plus
        ``'levels'``: :meth:`level_logits`."""
        if mode == 'levels':
            return self.level_logits(inputs)
        return super().forward(inputs, data_samples, mode)
