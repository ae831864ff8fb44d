"""Class lists of the three evaluation protocols (19, 16 and 13 classes).

Derived from :mod:`mmda.datasets.label_maps` (the single source of truth for
ids); nothing here re-types an id.
"""
import numpy as np

from .label_maps import (CITYSCAPES_CLASSES, CITYSCAPES_PALETTE,
                         IGNORE_INDEX, TRAIN_IDS_13, TRAIN_IDS_16)

#: 19-class trainIds kept by each protocol, keyed by the number of classes.
KEPT_TRAIN_IDS = {
    19: tuple(range(len(CITYSCAPES_CLASSES))),
    16: TRAIN_IDS_16,
    13: TRAIN_IDS_13,
}
SUPPORTED_NUM_CLASSES = tuple(sorted(KEPT_TRAIN_IDS, reverse=True))


def _check(num_classes: int) -> None:
    if num_classes not in KEPT_TRAIN_IDS:
        raise ValueError(f'num_classes must be one of {SUPPORTED_NUM_CLASSES} '
                         f'(Cityscapes 19 classes or the SYNTHIA 16/13-class '
                         f'protocols), got {num_classes!r}')


def classes_of(num_classes: int) -> tuple:
    """Class names of a protocol, in its own id order."""
    _check(num_classes)
    return tuple(CITYSCAPES_CLASSES[i] for i in KEPT_TRAIN_IDS[num_classes])


def palette_of(num_classes: int) -> tuple:
    """Cityscapes colours of a protocol's classes."""
    _check(num_classes)
    return tuple(CITYSCAPES_PALETTE[i] for i in KEPT_TRAIN_IDS[num_classes])


def train_id_lut(num_classes: int) -> np.ndarray:
    """uint8 lookup table 19-class trainId (0-255) -> protocol id.

    Kept classes map to their rank in the protocol, everything else
    (dropped classes, 19-254, 255) to 255.
    """
    _check(num_classes)
    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    for new_id, tid in enumerate(KEPT_TRAIN_IDS[num_classes]):
        lut[tid] = new_id
    return lut


def protocol_to_train_id_lut(num_classes: int) -> np.ndarray:
    """uint8 lookup table protocol id -> 19-class trainId, the inverse of
    :func:`train_id_lut` on the kept classes: label maps predicted in a
    16- or 13-class space are written as 19-class trainIds like every
    other label file."""
    _check(num_classes)
    return np.asarray(KEPT_TRAIN_IDS[num_classes], dtype=np.uint8)
