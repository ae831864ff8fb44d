"""Tests of the procedural sim-to-real benchmark (``mmda.sim2real``).

Small counts and reduced resolutions keep the whole file to a few seconds.
"""
import dataclasses
import hashlib
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from mmda.datasets.label_maps import (CITYSCAPES_CLASSES, CITYSCAPES_LABEL_IDS,
                                      SYNTHIA_RAW_CLASSES,
                                      SYNTHIA_RAW_TO_TRAIN_ID,
                                      label_ids_to_train_ids,
                                      synthia_to_train_ids)
from mmda.sim2real import (CITYSCAPES_LAYOUT, FORCED_PERIODS, GTA5_LAYOUT,
                           MAX_DEPTH, META_FILE, VOID_LABEL_ID,
                           cityscapes_style, forced_classes, generate_sim2real,
                           gta5_style, image_rng, render, sample_scene)

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SMALL = dict(gta5_size=(128, 72), synthia_size=(128, 76),
             cityscapes_size=(128, 64))
TINY = dict(num_gta5=3, num_synthia=3, num_cityscapes_train=3,
            num_cityscapes_val=3, **SMALL)

#: Every labelId a GTA5 / Cityscapes label may hold.
VALID_LABEL_IDS = set(CITYSCAPES_LABEL_IDS) | set(VOID_LABEL_ID.values())
#: Every raw id a SYNTHIA label may hold: the 19 classes, void,
#: parking-slot, road-work and lanemarking.
VALID_SYNTHIA_IDS = set(SYNTHIA_RAW_TO_TRAIN_ID) | {
    SYNTHIA_RAW_CLASSES.index(n)
    for n in ('void', 'parking-slot', 'road-work', 'lanemarking')
}


