"""Procedural street-scene layouts: labels, depth and surface bookkeeping.

A scene is sampled once per image and shared by every renderer: it fixes the
*geometry and semantics* (what is where, how far away) while
:mod:`mmda.sim2real.style` decides the *appearance*. Keeping the two apart is
what makes the benchmark's domain gap an appearance gap plus a controlled
layout shift, never a change of what a class looks like in shape.

Geometry
    A pinhole camera (focal length ``focal * width`` pixels, optical axis
    parallel to the ground) stands ``camera_height`` metres above a flat
    road. The road is straight, may be turned by a small yaw (the vanishing
    point moves sideways) and is described in *road coordinates* ``(l, s)``:
    ``l`` is the signed lateral offset from the road's centre line (positive
    to the right), ``s`` the distance along the road. Ground pixels get their
    depth from the horizon row, vertical planes (facades, walls, fences,
    hedges, guard rails, the building block closing the street) are solved
    per image column, and objects (vehicles, people, poles, trees) are
    billboards at their ``(l, s)`` position, scaled by ``focal / depth``,
    composited with a z-buffer. Far objects are therefore small, and the
    depth map is consistent with the geometry by construction.

Labels
    Scenes are labelled with Cityscapes *labelIds* (the GTA5 and Cityscapes
    label format), including ids that every converter must map to 255
    (``VOID_LABEL_ID``: unlabeled, ego vehicle, out of roi, static, ground,
    parking, rail track, guard rail, trailer). The SYNTHIA writer translates
    them to SYNTHIA raw ids, and road paint (``PART_MARKING`` on road) to
    SYNTHIA's *lanemarking*.

Depth
    :attr:`Scene.depth` is the planar z-depth (distance along the optical
    axis) in metres, float32; sky and anything beyond the modelled street is
    :data:`MAX_DEPTH` = 655.35 m, the largest value of a 16-bit map in
    centimetres.
"""
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

import numpy as np

from mmda.datasets.label_maps import label_ids_to_train_ids
from .canvas import (FACE_FRONT, FACE_GROUND, FACE_LEFT, FACE_RIGHT, LABEL_ID,
                     MAX_DEPTH, PART_BODY, PART_DARK, PART_LIGHT, PART_MARKING,
                     VOID_LABEL_ID, Camera, Canvas, Range)
from .objects import (draw_parked_two_wheeler, draw_person, draw_pole,
                      draw_rider, draw_small_void, draw_tree, draw_vehicle)

_SEGMENT_BUILDING, _SEGMENT_VEGETATION, _SEGMENT_WALL = 1, 2, 3
_SEGMENT_FENCE, _SEGMENT_GUARD_RAIL, _SEGMENT_GAP = 4, 5, 0


