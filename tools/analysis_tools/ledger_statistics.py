"""What active-selection runs labelled: statistics of their active-label
ledgers against the target ground truth::

    python tools/analysis_tools/ledger_statistics.py WORK_DIR [WORK_DIR ...] \
        --gt-dir data/sim2real/cityscapes/gtFine/train [--out stats.json]

Each ``WORK_DIR`` holds ``active_ledger/``; its published round (the one
``current`` names, as a resumed run reads it) is measured by
:func:`mmda.active.ledger_statistics.ledger_statistics`. Work dirs named
``seed<k>`` are grouped under their parent's name (the layout of
``benchmarks/sim2real_results.py``), and a group's line gives the mean ±
standard deviation over its work dirs. Columns, over the labelled pixels,
with the same quantity over all pixels of the touched images in brackets:

* ``labelled %``: labelled pixels / pixels of the touched images;
* ``on boundaries %``: on a ground-truth class boundary (bracket: what
  uniform picks of single pixels would give);
* ``classes``: classes with a labelled pixel;
* ``balance (bits)``: entropy of the labelled pixels' class histogram;
* ``N rarest classes %``: share of the ``--rare`` least frequent classes;
* ``agree %``: ledger class = ground truth (100 % for simulated
  annotation; less means a ledger of other data).

``--out`` writes every number, per-class pixel counts included, as JSON.
Exit status 1 with a message naming the ledger or file on bad input.
"""
import argparse
import json
import os.path as osp
import re
import sys
from typing import Dict, List

try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    import mmda  # noqa: F401

from mmda.active.ledger_statistics import (StatisticsError,
                                           ground_truth_index,
                                           ledger_statistics, mean_std)

SEED_DIR = re.compile(r'^seed\d+$')

COLUMNS = (  # (header, key, key of the ground truth's value, scale, format)
    ('labelled %', 'labelled_share', None, 100, '.3f'),
    ('on boundaries %', 'boundary_share', 'boundary_share_gt', 100, '.1f'),
    ('classes', 'classes', 'classes_gt', 1, '.1f'),
    ('balance (bits)', 'balance_bits', 'balance_bits_gt', 1, '.2f'),
    ('{rare} rarest classes %', 'rare_share', 'rare_share_gt', 100, '.1f'),
    ('agree %', 'agree', None, 100, '.1f'),
)


def group_name(work_dir: str) -> str:
    """``<row>`` for ``.../<row>/seed<k>``, else the work dir itself."""
    path = osp.normpath(work_dir)
    if SEED_DIR.match(osp.basename(path)):
        return osp.basename(osp.dirname(path))
    return path


def table(stats: List[dict], rare: int) -> str:
    """Markdown, a line per group of work dirs (:func:`group_name`)."""
    groups: Dict[str, List[dict]] = {}
    for s in stats:
        groups.setdefault(group_name(s['work_dir']), []).append(s)
    head = ['run', 'work dirs'] + [h.format(rare=rare) for h, *_ in COLUMNS]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for name, members in groups.items():
        cells = [name, str(len(members))]
        for _, key, gt_key, scale, fmt in COLUMNS:
            cell = mean_std([m[key] * scale for m in members], fmt)
            if gt_key is not None:
                cell += (' (' + mean_std(
                    [m[gt_key] * scale for m in members], fmt) + ')')
            cells.append(cell)
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Statistics of active-label ledgers against the target '
        'ground truth.')
    parser.add_argument('work_dirs', nargs='+',
                        help='work dirs holding active_ledger/')
    parser.add_argument('--gt-dir', required=True,
                        help='ground truth of the target images the ledgers '
                        'label, searched recursively')
    parser.add_argument('--gt-suffix', default='_gtFine_labelTrainIds.png')
    parser.add_argument('--img-suffix', default='_leftImg8bit',
                        help='suffix of the ledger keys that the ground '
                        'truth file names do not have')
    parser.add_argument('--rare', type=int, default=5,
                        help='how many of the least frequent classes the '
                        'rarest-classes column counts')
    parser.add_argument('--out', help='JSON file of every number')
    args = parser.parse_args(argv)
    if args.rare < 1:
        parser.error('--rare must be at least 1')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        gt_index = ground_truth_index(args.gt_dir, args.gt_suffix)
        stats = [
            ledger_statistics(d, gt_index, args.img_suffix, args.rare)
            for d in args.work_dirs
        ]
    except StatisticsError as err:
        print(f'ledger_statistics: {err}', file=sys.stderr)
        return 1
    print(table(stats, args.rare))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(stats, f, indent=1)
        print(f'every number: {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
