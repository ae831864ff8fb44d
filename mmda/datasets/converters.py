"""Label converters: raw GTA5 / SYNTHIA / Cityscapes labels -> 19 trainIds.

Each converter writes ``<label name>_labelTrainIds.png`` (8-bit, 19-class
trainIds, 255 = ignore) beside every raw label file, then the per-class
statistics file of :mod:`mmda.datasets.class_stats`:

* GTA5: ``labels/00001.png`` -> ``labels/00001_labelTrainIds.png``;
  statistics ``ROOT/class_stats.json``.
* SYNTHIA: ``GT/LABELS/0000001.png`` ->
  ``GT/LABELS/0000001_labelTrainIds.png``; ``ROOT/class_stats.json``.
* Cityscapes: ``gtFine/<split>/<city>/<stem>_gtFine_labelIds.png`` ->
  ``<stem>_gtFine_labelTrainIds.png`` (the name mmseg expects); one
  ``ROOT/class_stats_<split>.json`` per split.

Outputs are written atomically (temp file + ``os.replace``), converted files
are never taken for raw labels (re-runs give the same result), and nothing is
skipped silently: an unreadable label raises an error naming the file, a
wrong or empty root an error naming the root and the expected layout.

Raw ids outside the dataset's label table (Cityscapes labelIds 0-33,
SYNTHIA ids 0-22) are mapped to ignore and reported with their pixel and
file counts (``unknown_ids`` of the result; the command line prints them).
A label that becomes all-ignore is a :class:`AllIgnoreLabelError` naming
the files (no converted file and no statistics are written for it) unless
``allow_all_ignore`` (``--allow-all-ignore``) is given.
"""
import os
import os.path as osp
from multiprocessing import Pool
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image, ImageFile

from ..utils.atomic_write import atomic_write_bytes
from .class_stats import (build_class_stats, count_train_ids, image_key,
                          stats_file_name, write_class_stats)
from .label_maps import (CITYSCAPES_ALL_LABEL_IDS, IGNORE_INDEX,
                         LABEL_ID_TO_TRAIN_ID_LUT, SYNTHIA_RAW_CLASSES,
                         SYNTHIA_TO_TRAIN_ID_LUT)

#: Suffix of every converted label file.
TRAIN_ID_SUFFIX = '_labelTrainIds.png'

GTA5_LAYOUT = ('GTA5 layout: ROOT/images/00001.png and ROOT/labels/00001.png '
               '(8-bit Cityscapes labelIds)')
SYNTHIA_LAYOUT = ('SYNTHIA-RAND-CITYSCAPES layout: ROOT/RGB/0000001.png, '
                  'ROOT/GT/LABELS/0000001.png (16-bit, class id in the R '
                  'channel), ROOT/Depth/Depth/0000001.png')
CITYSCAPES_LAYOUT = ('Cityscapes layout: ROOT/leftImg8bit/{train,val}/<city>/'
                     '<stem>_leftImg8bit.png and ROOT/gtFine/{train,val}/'
                     '<city>/<stem>_gtFine_labelIds.png')


# --------------------------------------------------------------- reading
def read_label_ids(path: str) -> np.ndarray:
    """Read an 8-bit single-channel id map (grey or palette PNG).

    Palette PNGs (GTA5 ships its labels as palette images) are read as their
    indices, which OpenCV would expand to colours.

    Raises:
        FileNotFoundError / OSError / ValueError naming ``path``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'label file not found: {path}')
    truncated_ok = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # never accept truncated files
    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            arr = np.array(img)
    except Exception as e:  # PIL raises several types for corrupt files
        raise OSError(f'cannot read label file {path}: {e}') from e
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
    if mode not in ('L', 'P') or arr.ndim != 2 or arr.dtype != np.uint8:
        raise ValueError(
            f'label file {path} is not an 8-bit single-channel id map '
            f'(PIL mode {mode}, shape {arr.shape}, dtype {arr.dtype})')
    return arr


def read_synthia_raw(path: str) -> np.ndarray:
    """Read the raw class ids of a SYNTHIA ``GT/LABELS`` PNG.

    The 16-bit PNG has 3 (or 4) channels with the id in R, i.e. channel 2
    of OpenCV's BGR(A) order; a single-channel file is taken as the ids.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'label file not found: {path}')
    buf = np.fromfile(path, dtype=np.uint8)
    raw = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if buf.size else None
    if raw is None:
        raise OSError(f'cannot read label file {path}: not a decodable '
                      'image (corrupt or truncated?)')
    if raw.ndim == 3:
        raw = raw[:, :, 2] if raw.shape[2] >= 3 else raw[:, :, 0]
    if raw.dtype not in (np.uint8, np.uint16):
        raise ValueError(f'label file {path} has dtype {raw.dtype}; expected '
                         '8- or 16-bit ids')
    return np.ascontiguousarray(raw)


