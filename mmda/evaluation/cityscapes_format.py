"""Predictions in the official Cityscapes result format.

The Cityscapes benchmark (its test server and cityscapesScripts'
``evalPixelLevelSemanticLabeling.py``) reads one single-channel PNG of
Cityscapes *labelIds* per image, named after the image
(``<city>_<seq>_<frame>*.png``). mmda models predict trainIds of their
protocol (19, 16 or 13 classes); :func:`to_label_ids` maps them through the
19 trainIds to labelIds, and :func:`add_cityscapes_format` sets a test
config up to write (and optionally score) them with
:class:`~mmda.evaluation.CityscapesFormatMetric`.
"""
import os.path as osp
from typing import Sequence

import numpy as np

from ..datasets.label_maps import CITYSCAPES_CLASSES, CITYSCAPES_LABEL_IDS

#: labelId written where a prediction has no Cityscapes class
#: ("unlabeled", ignored by the evaluation).
VOID_LABEL_ID = 0
#: Suffix of the result files (the image's own name).
RESULT_SUFFIX = '_leftImg8bit.png'


def label_id_lut(class_names: Sequence[str]) -> np.ndarray:
    """uint8 lookup table: a model's class index (0-255) -> labelId.

    Class ``i`` of the model is the Cityscapes class of the same name, i.e.
    19-class trainId ``CITYSCAPES_CLASSES.index(name)``, written as that
    trainId's labelId; indices beyond the model's classes (e.g. 255) are
    void. Raises ``ValueError`` naming a class that is not a Cityscapes
    class.
    """
    lut = np.full(256, VOID_LABEL_ID, np.uint8)
    for index, name in enumerate(class_names):
        if name not in CITYSCAPES_CLASSES:
            raise ValueError(
                f'class {name!r} (index {index}) is not one of the 19 '
                f'Cityscapes classes {CITYSCAPES_CLASSES}: cannot write '
                'Cityscapes labelIds')
        lut[index] = CITYSCAPES_LABEL_IDS[CITYSCAPES_CLASSES.index(name)]
    return lut


def to_label_ids(pred: np.ndarray, class_names: Sequence[str]) -> np.ndarray:
    """Map a prediction of class indices to Cityscapes labelIds (uint8).

    A 16- or 13-class model never predicts the classes outside its
    protocol, so those labelIds simply never appear; the evaluation counts
    their pixels as misses, as for any class a model does not predict.
    """
    return label_id_lut(class_names)[pred.astype(np.int64)]


def result_path(output_dir: str, img_path: str) -> str:
    """``output_dir/<city>/<stem>_leftImg8bit.png`` of a Cityscapes image
    ``.../<city>/<stem>_leftImg8bit.png``; another image name keeps its
    file stem (``<stem>.png`` -> ``<stem>_leftImg8bit.png``)."""
    city = osp.basename(osp.dirname(img_path))
    name = osp.basename(img_path)
    if name.endswith(RESULT_SUFFIX):
        stem = name[:-len(RESULT_SUFFIX)]
    else:
        stem = osp.splitext(name)[0]
    return osp.join(output_dir, city, stem + RESULT_SUFFIX)


def _has_labels(dataset_cfg) -> bool:
    if not dataset_cfg.get('with_labels', True):
        return False
    pipeline = dataset_cfg.get('pipeline') or []
    return any('Annotations' in str(t.get('type', '')) for t in pipeline)


def add_cityscapes_format(cfg, output_dir: str, evaluate: bool = False):
    """Make ``cfg``'s test run write Cityscapes result files to
    ``output_dir`` (and score them with cityscapesScripts when
    ``evaluate``).

    The config's own test metric stays (mmda's mIoU next to the official
    one); a test split without labels (``with_labels=False`` or no
    annotation loading in its pipeline) writes the submission only.

    Raises:
        ValueError: ``evaluate`` on a test split without labels.
    """
    dataset = cfg.test_dataloader.dataset
    labelled = _has_labels(dataset)
    if evaluate and not labelled:
        raise ValueError(
            '--cityscapes-eval needs ground truth, but the test split of '
            f'this config has none ({dataset.get("type")} with '
            f'data_prefix={dataset.get("data_prefix")}); without it '
            '--cityscapes-format writes a submission only')
    metric = dict(
        type='CityscapesFormatMetric',
        output_dir=osp.abspath(output_dir),
        format_only=not evaluate)
    if not labelled:
        cfg.test_evaluator = metric
        return cfg
    evaluators = cfg.test_evaluator
    if not isinstance(evaluators, (list, tuple)):
        evaluators = [evaluators]
    cfg.test_evaluator = list(evaluators) + [metric]
    return cfg
