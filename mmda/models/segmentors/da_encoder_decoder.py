"""Single-network DA methods: the method *is* the deployable segmentor."""
from typing import Dict, Union

import torch.nn as nn
from torch import Tensor

from mmseg.models.segmentors import EncoderDecoder
from mmseg.utils import SampleList


class DAEncoderDecoder(EncoderDecoder):
    """Base of the DA methods whose model is itself an mmseg
    ``EncoderDecoder`` (RIPU, MinEnt, PLCA): its state dict loads into
    mmseg's ``EncoderDecoder`` as it is, and only training differs.

    :meth:`loss` takes either an ordinary single-domain batch (trained as
    the plain ``EncoderDecoder``: source-only, the oracle, stage 2 of
    IntraDA) or a named-stream batch from
    :class:`~mmda.models.DADataPreprocessor` (``inputs`` and
    ``data_samples`` are dicts keyed by stream, e.g. ``source`` and
    ``target``), which goes to :meth:`da_loss`.

    The method interface (see :class:`~mmda.models.BaseDAModel`) holds with
    the model itself as the deployable segmentor.
    """

    deploy_child: str = ''

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

    def loss(self, inputs: Union[Tensor, Dict[str, Tensor]],
             data_samples: Union[SampleList, Dict[str, SampleList]]
             ) -> Dict[str, Tensor]:
        if not isinstance(inputs, dict):
            return super().loss(inputs, data_samples)
        return self.da_loss(inputs, data_samples)

    def da_loss(self, inputs: Dict[str, Tensor],
                data_samples: Dict[str, SampleList]) -> Dict[str, Tensor]:
        """The method's losses of one named-stream batch."""
        raise NotImplementedError(
            f'{type(self).__name__} defines no domain-adaptation loss: '
            'implement da_loss()')
