from .seekable_train_loop import SeekableIterBasedTrainLoop

__all__ = ['SeekableIterBasedTrainLoop']
