"""Convert Cityscapes labels to 19-class trainIds and write class statistics.

Usage (from the repository root)::

    python tools/dataset_converters/cityscapes.py ROOT [--nproc N]

See :mod:`mmda.datasets.converters` for the files written.
"""
import argparse
import os.path as osp
import sys
import time

try:
    from mmda.datasets.converters import convert_cityscapes
except ImportError:  # not installed: use the checkout this script is in
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))
    from mmda.datasets.converters import convert_cityscapes


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert Cityscapes labels to 19-class trainIds '
        '(*_labelTrainIds.png) and write the per-class statistics file.')
    parser.add_argument('root', help='dataset root directory')
    parser.add_argument(
        '--nproc', type=int, default=1, help='worker processes (default 1)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    t0 = time.time()
    result = convert_cityscapes(args.root, nproc=args.nproc)
    print(f"converted {result['num_files']} label files in "
          f'{time.time() - t0:.1f}s; statistics: '
          + ', '.join(result['stats_files']))


if __name__ == '__main__':
    main()
