"""Objects of a street scene, drawn as billboards of metric primitives.

Every object (vehicles, pedestrians, riders on their bicycles or motorcycles,
parked two-wheelers, poles with signs and traffic lights, trees, small void
objects) is a list of polygons, ellipses, lines and rings in local metres
(``X`` right, ``Y`` up from the ground contact), projected at its road
position ``(l, s)`` and composited at its depth. Apparent size therefore
falls with distance, and the same object looks the same in every domain up
to its colours, which the renderer chooses.
"""
import cv2
import numpy as np

from .canvas import (LABEL_ID, MAX_DEPTH, PART_ACCENT, PART_BODY, PART_DARK,
                     PART_LIGHT, PART_SKIN, VOID_LABEL_ID, Camera, Canvas)


class Sprite:
    """An object as a list of primitives in local metric coordinates.

    ``X`` points right, ``Y`` up from the ground contact. Later primitives
    are drawn in front of earlier ones.
    """

    def __init__(self, canvas: Canvas):
        self.canvas = canvas
        self.prims = []

    def _add(self, kind, geom, label, part, instance):
        self.prims.append((kind, geom, label, part, instance))

    def rect(self, x0, y0, x1, y1, label, part=PART_BODY, instance=0):
        pts = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)
        self._add('poly', pts, label, part, instance)

    def poly(self, pts, label, part=PART_BODY, instance=0):
        self._add('poly', np.asarray(pts, float), label, part, instance)

    def ellipse(self, cx, cy, rx, ry, label, part=PART_BODY, instance=0):
        self._add('ellipse', (cx, cy, rx, ry), label, part, instance)

    def line(self, x0, y0, x1, y1, width, label, part=PART_BODY, instance=0):
        self._add('line', (x0, y0, x1, y1, width), label, part, instance)

    def ring(self, cx, cy, r, width, label, part=PART_BODY, instance=0):
        self._add('ring', (cx, cy, r, width), label, part, instance)

    def draw(self, cam: Camera, lateral: float, s: float, min_px: float = 1.5):
        """Project at road position ``(l, s)`` and composite."""
        x, z = cam.to_camera(lateral, s)
        if z < 1.0 or z > MAX_DEPTH * 0.5 or not self.prims:
            return False
        k = cam.f / z
        u0, v0 = cam.cx + x * k, cam.vh + cam.hc * k
        boxes = []
        for kind, geom, *_ in self.prims:
            if kind == 'poly':
                boxes.append((geom[:, 0].min(), geom[:, 1].min(),
                              geom[:, 0].max(), geom[:, 1].max()))
            elif kind == 'ellipse':
                cx, cy, rx, ry = geom
                boxes.append((cx - rx, cy - ry, cx + rx, cy + ry))
            elif kind == 'line':
                x0, y0, x1, y1, w = geom
                boxes.append(
                    (min(x0, x1) - w, min(y0, y1) - w, max(x0, x1) + w,
                     max(y0, y1) + w))
            else:
                cx, cy, r, w = geom
                boxes.append((cx - r - w, cy - r - w, cx + r + w, cy + r + w))
        boxes = np.asarray(boxes)
        if (boxes[:, 3].max() - boxes[:, 1].min()) * k < min_px:
            return False
        bx0 = max(int(np.floor(u0 + boxes[:, 0].min() * k)) - 1, 0)
        bx1 = min(int(np.ceil(u0 + boxes[:, 2].max() * k)) + 2, cam.width)
        by0 = max(int(np.floor(v0 - boxes[:, 3].max() * k)) - 1, 0)
        by1 = min(int(np.ceil(v0 - boxes[:, 1].min() * k)) + 2, cam.height)
        if bx1 <= bx0 or by1 <= by0:
            return False
        region = (slice(by0, by1), slice(bx0, bx1))
        shape = (by1 - by0, bx1 - bx0)
        ox, oy = u0 - bx0 - 0.5, v0 - by0 - 0.5  # pixel centres at .0

        def fx(xs):
            return np.round((ox + np.asarray(xs) * k) * 16).astype(np.int32)

        def fy(ys):
            return np.round((oy - np.asarray(ys) * k) * 16).astype(np.int32)

        for i, (kind, geom, label, part, inst) in enumerate(self.prims):
            m = np.zeros(shape, np.uint8)
            if kind == 'poly':
                pts = np.stack([fx(geom[:, 0]), fy(geom[:, 1])], -1)
                cv2.fillPoly(m, [pts], 1, cv2.LINE_8, 4)
            elif kind == 'ellipse':
                cx, cy, rx, ry = geom
                axes = (max(int(round(rx * k * 16)),
                            8), max(int(round(ry * k * 16)), 8))
                cv2.ellipse(m, (int(fx(cx)), int(fy(cy))), axes, 0, 0, 360, 1,
                            -1, cv2.LINE_8, 4)
            elif kind == 'line':
                x0, y0, x1, y1, w = geom
                cv2.line(m, (int(fx(x0)), int(fy(y0))),
                         (int(fx(x1)), int(fy(y1))), 1,
                         max(int(round(w * k)), 1), cv2.LINE_8, 4)
            else:
                cx, cy, r, w = geom
                cv2.circle(m, (int(fx(cx)), int(fy(cy))),
                           max(int(round(r * k * 16)), 8), 1,
                           max(int(round(w * k)), 1), cv2.LINE_8, 4)
            self.canvas.paint(m.view(bool), z - 1e-3 * i, label, part=part,
                              instance=inst, region=region)
        return True


