"""The adapted segmentor's weights in an mmda checkpoint.

Methods that wrap the segmentor (:class:`~mmda.models.BaseDAModel`: AdvEnt /
IntraDA with ``segmentor`` + ``discriminator``) keep it under their
:func:`~mmda.models.deploy_prefix` (``segmentor.``) in their checkpoints;
methods that are the segmentor (source-only, RIPU, MinEnt) are segmentor
weights already.
"""
from typing import Optional, Tuple

import torch.nn as nn

from ..models.segmentors.deployable import (checkpoint_deploy_prefix,
                                            split_segmentor_state)
from ..utils.checkpoint_compat import load_local_checkpoint
from ..utils.checkpoint_fit import check_checkpoint_fits


def segmentor_state_dict(checkpoint: str,
                         prefix: Optional[str] = None) -> Tuple[dict, dict]:
    """``(state_dict, meta)`` of the segmentor in ``checkpoint``, with the
    keys of a plain ``EncoderDecoder``.

    Args:
        checkpoint (str): The checkpoint file.
        prefix (str, optional): The deploy prefix of the model that wrote
            it (:func:`~mmda.models.deploy_prefix` of its config); None
            finds it among the registered methods'
            (:func:`~mmda.models.checkpoint_deploy_prefix`).
    """
    # mmda's local loader: names a missing or unreadable file
    ckpt = load_local_checkpoint(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    if prefix is None:
        prefix = checkpoint_deploy_prefix(state, checkpoint)
    state, _ = split_segmentor_state(state, prefix)
    if not state:
        raise KeyError(f'{checkpoint} holds no weights')
    return state, ckpt.get('meta', {})


def holds_plain_segmentor_weights(model_cfg: dict, state: dict) -> bool:
    """Whether ``state`` (a checkpoint's state dict) is plain segmentor
    weights for a method ``model_cfg`` that wraps its segmentor
    (:class:`~mmda.models.BaseDAModel`): no key under its deploy prefix.
    Such weights load into the method's deployable segmentor, not into
    the method."""
    from ..models import BaseDAModel, deploy_prefix, model_class
    if not issubclass(model_class(model_cfg), BaseDAModel):
        return False
    prefix = deploy_prefix(model_cfg)
    return not any(k.startswith(prefix) for k in state)


def load_segmentor_weights(model: nn.Module,
                           checkpoint: str,
                           what: str,
                           prefix: Optional[str] = None) -> dict:
    """Load the segmentor of ``checkpoint`` (keys under ``prefix``, see
    :func:`segmentor_state_dict`) into ``model`` strictly; a
    :class:`~mmda.utils.CheckpointMismatchError` names the file, ``what``
    the model is, the counts of mismatched keys and what the checkpoint
    seems to be. Returns the meta."""
    state, meta = segmentor_state_dict(checkpoint, prefix)
    state = check_checkpoint_fits(
        model, dict(meta=meta, state_dict=state), checkpoint, what,
        revise_keys=())
    model.load_state_dict(state, strict=True)
    return meta
