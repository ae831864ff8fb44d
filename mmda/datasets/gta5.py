"""GTA5 (Playing for Data)."""
from mmseg.registry import DATASETS

from .base_da_dataset import DABaseSegDataset
from .converters import GTA5_LAYOUT


@DATASETS.register_module()
class GTA5Dataset(DABaseSegDataset):
    """GTA5: ``ROOT/images/00001.png`` with the converted trainId label
    ``ROOT/labels/00001_labelTrainIds.png`` (``tools/dataset_converters/
    gta5.py ROOT`` writes it from ``labels/00001.png``).

    Args:
        num_classes (int): 19, 16 or 13 (see :class:`DABaseSegDataset`).
        **kwargs: :class:`DABaseSegDataset` arguments. ``data_prefix``
            defaults to ``dict(img_path='images', seg_map_path='labels')``.
    """
    LAYOUT = 'the ' + GTA5_LAYOUT + ', converted by the GTA5 converter'
    CONVERTER = 'gta5'
    RAW_SEG_MAP_SUFFIX = '.png'

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '_labelTrainIds.png',
                 **kwargs) -> None:
        kwargs.setdefault('data_prefix',
                          dict(img_path='images', seg_map_path='labels'))
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
