from .checkpoint_compat import install_checkpoint_compat
from .dist import init_distributed, is_cuda_usable
from .keyed_randomness import (SeededIndex, derive_seed, iteration_seed,
                               sample_seed, seed_global_rngs, seed_of,
                               seeded_rngs)
from .runtime_cfg import adapt_cfg_to_device

install_checkpoint_compat()

__all__ = [
    'install_checkpoint_compat', 'init_distributed', 'is_cuda_usable',
    'adapt_cfg_to_device', 'SeededIndex', 'derive_seed', 'iteration_seed',
    'sample_seed', 'seed_global_rngs', 'seed_of', 'seeded_rngs'
]
