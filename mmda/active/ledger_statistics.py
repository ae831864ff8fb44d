"""What an active-selection run labelled, measured against the ground truth.

RIPU (Xie et al., "Towards Fewer Annotations: Active Learning via Region
Impurity and Prediction Uncertainty for Domain Adaptive Semantic
Segmentation", CVPR 2022, §3.2) scores a region by the entropy of the
predicted classes in it (region impurity) times the mean pixel entropy
(prediction uncertainty), so its picks should lean to class boundaries and
to classes that are rare in the target. :func:`ledger_statistics` says how
far a run's ledger does, beside what the same images' ground truth gives:
the share of labelled pixels on boundaries, the class balance, and the share
of the rarest classes (see ``docs/methods.md``, "RIPU's acquisition against
its ablations").
"""
import os
import os.path as osp
import statistics
from typing import Dict, Sequence

import cv2
import numpy as np

from .label_ledger import LABELLED_IGNORE, ActiveLabelLedger, LedgerError

LEDGER_DIR = 'active_ledger'


class StatisticsError(RuntimeError):
    """Input the statistics cannot be computed from (named in the text)."""


def ground_truth_index(gt_dir: str, gt_suffix: str) -> Dict[str, str]:
    """Image stem -> ground-truth file, over ``gt_dir`` recursively."""
    index = {}
    for root, _, files in os.walk(gt_dir):
        for name in files:
            if name.endswith(gt_suffix):
                index[name[:-len(gt_suffix)]] = osp.join(root, name)
    if not index:
        raise StatisticsError(
            f'no ground truth (*{gt_suffix}) under {gt_dir}')
    return index


def read_label_map(path: str) -> np.ndarray:
    gt = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if gt is None or gt.ndim != 2 or gt.dtype != np.uint8:
        raise StatisticsError(f'cannot read {path} as a single-channel '
                              'uint8 label map')
    return gt


def class_pixel_counts(gt_index: Dict[str, str],
                       num_classes: int) -> np.ndarray:
    """Pixels of each class over every ground-truth file of ``gt_index``
    (void and out-of-range values left out)."""
    counts = np.zeros(num_classes, np.int64)
    for path in gt_index.values():
        gt = read_label_map(path)
        counts += np.bincount(gt[gt < num_classes], minlength=num_classes)
    return counts


def boundary_mask(gt: np.ndarray) -> np.ndarray:
    """Pixels whose 3×3 neighbourhood (clipped at the border) holds more
    than one value of ``gt`` (void counts as a value)."""
    kernel = np.ones((3, 3), np.uint8)
    return cv2.dilate(gt, kernel) != cv2.erode(gt, kernel)


def entropy_bits(counts: np.ndarray) -> float:
    """Entropy in bits of the distribution that ``counts`` is a histogram
    of (0 for an empty one)."""
    counts = np.asarray(counts, np.float64)
    p = counts[counts > 0] / counts.sum() if counts.sum() else counts[:0]
    return float(-(p * np.log2(p)).sum()) if p.size else 0.0


def mean_std(values: Sequence[float], fmt: str = '.2f') -> str:
    """``mean ± std`` (sample standard deviation) of several values, the
    value itself of one, ``–`` of none: a cell of a statistics table."""
    if not values:
        return '–'
    if len(values) == 1:
        return format(values[0], fmt)
    return (f'{statistics.fmean(values):{fmt}} ± '
            f'{statistics.stdev(values):{fmt}}')


def ledger_statistics(work_dir: str,
                      gt_index: Dict[str, str],
                      img_suffix: str = '_leftImg8bit',
                      rare: int = 5) -> dict:
    """Statistics of the published ledger of ``work_dir``
    (``<work_dir>/active_ledger``) over its labelled pixels (classes
    ``0 .. C-1``; pixels labelled void and picked-but-unlabelled ones left
    out), each beside the same quantity over all pixels of the touched
    images (``*_gt``):

    * ``labelled_share``: labelled pixels / pixels of the touched images;
    * ``boundary_share``: share on a ground-truth class boundary
      (:func:`boundary_mask`); ``boundary_share_gt`` is what uniform picks
      of single pixels would give;
    * ``classes``: classes with a labelled pixel;
    * ``balance_bits``: entropy of the labelled pixels' class histogram;
    * ``rare_share``: share of the ``rare`` least frequent classes present
      in the touched images' ground truth (``rare_classes``);
    * ``agree``: share of labelled pixels whose ledger class is the ground
      truth's (1 when labels come from it, as in simulated annotation).

    Raises:
        StatisticsError: naming the ledger or the image that is missing,
            unreadable or of another size.
    """
    root = osp.join(work_dir, LEDGER_DIR)
    try:
        ledger = ActiveLabelLedger.load(root)
    except LedgerError as err:
        raise StatisticsError(str(err)) from err
    num_classes = ledger.num_classes
    picked = np.zeros(num_classes, np.int64)
    truth = np.zeros(num_classes, np.int64)
    pixels = boundary_pixels = on_boundary = agree = 0
    for key in ledger.keys:
        stem = key[:-len(img_suffix)] if key.endswith(img_suffix) else key
        if stem not in gt_index:
            raise StatisticsError(
                f'{root}: image {key} of the ledger has no ground truth '
                f'({stem}*)')
        gt = read_label_map(gt_index[stem])
        try:
            ledger_map = ledger.get(key, gt.shape)
        except LedgerError as err:
            raise StatisticsError(f'{root}: {err}') from err
        labelled = ledger_map < LABELLED_IGNORE
        boundary = boundary_mask(gt)
        pixels += gt.size
        boundary_pixels += int(boundary.sum())
        on_boundary += int((boundary & labelled).sum())
        agree += int((ledger_map[labelled] == gt[labelled]).sum())
        picked += np.bincount(ledger_map[labelled], minlength=num_classes)
        truth += np.bincount(gt[gt < num_classes], minlength=num_classes)
    count = int(picked.sum())
    if not count:
        raise StatisticsError(f'{root}: the ledger labels no pixel')
    present = np.flatnonzero(truth)
    rare_classes = present[np.argsort(truth[present], kind='stable')][:rare]
    return dict(
        work_dir=work_dir,
        images=len(ledger.keys),
        rounds=ledger.num_rounds,
        labelled_pixels=count,
        labelled_share=count / pixels,
        boundary_share=on_boundary / count,
        boundary_share_gt=boundary_pixels / pixels,
        classes=int((picked > 0).sum()),
        classes_gt=int(present.size),
        balance_bits=entropy_bits(picked),
        balance_bits_gt=entropy_bits(truth),
        rare_classes=[int(c) for c in rare_classes],
        rare_share=float(picked[rare_classes].sum()) / count,
        rare_share_gt=float(truth[rare_classes].sum()) / float(truth.sum()),
        agree=agree / count,
        class_pixels=[int(v) for v in picked],
        class_pixels_gt=[int(v) for v in truth])
