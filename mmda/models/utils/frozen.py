from contextlib import contextmanager, nullcontext

import torch.nn as nn
from mmengine.model import is_model_wrapper
from torch.nn.parallel import DistributedDataParallel


@contextmanager
def frozen(module: nn.Module):
    """Run ``module`` as a fixed function inside the block: its trainable
    parameters get no gradients, while gradients still flow *through* it to
    its inputs.

    This is the generator side of adversarial training (the discriminator
    scores the segmentor's target maps; only the segmentor learns). A DDP
    wrapper is entered in ``no_sync()``: its parameters take no part in this
    backward, so its reducer must not wait for them.
    """
    params = [p for p in module.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    sync = module.no_sync() if isinstance(
        module, DistributedDataParallel) else nullcontext()
    try:
        with sync:
            yield module
    finally:
        for p in params:
            p.requires_grad_(True)


def unwrap(module: nn.Module) -> nn.Module:
    """The module inside a model wrapper (DDP and mmengine's others; the
    module itself otherwise)."""
    return module.module if is_model_wrapper(module) else module
