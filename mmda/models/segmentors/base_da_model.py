"""The method interface of mmda: what every domain-adaptation model is.

A DA method either *is* the deployable segmentor (single-network methods:
RIPU, MinEnt, PLCA, subclasses of :class:`DAEncoderDecoder`) or *wraps* it
beside other trainable networks (AdvEnt's discriminators, a mean teacher,
GIO-Ada's image transform network: subclasses of :class:`BaseDAModel`).
Tools never guess the model's shape: they call
:func:`~mmda.models.segmentors.deployable_segmentor` and
:func:`~mmda.models.segmentors.segmentor_cfg`, which use this interface.

Modelled on mmdet 3.x's ``SemiBaseDetector``: the wrapping model owns its
networks as named children, sends ``predict``/``tensor`` calls and
single-domain batches to the deployable child, and keeps checkpoint keys
free of DDP wrappers (``segmentor.backbone...`` also when each child was
wrapped by ``MMSeparateDistributedDataParallel``).
"""
from typing import Dict, Optional, Union

import torch.nn as nn
from mmengine.model import BaseModel
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList

from ..utils import register_wrapper_free_state_dict, unwrap
from .da_method import DAMethodMixin


class BaseDAModel(DAMethodMixin, BaseModel):
    """Base of the DA methods that wrap a deployable segmentor.

    Subclasses build their other networks in ``__init__`` after calling
    ``super().__init__`` and implement :meth:`da_loss` (single optimizer:
    the DDP wrapper's fixed step calls ``forward(mode='loss')``) or override
    ``train_step`` (several optimizers, e.g. adversarial methods; they
    check their batch with :meth:`check_streams`). Streams and the loss
    dispatch: :class:`DAMethodMixin`.

    Class attributes:
        deploy_child (str): Name of the child that is the deployable
            segmentor (an mmseg ``EncoderDecoder``): evaluated by
            ``tools/test.py`` and written by ``tools/export_segmentor.py``.
            The constructor argument of the same name holds its config.
        streams (tuple[str]): The named streams a training batch must have
            (see :class:`DAMethodMixin`).

    Args:
        segmentor (dict): Config of the deployable segmentor; stored as the
            child named :attr:`deploy_child`.
        data_preprocessor (dict, optional): The model's data preprocessor
            (a :class:`~mmda.models.DADataPreprocessor` for named-stream
            batches).
        init_cfg (dict, optional): Initialisation config.
    """

    deploy_child: str = 'segmentor'

    def __init__(self,
                 segmentor: ConfigType,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.add_module(self.deploy_child, MODELS.build(segmentor))
        # checkpoint keys read <child>.* also when children are DDP-wrapped
        register_wrapper_free_state_dict(self)

    # --------------------------------------------------------- interface
    @classmethod
    def predicted_child(cls, model_cfg: dict) -> str:
        """Name of the child that models built from ``model_cfg``
        evaluate and export (:attr:`deploy_child`; a method whose config
        chooses, e.g. a mean teacher's ``test_cfg.predict_on``, overrides
        this)."""
        return cls.deploy_child

    @property
    def deployable(self) -> nn.Module:
        """The deployable segmentor, outside any DDP wrapper."""
        return unwrap(getattr(self, self.deploy_child))

    @property
    def deploy_prefix(self) -> str:
        """Key prefix of the deployable segmentor in this model's state
        dict (``'segmentor.'``)."""
        return f'{self.deploy_child}.'

    def load_segmentor_state_dict(self, state_dict: Dict[str, Tensor],
                                  strict: bool = True):
        """Load plain mmseg ``EncoderDecoder`` weights into the deployable
        segmentor (e.g. a source-only checkpoint to start adaptation)."""
        return self.deployable.load_state_dict(state_dict, strict=strict)

    # --------------------------------------------------------- forward
    def forward(self,
                inputs: Union[Tensor, Dict[str, Tensor]],
                data_samples: Optional[Union[SampleList,
                                             Dict[str, SampleList]]] = None,
                mode: str = 'tensor'):
        """``'loss'`` goes to :meth:`loss`; everything else (prediction,
        tensors) goes to the deployable segmentor."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return getattr(self, self.deploy_child)(
            inputs, data_samples, mode=mode)

    def single_domain_loss(self, inputs: Tensor,
                           data_samples: SampleList) -> Dict[str, Tensor]:
        """A single-domain batch trains the deployable segmentor alone."""
        return getattr(self, self.deploy_child)(
            inputs, data_samples, mode='loss')
