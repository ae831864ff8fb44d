"""``docs/methods.md`` states what the code does: its label-space table is
the one of :mod:`mmda.datasets.label_maps`."""
import os.path as osp
import re

from conftest import REPO
from mmda.datasets.label_maps import (CITYSCAPES_CLASSES,
                                      CITYSCAPES_LABEL_IDS,
                                      INTRADA_RARE_TRAIN_IDS,
                                      SYNTHIA_RAW_TO_TRAIN_ID, TRAIN_IDS_13,
                                      TRAIN_IDS_16)

DOC = osp.join(REPO, 'docs', 'methods.md')


def section(anchor: str) -> str:
    """The text of the section under ``<a id="anchor">``."""
    with open(DOC, encoding='utf-8') as f:
        text = f.read()
    start = text.index(f'<a id="{anchor}"></a>')
    end = text.find('<a id="', start + 1)
    return text[start:end if end > 0 else None]


def test_label_table_is_the_codes():
    rows = re.findall(r'^\| (\d+) \| ([a-z ]+) \| (\d+) \| (\d+) \|$',
                      section('label-spaces'), re.M)
    assert [int(r[0]) for r in rows] == list(range(19))
    assert tuple(r[1] for r in rows) == CITYSCAPES_CLASSES
    assert tuple(int(r[2]) for r in rows) == CITYSCAPES_LABEL_IDS
    assert {int(r[3]): int(r[0]) for r in rows} == SYNTHIA_RAW_TO_TRAIN_ID


def test_protocol_and_rare_class_ids_are_the_codes():
    text = section('label-spaces')
    dropped_16 = re.search(r'trainIds (\d+), (\d+), (\d+)\)', text)
    assert tuple(i for i in range(19) if i not in TRAIN_IDS_16) == tuple(
        int(i) for i in dropped_16.groups())
    dropped_13 = re.search(r'pole, trainIds (\d+), (\d+), (\d+)\)', text)
    assert tuple(i for i in TRAIN_IDS_16 if i not in TRAIN_IDS_13) == tuple(
        int(i) for i in dropped_13.groups())
    rare = re.search(r'rare classes\*\* \(its ranking normalisation\): '
                     r'trainIds ([\d, ]+)\.', re.sub(r'\s+', ' ', text))
    assert tuple(int(i) for i in rare.group(1).split(', ')) == \
        INTRADA_RARE_TRAIN_IDS
