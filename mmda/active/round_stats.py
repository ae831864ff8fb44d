"""Statistics of an active selection round, as scalars for the
visualisation backends (TensorBoard, W&B, MLflow, the local
``scalars.json``)."""
from typing import Dict, Optional, Sequence

import cv2
import numpy as np

from .label_ledger import ACTIVE, LABELLED_IGNORE

#: Prefix of the selection-round scalars.
PREFIX = 'active/'


class RoundStatistics:
    """Accumulates one round, image by image (:meth:`add`), into the
    scalars of :meth:`scalars`:

    * ``active/round``: the round number;
    * ``active/new_pixels``: pixels labelled in this round (as a class or
      as ignore);
    * ``active/new_regions``: connected areas (8-neighbourhood) of those
      pixels, summed over the images: the picked regions, where touching
      picks count once;
    * ``active/images_with_new_labels``;
    * ``active/labelled_pixels`` and ``active/labelled_share`` (% of all
      pixels of the target images labelled so far);
    * ``active/new_labels.<class>``: the class histogram of the new labels
      (``active/new_labels.ignore`` for pixels labelled as void).

    Args:
        class_names (Sequence[str]): The segmentor's classes.
        round_no (int): The round's number (from 1).
    """

    def __init__(self, class_names: Sequence[str], round_no: int):
        self.class_names = tuple(class_names)
        self.round_no = round_no
        self.histogram = np.zeros(len(self.class_names) + 1, np.int64)
        self.new_pixels = self.regions = self.images = 0
        self.labelled = self.total = 0

    def add(self, old: Optional[np.ndarray], new: np.ndarray) -> None:
        """One image's ledger map before the round (None: not in the
        ledger yet) and after it."""
        now = new < ACTIVE
        fresh = now if old is None else now & ~(old < ACTIVE)
        self.labelled += int(now.sum())
        self.total += new.size
        count = int(fresh.sum())
        if not count:
            return
        self.new_pixels += count
        self.images += 1
        self.regions += cv2.connectedComponents(
            fresh.astype(np.uint8), connectivity=8)[0] - 1
        ids = new[fresh].astype(np.int64)
        ids[ids == LABELLED_IGNORE] = len(self.class_names)
        self.histogram += np.bincount(
            ids, minlength=len(self.class_names) + 1)

    def scalars(self) -> Dict[str, float]:
        stats = {
            f'{PREFIX}round': self.round_no,
            f'{PREFIX}new_pixels': self.new_pixels,
            f'{PREFIX}new_regions': self.regions,
            f'{PREFIX}images_with_new_labels': self.images,
            f'{PREFIX}labelled_pixels': self.labelled,
            f'{PREFIX}labelled_share':
            100.0 * self.labelled / max(self.total, 1),
        }
        for name, count in zip(self.class_names + ('ignore', ),
                               self.histogram):
            stats[f'{PREFIX}new_labels.{name}'] = int(count)
        return stats
