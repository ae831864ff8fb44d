"""Class-aware source sampling: RIPU's class balancing, DAFormer's rare-class
sampling, and the per-class image index both use.

Every generator here produces one *block* of a deterministic infinite
stream from its own ``numpy.random.Generator``; a block depends only on
``(seed, stream id, block number)``, so any position of the stream can be
reached without generating the blocks before it.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..class_stats import ClassStats, image_key, load_class_stats
from ..label_maps import IGNORE_INDEX

#: RIPU's class-balancing constant: w_c = 1 / log(1.01 + f_c).
CB_EPS = 1.01


def class_balanced_weights(freq: Sequence[float]) -> np.ndarray:
    """RIPU's class weights ``w_c = 1 / log(1.01 + f_c)``, normalised."""
    w = 1.0 / np.log(CB_EPS + np.asarray(freq, dtype=np.float64))
    return w / w.sum()


def rare_class_probs(freq: Sequence[float],
                     temperature: float = 0.01) -> np.ndarray:
    """DAFormer's rare-class sampling ``p_c ∝ exp((1 - f_c) / T)``."""
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    z = (1.0 - np.asarray(freq, dtype=np.float64)) / temperature
    z -= z.max()  # softmax, numerically stable
    p = np.exp(z)
    return p / p.sum()


def block_rng(seed: int, stream: int, block: int) -> np.random.Generator:
    """Independent generator of one block of one stream."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, stream, block])


def _draw(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of indices given cumulative weights."""
    idx = np.searchsorted(cum, u * cum[-1], side='right')
    return np.minimum(idx, len(cum) - 1)


class ClassIndex:
    """Per-class image index of a dataset, in the dataset's class space.

    Built from a statistics file (19 trainIds) and a dataset: the trainIds
    are mapped through the dataset's ``label_map`` (so a 16-class dataset
    indexes its 16 classes), image keys are matched to dataset indices.

    Attributes:
        classes (np.ndarray): dataset class ids that have at least one
            qualifying image (the sampled classes).
        freq (np.ndarray): pixel frequency of each of ``classes`` among the
            labelled pixels of the dataset's kept classes (renormalised over
            the kept classes; classes without images are then dropped).
        images (list[np.ndarray]): dataset indices of the images whose count
            of the class is > ``min_pixels``, one array per entry of
            ``classes``.
        image_classes (list[np.ndarray]): positions (into ``classes``) of
            the classes present in each dataset image (count > 0).
    """

    def __init__(self, stats: ClassStats, keys: Sequence[str],
                 label_map: Optional[Dict[int, int]] = None,
                 min_pixels: int = 0) -> None:
        n19 = stats.num_classes
        to_ds = np.arange(n19)
        if label_map:
            to_ds = np.array([label_map.get(c, c) for c in range(n19)])
        kept = [c for c in range(n19) if to_ds[c] != IGNORE_INDEX]
        num_ds = int(max(to_ds[c] for c in kept)) + 1
        pixels = np.zeros(num_ds, dtype=np.float64)
        for c in kept:
            pixels[to_ds[c]] += stats.class_pixels[c]
        if pixels.sum() <= 0:
            raise ValueError(f'class statistics {stats.path}: no labelled '
                             'pixels of the dataset classes')
        freq_all = pixels / pixels.sum()

        per_img = []  # dataset-class -> count, per dataset index
        for key in keys:
            counts: Dict[int, int] = {}
            for c, n in stats.image_class_pixels[key].items():
                d = int(to_ds[c])
                if d != IGNORE_INDEX:
                    counts[d] = counts.get(d, 0) + n
            per_img.append(counts)

        images = [[] for _ in range(num_ds)]
        for i, counts in enumerate(per_img):
            for d, n in counts.items():
                if n > min_pixels:
                    images[d].append(i)
        self.classes = np.array([d for d in range(num_ds) if images[d]],
                                dtype=np.int64)
        if self.classes.size == 0:
            raise ValueError(
                f'class statistics {stats.path}: no image has more than '
                f'{min_pixels} pixels of any class; lower min_pixels')
        self.freq = freq_all[self.classes]
        self.images: List[np.ndarray] = [
            np.asarray(images[d], dtype=np.int64) for d in self.classes
        ]
        pos = {int(d): j for j, d in enumerate(self.classes)}
        self.image_classes: List[np.ndarray] = [
            np.array(sorted(pos[d] for d in counts if d in pos),
                     dtype=np.int64) for counts in per_img
        ]

    @classmethod
    def from_dataset(cls, dataset, stats_file: str,
                     min_pixels: int = 0) -> 'ClassIndex':
        """Index of a (fully initialised) mmseg dataset."""
        if hasattr(dataset, 'full_init'):
            dataset.full_init()
        root = getattr(dataset, 'data_root', None) or osp.dirname(
            osp.abspath(stats_file))
        keys = []
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            if not info.get('seg_map_path'):
                raise ValueError(
                    f'class-aware sampling needs labelled source samples; '
                    f'sample {i} of {type(dataset).__name__} has no '
                    'seg_map_path')
            keys.append(image_key(info['seg_map_path'], root))
        restricted = bool(getattr(dataset, 'is_restricted', False))
        stats = load_class_stats(stats_file, keys, allow_subset=restricted)
        return cls(stats, keys, getattr(dataset, 'label_map', None),
                   min_pixels)