def view_angle(cam: Camera, lateral: float, s: float) -> float:
    """Angle between the line of sight and the road direction."""
    x, z = cam.to_camera(lateral, s)
    return float(np.arctan2(x, z) - np.arctan2(cam.sin, cam.cos))


def _wheel(sp, x, r, label, inst):
    """A filled tyre of radius ``r`` standing on the ground at ``x``."""
    sp.ellipse(x, r, r, r, label, PART_DARK, inst)


#: Width, length and height ranges (metres) of each vehicle kind.
_VEHICLE_SIZES = {
    'car': ((1.7, 1.95), (3.8, 4.8), (1.35, 1.6)),
    'truck': ((2.5, 2.5), (6.0, 9.0), (3.0, 3.8)),
    'bus': ((2.55, 2.55), (10.5, 13.0), (3.0, 3.3)),
    'tram': ((2.6, 2.6), (20.0, 30.0), (3.5, 3.5)),
}


def draw_vehicle(canvas, cam, rng, lateral, s, kind, trailer=False):
    """Car, truck, bus or tram, in rear or side view by viewing angle."""
    name = {'car': 'car', 'truck': 'truck', 'bus': 'bus', 'tram': 'train'}
    label = LABEL_ID[name[kind]]
    w, length, h = (rng.uniform(lo, hi) for lo, hi in _VEHICLE_SIZES[kind])
    inst = canvas.new_instance(label)
    sp = Sprite(canvas)
    a = view_angle(cam, lateral, s)
    along = length * abs(np.sin(a))
    across = w * abs(np.cos(a))
    if along > 1.2 * across:  # side view, length foreshortened
        L = along + across
        sx = L / length  # horizontal scale
        flip = -1.0 if np.sin(a) < 0 else 1.0
        half = L / 2
        if kind == 'car':
            sp.rect(-half, 0.3, half, 0.95, label, instance=inst)
            sp.poly([[-half + 1.0 * sx, 0.95], [half - 1.2 * sx, 0.95],
                     [half - 1.7 * sx, h], [-half + 1.4 * sx, h]], label,
                    instance=inst)
            sp.poly(
                [[-half + 1.2 * sx, 1.0], [half - 1.35 * sx, 1.0],
                 [half - 1.75 * sx, h - 0.07], [-half + 1.5 * sx, h - 0.07]],
                label, PART_DARK, inst)
            for wx in (-half + 0.8 * sx, half - 0.8 * sx):
                _wheel(sp, wx, 0.32, label, inst)
        elif kind == 'truck':
            cab = 2.3 * sx
            box_end = half - cab - 0.2 * sx
            if trailer:
                t_lab = VOID_LABEL_ID['trailer']
                t_inst = canvas.new_instance(t_lab)
                tx0, tx1 = -half - 6.0 * sx, -half - 0.3 * sx
                if flip < 0:
                    tx0, tx1 = -tx1, -tx0
                sp.rect(tx0, 0.5, tx1, h, t_lab, instance=t_inst)
                for wx in (tx0 + 0.8 * sx, tx1 - 0.8 * sx):
                    _wheel(sp, wx, 0.48, t_lab, t_inst)
            cx0, cx1 = (half - cab, half) if flip > 0 else (-half, -half + cab)
            bx0, bx1 = (-half,
                        box_end) if flip > 0 else (-half + cab + 0.2 * sx,
                                                   half)
            sp.rect(bx0, 0.6, bx1, h, label, instance=inst)
            sp.rect(cx0, 0.45, cx1, 2.9, label, instance=inst)
            sp.rect(cx0 + 0.2 * cab, 1.9, cx1 - 0.2 * cab, 2.7, label,
                    PART_DARK, inst)
            for wx in (-half + 1.2 * sx, half - 1.2 * sx, -half + 2.4 * sx):
                _wheel(sp, wx, 0.5, label, inst)
        elif kind == 'bus':
            sp.rect(-half, 0.35, half, h, label, instance=inst)
            sp.rect(-half + 0.3 * sx, 1.5, half - 0.3 * sx, h - 0.45, label,
                    PART_DARK, inst)
            sp.rect(-half, 0.9, half, 1.0, label, PART_ACCENT, inst)
            for wx in (-half + 2.5 * sx, half - 2.8 * sx):
                _wheel(sp, wx, 0.5, label, inst)
        else:  # tram
            sp.rect(-half, 0.4, half, h, label, instance=inst)
            sp.rect(-half + 0.5 * sx, 1.5, half - 0.5 * sx, 2.7, label,
                    PART_DARK, inst)
            sp.rect(-half, 0.9, half, 1.15, label, PART_ACCENT, inst)
            sp.line(-half / 3, h, 0, h + 1.0, 0.06, label, instance=inst)
            sp.line(0, h + 1.0, half / 3, h, 0.06, label, instance=inst)
            for wx in np.linspace(-half + 2 * sx, half - 2 * sx, 4):
                sp.rect(wx - 0.5 * sx, 0.0, wx + 0.5 * sx, 0.45, label,
                        PART_DARK, inst)
    else:  # rear or front view
        W = along + across
        half = W / 2
        if kind == 'car':
            sp.rect(-half, 0.28, half, 0.95, label, instance=inst)
            sp.poly([[-0.43 * W, 0.95], [0.43 * W, 0.95], [0.33 * W, h],
                     [-0.33 * W, h]], label, instance=inst)
            sp.poly([[-0.36 * W, 1.0], [0.36 * W, 1.0], [0.3 * W, h - 0.06],
                     [-0.3 * W, h - 0.06]], label, PART_DARK, inst)
            sp.rect(-half, 0.0, -half + 0.28, 0.35, label, PART_DARK, inst)
            sp.rect(half - 0.28, 0.0, half, 0.35, label, PART_DARK, inst)
            sp.rect(-half + 0.05, 0.7, -half + 0.35, 0.85, label, PART_ACCENT,
                    inst)
            sp.rect(half - 0.35, 0.7, half - 0.05, 0.85, label, PART_ACCENT,
                    inst)
            sp.rect(-0.3 * W, 0.3, 0.3 * W, 0.42, label, PART_DARK, inst)
        elif kind in ('truck', 'bus'):
            sp.rect(-half, 0.4, half, h, label, instance=inst)
            sp.rect(-half, 0.0, -half + 0.35, 0.5, label, PART_DARK, inst)
            sp.rect(half - 0.35, 0.0, half, 0.5, label, PART_DARK, inst)
            if kind == 'bus':
                sp.rect(-half + 0.2, 1.9, half - 0.2, h - 0.3, label,
                        PART_DARK, inst)
            else:
                sp.line(0, 0.6, 0, h - 0.1, 0.05, label, PART_DARK, inst)
            sp.rect(-half + 0.1, 0.6, -half + 0.4, 0.8, label, PART_ACCENT,
                    inst)
            sp.rect(half - 0.4, 0.6, half - 0.1, 0.8, label, PART_ACCENT, inst)
        else:  # tram front
            sp.poly([[-half, 0.4], [half, 0.4], [half, h - 0.3],
                     [half - 0.4, h], [-half + 0.4, h], [-half, h - 0.3]],
                    label, instance=inst)
            sp.rect(-half + 0.2, 1.7, half - 0.2, 3.0, label, PART_DARK, inst)
            sp.rect(-half + 0.25, 0.8, -half + 0.55, 1.0, label, PART_LIGHT,
                    inst)
            sp.rect(half - 0.55, 0.8, half - 0.25, 1.0, label, PART_LIGHT,
                    inst)
            sp.line(-0.6, h, 0, h + 1.0, 0.06, label, instance=inst)
            sp.line(0, h + 1.0, 0.6, h, 0.06, label, instance=inst)
            sp.rect(-half + 0.2, 0.0, half - 0.2, 0.4, label, PART_DARK, inst)
    return sp.draw(cam, lateral, s)


