"""Converters, statistics, dataset classes, loaders, two-domain dataset and
samplers on tiny fake dataset roots written here with cv2 / PIL."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

import mmda.datasets as mds
from mmda.datasets import (CityscapesDADataset, GTA5Dataset, SynthiaDataset,
                           TwoDomainDataset, TwoDomainInfiniteSampler,
                           convert_cityscapes, convert_gta5, convert_synthia,
                           load_class_stats)
from mmda.datasets.samplers import class_sampling, two_domain_sampler

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

# Written out from docs/methods.md#label-spaces, independently of
# mmda.datasets.label_maps.
LABEL_ID_TO_TRAIN = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9,
    23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18
}
SYNTHIA_TO_19 = {
    3: 0, 4: 1, 2: 2, 21: 3, 5: 4, 7: 5, 15: 6, 9: 7, 6: 8, 16: 9, 1: 10,
    10: 11, 17: 12, 8: 13, 18: 14, 19: 15, 20: 16, 12: 17, 11: 18
}
TRAIN_19_TO_16 = {
    0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 10: 9, 11: 10,
    12: 11, 13: 12, 15: 13, 17: 14, 18: 15
}


def lut(mapping, size=256):
    return np.array([mapping.get(i, 255) for i in range(size)], np.int64)


PIPELINE = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadDAAnnotations'),
    dict(type='PackSegInputs')
]


@pytest.fixture(autouse=True, scope='module')
def mmseg_scope():
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


# ------------------------------------------------------------ fake roots
def write_rgb(path, h, w, seed=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), np.uint8)
    assert cv2.imwrite(path, img)


def write_gray(path, arr):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, arr)


GTA_LABEL_1 = np.arange(256, dtype=np.uint8).reshape(16, 16)
GTA_LABEL_2 = np.full((16, 16), 7, np.uint8)
GTA_LABEL_2[0] = 26  # 16 car pixels, 240 road


def make_gta5(root):
    write_rgb(osp.join(root, 'images', '00001.png'), 16, 16, 1)
    write_rgb(osp.join(root, 'images', '00002.png'), 16, 16, 2)
    # GTA5 ships palette PNGs: indices are the labelIds
    pal = Image.fromarray(GTA_LABEL_1, mode='P')
    pal.putpalette(list(np.random.default_rng(0).integers(0, 256, 768)))
    os.makedirs(osp.join(root, 'labels'))
    pal.save(osp.join(root, 'labels', '00001.png'))
    write_gray(osp.join(root, 'labels', '00002.png'), GTA_LABEL_2)
    return str(root)


SYN_RAW_1 = np.array(list(range(23)) + [1000], np.uint16).reshape(4, 6)
SYN_RAW_2 = np.full((4, 6), 3, np.uint16)
SYN_DEPTH = (np.arange(24, dtype=np.uint16) * 1000).reshape(4, 6)


def make_synthia(root):
    for i, raw in ((1, SYN_RAW_1), (2, SYN_RAW_2)):
        stem = f'{i:07d}'
        write_rgb(osp.join(root, 'RGB', stem + '.png'), 4, 6, i)
        bgr = np.stack([np.full_like(raw, 5), np.full_like(raw, 77), raw], 2)
        write_gray(osp.join(root, 'GT', 'LABELS', stem + '.png'), bgr)
    # depth: 3 channels (R = depth) for the first, 1 channel for the second
    d3 = np.stack([np.full_like(SYN_DEPTH, 9), np.full_like(SYN_DEPTH, 11),
                   SYN_DEPTH], 2)
    write_gray(osp.join(root, 'Depth', 'Depth', '0000001.png'), d3)
    write_gray(osp.join(root, 'Depth', 'Depth', '0000002.png'), SYN_DEPTH)
    return str(root)


CS_FILES = {
    'train': ['aachen/aachen_000000_000019', 'bochum/bochum_000000_000313'],
    'val': ['frankfurt/frankfurt_000000_000294'],
}


def cs_label(k):
    return np.random.default_rng(10 + k).integers(0, 34, (8, 16), np.uint8)


def make_cityscapes(root):
    k = 0
    for split, stems in CS_FILES.items():
        for stem in stems:
            write_rgb(
                osp.join(root, 'leftImg8bit', split,
                         stem + '_leftImg8bit.png'), 8, 16, k)
            write_gray(
                osp.join(root, 'gtFine', split, stem + '_gtFine_labelIds.png'),
                cs_label(k))
            k += 1
    return str(root)


@pytest.fixture
def gta5(tmp_path):
    root = make_gta5(tmp_path / 'gta5')
    convert_gta5(root)
    return root


@pytest.fixture
def synthia(tmp_path):
    root = make_synthia(tmp_path / 'synthia')
    convert_synthia(root)
    return root


@pytest.fixture
def cityscapes(tmp_path):
    root = make_cityscapes(tmp_path / 'cityscapes')
    convert_cityscapes(root)
    return root


def read(path):
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def listing(root):
    return sorted(
        osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root)
        for f in fs)


# ------------------------------------------------------------ converters
def test_convert_gta5_exact_and_idempotent(tmp_path):
    root = make_gta5(tmp_path / 'gta5')
    res = convert_gta5(root)
    assert res['num_files'] == 2
    out1 = read(osp.join(root, 'labels', '00001_labelTrainIds.png'))
    out2 = read(osp.join(root, 'labels', '00002_labelTrainIds.png'))
    assert out1.dtype == np.uint8 and out1.shape == (16, 16)
    assert np.array_equal(out1, lut(LABEL_ID_TO_TRAIN)[GTA_LABEL_1])
    assert np.array_equal(out2, lut(LABEL_ID_TO_TRAIN)[GTA_LABEL_2])

    stats_path = osp.join(root, 'class_stats.json')
    with open(stats_path) as f:
        stats = json.load(f)
    expected_pixels = [1] * 19
    expected_pixels[0] = 1 + 240
    expected_pixels[13] = 1 + 16
    assert stats['class_pixels'] == expected_pixels
    assert stats['ignored_pixels'] == 256 - 19
    assert stats['num_images'] == 2
    k1, k2 = 'labels/00001_labelTrainIds.png', 'labels/00002_labelTrainIds.png'
    assert stats['image_class_pixels'][k2] == {'0': 240, '13': 16}
    assert stats['image_class_pixels'][k1] == {str(c): 1 for c in range(19)}
    assert stats['images_with_class'][0] == [[k1, 1], [k2, 240]]
    assert stats['images_with_class'][13] == [[k1, 1], [k2, 16]]
    assert stats['images_with_class'][5] == [[k1, 1]]
    assert stats['class_freq'][0] == pytest.approx(241 / (241 + 17 + 17))

    # idempotent: converted files are not re-converted, same outputs
    files = listing(root)
    with open(stats_path) as f:
        before = f.read()
    assert convert_gta5(root, nproc=2)['num_files'] == 2
    assert listing(root) == files
    with open(stats_path) as f:
        assert f.read() == before
    assert np.array_equal(
        read(osp.join(root, 'labels', '00001_labelTrainIds.png')), out1)
    assert not [f for f in files if 'tmp' in f]


def test_convert_synthia_exact(tmp_path):
    root = make_synthia(tmp_path / 'synthia')
    assert convert_synthia(root)['num_files'] == 2
    out1 = read(osp.join(root, 'GT', 'LABELS', '0000001_labelTrainIds.png'))
    out2 = read(osp.join(root, 'GT', 'LABELS', '0000002_labelTrainIds.png'))
    expected1 = np.array([SYNTHIA_TO_19.get(int(i), 255)
                          for i in SYN_RAW_1.ravel()]).reshape(4, 6)
    assert np.array_equal(out1, expected1)
    assert (out2 == 0).all()
    stats = load_class_stats(osp.join(root, 'class_stats.json'))
    assert stats.class_pixels[0] == 1 + 24
    assert stats.class_pixels.sum() == 19 + 24
    assert stats.ignored_pixels == 5  # raw 0, 13, 14, 22, 1000
    files = listing(root)
    convert_synthia(root)
    assert listing(root) == files


def test_convert_cityscapes_per_split_stats(tmp_path):
    root = make_cityscapes(tmp_path / 'cs')
    res = convert_cityscapes(root)
    assert res['num_files'] == 3
    assert sorted(osp.basename(p) for p in res['stats_files']) == [
        'class_stats_train.json', 'class_stats_val.json'
    ]
    k = 0
    for split, stems in CS_FILES.items():
        for stem in stems:
            out = read(
                osp.join(root, 'gtFine', split,
                         stem + '_gtFine_labelTrainIds.png'))
            assert np.array_equal(out, lut(LABEL_ID_TO_TRAIN)[cs_label(k)])
            k += 1
    train = load_class_stats(osp.join(root, 'class_stats_train.json'))
    assert sorted(train.image_class_pixels) == [
        'gtFine/train/' + s + '_gtFine_labelTrainIds.png'
        for s in CS_FILES['train']
    ]
    expected = np.bincount(
        np.concatenate([lut(LABEL_ID_TO_TRAIN)[cs_label(i)].ravel()
                        for i in (0, 1)]), minlength=256)
    assert np.array_equal(train.class_pixels, expected[:19])
    assert train.ignored_pixels == expected[255]
    files = listing(root)
    convert_cityscapes(root)
    assert listing(root) == files


def test_converters_bad_roots_and_files(tmp_path):
    missing = str(tmp_path / 'nope')
    for conv, layout in ((convert_gta5, 'images/00001.png'),
                         (convert_synthia, 'GT/LABELS'),
                         (convert_cityscapes, 'gtFine')):
        with pytest.raises(FileNotFoundError) as e:
            conv(missing)
        assert missing in str(e.value) and layout in str(e.value)
        empty = tmp_path / f'empty_{conv.__name__}'
        empty.mkdir()
        with pytest.raises(FileNotFoundError) as e:
            conv(str(empty))
        assert str(empty) in str(e.value) and layout in str(e.value)
    # corrupt (truncated) label -> error naming the file
    root = make_gta5(tmp_path / 'gta5')
    bad = osp.join(root, 'labels', '00002.png')
    data = open(bad, 'rb').read()
    open(bad, 'wb').write(data[:len(data) // 2])
    with pytest.raises(OSError, match='00002.png'):
        convert_gta5(root)
    root = make_synthia(tmp_path / 'syn')
    bad = osp.join(root, 'GT', 'LABELS', '0000002.png')
    open(bad, 'wb').write(b'not a png')
    with pytest.raises(OSError, match='0000002.png'):
        convert_synthia(root)


def test_converter_cli(tmp_path):
    root = make_gta5(tmp_path / 'gta5')
    # in-process through the shared command line (cheap), then one real
    # subprocess from the repository root without the package installed
    syn = make_synthia(tmp_path / 'syn')
    result = mds.converters.converter_cli('synthia', [syn, '--nproc', '1'])
    assert result['num_files'] == 2
    assert osp.isfile(osp.join(syn, 'class_stats.json'))
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    proc = subprocess.run(
        [sys.executable, 'tools/dataset_converters/gta5.py', root],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert 'converted 2 label files' in proc.stdout
    assert osp.isfile(osp.join(root, 'labels', '00002_labelTrainIds.png'))


# ------------------------------------------------------------ datasets
def test_gta5_dataset_pipeline(gta5):
    ds = GTA5Dataset(data_root=gta5, pipeline=PIPELINE)
    assert len(ds) == 2
    assert ds.metainfo['classes'] == mds.classes_of(19)
    out = ds[0]
    assert tuple(out['inputs'].shape) == (3, 16, 16)
    gt = out['data_samples'].gt_sem_seg.data[0].numpy()
    assert np.array_equal(gt, lut(LABEL_ID_TO_TRAIN)[GTA_LABEL_1])
    assert out['data_samples'].img_path.endswith('images/00001.png')


def test_registry_build_and_16_classes(synthia, cityscapes):
    from mmseg.registry import DATASETS
    syn = DATASETS.build(
        dict(type='SynthiaDataset', data_root=synthia, num_classes=16,
             pipeline=PIPELINE))
    assert syn.metainfo['classes'] == mds.classes_of(16)
    assert len(syn.metainfo['palette']) == 16
    gt = syn[0]['data_samples'].gt_sem_seg.data[0].numpy()
    to19 = np.array([SYNTHIA_TO_19.get(int(i), 255)
                     for i in SYN_RAW_1.ravel()]).reshape(4, 6)
    assert np.array_equal(gt, lut(TRAIN_19_TO_16)[to19])
    assert set(np.unique(gt)) == set(range(16)) | {255}

    cs = DATASETS.build(
        dict(type='CityscapesDADataset', data_root=cityscapes,
             subset='val', num_classes=16, pipeline=PIPELINE,
             test_mode=True))
    assert len(cs) == 1
    gt = cs[0]['data_samples'].gt_sem_seg.data[0].numpy()
    assert np.array_equal(
        gt, lut(TRAIN_19_TO_16)[lut(LABEL_ID_TO_TRAIN)[cs_label(2)]])
    assert cs.class_stats_path().endswith('class_stats_val.json')
    cs13 = CityscapesDADataset(data_root=cityscapes, num_classes=13)
    assert len(cs13) == 2 and len(cs13.metainfo['classes']) == 13
    # mmseg-style data_prefix and a split file
    split = osp.join(cityscapes, 'one.txt')
    with open(split, 'w') as f:
        f.write('# comment\nbochum/bochum_000000_000313\n')
    cs1 = CityscapesDADataset(
        data_root=cityscapes, split='one.txt',
        data_prefix=dict(img_path='leftImg8bit/train',
                         seg_map_path='gtFine/train'))
    assert len(cs1) == 1 and cs1.subset == 'train' and cs1.is_restricted
    # unlabelled target
    tgt = CityscapesDADataset(data_root=cityscapes, with_labels=False)
    assert 'seg_map_path' not in tgt.get_data_info(0)


def test_synthia_depth(synthia):
    pipe = [
        dict(type='LoadDAImageFromFile'),
        dict(type='LoadDAAnnotations'),
        dict(type='LoadDepthMap'),
        dict(type='RandomFlip', prob=1.0),
        dict(type='Resize', scale=(12, 8)),
        dict(type='PackSegInputs')
    ]
    ds = SynthiaDataset(data_root=synthia, with_depth=True, pipeline=pipe)
    for i in range(2):
        info = ds.get_data_info(i)
        assert info['depth_path'].endswith(f'Depth/Depth/000000{i + 1}.png')
        out = ds[i]
        depth = out['data_samples'].gt_depth_map.data[0].numpy()
        assert depth.dtype == np.float32 and depth.shape == (8, 12)
        expected = np.repeat(np.repeat(SYN_DEPTH[:, ::-1], 2, 0), 2, 1)
        assert np.array_equal(depth, expected.astype(np.float32))
    os.remove(osp.join(synthia, 'Depth', 'Depth', '0000002.png'))
    with pytest.raises(FileNotFoundError, match='0000002.png'):
        SynthiaDataset(data_root=synthia, with_depth=True)


def test_bad_roots(tmp_path, gta5):
    missing = str(tmp_path / 'missing')
    with pytest.raises(FileNotFoundError) as e:
        GTA5Dataset(data_root=missing)
    assert missing in str(e.value) and 'images/00001.png' in str(e.value)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError) as e:
        GTA5Dataset(data_root=str(empty))
    assert str(empty) in str(e.value) and 'labels' in str(e.value)
    # a wrong root: the Cityscapes class on a GTA5 root
    with pytest.raises(FileNotFoundError) as e:
        CityscapesDADataset(data_root=gta5)
    assert gta5 in str(e.value) and 'leftImg8bit' in str(e.value)
    # layout present but no image
    (empty / 'images').mkdir()
    (empty / 'labels').mkdir()
    with pytest.raises(FileNotFoundError, match='no images'):
        GTA5Dataset(data_root=str(empty))
    with pytest.raises(ValueError, match='num_classes'):
        GTA5Dataset(data_root=gta5, num_classes=17)


def test_missing_label_hints_converter(tmp_path):
    root = make_gta5(tmp_path / 'gta5')  # not converted
    with pytest.raises(FileNotFoundError) as e:
        GTA5Dataset(data_root=root)
    msg = str(e.value)
    assert osp.join(root, 'images', '00001.png') in msg
    assert osp.join(root, 'labels', '00001_labelTrainIds.png') in msg
    assert 'tools/dataset_converters/gta5.py' in msg
    # image listed in a split file but absent
    convert_gta5(root)
    with pytest.raises(FileNotFoundError, match=re.escape('images/00003.png')):
        GTA5Dataset(data_root=root, split=['00001', '00003'])


def test_bad_files_in_pipeline(gta5):
    ds = GTA5Dataset(data_root=gta5, pipeline=PIPELINE, serialize_data=False)
    img1 = osp.join(gta5, 'images', '00001.png')
    lab2 = osp.join(gta5, 'labels', '00002_labelTrainIds.png')
    img2 = osp.join(gta5, 'images', '00002.png')

    # corrupt (truncated) image
    data = open(img1, 'rb').read()
    open(img1, 'wb').write(data[:len(data) // 2])
    with pytest.raises(OSError, match=re.escape(img1)):
        ds[0]
    # missing image
    os.remove(img1)
    with pytest.raises(FileNotFoundError, match=re.escape(img1)):
        ds[0]
    # label ids outside {0..18, 255}
    bad = np.zeros((16, 16), np.uint8)
    bad[0, 0], bad[0, 1] = 19, 200
    write_gray(lab2, bad)
    with pytest.raises(ValueError) as e:
        ds[1]
    assert lab2 in str(e.value) and '[19, 200]' in str(e.value)
    # size mismatch
    write_gray(lab2, np.zeros((8, 16), np.uint8))
    with pytest.raises(ValueError) as e:
        ds[1]
    assert lab2 in str(e.value) and img2 in str(e.value)
    assert '8x16' in str(e.value) and '16x16' in str(e.value)
    # corrupt label
    open(lab2, 'wb').write(b'\x89PNG\r\n\x1a\n garbage')
    with pytest.raises(OSError, match=re.escape(lab2)):
        ds[1]
    # missing label (removed after the dataset was built)
    os.remove(lab2)
    with pytest.raises(FileNotFoundError, match=re.escape(lab2)):
        ds[1]


# ------------------------------------------------------------ two domains
def test_two_domain_dataset(gta5, cityscapes):
    src = dict(type='GTA5Dataset', data_root=gta5, pipeline=PIPELINE)
    tgt = dict(type='CityscapesDADataset', data_root=cityscapes,
               with_labels=False,
               pipeline=[dict(type='LoadDAImageFromFile'),
                         dict(type='PackSegInputs')])
    lazy = TwoDomainDataset(src, tgt, lazy_init=True)
    assert not lazy._fully_initialized
    assert lazy.metainfo['classes'] == mds.classes_of(19)
    ds = TwoDomainDataset(src, tgt)
    assert len(ds) == 2 * 2
    assert ds.split_index(3) == (1, 1) and ds.pair_index(1, 0) == 2
    item = ds[2]
    assert item['source']['data_samples'].img_path.endswith('00002.png')
    assert 'aachen' in item['target']['data_samples'].img_path
    assert 'gt_sem_seg' not in item['target']['data_samples']
    info = ds.get_data_info(1)
    assert 'bochum' in info['target']['img_path']
    with pytest.raises(IndexError):
        ds[4]
    with pytest.raises(ValueError) as e:
        TwoDomainDataset(src, dict(tgt, num_classes=16))
    assert 'GTA5Dataset' in str(e.value) and gta5 in str(e.value)
    assert 'CityscapesDADataset' in str(e.value) and cityscapes in str(
        e.value)


# ------------------------------------------------------------ samplers
class _Sized:

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


def take(sampler, n):
    it = iter(sampler)
    return [next(it) for _ in range(n)]


def with_rank(monkeypatch, rank, world):
    monkeypatch.setattr(two_domain_sampler, 'get_dist_info',
                        lambda: (rank, world))


def test_sampler_uniform_pairs_determinism(gta5, cityscapes):
    ds = TwoDomainDataset(
        dict(type='GTA5Dataset', data_root=gta5),
        dict(type='CityscapesDADataset', data_root=cityscapes))
    a = take(TwoDomainInfiniteSampler(ds, seed=3), 40)
    b = take(TwoDomainInfiniteSampler(ds, seed=3), 40)
    c = take(TwoDomainInfiniteSampler(ds, seed=4), 40)
    assert a == b and a != c
    assert set(a) <= set(range(4))
    # each source/target epoch is a permutation
    s = [i // 2 for i in a]
    t = [i % 2 for i in a]
    for k in range(0, 40, 2):
        assert sorted(s[k:k + 2]) == [0, 1] and sorted(t[k:k + 2]) == [0, 1]
    plain = take(TwoDomainInfiniteSampler(_Sized(5), seed=1), 10)
    assert sorted(plain[:5]) == list(range(5))


@pytest.mark.parametrize('mode', ['uniform', 'class_balanced', 'rare_class'])
def test_sampler_ranks_and_position(gta5, cityscapes, monkeypatch, mode):
    ds = TwoDomainDataset(
        dict(type='GTA5Dataset', data_root=gta5),
        dict(type='CityscapesDADataset', data_root=cityscapes))
    kw = dict(seed=7, source_sampling=mode, subepoch_size=5, min_pixels=0)
    one = take(TwoDomainInfiniteSampler(ds, **kw), 24)
    with_rank(monkeypatch, 0, 2)
    r0 = take(TwoDomainInfiniteSampler(ds, **kw), 12)
    with_rank(monkeypatch, 1, 2)
    r1 = take(TwoDomainInfiniteSampler(ds, **kw), 12)
    assert r0 == one[0::2] and r1 == one[1::2]
    # 2 ranks x batch 2 == 1 rank x batch 4, batch by batch
    for k in range(6):
        assert sorted(r0[2 * k:2 * k + 2] + r1[2 * k:2 * k + 2]) == sorted(
            one[4 * k:4 * k + 4])
    # set_position == skipping (also across blocks), on each rank
    sp = TwoDomainInfiniteSampler(ds, **kw)
    sp.set_position(14)
    assert take(sp, 5) == one[15::2][:5]
    assert sp.position == 24
    with_rank(monkeypatch, 0, 1)
    s1 = TwoDomainInfiniteSampler(ds, start_position=11, **kw)
    assert take(s1, 13) == one[11:]


def _stats_root(tmp_path, class_sets):
    """A tiny GTA5-like root with converted labels only: image i has one
    row per class in class_sets[i] (16 px), rest ignored."""
    root = tmp_path / 'cb'
    for i, classes in enumerate(class_sets):
        stem = f'{i + 1:05d}'
        write_rgb(str(root / 'images' / f'{stem}.png'), 4, 16, i)
        lab = np.full((4, 16), 255, np.uint8)
        for r, c in enumerate(classes):
            lab[r] = c
        write_gray(str(root / 'labels' / f'{stem}_labelTrainIds.png'), lab)
    counts = {
        f'labels/{i + 1:05d}_labelTrainIds.png':
        np.bincount(read(root / 'labels' / f'{i + 1:05d}_labelTrainIds.png')
                    .ravel(), minlength=256)
        for i in range(len(class_sets))
    }
    mds.write_class_stats(mds.build_class_stats(counts),
                          str(root / 'class_stats.json'))
    return str(root)


def test_class_balanced_weights_exact(tmp_path):
    # 16 px of class 0 in 3 images, class 1 in 1 image, 13 in 1 image
    root = _stats_root(tmp_path, [[0], [0, 1], [0, 13]])
    ds = GTA5Dataset(data_root=root)
    sampler = TwoDomainInfiniteSampler(
        ds, seed=0, source_sampling='class_balanced', cb_frequency='pixel')
    idx = sampler.class_index
    assert idx.classes.tolist() == [0, 1, 13]
    assert idx.freq.tolist() == pytest.approx([48 / 80, 16 / 80, 16 / 80])
    w = class_sampling.class_balanced_weights(idx.freq)
    raw = [1 / np.log(1.01 + 0.6), 1 / np.log(1.01 + 0.2),
           1 / np.log(1.01 + 0.2)]
    assert w.tolist() == pytest.approx([r / sum(raw) for r in raw])
    assert w.tolist() == pytest.approx([0.166759, 0.41662, 0.41662],
                                       abs=1e-6)
    assert [a.tolist() for a in idx.images] == [[0, 1, 2], [1], [2]]
    p = class_sampling.rare_class_probs(idx.freq, 0.01)
    e = np.exp([40.0, 80.0, 80.0])
    assert p.tolist() == pytest.approx((e / e.sum()).tolist())
    # 16-class dataset: class 13 (car) is id 12 there
    ds16 = GTA5Dataset(data_root=root, num_classes=16)
    s16 = TwoDomainInfiniteSampler(ds16, seed=0,
                                   source_sampling='class_balanced')
    assert s16.class_index.classes.tolist() == [0, 1, 12]
    # a class is drawn, then an image containing it
    draws = take(sampler, 600)
    share = np.bincount(draws, minlength=3) / 600
    # P(image 1) = w1 + w0/3 , P(image 2) = w13 + w0/3
    assert share[0] == pytest.approx(w[0] / 3, abs=0.06)


def test_class_balanced_running_balances(tmp_path):
    # class 0 in 8 images, class 1 in only one: RIPU's running frequency
    # alternates between the classes
    root = _stats_root(tmp_path, [[0]] * 8 + [[1]])
    ds = GTA5Dataset(data_root=root)
    s = TwoDomainInfiniteSampler(ds, seed=1, source_sampling='class_balanced',
                                 subepoch_size=3000)
    draws = np.array(take(s, 3000))
    n_rare = int((draws == 8).sum())
    assert abs(n_rare - 1500) < 60
    # within a class, images are cycled without repeats
    common = draws[draws != 8][:16]
    assert sorted(common[:8].tolist()) == list(range(8))
    # rare-class sampling: each class has 16 px per image (> 15)
    r = TwoDomainInfiniteSampler(ds, seed=1, source_sampling='rare_class',
                                 min_pixels=15)
    with pytest.raises(ValueError, match='min_pixels'):
        TwoDomainInfiniteSampler(ds, seed=1, source_sampling='rare_class')
    assert r is not None


def test_sampler_stats_errors(tmp_path, gta5):
    ds = GTA5Dataset(data_root=gta5)
    os.rename(osp.join(gta5, 'class_stats.json'), osp.join(gta5, 'x.json'))
    with pytest.raises(FileNotFoundError) as e:
        TwoDomainInfiniteSampler(ds, source_sampling='class_balanced')
    assert osp.join(gta5, 'class_stats.json') in str(e.value)
    assert 'dataset_converters' in str(e.value)
    s = TwoDomainInfiniteSampler(
        ds, seed=0, source_sampling='class_balanced',
        class_stats_file='x.json')
    assert s.class_stats_file == osp.join(gta5, 'x.json')
    # stats of another dataset: unknown image key
    other = _stats_root(tmp_path, [[0], [1], [2]])
    with pytest.raises(ValueError, match='does not match the dataset'):
        TwoDomainInfiniteSampler(
            ds, source_sampling='class_balanced',
            class_stats_file=osp.join(other, 'class_stats.json'))
    # extra key in the stats: error unless the dataset is restricted
    with open(osp.join(gta5, 'x.json')) as f:
        raw = json.load(f)
    raw['image_class_pixels']['labels/09999_labelTrainIds.png'] = {'0': 1}
    raw['num_images'] = 3
    raw['class_pixels'][0] += 1
    with open(osp.join(gta5, 'y.json'), 'w') as f:
        json.dump(raw, f)
    with pytest.raises(ValueError, match='unknown image key'):
        TwoDomainInfiniteSampler(ds, source_sampling='class_balanced',
                                 class_stats_file='y.json')
    sub = GTA5Dataset(data_root=gta5, split=['00002'])
    s = TwoDomainInfiniteSampler(sub, seed=0, source_sampling='rare_class',
                                 class_stats_file='y.json', min_pixels=0)
    assert set(take(s, 10)) == {0}
    # malformed file
    with open(osp.join(gta5, 'z.json'), 'w') as f:
        f.write('{"format": "mmda-class-stats", "version": 1}')
    with pytest.raises(ValueError, match='z.json'):
        load_class_stats(osp.join(gta5, 'z.json'))


def test_dataloader_from_config(gta5, cityscapes):
    """The config path a Runner takes: registry-built sampler and dataset,
    default collate, two-domain batches."""
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(
        dict(
            batch_size=2,
            num_workers=0,
            sampler=dict(
                type='TwoDomainInfiniteSampler',
                source_sampling='class_balanced'),
            dataset=dict(
                type='TwoDomainDataset',
                source=dict(type='GTA5Dataset', data_root=gta5,
                            pipeline=PIPELINE),
                target=dict(type='CityscapesDADataset',
                            data_root=cityscapes, pipeline=PIPELINE))),
        seed=0)
    assert loader.sampler.class_stats_file == osp.join(
        gta5, 'class_stats.json')
    batch = next(iter(loader))
    assert sorted(batch) == ['source', 'target']
    assert len(batch['source']['inputs']) == 2
    assert tuple(batch['target']['inputs'][0].shape) == (3, 8, 16)
    assert batch['target']['data_samples'][0].gt_sem_seg.data.shape == (1, 8,
                                                                        16)


# ------------------------------------------------------------ N streams
TARGET_PIPELINE = [
    dict(type='LoadDAImageFromFile'),
    dict(type='PackSegInputs')
]
FLIPPED = [dict(type='LoadDAImageFromFile'),
           dict(type='RandomFlip', prob=1.0),
           dict(type='PackSegInputs')]


def stream_cfgs(gta5, cityscapes, source_pipeline=PIPELINE):
    """source, target, a GTA5-augmented source and a second (flipped) view
    of the target image."""
    return dict(
        source=dict(type='GTA5Dataset', data_root=gta5,
                    pipeline=source_pipeline),
        target=dict(type='CityscapesDADataset', data_root=cityscapes,
                    with_labels=False, pipeline=TARGET_PIPELINE),
        source_aug=dict(type='GTA5Dataset', data_root=gta5,
                        pipeline=PIPELINE[:2] + FLIPPED[1:]),
        target_view2=dict(view_of='target', pipeline=FLIPPED))


def test_multi_stream_dataset_index_and_views(gta5, cityscapes):
    ds = mds.MultiStreamDataset(stream_cfgs(gta5, cityscapes))
    assert ds.stream_names == ['source', 'target', 'source_aug',
                               'target_view2']
    assert ds.drawn_streams == ['source', 'target', 'source_aug']
    assert ds.stream_lengths() == (2, 2, 2) and len(ds) == 8
    # mixed radix over the drawn streams, in the order given
    assert ds.split_index(5) == (1, 0, 1) and ds.join_index(1, 0, 1) == 5
    assert [ds.join_index(*ds.split_index(i)) for i in range(8)] == list(
        range(8))
    item = ds[5]
    assert sorted(item) == ['source', 'source_aug', 'target', 'target_view2']
    assert item['source']['data_samples'].img_path.endswith('00002.png')
    assert item['source_aug']['data_samples'].img_path.endswith('00002.png')
    # the second view is the same target image through its own pipeline
    tgt, view = item['target'], item['target_view2']
    assert 'aachen' in tgt['data_samples'].img_path
    assert view['data_samples'].img_path == tgt['data_samples'].img_path
    assert torch.equal(view['inputs'], tgt['inputs'].flip(-1))
    assert not torch.equal(view['inputs'], tgt['inputs'])
    info = ds.get_data_info(7)
    assert info['target_view2']['img_path'] == info['target']['img_path']
    assert 'bochum' in info['target']['img_path']
    with pytest.raises(IndexError):
        ds[8]


def test_multi_stream_dataset_errors(gta5, cityscapes):
    cfgs = stream_cfgs(gta5, cityscapes)
    with pytest.raises(KeyError, match="'target_view2' is a view of 'tgt'"):
        mds.MultiStreamDataset(
            dict(cfgs, target_view2=dict(view_of='tgt', pipeline=[])))
    with pytest.raises(KeyError, match="takes 'view_of' and 'pipeline'"):
        mds.MultiStreamDataset(
            dict(cfgs, target_view2=dict(view_of='target', type='X')))
    with pytest.raises(ValueError, match="first stream 'v' must be a"):
        mds.MultiStreamDataset(dict(v=dict(view_of='target', pipeline=[]),
                                    **cfgs))
    with pytest.raises(ValueError) as e:
        mds.MultiStreamDataset(
            dict(cfgs, source_aug=dict(cfgs['source_aug'], num_classes=16)))
    assert 'the source and source_aug class lists differ' in str(e.value)
    with pytest.raises(ValueError, match=r'3 stream indices expected'):
        mds.MultiStreamDataset(cfgs).join_index(1, 1)


def test_sampler_many_streams_ranks_and_resume(gta5, cityscapes,
                                               monkeypatch):
    flip = PIPELINE[:2] + [dict(type='RandomFlip', prob=0.5)] + PIPELINE[2:]
    ds = mds.MultiStreamDataset(stream_cfgs(gta5, cityscapes, flip))
    kw = dict(seed=5)
    one = take(TwoDomainInfiniteSampler(ds, **kw), 24)
    parts = [ds.split_index(i) for i in one]
    # every drawn stream in shuffled epochs of its own
    for k in range(3):
        for e in range(0, 24, 2):
            assert sorted(p[k] for p in parts[e:e + 2]) == [0, 1]
    assert [p[0] for p in parts] != [p[2] for p in parts]
    # the source and target draws are the two-domain sampler's
    two = TwoDomainDataset(*[stream_cfgs(gta5, cityscapes)[n]
                             for n in ('source', 'target')])
    pairs = take(TwoDomainInfiniteSampler(two, **kw), 24)
    assert [two.split_index(i) for i in pairs] == [p[:2] for p in parts]
    assert [i.seed for i in pairs] == [i.seed for i in one]
    # DDP: rank r of 2 takes elements r, r + 2, ...
    with_rank(monkeypatch, 0, 2)
    r0 = take(TwoDomainInfiniteSampler(ds, **kw), 12)
    with_rank(monkeypatch, 1, 2)
    r1 = take(TwoDomainInfiniteSampler(ds, **kw), 12)
    assert r0 == one[0::2] and r1 == one[1::2]
    # exact resume: the same indices, seeds and augmented samples
    with_rank(monkeypatch, 0, 1)
    resumed = take(TwoDomainInfiniteSampler(ds, start_position=11, **kw), 13)
    assert resumed == one[11:]
    assert [i.seed for i in resumed] == [i.seed for i in one[11:]]
    flips = set()
    for a, b in zip(one[11:], resumed):
        x, y = ds[a], ds[b]
        for name in x:
            assert torch.equal(x[name]['inputs'], y[name]['inputs']), name
        flips.add(x['source']['data_samples'].flip)
    assert flips == {True, False}  # the flips are random, and repeated


def test_multi_stream_batch_through_preprocessor(gta5, cityscapes):
    """Config -> sampler -> dataset -> collate -> DADataPreprocessor."""
    from mmengine.runner import Runner

    from mmseg.registry import MODELS
    loader = Runner.build_dataloader(
        dict(batch_size=2, num_workers=0,
             sampler=dict(type='TwoDomainInfiniteSampler'),
             dataset=dict(type='MultiStreamDataset',
                          streams=stream_cfgs(gta5, cityscapes))),
        seed=0)
    batch = next(iter(loader))
    pre = MODELS.build(dict(type='DADataPreprocessor', mean=[0., 0., 0.],
                            std=[1., 1., 1.], size_divisor=8, pad_val=0,
                            seg_pad_val=255))
    out = pre(batch, training=True)
    inputs = out['inputs']
    assert sorted(inputs) == ['source', 'source_aug', 'target',
                              'target_view2']
    assert inputs['source'].shape == inputs['source_aug'].shape == (2, 3, 16,
                                                                    16)
    assert inputs['target'].shape == (2, 3, 8, 16)
    assert torch.equal(inputs['target_view2'], inputs['target'].flip(-1))
    assert len(out['data_samples']['target_view2']) == 2
