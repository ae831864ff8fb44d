"""Which validation metrics a config reports, known before any trial runs.

A search optimises one metric of the validation (``mIoU`` by default). The
names a config's ``val_evaluator`` will report are known from its metric
types:

* :class:`~mmda.evaluation.DAIoUMetric`: ``aAcc``, ``mIoU``, ``mAcc``, the
  protocol subsets of the validation classes (``mIoU16`` and ``mIoU13`` for
  a 19-class set, ``mIoU13`` for a 16-class one) and ``IoU.<class>`` for
  every class;
* mmseg's ``IoUMetric``: ``aAcc`` and, per ``iou_metrics`` entry, ``mIoU``
  and ``mAcc``, ``mDice`` and ``mAcc``, ``mFscore``, ``mPrecision`` and
  ``mRecall``;

with the metric's ``prefix`` (``prefix/name``) when it has one. For other
metric types the names are not known here; the trials' report hook then
fails at the first validation that lacks the metric.
"""
import difflib
from typing import List, Optional, Set

from mmseg.registry import DATASETS

from ..datasets.label_spaces import classes_of
from ..evaluation.da_iou_metric import protocol_class_subsets

_IOU_METRIC_NAMES = {
    'mIoU': ('mIoU', 'mAcc'),
    'mDice': ('mDice', 'mAcc'),
    'mFscore': ('mFscore', 'mPrecision', 'mRecall'),
}


class MetricError(ValueError):
    """The search's metric is one the config never reports."""


def _type_name(cfg_type) -> str:
    return cfg_type if isinstance(cfg_type, str) else getattr(
        cfg_type, '__name__', str(cfg_type))


def val_class_names(cfg) -> Optional[tuple]:
    """The class names of the validation dataset (its ``metainfo``, the
    label space of its ``num_classes`` as mmda's datasets build it, or its
    class's ``METAINFO``), None when they cannot be known."""
    dataset = (cfg.get('val_dataloader') or {}).get('dataset') or {}
    metainfo = dataset.get('metainfo') or {}
    if metainfo.get('classes'):
        return tuple(metainfo['classes'])
    if dataset.get('num_classes') is not None:
        return classes_of(dataset['num_classes'])
    cls = dataset.get('type')
    if isinstance(cls, str):
        cls = DATASETS.get(cls)
    classes = getattr(cls, 'METAINFO', {}).get('classes')
    return tuple(classes) if classes else None


def _metric_cfgs(evaluator) -> list:
    if isinstance(evaluator, (list, tuple)):
        return list(evaluator)
    if _type_name(evaluator.get('type')) == 'Evaluator':
        metrics = evaluator.get('metrics')
        return list(metrics) if isinstance(metrics, (list, tuple)) else [
            metrics
        ]
    return [evaluator]


def reported_metrics(cfg) -> Optional[Set[str]]:
    """The metric names the config's validation reports, or None when one
    of its metric types is not known here.

    Raises:
        MetricError: when the config has no validation at all.
    """
    missing = [
        key for key in ('val_dataloader', 'val_evaluator', 'val_cfg')
        if not cfg.get(key)
    ]
    if missing:
        raise MetricError(
            f'the config never validates (no {", ".join(missing)}): a '
            'search compares trials on validation metrics')
    names = set()
    for metric in _metric_cfgs(cfg.val_evaluator):
        kind = _type_name(metric.get('type'))
        if kind == 'DAIoUMetric':
            classes = val_class_names(cfg)
            if classes is None:
                return None
            found = ['aAcc', 'mIoU', 'mAcc']
            found += list(protocol_class_subsets(classes))
            found += [f'IoU.{name}' for name in classes]
        elif kind == 'IoUMetric':
            found = ['aAcc']
            for name in metric.get('iou_metrics', ['mIoU']):
                found += _IOU_METRIC_NAMES.get(name, ())
        else:
            return None
        prefix = metric.get('prefix')
        names.update(f'{prefix}/{n}' if prefix else n for n in found)
    return names


def _summary(names: Set[str]) -> List[str]:
    """The names, with the per-class IoUs folded into ``IoU.<class>``."""
    per_class = sorted(n for n in names if n.split('/')[-1].startswith(
        'IoU.'))
    summary = sorted(n for n in names if n not in per_class)
    if per_class:
        summary.append(f'IoU.<class> ({per_class[0]}, ...)')
    return summary


def check_metric(cfg, metric: str) -> Optional[Set[str]]:
    """Check that the config's validation reports ``metric``.

    Returns:
        set | None: the names it reports (None when not known here).

    Raises:
        MetricError: naming the metric, what the config reports and the
            closest names.
    """
    names = reported_metrics(cfg)
    if names is None or metric in names:
        return names
    evaluators = ', '.join(
        _type_name(m.get('type')) for m in _metric_cfgs(cfg.val_evaluator))
    by_lower = {n.lower(): n for n in sorted(names)}
    close = [
        by_lower[n]
        for n in difflib.get_close_matches(metric.lower(), by_lower, n=3)
    ]
    hint = f' (did you mean {", ".join(close)}?)' if close else ''
    raise MetricError(
        f'metric {metric!r} is never reported by this config{hint}: its '
        f'val_evaluator ({evaluators}) reports '
        f'{", ".join(_summary(names))}')
