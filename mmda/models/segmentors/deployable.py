"""Find the deployable segmentor of any mmda model or model config.

The one place that knows the method interface's two shapes (a method that
*is* the segmentor, :class:`DAEncoderDecoder`, or one that *wraps* it,
:class:`BaseDAModel`), and the test-time :class:`SegmentorEnsemble`, which
has several; export, entropy ranking, the ensemble and the tools call these
functions instead of guessing.
"""
from typing import List, Tuple

import torch.nn as nn
from mmengine.config import ConfigDict

from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS

from ..utils import unwrap
from ..utils.wrapper_free_state_dict import WRAPPED
from .base_da_model import BaseDAModel
from .da_encoder_decoder import DAEncoderDecoder
from .segmentor_ensemble import SegmentorEnsemble, no_single_segmentor

#: Models that declare their deployable segmentor (``deployable``).
_INTERFACE = (BaseDAModel, DAEncoderDecoder, SegmentorEnsemble)
#: What a DDP wrapper adds after a child's name in its state-dict keys.
WRAPPED_CHILD = WRAPPED.lstrip('.')


def deployable_segmentor(model: nn.Module) -> nn.Module:
    """The deployable mmseg segmentor of ``model`` (unwrapped).

    Raises:
        TypeError: for a model that is neither an mmda method nor an mmseg
            segmentor, naming its type, and for a :class:`SegmentorEnsemble`
            (several segmentors, see :func:`member_segmentors`).
    """
    model = unwrap(model)
    if isinstance(model, _INTERFACE):
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
    if issubclass(cls, SegmentorEnsemble):
        raise TypeError(no_single_segmentor(model_cfg.get('members', {})))
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
    segmentor_cfg(model_cfg)  # refuses configs without one segmentor
    cls = model_class(model_cfg)
    if issubclass(cls, BaseDAModel):
        return f'{cls.predicted_child(model_cfg)}.'
    return ''


def member_segmentors(model: nn.Module) -> List[nn.Module]:
    """Every plain segmentor of ``model``: the members of a
    :class:`SegmentorEnsemble`, else the deployable segmentor alone."""
    model = unwrap(model)
    if isinstance(model, SegmentorEnsemble):
        return list(getattr(model, model.members_child).values())
    return [deployable_segmentor(model)]


def member_segmentor_cfgs(model_cfg: dict) -> List[ConfigDict]:
    """The configs of :func:`member_segmentors` of a model config."""
    cls = model_class(model_cfg)
    if issubclass(cls, SegmentorEnsemble):
        return list(model_cfg[cls.members_child].values())
    return [segmentor_cfg(model_cfg)]


def method_deploy_prefixes() -> List[str]:
    """The checkpoint key prefixes of the deployable segmentor of every
    registered :class:`BaseDAModel` (``['segmentor.']``)."""
    return sorted({
        f'{cls.deploy_child}.'
        for cls in MODELS.module_dict.values()
        if isinstance(cls, type) and issubclass(cls, BaseDAModel)
    })


def checkpoint_deploy_prefix(state_dict: dict, where: str) -> str:
    """The deploy prefix of a checkpoint written by an unknown mmda method:
    the one registered prefix (:func:`method_deploy_prefixes`) its keys
    carry, ``''`` for segmentor weights (``where`` names the file in the
    error raised when several match)."""
    found = [
        p for p in method_deploy_prefixes()
        if any(k.startswith(p) for k in state_dict)
    ]
    if len(found) > 1:
        raise KeyError(f'{where} holds keys under several segmentor '
                       f'prefixes {found}: pass the prefix of the method '
                       'that wrote it')
    return found[0] if found else ''


def split_segmentor_state(state_dict: dict,
                          prefix: str) -> Tuple[dict, dict]:
    """``(segmentor weights with plain keys, the other entries)``.

    Keys of a child written inside its DDP wrapper (``segmentor.module.*``,
    checkpoints from before :func:`~mmda.models.utils.
    register_wrapper_free_state_dict`) lose the wrapper's ``module.``.
    """
    seg, rest = {}, {}
    for key, value in state_dict.items():
        if not key.startswith(prefix):
            rest[key] = value
            continue
        key = key[len(prefix):]
        if prefix and key.startswith(WRAPPED_CHILD):
            key = key[len(WRAPPED_CHILD):]
        seg[key] = value
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
