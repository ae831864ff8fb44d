"""What a run needs before its Runner exists: the process group (gloo on
CPU, nccl on GPU, for the ``pytorch`` and ``slurm`` launchers) and the
config adapted to the device it runs on."""
from .device_cfg import adapt_cfg_to_device
from .process_group import (destroy_distributed, init_distributed,
                            is_cuda_usable, process_group_backend,
                            slurm_master_port)

__all__ = [
    'adapt_cfg_to_device', 'destroy_distributed', 'init_distributed',
    'is_cuda_usable', 'process_group_backend', 'slurm_master_port'
]
