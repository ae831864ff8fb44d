"""Label bookkeeping, the camera model and the z-buffered scene canvas.

Everything here is shared by :mod:`.scene` (street layout) and
:mod:`.objects` (vehicles, people, street furniture): the labelIds a scene
may contain, the ``PART_*`` and ``FACE_*`` codes the renderer reads, the
pinhole :class:`Camera` in road coordinates and the :class:`Canvas` that
composites everything with a z-buffer.
"""
from typing import Dict, List, Tuple

import numpy as np

from mmda.datasets.label_maps import CITYSCAPES_CLASSES, CITYSCAPES_LABEL_IDS

Range = Tuple[float, float]

#: Cityscapes labelId of each of the 19 train classes, by class name.
LABEL_ID: Dict[str, int] = dict(zip(CITYSCAPES_CLASSES, CITYSCAPES_LABEL_IDS))

#: Cityscapes labelIds outside the 19 train classes that the scenes use
#: (cityscapesScripts ``labels.py``). Every one of them maps to 255.
VOID_LABEL_ID: Dict[str, int] = {
    'unlabeled': 0,
    'ego vehicle': 1,
    'out of roi': 3,
    'static': 4,
    'ground': 6,
    'parking': 9,
    'rail track': 10,
    'guard rail': 14,
    'trailer': 30,
}
assert not set(VOID_LABEL_ID.values()) & set(CITYSCAPES_LABEL_IDS)

#: Every labelId a scene may contain, by name.
SCENE_LABEL_ID: Dict[str, int] = {**LABEL_ID, **VOID_LABEL_ID}

#: Size of per-labelId lookup tables (labelIds 0-33).
NUM_LABEL_IDS = 34

#: Depth of the sky and of everything beyond the street, in metres.
MAX_DEPTH = 655.35

# Parts: sub-regions of a class drawn with a different shade by the renderer.
# They are shape cues shared by every domain (windows, tyres, road paint).
PART_BODY = 0  #: the class colour (or the instance's colour)
PART_DARK = 1  #: windows, tyres, trunks, trousers
PART_LIGHT = 2  #: curbs, lamp heads, headlights, wall caps
PART_MARKING = 3  #: paint on the ground (lane marks, crossings, bays)
PART_SKIN = 4  #: faces and hands
PART_ACCENT = 5  #: lamps of traffic lights, tail lights, sign symbols

# Surface orientation, for the renderer's directional lighting.
FACE_SKY = 0
FACE_GROUND = 1
FACE_LEFT = 2  #: vertical plane on the left of the road (faces right)
FACE_RIGHT = 3  #: vertical plane on the right of the road (faces left)
FACE_FRONT = 4  #: planes and objects facing the camera


class Camera:
    """Pinhole camera above the road, in road coordinates ``(l, s)``."""

    def __init__(self, width, height, focal, horizon, cam_height, yaw,
                 lateral):
        self.width, self.height = width, height
        self.f = focal
        self.cx = width / 2.0
        self.vh = horizon
        self.hc = cam_height
        self.cos, self.sin = np.cos(yaw), np.sin(yaw)
        self.lateral = lateral
        self.cols = np.arange(width, dtype=np.float64) + 0.5
        self.rows = (np.arange(height, dtype=np.float64) + 0.5)[:, None]

    def to_camera(self, lateral, s):
        """Road point(s) → camera ``(x, z)`` (x right, z forward)."""
        t = np.asarray(lateral, dtype=np.float64) - self.lateral
        return t * self.cos + s * self.sin, -t * self.sin + s * self.cos

    def direction(self, dl, ds):
        """Road direction vector → camera ``(dx, dz)``."""
        return dl * self.cos + ds * self.sin, -dl * self.sin + ds * self.cos


class Canvas:
    """Z-buffered label, depth, instance, part, face and uv maps."""

    def __init__(self, width, height):
        shape = (height, width)
        self.label = np.full(shape, LABEL_ID['sky'], np.uint8)
        self.depth = np.full(shape, MAX_DEPTH, np.float32)
        self.instance = np.zeros(shape, np.uint16)
        self.part = np.zeros(shape, np.uint8)
        self.face = np.zeros(shape, np.uint8)
        self.uv = np.zeros(shape + (2, ), np.float32)
        self.instance_label: List[int] = [0]

    def new_instance(self, label_id: int) -> int:
        """A new instance id of class ``label_id`` (0 once ids run out)."""
        if len(self.instance_label) >= 65535:
            return 0
        self.instance_label.append(label_id)
        return len(self.instance_label) - 1

    def paint(self, mask, z, label, part=PART_BODY, instance=0,
              face=FACE_FRONT, uv=None, region=None):
        """Write every map where ``mask`` holds and ``z`` is nearest.

        Values are scalars or arrays broadcastable to the mask, which covers
        the whole image or ``region`` (a pair of slices).
        """
        region = region or (slice(None), slice(None))
        depth = self.depth[region]
        z = np.asarray(z, dtype=np.float32)
        hit = mask & (z < depth)
        if not hit.any():
            return
        for dst, val in ((depth, z), (self.label[region],
                                      label), (self.part[region], part),
                         (self.instance[region], instance), (self.face[region],
                                                             face)):
            _put(dst, hit, val)
        uv_dst = self.uv[region]
        _put(uv_dst[..., 0], hit, 0.0 if uv is None else uv[0])
        _put(uv_dst[..., 1], hit, 0.0 if uv is None else uv[1])


def _put(dst, mask, value):
    """``dst[mask] = value`` for a scalar or a broadcastable array."""
    if np.ndim(value) == 0:
        dst[mask] = value
    else:
        dst[mask] = np.broadcast_to(value, mask.shape)[mask]
