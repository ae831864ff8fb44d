"""The adapted segmentor's weights in an mmda checkpoint.

Multi-network methods (AdvEnt / IntraDA: ``segmentor`` + ``discriminator``)
keep the segmentor under ``segmentor.`` in their checkpoints; single-network
ones (source-only, RIPU, MinEnt) are segmentor weights already.
"""
import os
import os.path as osp
from typing import Tuple

import torch
import torch.nn as nn

from ..utils.checkpoint_compat import load_local_checkpoint
from ..utils.checkpoint_fit import check_checkpoint_fits

#: Key prefix of the segmentor in a multi-network method's checkpoint.
SEGMENTOR_PREFIX = 'segmentor.'


def segmentor_state_dict(checkpoint: str) -> Tuple[dict, dict]:
    """``(state_dict, meta)`` of the segmentor in ``checkpoint``, with the
    keys of a plain ``EncoderDecoder``."""
    # mmda's local loader: names a missing or unreadable file
    ckpt = load_local_checkpoint(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    if any(k.startswith(SEGMENTOR_PREFIX) for k in state):
        state = {
            k[len(SEGMENTOR_PREFIX):]: v
            for k, v in state.items() if k.startswith(SEGMENTOR_PREFIX)
        }
    if not state:
        raise KeyError(f'{checkpoint} holds no weights')
    return state, ckpt.get('meta', {})


def load_segmentor_weights(model: nn.Module, checkpoint: str,
                           what: str) -> dict:
    """Load the segmentor of ``checkpoint`` into ``model`` strictly; a
    :class:`~mmda.utils.CheckpointMismatchError` names the file, ``what``
    the model is, the counts of mismatched keys and what the checkpoint
    seems to be. Returns the meta."""
    state, meta = segmentor_state_dict(checkpoint)
    state = check_checkpoint_fits(
        model, dict(meta=meta, state_dict=state), checkpoint, what,
        revise_keys=())
    model.load_state_dict(state, strict=True)
    return meta


def save_checkpoint_atomic(checkpoint: dict, path: str) -> None:
    """``torch.save`` to a temporary name, then move it into place: an
    interrupted save never leaves a truncated file under ``path``."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    torch.save(checkpoint, tmp)
    os.replace(tmp, path)
