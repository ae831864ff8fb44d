"""Label spaces of the synthetic and real street-scene datasets.

Every table here is the single source of truth for the whole package: the
dataset classes, the converters, the procedural benchmark and the metrics all
read them. The mappings follow the official Cityscapes ``labels.py`` and the
conventions of the domain-adaptation literature (see
``docs/methods.md#label-spaces``):

* Cityscapes and GTA5 label PNGs carry Cityscapes *labelIds*; training uses
  the 19 *trainIds*.
* SYNTHIA-RAND-CITYSCAPES stores raw SYNTHIA ids in the first (R) channel of a
  16-bit PNG.
* The SYNTHIA protocols evaluate 16 classes (19 minus terrain, truck, train)
  or 13 classes (16 minus wall, fence, pole).
"""
import numpy as np

IGNORE_INDEX = 255

#: The 19 Cityscapes train classes, in trainId order.
CITYSCAPES_CLASSES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole',
                      'traffic light', 'traffic sign', 'vegetation',
                      'terrain', 'sky', 'person', 'rider', 'car', 'truck',
                      'bus', 'train', 'motorcycle', 'bicycle')

#: The official Cityscapes colour of each train class (RGB).
CITYSCAPES_PALETTE = ((128, 64, 128), (244, 35, 232), (70, 70, 70),
                      (102, 102, 156), (190, 153, 153), (153, 153, 153),
                      (250, 170, 30), (220, 220, 0), (107, 142, 35),
                      (152, 251, 152), (70, 130, 180), (220, 20, 60),
                      (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100),
                      (0, 80, 100), (0, 0, 230), (119, 11, 32))

#: Cityscapes labelId of each trainId (``labels.py`` of cityscapesScripts).
CITYSCAPES_LABEL_IDS = (7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26,
                        27, 28, 31, 32, 33)

#: labelIds of the classes with instances (``hasInstances`` in
#: ``labels.py``): person, rider, car, truck, bus, caravan, trailer, train,
#: motorcycle, bicycle.
CITYSCAPES_INSTANCE_LABEL_IDS = tuple(range(24, 34))

#: Every labelId Cityscapes defines (``-1`` is "license plate").
CITYSCAPES_ALL_LABEL_IDS = tuple(range(-1, 34))

#: SYNTHIA-RAND-CITYSCAPES raw ids (first channel of ``GT/LABELS``).
SYNTHIA_RAW_CLASSES = ('void', 'sky', 'building', 'road', 'sidewalk', 'fence',
                       'vegetation', 'pole', 'car', 'traffic sign',
                       'pedestrian', 'bicycle', 'motorcycle', 'parking-slot',
                       'road-work', 'traffic light', 'terrain', 'rider',
                       'truck', 'bus', 'train', 'wall', 'lanemarking')

#: SYNTHIA raw id -> 19-class trainId (ids not listed are ignored).
SYNTHIA_RAW_TO_TRAIN_ID = {
    3: 0, 4: 1, 2: 2, 21: 3, 5: 4, 7: 5, 15: 6, 9: 7, 6: 8, 16: 9, 1: 10,
    10: 11, 17: 12, 8: 13, 18: 14, 19: 15, 20: 16, 12: 17, 11: 18
}

#: trainIds dropped by the SYNTHIA 16-class protocol: terrain, truck, train.
CLASSES_ABSENT_IN_16 = (9, 14, 16)
#: trainIds further dropped by the 13-class protocol: wall, fence, pole.
CLASSES_ABSENT_IN_13 = CLASSES_ABSENT_IN_16 + (3, 4, 5)

#: The 19-class trainIds kept by each protocol, in order.
TRAIN_IDS_16 = tuple(i for i in range(19) if i not in CLASSES_ABSENT_IN_16)
TRAIN_IDS_13 = tuple(i for i in range(19) if i not in CLASSES_ABSENT_IN_13)

#: trainIds of classes IntraDA treats as rare (its entropy normalisation).
INTRADA_RARE_TRAIN_IDS = (3, 4, 5, 6, 7, 9, 12, 14, 15, 16, 17)


def _lut(pairs, size):
    """A uint8 lookup table of ``size`` entries, 255 where unlisted."""
    lut = np.full(size, IGNORE_INDEX, dtype=np.uint8)
    for src, dst in pairs:
        lut[src] = dst
    return lut


#: Lookup table labelId (0-255) -> 19-class trainId. Cityscapes' ``-1``
#: never reaches an 8-bit PNG; every id but the 19 maps to 255.
LABEL_ID_TO_TRAIN_ID_LUT = _lut(
    ((lid, tid) for tid, lid in enumerate(CITYSCAPES_LABEL_IDS)), 256)

#: Lookup table SYNTHIA raw id (0-65535) -> 19-class trainId.
SYNTHIA_TO_TRAIN_ID_LUT = _lut(SYNTHIA_RAW_TO_TRAIN_ID.items(), 65536)

#: Lookup table 19-class trainId (0-255) -> 16-class trainId.
TRAIN_ID_19_TO_16_LUT = _lut(
    ((tid, i) for i, tid in enumerate(TRAIN_IDS_16)), 256)

CLASSES_16 = tuple(CITYSCAPES_CLASSES[i] for i in TRAIN_IDS_16)
PALETTE_16 = tuple(CITYSCAPES_PALETTE[i] for i in TRAIN_IDS_16)


def label_ids_to_train_ids(label: np.ndarray) -> np.ndarray:
    """Map a Cityscapes/GTA5 labelId map to 19-class trainIds."""
    return LABEL_ID_TO_TRAIN_ID_LUT[label]


def synthia_to_train_ids(raw: np.ndarray) -> np.ndarray:
    """Map a SYNTHIA raw-id map (first channel) to 19-class trainIds."""
    return SYNTHIA_TO_TRAIN_ID_LUT[raw]


def train_ids_19_to_16(label: np.ndarray) -> np.ndarray:
    """Map 19-class trainIds to 16-class trainIds (terrain/truck/train→255)."""
    return TRAIN_ID_19_TO_16_LUT[label]
