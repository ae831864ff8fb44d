from collections import OrderedDict
from typing import Dict, Sequence

import numpy as np
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS
from ..datasets.label_maps import (CITYSCAPES_CLASSES, CLASSES_16,
                                   TRAIN_IDS_13, TRAIN_IDS_16)


def protocol_class_subsets(class_names: Sequence[str]) -> Dict[str, list]:
    """Which class indices each SYNTHIA evaluation protocol averages over.

    A 19-class head is scored as mIoU19 and, on the same predictions, as
    mIoU16 and mIoU13 (the DAFormer-family convention); a native 16-class
    head as mIoU16 and mIoU13 (the RIPU/ProDA/PLCA convention).
    """
    class_names = tuple(class_names)
    if class_names == CITYSCAPES_CLASSES:
        return {
            'mIoU16': list(TRAIN_IDS_16),
            'mIoU13': list(TRAIN_IDS_13)
        }
    if class_names == CLASSES_16:
        names13 = [CITYSCAPES_CLASSES[i] for i in TRAIN_IDS_13]
        return {'mIoU13': [class_names.index(n) for n in names13]}
    return {}


@METRICS.register_module()
class DAIoUMetric(IoUMetric):
    """mIoU with the domain-adaptation protocols and per-class IoUs.

    Same accumulation as mmseg's :class:`IoUMetric` (predictions scored at
    the label's resolution, intersections and unions summed over the whole
    set, so sharded evaluation gives exactly the single-process numbers).
    Besides ``mIoU``/``mAcc``/``aAcc`` it reports ``mIoU16`` and ``mIoU13``
    for a 19-class head and ``mIoU13`` for a 16-class head (whose ``mIoU``
    is the 16-class score; see :func:`protocol_class_subsets`) and each
    class's IoU as ``IoU.<class>`` for results tables and hyper-parameter
    search.
    """

    def __init__(self, iou_metrics=('mIoU', ), **kwargs):
        super().__init__(iou_metrics=list(iou_metrics), **kwargs)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger: MMLogger = MMLogger.get_current_instance()
        if self.format_only:
            logger.info(f'results are saved to {self.output_dir}')
            return OrderedDict()
        area_intersect, area_union, area_pred, area_label = (
            sum(r) for r in zip(*results))
        per_class = self.total_area_to_metrics(area_intersect, area_union,
                                               area_pred, area_label,
                                               self.metrics, self.nan_to_num,
                                               self.beta)
        class_names = self.dataset_meta['classes']
        iou = per_class['IoU']

        metrics = OrderedDict(aAcc=np.round(per_class['aAcc'] * 100, 2))
        metrics['mIoU'] = np.round(np.nanmean(iou) * 100, 2)
        for name, subset in protocol_class_subsets(class_names).items():
            metrics[name] = np.round(np.nanmean(iou[subset]) * 100, 2)
        metrics['mAcc'] = np.round(np.nanmean(per_class['Acc']) * 100, 2)
        for name, value in zip(class_names, iou):
            metrics[f'IoU.{name}'] = np.round(value * 100, 2)

        table = PrettyTable()
        table.add_column('Class', list(class_names))
        table.add_column('IoU', np.round(iou * 100, 2).tolist())
        table.add_column('Acc', np.round(per_class['Acc'] * 100, 2).tolist())
        print_log('per class results:', logger)
        print_log('\n' + table.get_string(), logger=logger)
        return metrics
