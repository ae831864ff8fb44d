"""Annotators: who provides the labels of the selected pixels.

An annotator is called once per image and round with the boolean mask of the
pixels to label and the scored data sample; it returns a uint8 label map of
the image (only the selected pixels are read; 255 marks a pixel the
annotator calls void).
"""
import numpy as np
from torch import Tensor

from mmseg.registry import TASK_UTILS


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
