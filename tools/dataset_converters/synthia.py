"""Convert SYNTHIA-RAND-CITYSCAPES labels to 19-class trainIds.

Also writes class statistics.

Usage (from the repository root)::

    python tools/dataset_converters/synthia.py ROOT [--nproc N]

See :mod:`mmda.datasets.converters` for the files written.
"""
import os.path as osp
import sys

try:
    from mmda.datasets.converters import converter_cli
except ImportError:  # not installed: use the checkout this script is in
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmda.datasets.converters import converter_cli

if __name__ == '__main__':
    converter_cli('synthia')
