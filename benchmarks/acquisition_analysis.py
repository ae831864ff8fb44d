"""What RIPU's acquisition and its ablations labelled, and where their
mIoU comes from, on the embedded sim2real benchmark::

    python benchmarks/acquisition_analysis.py \
        [--results benchmarks/results/sim2real.json] \
        [--work-root work_dirs/sim2real] [--data data/sim2real] \
        [--out benchmarks/results/acquisition_analysis.md]

For every budget at which ``benchmarks/sim2real_results.py`` has stored two
or more acquisitions (RIPU RA and the ablations of its ``BUDGET_CURVES``),
one table, a line per acquisition, mean ± std over its seeds:

* the target val mIoU, and the mean IoU over the *frequent* classes (each
  at least ``--frequent-share`` of the target training ground truth's
  pixels: the large "stuff" classes and cars here) and over the other
  classes, from the per-class IoUs of ``sim2real.json``;
* from the runs' active-label ledgers (``<work-root>/<run>/seed<k>``, where
  they are on this machine; :func:`mmda.active.ledger_statistics.
  ledger_statistics`): the share of labelled pixels on ground-truth class
  boundaries, the entropy of their class histogram, and the share of the 5
  rarest classes, each with the ground truth's own value in the caption.

So the table tells apart "the acquisition does not pick what RIPU means
to pick" (a bug) from "it does, and this benchmark does not reward it".
"""
import argparse
import os.path as osp
import statistics
import sys
from collections import OrderedDict

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import sim2real_results as job  # noqa: E402

ROOT = job.ROOT
sys.path.insert(0, ROOT)
from mmda.active.ledger_statistics import (  # noqa: E402
    StatisticsError, class_pixel_counts, ground_truth_index,
    ledger_statistics, mean_std)
from mmda.datasets.label_maps import \
    CITYSCAPES_CLASSES as CLASSES  # noqa: E402
GT_DIR = osp.join('cityscapes', 'gtFine', 'train')
GT_SUFFIX = '_gtFine_labelTrainIds.png'
RARE = 5
#: rows given as reference points of the frequent / other classes' IoUs
REFERENCES = ('source_only', 'oracle')


def acquisitions_by_budget(rows: dict) -> 'OrderedDict[float, list]':
    """Budget (% of target pixels) -> [(curve label, run)] of the stored
    acquisitions, for the budgets with at least two."""
    budgets = OrderedDict()
    for label, runs in job.BUDGET_CURVES.items():
        for run, budget in runs:
            if run in rows:
                budgets.setdefault(budget, []).append((label, run))
    return OrderedDict(
        (b, budgets[b]) for b in sorted(budgets) if len(budgets[b]) > 1)


def frequent_classes(counts, share: float) -> list:
    """Indices of the classes holding at least ``share`` of the pixels."""
    total = sum(counts)
    return [c for c, n in enumerate(counts) if n >= share * total]


def group_iou(metrics: dict, classes: list) -> float:
    """Mean IoU (%) over ``classes`` of one seed's metrics."""
    return statistics.fmean(metrics[f'IoU.{CLASSES[c]}'] for c in classes)


def run_ledgers(work_root: str, run: str, seeds: list, gt_index: dict):
    """Ledger statistics of the seeds of ``run`` whose work dirs hold a
    ledger (the others are skipped: results may come from other
    machines)."""
    stats = []
    for seed in seeds:
        work_dir = osp.join(work_root, run, f'seed{seed}')
        if osp.isdir(osp.join(work_dir, 'active_ledger')):
            stats.append(ledger_statistics(work_dir, gt_index, rare=RARE))
    return stats


