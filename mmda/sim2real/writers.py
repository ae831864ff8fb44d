"""Writers of the real GTA5, SYNTHIA and Cityscapes directory layouts.

Each writer knows its dataset's file names and label format, and converts a
:class:`~mmda.sim2real.scene.Scene` (labelled with Cityscapes labelIds) into
it, so the generated benchmark is read by the same loaders and converters as
the real datasets:

========== ============================================ =====================
dataset    files                                        labels
========== ============================================ =====================
GTA5       ``gta5/images/00001.png`` (RGB),             8-bit, 1 channel,
           ``gta5/labels/00001.png``                    Cityscapes labelIds
SYNTHIA    ``synthia/RGB/0000001.png`` (RGB),           16-bit, 3 channels:
           ``synthia/GT/LABELS/0000001.png``,           R raw SYNTHIA id,
           ``synthia/Depth/Depth/0000001.png``          G instance id, B 0;
                                                        depth 16-bit, 1
                                                        channel, centimetres
Cityscapes ``cityscapes/leftImg8bit/<split>/<city>/``   8-bit, 1 channel,
           ``<city>_<seq>_<frame>_leftImg8bit.png``,    Cityscapes labelIds
           ``cityscapes/gtFine/<split>/<city>/``
           ``<city>_<seq>_<frame>_gtFine_labelIds.png``,
           ``<city>_<seq>_<frame>_gtFine_instanceIds.png``  16-bit, 1 channel:
                                                        labelId, or
                                                        labelId * 1000 + k
                                                        for the k-th object
                                                        of an instance class
========== ============================================ =====================

PNG files are written with OpenCV (BGR order on disk is RGB in the file, as
for any PNG); the bytes depend only on the pixel values.
"""
import os
import os.path as osp
from typing import Dict, Sequence, Tuple

import cv2
import numpy as np

from mmda.datasets.label_maps import (CITYSCAPES_INSTANCE_LABEL_IDS,
                                      CITYSCAPES_LABEL_IDS,
                                      SYNTHIA_RAW_CLASSES,
                                      SYNTHIA_RAW_TO_TRAIN_ID)
from .canvas import MAX_DEPTH, VOID_LABEL_ID
from .scene import Scene

#: Default Cityscapes cities of each split.
CITYSCAPES_CITIES: Dict[str, Tuple[str, ...]] = {
    'train': ('aachen', 'bochum', 'bremen'),
    'val': ('frankfurt', 'lindau', 'munster'),
}

#: Frame number in Cityscapes names (the annotated frame of each snippet).
CITYSCAPES_FRAME = 19


def _synthia_lut() -> np.ndarray:
    """Cityscapes labelId (0-255) -> SYNTHIA raw id."""
    raw_of_train = {t: r for r, t in SYNTHIA_RAW_TO_TRAIN_ID.items()}
    lut = np.full(256, SYNTHIA_RAW_CLASSES.index('void'), np.uint16)
    for train_id, label_id in enumerate(CITYSCAPES_LABEL_IDS):
        lut[label_id] = raw_of_train[train_id]
    lut[VOID_LABEL_ID['parking']] = SYNTHIA_RAW_CLASSES.index('parking-slot')
    lut[VOID_LABEL_ID['static']] = SYNTHIA_RAW_CLASSES.index('road-work')
    return lut


#: Lookup table Cityscapes labelId -> SYNTHIA raw id; ids SYNTHIA lacks
#: (ego vehicle, ground, guard rail, ...) become void, parking becomes
#: parking-slot and static objects road-work (all ignored by the 19-class
#: mapping).
LABEL_ID_TO_SYNTHIA_LUT = _synthia_lut()
SYNTHIA_LANEMARKING = SYNTHIA_RAW_CLASSES.index('lanemarking')


def scene_to_synthia(scene: Scene) -> np.ndarray:
    """The SYNTHIA raw-id map (uint16) of a scene, road paint as
    lanemarking."""
    raw = LABEL_ID_TO_SYNTHIA_LUT[scene.label]
    raw[scene.marking] = SYNTHIA_LANEMARKING
    return raw


def cityscapes_instance_ids(scene: Scene) -> np.ndarray:
    """The Cityscapes ``gtFine_instanceIds`` map (uint16) of a scene.

    As in the official annotations (``json2instanceImg.py`` of
    cityscapesScripts): a pixel of an object of a class with instances
    (person, rider, car, ...) holds ``labelId * 1000 + k``, ``k`` counting
    that class's objects of the image from 0; every other pixel holds its
    labelId.
    """
    out = scene.label.astype(np.uint16)
    has_instance = np.isin(scene.label, CITYSCAPES_INSTANCE_LABEL_IDS) & (
        scene.instance > 0)
    for label_id in np.unique(scene.label[has_instance]):
        mask = has_instance & (scene.label == label_id)
        ids, inverse = np.unique(scene.instance[mask], return_inverse=True)
        out[mask] = int(label_id) * 1000 + inverse.reshape(-1)
    return out


def depth_to_centimetres(depth: np.ndarray) -> np.ndarray:
    """Metres (float) -> uint16 centimetres, saturating at 65535 (sky)."""
    cm = np.round(np.minimum(depth, MAX_DEPTH) * 100.0)
    return cm.clip(0, 65535).astype(np.uint16)


