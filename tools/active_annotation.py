"""Human annotation rounds of active domain adaptation (FileAnnotator).

A run with ``annotator=dict(type='FileAnnotator')`` stops at each selection
round and writes annotation requests to ``WORK_DIR/annotation/round_<k>/``
(see :mod:`mmda.active.annotation_exchange`). This tool helps the people
who fill ``labels/``::

    # rounds, requested / labelled images, missing label files
    python tools/active_annotation.py export-status WORK_DIR
    # validate a round's labels as the resumed run will
    python tools/active_annotation.py check WORK_DIR/annotation/round_001
    # testing: fill labels/ from Cityscapes-layout trainId ground truth
    python tools/active_annotation.py simulate ROUND_DIR data/cityscapes

Exit status: 0 when everything is fine (``check``: the round can be
imported), 1 otherwise.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np

try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmda  # noqa: F401

from mmda.active.annotation_exchange import (LABEL_DIR, AnnotationError,
                                             check_round, label_status,
                                             read_manifest, read_mask)

GT_SUFFIX = '_gtFine_labelTrainIds.png'
IMG_SUFFIX = '_leftImg8bit'


def _imported_rounds(work_dir: str, ledger_dir: str) -> int:
    """Rounds recorded in the published ledger (0 if none)."""
    index = osp.join(work_dir, ledger_dir, 'current', 'ledger.json')
    try:
        with open(index) as f:
            return len(json.load(f).get('rounds', []))
    except (OSError, ValueError, AttributeError):
        return 0


def export_status(args) -> int:
    root = osp.join(args.work_dir, args.exchange_dir)
    rounds = sorted(glob.glob(osp.join(root, 'round_*')))
    rounds = [r for r in rounds if osp.isdir(r)]
    if not rounds:
        print(f'no annotation rounds under {root}')
        return 1
    imported = _imported_rounds(args.work_dir, args.ledger_dir)
    ok = True
    for round_dir in rounds:
        try:
            status = label_status(round_dir)
        except AnnotationError as err:
            print(f'{round_dir}: {err}')
            ok = False
            continue
        if status['round'] <= imported:
            state = 'imported into the ledger'
        elif status['missing']:
            state = 'waiting for labels'
        else:
            state = 'labelled, ready to resume'
        print(f'{round_dir}: round {status["round"]}, '
              f'{status["requested"]} images requested, '
              f'{status["labelled"]} labelled ({state})')
        for path in status['missing']:
            print(f'  missing: {path}')
        for path in status['extra']:
            print(f'  unexpected: {path}')
            ok = False
    return 0 if ok else 1


def check(args) -> int:
    errors = check_round(args.round_dir)
    if errors:
        print(f'{args.round_dir}: {len(errors)} problem(s)')
        for error in errors:
            print(f'  - {error}')
        return 1
    manifest = read_manifest(args.round_dir)
    print(f'{args.round_dir}: OK, {len(manifest["images"])} label files '
          f'for round {manifest["round"]}')
    return 0


def _index_gt(gt_root: str) -> dict:
    """``<stem>`` -> ground-truth path for every ``*_gtFine_labelTrainIds
    .png`` under ``gt_root``."""
    found = {}
    for d, _, names in os.walk(gt_root):
        for name in names:
            if name.endswith(GT_SUFFIX):
                found[name[:-len(GT_SUFFIX)]] = osp.join(d, name)
    return found


def simulate(args) -> int:
    """Fill ``labels/`` from ground truth: the masked pixels get their
    trainId (255 stays void), every other pixel 255."""
    manifest = read_manifest(args.round_dir)
    gt_files = _index_gt(args.gt_root)
    written = 0
    for entry in manifest['images']:
        key = entry['key']
        stem = key[:-len(IMG_SUFFIX)] if key.endswith(IMG_SUFFIX) else key
        if stem not in gt_files:
            print(f'no ground truth {stem}{GT_SUFFIX} under {args.gt_root}')
            return 1
        gt = cv2.imread(gt_files[stem], cv2.IMREAD_UNCHANGED)
        if gt is None or gt.shape != (entry['height'], entry['width']):
            print(f'ground truth {gt_files[stem]} is unreadable or not '
                  f'{entry["width"]}x{entry["height"]}')
            return 1
        mask = read_mask(args.round_dir, entry)
        labels = np.where(mask, gt, 255).astype(np.uint8)
        path = osp.join(args.round_dir, LABEL_DIR, f'{key}.png')
        if not cv2.imwrite(path, labels):
            print(f'could not write {path}')
            return 1
        written += 1
    print(f'{args.round_dir}: wrote {written} label files from '
          f'{args.gt_root}')
    return 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Human annotation rounds of active domain adaptation')
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser(
        'export-status',
        help='list the rounds of a work dir with their labelling progress')
    p.add_argument('work_dir', help='the training run\'s work dir')
    p.add_argument(
        '--exchange-dir',
        default='annotation',
        help='FileAnnotator exchange_dir (relative to the work dir)')
    p.add_argument(
        '--ledger-dir',
        default='active_ledger',
        help='ActiveSelectionHook ledger_dir (relative to the work dir)')
    p.set_defaults(func=export_status)
    p = sub.add_parser(
        'check', help='validate the labels of a round as --resume will')
    p.add_argument('round_dir', help='e.g. WORK_DIR/annotation/round_001')
    p.set_defaults(func=check)
    p = sub.add_parser(
        'simulate',
        help='fill labels/ from Cityscapes-layout trainId ground truth '
        '(to test the workflow)')
    p.add_argument('round_dir')
    p.add_argument(
        'gt_root',
        help='searched for <stem>_gtFine_labelTrainIds.png, e.g. the '
        'Cityscapes root or its gtFine/train')
    p.set_defaults(func=simulate)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        return args.func(args)
    except AnnotationError as err:
        print(err)
        return 1


if __name__ == '__main__':
    sys.exit(main())