@dataclass
class LayoutParams:
    """Geometry and content statistics of one domain's street scenes.

    Ranges are ``(low, high)`` of a uniform draw per image; ``*_count``
    fields are Poisson means per image; probabilities are per image unless
    stated otherwise. Distances are metres.
    """
    #: Horizon row as a fraction of the image height.
    horizon: Range = (0.44, 0.52)
    #: Camera height above the road.
    camera_height: Range = (1.4, 1.9)
    #: Focal length in units of the image width.
    focal: float = 0.95
    #: Largest |yaw| of the road relative to the camera, radians.
    yaw: float = 0.08
    #: Camera lateral position as a fraction of the road half width
    #: (0 = centre line, 1 = right road edge).
    camera_lateral: Range = (0.15, 0.6)
    road_width: Range = (8.0, 15.0)
    sidewalk_width: Range = (1.5, 3.5)
    #: Probability (per side) of a grass verge behind the sidewalk, its width
    #: and the probability that it is bare "ground" (ignored) instead.
    verge_prob: float = 0.3
    verge_width: Range = (1.0, 4.0)
    ground_verge_prob: float = 0.2
    #: Probability (per side) of a parking lane at the road edge.
    parking_prob: float = 0.15
    #: Probability of a zebra crossing.
    crossing_prob: float = 0.2
    #: Weights of the segment types on the sidewalk's outer edge.
    boundary_weights: Dict[str, float] = field(default_factory=lambda: dict(
        none=6.0, wall=1.0, fence=1.2, hedge=1.0, guard_rail=0.6))
    #: Weights of the segment types of the facade line.
    facade_weights: Dict[str, float] = field(
        default_factory=lambda: dict(building=6.0, vegetation=1.5, gap=0.8))
    building_height: Range = (8.0, 28.0)
    #: Probability (per side) of a second, taller row of buildings behind.
    background_prob: float = 0.6
    #: Probability that a building block closes the street far ahead.
    street_end_prob: float = 0.4
    trees_count: float = 2.0
    poles_count: float = 3.0
    #: Share of poles carrying a sign / a traffic light / an overhead arm.
    sign_prob: float = 0.5
    light_prob: float = 0.3
    overhead_prob: float = 0.15
    cars_count: float = 4.0
    parked_cars_count: float = 2.0
    #: Share of moving vehicles that are trucks / buses.
    truck_frac: float = 0.08
    bus_frac: float = 0.06
    #: Probability that a truck pulls a trailer.
    trailer_prob: float = 0.3
    #: Probability of a tram (train class) on rails.
    train_prob: float = 0.01
    persons_count: float = 2.5
    #: Share of pedestrians crossing the road instead of on the sidewalk.
    crossing_person_frac: float = 0.15
    riders_count: float = 0.4
    #: Share of riders on motorcycles (the rest ride bicycles).
    motor_rider_frac: float = 0.35
    bicycles_count: float = 0.4
    motorcycles_count: float = 0.15
    static_count: float = 1.0
    unlabeled_count: float = 0.6
    #: Probability and height range (fraction of the image) of the ego
    #: vehicle's bonnet at the bottom.
    ego_prob: float = 0.1
    ego_height: Range = (0.04, 0.08)
    #: Width in pixels of the "out of roi" border (Cityscapes rectification).
    out_of_roi_px: int = 0
    #: Range of distances at which objects are placed.
    object_range: Range = (4.0, 70.0)


#: GTA5: camera at car height, horizon near the middle, narrow sidewalks,
#: lots of traffic (trucks and buses included), few trees.
GTA5_LAYOUT = LayoutParams()

#: SYNTHIA-RAND: a high camera looking down on the street (horizon high in
#: the image), wide roads crowded with pedestrians and riders, almost no
#: terrain, trucks or trains (as in the real dataset).
SYNTHIA_LAYOUT = LayoutParams(
    horizon=(0.18, 0.34),
    camera_height=(3.5, 7.0),
    focal=0.75,
    yaw=0.3,
    camera_lateral=(-0.9, 1.2),
    road_width=(9.0, 18.0),
    sidewalk_width=(2.5, 5.0),
    verge_prob=0.08,
    ground_verge_prob=0.3,
    parking_prob=0.3,
    crossing_prob=0.4,
    boundary_weights=dict(none=8.0, wall=1.2, fence=1.0, hedge=0.8,
                          guard_rail=0.1),
    facade_weights=dict(building=8.0, vegetation=1.0, gap=0.5),
    building_height=(10.0, 35.0),
    trees_count=1.5,
    poles_count=3.5,
    cars_count=3.5,
    parked_cars_count=2.5,
    truck_frac=0.03,
    bus_frac=0.08,
    train_prob=0.005,
    persons_count=7.0,
    crossing_person_frac=0.3,
    riders_count=1.2,
    bicycles_count=0.6,
    motorcycles_count=0.4,
    ego_prob=0.0,
    object_range=(3.0, 55.0),
)

#: Cityscapes: camera lower in the image (horizon higher), wider sidewalks,
#: more vegetation and terrain, parked cars, fewer large vehicles, the ego
#: vehicle's bonnet at the bottom and an "out of roi" border.
CITYSCAPES_LAYOUT = LayoutParams(
    horizon=(0.36, 0.44),
    camera_height=(1.1, 1.4),
    focal=1.1,
    yaw=0.06,
    camera_lateral=(0.05, 0.5),
    road_width=(6.5, 12.0),
    sidewalk_width=(3.0, 6.0),
    verge_prob=0.5,
    ground_verge_prob=0.2,
    parking_prob=0.45,
    crossing_prob=0.1,
    boundary_weights=dict(none=5.0, wall=1.2, fence=1.4, hedge=2.0,
                          guard_rail=0.1),
    facade_weights=dict(building=5.0, vegetation=3.0, gap=0.6),
    building_height=(8.0, 22.0),
    trees_count=4.5,
    poles_count=3.5,
    cars_count=1.8,
    parked_cars_count=2.0,
    truck_frac=0.04,
    bus_frac=0.04,
    trailer_prob=0.1,
    train_prob=0.01,
    persons_count=3.5,
    riders_count=0.5,
    motor_rider_frac=0.15,
    bicycles_count=1.2,
    motorcycles_count=0.2,
    ego_prob=1.0,
    ego_height=(0.07, 0.12),
    out_of_roi_px=1,
    object_range=(4.0, 60.0),
)

