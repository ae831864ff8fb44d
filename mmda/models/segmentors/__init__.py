from .ripu import RIPU

__all__ = ['RIPU']
