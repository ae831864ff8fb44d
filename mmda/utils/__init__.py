from .checkpoint_compat import (UnsafeCheckpointError, load_local_checkpoint,
                                plain_checkpoint_state)
from .checkpoint_fit import (CheckpointMismatchError, check_checkpoint_fits,
                             load_checkpoint_strict)
from .deepspeed_cfg import (check_single_optimizer, enable_half_precision,
                            to_deepspeed_optim_wrapper)
from .dist import (destroy_distributed, init_distributed, is_cuda_usable,
                   process_group_backend)
from .keyed_randomness import (SeededIndex, derive_seed, iteration_seed,
                               sample_seed, seed_global_rngs, seed_of,
                               seeded_rngs)
from .runtime_cfg import adapt_cfg_to_device

# mmda.utils.deepspeed_strategy (MMDADeepSpeedStrategy) imports deepspeed:
# loaded by mmda.apis when a config names the strategy

__all__ = [
    'UnsafeCheckpointError', 'load_local_checkpoint',
    'plain_checkpoint_state', 'CheckpointMismatchError',
    'check_checkpoint_fits', 'load_checkpoint_strict', 'init_distributed',
    'is_cuda_usable',
    'adapt_cfg_to_device', 'SeededIndex', 'derive_seed', 'iteration_seed',
    'sample_seed', 'seed_global_rngs', 'seed_of', 'seeded_rngs',
    'check_single_optimizer', 'destroy_distributed', 'process_group_backend',
    'enable_half_precision', 'to_deepspeed_optim_wrapper'
]
