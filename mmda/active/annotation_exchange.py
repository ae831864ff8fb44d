"""Human annotation of active-selection rounds through files.

Real target data has no ground truth: a person labels the pixels that a
selection round picked. The round trip goes through one directory per
round, ``<exchange root>/round_<k>/`` (``k`` zero-padded to 3 digits)::

    round_001/
        manifest.json       what was asked (written by the training run)
        masks/<key>.png     uint8, 255 = label this pixel, 0 = do not
        labels/README.txt   instructions for the annotator
        labels/<key>.png    uint8 trainIds, written by the annotator

* :func:`export_requests` writes the masks, the manifest (round, classes,
  and per image its key, absolute image path, mask file, size, number of
  pixels to label and the sha256 of the mask file) and an empty ``labels/``
  folder. The directory appears atomically (written into a temporary
  directory, then put in place: :func:`mmda.utils.atomic_write.writing_dir`).
* The annotator saves ``labels/<key>.png`` for every image: a single-channel
  8-bit PNG of the image's size holding, for each masked pixel, a class id
  (trainId, ``0 .. num_classes - 1``) or 255 (void / unknown). Pixels
  outside the mask are not read.
* :func:`import_labels` validates the whole folder and returns the label
  maps. :func:`check_round` collects every problem (each message names the
  file) without raising, for tools; :func:`label_status` tells which label
  files are still missing.

Keys are the images' file stems (the active-label ledger's keys).
"""
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..utils.atomic_write import writing_dir
from ..utils.file_hash import sha256_file

MANIFEST = 'manifest.json'
MASK_DIR = 'masks'
LABEL_DIR = 'labels'
README = 'README.txt'
EXCHANGE_VERSION = 1
VOID = 255
_MANIFEST_KEYS = ('version', 'round', 'num_classes', 'class_names', 'images')
_IMAGE_KEYS = ('key', 'image', 'mask', 'height', 'width', 'num_pixels',
               'mask_sha256')

README_TEXT = """\
Annotation round {round_no}: {num_pixels} pixel(s) of {num_images} image(s)
to label.

For every image listed in ../manifest.json, save its labels here as

    labels/<key>.png

* a single-channel 8-bit PNG (grayscale, not RGB, not palette-coloured),
  of the same size as the image (height x width in the manifest);
* every pixel that is white (255) in ../masks/<key>.png holds the class id
  (trainId) of that pixel: 0 .. {last_class}, or 255 if it is void / cannot
  be told;
* pixels outside the mask are not read (255 everywhere else is fine).

Class ids:
{class_table}

Do not edit ../manifest.json or ../masks/. Check the folder with

    python tools/active_annotation.py check {round_dir}

then resume the training run (tools/train.py CONFIG ... --resume).
"""


class AnnotationError(RuntimeError):
    """An annotation round directory that is incomplete or invalid."""


def round_dir_name(round_no: int) -> str:
    """Directory name of round ``round_no`` (1-based): ``round_001``."""
    return f'round_{int(round_no):03d}'


def _check_key(key: str) -> None:
    if (not isinstance(key, str) or not key or key.startswith('.')
            or osp.basename(key) != key):
        raise ValueError(f'invalid image key {key!r}: keys name files '
                         '(no directories, no leading dot)')