#: Classes forced into every ``period``-th image of a split, so that a split
#: of 50 images or more is guaranteed to contain every class (the natural
#: rates alone would make trains and riders appear in only some splits).
FORCED_PERIODS: Dict[str, int] = {
    'train': 25,
    'bus': 12,
    'truck': 12,
    'rider': 6,
    'motorcycle': 8,
    'bicycle': 8,
    'traffic light': 6,
    'traffic sign': 6,
    'wall': 10,
    'fence': 10,
    'terrain': 10,
}


def forced_classes(index: int, seed: int = 0) -> FrozenSet[str]:
    """Classes :func:`sample_scene` must include in image ``index``.

    Each class of :data:`FORCED_PERIODS` is forced once per period, at an
    offset that depends on the seed and the class, so any split of at least
    ``max(period) * 2`` images holds each forced class at least twice.
    """
    forced = set()
    for k, (name, period) in enumerate(FORCED_PERIODS.items()):
        if (index + seed * 7919 + k * 13) % period == 0:
            forced.add(name)
    return frozenset(forced)


@dataclass
class Scene:
    """A sampled scene: per-pixel semantics and geometry of one image.

    Attributes:
        label: ``(H, W)`` uint8 Cityscapes labelIds.
        depth: ``(H, W)`` float32 z-depth in metres (sky: :data:`MAX_DEPTH`).
        instance: ``(H, W)`` uint16 instance ids, 0 where none.
        instance_label: ``(N,)`` uint8 labelId of each instance id (entry 0
            unused).
        part: ``(H, W)`` uint8 ``PART_*`` codes.
        face: ``(H, W)`` uint8 ``FACE_*`` codes.
        uv: ``(H, W, 2)`` float32 surface coordinates in metres: ``(l, s)``
            on the ground, ``(along, height)`` on vertical planes, 0 on
            objects and sky.
        horizon: horizon row in pixels.
    """
    label: np.ndarray
    depth: np.ndarray
    instance: np.ndarray
    instance_label: np.ndarray
    part: np.ndarray
    face: np.ndarray
    uv: np.ndarray
    horizon: float

    @property
    def train_ids(self) -> np.ndarray:
        """The 19-class trainId map (255 for ignored labelIds)."""
        return label_ids_to_train_ids(self.label)

    @property
    def marking(self) -> np.ndarray:
        """Boolean mask of paint on the road (SYNTHIA's lanemarking)."""
        return (self.label == LABEL_ID['road']) & (self.part == PART_MARKING)


def _u(rng, r: Range) -> float:
    return float(rng.uniform(r[0], r[1]))


def _choice(rng, weights: Dict[str, float]) -> str:
    names = sorted(weights)
    p = np.array([weights[n] for n in names], dtype=np.float64)
    return names[rng.choice(len(names), p=p / p.sum())]


# ---------------------------------------------------------------------------
# Ground
# ---------------------------------------------------------------------------


@dataclass
class _Street:
    """Lateral layout of the street (all widths in metres)."""
    road: float  # half width of the road
    sidewalk: Tuple[float, float]  # left, right
    verge: Tuple[float, float]
    verge_label: Tuple[int, int]
    setback: Tuple[float, float]
    parking: Tuple[bool, bool]
    rail: Optional[float] = None  # lateral position of a tram track
    crossing: Optional[float] = None  # distance of a zebra crossing

    def edge(self, side: int) -> float:
        """Outer edge of the sidewalk on ``side`` (-1 left, +1 right)."""
        return self.road + self.sidewalk[side > 0]

    def facade(self, side: int) -> float:
        i = side > 0
        return self.road + self.sidewalk[i] + self.verge[i] + self.setback[i]


