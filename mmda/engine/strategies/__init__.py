from .deepspeed_cfg import (check_single_optimizer, enable_half_precision,
                            holds_several_optimizers,
                            to_deepspeed_optim_wrapper)

# mmda.engine.strategies.deepspeed_strategy (MMDADeepSpeedStrategy) imports
# deepspeed: loaded by mmda.apis when a config names the strategy

__all__ = [
    'check_single_optimizer', 'enable_half_precision',
    'holds_several_optimizers', 'to_deepspeed_optim_wrapper'
]
