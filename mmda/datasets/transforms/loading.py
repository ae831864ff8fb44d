"""Checked image and label loaders.

They behave like mmcv's ``LoadImageFromFile`` and mmseg's ``LoadAnnotations``
but fail loudly, naming the file, instead of training on a broken sample.
"""
from typing import Optional, Sequence

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

from ..label_maps import CITYSCAPES_CLASSES, IGNORE_INDEX


def read_bytes(path: str, backend_args: Optional[dict], what: str) -> bytes:
    """File content, or an error naming the file."""
    try:
        data = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError as e:
        raise FileNotFoundError(f'{what} file not found: {path}') from e
    except Exception as e:
        raise OSError(f'cannot read {what} file {path}: {e}') from e
    if not data:
        raise OSError(f'{what} file {path} is empty')
    return data


def decode(data: bytes, path: str, flag: str, backend: str,
           what: str, **kwargs) -> np.ndarray:
    """Decode image bytes, or raise an error naming the file."""
    try:
        arr = mmcv.imfrombytes(data, flag=flag, backend=backend, **kwargs)
    except Exception as e:  # cv2.error, PIL errors, ...
        raise OSError(f'cannot decode {what} file {path} (corrupt or '
                      f'truncated?): {e}') from e
    if arr is None or arr.size == 0:
        raise OSError(f'cannot decode {what} file {path} (corrupt or '
                      'truncated?)')
    return arr


def image_hw(results: dict):
    """(H, W) of the loaded image, before any resizing, or None."""
    if results.get('ori_shape') is not None:
        return tuple(results['ori_shape'][:2])
    if results.get('img') is not None:
        return tuple(results['img'].shape[:2])
    return None


