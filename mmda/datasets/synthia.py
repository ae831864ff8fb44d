"""SYNTHIA-RAND-CITYSCAPES."""
import os.path as osp

from mmseg.registry import DATASETS

from .base_da_dataset import DABaseSegDataset
from .converters import SYNTHIA_LAYOUT


@DATASETS.register_module()
class SynthiaDataset(DABaseSegDataset):
    """SYNTHIA-RAND-CITYSCAPES: ``ROOT/RGB/0000001.png`` with the converted
    trainId label ``ROOT/GT/LABELS/0000001_labelTrainIds.png``
    (``tools/dataset_converters/synthia.py ROOT``) and, with
    ``with_depth=True``, ``depth_path`` = ``ROOT/Depth/Depth/0000001.png``
    in every sample (load it with ``LoadDepthMap``).

    Args:
        num_classes (int): 19 (default), 16 or 13. 16/13 are the SYNTHIA
            evaluation protocols with a native 16/13-class head; a 19-class
            head evaluated on 16 classes keeps ``num_classes=19``.
        with_depth (bool): add ``depth_path``; the depth files must exist.
        depth_suffix (str): suffix of the depth files. Defaults to '.png'.
        **kwargs: :class:`DABaseSegDataset` arguments. ``data_prefix``
            defaults to ``dict(img_path='RGB', seg_map_path='GT/LABELS')``
            (plus ``depth_path='Depth/Depth'`` with depth).
    """
    LAYOUT = 'the ' + SYNTHIA_LAYOUT + ', converted by the SYNTHIA converter'
    CONVERTER = 'synthia'
    RAW_SEG_MAP_SUFFIX = '.png'

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '_labelTrainIds.png',
                 with_depth: bool = False,
                 depth_suffix: str = '.png',
                 **kwargs) -> None:
        self.with_depth = with_depth
        self.depth_suffix = depth_suffix
        prefix = dict(
            kwargs.get('data_prefix')
            or dict(img_path='RGB', seg_map_path='GT/LABELS'))
        if with_depth:
            prefix.setdefault('depth_path', 'Depth/Depth')
        kwargs['data_prefix'] = prefix
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)

    def extra_data_info(self, data_info: dict, stem: str) -> None:
        if not self.with_depth:
            return
        depth_dir = self.data_prefix['depth_path']
        path = osp.join(depth_dir, stem + self.depth_suffix)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'SynthiaDataset(with_depth=True): image '
                f'{data_info["img_path"]} has no depth file {path}.'
                f'{self._layout_hint()}')
        data_info['depth_path'] = path

    def load_data_list(self):
        if self.with_depth:
            self._check_dir(self.data_prefix['depth_path'], 'depth directory')
        return super().load_data_list()
