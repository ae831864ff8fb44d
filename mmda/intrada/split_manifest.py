"""The output of IntraDA's ranking step, as the next stage finds it.

``tools/entropy_rank.py`` writes one directory::

    <rank_dir>/manifest.json        # what was ranked, how, and every image
    <rank_dir>/easy_split.txt       # image stems, lowest entropy first
    <rank_dir>/hard_split.txt
    <rank_dir>/pseudo_labels/<stem>_pseudoTrainIds.png   # easy split only

The directory appears whole or not at all (it is written under a temporary
name and renamed), so a crashed ranking never leaves a half-written split
for stage 2. :func:`load_manifest` validates it for
:class:`~mmda.datasets.EntropySplitDataset`.
"""
import json
import os.path as osp
from typing import Dict

MANIFEST_NAME = 'manifest.json'
MANIFEST_FORMAT = 'mmda.entropy_rank'
MANIFEST_VERSION = 1
PSEUDO_LABEL_DIR = 'pseudo_labels'
PSEUDO_LABEL_SUFFIX = '_pseudoTrainIds.png'
SPLIT_FILES = dict(easy='easy_split.txt', hard='hard_split.txt')


def manifest_path(rank_dir: str) -> str:
    return osp.join(rank_dir, MANIFEST_NAME)


def load_manifest(path: str) -> Dict:
    """Read and check a ranking manifest (the file or its directory).

    Raises:
        FileNotFoundError: no manifest (names the command that writes it).
        ValueError: not a ranking manifest, or inconsistent.
    """
    if osp.isdir(path):
        path = manifest_path(path)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'entropy-ranking manifest {path} not found: run stage 1 and '
            'python tools/entropy_rank.py CONFIG CHECKPOINT --out-dir '
            f'{osp.dirname(path) or "."} first')
    try:
        with open(path) as f:
            manifest = json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f'{path} is not valid JSON: {exc}') from exc
    if manifest.get('format') != MANIFEST_FORMAT or manifest.get(
            'version') != MANIFEST_VERSION:
        raise ValueError(
            f'{path} is not an mmda entropy-ranking manifest (format '
            f'{manifest.get("format")!r} version {manifest.get("version")!r})')
    for key in ('classes', 'images', 'easy_fraction', 'normalize'):
        if key not in manifest:
            raise ValueError(f'{path}: manifest has no {key!r}')
    splits = [img.get('split') for img in manifest['images']]
    if set(splits) - set(SPLIT_FILES):
        raise ValueError(f'{path}: unknown splits {set(splits)}')
    manifest['root'] = osp.dirname(osp.abspath(path))
    return manifest
