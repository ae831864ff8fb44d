"""Annotators: who provides the labels of the selected pixels.

An annotator is called once per image and round with the boolean mask of the
pixels to label and the scored data sample; it returns a uint8 label map of
the image (only the selected pixels are read; 255 marks a pixel the
annotator calls void).

:class:`FileAnnotator` instead labels whole rounds through files, stopping
the training run until people have labelled the selection.
"""
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np
from torch import Tensor

from mmseg.registry import TASK_UTILS
from .annotation_exchange import (AnnotationError, export_requests,
                                  import_round, label_status, round_dir_name)


@TASK_UTILS.register_module()
class SimulatedAnnotator:
    """The benchmark's oracle: copies the ground truth of the selected pixels.

    Reads ``gt_sem_seg`` of the data sample, so the scoring pipeline must
    load annotations (``LoadDAAnnotations`` after ``Resize``, i.e. at full
    label resolution, with the dataset's ``label_map`` applied).
    """

    def __call__(self, key: str, selected: Tensor, data_sample) -> np.ndarray:
        if 'gt_sem_seg' not in data_sample:
            raise KeyError(
                f'SimulatedAnnotator: no ground truth for {key}: the '
                "ActiveSelectionHook dataloader's pipeline must contain "
                'LoadDAAnnotations')
        gt = data_sample.gt_sem_seg.data.squeeze(0).cpu().numpy()
        if gt.shape != tuple(selected.shape):
            raise ValueError(
                f'SimulatedAnnotator: ground truth of {key} is '
                f'{gt.shape}, the scored map is {tuple(selected.shape)}; '
                'load annotations after Resize in the scoring pipeline')
        return gt.astype(np.uint8)


@TASK_UTILS.register_module()
class FileAnnotator:
    """People label the selected pixels, through files (stop and resume).

    Round ``k`` of the :class:`~mmda.engine.ActiveSelectionHook` then runs
    in two passes:

    1. The hook scores and selects as usual, hands the selection of every
       image to :meth:`export` (masks and manifest under
       ``<work_dir>/<exchange_dir>/round_<k>/``, see
       :mod:`mmda.active.annotation_exchange`), saves a checkpoint with the
       pending selection and stops training.
    2. Once ``labels/`` is filled, ``tools/train.py CONFIG --resume``
       resumes from that checkpoint; the hook asks :meth:`pending` for
       missing label files (an error lists them), reads the labels with
       :meth:`collect` and records them in the ledger without scoring
       again, and training continues.

    The hook's interface to annotators of this kind: ``requires_pause``
    (True), :meth:`round_dir`, :meth:`export`, :meth:`pending` and
    :meth:`collect`. Annotators without ``requires_pause`` (such as
    :class:`SimulatedAnnotator`) are called per image instead.

    Args:
        exchange_dir (str): Root of the round directories, relative to the
            work dir (or absolute). Defaults to ``'annotation'``.
    """

    requires_pause = True

    def __init__(self, exchange_dir: str = 'annotation'):
        self.exchange_dir = exchange_dir

    def round_dir(self, work_dir: str, round_no: int) -> str:
        """The exchange directory of round ``round_no`` (from 1)."""
        return osp.join(work_dir, self.exchange_dir,
                        round_dir_name(round_no))

    def export(self, work_dir: str, round_no: int,
               requests: Sequence[Tuple[str, str, np.ndarray]],
               num_classes: int, class_names: Sequence[str]) -> str:
        """Write the requests ``(key, image path, selected mask)`` of a
        round; returns its directory. A stale export of the same round
        without any label file is replaced (a rerun of the round)."""
        return export_requests(
            osp.join(work_dir, self.exchange_dir),
            round_no,
            requests,
            num_classes,
            class_names,
            overwrite=True)

    def pending(self, round_dir: str) -> List[str]:
        """Paths of the label files still missing in ``round_dir``."""
        return label_status(round_dir)['missing']

    def collect(self, round_dir: str,
                selected: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        """Validated labels of ``round_dir``: key -> uint8 map (255 void and
        outside the mask).

        ``selected`` (key -> boolean mask) is the selection the caller
        exported; the round directory must hold exactly that selection.

        Raises:
            AnnotationError: if the folder is incomplete or invalid, or its
                masks are not ``selected``.
        """
        labels, masks = import_round(round_dir)
        if set(masks) != set(selected):
            raise AnnotationError(
                f'{osp.join(round_dir, "manifest.json")} lists '
                f'{len(masks)} images, the pending selection '
                f'{len(selected)}: the directory belongs to another run')
        for key in sorted(masks):
            if not np.array_equal(masks[key], np.asarray(selected[key],
                                                         bool)):
                raise AnnotationError(
                    f'{osp.join(round_dir, "masks", key + ".png")} is not '
                    'the selection of the checkpoint being resumed: the '
                    'directory belongs to another run')
        return labels

    def __call__(self, key: str, selected: Tensor, data_sample) -> np.ndarray:
        raise RuntimeError(
            'FileAnnotator labels whole rounds through files '
            '(export / pending / collect), not one image at a time: use it '
            'with ActiveSelectionHook')
