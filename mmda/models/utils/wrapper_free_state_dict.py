"""Checkpoints of multi-network models without DDP-wrapper keys.

Under DDP, methods with several optimizers are wrapped by mmengine's
``MMSeparateDistributedDataParallel``, which puts *each child* (segmentor,
discriminator, ...) in its own DDP wrapper. The Runner unwraps only the
outermost wrapper before ``state_dict()``, so the children's keys would
read ``segmentor.module.backbone...``: a checkpoint from a DDP run would
not load into the same model trained, tested or ranked in one process.

:func:`register_wrapper_free_state_dict` keeps the keys what they are
without wrappers (``segmentor.backbone...``) in both directions: saved
without ``.module.``, loaded into wrapped children by adding it back.
Checkpoints written with the wrapper keys still load.
"""
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

WRAPPED = '.module.'


def _wrapped_children(module: nn.Module):
    return [
        name for name, child in module.named_children()
        if isinstance(child, DistributedDataParallel)
    ]


def _strip_wrapper_keys(module, state_dict, prefix, local_metadata):
    for name in _wrapped_children(module):
        wrapped = f'{prefix}{name}{WRAPPED}'
        for key in [k for k in state_dict if k.startswith(wrapped)]:
            state_dict[f'{prefix}{name}.{key[len(wrapped):]}'] = \
                state_dict.pop(key)


def _match_wrapper_keys(module, state_dict, prefix, local_metadata, strict,
                        missing_keys, unexpected_keys, error_msgs):
    wrapped_children = set(_wrapped_children(module))
    for name, _ in module.named_children():
        plain = f'{prefix}{name}.'
        wrapped = f'{prefix}{name}{WRAPPED}'
        for key in list(state_dict):
            if name in wrapped_children and key.startswith(plain) and \
                    not key.startswith(wrapped):
                state_dict[wrapped + key[len(plain):]] = state_dict.pop(key)
            elif name not in wrapped_children and key.startswith(wrapped):
                state_dict[plain + key[len(wrapped):]] = state_dict.pop(key)


def register_wrapper_free_state_dict(module: nn.Module) -> nn.Module:
    """Make ``module``'s state dict independent of DDP wrappers around its
    children (see the module docstring). Returns ``module``."""
    module.register_state_dict_post_hook(_strip_wrapper_keys)
    module.register_load_state_dict_pre_hook(_match_wrapper_keys)
    return module
