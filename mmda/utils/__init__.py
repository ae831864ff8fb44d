from .checkpoint_compat import (UnsafeCheckpointError, load_local_checkpoint,
                                plain_checkpoint_state)
from .checkpoint_fit import (CheckpointMismatchError, check_checkpoint_fits,
                             load_checkpoint_strict)
from .keyed_randomness import (SeededIndex, derive_seed, iteration_seed,
                               sample_seed, seed_global_rngs, seed_of,
                               seeded_rngs)

__all__ = [
    'UnsafeCheckpointError', 'load_local_checkpoint',
    'plain_checkpoint_state', 'CheckpointMismatchError',
    'check_checkpoint_fits', 'load_checkpoint_strict', 'SeededIndex',
    'derive_seed', 'iteration_seed', 'sample_seed', 'seed_global_rngs',
    'seed_of', 'seeded_rngs'
]
