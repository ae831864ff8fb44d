"""Single-network DA methods: the method *is* the deployable segmentor."""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.models.segmentors import EncoderDecoder
from mmseg.utils import ConfigType, OptSampleList, SampleList

from ..utils import TargetLosses
from .da_method import DAMethodMixin


class DAEncoderDecoder(DAMethodMixin, EncoderDecoder):
    """Base of the DA methods whose model is itself an mmseg
    ``EncoderDecoder`` (RIPU, MinEnt, PLCA): its state dict loads into
    mmseg's ``EncoderDecoder`` as it is, and only training differs.

    :meth:`loss` takes either an ordinary single-domain batch (trained as
    the plain ``EncoderDecoder``: source-only, the oracle, stage 2 of
    IntraDA) or a named-stream batch from
    :class:`~mmda.models.DADataPreprocessor` (``inputs`` and
    ``data_samples`` are dicts keyed by stream, e.g. ``source`` and
    ``target``): its streams are checked against :attr:`streams` and it
    goes to :meth:`da_loss`, which a method implements.

    **Target terms.** ``target_losses`` adds registered, parameter-free
    loss modules on the target stream's class scores at the input size
    (:class:`~mmda.models.utils.TargetLosses`): RIPU's negative learning and
    MinEnt's entropy are such terms, and a config combines them, e.g. RIPU's
    active labels plus an entropy term::

        model = dict(type='RIPU', target_losses=dict(
            entropy=dict(type='EntropyLoss', loss_weight=0.01)))

    A method's :meth:`da_loss` calls :meth:`target_term_losses` with the
    target scores of its levels.

    **Flip averaging** (``test_cfg=dict(mode='whole', flip=True)``, RIPU's
    evaluation, ``BIT-DA/RIPU:test.py``): the prediction is the mean of the
    softmax of the image and of its horizontally flipped copy, flipped
    back, each upsampled to the label size first (with the head's
    ``align_corners``); validation and test both use it. The samples'
    ``seg_logits`` hold the log of that mean (its softmax is the mean).
    :class:`~mmda.engine.ActiveSelectionHook` scores without it
    (:func:`~mmda.models.utils.without_test_flip`), as the original's
    acquisition does. mmseg's ``EncoderDecoder`` has no such option:
    ``tools/export_segmentor.py`` drops it and says so.

    The method interface (see :class:`~mmda.models.BaseDAModel`) holds with
    the model itself as the deployable segmentor.

    Class attributes:
        streams (tuple[str]): The named streams a batch must have (see
            :class:`DAMethodMixin`).
        term_levels (tuple[str]): The levels target terms may use
            (``'main'``; multi-level methods add ``'aux'``).

    Args:
        target_losses (dict[str, dict], optional): term name → loss config
            (with an optional ``level``).
        **kwargs: :class:`EncoderDecoder` arguments.
    """

    deploy_child: str = ''
    term_levels: Tuple[str, ...] = ('main', )

    def __init__(self,
                 target_losses: Optional[Dict[str, ConfigType]] = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.target_losses = TargetLosses(
            type(self).__name__, target_losses, self.term_levels)
        flip = self.test_cfg.get('flip', False) if self.test_cfg else False
        if not isinstance(flip, bool):
            raise TypeError(f'{type(self).__name__}: test_cfg.flip must be '
                            f'True or False, got {flip!r}')
        if flip and self.out_channels == 1:
            raise ValueError(f'{type(self).__name__}: test_cfg.flip averages '
                             'class probabilities; the head has one output '
                             'channel')

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """mmseg's prediction, or with ``test_cfg.flip`` the mean of the
        class probabilities of the image and of its mirror image."""
        if not (self.test_cfg and self.test_cfg.get('flip', False)):
            return super().predict(inputs, data_samples)
        if data_samples is None:
            batch_img_metas = [
                dict(ori_shape=inputs.shape[2:], img_shape=inputs.shape[2:],
                     pad_shape=inputs.shape[2:], padding_size=[0, 0, 0, 0])
            ] * inputs.shape[0]
        else:
            batch_img_metas = [s.metainfo for s in data_samples]
        logits = self.inference(inputs, batch_img_metas)
        mirrored = self.inference(inputs.flip(-1), batch_img_metas).flip(-1)
        # both score maps cropped and upsampled to the label size alike,
        # then averaged as probabilities
        samples = self.postprocess_result(
            torch.cat([logits, mirrored], dim=1), data_samples)
        for sample in samples:
            plain, flipped = sample.seg_logits.data.chunk(2, dim=0)
            probs = (plain.softmax(dim=0) + flipped.softmax(dim=0)) / 2
            sample.set_data(
                dict(
                    seg_logits=PixelData(data=probs.log()),
                    pred_sem_seg=PixelData(
                        data=probs.argmax(dim=0, keepdim=True))))
        return samples

    def prediction_mode(self) -> str:
        """How this model predicts, in words (``tools/test.py`` logs it)."""
        if self.test_cfg and self.test_cfg.get('flip', False):
            return (f'{type(self).__name__} with horizontal-flip averaging '
                    '(test_cfg.flip)')
        return type(self).__name__

    @property
    def deployable(self) -> nn.Module:
        """The deployable segmentor: the model itself."""
        return self

    @property
    def deploy_prefix(self) -> str:
        """Checkpoint keys are plain ``EncoderDecoder`` keys."""
        return ''

    def load_segmentor_state_dict(self, state_dict: Dict[str, Tensor],
                                  strict: bool = True):
        """Load plain mmseg ``EncoderDecoder`` weights."""
        return self.load_state_dict(state_dict, strict=strict)

    def single_domain_loss(self, inputs: Tensor,
                           data_samples: SampleList) -> Dict[str, Tensor]:
        """Trained as the plain ``EncoderDecoder``."""
        return EncoderDecoder.loss(self, inputs, data_samples)

    def target_term_losses(self, level_logits: Dict[str, Tensor],
                           prefix: str = 'tgt.') -> Dict[str, Tensor]:
        """The configured target terms on the target scores of each level
        (``{'main': N×C×H×W, ...}`` at the input size)."""
        return self.target_losses(level_logits, prefix)
