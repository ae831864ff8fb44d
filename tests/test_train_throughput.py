"""benchmarks/train_throughput.py without training: what is counted per
iteration, and the per-image ratios of each round."""
import os.path as osp
import sys

from mmengine.config import Config

from conftest import REPO

sys.path.insert(0, osp.join(REPO, 'benchmarks'))
import train_throughput as bench  # noqa: E402


def test_images_per_iteration_of_every_row():
    counted = {
        r.name: bench.images_per_iteration(
            Config.fromfile(osp.join(REPO, r.config)))
        for r in bench.ROWS
    }
    # source-only: 2 source images; every method: 2 source + 2 target,
    # TGCF-DA's stage B also 2 generated (its third stream)
    assert counted == {
        r.name: 2 if r.baseline is None else 6 if r.name.startswith('TGCF')
        else 4
        for r in bench.ROWS
    }
    assert {r.baseline for r in bench.ROWS if r.baseline} == {
        bench.SOURCE_ONLY, bench.SOURCE_ONLY_SYNTHIA
    }
    assert [r.name for r in bench.ROWS
            if r.baseline == bench.SOURCE_ONLY_SYNTHIA] == ['GIO-Ada']


def test_ratios_are_per_image_and_per_round():
    rows = [bench.Row('base', 'b.py'), bench.Row('method', 'm.py', 'base')]
    images = {'base': 2, 'method': 4}
    # (a baseline other than source-only is named)
    # round 1: the method's iteration takes 2.4x the baseline's for twice
    # the images (1.2x per image); round 2 (a busier machine): 1.5x
    rounds = [{'base': 0.10, 'method': 0.24}, {'base': 0.20, 'method': 0.60}]
    summary = bench.summarise(rows, images, rounds)
    assert summary[0]['ratios'] == []
    assert [round(r, 6) for r in summary[1]['ratios']] == [1.2, 1.5]
    assert round(summary[1]['its'], 6) == round(1 / 0.42, 6)  # median
    table = bench.markdown(summary, 'header').splitlines()
    assert table[-2:] == [
        '| base | 2 | 6.67 | 13.3 | 1 (baseline) |  |',
        '| method | 4 | 2.38 | 9.5 | **1.35×** (1.20–1.50) vs base |  |'
    ]
