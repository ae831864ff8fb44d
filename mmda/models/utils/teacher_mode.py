import torch.nn as nn
from torch.nn.modules.dropout import _DropoutNd

TEACHER_MODES = ('eval', 'train', 'train_no_dropout')


def is_dropout(module: nn.Module) -> bool:
    """Dropout layers of torch and stochastic depth (``DropPath``)."""
    return isinstance(module, _DropoutNd) or \
        type(module).__name__ == 'DropPath'


def set_teacher_mode(teacher: nn.Module, mode: str) -> nn.Module:
    """Put a mean teacher in ``mode``: ``'eval'``, ``'train'`` (batch
    statistics and dropout) or ``'train_no_dropout'`` (train mode with every
    dropout layer in eval mode, DAFormer's teacher)."""
    if mode not in TEACHER_MODES:
        raise ValueError(
            f'teacher mode must be one of {TEACHER_MODES}, got {mode!r}')
    teacher.train(mode != 'eval')
    if mode == 'train_no_dropout':
        for module in teacher.modules():
            if is_dropout(module):
                module.eval()
    return teacher