def _paint_ground(canvas: Canvas, cam: Camera, street: _Street):
    dv = cam.rows - cam.vh
    below = (dv[:, 0] > 1e-3)
    r0 = int(np.argmax(below)) if below.any() else cam.height
    rows = slice(r0, cam.height)
    z = (cam.f * cam.hc / dv[rows]).clip(max=MAX_DEPTH * 0.9)  # (h, 1)
    x = (cam.cols[None] - cam.cx) * z / cam.f  # (h, W)
    t = x * cam.cos - z * cam.sin
    lateral = t + cam.lateral
    s = x * cam.sin + z * cam.cos
    side = np.where(lateral >= 0, 1, 0)
    al = np.abs(lateral)
    sw = np.asarray(street.sidewalk)[side]
    vg = np.asarray(street.verge)[side]
    road = street.road

    # beyond the verges: bare ground, mostly hidden by the facades
    label = np.full(lateral.shape, VOID_LABEL_ID['ground'], np.uint8)
    in_verge = al < road + sw + vg
    label[in_verge] = np.asarray(street.verge_label, np.uint8)[side][in_verge]
    label[al < road + sw] = LABEL_ID['sidewalk']
    label[al < road] = LABEL_ID['road']
    part = np.zeros(lateral.shape, np.uint8)

    # parking lanes at the road edge, with bay markings every 5.5 m
    for i, on in enumerate(street.parking):
        if on:
            lane = (side == i) & (al < road) & (al > road - 2.3)
            label[lane] = VOID_LABEL_ID['parking']
            part[lane & (np.mod(s, 5.5) < 0.15)] = PART_MARKING
    is_road = label == LABEL_ID['road']
    # centre dashes, edge lines, zebra crossing
    mark = (np.abs(lateral) < 0.08) & (np.mod(s, 9.0) < 3.0)
    mark |= (al > road - 0.35) & (al < road - 0.2)
    if street.crossing is not None:
        mark |= ((s > street.crossing) & (s < street.crossing + 4.0)
                 & (np.mod(lateral, 1.0) < 0.5))
    part[is_road & mark] = PART_MARKING
    if street.rail is not None:
        track = np.abs(lateral - street.rail) < 1.1
        label[track & (al < road)] = VOID_LABEL_ID['rail track']
        rails = np.abs(np.abs(lateral - street.rail) - 0.72) < 0.05
        part[track & rails & (al < road)] = PART_DARK
    # curb stones
    curb = (label == LABEL_ID['sidewalk']) & (al < road + 0.15)
    part[curb] = PART_LIGHT

    region = (rows, slice(None))
    canvas.paint(np.ones(lateral.shape, bool), z, label, part=part,
                 face=FACE_GROUND, uv=(lateral, s), region=region)


# ---------------------------------------------------------------------------
# Vertical planes (facades, walls, fences, hedges, guard rails)
# ---------------------------------------------------------------------------


@dataclass
class _Segments:
    """Consecutive segments of a vertical plane, along its direction."""
    bounds: List[float] = field(default_factory=list)
    kind: List[int] = field(default_factory=list)
    label: List[int] = field(default_factory=list)
    height: List[float] = field(default_factory=list)
    bump: List[float] = field(default_factory=list)
    instance: List[int] = field(default_factory=list)

    def add(self, start, end, kind, label, height, bump=0.0, instance=0):
        if not self.bounds:
            self.bounds.append(start)
        self.bounds.append(end)
        self.kind.append(kind)
        self.label.append(label)
        self.height.append(height)
        self.bump.append(bump)
        self.instance.append(instance)


_KIND_LABEL = {
    _SEGMENT_BUILDING: LABEL_ID['building'],
    _SEGMENT_VEGETATION: LABEL_ID['vegetation'],
    _SEGMENT_WALL: LABEL_ID['wall'],
    _SEGMENT_FENCE: LABEL_ID['fence'],
    _SEGMENT_GUARD_RAIL: VOID_LABEL_ID['guard rail'],
    _SEGMENT_GAP: 0,
}