# --------------------------------------------------------------- writing
def encode_png(arr: np.ndarray, what: str) -> bytes:
    """PNG bytes of ``arr``; ``what`` names it in the error."""
    ok, buf = cv2.imencode('.png', arr)
    if not ok:
        raise OSError(f'cannot encode PNG for {what}')
    return buf.tobytes()


def write_png_atomic(path: str, arr: np.ndarray) -> None:
    """Encode ``arr`` as PNG and move it into place atomically (the
    temporary name does not end with .png: an interrupted run leaves no
    file a later run could take for a label)."""
    atomic_write_bytes(path, encode_png(arr, path))


_READERS: Dict[str, Tuple[Callable[[str], np.ndarray], np.ndarray]] = {
    'label_ids': (read_label_ids, LABEL_ID_TO_TRAIN_ID_LUT),
    'synthia': (read_synthia_raw, SYNTHIA_TO_TRAIN_ID_LUT),
}

#: The raw ids each label table defines (others are unknown).
KNOWN_RAW_IDS = {
    'label_ids': frozenset(i for i in CITYSCAPES_ALL_LABEL_IDS if i >= 0),
    'synthia': frozenset(range(len(SYNTHIA_RAW_CLASSES))),
}


class AllIgnoreLabelError(ValueError):
    """Raw labels that would become all-ignore training labels."""


def _convert_one(job: Tuple[str, str, str, bool]) -> tuple:
    """Convert one label: ``(dst, trainId counts, {unknown raw id:
    pixels}, all_ignore)``; an all-ignore result is written only when
    allowed."""
    src, dst, kind, allow_all_ignore = job
    reader, lut = _READERS[kind]
    raw = reader(src)
    ids, counts = np.unique(raw, return_counts=True)
    unknown = {
        int(i): int(n)
        for i, n in zip(ids, counts) if int(i) not in KNOWN_RAW_IDS[kind]
    }
    train_ids = lut[raw]
    all_ignore = bool((train_ids == IGNORE_INDEX).all())
    if all_ignore and not allow_all_ignore:
        return dst, None, unknown, True
    write_png_atomic(dst, train_ids)
    return dst, count_train_ids(train_ids), unknown, all_ignore


def train_id_path(label_path: str, raw_suffix: str = '.png') -> str:
    """Converted-file path of a raw label path."""
    assert label_path.endswith(raw_suffix), (label_path, raw_suffix)
    return label_path[:-len(raw_suffix)] + TRAIN_ID_SUFFIX


def _run(jobs: List[Tuple[str, str, str]], root: str, stats_path: str,
         nproc: int, allow_all_ignore: bool = False) -> Dict[int, dict]:
    """Convert ``jobs`` (src, dst, kind) and write the statistics; returns
    the unknown raw ids: ``{id: dict(pixels, files, examples)}``."""
    jobs = [job + (allow_all_ignore, ) for job in jobs]
    if nproc > 1 and len(jobs) > 1:
        with Pool(min(nproc, len(jobs))) as pool:
            results = list(pool.imap(_convert_one, jobs, chunksize=8))
    else:
        results = [_convert_one(j) for j in jobs]
    unknown: Dict[int, dict] = {}
    for (src, *_), (_, _, ids, _) in zip(jobs, results):
        for raw_id, pixels in ids.items():
            entry = unknown.setdefault(
                raw_id, dict(pixels=0, files=0, examples=[]))
            entry['pixels'] += pixels
            entry['files'] += 1
            if len(entry['examples']) < 3:
                entry['examples'].append(osp.relpath(src, root))
    all_ignore = [
        osp.relpath(src, root)
        for (src, *_), (_, cnt, _, flag) in zip(jobs, results)
        if flag and cnt is None
    ]
    if all_ignore:
        raise AllIgnoreLabelError(
            f'{len(all_ignore)} label file(s) under {root} would become '
            f'all-ignore training labels (every raw id unknown or ignored):'
            f' {", ".join(all_ignore[:5])}'
            f'{", ..." if len(all_ignore) > 5 else ""}'
            f'{unknown_ids_report(unknown)}; nothing was written for them '
            'and no statistics file. Fix or remove them, or pass '
            'allow_all_ignore=True (--allow-all-ignore) to keep them.')
    counts = {image_key(dst, root): cnt for dst, cnt, _, _ in results}
    write_class_stats(build_class_stats(counts), stats_path)
    return unknown