def uniform_block(size: int, rng: np.random.Generator,
                  shuffle: bool = True) -> np.ndarray:
    """One epoch over ``size`` indices."""
    return rng.permutation(size) if shuffle else np.arange(size)


class _Cycler:
    """Per-class shuffled cycles through the image lists (no repeat of an
    image of a class before all its images were drawn)."""

    def __init__(self, index: ClassIndex, rng: np.random.Generator):
        self.index, self.rng = index, rng
        self.orders: List[Optional[np.ndarray]] = [None] * len(index.images)
        self.ptr = [0] * len(index.images)

    def next(self, j: int) -> int:
        order = self.orders[j]
        if order is None or self.ptr[j] >= len(order):
            order = self.orders[j] = self.rng.permutation(self.index.images[j])
            self.ptr[j] = 0
        self.ptr[j] += 1
        return int(order[self.ptr[j] - 1])


def class_balanced_block(index: ClassIndex, size: int,
                         rng: np.random.Generator,
                         frequency: str = 'running') -> np.ndarray:
    """One RIPU class-balanced sub-epoch of ``size`` images.

    Each draw picks a class with weight ``1 / log(1.01 + f_c)`` then the
    next image of that class's shuffled cycle. ``frequency``:

    * ``'running'`` (RIPU's released code): ``f_c`` is the share of class
      ``c`` among the classes present in the images drawn so far in this
      sub-epoch (all weights equal at its start), which pushes the draws
      towards classes not yet seen;
    * ``'pixel'``: ``f_c`` is the dataset's static class pixel frequency.
    """
    out = np.empty(size, dtype=np.int64)
    cyc = _Cycler(index, rng)
    if frequency == 'pixel':
        cum = np.cumsum(class_balanced_weights(index.freq))
        for i, j in enumerate(_draw(cum, rng.random(size))):
            out[i] = cyc.next(int(j))
        return out
    if frequency != 'running':
        raise ValueError(f"frequency must be 'running' or 'pixel', got "
                         f'{frequency!r}')
    seen = np.zeros(len(index.classes), dtype=np.float64)
    u = rng.random(size)
    for i in range(size):
        total = seen.sum()
        dist = seen / total if total > 0 else seen
        cum = np.cumsum(1.0 / np.log(CB_EPS + dist))
        j = int(_draw(cum, u[i:i + 1])[0])
        img = cyc.next(j)
        out[i] = img
        seen[index.image_classes[img]] += 1
    return out


def rare_class_block(index: ClassIndex, size: int, rng: np.random.Generator,
                     temperature: float = 0.01) -> np.ndarray:
    """``size`` i.i.d. DAFormer rare-class draws: a class with probability
    ``exp((1 - f_c) / T)`` (normalised), then a uniform image of it."""
    cum = np.cumsum(rare_class_probs(index.freq, temperature))
    classes = _draw(cum, rng.random(size))
    u = rng.random(size)
    out = np.empty(size, dtype=np.int64)
    for i, j in enumerate(classes):
        imgs = index.images[j]
        out[i] = imgs[min(int(u[i] * len(imgs)), len(imgs) - 1)]
    return out
