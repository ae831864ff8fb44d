"""Loading SYNTHIA depth maps."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from .loading import decode, image_hw, read_bytes


@TRANSFORMS.register_module()
class LoadDepthMap(BaseTransform):
    """Load a 16-bit depth PNG into ``results['gt_depth_map']`` (float32).

    Reads ``results['depth_path']`` (set by ``SynthiaDataset(with_depth=
    True)``). A 3/4-channel PNG gives its first channel in RGB order (the R
    channel, like the SYNTHIA labels; channel 2 of OpenCV's BGR order).

    Unit: the raw 16-bit PNG value times ``scale``. SYNTHIA-RAND-CITYSCAPES
    depth is commonly read as centimetres (divide by 100 for metres; not
    verified against the dataset's documentation here), so the default
    ``scale=1.0`` keeps the raw value; ``scale=0.01`` gives metres under
    that reading.

    The map is appended to ``results['seg_fields']``, so mmseg 1.2.2's
    ``Resize`` (nearest interpolation, also when built by ``RandomResize``
    in the mmseg scope), ``RandomCrop`` and ``RandomFlip`` transform it with
    the labels; ``PackSegInputs`` packs it as ``data_sample.gt_depth_map``.
    Caveats: ``RandomCrop(cat_max_ratio<1)`` looks at ``gt_seg_map`` only,
    and ``SegDataPreProcessor`` pads ``gt_depth_map`` with ``seg_pad_val``
    (255 by default), not 0: mask padded pixels with ``gt_sem_seg != 255``
    or the image extent. mmcv's own ``Resize``/``RandomFlip`` (outside the
    mmseg scope) ignore ``seg_fields``.

    Raises ``FileNotFoundError``/``OSError`` naming the file when it is
    missing or undecodable, ``ValueError`` when it is not 2-D after channel
    selection or its size differs from the image's (names both files).

    Args:
        scale (float): factor applied to the raw values. Defaults to 1.0.
        check_size (bool): compare the size with the image's.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self, scale: float = 1.0, check_size: bool = True,
                 backend_args=None) -> None:
        super().__init__()
        self.scale = scale
        self.check_size = check_size
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results: dict) -> dict:
        path = results['depth_path']
        data = read_bytes(path, self.backend_args, 'depth')
        depth = decode(data, path, 'unchanged', 'cv2', 'depth')
        if depth.ndim == 3:
            depth = depth[:, :, 2] if depth.shape[2] >= 3 else depth[:, :, 0]
        if depth.ndim != 2:
            raise ValueError(f'depth file {path} has shape {depth.shape}; '
                             'expected a single map')
        hw = image_hw(results)
        if self.check_size and hw is not None and hw != depth.shape:
            raise ValueError(
                f'depth file {path} is {depth.shape[0]}x{depth.shape[1]} '
                f'(HxW) but its image {results.get("img_path")} is '
                f'{hw[0]}x{hw[1]}')
        depth = depth.astype(np.float32)
        if self.scale != 1.0:
            depth *= np.float32(self.scale)
        results['gt_depth_map'] = depth
        results.setdefault('seg_fields', []).append('gt_depth_map')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'check_size={self.check_size})')
