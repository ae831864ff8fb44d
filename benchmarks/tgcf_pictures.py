"""TGCF-DA's generated images beside their sources.

Reads a set written by ``tools/tgcf_generate.py`` (its
``tgcf_manifest.json`` names, for every generated image, the source image
it renders and the target image whose style it takes) and shows, for the
first ``--num`` pairs, the source image, the style (target) image and the
generated image::

    python benchmarks/tgcf_pictures.py GENERATED_DIR --out tgcf_pictures.png

Every image is shown at ``--height`` pixels (aspect kept).
"""
import argparse
import json
import os.path as osp
import sys

import cv2
import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from picture_grid import grid, write_picture  # noqa: E402

MANIFEST = 'tgcf_manifest.json'


def read_image(path: str, height: int) -> np.ndarray:
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f'cannot read the image {path}')
    width = max(1, round(image.shape[1] * height / image.shape[0]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('generated_dir',
                        help='output directory of tools/tgcf_generate.py')
    parser.add_argument('--out',
                        default=osp.join(ROOT, 'benchmarks', 'results',
                                         'tgcf_pictures.png'))
    parser.add_argument('--num', type=int, default=4)
    parser.add_argument('--height', type=int, default=144)
    args = parser.parse_args(argv)

    manifest_path = osp.join(args.generated_dir, MANIFEST)
    if not osp.isfile(manifest_path):
        raise SystemExit(f'{manifest_path} does not exist: not a set written '
                         'by tools/tgcf_generate.py')
    with open(manifest_path) as f:
        manifest = json.load(f)
    for key in ('pairs', 'source_root', 'target_root', 'seed'):
        if key not in manifest:
            raise SystemExit(f'{manifest_path} has no {key!r}')
    pairs = manifest['pairs'][:args.num]
    if len(pairs) < 1:
        raise SystemExit(f'{manifest_path} lists no generated image')
    columns = [
        ('source', [
            read_image(osp.join(manifest['source_root'], p['source']),
                       args.height) for p in pairs
        ]),
        ('style (target)', [
            read_image(osp.join(manifest['target_root'], p['target']),
                       args.height) for p in pairs
        ]),
        (f'generated (seed {manifest["seed"]})', [
            read_image(osp.join(args.generated_dir, p['source']),
                       args.height) for p in pairs
        ]),
    ]
    write_picture(args.out, grid(columns, len(pairs)))


if __name__ == '__main__':
    main()
