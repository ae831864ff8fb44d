from .da_iou_metric import DAIoUMetric, protocol_class_subsets

__all__ = ['DAIoUMetric', 'protocol_class_subsets']
