from .mmda_runner import MMDARunner
from .seekable_train_loop import SeekableIterBasedTrainLoop

__all__ = ['MMDARunner', 'SeekableIterBasedTrainLoop']
