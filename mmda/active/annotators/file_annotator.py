"""People label the selected pixels, through files (stop and resume)."""
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from mmengine.dist import all_gather_object, barrier, is_main_process

from mmseg.registry import TASK_UTILS
from ..annotation_exchange import (LABEL_DIR, MANIFEST, README,
                                   AnnotationError, export_requests,
                                   import_round, label_status,
                                   round_dir_name)
from ..label_ledger import decode_map, encode_map
from .base_annotator import AnnotationRequest, BaseAnnotator


@TASK_UTILS.register_module()
class FileAnnotator(BaseAnnotator):
    """People label the selected pixels, through files (stop and resume).

    Round ``k`` of the :class:`~mmda.engine.ActiveSelectionHook` then runs
    in two passes:

    1. The hook scores and selects as usual and hands every rank's picks
       to :meth:`request`; :meth:`submit` gathers them and writes the masks
       and the manifest under ``<work_dir>/<exchange_dir>/round_<k>/`` (see
       :mod:`mmda.active.annotation_exchange`); the hook saves a checkpoint
       with the pending selection and stops training.
    2. Once ``labels/`` is filled, ``tools/train.py CONFIG --resume``
       resumes from that checkpoint; the hook asks :meth:`collect` for the
       labels of the checkpoint's selection (an error lists the missing
       label files, or names the invalid ones) and records them in the
       ledger without scoring again, and training continues.

    ``tools/active_annotation.py`` lists, checks and (for tests) fills the
    round directories.

    Args:
        exchange_dir (str): Root of the round directories, relative to the
            work dir (or absolute). Defaults to ``'annotation'``.
    """

    requires_pause = True

    def __init__(self, exchange_dir: str = 'annotation'):
        self.exchange_dir = exchange_dir
        self.work_dir = None
        # round -> [(key, image path, PNG of the mask)] of this rank
        self._requests: Dict[int, List[tuple]] = {}

    def round_dir(self, round_no: int) -> str:
        """The exchange directory of round ``round_no`` (from 1)."""
        if self.work_dir is None:
            raise RuntimeError('FileAnnotator: setup() was not called (the '
                               'ActiveSelectionHook calls it before '
                               'training)')
        return osp.join(self.work_dir, self.exchange_dir,
                        round_dir_name(round_no))

    def request(self, round_no: int,
                picks: Sequence[AnnotationRequest]) -> None:
        self._requests.setdefault(round_no, []).extend(
            (pick.key, pick.img_path,
             encode_map(np.asarray(pick.selected, bool).astype(np.uint8)))
            for pick in picks)

    def submit(self, round_no: int) -> None:
        """Write the round directory with the requests of all ranks (on
        rank 0). A stale export of the same round without any label file
        is replaced (a rerun of the round); one with label files is never
        touched (an error)."""
        mine = self._requests.pop(round_no, [])
        requests = sorted(
            (item for part in all_gather_object(mine) for item in part),
            key=lambda item: item[0])
        if requests and is_main_process():
            export_requests(
                osp.dirname(self.round_dir(round_no)),
                round_no,
                [(key, path, decode_map(mask, key) > 0)
                 for key, path, mask in requests],
                len(self.class_names),
                self.class_names,
                overwrite=True)
        barrier()

    def pending(self, round_no: int) -> List[str]:
        """Paths of the label files of round ``round_no`` still missing."""
        return label_status(self.round_dir(round_no))['missing']

    def collect(self, round_no: int,
                selected: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        """Validated labels of the round directory.

        ``selected`` is the selection that was exported (from the
        checkpoint being resumed); the directory must hold exactly that
        selection.

        Raises:
            AnnotationError: if label files are missing (listed), the folder
                is invalid (every problem, each naming its file), or its
                masks are not ``selected``.
        """
        round_dir = self.round_dir(round_no)
        missing = self.pending(round_no)
        if missing:
            raise AnnotationError(
                f'cannot resume: active selection round {round_no} waits '
                f'for its labels; {len(missing)} of {len(selected)} label '
                f'files are missing:\n  ' + '\n  '.join(missing) +
                f'\nlabel them (see {osp.join(round_dir, LABEL_DIR, README)}'
                '), then resume again')
        labels, masks = import_round(round_dir)
        if set(masks) != set(selected):
            raise AnnotationError(
                f'{osp.join(round_dir, MANIFEST)} lists {len(masks)} '
                f'images, the pending selection {len(selected)}: the '
                'directory belongs to another run')
        for key in sorted(masks):
            if not np.array_equal(masks[key], np.asarray(selected[key],
                                                         bool)):
                raise AnnotationError(
                    f'{osp.join(round_dir, "masks", key + ".png")} is not '
                    'the selection of the checkpoint being resumed: the '
                    'directory belongs to another run')
        return labels

    def instructions(self, round_no: int) -> str:
        round_dir = self.round_dir(round_no)
        return (
            f'  to label: {round_dir}/masks/<key>.png (255 = label this '
            f'pixel), listed in {round_dir}/{MANIFEST}\n'
            f'  labels go to: {round_dir}/{LABEL_DIR}/<key>.png, one per '
            'mask: single-channel uint8 class ids (trainIds), 255 = void, '
            f'the size of the image (see {LABEL_DIR}/{README})\n'
            f'  check them: python tools/active_annotation.py check '
            f'{round_dir}')
