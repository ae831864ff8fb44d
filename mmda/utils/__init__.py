from .checkpoint_compat import install_checkpoint_compat
from .dist import (destroy_distributed, init_distributed, is_cuda_usable,
                   process_group_backend)
from .keyed_randomness import (SeededIndex, derive_seed, iteration_seed,
                               sample_seed, seed_global_rngs, seed_of,
                               seeded_rngs)
from .runtime_cfg import adapt_cfg_to_device

install_checkpoint_compat()

__all__ = [
    'install_checkpoint_compat', 'init_distributed', 'is_cuda_usable',
    'adapt_cfg_to_device', 'SeededIndex', 'derive_seed', 'iteration_seed',
    'sample_seed', 'seed_global_rngs', 'seed_of', 'seeded_rngs',
    'destroy_distributed', 'process_group_backend'
]
