"""Cityscapes as a domain-adaptation target (19 or 16/13 classes)."""
import os.path as osp
from typing import Optional

from mmseg.registry import DATASETS

from .base_da_dataset import DABaseSegDataset
from .class_stats import stats_file_name
from .converters import CITYSCAPES_LAYOUT


@DATASETS.register_module()
class CityscapesDADataset(DABaseSegDataset):
    """Cityscapes: ``ROOT/leftImg8bit/<subset>/<city>/<stem>_leftImg8bit.png``
    with ``ROOT/gtFine/<subset>/<city>/<stem>_gtFine_labelTrainIds.png``
    (``tools/dataset_converters/cityscapes.py ROOT``). mmseg's own
    ``CityscapesDataset`` has the same files but no 16/13-class protocols
    and no checks.

    Args:
        subset (str, optional): ``'train'``, ``'val'`` or ``'test'``: sets
            the default ``data_prefix`` (``leftImg8bit/<subset>``,
            ``gtFine/<subset>``) and the statistics file
            ``class_stats_<subset>.json``. Defaults to ``'train'`` unless a
            ``data_prefix`` is given (then the name of its image folder).
        num_classes (int): 19 (default), 16 or 13: 16/13 remap Cityscapes to
            the SYNTHIA protocols (for a native 16/13-class model).
        with_labels (bool): False for unlabelled target training images.
        **kwargs: :class:`DABaseSegDataset` arguments.
    """
    LAYOUT = 'the ' + CITYSCAPES_LAYOUT + ', converted by the Cityscapes ' \
        'converter'
    CONVERTER = 'cityscapes'
    RAW_SEG_MAP_SUFFIX = '_gtFine_labelIds.png'

    def __init__(self,
                 subset: Optional[str] = None,
                 img_suffix: str = '_leftImg8bit.png',
                 seg_map_suffix: str = '_gtFine_labelTrainIds.png',
                 **kwargs) -> None:
        if kwargs.get('data_prefix') is None:
            subset = subset or 'train'
            kwargs['data_prefix'] = dict(
                img_path=f'leftImg8bit/{subset}',
                seg_map_path=f'gtFine/{subset}')
        elif subset is None:
            img = kwargs['data_prefix'].get('img_path', '')
            subset = osp.basename(osp.normpath(img)) if img else None
        self.subset = subset
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)

    def class_stats_path(self) -> str:
        if self._class_stats_file or not self.subset:
            return super().class_stats_path()
        return osp.join(self.data_root or '', stats_file_name(self.subset))
