"""Common base of the GTA5 / SYNTHIA / Cityscapes dataset classes."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

import mmengine
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from ..utils.keyed_randomness import seed_of, seeded_rngs
from .class_stats import DEFAULT_STATS_FILE
from .label_maps import CITYSCAPES_CLASSES, CITYSCAPES_PALETTE
from .label_spaces import classes_of, palette_of


@DATASETS.register_module()
class DABaseSegDataset(BaseSegDataset):
    """Base of the domain-adaptation datasets: 19/16/13-class protocols and
    validated loading.

    Label files are the converted 19-class trainId maps. ``num_classes``
    picks the protocol: 19 (Cityscapes classes), 16 (SYNTHIA protocol,
    without terrain, truck, train) or 13 (also without wall, fence, pole).
    For 16/13 the reduced class list is passed as ``metainfo`` so mmseg's
    ``label_map`` maps the 19 trainIds to the reduced ids and the dropped
    classes to 255; the palette is reduced accordingly.

    Indexed with a :class:`~mmda.utils.SeededIndex` (as
    :class:`~mmda.datasets.TwoDomainInfiniteSampler` does), a sample's
    pipeline runs with the global generators seeded from the index's seed:
    its random augmentations are a function of its stream position (see
    :mod:`mmda.utils.keyed_randomness`).

    ``load_data_list`` fails with clear errors: missing or empty data root
    / wrong layout (names the path and the expected layout), images without
    their label file (names both, and hints the converter when only the raw
    labels exist), no samples.

    Args:
        num_classes (int): 19, 16 or 13. Defaults to 19.
        split (str | Sequence[str], optional): restricts the dataset to a
            list of image stems (paths relative to the image directory,
            without ``img_suffix``; e.g. ``00001`` or
            ``aachen/aachen_000000_000019``): a text file with one stem per
            line (relative paths are taken from ``data_root``; blank lines
            and ``#`` comments ignored) or a list. ``ann_file`` is accepted
            as an alias (mmseg's name).
        with_labels (bool): whether samples carry ``seg_map_path``. False
            for unlabelled target images. Defaults to True.
        class_stats_file (str, optional): statistics file of this dataset
            (see :mod:`mmda.datasets.class_stats`); defaults to
            ``<data_root>/class_stats.json``.
        **kwargs: :class:`mmseg.datasets.BaseSegDataset` arguments.
    """
    METAINFO = dict(classes=CITYSCAPES_CLASSES, palette=CITYSCAPES_PALETTE)

    #: Human-readable expected layout (for error messages).
    LAYOUT = ''
    #: Name of the converter script in tools/dataset_converters/.
    CONVERTER = ''
    #: Suffix of the raw (unconverted) label files, for the converter hint.
    RAW_SEG_MAP_SUFFIX = ''

    def __init__(self,
                 num_classes: int = 19,
                 split: Optional[Union[str, Sequence[str]]] = None,
                 with_labels: bool = True,
                 class_stats_file: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 ann_file: str = '',
                 **kwargs) -> None:
        classes = classes_of(num_classes)
        metainfo = dict(metainfo or {})
        if 'classes' in metainfo and \
                tuple(metainfo['classes']) != tuple(classes):
            raise ValueError(
                f'{type(self).__name__}: metainfo classes '
                f'{tuple(metainfo["classes"])} contradict num_classes='
                f'{num_classes} {classes}; set num_classes only')
        metainfo['classes'] = classes
        metainfo.setdefault('palette', palette_of(num_classes))
        self.num_classes = num_classes
        self.with_labels = with_labels
        if split is not None and ann_file:
            raise ValueError('give either split or ann_file, not both')
        if split is None and ann_file:
            split = ann_file
        self._split_list = None
        if split is not None and not isinstance(split, str):
            self._split_list = [str(s) for s in split]
            split = None
        self._class_stats_file = class_stats_file
        if not with_labels:
            prefix = dict(kwargs.get('data_prefix', {}) or {})
            prefix.pop('seg_map_path', None)
            kwargs['data_prefix'] = prefix
        super().__init__(ann_file=split or '', metainfo=metainfo, **kwargs)

    def __getitem__(self, idx: int) -> dict:
        with seeded_rngs(seed_of(idx)):
            return super().__getitem__(idx)

    # ------------------------------------------------------------ helpers
    @property
    def split(self) -> Optional[Union[str, List[str]]]:
        """The split file (joined with data_root) or list, if any."""
        return self._split_list if self._split_list is not None else (
            self.ann_file or None)

    @property
    def is_restricted(self) -> bool:
        """Whether a split or ``indices`` restricts the files on disk."""
        return self.split is not None or self._indices is not None

    def class_stats_path(self) -> str:
        """Statistics file used by the class-balanced samplers."""
        if self._class_stats_file:
            f = self._class_stats_file
            return f if osp.isabs(f) or not self.data_root else osp.join(
                self.data_root, f)
        return osp.join(self.data_root or '', DEFAULT_STATS_FILE)

    def _layout_hint(self) -> str:
        return f' Expected {self.LAYOUT}.' if self.LAYOUT else ''

    def _converter_hint(self) -> str:
        if not self.CONVERTER:
            return ''
        return (f' The converted label files are written by: python tools/'
                f'dataset_converters/{self.CONVERTER}.py '
                f'{self.data_root or "ROOT"}')

    def _read_split(self) -> Optional[List[str]]:
        if self._split_list is not None:
            return list(self._split_list)
        if not self.ann_file:
            return None
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{type(self).__name__}: split file {self.ann_file} not '
                'found')
        stems = []
        for line in mmengine.list_from_file(
                self.ann_file, backend_args=self.backend_args):
            line = line.strip()
            if line and not line.startswith('#'):
                if line.endswith(self.img_suffix):
                    line = line[:-len(self.img_suffix)]
                stems.append(line)
        if not stems:
            raise ValueError(f'{type(self).__name__}: split file '
                             f'{self.ann_file} lists no images')
        return stems

    def _list_stems(self, img_dir: str) -> List[str]:
        n = len(self.img_suffix)
        stems = []
        for dirpath, dirnames, files in os.walk(img_dir):
            dirnames.sort()
            rel = osp.relpath(dirpath, img_dir)
            for f in files:
                if f.endswith(self.img_suffix):
                    stem = f[:-n]
                    stems.append(stem if rel == '.' else
                                 osp.join(rel, stem))
        return sorted(stems)

    def _check_dir(self, path: str, what: str) -> None:
        if not osp.isdir(path):
            raise FileNotFoundError(
                f'{type(self).__name__}: {what} {path} not found (data_root='
                f'{self.data_root}).{self._layout_hint()}')

    def extra_data_info(self, data_info: dict, stem: str) -> None:
        """Hook for subclasses: add per-sample fields (e.g. depth)."""

    # ------------------------------------------------------------ loading
    def load_data_list(self) -> List[dict]:
        name = type(self).__name__
        if self.data_root is not None and not osp.isdir(self.data_root):
            raise FileNotFoundError(
                f'{name}: data_root {self.data_root} does not exist or is '
                f'not a directory.{self._layout_hint()}')
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', None) \
            if self.with_labels else None
        self._check_dir(img_dir, 'image directory')
        if ann_dir is not None:
            self._check_dir(ann_dir, 'label directory')

        stems = self._read_split()
        from_split = stems is not None
        if stems is None:
            stems = self._list_stems(img_dir)
        if not stems:
            raise FileNotFoundError(
                f'{name}: no images "*{self.img_suffix}" found under '
                f'{img_dir}.{self._layout_hint()}')

        data_list, missing_img, missing_seg = [], [], []
        for stem in stems:
            img_path = osp.join(img_dir, stem + self.img_suffix)
            if from_split and not osp.isfile(img_path):
                missing_img.append(img_path)
                continue
            info = dict(img_path=img_path)
            if ann_dir is not None:
                seg = osp.join(ann_dir, stem + self.seg_map_suffix)
                if not osp.isfile(seg):
                    missing_seg.append((img_path, seg, stem))
                info['seg_map_path'] = seg
            info['label_map'] = self.label_map
            info['reduce_zero_label'] = self.reduce_zero_label
            info['seg_fields'] = []
            self.extra_data_info(info, stem)
            data_list.append(info)

        if missing_img:
            raise FileNotFoundError(
                f'{name}: {len(missing_img)} images of split file '
                f'{self.split if isinstance(self.split, str) else "list"} '
                f'do not exist, e.g. {missing_img[0]}')
        if missing_seg:
            img_path, seg, stem = missing_seg[0]
            hint = ''
            if self.RAW_SEG_MAP_SUFFIX:
                raw = osp.join(ann_dir, stem + self.RAW_SEG_MAP_SUFFIX)
                if osp.isfile(raw):
                    hint = (f' The raw label {raw} exists: the labels are '
                            f'not converted yet.{self._converter_hint()}')
            if not hint:
                hint = (' To train on the labelled images only, list them '
                        'in a split file (split=...).')
            raise FileNotFoundError(
                f'{name}: {len(missing_seg)} of {len(stems)} images have no '
                f'label file, e.g. image {img_path} has no label '
                f'{seg}.{hint}')
        if not data_list:
            raise FileNotFoundError(f'{name}: zero samples found under '
                                    f'{img_dir}.{self._layout_hint()}')
        return data_list