@TRANSFORMS.register_module()
class LoadDAImageFromFile(LoadImageFromFile):
    """``LoadImageFromFile`` that names the file in every failure.

    mmcv 2.1.0 already raises ``FileNotFoundError`` with the path for a
    missing file, but a corrupt or truncated file gives an
    ``AssertionError`` (cv2 backend, lost under ``python -O``), a ``cv2.error``
    (empty file) or a PIL error without the path (pillow backend). Here
    every case is an ``OSError``/``FileNotFoundError`` naming the file.
    ``ignore_empty=True`` keeps mmcv's behaviour (return ``None``). Same
    arguments as mmcv's ``LoadImageFromFile``.
    """

    def transform(self, results: dict) -> Optional[dict]:
        if self.file_client_args is not None:  # deprecated mmcv path
            return super().transform(results)
        filename = results['img_path']
        try:
            data = read_bytes(filename, self.backend_args, 'image')
            img = decode(data, filename, self.color_type,
                         self.imdecode_backend, 'image')
        except OSError:  # FileNotFoundError included
            if self.ignore_empty:
                return None
            raise
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadDAAnnotations(LoadAnnotations):
    """mmseg ``LoadAnnotations`` with checks, for trainId label files.

    Raises, naming the file:

    * ``FileNotFoundError``: the label file is missing;
    * ``OSError``: it cannot be decoded (corrupt, truncated, empty);
    * ``ValueError``: it is not an 8-bit single-channel map, its H×W differs
      from the loaded image's (names both files and sizes), or it holds ids
      outside ``{0, ..., file_num_classes - 1, ignore_index}`` (names the
      ids). The id check runs on the file content, before ``label_map``
      (the 19 → 16/13 protocol reduction) and ``reduce_zero_label``.

    The checks cost one ``np.bincount`` per label; the ``label_map`` is
    applied with a lookup table instead of mmseg's per-class loop.

    Args:
        file_num_classes (int): number of class ids the label files use
            (19 for the converted ``*_labelTrainIds.png``). ``None`` skips
            the id check.
        valid_ids (Sequence[int], optional): explicit id set of the files,
            overrides ``file_num_classes``.
        ignore_index (int): ignore id of the files. Defaults to 255.
        check_size (bool): compare the label size with the image's.
        reduce_zero_label, backend_args, imdecode_backend: as mmseg's
            ``LoadAnnotations`` (pillow decoding by default).
    """

    def __init__(self,
                 file_num_classes: Optional[int] = len(CITYSCAPES_CLASSES),
                 valid_ids: Optional[Sequence[int]] = None,
                 ignore_index: int = IGNORE_INDEX,
                 check_size: bool = True,
                 reduce_zero_label=None,
                 backend_args=None,
                 imdecode_backend: str = 'pillow') -> None:
        super().__init__(
            reduce_zero_label=reduce_zero_label,
            backend_args=backend_args,
            imdecode_backend=imdecode_backend)
        self.file_num_classes = file_num_classes
        self.ignore_index = ignore_index
        self.check_size = check_size
        if valid_ids is None and file_num_classes is not None:
            valid_ids = list(range(file_num_classes)) + [ignore_index]
        self.valid_ids = None if valid_ids is None else sorted(set(valid_ids))
        if self.valid_ids is not None:
            ids = self.valid_ids
            contiguous = ids[:-1] == list(range(len(ids) - 1))
            self._id_set = (f'{{0..{len(ids) - 2}, {ids[-1]}}}'
                            if contiguous and len(ids) > 2 else str(ids))
            self._invalid = np.ones(256, dtype=bool)
            self._invalid[[i for i in self.valid_ids if 0 <= i < 256]] = False

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        data = read_bytes(path, self.backend_args, 'label')
        seg = decode(data, path, 'unchanged', self.imdecode_backend, 'label')
        if seg.ndim == 3 and seg.shape[2] == 1:
            seg = seg[:, :, 0]
        if seg.ndim != 2 or seg.dtype != np.uint8:
            raise ValueError(
                f'label file {path} is not an 8-bit single-channel id map '
                f'(shape {seg.shape}, dtype {seg.dtype}); use the converted '
                '*_labelTrainIds.png files (tools/dataset_converters/).')
        hw = image_hw(results)
        if self.check_size and hw is not None and hw != seg.shape:
            raise ValueError(
                f'label file {path} is {seg.shape[0]}x{seg.shape[1]} (HxW) '
                f'but its image {results.get("img_path")} is '
                f'{hw[0]}x{hw[1]}')
        if self.valid_ids is not None:
            counts = np.bincount(seg.ravel(), minlength=256)
            bad = np.nonzero((counts > 0) & self._invalid)[0]
            if bad.size:
                raise ValueError(
                    f'label file {path} contains ids {bad.tolist()} outside '
                    f'the id set of its dataset {self._id_set}. Raw '
                    '(unconverted) labels? Run the dataset converter.')

        dataset_rzl = results.get('reduce_zero_label', False)
        if self.reduce_zero_label is None:
            self.reduce_zero_label = dataset_rzl
        if self.reduce_zero_label != dataset_rzl:
            raise ValueError(
                f'the dataset has reduce_zero_label={dataset_rzl} but the '
                f'loader reduce_zero_label={self.reduce_zero_label}')
        if self.reduce_zero_label:
            seg = seg.copy()
            seg[seg == 0] = 255
            seg = seg - 1
            seg[seg == 254] = 255
        label_map = results.get('label_map', None)
        if label_map:
            lut = np.arange(256, dtype=np.uint8)
            for old_id, new_id in label_map.items():
                lut[old_id] = new_id
            seg = lut[seg]
        results['gt_seg_map'] = seg
        results.setdefault('seg_fields', []).append('gt_seg_map')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(file_num_classes='
                f'{self.file_num_classes}, valid_ids={self.valid_ids}, '
                f'check_size={self.check_size}, reduce_zero_label='
                f'{self.reduce_zero_label}, imdecode_backend='
                f"'{self.imdecode_backend}', backend_args="
                f'{self.backend_args})')
