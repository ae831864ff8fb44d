"""Domain appearance: how a source "game" and a target "real" camera render.

A :class:`DomainStyle` turns a :class:`~mmda.sim2real.scene.Scene` into an
RGB image. All appearance knobs of a domain live in that one dataclass, and
the size of the synthetic-to-real gap is one scalar, ``gap``, given to
:func:`cityscapes_style`: the target style is the GTA5 style moved ``gap`` of
the way towards the fully "real" style (``0`` renders the target exactly like
the game, ``1`` is the default benchmark, up to about ``1.5`` extrapolates).

The three looks:

* **GTA5 (game)**: the canonical class colours, boosted saturation and
  contrast, flat colours with faint procedural textures (checker tiles on
  sidewalks, brick courses on facades), a fixed bright sun (the left facades
  lit, the right ones in shade), thin dark outlines on object boundaries, no
  blur, no sensor noise, no compression.
* **SYNTHIA (second game)**: a pastel palette (hues turned, less saturated,
  lighter), smooth medium-scale textures, a bluish cast, soft shadows, a
  little blur. Its layout also differs (high camera, crowded streets).
* **Cityscapes (real)**: class colours moved by class-dependent amounts
  (:data:`REAL_CONFUSIONS`, :data:`REAL_SHIFTS`), so that several target
  classes look like *other* source classes (sidewalks like the game's roads,
  terrain like its vegetation, walls like its buildings, fences like its
  walls, trucks and buses swapped, blue traffic signs where the game's are
  yellow) while road, buildings, vegetation, sky and cars are only mildly
  shifted, as in real GTA5 to Cityscapes transfer; greyer, darker cars and
  clothes; stronger textures at other frequencies (fine grain on roads,
  leafy noise on vegetation, clouds); random exposure, gamma, colour cast,
  side lighting, soft cast shadows, distance haze, vignetting, lens blur,
  Gaussian sensor noise and JPEG compression.

Shapes, parts (windows, tyres, road paint) and geometry are identical across
domains, so the gap sits in appearance (plus the layout shift of
:data:`~mmda.sim2real.scene.CITYSCAPES_LAYOUT`) and stays bridgeable: a model
that sees a few target labels can relearn the colours.
"""
import dataclasses
from dataclasses import dataclass
from typing import Dict, Tuple

import cv2
import numpy as np

from .canvas import (FACE_GROUND, FACE_LEFT, FACE_RIGHT, FACE_SKY, LABEL_ID,
                     NUM_LABEL_IDS, PART_ACCENT, PART_DARK, PART_LIGHT,
                     PART_MARKING, PART_SKIN, SCENE_LABEL_ID)
from .scene import Scene

Range = Tuple[float, float]

#: Canonical class colours (RGB, 0-255) shared by every domain before its
#: own shifts; also the GTA5 palette.
BASE_COLOURS: Dict[str, Tuple[int, int, int]] = {
    'road': (108, 100, 112),
    'sidewalk': (178, 164, 150),
    'building': (156, 112, 86),
    'wall': (190, 184, 150),
    'fence': (150, 114, 70),
    'pole': (126, 132, 140),
    'traffic light': (48, 52, 44),
    'traffic sign': (236, 200, 40),
    'vegetation': (70, 138, 46),
    'terrain': (164, 180, 84),
    'sky': (110, 166, 236),
    'person': (186, 58, 66),
    'rider': (58, 92, 188),
    'car': (200, 40, 40),
    'truck': (214, 214, 204),
    'bus': (236, 176, 28),
    'train': (206, 60, 52),
    'motorcycle': (52, 52, 64),
    'bicycle': (40, 124, 186),
    'unlabeled': (40, 36, 34),
    'ego vehicle': (24, 28, 34),
    'out of roi': (0, 0, 0),
    'static': (92, 116, 92),
    'ground': (136, 108, 80),
    'parking': (132, 120, 126),
    'rail track': (98, 88, 82),
    'guard rail': (176, 176, 182),
    'trailer': (196, 196, 188),
}

#: Target ("real") colour of a class = its base colour blended towards the
#: base colour of another class: ``class: (looks like, weight)``. These make
#: target classes confusable with other source classes. As in GTA5 to
#: Cityscapes, the big "stuff" classes (road, building, vegetation, sky) and
#: cars stay recognisable, while sidewalks, walls, fences, terrain and the
#: large vehicles are where a source model fails.
REAL_CONFUSIONS: Dict[str, Tuple[str, float]] = {
    'sidewalk': ('road', 0.5),
    'terrain': ('vegetation', 0.5),
    'wall': ('building', 0.5),
    'fence': ('wall', 0.4),
    'truck': ('bus', 0.5),
    'bus': ('truck', 0.4),
    'train': ('bus', 0.4),
    'traffic light': ('traffic sign', 0.3),
    'rider': ('person', 0.5),
    'motorcycle': ('bicycle', 0.3),
}

