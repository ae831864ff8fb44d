"""The benchmark's annotator: labels from the ground truth."""
from typing import Dict, Sequence

import numpy as np

from mmseg.registry import TASK_UTILS
from .base_annotator import AnnotationRequest, BaseAnnotator


@TASK_UTILS.register_module()
class SimulatedAnnotator(BaseAnnotator):
    """The benchmark's oracle: copies the ground truth of the selected pixels.

    Reads ``gt_sem_seg`` of each request's data sample, so the scoring
    pipeline must load annotations (``LoadDAAnnotations`` after ``Resize``,
    i.e. at full label resolution, with the dataset's ``label_map``
    applied). :meth:`request` keeps the selected masks and the ground truth
    of their pixels until :meth:`collect`, which the hook calls right
    after each request.
    """

    def __init__(self):
        # (round, key) -> (selected mask, labels of its pixels)
        self._answers: Dict[tuple, tuple] = {}

    def request(self, round_no: int,
                picks: Sequence[AnnotationRequest]) -> None:
        for pick in picks:
            sample = pick.data_sample
            if sample is None or 'gt_sem_seg' not in sample:
                raise KeyError(
                    f'SimulatedAnnotator: no ground truth for {pick.key}: '
                    "the ActiveSelectionHook dataloader's pipeline must "
                    'contain LoadDAAnnotations')
            gt = sample.gt_sem_seg.data.squeeze(0).cpu().numpy()
            selected = np.asarray(pick.selected, bool)
            if gt.shape != selected.shape:
                raise ValueError(
                    f'SimulatedAnnotator: ground truth of {pick.key} is '
                    f'{gt.shape}, the scored map is {selected.shape}; load '
                    'annotations after Resize in the scoring pipeline')
            self._answers[(round_no, pick.key)] = (
                selected, gt[selected].astype(np.uint8))

    def collect(self, round_no: int,
                selected: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        labels = {}
        for key, mask in selected.items():
            answer = self._answers.pop((round_no, key), None)
            if answer is None or not np.array_equal(
                    answer[0], np.asarray(mask, bool)):
                raise KeyError(
                    f'SimulatedAnnotator: {key} was not requested with '
                    f'this selection in round {round_no}')
            label = np.full(answer[0].shape, 255, np.uint8)
            label[answer[0]] = answer[1]
            labels[key] = label
        return labels