def _person_prims(sp, rng, label, inst, x=0.0, y=0.0, height=None,
                  walking=True):
    """A standing or walking person (legs, torso, arms, head) at ``x, y``;
    returns the height."""
    h = height or rng.uniform(1.55, 1.95)
    head = 0.11 * h / 1.75
    shoulders = y + h * 0.82
    hips = y + h * 0.5
    half = rng.uniform(0.17, 0.23)
    stride = rng.uniform(0.0, 0.3) if walking else 0.05
    sp.poly([[x - half * 0.8, hips], [x - 0.03, hips], [x - stride, y],
             [x - stride - 0.13, y]], label, PART_DARK, inst)
    sp.poly([[x + 0.03, hips], [x + half * 0.8, hips], [x + stride + 0.13, y],
             [x + stride, y]], label, PART_DARK, inst)
    sp.poly([[x - half, shoulders], [x + half, shoulders],
             [x + half * 0.85, hips - 0.05], [x - half * 0.85, hips - 0.05]],
            label, instance=inst)
    sp.line(x - half, shoulders - 0.02, x - half - 0.05, hips + 0.05, 0.08,
            label, instance=inst)
    sp.line(x + half, shoulders - 0.02, x + half + 0.05, hips + 0.05, 0.08,
            label, instance=inst)
    sp.ellipse(x, y + h - head, head * 0.85, head, label, PART_SKIN, inst)
    return h