#: Then shifted per class: ``class: (hue in turns, saturation x, value x)``.
REAL_SHIFTS: Dict[str, Tuple[float, float, float]] = {
    'road': (0.02, 0.7, 0.9),
    'building': (0.02, 0.8, 0.95),
    'vegetation': (-0.02, 0.85, 0.85),
    'sky': (0.0, 0.8, 1.0),
    'traffic sign': (0.5, 1.0, 0.8),
    'pole': (0.0, 0.6, 0.8),
    'person': (0.0, 0.8, 0.85),
    'car': (0.0, 0.75, 0.9),
    'bicycle': (0.0, 0.5, 0.6),
}

#: SYNTHIA's own class shifts, after a global pastel transform.
SYNTHIA_SHIFTS: Dict[str, Tuple[float, float, float]] = {
    'road': (0.0, 0.8, 1.15),
    'building': (0.05, 0.9, 1.0),
    'vegetation': (0.05, 1.0, 1.05),
    'sky': (0.02, 0.6, 1.0),
    'sidewalk': (-0.03, 1.2, 0.95),
    'car': (0.0, 0.8, 1.0),
}


@dataclass
class DomainStyle:
    """Every appearance parameter of one domain.

    Per-class arrays are indexed by Cityscapes labelId (34 entries). Ranges
    are sampled uniformly per image. Colours are RGB in ``[0, 1]``.
    """
    name: str
    #: ``(34, 3)`` base colour per labelId.
    palette: np.ndarray
    #: ``(34, 3)`` per-instance jitter amplitudes: hue (turns), log
    #: saturation, log value. Cars get random hues, buildings random shades.
    jitter: np.ndarray
    #: ``(34, 4)`` per-class amplitude of four luminance noise octaves with
    #: cell sizes :attr:`texture_cells`.
    texture: np.ndarray
    #: Noise cell sizes in pixels at a 256-pixel-wide image.
    texture_cells: Tuple[float, float, float, float] = (1.5, 4.0, 10.0, 28.0)
    #: Amplitude of per-channel (chromatic) noise.
    chroma_texture: float = 0.0
    #: ``(34,)`` amplitude of the surface pattern (checker tiles on the
    #: ground, horizontal courses on vertical planes) and its size (metres).
    pattern: np.ndarray = None
    pattern_size: float = 0.8
    #: Global tone.
    saturation: float = 1.0
    contrast: float = 1.0
    brightness: Range = (1.0, 1.0)
    gamma: Range = (1.0, 1.0)
    cast: Tuple[float, float, float] = (1.0, 1.0, 1.0)
    cast_jitter: float = 0.0
    #: Light factor per ``FACE_*`` code (sky, ground, left, right, front),
    #: and the random per-image change of the left/right balance.
    face_light: Tuple[float, float, float, float, float] = (1, 1, 1, 1, 1)
    sun_jitter: float = 0.0
    #: Strength of soft cast shadows on the ground and planes.
    shadow: float = 0.0
    #: Distance haze: blend weight ``haze * (1 - exp(-depth / 120 m))``.
    haze: float = 0.0
    haze_colour: Tuple[float, float, float] = (0.8, 0.8, 0.8)
    #: Brightening of the sky towards the horizon.
    sky_gradient: float = 0.0
    vignette: float = 0.0
    #: Darkening of label-boundary pixels (the game's hard edges).
    outline: float = 0.0
    #: Gaussian blur sigma (pixels at width 256), sensor noise std and JPEG
    #: compression (0 none, 1 quality 60).
    blur: Range = (0.0, 0.0)
    noise: Range = (0.0, 0.0)
    compression: Range = (0.0, 0.0)
    #: Parts: windows/tyres darkening, reflection of the sky in them,
    #: lightening of curbs and lamps, road paint, skin, accent lamps.
    dark: float = 0.35
    reflect: float = 0.0
    light: float = 0.6
    marking: Tuple[float, float, float] = (0.95, 0.95, 0.95)
    skin: Tuple[float, float, float] = (0.93, 0.72, 0.58)
    accents: np.ndarray = None
    #: The gap this style was built with (metadata only).
    gap: float = 0.0

    def interpolate(self, other: 'DomainStyle', t: float,
                    name: str = None) -> 'DomainStyle':
        """Every numeric knob moved ``t`` of the way towards ``other``."""
        values = {}
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, str):
                values[f.name] = a
            elif isinstance(a, np.ndarray):
                values[f.name] = (a + (b - a) * t).astype(a.dtype)
            elif isinstance(a, tuple):
                values[f.name] = tuple(
                    float(x + (y - x) * t) for x, y in zip(a, b))
            else:
                values[f.name] = float(a + (b - a) * t)
        values['name'] = name or self.name
        return DomainStyle(**values)

    def to_dict(self) -> dict:
        """JSON-friendly summary (arrays as nested lists)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = np.round(v, 4).tolist() if isinstance(
                v, np.ndarray) else v
        return out


# ---------------------------------------------------------------------------
# Palettes and tables
# ---------------------------------------------------------------------------


def _table(values: Dict[str, object], default, width=None) -> np.ndarray:
    """A ``(34, ...)`` float32 table from class names (labelIds)."""
    shape = (NUM_LABEL_IDS, ) + ((width, ) if width else ())
    table = np.empty(shape, np.float32)
    table[:] = default
    for name, value in values.items():
        table[SCENE_LABEL_ID[name]] = value
    return table


def _hsv_shift(rgb: np.ndarray, dh, ds, dv) -> np.ndarray:
    """Shift ``(N, 3)`` RGB colours in hue (turns) and scale S and V."""
    hsv = cv2.cvtColor(
        rgb.reshape(1, -1, 3).astype(np.float32), cv2.COLOR_RGB2HSV)[0]
    hsv[:, 0] = np.mod(hsv[:, 0] + 360.0 * np.asarray(dh), 360.0)
    hsv[:, 1] = np.clip(hsv[:, 1] * np.asarray(ds), 0, 1)
    hsv[:, 2] = np.clip(hsv[:, 2] * np.asarray(dv), 0, 1)
    return cv2.cvtColor(hsv.reshape(1, -1, 3), cv2.COLOR_HSV2RGB)[0]


def base_palette() -> np.ndarray:
    """The canonical ``(34, 3)`` palette in ``[0, 1]``."""
    return _table({
        k: np.asarray(v) / 255.0
        for k, v in BASE_COLOURS.items()
    }, 0.5, 3)


def _shifted(palette, shifts):
    out = palette.copy()
    for name, (dh, ds, dv) in shifts.items():
        i = SCENE_LABEL_ID[name]
        out[i] = _hsv_shift(out[i:i + 1], dh, ds, dv)[0]
    return out


def real_palette() -> np.ndarray:
    """The fully "real" palette: confusions then per-class shifts."""
    base = base_palette()
    out = base.copy()
    for name, (other, w) in REAL_CONFUSIONS.items():
        i, j = SCENE_LABEL_ID[name], SCENE_LABEL_ID[other]
        out[i] = (1 - w) * base[i] + w * base[j]
    return _shifted(out, REAL_SHIFTS)


def synthia_palette() -> np.ndarray:
    """Pastel: hues turned by 0.03, saturation x0.8, value x1.08, then
    :data:`SYNTHIA_SHIFTS`."""
    pal = np.clip(_hsv_shift(base_palette(), 0.03, 0.8, 1.08), 0, 1)
    return _shifted(pal, SYNTHIA_SHIFTS)


#: Lamp colours (traffic lights, tail lights, sign symbols).
_ACCENTS = np.array([[1.0, 0.1, 0.1], [0.1, 1.0, 0.25], [1.0, 0.7, 0.1],
                     [1.0, 1.0, 1.0], [0.1, 0.3, 1.0]], np.float32)

# Per-instance jitter (hue turns, log saturation, log value) by class.
_GAME_JITTER = {
    'building': (0.05, 0.3, 0.3),
    'wall': (0.03, 0.2, 0.2),
    'fence': (0.03, 0.2, 0.2),
    'vegetation': (0.03, 0.15, 0.15),
    'car': (0.5, 0.2, 0.3),
    'person': (0.5, 0.3, 0.3),
    'rider': (0.5, 0.3, 0.3),
    'truck': (0.05, 0.3, 0.15),
    'bus': (0.04, 0.1, 0.1),
    'train': (0.03, 0.1, 0.1),
    'static': (0.1, 0.3, 0.3),
    'unlabeled': (0.5, 0.5, 0.5),
}
_REAL_JITTER = {
    **_GAME_JITTER,
    'building': (0.04, 0.4, 0.35),
    'car': (0.5, 0.6, 0.5),
    'person': (0.5, 0.5, 0.4),
    'rider': (0.5, 0.5, 0.4),
    'vegetation': (0.03, 0.2, 0.2),
}

# Texture amplitudes of the four noise octaves (fine to coarse) by class.
_GAME_TEXTURE = {
    'road': (0.02, 0.02, 0.03, 0.03),
    'vegetation': (0.0, 0.06, 0.08, 0.03),
    'terrain': (0.02, 0.04, 0.04, 0.0),
    'sky': (0.0, 0.0, 0.0, 0.02),
}
_REAL_TEXTURE = {
    'road': (0.06, 0.03, 0.04, 0.05),
    'sidewalk': (0.05, 0.05, 0.03, 0.03),
    'building': (0.03, 0.04, 0.06, 0.06),
    'wall': (0.04, 0.05, 0.05, 0.03),
    'fence': (0.05, 0.04, 0.03, 0.02),
    'vegetation': (0.15, 0.12, 0.06, 0.03),
    'terrain': (0.12, 0.06, 0.05, 0.03),
    'sky': (0.0, 0.0, 0.04, 0.10),
    'parking': (0.06, 0.03, 0.04, 0.05),
}
_SYNTHIA_TEXTURE = {
    'road': (0.0, 0.03, 0.06, 0.04),
    'sidewalk': (0.0, 0.03, 0.06, 0.04),
    'building': (0.0, 0.04, 0.07, 0.05),
    'vegetation': (0.0, 0.05, 0.12, 0.06),
    'terrain': (0.0, 0.05, 0.10, 0.05),
    'sky': (0.0, 0.0, 0.02, 0.06),
}


def gta5_style() -> DomainStyle:
    """The GTA5 "game" look (see the module docstring)."""
    return DomainStyle(
        name='gta5',
        palette=base_palette(),
        jitter=_table(_GAME_JITTER, (0.01, 0.05, 0.08), 3),
        texture=_table(_GAME_TEXTURE, (0.01, 0.01, 0.02, 0.02), 4),
        chroma_texture=0.0,
        pattern=_table(
            dict(sidewalk=0.10, building=0.05, wall=0.06, terrain=0.04), 0.0),
        pattern_size=0.8,
        saturation=1.35,
        contrast=1.15,
        brightness=(1.0, 1.08),
        gamma=(1.0, 1.0),
        cast=(1.0, 1.0, 1.0),
        cast_jitter=0.0,
        face_light=(1.0, 1.0, 1.08, 0.78, 0.95),
        sun_jitter=0.0,
        shadow=0.0,
        haze=0.1,
        haze_colour=(0.85, 0.88, 0.95),
        sky_gradient=0.25,
        vignette=0.0,
        outline=0.12,
        blur=(0.0, 0.0),
        noise=(0.0, 0.0),
        compression=(0.0, 0.0),
        dark=0.35,
        reflect=0.0,
        light=0.6,
        marking=(0.95, 0.95, 0.95),
        skin=(0.93, 0.72, 0.58),
        accents=_ACCENTS.copy(),
        gap=0.0)


def _real_style_full() -> DomainStyle:
    """The target look at ``gap = 1``."""
    return DomainStyle(
        name='cityscapes',
        palette=real_palette(),
        jitter=_table(_REAL_JITTER, (0.01, 0.08, 0.12), 3),
        texture=_table(_REAL_TEXTURE, (0.03, 0.03, 0.03, 0.03), 4),
        chroma_texture=0.03,
        pattern=_table(dict(sidewalk=0.04, building=0.02, wall=0.02), 0.0),
        pattern_size=0.8,
        saturation=1.0,
        contrast=1.0,
        brightness=(0.85, 1.1),
        gamma=(0.9, 1.15),
        cast=(1.04, 1.0, 0.93),
        cast_jitter=0.04,
        face_light=(1.0, 0.95, 0.9, 0.9, 0.9),
        sun_jitter=0.2,
        shadow=0.3,
        haze=0.35,
        haze_colour=(0.75, 0.77, 0.80),
        sky_gradient=0.15,
        vignette=0.25,
        outline=0.0,
        blur=(0.3, 0.7),
        noise=(0.01, 0.025),
        compression=(0.1, 0.5),
        dark=0.4,
        reflect=0.15,
        light=0.45,
        marking=(0.78, 0.78, 0.74),
        skin=(0.75, 0.58, 0.48),
        accents=_ACCENTS * 0.8,
        gap=1.0)


def cityscapes_style(gap: float = 1.0) -> DomainStyle:
    """The target "real" look, ``gap`` of the way from the GTA5 look.

    Args:
        gap: 0 renders the target exactly like GTA5 (only the layout differs),
            1 is the default benchmark, values up to about 1.5 extrapolate
            (colours are clipped).
    """
    style = gta5_style().interpolate(
        _real_style_full(), gap, name='cityscapes')
    style.gap = float(gap)
    return style


def synthia_style() -> DomainStyle:
    """The SYNTHIA look (see the module docstring)."""
    return DomainStyle(
        name='synthia',
        palette=synthia_palette(),
        jitter=_table(_GAME_JITTER, (0.01, 0.05, 0.08), 3),
        texture=_table(_SYNTHIA_TEXTURE, (0.0, 0.02, 0.04, 0.02), 4),
        chroma_texture=0.01,
        pattern=_table(dict(sidewalk=0.05, building=0.03), 0.0),
        pattern_size=1.5,
        saturation=1.0,
        contrast=1.0,
        brightness=(0.9, 1.15),
        gamma=(0.9, 1.1),
        cast=(0.96, 1.0, 1.06),
        cast_jitter=0.02,
        face_light=(1.0, 1.0, 0.9, 0.95, 0.92),
        sun_jitter=0.08,
        shadow=0.15,
        haze=0.25,
        haze_colour=(0.8, 0.85, 0.95),
        sky_gradient=0.1,
        vignette=0.05,
        outline=0.0,
        blur=(0.3, 0.5),
        noise=(0.005, 0.01),
        compression=(0.0, 0.0),
        dark=0.3,
        reflect=0.15,
        light=0.5,
        marking=(0.9, 0.9, 0.85),
        skin=(0.9, 0.7, 0.6),
        accents=_ACCENTS.copy(),
        gap=0.0)


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _value_noise(rng, height, width, cell) -> np.ndarray:
    """Smooth zero-mean unit-std noise with features of ``cell`` pixels."""
    gh = max(int(round(height / cell)) + 2, 2)
    gw = max(int(round(width / cell)) + 2, 2)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    field = cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
    return (field - field.mean()) / (field.std() + 1e-6)


def _instance_colours(style, instance_label, rng) -> np.ndarray:
    base = style.palette[instance_label]
    amp = style.jitter[instance_label]
    u = rng.uniform(-1.0, 1.0, base.shape).astype(np.float32) * amp
    return _hsv_shift(np.clip(base, 0, 1), u[:, 0], np.exp(u[:, 1]),
                      np.exp(u[:, 2]))


def _boundaries(label) -> np.ndarray:
    edge = np.zeros(label.shape, bool)
    diff_x = label[:, 1:] != label[:, :-1]
    diff_y = label[1:] != label[:-1]
    edge[:, 1:] |= diff_x
    edge[1:] |= diff_y
    return edge


def render(scene: Scene, style: DomainStyle,
           rng: np.random.Generator) -> np.ndarray:
    """Render ``scene`` in ``style``.

    The steps, in order: class and instance colours, part shades (windows,
    curbs, road paint, skin, lamps), luminance and chroma textures, surface
    patterns, sky gradient, directional light per surface orientation, cast
    shadows, distance haze, outlines; then the camera: exposure, contrast,
    saturation, colour cast, gamma, vignetting, blur, sensor noise and JPEG
    compression.

    Args:
        scene: The scene to render.
        style: The domain's appearance.
        rng: The only source of randomness. The same draws are made whatever
            the style, so two styles render the same realisation.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB image.
    """
    label, part, face = scene.label, scene.part, scene.face
    h, w = label.shape
    scale = w / 256.0
    palette = np.clip(style.palette, 0, 1)
    colour = palette[label]

    # per-instance colours and part shades
    inst = scene.instance
    n = len(scene.instance_label)
    inst_colour = _instance_colours(style, scene.instance_label, rng)
    accents = style.accents[rng.integers(len(style.accents), size=n)]
    skin = np.clip(
        np.asarray(style.skin, np.float32) *
        rng.uniform(0.7, 1.15, (n, 1)).astype(np.float32), 0, 1)
    has = inst > 0
    colour[has] = inst_colour[inst[has]]
    sky_colour = palette[LABEL_ID['sky']]
    m = part == PART_DARK
    colour[m] = colour[m] * style.dark + sky_colour * style.reflect
    m = part == PART_LIGHT
    colour[m] += (1.0 - colour[m]) * style.light
    colour[part == PART_MARKING] = style.marking
    m = part == PART_SKIN
    colour[m] = skin[inst[m]]
    m = part == PART_ACCENT
    colour[m] = accents[inst[m]]

    # textures: luminance octaves, chroma noise, surface pattern
    fields = [_value_noise(rng, h, w, c * scale) for c in style.texture_cells]
    amp = style.texture[label]
    tex = sum(amp[..., k] * f for k, f in enumerate(fields))
    colour *= (1.0 + tex)[..., None]
    # every random draw happens whatever the style, so that changing a knob
    # (e.g. the gap) changes the appearance but not the random realisation
    wa, wb = rng.normal(0.0, 1.0, (2, 3)).astype(np.float32)
    if style.chroma_texture > 0:
        colour *= 1.0 + style.chroma_texture * (fields[1][..., None] * wa +
                                                fields[2][..., None] * wb)
    pat_amp = style.pattern[label]
    if pat_amp.any():
        size = style.pattern_size
        u, v = scene.uv[..., 0], scene.uv[..., 1]
        tiles = (np.floor(u / size) + np.floor(v / size)) % 2
        courses = np.floor(v / (size * 0.4)) % 2
        pattern = np.where(face == FACE_GROUND, tiles, courses) * 2 - 1
        colour *= (1.0 + pat_amp * pattern)[..., None]

    # lighting: sky gradient, directional faces, cast shadows, haze
    sky = label == LABEL_ID['sky']
    if style.sky_gradient:
        rows = np.arange(h, dtype=np.float32)[:, None] / max(
            scene.horizon, 1.0)
        grad = 1.0 + style.sky_gradient * np.clip(rows, 0, 1)**2
        colour = np.where(sky[..., None], colour * grad[..., None], colour)
    lights = np.asarray(style.face_light, np.float32).copy()
    sun = rng.uniform(-1.0, 1.0) * style.sun_jitter
    lights[FACE_LEFT] += sun
    lights[FACE_RIGHT] -= sun
    colour *= lights[face][..., None]
    blob = _value_noise(rng, h, w, 40.0 * scale)
    if style.shadow > 0:
        mask = np.clip((blob - 0.3) * 3.0, 0.0, 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), 1.5 * scale)
        mask[face == FACE_SKY] = 0.0
        colour *= (1.0 - style.shadow * mask)[..., None]
    if style.haze > 0:
        fog = style.haze * (1.0 - np.exp(-scene.depth / 120.0))
        fog[sky] = 0.0
        colour += (np.asarray(style.haze_colour, np.float32) -
                   colour) * fog[..., None]
    if style.outline > 0:
        colour[_boundaries(label)] *= 1.0 - style.outline

    # camera: exposure, contrast, saturation, cast, gamma, vignetting
    colour *= rng.uniform(*style.brightness)
    colour = (colour - 0.5) * style.contrast + 0.5
    grey = colour.mean(-1, keepdims=True)
    colour = grey + style.saturation * (colour - grey)
    cast = np.asarray(style.cast, np.float32) * (
        1.0 + rng.normal(0.0, 1.0, 3).astype(np.float32) * style.cast_jitter)
    colour = np.clip(colour * cast, 0.0, 1.0)
    colour **= np.float32(rng.uniform(*style.gamma))
    if style.vignette > 0:
        yy = (np.arange(h, dtype=np.float32)[:, None] + 0.5) / h * 2 - 1
        xx = (np.arange(w, dtype=np.float32)[None] + 0.5) / w * 2 - 1
        colour *= (1.0 - style.vignette * 0.5 * (xx**2 + yy**2))[..., None]
    sigma = rng.uniform(*style.blur) * scale
    if sigma > 0.05:
        colour = cv2.GaussianBlur(colour, (0, 0), sigma)
    noise = rng.uniform(*style.noise)
    colour += rng.standard_normal(colour.shape, np.float32) * noise
    image = (np.clip(colour, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    compression = rng.uniform(*style.compression)
    if compression > 0.01:
        quality = int(round(100 - 40 * compression))
        _, buf = cv2.imencode('.jpg', image[..., ::-1],
                              [cv2.IMWRITE_JPEG_QUALITY, quality])
        image = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
    return np.ascontiguousarray(image)
