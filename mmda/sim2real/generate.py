"""Generate the procedural sim-to-real benchmark on disk.

:func:`generate_sim2real` writes two synthetic source domains and one "real"
target domain in the real datasets' layouts (see :mod:`.writers`)::

    OUT/gta5/{images,labels}/00001.png ...
    OUT/synthia/{RGB,GT/LABELS,Depth/Depth}/0000001.png ...
    OUT/cityscapes/{leftImg8bit,gtFine}/{train,val}/<city>/...
    OUT/README.txt
    OUT/sim2real_meta.json

Every image is generated from its own random stream, seeded by
``(seed, domain code, index)``: the output is byte-identical for a seed
whatever the number of worker processes, and one image can be regenerated
alone. The scene (layout) and the rendering (appearance) draw from two
independent child streams, so changing the style or the ``gap`` re-renders
the same scenes.
"""
import dataclasses
import json
import math
import multiprocessing
import os
import os.path as osp
import shutil
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmda.datasets.label_maps import (CITYSCAPES_CLASSES, IGNORE_INDEX,
                                      label_ids_to_train_ids,
                                      synthia_to_train_ids)
from mmda.utils.atomic_write import publish_dir, temp_dir_for
from .scene import (CITYSCAPES_LAYOUT, GTA5_LAYOUT, SYNTHIA_LAYOUT,
                    LayoutParams, forced_classes, sample_scene)
from .style import (DomainStyle, cityscapes_style, gta5_style, render,
                    synthia_style)
from .writers import (CITYSCAPES_CITIES, CityscapesWriter, DatasetWriter,
                      GTA5Writer, SynthiaWriter, scene_to_synthia)

#: Generator version, written to the README and the metadata. Bump it when
#: the output of a given seed changes.
VERSION = '1.1'  # 1.1: Cityscapes gtFine_instanceIds

#: Code of each generated split in the per-image seed.
DOMAIN_CODES: Dict[str, int] = {
    'gta5': 1,
    'synthia': 2,
    'cityscapes_train': 3,
    'cityscapes_val': 4,
}

META_FILE = 'sim2real_meta.json'
README_FILE = 'README.txt'
_OUTPUT_FOLDERS = ('gta5', 'synthia', 'cityscapes')

#: The documented range of ``gap`` (:func:`~.style.cityscapes_style`): 0
#: renders the target like GTA5, 1 is the default, up to 1.5 extrapolates.
GAP_RANGE = (0.0, 1.5)
#: Seeds are non-negative and below 2**63 (numpy's ``SeedSequence``).
SEED_RANGE = (0, 2**63 - 1)


