"""The adapted segmentor's weights in an mmda checkpoint.

Multi-network methods (AdvEnt / IntraDA: ``segmentor`` + ``discriminator``)
keep the segmentor under ``segmentor.`` in their checkpoints; single-network
ones (source-only, RIPU, MinEnt) are segmentor weights already.
"""
from typing import Tuple

import torch.nn as nn

from ..utils.checkpoint_compat import load_local_checkpoint

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
    """Load the segmentor of ``checkpoint`` into ``model`` strictly; an
    error names the file and ``what`` the model is. Returns the meta."""
    state, meta = segmentor_state_dict(checkpoint)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise RuntimeError(
            f'{checkpoint} does not fit {what}: {e}') from None
    return meta
