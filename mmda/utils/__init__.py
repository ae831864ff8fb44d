from .checkpoint_compat import install_checkpoint_compat
from .dist import init_distributed, is_cuda_usable
from .runtime_cfg import adapt_cfg_to_device

install_checkpoint_compat()

__all__ = [
    'install_checkpoint_compat', 'init_distributed', 'is_cuda_usable',
    'adapt_cfg_to_device'
]
