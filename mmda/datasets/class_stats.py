"""Per-class pixel statistics of a labelled dataset (``class_stats*.json``).

The converters write one statistics file per label directory; the
class-balanced and rare-class samplers read it.

Convention
----------
* GTA5 and SYNTHIA: ``<data_root>/class_stats.json``.
* Cityscapes: one file per split, ``<data_root>/class_stats_<split>.json``
  (``class_stats_train.json``, ``class_stats_val.json``, ...), because the
  splits are separate datasets.
* Counts are taken on the converted 19-class trainId files
  (``*_labelTrainIds.png``), whatever protocol (19/16/13) a dataset later
  uses; a sampler restricts them to its dataset's classes.
* Image keys are the POSIX path of the trainId label file relative to the
  dataset root, e.g. ``labels/00001_labelTrainIds.png`` or
  ``gtFine/train/aachen/aachen_000000_000019_gtFine_labelTrainIds.png``.

File content (JSON)::

    {
      "format": "mmda-class-stats", "version": 1,
      "num_classes": 19, "class_names": [...19 names...],
      "num_images": N,
      "class_pixels": [19 ints],       # labelled pixels of each class
      "class_freq": [19 floats],       # class_pixels / sum(class_pixels)
      "ignored_pixels": int,           # pixels with id 255
      "image_class_pixels": {key: {"<trainId>": count, ...}},  # ids present
      "images_with_class": [[[key, count], ...] for each trainId]
    }

``images_with_class[c]`` lists, sorted by key, every image containing class
``c`` with its pixel count of ``c``.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np

from ..utils.atomic_write import atomic_write_json
from .label_maps import CITYSCAPES_CLASSES, IGNORE_INDEX

FORMAT_NAME = 'mmda-class-stats'
FORMAT_VERSION = 1
NUM_TRAIN_IDS = len(CITYSCAPES_CLASSES)

#: File name of the statistics of a single-split dataset (GTA5, SYNTHIA).
DEFAULT_STATS_FILE = 'class_stats.json'


def stats_file_name(split: Optional[str] = None) -> str:
    """``class_stats.json``, or ``class_stats_<split>.json`` for a split."""
    return DEFAULT_STATS_FILE if not split else f'class_stats_{split}.json'


def image_key(label_path: str, root: str) -> str:
    """Stable key of a label file: POSIX path relative to ``root``."""
    rel = osp.relpath(osp.abspath(label_path), osp.abspath(root))
    return rel.replace(os.sep, '/')


def count_train_ids(label: np.ndarray) -> np.ndarray:
    """Pixel count of each id 0-255 of a uint8 trainId map (int64[256])."""
    return np.bincount(label.ravel(), minlength=256)


@dataclass
class ClassStats:
    """In-memory form of a statistics file (see the module docstring)."""
    num_classes: int
    class_names: List[str]
    class_pixels: np.ndarray  # int64[num_classes]
    ignored_pixels: int
    image_class_pixels: Dict[str, Dict[int, int]]
    path: Optional[str] = None
    images_with_class: List[List[list]] = field(default_factory=list)

    def __post_init__(self):
        if not self.images_with_class:
            per_class: List[List[list]] = [[] for _ in
                                           range(self.num_classes)]
            for key in sorted(self.image_class_pixels):
                for c, n in sorted(self.image_class_pixels[key].items()):
                    per_class[c].append([key, int(n)])
            self.images_with_class = per_class

    @property
    def num_images(self) -> int:
        return len(self.image_class_pixels)

    @property
    def class_freq(self) -> np.ndarray:
        """Pixel frequency of each class among labelled pixels."""
        total = self.class_pixels.sum()
        if total == 0:
            return np.zeros(self.num_classes, dtype=np.float64)
        return self.class_pixels / total

    def to_dict(self) -> dict:
        return dict(
            format=FORMAT_NAME,
            version=FORMAT_VERSION,
            num_classes=self.num_classes,
            class_names=list(self.class_names),
            num_images=self.num_images,
            class_pixels=[int(n) for n in self.class_pixels],
            class_freq=[float(f) for f in self.class_freq],
            ignored_pixels=int(self.ignored_pixels),
            image_class_pixels={
                k: {str(c): int(n)
                    for c, n in sorted(v.items())}
                for k, v in sorted(self.image_class_pixels.items())
            },
            images_with_class=self.images_with_class,
        )


def build_class_stats(counts: Mapping[str, np.ndarray],
                      num_classes: int = NUM_TRAIN_IDS) -> ClassStats:
    """Statistics from per-image id counts.

    Args:
        counts: image key -> pixel count of each id 0-255 (as returned by
            :func:`count_train_ids`).
        num_classes: number of trainIds (19).
    """
    class_pixels = np.zeros(num_classes, dtype=np.int64)
    ignored = 0
    per_image: Dict[str, Dict[int, int]] = {}
    for key, cnt in counts.items():
        cnt = np.asarray(cnt, dtype=np.int64)
        bad = np.nonzero(cnt[num_classes:IGNORE_INDEX])[0]
        if bad.size:
            raise ValueError(
                f'label {key} contains ids {(bad + num_classes).tolist()} '
                f'outside 0..{num_classes - 1} and {IGNORE_INDEX}')
        head = cnt[:num_classes]
        class_pixels += head
        ignored += int(cnt[IGNORE_INDEX]) if cnt.size > IGNORE_INDEX else 0
        per_image[key] = {
            int(c): int(head[c])
            for c in np.nonzero(head)[0]
        }
    return ClassStats(
        num_classes=num_classes,
        class_names=list(CITYSCAPES_CLASSES[:num_classes]),
        class_pixels=class_pixels,
        ignored_pixels=ignored,
        image_class_pixels=per_image)


def write_class_stats(stats: ClassStats, path: str) -> None:
    """Write ``stats`` to ``path`` atomically
    (:func:`~mmda.utils.atomic_write.atomic_write_json`)."""
    atomic_write_json(path, stats.to_dict())
    stats.path = path


def _fail(path: str, why: str) -> None:
    raise ValueError(f'invalid class statistics file {path}: {why}. '
                     'Re-create it with the dataset converter '
                     '(tools/dataset_converters/<dataset>.py ROOT).')


def load_class_stats(path: str,
                     image_keys: Optional[Iterable[str]] = None,
                     allow_subset: bool = False,
                     num_classes: int = NUM_TRAIN_IDS) -> ClassStats:
    """Read and validate a statistics file.

    Args:
        path: the ``class_stats*.json`` file.
        image_keys: keys of the dataset the statistics are used with. Each
            must be in the file; when given, the returned statistics are
            restricted to them.
        allow_subset: whether the dataset may hold fewer images than the
            file (e.g. a split file or ``indices`` restricts it). When
            False, a file key that the dataset lacks is an error.
        num_classes: expected number of trainIds (19).

    Raises:
        FileNotFoundError: the file is missing (names it, hints the
            converter).
        ValueError: malformed file, or it does not match the dataset.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'class statistics file {path} not found. It is written by the '
            'dataset converter: run tools/dataset_converters/<dataset>.py '
            '<data_root> (gta5.py, synthia.py or cityscapes.py).')
    try:
        with open(path) as f:
            raw = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'cannot read class statistics file {path}: {e}') \
            from e
    if not isinstance(raw, dict) or raw.get('format') != FORMAT_NAME:
        _fail(path, f"missing \"format\": \"{FORMAT_NAME}\"")
    if raw.get('version') != FORMAT_VERSION:
        _fail(path, f'version {raw.get("version")!r}, expected '
              f'{FORMAT_VERSION}')
    if raw.get('num_classes') != num_classes:
        _fail(path, f'num_classes {raw.get("num_classes")!r}, expected '
              f'{num_classes}')
    per_image_raw = raw.get('image_class_pixels')
    if not isinstance(per_image_raw, dict) or not per_image_raw:
        _fail(path, 'no images in "image_class_pixels"')
    try:
        per_image = {
            str(k): {int(c): int(n)
                     for c, n in v.items()}
            for k, v in per_image_raw.items()
        }
        class_pixels = np.asarray(raw['class_pixels'], dtype=np.int64)
        ignored = int(raw.get('ignored_pixels', 0))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        _fail(path, f'malformed content ({e!r})')
    if class_pixels.shape != (num_classes, ):
        _fail(path, f'class_pixels has {class_pixels.size} entries')
    for key, v in per_image.items():
        bad = [c for c in v if not 0 <= c < num_classes]
        if bad:
            _fail(path, f'image {key} has class ids {bad}')
    if int(raw.get('num_images', -1)) != len(per_image):
        _fail(path, f'num_images {raw.get("num_images")} != '
              f'{len(per_image)} image entries')
    summed = np.zeros(num_classes, dtype=np.int64)
    for v in per_image.values():
        for c, n in v.items():
            summed[c] += n
    if not np.array_equal(summed, class_pixels):
        _fail(path, 'class_pixels is not the sum of the per-image counts')

    if image_keys is not None:
        wanted = list(image_keys)
        wanted_set = set(wanted)
        missing = [k for k in wanted if k not in per_image]
        if missing:
            raise ValueError(
                f'class statistics file {path} does not match the dataset: '
                f'{len(missing)} of its {len(wanted)} images are not in it, '
                f'e.g. {missing[:3]}. Regenerate the file with the converter '
                '(tools/dataset_converters/<dataset>.py ROOT) or point '
                'class_stats_file at the statistics of this dataset.')
        extra = [k for k in per_image if k not in wanted_set]
        if extra and not allow_subset:
            raise ValueError(
                f'class statistics file {path} does not match the dataset: '
                f'it has {len(extra)} image keys the dataset does not, e.g. '
                f'unknown image key {extra[0]!r}. Regenerate the file, or '
                'restrict the dataset consistently.')
        if extra:
            per_image = {k: per_image[k] for k in wanted}
            class_pixels = np.zeros(num_classes, dtype=np.int64)
            for v in per_image.values():
                for c, n in v.items():
                    class_pixels[c] += n
    return ClassStats(
        num_classes=num_classes,
        class_names=list(raw.get('class_names', CITYSCAPES_CLASSES)),
        class_pixels=class_pixels,
        ignored_pixels=ignored,
        image_class_pixels=per_image,
        path=path)


def compute_class_stats(label_files: Sequence[str], root: str,
                        num_classes: int = NUM_TRAIN_IDS) -> ClassStats:
    """Statistics of existing trainId label files (no conversion)."""
    from .converters import read_label_ids  # local: avoids an import cycle
    counts = {
        image_key(f, root): count_train_ids(read_label_ids(f))
        for f in label_files
    }
    return build_class_stats(counts, num_classes)