def draw_person(canvas, cam, rng, lateral, s):
    """A pedestrian at road position ``(l, s)``."""
    label = LABEL_ID['person']
    sp = Sprite(canvas)
    _person_prims(sp, rng, label, canvas.new_instance(label))
    return sp.draw(cam, lateral, s)


def _two_wheeler(sp, rng, kind, inst, side_view, flip):
    """A bicycle or motorcycle; returns the seat height."""
    label = LABEL_ID[kind]
    if not side_view:
        if kind == 'bicycle':
            sp.rect(-0.025, 0.0, 0.025, 0.7, label, PART_DARK, inst)
            sp.line(-0.3, 1.0, 0.3, 1.0, 0.04, label, instance=inst)
            sp.line(0, 0.45, 0, 1.0, 0.04, label, instance=inst)
            return 0.9
        sp.rect(-0.08, 0.0, 0.08, 0.62, label, PART_DARK, inst)
        sp.rect(-0.22, 0.45, 0.22, 0.95, label, instance=inst)
        sp.line(-0.4, 1.05, 0.4, 1.05, 0.05, label, instance=inst)
        return 0.85
    f = flip
    if kind == 'bicycle':
        r = 0.34
        sp.ring(-0.52, r, r, 0.05, label, PART_DARK, inst)
        sp.ring(0.52, r, r, 0.05, label, PART_DARK, inst)
        seat = (-0.15 * f, 0.9)
        bar = (0.42 * f, 1.0)
        crank = (0.0, 0.32)
        sp.line(-0.52 * f, r, seat[0], seat[1], 0.05, label, instance=inst)
        sp.line(-0.52 * f, r, crank[0], crank[1], 0.05, label, instance=inst)
        sp.line(crank[0], crank[1], seat[0], seat[1], 0.05, label,
                instance=inst)
        sp.line(seat[0], seat[1] - 0.08, bar[0] - 0.05 * f, bar[1] - 0.1, 0.05,
                label, instance=inst)
        sp.line(crank[0], crank[1], bar[0] - 0.05 * f, bar[1] - 0.1, 0.05,
                label, instance=inst)
        sp.line(0.52 * f, r, bar[0], bar[1], 0.05, label, instance=inst)
        return seat[1]
    r = 0.32
    _wheel(sp, -0.7, r, label, inst)
    _wheel(sp, 0.7, r, label, inst)
    sp.poly([[-0.75 * f, 0.55], [0.55 * f, 0.5], [0.6 * f, 0.85],
             [0.1 * f, 0.95], [-0.6 * f, 0.85]], label, instance=inst)
    sp.line(0.7 * f, r, 0.5 * f, 1.05, 0.07, label, instance=inst)
    return 0.85