def read(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert img is not None, path
    return img


def tree_digest(root):
    """``{relative path: sha1}`` of every file under ``root``."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = osp.join(d, f)
            with open(p, 'rb') as fh:
                out[osp.relpath(p, root)] = hashlib.sha1(fh.read()).hexdigest()
    return out


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('s2r_tiny'))
    meta = generate_sim2real(root, seed=0, workers=1, **TINY)
    return root, meta


@pytest.fixture(scope='module')
def moderate(tmp_path_factory):
    """60 images per domain at half resolution."""
    root = str(tmp_path_factory.mktemp('s2r_moderate'))
    generate_sim2real(root, seed=3, num_gta5=60, num_synthia=60,
                      num_cityscapes_train=60, num_cityscapes_val=0, workers=2,
                      **SMALL)
    return root


def test_same_seed_any_workers_identical(tiny, tmp_path):
    root, _ = tiny
    again = str(tmp_path / 'again')
    generate_sim2real(again, seed=0, workers=2, **TINY)
    a, b = tree_digest(root), tree_digest(again)
    # gta5 2 files, synthia 3, cityscapes 3 (image, labelIds, instanceIds)
    assert len(a) == 3 * 2 + 3 * 3 + 6 * 3 + 2
    assert a == b


def test_different_seed_differs(tiny, tmp_path):
    root, _ = tiny
    other = str(tmp_path / 'other')
    generate_sim2real(other, seed=1, workers=1, **TINY)
    a, b = tree_digest(root), tree_digest(other)
    assert a.keys() == b.keys()
    images = [
        k for k in a if k.endswith('.png') and (
            'images' in k or 'RGB' in k or 'leftImg8bit' in k)
    ]
    assert len(images) == 12
    assert all(a[k] != b[k] for k in images)


def test_gta5_layout(tiny):
    root, _ = tiny
    assert sorted(os.listdir(osp.join(
        root, 'gta5', 'images'))) == ['00001.png', '00002.png', '00003.png']
    for name in ('00001.png', '00002.png', '00003.png'):
        img = read(osp.join(root, 'gta5', 'images', name))
        lab = read(osp.join(root, 'gta5', 'labels', name))
        assert img.dtype == np.uint8 and img.shape == (72, 128, 3)
        assert lab.dtype == np.uint8 and lab.shape == (72, 128)


def test_synthia_layout(tiny):
    root, _ = tiny
    syn = osp.join(root, 'synthia')
    names = ['0000001.png', '0000002.png', '0000003.png']
    for sub in ('RGB', 'GT/LABELS', 'Depth/Depth'):
        assert sorted(os.listdir(osp.join(syn, sub))) == names
    for name in names:
        img = read(osp.join(syn, 'RGB', name))
        lab = read(osp.join(syn, 'GT', 'LABELS', name))
        depth = read(osp.join(syn, 'Depth', 'Depth', name))
        assert img.dtype == np.uint8 and img.shape == (76, 128, 3)
        assert lab.dtype == np.uint16 and lab.shape == (76, 128, 3)
        assert depth.dtype == np.uint16 and depth.shape == (76, 128)
        raw = lab[:, :, 2]  # R channel in OpenCV's BGR order
        assert set(np.unique(raw)) <= VALID_SYNTHIA_IDS
        assert not lab[:, :, 0].any()  # B is zero, G holds instances
        sky = raw == SYNTHIA_RAW_CLASSES.index('sky')
        assert sky.any() and (depth[sky] == 65535).all()
        assert (depth[~sky] < 65535).all() and (depth[~sky] > 0).all()


def test_cityscapes_layout(tiny):
    root, meta = tiny
    cs = osp.join(root, 'cityscapes')
    for split, cities in (('train', ('aachen', 'bochum', 'bremen')),
                          ('val', ('frankfurt', 'lindau', 'munster'))):
        assert sorted(os.listdir(osp.join(cs, 'leftImg8bit', split))) == \
            list(cities)
        for city in cities:
            stem = f'{city}_000000_000019'
            assert os.listdir(osp.join(cs, 'leftImg8bit', split, city)) == \
                [f'{stem}_leftImg8bit.png']
            assert sorted(os.listdir(osp.join(cs, 'gtFine', split,
                                              city))) == \
                [f'{stem}_gtFine_instanceIds.png',
                 f'{stem}_gtFine_labelIds.png']
            img = read(
                osp.join(cs, 'leftImg8bit', split, city,
                         f'{stem}_leftImg8bit.png'))
            lab = read(
                osp.join(cs, 'gtFine', split, city,
                         f'{stem}_gtFine_labelIds.png'))
            assert img.dtype == np.uint8 and img.shape == (64, 128, 3)
            assert lab.dtype == np.uint8 and lab.shape == (64, 128)
            assert set(np.unique(lab)) <= VALID_LABEL_IDS
            # ego vehicle at the bottom, out-of-roi border
            assert (lab[-3, 1:-1] == VOID_LABEL_ID['ego vehicle']).any()
            assert (lab[:, 0] == VOID_LABEL_ID['out of roi']).all()
            inst = read(
                osp.join(cs, 'gtFine', split, city,
                         f'{stem}_gtFine_instanceIds.png'))
            assert inst.dtype == np.uint16 and inst.shape == lab.shape
            # the official encoding: labelId, or labelId * 1000 + k on the
            # objects of the classes with instances
            assert (np.where(inst >= 1000, inst // 1000, inst) == lab).all()
            objects = inst[inst >= 1000]
            assert set(np.unique(objects // 1000)) <= set(range(24, 34))
            for label_id in np.unique(objects // 1000):
                ks = np.unique(objects[objects // 1000 == label_id] % 1000)
                assert list(ks) == list(range(len(ks)))  # k from 0, dense


def test_readme_and_meta(tiny):
    root, meta = tiny
    with open(osp.join(root, META_FILE)) as f:
        on_disk = json.load(f)
    assert on_disk == json.loads(json.dumps(meta))
    assert meta['seed'] == 0 and meta['version']
    assert {
        k: v['count']
        for k, v in meta['splits'].items()
    } == dict(gta5=3, synthia=3, cityscapes_train=3, cityscapes_val=3)
    assert meta['splits']['gta5']['size'] == [128, 72]
    assert meta['splits']['synthia']['size'] == [128, 76]
    for split in meta['splits'].values():
        total = sum(
            split['pixel_fraction'].values()) + split['ignored_fraction']
        assert total == pytest.approx(1.0, abs=1e-3)
    with open(osp.join(root, 'README.txt')) as f:
        readme = f.read()
    assert 'version' in readme and 'seed: 0' in readme
    assert '128x64' in readme


def test_default_sizes(tmp_path):
    generate_sim2real(str(tmp_path), num_gta5=1, num_synthia=1,
                      num_cityscapes_train=1, num_cityscapes_val=0, workers=1)
    assert read(str(tmp_path / 'gta5/images/00001.png')).shape == (144, 256, 3)
    assert read(str(tmp_path / 'synthia/RGB/0000001.png')).shape == (152, 256,
                                                                     3)
    img = read(
        str(tmp_path / 'cityscapes/leftImg8bit/train/aachen/'
            'aachen_000000_000019_leftImg8bit.png'))
    assert img.shape == (128, 256, 3)


def test_overwrite_guard(tiny, tmp_path):
    out = str(tmp_path / 'o')
    generate_sim2real(out, num_gta5=1, num_synthia=0, num_cityscapes_train=0,
                      num_cityscapes_val=0, workers=1, **SMALL)
    with pytest.raises(FileExistsError):
        generate_sim2real(out, num_gta5=1, workers=1, **SMALL)
    generate_sim2real(out, num_gta5=2, num_synthia=0, num_cityscapes_train=0,
                      num_cityscapes_val=0, workers=1, overwrite=True, **SMALL)
    assert len(os.listdir(osp.join(out, 'gta5', 'images'))) == 2


def _labels(root, domain):
    if domain == 'gta5':
        d = osp.join(root, 'gta5', 'labels')
        return [read(osp.join(d, f)) for f in sorted(os.listdir(d))]
    if domain == 'synthia':
        d = osp.join(root, 'synthia', 'GT', 'LABELS')
        return [read(osp.join(d, f))[:, :, 2] for f in sorted(os.listdir(d))]
    d = osp.join(root, 'cityscapes', 'gtFine', 'train')
    return [
        read(osp.join(d, c, f)) for c in sorted(os.listdir(d))
        for f in sorted(os.listdir(osp.join(d, c)))
        if f.endswith('_gtFine_labelIds.png')
    ]


@pytest.mark.parametrize('domain', ['gta5', 'synthia', 'cityscapes'])
def test_every_class_appears(moderate, domain):
    labels = _labels(moderate, domain)
    assert len(labels) == 60
    raw = np.stack(labels)
    if domain == 'synthia':
        assert set(np.unique(raw)) <= VALID_SYNTHIA_IDS
        train = synthia_to_train_ids(raw)
    else:
        assert set(np.unique(raw)) <= VALID_LABEL_IDS
        train = label_ids_to_train_ids(raw)
    counts = np.bincount(train.ravel(), minlength=256)
    missing = [c for i, c in enumerate(CITYSCAPES_CLASSES) if not counts[i]]
    assert not missing
    # ignored ids are present and map to 255
    assert counts[255] > 0
    # realistic imbalance: stuff dominates, thin and rare classes are small
    frac = counts[:19] / counts.sum()
    names = dict(zip(CITYSCAPES_CLASSES, frac))
    assert names['road'] > 0.15 and names['building'] > 0.1
    for c in ('pole', 'traffic light', 'traffic sign', 'rider', 'train'):
        assert names[c] < 0.02, c


def test_scene_depth_geometry():
    rng = np.random.default_rng(0)
    scene = sample_scene(rng, 256, 128, CITYSCAPES_LAYOUT)
    assert scene.label.shape == scene.depth.shape == (128, 256)
    assert scene.depth.dtype == np.float32
    sky = scene.label == CITYSCAPES_LABEL_IDS[CITYSCAPES_CLASSES.index('sky')]
    assert (scene.depth[sky] == np.float32(MAX_DEPTH)).all()
    # the road gets nearer towards the bottom of the image
    road = scene.label == CITYSCAPES_LABEL_IDS[0]
    rows = [r for r in range(128) if road[r].sum() > 10]
    med = [np.median(scene.depth[r][road[r]]) for r in rows]
    assert len(rows) > 10 and all(np.diff(med) <= 1e-3)
    assert med[0] > 4 * med[-1]


def test_forced_classes_period():
    for seed in (0, 5):
        for name, period in FORCED_PERIODS.items():
            hits = [
                i for i in range(4 * period)
                if name in forced_classes(i, seed)
            ]
            assert len(hits) == 4 and np.all(np.diff(hits) == period)


def test_gap_zero_renders_like_gta5():
    scene_rng, style_rng = image_rng(0, 'cityscapes_train', 0)
    scene = sample_scene(scene_rng, 128, 64, GTA5_LAYOUT)
    state = style_rng.bit_generator.state
    game = render(scene, gta5_style(), style_rng)
    style_rng.bit_generator.state = state
    target0 = render(scene, cityscapes_style(0.0), style_rng)
    style_rng.bit_generator.state = state
    target1 = render(scene, cityscapes_style(1.0), style_rng)
    np.testing.assert_array_equal(game, target0)
    assert np.abs(game.astype(int) - target1).mean() > 10


def test_overrides(tmp_path):
    layout = dataclasses.replace(CITYSCAPES_LAYOUT, ego_prob=0.0)
    meta = generate_sim2real(
        str(tmp_path), num_gta5=0, num_synthia=0, num_cityscapes_train=2,
        num_cityscapes_val=0, workers=1, cities=dict(train=('ulm', )),
        layouts=dict(cityscapes=layout), styles=dict(cityscapes=gta5_style()),
        **SMALL)
    assert meta['gap'] == 0.0
    split = meta['splits']['cityscapes_train']
    assert split['cities'] == ['ulm'] and split['style']['name'] == 'gta5'
    assert split['layout_params']['ego_prob'] == 0.0
    lab = read(str(tmp_path / 'cityscapes/gtFine/train/ulm/'
                   'ulm_000001_000019_gtFine_labelIds.png'))
    assert not (lab == VOID_LABEL_ID['ego vehicle']).any()


def test_cli(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'make_sim2real', osp.join(REPO_ROOT, 'tools', 'make_sim2real.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'cli')
    tool.main([
        out, '--seed', '2', '--num-gta5', '2', '--num-synthia', '1',
        '--num-cityscapes-train', '1', '--num-cityscapes-val', '1',
        '--workers', '1'
    ])
    line = capsys.readouterr().out.strip()
    assert '\n' not in line and 'gta5 2' in line and 'seed 2' in line
    assert osp.isfile(osp.join(out, 'gta5', 'images', '00002.png'))
    assert osp.isfile(osp.join(out, META_FILE))
