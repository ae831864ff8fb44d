"""Whether a checkpoint fits a model, and what it seems to be instead.

mmengine loads ``load_from`` non-strictly: a checkpoint of another model
loads zero weights and only logs "do not match exactly", so
``tools/test.py`` evaluates random weights. mmda checks the fit before
loading (:func:`check_checkpoint_fits`) and refuses a checkpoint that does
not fit with a :class:`CheckpointMismatchError` naming the file, the counts
of missing, unexpected and reshaped keys, and the model the checkpoint
seems to belong to (:func:`describe_checkpoint`).
"""
import ast
import re
from collections import Counter
from typing import Optional, Sequence, Tuple

import torch.nn as nn
from mmengine.runner.checkpoint import load_state_dict

from .checkpoint_compat import load_local_checkpoint

#: mmengine's default ``revise_keys``: DDP's ``module.`` prefix.
DEFAULT_REVISE_KEYS = ((r'^module.', ''), )


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's weights do not fit the model it was loaded into."""


def cfg_model_type(cfg_text: Optional[str]) -> Optional[str]:
    """``model.type`` of a config dumped into a checkpoint's meta (parsed,
    never executed)."""
    if not isinstance(cfg_text, str):
        return None
    try:
        tree = ast.parse(cfg_text)
    except SyntaxError:
        return None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == 'model'
                for t in node.targets) and isinstance(node.value, ast.Call)):
            for kw in node.value.keywords:
                if kw.arg == 'type' and isinstance(kw.value, ast.Constant):
                    return str(kw.value.value)
    return None


def describe_checkpoint(checkpoint: dict) -> str:
    """What model ``checkpoint`` seems to belong to: the model type and run
    of its meta, the top-level key prefixes and the number of classes of
    its segmentation head."""
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    state = checkpoint.get('state_dict', checkpoint)
    parts = []
    model_type = cfg_model_type(meta.get('cfg'))
    if model_type:
        article = 'an' if model_type[:1].lower() in 'aeiou' else 'a'
        parts.append(f'{article} {model_type} model')
    else:
        parts.append('a checkpoint (no model type in its meta)')
    if meta.get('experiment_name'):
        parts.append(f'of run {meta["experiment_name"]}')
    prefixes = Counter(
        re.sub(r'^module\.', '', str(k)).split('.', 1)[0] for k in state)
    if prefixes:
        parts.append('with weights ' + ', '.join(
            f'{p}.* ({n})' for p, n in prefixes.most_common(5)))
    heads = [
        tuple(v.shape) for k, v in state.items()
        if str(k).endswith('conv_seg.weight') and hasattr(v, 'shape')
    ]
    if heads:
        parts.append(f'{heads[0][0]} classes')
    if not state:
        parts.append('without weights')
    return ' '.join(parts)


def revise_state_keys(state: dict,
                      revise_keys: Sequence[Tuple[str, str]]) -> dict:
    """``state`` with mmengine's ``revise_keys`` substitutions applied."""
    for pattern, replacement in revise_keys:
        state = {re.sub(pattern, replacement, k): v for k, v in state.items()}
    return state


def _examples(keys, n: int = 3) -> str:
    keys = sorted(keys)
    more = f', ... ({len(keys) - n} more)' if len(keys) > n else ''
    return ', '.join(keys[:n]) + more


def check_checkpoint_fits(model: nn.Module,
                          checkpoint: dict,
                          filename: str,
                          what: str = 'the model',
                          revise_keys=DEFAULT_REVISE_KEYS) -> dict:
    """Refuse ``checkpoint`` unless its weights are exactly ``model``'s.

    Args:
        model (nn.Module): The model to load into (unwrapped).
        checkpoint (dict): The loaded checkpoint (``state_dict`` inside or
            the state dict itself).
        filename (str): The file, for the error.
        what (str): How the error names the model.
        revise_keys: mmengine's key substitutions (``module.`` prefix).

    Returns:
        dict: The revised state dict.

    Raises:
        CheckpointMismatchError: naming the file, the counts of missing,
            unexpected and reshaped keys, and what the checkpoint seems to
            be.
    """
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, dict):
        raise CheckpointMismatchError(
            f'{filename} holds no state dict (found a '
            f'{type(state).__name__})')
    state = revise_state_keys(state, revise_keys)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    reshaped = [
        k for k in own if k in state and hasattr(state[k], 'shape')
        and tuple(state[k].shape) != tuple(own[k].shape)
    ]
    if not (missing or unexpected or reshaped):
        return state
    loadable = len(own) - len(missing) - len(reshaped)
    lines = [
        f'checkpoint {filename} does not fit {what} '
        f'({type(model).__name__}, {len(own)} keys): '
        f'{len(missing)} missing, {len(unexpected)} unexpected and '
        f'{len(reshaped)} reshaped keys; {loadable} of {len(own)} would '
        'load.'
    ]
    if missing:
        lines.append(f'  missing: {_examples(missing)}')
    if unexpected:
        lines.append(f'  unexpected: {_examples(unexpected)}')
    if reshaped:
        k = sorted(reshaped)[0]
        lines.append(f'  reshaped: {_examples(reshaped)} (e.g. {k}: '
                     f'{tuple(state[k].shape)} in the file, '
                     f'{tuple(own[k].shape)} in the model)')
    lines.append('  the checkpoint seems to be '
                 f'{describe_checkpoint(checkpoint)}')
    raise CheckpointMismatchError('\n'.join(lines))


def load_checkpoint_strict(model: nn.Module,
                           filename: str,
                           what: str = 'the model',
                           map_location='cpu',
                           revise_keys=DEFAULT_REVISE_KEYS) -> dict:
    """Load ``filename`` safely (:func:`~mmda.utils.checkpoint_compat.\
load_local_checkpoint`) into ``model``, refusing a checkpoint that does not
    fit it exactly. Returns the checkpoint."""
    checkpoint = load_local_checkpoint(filename, map_location=map_location)
    state = check_checkpoint_fits(model, checkpoint, filename, what,
                                  revise_keys)
    load_state_dict(model, state, strict=True)  # unwraps DDP children
    return checkpoint