def budget_table(budget: float, acquisitions: list, rows: dict,
                 frequent: list, others: list, work_root: str,
                 gt_index: dict) -> list:
    lines = [
        f'### {budget:g} % of the target pixels', '',
        '| acquisition | seeds | mIoU | IoU, frequent classes | '
        'IoU, other classes | ledgers | on boundaries % | balance (bits) | '
        f'{RARE} rarest classes % |', '|' + '---|' * 9
    ]
    reference = None
    seed_cells = []  # per seed: IoU of the frequent / other classes
    for label, run in acquisitions:
        row = rows[run]
        seeds = [str(s) for s in row['seeds']]
        per_seed = [row['metrics'][s] for s in seeds]
        stats = run_ledgers(work_root, run, seeds, gt_index)
        if stats:
            reference = stats[0]
        seed_cells.append(f'{label} ' + ', '.join(
            f'{group_iou(m, frequent):.1f} / {group_iou(m, others):.1f} '
            f'(seed {s})' for s, m in zip(seeds, per_seed)))
        lines.append('| ' + ' | '.join([
            label,
            str(len(seeds)),
            mean_std([m['mIoU'] for m in per_seed]),
            mean_std([group_iou(m, frequent) for m in per_seed]),
            mean_std([group_iou(m, others) for m in per_seed]),
            str(len(stats)),
            mean_std([100 * s['boundary_share'] for s in stats], '.1f'),
            mean_std([s['balance_bits'] for s in stats]),
            mean_std([100 * s['rare_share'] for s in stats], '.1f'),
        ]) + ' |')
    lines += [
        '', 'Per seed, IoU of the frequent / other classes: ' +
        '; '.join(seed_cells) + '.'
    ]
    if reference is not None:
        rare = ', '.join(CLASSES[c] for c in reference['rare_classes'])
        lines += [
            '', 'The ground truth of the same images: '
            f'{100 * reference["boundary_share_gt"]:.1f} % of pixels on '
            f'boundaries, balance {reference["balance_bits_gt"]:.2f} bits, '
            f'{100 * reference["rare_share_gt"]:.1f} % of pixels in the '
            f'{RARE} rarest classes ({rare}).'
        ]
    return lines + ['']


def analysis(rows: dict, work_root: str, data: str,
             frequent_share: float) -> str:
    gt_index = ground_truth_index(osp.join(data, GT_DIR), GT_SUFFIX)
    counts = class_pixel_counts(gt_index, len(CLASSES))
    frequent = frequent_classes(counts, frequent_share)
    others = [c for c in range(len(CLASSES)) if c not in frequent]
    lines = [
        '# RIPU\'s acquisition against its ablations: what they label',
        '',
        '`python benchmarks/acquisition_analysis.py` (mean ± std over the '
        'seeds; per-class IoUs from `sim2real.json`, ledger statistics from '
        'the runs\' `active_ledger/`, "ledgers" = seeds whose work dir was '
        'there).', '',
        f'Frequent classes (each ≥ {100 * frequent_share:g} % of the target '
        'training pixels, together '
        f'{100 * counts[frequent].sum() / counts.sum():.1f} %): '
        + ', '.join(CLASSES[c] for c in frequent) + f'; the other '
        f'{len(others)} classes hold the rest.', ''
    ]
    for name in REFERENCES:
        if name in rows:
            per_seed = list(rows[name]['metrics'].values())
            miou = mean_std([m['mIoU'] for m in per_seed])
            lines.append(
                f'{rows[name]["label"]} ({len(per_seed)} seed(s)): mIoU '
                f'{miou}, frequent classes '
                f'{mean_std([group_iou(m, frequent) for m in per_seed])}, '
                'other classes '
                f'{mean_std([group_iou(m, others) for m in per_seed])}.')
    lines.append('')
    budgets = acquisitions_by_budget(rows)
    if not budgets:
        lines.append('No budget has two stored acquisitions yet.')
    for budget, acquisitions in budgets.items():
        lines += budget_table(budget, acquisitions, rows, frequent, others,
                              work_root, gt_index)
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--results',
        default=osp.join(ROOT, 'benchmarks', 'results', 'sim2real.json'))
    parser.add_argument('--work-root',
                        default=osp.join(ROOT, 'work_dirs', 'sim2real'),
                        help='the results job\'s --work-root')
    parser.add_argument('--data', default=osp.join(ROOT, 'data', 'sim2real'))
    parser.add_argument('--frequent-share', type=float, default=0.05)
    parser.add_argument(
        '--out',
        default=osp.join(ROOT, 'benchmarks', 'results',
                         'acquisition_analysis.md'))
    args = parser.parse_args(argv)
    if not 0 < args.frequent_share < 1:
        parser.error('--frequent-share must be between 0 and 1')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    rows = job.load_rows(args.results)
    if not rows:
        print(f'acquisition_analysis: no stored results in {args.results}',
              file=sys.stderr)
        return 1
    try:
        text = analysis(rows, args.work_root, args.data, args.frequent_share)
    except StatisticsError as err:
        print(f'acquisition_analysis: {err}', file=sys.stderr)
        return 1
    with open(args.out, 'w') as f:
        f.write(text + '\n')
    print(text)
    print(f'[acquisition_analysis] written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
