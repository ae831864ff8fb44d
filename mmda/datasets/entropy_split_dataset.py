"""A split of IntraDA's entropy ranking as a dataset."""
import os.path as osp
from typing import List

from mmseg.registry import DATASETS

from .base_da_dataset import DABaseSegDataset


@DATASETS.register_module()
class EntropySplitDataset(DABaseSegDataset):
    """The easy or hard split of an IntraDA entropy ranking
    (``tools/entropy_rank.py``), read from its manifest.

    Stage 2 of IntraDA trains AdvEnt with the *easy* split and its
    pseudo-labels as the source (``split='easy'``, ``with_labels=True``)
    and the *hard* split as the target (``split='hard'``,
    ``with_labels=False``). The class list is the ranking's.

    Args:
        manifest (str): ``manifest.json`` of the ranking, or its directory
            (relative paths from the working directory).
        split (str): ``'easy'`` or ``'hard'``.
        with_labels (bool): Load the pseudo-labels (easy split only).
        **kwargs: :class:`DABaseSegDataset` arguments (``pipeline``, ...).
    """

    def __init__(self,
                 manifest: str,
                 split: str = 'easy',
                 with_labels: bool = True,
                 **kwargs):
        # (mmda.intrada imports models)
        from ..intrada import load_manifest, manifest_path
        if split not in ('easy', 'hard'):
            raise ValueError(f"EntropySplitDataset: split must be 'easy' or "
                             f"'hard', got {split!r}")
        if with_labels and split == 'hard':
            raise ValueError('EntropySplitDataset: the hard split has no '
                             'pseudo-labels (with_labels=False)')
        self.manifest = load_manifest(manifest)
        self.manifest_file = manifest_path(self.manifest['root'])
        self.entropy_split = split
        kwargs.setdefault('num_classes', len(self.manifest['classes']))
        super().__init__(with_labels=with_labels, **kwargs)
        if tuple(self.metainfo['classes']) != tuple(
                self.manifest['classes']):
            raise ValueError(
                f'EntropySplitDataset: {self.manifest_file} ranks classes '
                f'{tuple(self.manifest["classes"])}, the dataset has '
                f'{tuple(self.metainfo["classes"])}')

    def load_data_list(self) -> List[dict]:
        root = self.manifest['root']
        data_list, missing = [], []
        for image in self.manifest['images']:
            if image['split'] != self.entropy_split:
                continue
            info = dict(
                img_path=image['img_path'],
                label_map=self.label_map,
                reduce_zero_label=False,
                seg_fields=[])
            if self.with_labels:
                info['seg_map_path'] = osp.join(root, image['pseudo_label'])
                if not osp.isfile(info['seg_map_path']):
                    missing.append(info['seg_map_path'])
            if not osp.isfile(image['img_path']):
                missing.append(image['img_path'])
            data_list.append(info)
        if missing:
            raise FileNotFoundError(
                f'EntropySplitDataset: {len(missing)} files listed in '
                f'{self.manifest_file} are missing, e.g. {missing[0]}')
        if not data_list:
            raise ValueError(f'EntropySplitDataset: the {self.entropy_split} '
                             f'split of {self.manifest_file} is empty')
        return data_list
