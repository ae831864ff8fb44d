"""Single-network DA methods: the method *is* the deployable segmentor."""
from typing import Dict, Optional, Tuple

import torch.nn as nn
from torch import Tensor

from mmseg.models.segmentors import EncoderDecoder
from mmseg.utils import ConfigType, SampleList

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