def _paint_plane(canvas: Canvas, cam: Camera, origin, direction,
                 segs: _Segments, face: int, phase: float):
    """Rasterise a vertical plane through road point ``origin``.

    Each image column meets the plane at one distance ``p`` along
    ``direction``, solved in closed form; the segment found there gives the
    class and height, and the rows between the top and the ground contact
    are painted at that column's depth.
    """
    if not segs.kind:
        return
    ox, oz = cam.to_camera(*origin)
    dx, dz = cam.direction(*direction)
    du = cam.cols - cam.cx
    denom = du * dz - cam.f * dx
    with np.errstate(divide='ignore', invalid='ignore'):
        p = (cam.f * ox - du * oz) / denom
    z = oz + p * dz
    bounds = np.asarray(segs.bounds)
    valid = np.isfinite(p) & (z > 0.5) & (p >= bounds[0]) & (p < bounds[-1])
    p = np.where(valid, p, bounds[0])
    z = np.where(valid, z, 1.0)
    seg = np.clip(
        np.searchsorted(bounds, p, 'right') - 1, 0,
        len(segs.kind) - 1)
    kind = np.asarray(segs.kind)[seg]
    valid &= kind != _SEGMENT_GAP
    if not valid.any():
        return
    height = np.asarray(segs.height)[seg] + np.asarray(segs.bump)[seg] * (
        0.6 * np.sin(0.9 * p + phase) + 0.4 * np.sin(2.3 * p + 2 * phase))
    v_top = cam.vh - cam.f * (height - cam.hc) / z
    v_bot = cam.vh + cam.f * cam.hc / z
    rows = cam.rows
    mask = valid[None] & (rows >= v_top[None]) & (rows < v_bot[None])
    if not mask.any():
        return
    y = cam.hc + (cam.vh - rows) * z[None] / cam.f  # height above ground
    pos = p - bounds[seg]  # position inside the segment
    part = np.zeros(mask.shape, np.uint8)

    # windows on upper floors (3.2 m apart, 3.1 m storeys), shop fronts
    building = (kind == _SEGMENT_BUILDING)[None]
    fx = np.mod(pos / 3.2, 1.0)[None]
    fy = np.mod(y / 3.1, 1.0)
    upper = (y > 3.0) & (y < height[None] - 1.2)
    windows = upper & (fx > 0.25) & (fx < 0.75) & (fy > 0.3) & (fy < 0.8)
    shop_x = np.abs(np.mod(pos / 5.0, 1.0) - 0.5)[None] < 0.35
    shop = (y > 0.3) & (y < 2.4) & shop_x
    part[building & (windows | shop)] = PART_DARK

    wall = (kind == _SEGMENT_WALL)[None]
    part[wall & (y > height[None] - 0.2)] = PART_LIGHT
    vegetation = (kind == _SEGMENT_VEGETATION)[None]
    part[vegetation & (y < 0.6) & (np.mod(pos / 4.0, 1.0)[None] < 0.08)] = \
        PART_DARK

    fence = (kind == _SEGMENT_FENCE)[None]
    holes = (np.mod(pos / 0.3, 1.0)[None] > 0.3) & (np.mod(y / 0.3, 1.0) > 0.3)
    holes &= (y > 0.15) & (y < height[None] - 0.12)
    holes &= np.mod(pos / 2.5, 1.0)[None] > 0.05  # posts
    mask &= ~(fence & holes)

    rail = (kind == _SEGMENT_GUARD_RAIL)[None]
    mask &= ~(rail & (y < 0.4) & (np.mod(pos / 2.0, 1.0)[None] > 0.06))

    label = np.asarray(segs.label, np.uint8)[seg]
    instance = np.asarray(segs.instance, np.uint16)[seg]
    canvas.paint(mask, z[None], label[None], part=part,
                 instance=instance[None], face=face,
                 uv=(np.broadcast_to(p[None], mask.shape), y))


#: Segment types on the sidewalk's outer edge: (kind, height range, bump).
_BOUNDARY_KINDS = {
    'none': (_SEGMENT_GAP, (0.0, 0.0), 0.0),
    'wall': (_SEGMENT_WALL, (1.0, 3.0), 0.0),
    'fence': (_SEGMENT_FENCE, (1.0, 2.2), 0.0),
    'hedge': (_SEGMENT_VEGETATION, (0.8, 1.8), 0.15),
    'guard_rail': (_SEGMENT_GUARD_RAIL, (0.8, 0.8), 0.0),
}


def _boundary_segments(rng, canvas, layout, force, s_max=200.0):
    """Walls, fences, hedges and guard rails along a sidewalk; ``force``
    names a type that must start the line, near the camera."""
    segs = _Segments()
    s = -5.0
    weights = dict(layout.boundary_weights)
    first = True
    while s < s_max:
        length = float(rng.uniform(6.0, 35.0))
        name = _choice(rng, weights)
        if first and force:
            name = force
            s = float(rng.uniform(3.0, 10.0))
            length = float(rng.uniform(15.0, 35.0))
        first = False
        kind, heights, bump = _BOUNDARY_KINDS[name]
        label = _KIND_LABEL[kind]
        inst = canvas.new_instance(label) if kind != _SEGMENT_GAP else 0
        segs.add(s, s + length, kind, label, _u(rng, heights), bump, inst)
        s += length
    return segs


