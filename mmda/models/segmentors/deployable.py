"""Find the deployable segmentor of any mmda model or model config.

The one place that knows the method interface's two shapes (a method that
*is* the segmentor, :class:`DAEncoderDecoder`, or one that *wraps* it,
:class:`BaseDAModel`); export, entropy ranking, the ensemble and the tools
call these functions instead of guessing.
"""
from typing import Tuple

import torch.nn as nn
from mmengine.config import ConfigDict

from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS

from ..utils import unwrap
from .base_da_model import BaseDAModel


def deployable_segmentor(model: nn.Module) -> nn.Module:
    """The deployable mmseg segmentor of ``model`` (unwrapped).

    Raises:
        TypeError: for a model that is neither an mmda method nor an mmseg
            segmentor, naming its type.
    """
    model = unwrap(model)
    if isinstance(model, BaseDAModel):
        return model.deployable
    if isinstance(model, BaseSegmentor):
        return model
    raise TypeError(
        f'{type(model).__name__} is neither an mmda method (BaseDAModel, '
        'DAEncoderDecoder) nor an mmseg segmentor: no deployable segmentor')


def model_class(model_cfg: dict) -> type:
    """The registered class a model config builds."""
    typ = model_cfg.get('type')
    cls = typ if isinstance(typ, type) else MODELS.get(typ)
    if cls is None:
        raise KeyError(f'model type {typ!r} is not registered in mmseg\'s '
                       'MODELS (is custom_imports missing mmda?)')
    return cls


def segmentor_cfg(model_cfg: dict) -> ConfigDict:
    """The config of the deployable segmentor inside ``model_cfg`` (the
    config itself for methods that are the segmentor)."""
    cls = model_class(model_cfg)
    if issubclass(cls, BaseDAModel):
        if cls.deploy_child not in model_cfg:
            raise KeyError(f'{cls.__name__} config has no '
                           f'{cls.deploy_child!r} (its deployable '
                           'segmentor)')
        return model_cfg[cls.deploy_child]
    return model_cfg


def deploy_prefix(model_cfg: dict) -> str:
    """Key prefix of the deployable segmentor in checkpoints of models
    built from ``model_cfg`` (``''`` or e.g. ``'segmentor.'``)."""
    cls = model_class(model_cfg)
    return f'{cls.deploy_child}.' if issubclass(cls, BaseDAModel) else ''


def split_segmentor_state(state_dict: dict,
                          prefix: str) -> Tuple[dict, dict]:
    """``(segmentor weights with plain keys, the other entries)``."""
    if not prefix:
        return dict(state_dict), {}
    seg = {k[len(prefix):]: v for k, v in state_dict.items()
           if k.startswith(prefix)}
    rest = {k: v for k, v in state_dict.items() if not k.startswith(prefix)}
    return seg, rest


def prediction_mode(model: nn.Module) -> str:
    """How ``model`` predicts, in words, for the test logs: the segmentor's
    own description when it has one (e.g. PLCA with or without test-time
    aggregation), else its class; test-time augmentation is named."""
    model = unwrap(model)
    tta = ''
    inner = getattr(model, 'module', None)
    if not isinstance(model, BaseSegmentor) and isinstance(inner, nn.Module):
        tta, model = f' under {type(model).__name__}', unwrap(inner)
    try:
        segmentor = deployable_segmentor(model)
    except TypeError:  # not an mmda method nor an mmseg segmentor
        segmentor = model
    describe = getattr(segmentor, 'prediction_mode', None)
    text = describe() if callable(describe) else type(segmentor).__name__
    return text + tta