def export_requests(out_dir: str,
                    round_no: int,
                    requests: Sequence[Tuple[str, str, np.ndarray]],
                    num_classes: int,
                    class_names: Optional[Sequence[str]] = None,
                    overwrite: bool = False) -> str:
    """Write the annotation requests of one round.

    Args:
        out_dir (str): Exchange root; the round goes to
            ``out_dir/round_<k>``.
        round_no (int): The round, from 1.
        requests (Sequence[tuple]): ``(key, image_path, selected_mask)`` per
            image: ledger key, path of the image file, boolean (or 0/non-0)
            H x W mask of the pixels to label. Images with an empty mask are
            listed too (with 0 pixels to label).
        num_classes (int): Valid class ids are ``0 .. num_classes - 1``.
        class_names (Sequence[str], optional): Names of the classes.
        overwrite (bool): Replace an existing round directory, unless it
            already holds label files (human work is never deleted).

    Returns:
        str: The round directory.

    Raises:
        FileExistsError: if the round directory exists (and ``overwrite``
            is off, or it holds label files).
    """
    if not 0 < num_classes < VOID:
        raise ValueError(f'num_classes must be in 1..{VOID - 1}, '
                         f'got {num_classes}')
    class_names = list(class_names) if class_names is not None else [
        str(i) for i in range(num_classes)
    ]
    if len(class_names) != num_classes:
        raise ValueError(f'{len(class_names)} class names for '
                         f'{num_classes} classes')
    keys = [r[0] for r in requests]
    for key in keys:
        _check_key(key)
    if len(set(keys)) != len(keys):
        raise ValueError('duplicate keys in the annotation requests')

    os.makedirs(out_dir, exist_ok=True)
    final = osp.join(out_dir, round_dir_name(round_no))
    if osp.lexists(final):
        labels = _label_files(final)
        if labels or not overwrite:
            raise FileExistsError(
                f'annotation round directory {final} exists'
                + (f' and holds {len(labels)} label file(s)' if labels else '')
                + ': resume the run that exported it (--resume), or move '
                'the directory away to request new labels')

    # (an existing round without labels is a stale export: replaced)
    with writing_dir(final) as tmp:
        os.makedirs(osp.join(tmp, MASK_DIR))
        os.makedirs(osp.join(tmp, LABEL_DIR))
        images = []
        for key, image_path, mask in sorted(requests, key=lambda r: r[0]):
            mask = np.asarray(mask).astype(bool)
            if mask.ndim != 2:
                raise ValueError(f'mask of {key} must be H x W, got shape '
                                 f'{mask.shape}')
            rel = f'{MASK_DIR}/{key}.png'
            path = osp.join(tmp, MASK_DIR, f'{key}.png')
            if not cv2.imwrite(path, mask.astype(np.uint8) * 255):
                raise OSError(f'could not write {path}')
            images.append(
                dict(
                    key=key,
                    image=osp.abspath(image_path),
                    mask=rel,
                    height=int(mask.shape[0]),
                    width=int(mask.shape[1]),
                    num_pixels=int(mask.sum()),
                    mask_sha256=sha256_file(path)))
        manifest = dict(
            version=EXCHANGE_VERSION,
            round=int(round_no),
            num_classes=int(num_classes),
            class_names=class_names,
            created=time.strftime('%Y-%m-%d %H:%M:%S'),
            images=images)
        with open(osp.join(tmp, MANIFEST), 'w') as f:
            json.dump(manifest, f, indent=1)
        class_table = '\n'.join(f'  {i:3d}  {name}'
                                for i, name in enumerate(class_names))
        with open(osp.join(tmp, LABEL_DIR, README), 'w') as f:
            f.write(
                README_TEXT.format(
                    round_no=round_no,
                    num_images=len(images),
                    num_pixels=sum(i['num_pixels'] for i in images),
                    last_class=num_classes - 1,
                    class_table=class_table,
                    round_dir=osp.abspath(final)))
    return final


def _label_files(round_dir: str) -> List[str]:
    """Names of the files in ``labels/`` other than the README (and hidden
    files)."""
    label_dir = osp.join(round_dir, LABEL_DIR)
    if not osp.isdir(label_dir):
        return []
    return sorted(n for n in os.listdir(label_dir)
                  if n != README and not n.startswith('.'))


def read_manifest(round_dir: str) -> dict:
    """The validated manifest of a round directory.

    Raises:
        AnnotationError: naming the manifest, if it is missing or corrupt.
    """
    path = osp.join(round_dir, MANIFEST)
    if not osp.isfile(path):
        raise AnnotationError(f'{path} is missing: {round_dir} is not an '
                              'annotation round directory')
    try:
        with open(path) as f:
            manifest = json.load(f)
    except (OSError, ValueError) as err:
        raise AnnotationError(f'{path} is corrupt: {err}') from err
    if not isinstance(manifest, dict):
        raise AnnotationError(f'{path} is corrupt: not a JSON object')
    missing = [k for k in _MANIFEST_KEYS if k not in manifest]
    if missing:
        raise AnnotationError(f'{path} is corrupt: no {", ".join(missing)}')
    if manifest['version'] != EXCHANGE_VERSION:
        raise AnnotationError(f'{path} has the unknown format version '
                              f'{manifest["version"]!r}')
    num_classes = manifest['num_classes']
    if not isinstance(num_classes, int) or not 0 < num_classes < VOID:
        raise AnnotationError(f'{path} is corrupt: num_classes='
                              f'{num_classes!r}')
    if not isinstance(manifest['images'], list):
        raise AnnotationError(f'{path} is corrupt: images is no list')
    seen = set()
    for i, entry in enumerate(manifest['images']):
        if not isinstance(entry, dict) or any(k not in entry
                                              for k in _IMAGE_KEYS):
            raise AnnotationError(f'{path} is corrupt: images[{i}] needs '
                                  f'{", ".join(_IMAGE_KEYS)}')
        try:
            _check_key(entry['key'])
        except ValueError as err:
            raise AnnotationError(f'{path} is corrupt: {err}') from err
        if entry['key'] in seen:
            raise AnnotationError(f'{path} is corrupt: {entry["key"]} is '
                                  'listed twice')
        seen.add(entry['key'])
    return manifest


def label_status(round_dir: str) -> dict:
    """Progress of a round: ``round``, ``requested`` (images),
    ``labelled`` (label files present), ``missing`` (paths of the missing
    label files) and ``extra`` (files in ``labels/`` that belong to no
    requested image). Validates the manifest only."""
    manifest = read_manifest(round_dir)
    keys = [e['key'] for e in manifest['images']]
    present = set(_label_files(round_dir))
    expected = {f'{k}.png' for k in keys}
    return dict(
        round=manifest['round'],
        requested=len(keys),
        labelled=len(expected & present),
        missing=[
            osp.join(round_dir, LABEL_DIR, f'{k}.png') for k in keys
            if f'{k}.png' not in present
        ],
        extra=[
            osp.join(round_dir, LABEL_DIR, n)
            for n in sorted(present - expected)
        ])