def _facade_segments(rng, canvas, weights, heights, s_max=250.0, start=-5.0):
    """Buildings, tree lines and gaps drawn by ``weights``."""
    segs = _Segments()
    s = start
    while s < s_max:
        name = _choice(rng, weights)
        if name == 'building':
            kind, length = _SEGMENT_BUILDING, rng.uniform(8.0, 30.0)
            height, bump = _u(rng, heights), 0.0
        elif name == 'vegetation':
            kind, length = _SEGMENT_VEGETATION, rng.uniform(8.0, 40.0)
            height, bump = rng.uniform(5.0, 14.0), rng.uniform(1.0, 3.0)
        else:
            kind, length = _SEGMENT_GAP, rng.uniform(4.0, 20.0)
            height, bump = 0.0, 0.0
        label = _KIND_LABEL[kind]
        inst = canvas.new_instance(label) if kind != _SEGMENT_GAP else 0
        segs.add(s, s + float(length), kind, label, float(height), float(bump),
                 inst)
        s += float(length)
    return segs


# ---------------------------------------------------------------------------
# Scene sampling
# ---------------------------------------------------------------------------


def _sample_s(rng, layout, near=False):
    lo, hi = layout.object_range
    if near:
        return float(rng.uniform(max(lo, 12.0), 30.0))
    # more mass nearby than uniform in s, as in driving footage
    return float(lo + (hi - lo) * rng.random()**1.5)


def _place_vehicles(canvas, cam, rng, layout, street, force):
    r = street.road
    kinds = []
    n = rng.poisson(layout.cars_count)
    for _ in range(n):
        u = rng.random()
        kind = ('truck' if u < layout.truck_frac else
                'bus' if u < layout.truck_frac + layout.bus_frac else 'car')
        kinds.append([kind, False])
    for name in ('truck', 'bus'):
        if name in force and not any(k == name for k, _ in kinds):
            kinds.append([name, True])
    items = []
    lanes = [r * 0.5, -r * 0.5, r * 0.2, -r * 0.75]
    for kind, near in kinds:
        lane = lanes[int(rng.integers(len(lanes)))]
        lane += rng.uniform(-0.4, 0.4)
        items.append((_sample_s(rng, layout, near), lane, kind, near))
    for i, on in enumerate(street.parking):
        side = 1 if i else -1
        count = rng.poisson(layout.parked_cars_count / 2 * (2 if on else 0.5))
        for _ in range(count):
            s = _sample_s(rng, layout)
            items.append((s, side * (r - 1.1), 'car', False))
    # keep a gap along each lane
    items.sort()
    kept = []
    for s, lane, kind, near in items:
        clear = all(
            abs(lane - l2) > 1.5 or abs(s - s2) > 7.0 for s2, l2, _, _ in kept)
        if near or clear:
            kept.append((s, lane, kind, near))
    for s, lane, kind, near in kept:
        trailer = kind == 'truck' and rng.random() < layout.trailer_prob
        draw_vehicle(canvas, cam, rng, lane, s, kind, trailer=trailer)


def _sidewalk_l(rng, street, side, margin=0.3):
    """A random lateral position on the sidewalk of ``side``."""
    sw = street.sidewalk[side > 0]
    return side * (street.road +
                   rng.uniform(margin, max(sw - margin, margin + 0.1)))


def _side(rng):
    """-1 (left) or +1 (right) with equal odds."""
    return 1 if rng.random() < 0.5 else -1