def unknown_ids_report(unknown: Dict[int, dict]) -> str:
    """The unknown raw ids of a conversion, one line each ('' if none)."""
    return ''.join(
        f'\n  raw id {i}: {e["pixels"]} pixels in {e["files"]} file(s), '
        f'e.g. {", ".join(e["examples"])}' for i, e in sorted(unknown.items()))


def _check_root(root: str, layout: str) -> str:
    if not root or not osp.isdir(root):
        raise FileNotFoundError(
            f'dataset root {root!r} does not exist or is not a directory. '
            f'Expected the {layout}.')
    return osp.abspath(root)


def _raw_labels(label_dir: str, root: str, layout: str,
                raw_suffix: str = '.png') -> List[str]:
    """Raw label files under ``label_dir`` (converted outputs excluded)."""
    if not osp.isdir(label_dir):
        raise FileNotFoundError(
            f'dataset root {root} has no label directory {label_dir}. '
            f'Expected the {layout}.')
    found = [osp.join(label_dir, f) for f in os.listdir(label_dir)]
    found = sorted(f for f in found if f.endswith(raw_suffix)
                   and not f.endswith(TRAIN_ID_SUFFIX) and osp.isfile(f))
    if not found:
        raise FileNotFoundError(
            f'dataset root {root}: no raw label files "*{raw_suffix}" in '
            f'{label_dir}. Expected the {layout}.')
    return found


# ------------------------------------------------------------ converters
def convert_gta5(root: str,
                 nproc: int = 1,
                 allow_all_ignore: bool = False) -> Dict[str, object]:
    """Convert GTA5 labels (Cityscapes labelIds) to trainIds.

    Writes ``ROOT/labels/<stem>_labelTrainIds.png`` and
    ``ROOT/class_stats.json``. Returns ``dict(num_files, stats_files,
    unknown_ids)``.
    """
    root = _check_root(root, GTA5_LAYOUT)
    labels = _raw_labels(osp.join(root, 'labels'), root, GTA5_LAYOUT)
    jobs = [(f, train_id_path(f), 'label_ids') for f in labels]
    stats = osp.join(root, stats_file_name())
    unknown = _run(jobs, root, stats, nproc, allow_all_ignore)
    return dict(
        num_files=len(jobs), stats_files=[stats], unknown_ids=unknown)


def convert_synthia(root: str,
                    nproc: int = 1,
                    allow_all_ignore: bool = False) -> Dict[str, object]:
    """Convert SYNTHIA-RAND-CITYSCAPES raw ids (R channel) to trainIds.

    Writes ``ROOT/GT/LABELS/<stem>_labelTrainIds.png`` and
    ``ROOT/class_stats.json``. Returns ``dict(num_files, stats_files,
    unknown_ids)``.
    """
    root = _check_root(root, SYNTHIA_LAYOUT)
    labels = _raw_labels(
        osp.join(root, 'GT', 'LABELS'), root, SYNTHIA_LAYOUT)
    jobs = [(f, train_id_path(f), 'synthia') for f in labels]
    stats = osp.join(root, stats_file_name())
    unknown = _run(jobs, root, stats, nproc, allow_all_ignore)
    return dict(
        num_files=len(jobs), stats_files=[stats], unknown_ids=unknown)