def draw_rider(canvas, cam, rng, lateral, s, motor):
    """A rider on a bicycle or (``motor``) a motorcycle: the person is
    labelled rider, the vehicle bicycle / motorcycle."""
    kind = 'motorcycle' if motor else 'bicycle'
    a = view_angle(cam, lateral, s)
    side_view = abs(np.sin(a)) > 0.25 or rng.random() < 0.4
    flip = 1.0 if rng.random() < 0.5 else -1.0
    sp = Sprite(canvas)
    seat = _two_wheeler(sp, rng, kind, canvas.new_instance(LABEL_ID[kind]),
                        side_view, flip)
    label = LABEL_ID['rider']
    inst = canvas.new_instance(label)
    if side_view:
        hip = (-0.12 * flip, seat + 0.05)
        shoulder = (0.1 * flip, seat + 0.65)
        sp.line(hip[0], hip[1], 0.05 * flip, 0.35, 0.12, label, PART_DARK,
                inst)
        sp.line(hip[0], hip[1], shoulder[0], shoulder[1], 0.32, label,
                instance=inst)
        sp.line(shoulder[0], shoulder[1], 0.42 * flip, 1.0, 0.08, label,
                instance=inst)
        sp.ellipse(shoulder[0] + 0.06 * flip, shoulder[1] + 0.2, 0.1, 0.12,
                   label, PART_SKIN, inst)
    else:
        sp.rect(-0.08, 0.3, 0.08, seat + 0.05, label, PART_DARK, inst)
        sp.poly([[-0.2, seat], [0.2, seat], [0.22, seat + 0.6],
                 [-0.22, seat + 0.6]], label, instance=inst)
        sp.ellipse(0, seat + 0.78, 0.1, 0.12, label, PART_SKIN, inst)
    return sp.draw(cam, lateral, s)


def draw_parked_two_wheeler(canvas, cam, rng, lateral, s, kind):
    """A bicycle or motorcycle without rider."""
    sp = Sprite(canvas)
    flip = 1.0 if rng.random() < 0.5 else -1.0
    a = view_angle(cam, lateral, s)
    side_view = abs(np.sin(a)) > 0.2 or rng.random() < 0.7
    _two_wheeler(sp, rng, kind, canvas.new_instance(LABEL_ID[kind]), side_view,
                 flip)
    return sp.draw(cam, lateral, s)


