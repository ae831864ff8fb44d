"""What an active-selection run labelled, against the ground truth:
mmda.active.ledger_statistics, tools/analysis_tools/ledger_statistics.py
and benchmarks/acquisition_analysis.py on hand-made ledgers."""
import json
import math
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from conftest import REPO
from mmda.active.label_ledger import (ACTIVE, LABELLED_IGNORE,
                                      ActiveLabelLedger)
from mmda.active.ledger_statistics import (StatisticsError, boundary_mask,
                                           class_pixel_counts, entropy_bits,
                                           ground_truth_index,
                                           ledger_statistics)

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
sys.path.insert(0, osp.join(REPO, 'benchmarks'))

SUFFIX = '_gtFine_labelTrainIds.png'


def ground_truth():
    """Image a: classes 0 | 1 in halves; image b: class 0 with one pixel of
    class 2 in a corner and one void pixel in the opposite corner."""
    a = np.zeros((4, 6), np.uint8)
    a[:, 3:] = 1
    b = np.zeros((4, 6), np.uint8)
    b[0, 0] = 2
    b[3, 5] = 255
    return {'a': a, 'b': b}


def ledger_maps():
    """5 labelled pixels (3 on boundaries), one labelled void, one active."""
    a = np.full((4, 6), 255, np.uint8)
    a[0, 2], a[0, 3], a[3, 0] = 0, 1, 0  # boundary, boundary, interior
    a[1, 1] = ACTIVE
    b = np.full((4, 6), 255, np.uint8)
    b[0, 0], b[2, 2] = 2, 0  # boundary, interior
    b[3, 5] = LABELLED_IGNORE
    return {'a': a, 'b': b}


def write_gt(root, maps):
    for stem, gt in maps.items():
        path = root / 'city' / f'{stem}{SUFFIX}'
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), gt)
    return str(root)


def write_ledger(work_dir, maps, num_classes=3):
    ledger = ActiveLabelLedger(num_classes, budget_pixels=10)
    for stem, m in maps.items():
        ledger.update(f'{stem}_leftImg8bit', m)
    ledger.close_round(10, ledger.labelled_pixels())
    ledger.save(str(work_dir / 'active_ledger'))
    return str(work_dir)


def test_boundary_mask_and_entropy():
    gt = ground_truth()
    assert boundary_mask(gt['a']).sum() == 8  # columns 2 and 3
    assert np.flatnonzero(boundary_mask(gt['a'])[0]).tolist() == [2, 3]
    b = boundary_mask(gt['b'])
    assert b.sum() == 8 and b[0, 0] and b[1, 1] and b[2, 4] and not b[2, 2]
    assert entropy_bits(np.array([1, 1, 0])) == 1.0
    assert entropy_bits(np.array([0, 0])) == 0.0
    assert entropy_bits(np.array([3, 1, 1])) == pytest.approx(
        -(0.6 * math.log2(0.6) + 0.4 * math.log2(0.2)))


def test_statistics_of_a_ledger(tmp_path):
    gt_index = ground_truth_index(write_gt(tmp_path / 'gt', ground_truth()),
                                  SUFFIX)
    assert sorted(gt_index) == ['a', 'b']
    assert class_pixel_counts(gt_index, 3).tolist() == [34, 12, 1]
    work_dir = write_ledger(tmp_path / 'run', ledger_maps())
    s = ledger_statistics(work_dir, gt_index, rare=1)
    assert (s['images'], s['rounds'], s['labelled_pixels']) == (2, 1, 5)
    assert s['labelled_share'] == 5 / 48
    assert s['boundary_share'] == 3 / 5
    assert s['boundary_share_gt'] == 16 / 48
    assert (s['classes'], s['classes_gt']) == (3, 3)
    assert s['class_pixels'] == [3, 1, 1]
    assert s['class_pixels_gt'] == [34, 12, 1]
    assert s['balance_bits'] == pytest.approx(entropy_bits([3, 1, 1]))
    assert s['rare_classes'] == [2]
    assert (s['rare_share'], s['rare_share_gt']) == (1 / 5, 1 / 47)
    assert s['agree'] == 1.0
    # a ledger class that is not the ground truth's
    maps = ledger_maps()
    maps['a'][3, 0] = 1
    s = ledger_statistics(
        write_ledger(tmp_path / 'other', maps), gt_index, rare=2)
    assert s['agree'] == 4 / 5
    assert s['rare_classes'] == [2, 1]
    assert s['class_pixels'] == [2, 2, 1]


def test_bad_input_names_the_ledger_or_image(tmp_path):
    gt = write_gt(tmp_path / 'gt', ground_truth())
    with pytest.raises(StatisticsError, match='no ground truth'):
        ground_truth_index(str(tmp_path), '_nothing.png')
    gt_index = ground_truth_index(gt, SUFFIX)
    with pytest.raises(StatisticsError, match='no active-label ledger at'):
        ledger_statistics(str(tmp_path / 'none'), gt_index)
    maps = dict(ledger_maps(), c=ledger_maps()['a'])
    with pytest.raises(StatisticsError,
                       match=r'image c_leftImg8bit of the ledger has no '
                       'ground truth'):
        ledger_statistics(write_ledger(tmp_path / 'c', maps), gt_index)
    small = {k: v[:3] for k, v in ledger_maps().items()}
    with pytest.raises(StatisticsError, match='belongs to other data'):
        ledger_statistics(write_ledger(tmp_path / 's', small), gt_index)


