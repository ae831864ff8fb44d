from .checkpoint_compat import install_checkpoint_compat
from .keyed_randomness import (SeededIndex, derive_seed, iteration_seed,
                               sample_seed, seed_global_rngs, seed_of,
                               seeded_rngs)

install_checkpoint_compat()

__all__ = [
    'install_checkpoint_compat', 'SeededIndex', 'derive_seed',
    'iteration_seed', 'sample_seed', 'seed_global_rngs', 'seed_of',
    'seeded_rngs'
]
