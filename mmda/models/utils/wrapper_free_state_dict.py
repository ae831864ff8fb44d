"""Checkpoints of multi-network models without DDP-wrapper keys.

Under DDP, methods with several optimizers are wrapped by mmengine's
``MMSeparateDistributedDataParallel``, which puts *each child* (segmentor,
discriminator, ...) in its own DDP wrapper. The Runner unwraps only the
outermost wrapper before ``state_dict()``, so the children's keys would
read ``segmentor.module.backbone...``: a checkpoint from a DDP run would
not load into the same model trained, tested or ranked in one process.

:func:`register_wrapper_free_state_dict` keeps the keys what they are
without wrappers (``segmentor.backbone...``): saved without ``.module.``,
and loaded (through mmengine's loader, which unwraps wrapped children) from
those keys in one process or under DDP alike. Checkpoints written with the
wrapper keys still load.
"""
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

WRAPPED = '.module.'


def _wrapped_children(module: nn.Module):
    return [
        name for name, child in module.named_children()
        if isinstance(child, DistributedDataParallel)
    ]


def _unwrap_keys(state_dict, prefix, children) -> None:
    """``<prefix><child>.module.<rest>`` -> ``<prefix><child>.<rest>``."""
    for name in children:
        wrapped = f'{prefix}{name}{WRAPPED}'
        for key in [k for k in state_dict if k.startswith(wrapped)]:
            state_dict[f'{prefix}{name}.{key[len(wrapped):]}'] = \
                state_dict.pop(key)


def _strip_wrapper_keys(module, state_dict, prefix, local_metadata):
    _unwrap_keys(state_dict, prefix, _wrapped_children(module))


def _drop_wrapper_keys(module, state_dict, prefix, *args):
    """Keys of checkpoints written with wrapper keys lose ``.module.``.

    Nothing is added for wrapped children: the Runner loads through
    mmengine's ``load_state_dict``, which unwraps every model wrapper it
    meets and so reads ``segmentor.backbone...`` for a wrapped segmentor
    too.
    """
    _unwrap_keys(state_dict, prefix, [n for n, _ in module.named_children()])


def register_wrapper_free_state_dict(module: nn.Module) -> nn.Module:
    """Make ``module``'s state dict independent of DDP wrappers around its
    children (see the module docstring). Returns ``module``."""
    module.register_state_dict_post_hook(_strip_wrapper_keys)
    module.register_load_state_dict_pre_hook(_drop_wrapper_keys)
    return module