def test_tool_groups_seeds_and_writes_json(tmp_path, capsys):
    import ledger_statistics as tool
    gt = write_gt(tmp_path / 'gt', ground_truth())
    maps = ledger_maps()
    dirs = [write_ledger(tmp_path / 'ra' / 'seed0', maps)]
    maps['a'][1, 1] = 0  # a 6th labelled pixel, interior
    dirs.append(write_ledger(tmp_path / 'ra' / 'seed1', maps))
    out = tmp_path / 'stats.json'
    assert tool.main(dirs + ['--gt-dir', gt, '--rare', '1', '--out',
                             str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith('| run | work dirs | labelled % | on '
                               'boundaries % |')
    assert '1 rarest classes %' in lines[0]
    # labelled 5 and 6 of 48 pixels: 11.458 ± 1.473 %; boundary shares 3/5
    # and 3/6: 55.0 ± 7.1; the ground truth's 16/48 twice
    assert lines[2].startswith('| ra | 2 | 11.458 ± 1.473 | 55.0 ± 7.1 '
                               '(33.3 ± 0.0) | 3.0 ± 0.0 (3.0 ± 0.0) |')
    stats = json.loads(out.read_text())
    assert [s['labelled_pixels'] for s in stats] == [5, 6]
    assert tool.main([str(tmp_path / 'gt'), '--gt-dir', gt]) == 1
    assert 'no active-label ledger at' in capsys.readouterr().err


def test_acquisition_analysis_splits_frequent_and_other_classes(tmp_path):
    import acquisition_analysis as analysis
    import sim2real_results as job

    # 19 classes: class 0 (road) but a column of class 1 (sidewalk) and one
    # pixel each of classes 5 to 8; frequent: 5 % of 24 pixels, 1.2
    gt = np.zeros((4, 6), np.uint8)
    gt[:, 5] = 1
    gt[0, 0] = 5
    gt[3, :3] = [6, 7, 8]
    data = tmp_path / 'data'
    write_gt(data / 'cityscapes' / 'gtFine' / 'train', {'a': gt})
    counts = class_pixel_counts(
        ground_truth_index(str(data / 'cityscapes'), SUFFIX), 19)
    assert analysis.frequent_classes(counts, 0.05) == [0, 1]

    def metrics(mIoU, road, sidewalk, pole):
        m = {f'IoU.{c}': 0.0 for c in analysis.CLASSES}
        m.update({'mIoU': mIoU, 'IoU.road': road, 'IoU.sidewalk': sidewalk,
                  'IoU.pole': pole})
        return m

    def row(name, *seeds):
        return job.row_of([
            dict(name=name, label=job.RUNS[name][0], budget='0.25 %',
                 config='c.py', options=[], seed=s, minutes=1.0,
                 metrics=metrics(*values))
            for s, values in enumerate(seeds)
        ])

    rows = {
        'ripu_ra0.25': row('ripu_ra0.25', (30, 80, 60, 34),
                           (28, 70, 60, 17)),
        'ablation_random_0.25': row('ablation_random_0.25', (29, 90, 70, 0)),
        'ripu_ra5': row('ripu_ra5', (34, 90, 80, 34)),
    }
    assert analysis.acquisitions_by_budget(rows) == {
        0.25: [('RIPU RA', 'ripu_ra0.25'),
               ('regions at random', 'ablation_random_0.25')]
    }
    ledger = np.full((4, 6), 255, np.uint8)
    ledger[0, 0], ledger[1, 2] = 5, 0  # on a boundary, interior
    write_ledger(tmp_path / 'work' / 'ripu_ra0.25' / 'seed1', {'a': ledger},
                 num_classes=19)
    text = analysis.analysis(rows, str(tmp_path / 'work'), str(data), 0.05)
    assert 'road, sidewalk; the other 17 classes' in text
    lines = text.splitlines()
    ripu = next(line for line in lines if line.startswith('| RIPU RA |'))
    # frequent: (80 + 60) / 2 = 70 and (70 + 60) / 2 = 65; others: 34 / 17
    # and 17 / 17; one seed's ledger (seed 0 has no work dir): 2 pixels,
    # one on a boundary, 2 classes (1 bit), one of the 5 rarest (classes 5
    # to 8 and 1)
    assert ripu == ('| RIPU RA | 2 | 29.00 ± 1.41 | 67.50 ± 3.54 | '
                    '1.50 ± 0.71 | 1 | 50.0 | 1.00 | 50.0 |')
    assert ('Per seed, IoU of the frequent / other classes: RIPU RA 70.0 / '
            '2.0 (seed 0), 65.0 / 1.0 (seed 1); regions at random 80.0 / '
            '0.0 (seed 0).') in lines
    random = next(line for line in lines if line.startswith('| regions at'))
    assert random == ('| regions at random | 1 | 29.00 | 80.00 | 0.00 | 0 '
                      '| – | – | – |')