def draw_pole(canvas, cam, rng, lateral, s, side, layout, street,
              want_sign=False, want_light=False):
    """A pole, possibly with a sign, a traffic light or an overhead arm."""
    pole = LABEL_ID['pole']
    sp = Sprite(canvas)
    h = rng.uniform(3.5, 8.5)
    width = rng.uniform(0.12, 0.25)
    p_inst = canvas.new_instance(pole)
    sp.rect(-width / 2, 0.0, width / 2, h, pole, instance=p_inst)
    has_sign = want_sign or rng.random() < layout.sign_prob
    has_light = want_light or rng.random() < layout.light_prob
    overhead = rng.random() < layout.overhead_prob
    inward = -float(side)  # towards the road centre
    if overhead:
        arm = rng.uniform(0.4, 0.8) * street.road
        sp.line(0, h, inward * arm, h, 0.12, pole, instance=p_inst)
        tip = inward * arm
        if has_light:
            light = LABEL_ID['traffic light']
            inst = canvas.new_instance(light)
            sp.rect(tip - 0.18, h - 1.0, tip + 0.18, h - 0.05, light,
                    instance=inst)
            for j, yy in enumerate((h - 0.25, h - 0.52, h - 0.79)):
                sp.ellipse(tip, yy, 0.1, 0.1, light,
                           PART_ACCENT if j == 0 else PART_DARK, inst)
            has_light = False
        else:
            sp.rect(tip - 0.3, h - 0.15, tip + 0.3, h, pole, PART_LIGHT,
                    p_inst)
    if has_light:
        light = LABEL_ID['traffic light']
        inst = canvas.new_instance(light)
        top = min(h, rng.uniform(3.0, 4.5))
        sp.rect(-0.2, top - 1.0, 0.2, top, light, instance=inst)
        lit = int(rng.integers(3))
        for j, yy in enumerate((top - 0.2, top - 0.5, top - 0.8)):
            sp.ellipse(0, yy, 0.11, 0.11, light,
                       PART_ACCENT if j == lit else PART_DARK, inst)
    if has_sign:
        sign = LABEL_ID['traffic sign']
        inst = canvas.new_instance(sign)
        y = rng.uniform(2.0, 2.8)
        r = rng.uniform(0.3, 0.45)
        shape = int(rng.integers(4))
        if shape == 0:
            sp.ellipse(0, y, r, r, sign, instance=inst)
            sp.ellipse(0, y, r * 0.55, r * 0.55, sign, PART_ACCENT, inst)
        elif shape == 1:
            sp.poly([[-r, y + r * 0.6], [r, y + r * 0.6], [0, y - r]], sign,
                    instance=inst)
        elif shape == 2:
            sp.rect(-r, y - r, r, y + r, sign, instance=inst)
            sp.rect(-r * 0.5, y - r * 0.15, r * 0.5, y + r * 0.15, sign,
                    PART_ACCENT, inst)
        else:
            sp.poly([[0, y - r], [r, y], [0, y + r], [-r, y]], sign,
                    instance=inst)
            sp.poly([[0, y - r * 0.5], [r * 0.5, y], [0, y + r * 0.5],
                     [-r * 0.5, y]], sign, PART_ACCENT, inst)
    return sp.draw(cam, lateral, s)


def draw_tree(canvas, cam, rng, lateral, s):
    """A tree: trunk and a crown of overlapping ellipses (vegetation)."""
    veg = LABEL_ID['vegetation']
    inst = canvas.new_instance(veg)
    sp = Sprite(canvas)
    trunk = rng.uniform(2.0, 4.0)
    radius = rng.uniform(1.5, 3.0)
    sp.rect(-0.15, 0.0, 0.15, trunk + radius, veg, PART_DARK, inst)
    for _ in range(int(rng.integers(3, 6))):
        dx, dy = rng.normal(0, radius * 0.35, 2)
        sp.ellipse(dx, trunk + radius + dy, radius * rng.uniform(0.6, 1.0),
                   radius * rng.uniform(0.6, 1.0), veg, instance=inst)
    return sp.draw(cam, lateral, s)


def draw_small_void(canvas, cam, rng, lateral, s, name):
    """An ignored object: a ``'static'`` box (bin, bench) or an
    ``'unlabeled'`` blob."""
    lab = VOID_LABEL_ID[name]
    sp = Sprite(canvas)
    inst = canvas.new_instance(lab)
    if name == 'static':
        w, h = rng.uniform(0.4, 1.8), rng.uniform(0.5, 1.2)
        sp.rect(-w / 2, 0, w / 2, h, lab, instance=inst)
        sp.rect(-w / 2, h - 0.1, w / 2, h, lab, PART_DARK, inst)
    else:
        w, h = rng.uniform(0.5, 2.5), rng.uniform(0.5, 2.5)
        sp.ellipse(0, h / 2, w / 2, h / 2, lab, instance=inst)
    return sp.draw(cam, lateral, s)
