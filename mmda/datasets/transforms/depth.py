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

    Conventions (``convention``):

    * ``'any'`` (default): any 2-D or multi-channel PNG, the R channel of a
      multi-channel one;
    * ``'synthia'``: the SYNTHIA-RAND-CITYSCAPES depth convention as mmda
      assumes it: a 16-bit PNG, single-channel, or multi-channel with equal
      colour channels, values in centimetres (65535 = sky / beyond range).
      Provenance: DADA (``valeoai/DADA``, ``dada/dataset/depth.py``) reads
      these files with ``cv2.IMREAD_ANYDEPTH`` (one grey channel) and uses
      the inverse depth 65536 / (raw + 1); the "centimetres" reading is
      the common one and is not verified against the dataset's own
      documentation. mmda's embedded benchmark
      (``mmda/sim2real/writers.py``) writes exactly this: one channel,
      centimetres, sky 65535. A file that does not fit (8-bit, or colour
      channels that differ, where OpenCV's grey conversion and the R
      channel would disagree) is refused, naming the file. With
      ``scale=0.01`` the output is metres.

    ``invalid_value`` (e.g. 65535 for SYNTHIA's sky): raw pixels with this
    value become 0 in the output, the "no depth" value that depth losses
    mask (:class:`~mmda.models.GIOAda`).

    Raises ``FileNotFoundError``/``OSError`` naming the file when it is
    missing or undecodable, ``ValueError`` when it is not 2-D after channel
    selection, does not fit ``convention``, or its size differs from the
    image's (names both files).

    Args:
        scale (float): factor applied to the raw values. Defaults to 1.0.
        convention (str): ``'any'`` or ``'synthia'``. Defaults to ``'any'``.
        invalid_value (int, optional): raw value marking pixels without
            depth (set to 0). Defaults to None (none).
        check_size (bool): compare the size with the image's.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    CONVENTIONS = ('any', 'synthia')

    def __init__(self,
                 scale: float = 1.0,
                 check_size: bool = True,
                 convention: str = 'any',
                 invalid_value=None,
                 backend_args=None) -> None:
        super().__init__()
        if convention not in self.CONVENTIONS:
            raise ValueError(f'LoadDepthMap: convention must be one of '
                             f'{self.CONVENTIONS}, got {convention!r}')
        self.scale = scale
        self.convention = convention
        self.invalid_value = invalid_value
        self.check_size = check_size
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results: dict) -> dict:
        path = results['depth_path']
        data = read_bytes(path, self.backend_args, 'depth')
        depth = decode(data, path, 'unchanged', 'cv2', 'depth')
        if self.convention == 'synthia':
            self._check_synthia(depth, path)
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
        invalid = None if self.invalid_value is None else \
            depth == self.invalid_value
        depth = depth.astype(np.float32)
        if invalid is not None:
            depth[invalid] = 0.
        if self.scale != 1.0:
            depth *= np.float32(self.scale)
        results['gt_depth_map'] = depth
        results.setdefault('seg_fields', []).append('gt_depth_map')
        return results

    @staticmethod
    def _check_synthia(depth: np.ndarray, path: str) -> None:
        """Refuse a file outside the SYNTHIA depth convention."""
        if depth.dtype != np.uint16:
            raise ValueError(
                f'depth file {path} is {depth.dtype}; the SYNTHIA depth '
                'convention (LoadDepthMap(convention="synthia")) is a 16-bit '
                'PNG in centimetres')
        if depth.ndim == 3:
            colour = depth[:, :, :3]
            if not (colour == colour[:, :, :1]).all():
                raise ValueError(
                    f'depth file {path} has {depth.shape[2]} channels that '
                    'differ; the SYNTHIA depth convention is one channel (or '
                    'equal colour channels, which DADA reads as grey)')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'check_size={self.check_size}, '
                f'convention={self.convention!r}, '
                f'invalid_value={self.invalid_value})')
