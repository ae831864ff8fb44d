"""Adapting one config to the device it runs on.

The same mmda config trains on a GPU cluster and on a CPU laptop. What has to
differ is decided here, at run time, in one place:

* SyncBN needs CUDA: on CPU every ``SyncBN`` norm layer becomes ``BN``.
* torch's DDP rejects ``device_ids`` for CPU modules, which mmengine's Runner
  always passes: on CPU the wrapper config sets ``device_ids=None``.
* the process-group backend is nccl on GPU and gloo on CPU.
* on CPU, denormal floats are flushed to zero: after a few SGD steps tiny
  activations otherwise slow the small models' convolutions down by an
  order of magnitude.
"""
import torch
from mmengine.config import Config, ConfigDict

from .process_group import is_cuda_usable, process_group_backend

_DDP_WRAPPERS = ('MMDistributedDataParallel', 'DistributedDataParallel',
                 'MMSeparateDistributedDataParallel')


def _replace_sync_bn(node):
    """Recursively turn ``dict(type='SyncBN', ...)`` into BN configs."""
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
        for value in node.values():
            _replace_sync_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _replace_sync_bn(value)


def adapt_cfg_to_device(cfg: Config, cuda: bool = None) -> Config:
    """Make ``cfg`` runnable on this machine's device (in place).

    Args:
        cfg (Config): A training or test config.
        cuda (bool, optional): Force the decision; by default CUDA is used
            when a device is visible.

    Returns:
        Config: ``cfg`` itself.
    """
    cuda = is_cuda_usable() if cuda is None else cuda
    env_cfg = cfg.setdefault('env_cfg', ConfigDict())
    dist_cfg = env_cfg.setdefault('dist_cfg', ConfigDict())
    dist_cfg['backend'] = process_group_backend(cuda)
    if cuda:
        return cfg
    torch.set_flush_denormal(True)
    _replace_sync_bn(cfg._cfg_dict)
    wrapper = cfg.get('model_wrapper_cfg')
    if wrapper is None:
        cfg.model_wrapper_cfg = ConfigDict(
            type='MMDistributedDataParallel',
            find_unused_parameters=cfg.get('find_unused_parameters', False),
            device_ids=None)
    elif wrapper.get('type', 'MMDistributedDataParallel') in _DDP_WRAPPERS:
        wrapper['device_ids'] = None
    return cfg