def sample_scene(
        rng: np.random.Generator, width: int, height: int,
        layout: LayoutParams = GTA5_LAYOUT,
        force: Sequence[str] = ()) -> Scene:
    """Sample one street scene.

    Args:
        rng: The image's random generator (the only source of randomness).
        width, height: Image size in pixels. Geometry is metric, so the same
            draw at another size gives the same scene at another resolution.
        layout: The domain's layout statistics.
        force: Class names (from :data:`FORCED_PERIODS`) that must be
            present, placed near enough to be visible.

    Returns:
        Scene: labels, depth and surface maps of the image.
    """
    force = frozenset(force)
    cam = Camera(width, height,
                 focal=layout.focal * width * rng.uniform(0.95, 1.05),
                 horizon=_u(rng, layout.horizon) * height,
                 cam_height=_u(rng, layout.camera_height),
                 yaw=rng.uniform(-layout.yaw, layout.yaw), lateral=0.0)
    road = _u(rng, layout.road_width) / 2
    cam.lateral = _u(rng, layout.camera_lateral) * road
    verge, verge_label = [], []
    for _ in range(2):
        has = rng.random() < layout.verge_prob
        verge.append(_u(rng, layout.verge_width) if has else 0.0)
        bare = rng.random() < layout.ground_verge_prob
        verge_label.append(
            VOID_LABEL_ID['ground'] if bare else LABEL_ID['terrain'])
    if 'terrain' in force and LABEL_ID['terrain'] not in [
            lab for lab, v in zip(verge_label, verge) if v > 0
    ]:
        i = int(rng.integers(2))
        verge[i] = max(verge[i], _u(rng, layout.verge_width))
        verge_label[i] = LABEL_ID['terrain']
    sidewalk = (_u(rng, layout.sidewalk_width), _u(rng, layout.sidewalk_width))
    setback = (rng.uniform(0.0, 1.5), rng.uniform(0.0, 1.5))
    parking = (rng.random() < layout.parking_prob, rng.random()
               < layout.parking_prob)
    street = _Street(road=road, sidewalk=sidewalk, verge=tuple(verge),
                     verge_label=tuple(verge_label), setback=setback,
                     parking=parking)
    has_train = 'train' in force or rng.random() < layout.train_prob
    if has_train:
        street.rail = rng.uniform(-0.5, 0.3) * road
    if rng.random() < layout.crossing_prob:
        street.crossing = rng.uniform(8.0, 30.0)

    canvas = Canvas(width, height)
    _paint_ground(canvas, cam, street)

    # vertical planes along both sides and across the street end
    forced_boundary = [n for n in ('wall', 'fence') if n in force]
    for side in (-1, 1):
        face = FACE_LEFT if side < 0 else FACE_RIGHT
        phase = rng.uniform(0, 2 * np.pi)
        want = None
        if forced_boundary and (side > 0 or len(forced_boundary) == 2):
            want = forced_boundary.pop()
        bsegs = _boundary_segments(rng, canvas, layout, want)
        _paint_plane(canvas, cam, (side * (street.edge(side) + 0.05), 0.0),
                     (0.0, 1.0), bsegs, face, phase)
        fsegs = _facade_segments(rng, canvas, layout.facade_weights,
                                 layout.building_height)
        _paint_plane(canvas, cam, (side * street.facade(side), 0.0),
                     (0.0, 1.0), fsegs, face, phase)
        if rng.random() < layout.background_prob:
            back = street.facade(side) + rng.uniform(10.0, 30.0)
            hi = layout.building_height[1]
            gsegs = _facade_segments(
                rng, canvas, dict(building=3.0, vegetation=1.0, gap=1.0),
                (hi * 0.8, hi * 1.6))
            _paint_plane(canvas, cam, (side * back, 0.0), (0.0, 1.0), gsegs,
                         face, phase + 1.0)
    if rng.random() < layout.street_end_prob:
        s_end = rng.uniform(70.0, 220.0)
        esegs = _facade_segments(rng, canvas, dict(building=4.0,
                                                   vegetation=1.0),
                                 layout.building_height, s_max=150.0,
                                 start=-150.0)
        _paint_plane(canvas, cam, (0.0, s_end), (1.0, 0.0), esegs, FACE_FRONT,
                     rng.uniform(0, 2 * np.pi))

    # street furniture
    n_poles = rng.poisson(layout.poles_count)
    want_light = 'traffic light' in force
    want_sign = 'traffic sign' in force
    if (want_light or want_sign) and n_poles == 0:
        n_poles = 1
    for i in range(n_poles):
        side = _side(rng)
        lateral = side * (street.road + rng.uniform(0.3, 0.6))
        near = i == 0 and (want_light or want_sign)
        s = _sample_s(rng, layout, near)
        draw_pole(canvas, cam, rng, lateral, s, side, layout, street,
                  want_sign=near and want_sign,
                  want_light=near and want_light)
    for _ in range(rng.poisson(layout.trees_count)):
        side = _side(rng)
        i = side > 0
        if street.verge[i] > 1.0:
            lateral = side * (street.edge(side) + street.verge[i] / 2)
        else:
            lateral = side * (street.edge(side) - rng.uniform(0.5, 1.0))
        draw_tree(canvas, cam, rng, lateral, _sample_s(rng, layout))
    for _ in range(rng.poisson(layout.static_count)):
        draw_small_void(canvas, cam, rng, _sidewalk_l(rng, street, _side(rng)),
                        _sample_s(rng, layout), 'static')
    for _ in range(rng.poisson(layout.unlabeled_count)):
        side = _side(rng)
        draw_small_void(canvas, cam, rng,
                        side * street.facade(side) * 0.98,
                        _sample_s(rng, layout), 'unlabeled')

    # traffic and people
    if has_train:
        draw_vehicle(canvas, cam, rng, street.rail,
                     _sample_s(rng, layout, near=True) + rng.uniform(0, 15),
                     'tram')
    _place_vehicles(canvas, cam, rng, layout, street, force)
    for _ in range(rng.poisson(layout.persons_count)):
        if rng.random() < layout.crossing_person_frac:
            s = street.crossing if street.crossing else _sample_s(rng, layout)
            draw_person(canvas, cam, rng,
                        rng.uniform(-street.road, street.road) * 0.9,
                        s + rng.uniform(0.5, 3.5))
        else:
            draw_person(canvas, cam, rng, _sidewalk_l(rng, street, _side(rng)),
                        _sample_s(rng, layout))
    n_riders = rng.poisson(layout.riders_count)
    forced_rider = 'rider' in force or 'motorcycle' in force
    for i in range(max(n_riders, int(forced_rider))):
        near = i == 0 and forced_rider
        motor = (rng.random() < layout.motor_rider_frac
                 or (near and 'motorcycle' in force))
        if rng.random() < 0.8:
            lateral = _side(rng) * (street.road - rng.uniform(0.5, 1.5))
        else:
            lateral = _sidewalk_l(rng, street, _side(rng))
        draw_rider(canvas, cam, rng, lateral, _sample_s(rng, layout, near),
                   motor)
    n_bikes = rng.poisson(layout.bicycles_count)
    for i in range(max(n_bikes, int('bicycle' in force))):
        draw_parked_two_wheeler(
            canvas, cam, rng, _sidewalk_l(rng, street, _side(rng)),
            _sample_s(rng, layout, i == 0 and 'bicycle' in force), 'bicycle')
    for _ in range(rng.poisson(layout.motorcycles_count)):
        draw_parked_two_wheeler(canvas, cam, rng,
                                _side(rng) * (street.road - 0.6),
                                _sample_s(rng, layout), 'motorcycle')

    # ego vehicle bonnet and rectification border (drawn over everything)
    if rng.random() < layout.ego_prob:
        top = (1.0 - _u(rng, layout.ego_height)) * height
        bulge = rng.uniform(0.02, 0.05) * height
        xs = (cam.cols - cam.cx) / (width / 2)
        v_hood = top + bulge * xs**2
        hood = cam.rows >= v_hood[None]
        ego = VOID_LABEL_ID['ego vehicle']
        canvas.label[hood] = ego
        canvas.depth[hood] = np.minimum(canvas.depth[hood], 1.5)
        canvas.instance[hood] = canvas.new_instance(ego)
        canvas.part[hood] = PART_BODY
        canvas.face[hood] = FACE_FRONT
        canvas.uv[hood] = 0
        canvas.part[hood & (cam.rows < v_hood[None] + 0.012 * height)] = \
            PART_LIGHT
    b = layout.out_of_roi_px
    if b > 0:
        roi = np.zeros((height, width), bool)
        roi[:, :b] = roi[:, -b:] = True
        roi[-b:] = True
        canvas.label[roi] = VOID_LABEL_ID['out of roi']
        canvas.part[roi] = PART_DARK
        canvas.instance[roi] = 0
    return Scene(label=canvas.label, depth=canvas.depth,
                 instance=canvas.instance,
                 instance_label=np.asarray(canvas.instance_label,
                                           np.uint8), part=canvas.part,
                 face=canvas.face, uv=canvas.uv, horizon=cam.vh)
