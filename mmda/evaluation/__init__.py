from .cityscapes_format import add_cityscapes_format, to_label_ids
from .cityscapes_format_metric import CityscapesFormatMetric
from .da_iou_metric import DAIoUMetric, protocol_class_subsets

__all__ = [
    'CityscapesFormatMetric', 'DAIoUMetric', 'add_cityscapes_format',
    'protocol_class_subsets', 'to_label_ids'
]
