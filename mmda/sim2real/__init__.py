"""Procedural sim-to-real street-scene benchmark.

Generates two synthetic "game" source domains (GTA5-like, SYNTHIA-like) and
a "real" target domain (Cityscapes-like) on disk, in the real datasets'
directory layouts and label formats, so the loaders and converters that read
the real data read it too::

    from mmda.sim2real import generate_sim2real
    generate_sim2real('data/sim2real', seed=0)

or ``python tools/make_sim2real.py data/sim2real``. Scenes share geometry
and shapes across domains (:mod:`.scene`, :mod:`.objects`); the domain gap
lives in appearance (:mod:`.style`, one ``gap`` knob) and in layout
statistics (:class:`LayoutParams`).
"""
from .canvas import LABEL_ID, MAX_DEPTH, SCENE_LABEL_ID, VOID_LABEL_ID
from .generate import (DOMAIN_CODES, META_FILE, VERSION, generate_sim2real,
                       image_rng)
from .scene import (CITYSCAPES_LAYOUT, FORCED_PERIODS, GTA5_LAYOUT,
                    SYNTHIA_LAYOUT, LayoutParams, Scene, forced_classes,
                    sample_scene)
from .style import (DomainStyle, cityscapes_style, gta5_style, render,
                    synthia_style)
from .writers import (CITYSCAPES_CITIES, LABEL_ID_TO_SYNTHIA_LUT,
                      CityscapesWriter, DatasetWriter, GTA5Writer,
                      SynthiaWriter, depth_to_centimetres, scene_to_synthia)

__all__ = [
    'generate_sim2real', 'image_rng', 'VERSION', 'DOMAIN_CODES', 'META_FILE',
    'LayoutParams', 'GTA5_LAYOUT', 'SYNTHIA_LAYOUT', 'CITYSCAPES_LAYOUT',
    'FORCED_PERIODS', 'forced_classes', 'Scene', 'sample_scene', 'DomainStyle',
    'gta5_style', 'synthia_style', 'cityscapes_style', 'render',
    'DatasetWriter', 'GTA5Writer', 'SynthiaWriter', 'CityscapesWriter',
    'CITYSCAPES_CITIES', 'LABEL_ID_TO_SYNTHIA_LUT', 'scene_to_synthia',
    'depth_to_centimetres', 'LABEL_ID', 'VOID_LABEL_ID', 'SCENE_LABEL_ID',
    'MAX_DEPTH'
]
