"""The picture scripts of the benchmarks: TGCF-DA's generated images beside
their sources, laid out by ``benchmarks/picture_grid.py``."""
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SCRIPT = osp.join(REPO, 'benchmarks', 'tgcf_pictures.py')


def write(path, value, size):
    """A uniform BGR image of ``size`` (w, h) with channel values
    ``value``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.zeros((size[1], size[0], 3), np.uint8)
    image[:] = value
    assert cv2.imwrite(str(path), image)


def generated_set(tmp_path, num):
    src, tgt, gen = tmp_path / 'src', tmp_path / 'tgt', tmp_path / 'gen'
    pairs = []
    for i in range(num):
        write(src / 'images' / f'{i}.png', (10 + i, 0, 0), (64, 32))
        write(tgt / 'leftImg8bit' / f'{i}.png', (0, 20 + i, 0), (32, 32))
        write(gen / 'images' / f'{i}.png', (0, 0, 30 + i), (64, 32))
        pairs.append(dict(source=f'images/{i}.png',
                          target=f'leftImg8bit/{i}.png'))
    (gen / 'tgcf_manifest.json').write_text(
        json.dumps(dict(seed=7, source_root=str(src), target_root=str(tgt),
                        pairs=pairs)))
    return gen


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)],
                          cwd=REPO, capture_output=True, text=True)


def test_tgcf_pictures_show_source_style_and_generated_per_row(tmp_path):
    gen = generated_set(tmp_path, 3)
    out = tmp_path / 'pictures.png'
    result = run(gen, '--out', out, '--num', 2, '--height', 16)
    assert result.returncode == 0, result.stderr
    picture = cv2.imread(str(out))
    # 2 rows of 16 px, an 18-px title bar on the first; widths 32 + 16 + 32
    assert picture.shape == (18 + 16 + 16, 80, 3)
    for row, top in ((0, 18), (1, 34)):
        cells = picture[top + 8, [16, 40, 64]]
        np.testing.assert_array_equal(
            cells, [[10 + row, 0, 0], [0, 20 + row, 0], [0, 0, 30 + row]])


def test_tgcf_pictures_refuse_a_directory_without_manifest(tmp_path):
    result = run(tmp_path, '--out', tmp_path / 'p.png')
    assert result.returncode != 0
    assert 'tgcf_manifest.json does not exist' in result.stderr


@pytest.mark.parametrize('missing', ['pairs', 'source_root'])
def test_tgcf_pictures_name_the_missing_manifest_key(tmp_path, missing):
    gen = generated_set(tmp_path, 1)
    manifest = json.loads((gen / 'tgcf_manifest.json').read_text())
    del manifest[missing]
    (gen / 'tgcf_manifest.json').write_text(json.dumps(manifest))
    result = run(gen, '--out', tmp_path / 'p.png')
    assert result.returncode != 0
    assert f"has no '{missing}'" in result.stderr
