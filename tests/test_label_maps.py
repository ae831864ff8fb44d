"""Every label mapping against full id tables written out here.

The expected tables are typed from the Cityscapes definition
(docs/methods.md#label-spaces), independently of the package code.
"""
import numpy as np
import pytest

from mmda.datasets import label_maps as lm
from mmda.datasets.label_spaces import classes_of, palette_of, train_id_lut

# Cityscapes labelId -> trainId (also GTA5). Every other id -> 255.
LABEL_ID_TO_TRAIN = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9,
    23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18
}
# SYNTHIA raw id -> 19 trainIds. 0 void, 13 parking-slot, 14 road-work,
# 22 lanemarking -> 255.
SYNTHIA_TO_19 = {
    3: 0, 4: 1, 2: 2, 21: 3, 5: 4, 7: 5, 15: 6, 9: 7, 6: 8, 16: 9, 1: 10,
    10: 11, 17: 12, 8: 13, 18: 14, 19: 15, 20: 16, 12: 17, 11: 18
}
# 16 classes: road sidewalk building wall fence pole light sign vegetation
# sky person rider car bus motorcycle bicycle.
SYNTHIA_TO_16 = {
    3: 0, 4: 1, 2: 2, 21: 3, 5: 4, 7: 5, 15: 6, 9: 7, 6: 8, 1: 9, 10: 10,
    17: 11, 8: 12, 19: 13, 12: 14, 11: 15
}
# 13 classes: road sidewalk building light sign vegetation sky person rider
# car bus motorcycle bicycle.
SYNTHIA_TO_13 = {
    3: 0, 4: 1, 2: 2, 15: 3, 9: 4, 6: 5, 1: 6, 10: 7, 17: 8, 8: 9, 19: 10,
    12: 11, 11: 12
}
TRAIN_19_TO_16 = {
    0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 10: 9, 11: 10,
    12: 11, 13: 12, 15: 13, 17: 14, 18: 15
}
TRAIN_19_TO_13 = {
    0: 0, 1: 1, 2: 2, 6: 3, 7: 4, 8: 5, 10: 6, 11: 7, 12: 8, 13: 9, 15: 10,
    17: 11, 18: 12
}
CLASSES_19 = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole',
              'traffic light', 'traffic sign', 'vegetation', 'terrain', 'sky',
              'person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle',
              'bicycle')
CLASSES_16 = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole',
              'traffic light', 'traffic sign', 'vegetation', 'sky', 'person',
              'rider', 'car', 'bus', 'motorcycle', 'bicycle')
CLASSES_13 = ('road', 'sidewalk', 'building', 'traffic light',
              'traffic sign', 'vegetation', 'sky', 'person', 'rider', 'car',
              'bus', 'motorcycle', 'bicycle')


def full_table(mapping, size):
    return np.array([mapping.get(i, 255) for i in range(size)])


def test_label_id_to_train_id_all_256():
    expected = full_table(LABEL_ID_TO_TRAIN, 256)
    ids = np.arange(256, dtype=np.uint8)
    assert np.array_equal(lm.LABEL_ID_TO_TRAIN_ID_LUT, expected)
    assert np.array_equal(lm.label_ids_to_train_ids(ids), expected)
    assert lm.label_ids_to_train_ids(ids).dtype == np.uint8
    # as a 2-D map too
    assert np.array_equal(
        lm.label_ids_to_train_ids(ids.reshape(16, 16)),
        expected.reshape(16, 16))


@pytest.mark.parametrize('num_classes,table', [(19, SYNTHIA_TO_19),
                                               (16, SYNTHIA_TO_16),
                                               (13, SYNTHIA_TO_13)])
def test_synthia_raw_ids(num_classes, table):
    raw = np.array(list(range(23)) + [23, 255, 256, 1000, 65535],
                   dtype=np.uint16)
    expected = np.array([table.get(int(i), 255) for i in raw])
    got = lm.synthia_to_train_ids(raw)
    if num_classes != 19:
        got = train_id_lut(num_classes)[got]
    assert np.array_equal(got, expected)
    assert np.array_equal(lm.SYNTHIA_TO_TRAIN_ID_LUT[:23],
                          full_table(SYNTHIA_TO_19, 23))
    assert (lm.SYNTHIA_TO_TRAIN_ID_LUT[23:] == 255).all()


@pytest.mark.parametrize('num_classes,table', [(19, {i: i
                                                     for i in range(19)}),
                                               (16, TRAIN_19_TO_16),
                                               (13, TRAIN_19_TO_13)])
def test_train_id_reductions(num_classes, table):
    expected = full_table(table, 256)
    assert np.array_equal(train_id_lut(num_classes), expected)
    if num_classes == 16:
        assert np.array_equal(lm.TRAIN_ID_19_TO_16_LUT, expected)
        assert np.array_equal(
            lm.train_ids_19_to_16(np.arange(256, dtype=np.uint8)), expected)


def test_class_lists_and_palettes():
    assert tuple(lm.CITYSCAPES_CLASSES) == CLASSES_19
    assert classes_of(19) == CLASSES_19
    assert classes_of(16) == CLASSES_16 == tuple(lm.CLASSES_16)
    assert classes_of(13) == CLASSES_13
    assert palette_of(16) == tuple(lm.PALETTE_16)
    assert palette_of(13)[3] == (250, 170, 30)  # traffic light
    assert len(palette_of(13)) == 13
    assert tuple(lm.CITYSCAPES_LABEL_IDS) == tuple(
        sorted(LABEL_ID_TO_TRAIN, key=LABEL_ID_TO_TRAIN.get))
    with pytest.raises(ValueError, match='num_classes'):
        classes_of(18)


@pytest.mark.parametrize('num_classes,table', [(16, TRAIN_19_TO_16),
                                               (13, TRAIN_19_TO_13)])
def test_dataset_label_map_matches_protocol(num_classes, table):
    """mmseg's label_map built from the reduced class list (what the
    datasets pass as metainfo) is the protocol mapping."""
    from mmda.datasets import DABaseSegDataset
    label_map = DABaseSegDataset.get_label_map(classes_of(num_classes))
    assert label_map == {i: table.get(i, 255) for i in range(19)}
