"""The official PLCA code's two ways to shrink the maps it associates
(``kgl-prml/Pixel-Level-Cycle-Association``, ``solver/solver.py``
``association`` and ``solver/utils.py::crop``; off in the released
configs, ``SCALE_FACTOR: 1.0``)."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

REDUCTION_MODES = ('none', 'grid_subsample', 'downsample')


def labels_at(labels: Tensor, size) -> Tensor:
    """B×H×W (or B×1×H×W) labels nearest-resized to ``size`` (B×h×w)."""
    if labels.dim() == 3:
        labels = labels[:, None]
    return F.interpolate(
        labels.float(), size=tuple(size), mode='nearest')[:, 0].long()


def check_reduction(mode: str, scale: float) -> None:
    """Raise a ValueError naming a bad reduction mode or scale."""
    if mode not in REDUCTION_MODES:
        raise ValueError(f'association reduction mode must be one of '
                         f'{REDUCTION_MODES}, got {mode!r}')
    if not 0. < scale <= 1.:
        raise ValueError(f'association reduction scale must be in (0, 1], '
                         f'got {scale}')


def reduce_for_association(
        feats: Tensor,
        logits: Tensor,
        labels: Optional[Tensor] = None,
        mode: str = 'none',
        scale: float = 1.0,
        generator: Optional[torch.Generator] = None
) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
    """The maps one domain enters the association with.

    Args:
        feats (Tensor): B×C×H×W layer-4 features.
        logits (Tensor): B×K×H×W class scores at the same resolution.
        labels (Tensor, optional): B×H'×W' labels at any resolution (the
            source's; None for the target).
        mode (str): ``'none'``; ``'grid_subsample'``: a random grid of
            ``int(scale·H)`` rows × ``int(scale·W)`` columns per image,
            the same for features, logits and labels (``USE_CROP``);
            ``'downsample'``: bilinear resize of features and logits by
            the factor ``scale`` (``⌊scale·H⌋`` × ``⌊scale·W⌋``), labels
            nearest-resized from their own resolution
            (``USE_DOWNSAMPLING``).
        scale (float): Fraction of rows/columns kept, in (0, 1].
        generator (torch.Generator, optional): Randomness of the grid.

    Returns:
        tuple: features, softmax probabilities, labels (or None), all at
        the association's resolution.
    """
    check_reduction(mode, scale)
    h, w = feats.shape[2:]
    if mode == 'none' or scale == 1.:
        if labels is not None:
            labels = labels_at(labels, (h, w))
        return feats, F.softmax(logits, dim=1), labels
    new_h, new_w = max(int(scale * h), 1), max(int(scale * w), 1)
    if mode == 'downsample':
        feats, logits = (
            F.interpolate(x, scale_factor=scale, mode='bilinear',
                          recompute_scale_factor=False, align_corners=False)
            for x in (feats, logits))
        new_h, new_w = feats.shape[2:]
        if labels is not None:
            labels = labels_at(labels, (new_h, new_w))
        return feats, F.softmax(logits, dim=1), labels
    if labels is not None:
        labels = labels_at(labels, (h, w))
    kept_f, kept_l, kept_y = [], [], []
    for i in range(feats.shape[0]):
        rows = torch.randperm(h, generator=generator)[:new_h]
        cols = torch.randperm(w, generator=generator)[:new_w]
        rows, cols = rows.to(feats.device), cols.to(feats.device)
        kept_f.append(feats[i][:, rows[:, None], cols])
        kept_l.append(logits[i][:, rows[:, None], cols])
        if labels is not None:
            kept_y.append(labels[i][rows[:, None], cols])
    return (torch.stack(kept_f), F.softmax(torch.stack(kept_l), dim=1),
            torch.stack(kept_y) if labels is not None else None)