def convert_cityscapes(root: str,
                       nproc: int = 1,
                       splits: Optional[Sequence[str]] = None,
                       allow_all_ignore: bool = False) -> Dict[str, object]:
    """Convert Cityscapes ``gtFine`` labelIds to trainIds.

    Writes ``<stem>_gtFine_labelTrainIds.png`` beside each
    ``<stem>_gtFine_labelIds.png`` and one ``ROOT/class_stats_<split>.json``
    per split (every sub-directory of ``gtFine`` holding labels, or
    ``splits``). Returns ``dict(num_files, stats_files, unknown_ids)``.
    """
    root = _check_root(root, CITYSCAPES_LAYOUT)
    gt_dir = osp.join(root, 'gtFine')
    if not osp.isdir(gt_dir):
        raise FileNotFoundError(
            f'dataset root {root} has no gtFine directory. Expected the '
            f'{CITYSCAPES_LAYOUT}.')
    raw_suffix = '_gtFine_labelIds.png'
    if splits is None:
        splits = sorted(d for d in os.listdir(gt_dir)
                        if osp.isdir(osp.join(gt_dir, d)))
    n, stats_files, unknown = 0, [], {}
    for split in splits:
        split_dir = osp.join(gt_dir, split)
        if not osp.isdir(split_dir):
            raise FileNotFoundError(
                f'dataset root {root} has no split directory {split_dir}. '
                f'Expected the {CITYSCAPES_LAYOUT}.')
        found = [osp.join(d, f) for d, _, fs in os.walk(split_dir)
                 for f in fs if f.endswith(raw_suffix)]
        if not found:
            continue
        labels = sorted(found)
        jobs = [(f, train_id_path(f, '_labelIds.png'), 'label_ids')
                for f in labels]
        stats = osp.join(root, stats_file_name(split))
        for raw_id, entry in _run(jobs, root, stats, nproc,
                                  allow_all_ignore).items():
            merged = unknown.setdefault(
                raw_id, dict(pixels=0, files=0, examples=[]))
            merged['pixels'] += entry['pixels']
            merged['files'] += entry['files']
            merged['examples'] = (merged['examples'] + entry['examples'])[:3]
        n += len(jobs)
        stats_files.append(stats)
    if not n:
        raise FileNotFoundError(
            f'dataset root {root}: no "*{raw_suffix}" files under {gt_dir} '
            f'(splits {list(splits)}). Expected the {CITYSCAPES_LAYOUT}.')
    return dict(num_files=n, stats_files=stats_files, unknown_ids=unknown)


CONVERTERS = dict(
    gta5=convert_gta5, synthia=convert_synthia, cityscapes=convert_cityscapes)

DATASET_TITLES = dict(
    gta5='GTA5', synthia='SYNTHIA-RAND-CITYSCAPES', cityscapes='Cityscapes')


def converter_cli(name: str, argv=None) -> Dict[str, object]:
    """Command line of ``tools/dataset_converters/<name>.py ROOT``."""
    import argparse
    import sys
    import time
    parser = argparse.ArgumentParser(
        prog=f'tools/dataset_converters/{name}.py',
        description=f'Convert {DATASET_TITLES[name]} labels to 19-class '
        'trainIds (*_labelTrainIds.png beside each label file) and write '
        'the per-class statistics file.')
    parser.add_argument('root', help='dataset root directory')
    parser.add_argument(
        '--nproc', type=int, default=1, help='worker processes (default 1)')
    parser.add_argument(
        '--allow-all-ignore',
        action='store_true',
        help='convert labels that become all-ignore (an error otherwise)')
    args = parser.parse_args(argv)
    if args.nproc < 1:
        parser.error(f'--nproc must be at least 1, got {args.nproc}')
    start = time.time()
    try:
        result = CONVERTERS[name](
            args.root, nproc=args.nproc,
            allow_all_ignore=args.allow_all_ignore)
    except (AllIgnoreLabelError, FileNotFoundError) as err:
        sys.exit(f'{parser.prog}: error: {err}')
    if result['unknown_ids']:
        print(f'{len(result["unknown_ids"])} raw id(s) outside the '
              f'{DATASET_TITLES[name]} label table were mapped to ignore '
              f'(255):{unknown_ids_report(result["unknown_ids"])}',
              file=sys.stderr)
    print(f"converted {result['num_files']} label files in "
          f'{time.time() - start:.1f}s; statistics: ' +
          ', '.join(result['stats_files']))
    return result