def _imwrite(path: str, array: np.ndarray) -> None:
    ok = cv2.imwrite(path, array)
    if not ok:
        raise OSError(f'could not write {path}')


def _write_rgb(path: str, image: np.ndarray) -> None:
    _imwrite(path, np.ascontiguousarray(image[..., ::-1]))


class DatasetWriter:
    """Base class: file names of image ``index`` and how to write them.

    Args:
        root: Output root; the writer's dataset folder is created inside.
    """
    #: Folder of the dataset inside the output root.
    folder = ''

    def __init__(self, root: str):
        self.root = osp.join(root, self.folder)

    def paths(self, index: int) -> Dict[str, str]:
        """Absolute paths of every file of image ``index`` (0-based)."""
        raise NotImplementedError

    def make_dirs(self, count: int) -> None:
        """Create every folder the first ``count`` images need."""
        dirs = set()
        for i in range(count):
            dirs.update(osp.dirname(p) for p in self.paths(i).values())
        for d in sorted(dirs):
            os.makedirs(d, exist_ok=True)

    def write(self, index: int, image: np.ndarray, scene: Scene) -> None:
        """Write the RGB ``image`` and the labels of ``scene``."""
        raise NotImplementedError


class GTA5Writer(DatasetWriter):
    """``gta5/images/00001.png`` and ``gta5/labels/00001.png``: labels are
    8-bit single-channel Cityscapes labelIds (ignored ids included)."""
    folder = 'gta5'

    def paths(self, index):
        name = f'{index + 1:05d}.png'
        return dict(image=osp.join(self.root, 'images', name),
                    label=osp.join(self.root, 'labels', name))

    def write(self, index, image, scene):
        paths = self.paths(index)
        _write_rgb(paths['image'], image)
        _imwrite(paths['label'], scene.label)


class SynthiaWriter(DatasetWriter):
    """SYNTHIA-RAND-CITYSCAPES: ``RGB/``, ``GT/LABELS/`` and
    ``Depth/Depth/``, 7-digit names from ``0000001.png``.

    ``GT/LABELS`` is a 16-bit 3-channel PNG: R holds the raw SYNTHIA id
    (read with OpenCV's BGR order it is ``img[:, :, 2]``), G the instance id
    (0 where none), B zero. ``Depth/Depth`` is a 16-bit single-channel PNG
    of z-depth in centimetres, 65535 for the sky.
    """
    folder = 'synthia'

    def paths(self, index):
        name = f'{index + 1:07d}.png'
        return dict(image=osp.join(self.root, 'RGB', name),
                    label=osp.join(self.root, 'GT', 'LABELS', name),
                    depth=osp.join(self.root, 'Depth', 'Depth', name))

    def write(self, index, image, scene):
        paths = self.paths(index)
        _write_rgb(paths['image'], image)
        raw = scene_to_synthia(scene)
        bgr = np.stack(
            [np.zeros_like(raw),
             scene.instance.astype(np.uint16), raw], -1)
        _imwrite(paths['label'], bgr)
        _imwrite(paths['depth'], depth_to_centimetres(scene.depth))


def cityscapes_stem(index: int, count: int,
                    cities: Sequence[str]) -> Tuple[str, str]:
    """``(city, stem)`` of image ``index`` of a split of ``count`` images.

    The split is cut into consecutive, near-equal blocks, one per city;
    ``stem`` is ``<city>_<seq:06d>_<frame:06d>`` with ``seq`` counting
    inside the city.
    """
    n = len(cities)
    block = min(index * n // max(count, 1), n - 1)
    first = -(-block * count // n)  # first index of this city's block
    city = cities[block]
    return city, f'{city}_{index - first:06d}_{CITYSCAPES_FRAME:06d}'


class CityscapesWriter(DatasetWriter):
    """``leftImg8bit/<split>/<city>/<stem>_leftImg8bit.png``,
    ``gtFine/<split>/<city>/<stem>_gtFine_labelIds.png`` (8-bit labelIds,
    ego vehicle and out-of-roi border included) and
    ``<stem>_gtFine_instanceIds.png`` (16-bit, see
    :func:`cityscapes_instance_ids`; cityscapesScripts' pixel-level
    evaluation reads it for its instance-weighted iIoU).

    Args:
        root: Output root.
        split: ``'train'`` or ``'val'``.
        count: Number of images of the split (fixes the city blocks).
        cities: City folders; defaults to :data:`CITYSCAPES_CITIES`.
    """
    folder = 'cityscapes'

    def __init__(self, root, split, count, cities=None):
        super().__init__(root)
        self.split = split
        self.count = count
        self.cities = tuple(cities or CITYSCAPES_CITIES[split])

    def paths(self, index):
        city, stem = cityscapes_stem(index, self.count, self.cities)
        return dict(
            image=osp.join(self.root, 'leftImg8bit', self.split, city,
                           f'{stem}_leftImg8bit.png'),
            label=osp.join(self.root, 'gtFine', self.split, city,
                           f'{stem}_gtFine_labelIds.png'),
            instance=osp.join(self.root, 'gtFine', self.split, city,
                              f'{stem}_gtFine_instanceIds.png'))

    def write(self, index, image, scene):
        paths = self.paths(index)
        _write_rgb(paths['image'], image)
        _imwrite(paths['label'], scene.label)
        _imwrite(paths['instance'], cityscapes_instance_ids(scene))
