"""Pixel statistics of image folders, to see where a set of images sits
between two domains (e.g. TGCF-DA's generated images between the source
and the target)::

    python tools/analysis_tools/image_statistics.py DIR [DIR ...] \
        [--num 100] [--suffix .png] [--out STATS.json]

For each folder, the first ``--num`` images in sorted path order (searched
recursively, files ending with ``--suffix``) are read as RGB and reduced
to:

* ``mean`` and ``std``: per channel (R, G, B) over all pixels of all the
  images (0-255);
* ``gradient``: the mean absolute difference of horizontally adjacent
  pixels over all channels, a measure of fine detail (blur lowers it,
  noise raises it).

These are first- and second-order statistics of the input, the kind that
batch normalisation absorbs (see ``recalibrate_bn.py``); they say nothing
about semantics (``tools/test.py`` of a source- or target-trained model on
the images does).
"""
import argparse
import glob
import os.path as osp

import numpy as np
from PIL import Image

from mmda.utils.atomic_write import atomic_write_json


def image_files(folder: str, suffix: str, num: int) -> list:
    """The first ``num`` files of ``folder`` (recursive, sorted) ending with
    ``suffix``; an error naming the folder when there are none."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'image_statistics: {folder} is not a '
                                'folder')
    files = sorted(
        glob.glob(osp.join(folder, '**', f'*{suffix}'), recursive=True))
    if not files:
        raise FileNotFoundError(
            f'image_statistics: no *{suffix} file under {folder}')
    return files[:num]


def image_statistics(files: list) -> dict:
    """Per-channel mean and std over all pixels of ``files`` and their mean
    absolute horizontal gradient (see the module docstring)."""
    total = np.zeros(3)
    squares = np.zeros(3)
    gradient = 0.0
    pixels = 0
    gradient_cells = 0
    for path in files:
        image = np.asarray(Image.open(path).convert('RGB'), dtype=np.float64)
        flat = image.reshape(-1, 3)
        total += flat.sum(0)
        squares += (flat**2).sum(0)
        pixels += flat.shape[0]
        diff = np.abs(np.diff(image, axis=1))
        gradient += diff.sum()
        gradient_cells += diff.size
    mean = total / pixels
    std = np.sqrt(np.maximum(squares / pixels - mean**2, 0))
    return dict(
        images=len(files),
        mean=mean.round(2).tolist(),
        std=std.round(2).tolist(),
        gradient=round(gradient / max(gradient_cells, 1), 3))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('folders', nargs='+', help='image folders')
    parser.add_argument(
        '--num', type=int, default=100, help='images per folder (first, '
        'in sorted path order)')
    parser.add_argument('--suffix', default='.png')
    parser.add_argument('--out', help='also write the statistics as JSON')
    args = parser.parse_args(argv)
    if args.num < 1:
        parser.error('--num must be at least 1')
    stats = {}
    for folder in args.folders:
        stats[folder] = image_statistics(
            image_files(folder, args.suffix, args.num))
        s = stats[folder]
        print(f'{folder}: {s["images"]} images, mean (RGB) '
              f'{" / ".join(f"{v:.2f}" for v in s["mean"])}, std '
              f'{" / ".join(f"{v:.2f}" for v in s["std"])}, gradient '
              f'{s["gradient"]:.2f}')
    if args.out:
        atomic_write_json(args.out, stats, indent=1)
    return stats


if __name__ == '__main__':
    main()
