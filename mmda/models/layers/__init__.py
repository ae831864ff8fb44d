from .frozen_batch_norm import FrozenBatchNorm2d

__all__ = ['FrozenBatchNorm2d']
