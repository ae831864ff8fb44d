"""Cityscapes result files and cityscapesScripts' pixel-level scores."""
import contextlib
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from PIL import Image

from mmseg.registry import METRICS
from .cityscapes_format import result_path, to_label_ids

#: Name of the converted label file and of the raw one beside it.
TRAIN_ID_SUFFIX = '_gtFine_labelTrainIds.png'
LABEL_ID_SUFFIX = '_gtFine_labelIds.png'
INSTANCE_ID_SUFFIX = '_gtFine_instanceIds.png'


@contextlib.contextmanager
def _numpy_in1d():
    """``numpy.in1d`` while cityscapesScripts runs.

    cityscapesScripts 2.3.0 (the latest release) calls ``np.in1d``, which
    NumPy 2.4 removed; its documented replacement is ``np.isin(...)
    .ravel()``. Added only for the call and only where missing.
    """
    if hasattr(np, 'in1d'):
        yield
        return

    def in1d(ar1, ar2, assume_unique=False, invert=False):
        return np.isin(ar1, ar2, assume_unique=assume_unique,
                       invert=invert).ravel()

    np.in1d = in1d
    try:
        yield
    finally:
        del np.in1d


@METRICS.register_module()
class CityscapesFormatMetric(BaseMetric):
    """Write predictions as Cityscapes result files; optionally score them
    with the official ``cityscapesscripts`` pixel-level evaluation.

    Each test image ``<city>/<stem>_leftImg8bit.png`` becomes
    ``output_dir/<city>/<stem>_leftImg8bit.png``: one channel of Cityscapes
    labelIds (19-, 16- or 13-class predictions mapped through the 19
    trainIds, see :func:`~mmda.evaluation.cityscapes_format.to_label_ids`),
    the layout the Cityscapes test server takes. Unlike mmseg's
    ``CityscapesMetric`` (19 classes only, flat file names, deletes its
    folder unless told otherwise) the files are always kept.

    Scoring calls ``evaluateImgLists`` of
    ``cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling`` on the
    files against the raw ``<stem>_gtFine_labelIds.png`` (and
    ``_instanceIds.png``) beside each converted label, prints its tables
    and writes its JSON to ``output_dir/resultPixelLevelSemanticLabeling
    .json``; the metrics are ``cityscapes/mIoU`` and ``cityscapes/iIoU``
    (class averages) and ``cityscapes/mIoU_category``, in percent.

    Args:
        output_dir (str): Folder of the result files.
        format_only (bool): Write the files only (a test split without
            labels: a submission). Defaults to True.
        collect_device (str): See :class:`mmengine.evaluator.BaseMetric`.
        prefix (str, optional): See :class:`mmengine.evaluator.BaseMetric`.
    """
    default_prefix: Optional[str] = 'cityscapes'

    def __init__(self,
                 output_dir: str,
                 format_only: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.output_dir = output_dir
        self.format_only = format_only

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        classes = self.dataset_meta['classes']
        for sample in data_samples:
            pred = sample['pred_sem_seg']['data'][0].cpu().numpy()
            path = result_path(self.output_dir, sample['img_path'])
            os.makedirs(osp.dirname(path), exist_ok=True)
            Image.fromarray(to_label_ids(pred, classes)).save(path)
            gt = ''
            if not self.format_only:
                gt = self._raw_label_path(sample.get('seg_map_path'))
            self.results.append((path, gt))

    @staticmethod
    def _raw_label_path(seg_map_path: Optional[str]) -> str:
        if not seg_map_path:
            raise ValueError('Cityscapes evaluation needs the test images\' '
                             'labels, but a sample has no seg_map_path')
        raw = seg_map_path
        if raw.endswith(TRAIN_ID_SUFFIX):
            raw = raw[:-len(TRAIN_ID_SUFFIX)] + LABEL_ID_SUFFIX
        for path in (raw, raw.replace(LABEL_ID_SUFFIX, INSTANCE_ID_SUFFIX)):
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'Cityscapes evaluation needs {path} (the official '
                    'gtFine labelIds and instanceIds beside the converted '
                    f'{osp.basename(seg_map_path)})')
        return raw

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        if self.format_only:
            print_log(
                f'Cityscapes result files ({len(results)} images, labelIds) '
                f'written to {self.output_dir}', logger)
            return OrderedDict()
        from cityscapesscripts.evaluation import \
            evalPixelLevelSemanticLabeling as cs_eval
        args = cs_eval.args
        args.predictionPath = osp.abspath(self.output_dir)
        args.evalInstLevelScore = True
        args.evalPixelAccuracy = False
        args.JSONOutput = True
        args.exportFile = osp.join(
            self.output_dir, 'resultPixelLevelSemanticLabeling.json')
        args.quiet = False
        args.colorized = False
        args.bold = args.nocol = ''
        preds, gts = zip(*sorted(results))
        print_log(
            f'cityscapesScripts pixel-level evaluation of {len(preds)} '
            f'images in {self.output_dir}:', logger)
        with _numpy_in1d():
            scores = cs_eval.evaluateImgLists(list(preds), list(gts), args)
        print_log(f'cityscapesScripts results: {args.exportFile}', logger)
        return OrderedDict([
            ('mIoU', np.round(scores['averageScoreClasses'] * 100, 2)),
            ('iIoU', np.round(scores['averageScoreInstClasses'] * 100, 2)),
            ('mIoU_category',
             np.round(scores['averageScoreCategories'] * 100, 2)),
        ])