def check_generation_args(seed, gap, counts: Dict[str, int],
                          workers: int) -> None:
    """Refuse arguments the generator cannot honour, before anything is
    written.

    Raises:
        ValueError: naming the argument, its value and the valid range.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or not SEED_RANGE[0] <= seed <= SEED_RANGE[1]:
        raise ValueError(f'seed must be an integer in [{SEED_RANGE[0]}, '
                         f'2**63 - 1], got {seed!r}')
    try:
        gap_value = float(gap)
    except (TypeError, ValueError):
        gap_value = math.nan
    if not (math.isfinite(gap_value)
            and GAP_RANGE[0] <= gap_value <= GAP_RANGE[1]):
        raise ValueError(
            f'gap must be a number in [{GAP_RANGE[0]:g}, {GAP_RANGE[1]:g}] '
            f'(0 = target rendered like GTA5, 1 = default, up to 1.5 '
            f'extrapolates), got {gap!r}')
    for name, count in counts.items():
        if isinstance(count, bool) or not isinstance(
                count, (int, np.integer)) or count < 0:
            raise ValueError(
                f'{name} must be a non-negative integer, got {count!r}')
    if isinstance(workers, bool) or not isinstance(
            workers, (int, np.integer)) or workers < 1:
        raise ValueError(f'workers must be a positive integer, got '
                         f'{workers!r}')


@dataclass
class _Split:
    """One generated split: its size, layout, style and writer."""
    key: str
    count: int
    size: Tuple[int, int]  # (width, height)
    layout: LayoutParams
    style: DomainStyle
    writer: DatasetWriter
    synthia_labels: bool = False


def image_rng(seed: int, domain: str, index: int):
    """The ``(scene, style)`` generators of one image."""
    seq = np.random.SeedSequence([seed, DOMAIN_CODES[domain], index])
    scene_seq, style_seq = seq.spawn(2)
    return np.random.default_rng(scene_seq), np.random.default_rng(style_seq)


def _make_one(split: _Split, index: int, seed: int) -> np.ndarray:
    """Generate and write one image; returns its trainId histogram."""
    scene_rng, style_rng = image_rng(seed, split.key, index)
    width, height = split.size
    scene = sample_scene(scene_rng, width, height, split.layout,
                         forced_classes(index, seed))
    image = render(scene, split.style, style_rng)
    split.writer.write(index, image, scene)
    if split.synthia_labels:
        train_ids = synthia_to_train_ids(scene_to_synthia(scene))
    else:
        train_ids = label_ids_to_train_ids(scene.label)
    return np.bincount(train_ids.ravel(), minlength=256)


_STATE = {}


def _init_worker(splits: Dict[str, _Split], seed: int) -> None:
    cv2.setNumThreads(1)
    _STATE['splits'], _STATE['seed'] = splits, seed


def _run_task(task: Tuple[str, int]) -> np.ndarray:
    key, index = task
    return _make_one(_STATE['splits'][key], index, _STATE['seed'])


def _class_stats(hists: np.ndarray) -> Dict[str, Dict[str, float]]:
    """Pixel and image fractions of the 19 classes (ignored pixels count
    in the pixel total)."""
    total = max(int(hists.sum()), 1)
    counts = hists[:, :len(CITYSCAPES_CLASSES)]
    pixel = counts.sum(0) / total
    present = (counts > 0).mean(0) if len(hists) else counts.sum(0) * 0.0
    return dict(
        pixel_fraction={
            c: round(float(p), 6)
            for c, p in zip(CITYSCAPES_CLASSES, pixel)
        }, image_fraction={
            c: round(float(p), 4)
            for c, p in zip(CITYSCAPES_CLASSES, present)
        }, ignored_fraction=round(float(hists[:, IGNORE_INDEX].sum() / total),
                                  6))


def _check_out_dir(out_dir: str, overwrite: bool) -> None:
    """``out_dir`` may be replaced whole: it is absent, empty, or (with
    ``overwrite``) a generated benchmark and nothing else."""
    if not osp.exists(out_dir):
        return
    if not osp.isdir(out_dir):
        raise FileExistsError(f'{out_dir} exists and is not a directory')
    content = sorted(os.listdir(out_dir))
    if not content:
        return
    existing = [f for f in _OUTPUT_FOLDERS if f in content]
    if existing and not overwrite:
        raise FileExistsError(
            f'{out_dir} already holds {existing}; pass overwrite=True '
            '(--overwrite) to replace a previous benchmark')
    if not osp.isfile(osp.join(out_dir, META_FILE)):
        raise FileExistsError(
            f'{out_dir} holds {content[:5]} but no {META_FILE}: not a '
            'generated benchmark, refusing to replace it')
    foreign = sorted(
        set(content) - set(_OUTPUT_FOLDERS) - {META_FILE, README_FILE})
    if foreign:
        raise FileExistsError(
            f'{out_dir} holds {foreign} beside the benchmark; the '
            'benchmark directory is replaced whole, move them first')
    if not overwrite:
        raise FileExistsError(
            f'{out_dir} already holds a benchmark; pass overwrite=True '
            '(--overwrite) to replace it')


def _readme(meta: dict) -> str:
    lines = [
        f'mmda sim2real procedural benchmark, generator version '
        f'{meta["version"]}',
        '',
        f'seed: {meta["seed"]}    gap: {meta["gap"]}',
        '',
        'Synthetic street scenes written in the real dataset layouts:',
    ]
    for key, d in meta['splits'].items():
        w, h = d['size']
        example = d['example_files'].get('image', '-')
        lines.append(f'  {key:<17} {d["count"]:>5} images  {w}x{h}  '
                     f'e.g. {example}')
    lines += [
        '',
        'Labels: GTA5 and Cityscapes PNGs hold 8-bit Cityscapes labelIds '
        '(ignored ids included);',
        'SYNTHIA GT/LABELS are 16-bit 3-channel PNGs with the raw SYNTHIA id '
        'in R (cv2: [:, :, 2]),',
        'the instance id in G; SYNTHIA Depth/Depth holds z-depth in '
        'centimetres (uint16, sky 65535).',
        'GTA5 and SYNTHIA are "game" source domains; Cityscapes is the '
        '"real" target domain.',
        f'Per-class statistics and all generation parameters: {META_FILE}.',
        '',
        'Regenerate with:',
        f'  python tools/make_sim2real.py OUT --seed {meta["seed"]} '
        f'--num-gta5 {meta["splits"]["gta5"]["count"]} '
        f'--num-synthia {meta["splits"]["synthia"]["count"]} '
        f'--num-cityscapes-train '
        f'{meta["splits"]["cityscapes_train"]["count"]} '
        f'--num-cityscapes-val {meta["splits"]["cityscapes_val"]["count"]} '
        f'--gap {meta["gap"]}',
    ]
    return '\n'.join(lines) + '\n'


def generate_sim2real(out_dir: str, seed: int = 0, num_gta5: int = 400,
                      num_synthia: int = 300, num_cityscapes_train: int = 300,
                      num_cityscapes_val: int = 100, *,
                      gta5_size: Tuple[int, int] = (256, 144),
                      synthia_size: Tuple[int, int] = (256, 152),
                      cityscapes_size: Tuple[int, int] = (256, 128),
                      gap: float = 1.0, workers: int = 2,
                      cities: Optional[Dict[str, Sequence[str]]] = None,
                      layouts: Optional[Dict[str, LayoutParams]] = None,
                      styles: Optional[Dict[str, DomainStyle]] = None,
                      overwrite: bool = False) -> dict:
    """Generate the benchmark under ``out_dir``.

    Args:
        out_dir: Output root (created if needed).
        seed: Base seed; the same seed gives byte-identical files.
        num_gta5, num_synthia: Source images per domain.
        num_cityscapes_train, num_cityscapes_val: Target images per split.
        gta5_size, synthia_size, cityscapes_size: ``(width, height)``. The
            defaults keep the real datasets' aspect ratios (GTA5 1914x1052,
            SYNTHIA 1280x760, Cityscapes 2:1).
        gap: Strength of the target's appearance gap, see
            :func:`~mmda.sim2real.style.cityscapes_style`.
        workers: Worker processes (the output does not depend on it).
        cities: Cityscapes city folders per split (``'train'``, ``'val'``).
        layouts: Override the layout of ``'gta5'``, ``'synthia'`` or
            ``'cityscapes'``.
        styles: Override the style of ``'gta5'``, ``'synthia'`` or
            ``'cityscapes'`` (then ``gap`` is not used for it).
        overwrite: Replace the dataset folders of a previous run.

    Returns:
        dict: The metadata also written to ``sim2real_meta.json``.

    Raises:
        ValueError: For an argument out of its range (nothing is written).
        FileExistsError: If ``out_dir`` holds anything but a previous
            benchmark, or one without ``overwrite``.

    The benchmark is written under a temporary name beside ``out_dir`` and
    published in one rename (:func:`~mmda.utils.atomic_write.publish_dir`):
    a failed or interrupted run leaves no partial ``out_dir``, and a
    previous benchmark stays whole until the new one replaces it.
    """
    check_generation_args(
        seed, gap,
        dict(num_gta5=num_gta5, num_synthia=num_synthia,
             num_cityscapes_train=num_cityscapes_train,
             num_cityscapes_val=num_cityscapes_val), workers)
    out_dir = osp.abspath(out_dir)
    _check_out_dir(out_dir, overwrite)
    tmp_dir = temp_dir_for(out_dir)
    shutil.rmtree(tmp_dir, ignore_errors=True)
    os.makedirs(tmp_dir)
    try:
        meta = _generate(
            tmp_dir, seed, num_gta5, num_synthia, num_cityscapes_train,
            num_cityscapes_val, gta5_size, synthia_size, cityscapes_size,
            gap, workers, cities, layouts, styles)
        publish_dir(tmp_dir, out_dir)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return meta


def _generate(out_dir, seed, num_gta5, num_synthia, num_cityscapes_train,
              num_cityscapes_val, gta5_size, synthia_size, cityscapes_size,
              gap, workers, cities, layouts, styles) -> dict:
    """Write the benchmark into the (new, empty) directory ``out_dir``."""
    layouts = {
        'gta5': GTA5_LAYOUT,
        'synthia': SYNTHIA_LAYOUT,
        'cityscapes': CITYSCAPES_LAYOUT,
        **(layouts or {})
    }
    styles = {
        'gta5': gta5_style(),
        'synthia': synthia_style(),
        'cityscapes': cityscapes_style(gap),
        **(styles or {})
    }
    cities = {**CITYSCAPES_CITIES, **(cities or {})}

    splits = {
        'gta5': _Split('gta5', num_gta5, tuple(gta5_size), layouts['gta5'],
                       styles['gta5'], GTA5Writer(out_dir)),
        'synthia': _Split('synthia', num_synthia, tuple(synthia_size),
                          layouts['synthia'], styles['synthia'],
                          SynthiaWriter(out_dir), synthia_labels=True),
    }
    for split, count in (('train', num_cityscapes_train),
                         ('val', num_cityscapes_val)):
        splits[f'cityscapes_{split}'] = _Split(
            f'cityscapes_{split}', count, tuple(cityscapes_size),
            layouts['cityscapes'], styles['cityscapes'],
            CityscapesWriter(out_dir, split, count, cities[split]))
    for s in splits.values():
        s.writer.make_dirs(s.count)

    tasks = [(k, i) for k, s in splits.items() for i in range(s.count)]
    if workers > 1 and len(tasks) > 1:
        ctx = multiprocessing.get_context()
        with ctx.Pool(workers, _init_worker, (splits, seed)) as pool:
            hists = list(pool.imap(_run_task, tasks, chunksize=4))
    else:
        threads = cv2.getNumThreads()
        try:
            _init_worker(splits, seed)
            hists = [_run_task(t) for t in tasks]
        finally:
            cv2.setNumThreads(threads)
            _STATE.clear()

    meta = dict(generator='mmda.sim2real', version=VERSION, seed=seed,
                gap=float(styles['cityscapes'].gap), splits={})
    by_key = {k: [] for k in splits}
    for (key, _), hist in zip(tasks, hists):
        by_key[key].append(hist)
    for key, s in splits.items():
        hist = np.asarray(by_key[key]).reshape(-1, 256)
        domain = 'cityscapes' if key.startswith('cityscapes') else key
        paths = s.writer.paths(0) if s.count else {}
        meta['splits'][key] = dict(
            count=s.count, size=list(s.size), folder=s.writer.folder,
            example_files={
                k: osp.relpath(p, out_dir)
                for k, p in paths.items()
            }, cities=list(getattr(s.writer, 'cities', ())),
            **_class_stats(hist),
            layout_params=dataclasses.asdict(layouts[domain]),
            style=s.style.to_dict())
    meta['depth_unit'] = 'centimetres (uint16, sky = 65535)'
    with open(osp.join(out_dir, META_FILE), 'w') as f:
        json.dump(meta, f, indent=1, sort_keys=False)
        f.write('\n')
    with open(osp.join(out_dir, README_FILE), 'w') as f:
        f.write(_readme(meta))
    return meta