def read_mask(round_dir: str, entry: dict) -> np.ndarray:
    """The boolean mask of a manifest entry, checked against its sha256.

    Raises:
        AnnotationError: naming the mask file if it is missing, changed or
            does not fit the manifest.
    """
    path = osp.join(round_dir, entry['mask'])
    if not osp.isfile(path):
        raise AnnotationError(f'mask file {path} is missing')
    if sha256_file(path) != entry['mask_sha256']:
        raise AnnotationError(
            f'mask file {path} was changed since the export (sha256 '
            'mismatch): masks are the selection of the training run and '
            'must not be edited')
    mask = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if mask is None or mask.ndim != 2 or mask.shape != (entry['height'],
                                                        entry['width']):
        raise AnnotationError(f'mask file {path} does not fit the manifest')
    return mask > 0


def _check_label(path: str, entry: dict, mask: np.ndarray,
                 num_classes: int) -> Tuple[Optional[np.ndarray], List[str]]:
    """(labels or None, errors) of one label file."""
    try:
        labels = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    except cv2.error:
        labels = None
    if labels is None:
        return None, [f'label file {path} is unreadable (not a PNG image?)']
    if labels.ndim != 2:
        return None, [
            f'label file {path} has {labels.shape[2]} channels: save a '
            'single-channel (grayscale) 8-bit PNG of class ids, not a '
            'colour or palette image'
        ]
    if labels.dtype != np.uint8:
        return None, [
            f'label file {path} is {labels.dtype}: save an 8-bit PNG '
            '(uint8 class ids)'
        ]
    height, width = entry['height'], entry['width']
    if labels.shape != (height, width):
        return None, [
            f'label file {path} is {labels.shape[1]}x{labels.shape[0]} '
            f'(width x height) but the image is {width}x{height}'
        ]
    inside = labels[mask]
    bad = (inside >= num_classes) & (inside != VOID)
    if bad.any():
        values = np.unique(inside[bad])
        return None, [
            f'label file {path}: {int(bad.sum())} masked pixel(s) hold '
            f'{", ".join(map(str, values[:10].tolist()))}, which is neither '
            f'a class id (0..{num_classes - 1}) nor 255 (void)'
        ]
    return np.where(mask, labels, VOID).astype(np.uint8), []


def _load_round(round_dir: str) -> Tuple[dict, Dict[str, np.ndarray],
                                         Dict[str, np.ndarray], List[str]]:
    """(manifest, labels, masks, errors): every problem of the round."""
    manifest = read_manifest(round_dir)
    errors = []
    status = label_status(round_dir)
    for path in status['extra']:
        errors.append(
            f'unexpected file {path}: label files must be named '
            f'{LABEL_DIR}/<key>.png for a key listed in the manifest')
    if status['missing']:
        errors.append(
            f'{len(status["missing"])} of {status["requested"]} label '
            'file(s) missing: ' + ', '.join(status['missing']))
    labels, masks = {}, {}
    for entry in manifest['images']:
        key = entry['key']
        try:
            mask = read_mask(round_dir, entry)
        except AnnotationError as err:
            errors.append(str(err))
            continue
        masks[key] = mask
        path = osp.join(round_dir, LABEL_DIR, f'{key}.png')
        if not osp.isfile(path):
            continue  # reported above
        label, problems = _check_label(path, entry, mask,
                                       manifest['num_classes'])
        errors.extend(problems)
        if label is not None:
            labels[key] = label
    return manifest, labels, masks, errors


def check_round(round_dir: str) -> List[str]:
    """Every problem of a round directory (empty if it can be imported)."""
    try:
        return _load_round(round_dir)[3]
    except AnnotationError as err:
        return [str(err)]


def import_labels(round_dir: str) -> Dict[str, np.ndarray]:
    """Read and validate the labels of a round directory.

    Returns:
        dict: key -> uint8 H x W label map: the annotator's class ids (or
        255, void) on the masked pixels, 255 everywhere else.

    Raises:
        AnnotationError: listing every problem, each naming its file:
            manifest missing or corrupt, mask file changed, label file
            missing, unreadable, multi-channel, not 8-bit, of the wrong size
            or with masked values that are neither a class id nor 255,
            and files in ``labels/`` for no requested image.
    """
    return import_round(round_dir)[0]


def import_round(round_dir: str
                 ) -> Tuple[Dict[str, np.ndarray], Dict[str, np.ndarray]]:
    """:func:`import_labels` plus the validated masks (key -> bool H x W)."""
    _, labels, masks, errors = _load_round(round_dir)
    if errors:
        raise AnnotationError(
            f'annotation round {round_dir} cannot be imported:\n  - ' +
            '\n  - '.join(errors))
    return labels, masks
