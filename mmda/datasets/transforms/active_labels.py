import os.path as osp
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmseg.registry import TRANSFORMS
from ...active.label_ledger import ledger_map_to_labels, read_published_map


@TRANSFORMS.register_module()
class LoadActiveLabels(BaseTransform):
    """Load the actively annotated labels of a target image as its label.

    Reads the image's map from the published round of the active-label
    ledger (:mod:`mmda.active.label_ledger`): labelled pixels keep their
    class, every other pixel (unlabelled, active, annotated as void) becomes
    255. An image without a map gets an all-255 label. Put it right after
    the image loader, before any geometric transform.

    ``ledger_dir`` is normally left ``None`` in configs: the
    :class:`~mmda.engine.ActiveSelectionHook` sets it to
    ``<work_dir>/<its ledger_dir>`` before training starts (before data
    workers fork).

    Added keys: ``gt_seg_map``, ``seg_fields``.
    """

    def __init__(self, ledger_dir: Optional[str] = None):
        self.ledger_dir = ledger_dir

    @staticmethod
    def key_of(img_path: str) -> str:
        """Ledger key of an image: its file stem."""
        return osp.splitext(osp.basename(img_path))[0]

    def transform(self, results: dict) -> dict:
        if self.ledger_dir is None:
            raise RuntimeError(
                'LoadActiveLabels has no ledger directory: add an '
                'ActiveSelectionHook to custom_hooks (it sets the directory) '
                'or pass ledger_dir')
        height, width = results['img'].shape[:2]
        ledger_map = read_published_map(self.ledger_dir,
                                        self.key_of(results['img_path']))
        if ledger_map is None:
            labels = np.full((height, width), 255, np.uint8)
        else:
            if ledger_map.shape != (height, width):
                raise ValueError(
                    f'active-label map of {results["img_path"]} in '
                    f'{self.ledger_dir} is {ledger_map.shape[1]}x'
                    f'{ledger_map.shape[0]} but the image is '
                    f'{width}x{height}')
            labels = ledger_map_to_labels(ledger_map)
        results['gt_seg_map'] = labels
        results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in results['seg_fields']:
            results['seg_fields'].append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(ledger_dir={self.ledger_dir!r})'
