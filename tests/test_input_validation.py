"""Bad input to the tools is refused with a clear error before anything is
written: make_sim2real's seed and gap, entropy_rank's lambda, unknown raw
label ids and all-ignore labels in the converters, misspelt top-level
config keys."""
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from conftest import REPO
from mmda.datasets.converters import (AllIgnoreLabelError, converter_cli,
                                      convert_cityscapes, convert_gta5,
                                      convert_synthia)
from mmda.intrada.entropy_ranking import check_split_sizes
from mmda.sim2real import META_FILE, generate_sim2real

SMALL = dict(gta5_size=(64, 36), synthia_size=(64, 38),
             cityscapes_size=(64, 32), workers=1)
ONE_EACH = dict(num_gta5=1, num_synthia=1, num_cityscapes_train=1,
                num_cityscapes_val=1, **SMALL)
SOURCE_ONLY = osp.join(
    REPO, 'configs', 'baselines',
    'source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
ADVENT = osp.join(REPO, 'configs', 'advent',
                  'advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py')


def listing(root):
    return sorted(
        osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root)
        for f in fs)


# ------------------------------------------------------------ make_sim2real
def make_sim2real_tool():
    spec = importlib.util.spec_from_file_location(
        'make_sim2real', osp.join(REPO, 'tools', 'make_sim2real.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


@pytest.mark.parametrize('argv,message', [
    (['--seed', '-5'], 'seed must be an integer in [0, 2**63 - 1], got -5'),
    (['--gap=-1'], 'gap must be a number in [0, 1.5]'),
    (['--gap', 'nan'], 'got nan'),
    (['--gap', 'inf'], 'got inf'),
    (['--gap=100'], 'got 100.0'),
    (['--num-gta5=-1'], 'num_gta5 must be a non-negative integer, got -1'),
    (['--workers', '0'], 'workers must be a positive integer, got 0'),
])
def test_make_sim2real_refuses_bad_arguments_and_writes_nothing(
        tmp_path, argv, message):
    out = tmp_path / 'bench'
    with pytest.raises(SystemExit) as exc:
        # (python prints a string exit code to stderr and exits with 1)
        make_sim2real_tool().main([
            str(out), '--num-gta5', '1', '--num-synthia', '0',
            '--num-cityscapes-train', '0', '--num-cityscapes-val', '0',
            '--workers', '1'
        ] + argv)
    assert isinstance(exc.value.code, str)
    assert exc.value.code.startswith('make_sim2real.py: error: ')
    assert message in exc.value.code
    assert os.listdir(tmp_path) == []  # no folder, no temporary one
    # the next run is not blocked
    generate_sim2real(str(out), **ONE_EACH)
    assert osp.isfile(out / META_FILE)


def test_gap_range_ends_render_real_images(tmp_path):
    for gap in (0.0, 1.5):
        out = tmp_path / f'gap{gap}'
        generate_sim2real(str(out), gap=gap, **ONE_EACH)
        img = cv2.imread(
            str(out / 'cityscapes/leftImg8bit/val/frankfurt/'
                'frankfurt_000000_000019_leftImg8bit.png'))
        assert img is not None and img.mean() > 20 and img.std() > 10


def test_failed_generation_leaves_nothing_and_keeps_the_old_benchmark(
        tmp_path, monkeypatch):
    from mmda.sim2real import generate
    out = tmp_path / 'bench'
    generate_sim2real(str(out), **ONE_EACH)
    before = listing(out)
    calls = []

    def fail_on_third(split, index, seed):
        calls.append(index)
        if len(calls) == 3:
            raise RuntimeError('disk full')
        return real(split, index, seed)

    real = generate._make_one
    monkeypatch.setattr(generate, '_make_one', fail_on_third)
    with pytest.raises(RuntimeError, match='disk full'):
        generate_sim2real(str(out), overwrite=True, seed=1, **ONE_EACH)
    assert os.listdir(tmp_path) == ['bench']  # no temporary directory
    assert listing(out) == before
    with pytest.raises(RuntimeError, match='disk full'):
        calls.clear()
        generate_sim2real(str(tmp_path / 'new'), **ONE_EACH)
    assert os.listdir(tmp_path) == ['bench']


def test_make_sim2real_never_replaces_foreign_content(tmp_path):
    out = tmp_path / 'data'
    out.mkdir()
    (out / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='not a generated benchmark'):
        generate_sim2real(str(out), overwrite=True, **ONE_EACH)
    generate_sim2real(str(out / 'bench'), **ONE_EACH)
    (out / 'bench' / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match=r"\['notes.txt'\] beside"):
        generate_sim2real(str(out / 'bench'), overwrite=True, **ONE_EACH)
    assert (out / 'notes.txt').read_text() == 'mine'


# ------------------------------------------------------------- entropy_rank
def test_lambda_that_leaves_a_split_empty_is_refused():
    assert check_split_sizes(8, 0.5) == 4
    assert check_split_sizes(8, 0.125) == 1
    assert check_split_sizes(8, 0.99) == 7
    with pytest.raises(ValueError,
                       match=r'lambda 0.01 leaves the easy split empty with '
                       r'8 images \(int\(8 \* 0.01\) = 0\); with 8 images '
                       'lambda must be at least 0.125'):
        check_split_sizes(8, 0.01)
    with pytest.raises(ValueError, match='need at least one image each'):
        check_split_sizes(1, 0.5)


def test_entropy_rank_refuses_lambda_before_scoring(sim2real_tiny, tmp_path,
                                                    monkeypatch):
    """``--lambda 0.01`` on the 8 target images: refused after the
    checkpoint is loaded and before any image is scored; no ranking
    directory, no temporary one."""
    import importlib

    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseg.registry import MODELS
    rank_target = importlib.import_module('mmda.intrada.rank_target')
    init_default_scope('mmseg')
    model = MODELS.build(Config.fromfile(ADVENT).model)
    ckpt = tmp_path / 'stage1.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    scored = []
    monkeypatch.setattr(rank_target, 'main_logits_at_input',
                        lambda *a: scored.append(1))
    monkeypatch.chdir(sim2real_tiny)
    spec = importlib.util.spec_from_file_location(
        'entropy_rank', osp.join(REPO, 'tools', 'entropy_rank.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'rank'
    with pytest.raises(ValueError, match='lambda 0.01 leaves the easy split '
                       'empty with 8 images'):
        tool.main([ADVENT, str(ckpt), '--out-dir', str(out), '--lambda',
                   '0.01', '--work-dir', str(tmp_path / 'w')])
    assert not scored
    assert not out.exists() and not [
        f for f in os.listdir(tmp_path) if f.startswith('.rank')]


# --------------------------------------------------------------- converters
def write_gta5(root, labels):
    os.makedirs(osp.join(root, 'labels'))
    os.makedirs(osp.join(root, 'images'))
    for i, label in enumerate(labels, 1):
        cv2.imwrite(osp.join(root, 'images', f'{i:05d}.png'),
                    np.zeros(label.shape + (3, ), np.uint8))
        cv2.imwrite(osp.join(root, 'labels', f'{i:05d}.png'), label)
    return str(root)


def test_unknown_raw_ids_are_reported_with_counts_and_files(
        tmp_path, capsys):
    label = np.full((4, 4), 7, np.uint8)  # road
    label[0, :3] = 250  # unknown labelId
    label[1, 0] = 34  # unknown labelId
    label[2, 0] = 0  # "unlabeled": known, ignored on purpose
    other = np.full((4, 4), 26, np.uint8)
    other[3, 3] = 250
    root = write_gta5(tmp_path / 'gta5', [label, other])
    result = convert_gta5(root)
    assert result['unknown_ids'] == {
        34: dict(pixels=1, files=1, examples=['labels/00001.png']),
        250: dict(pixels=4, files=2,
                  examples=['labels/00001.png', 'labels/00002.png']),
    }
    # the command line prints them
    converter_cli('gta5', [root])
    assert ('2 raw id(s) outside the GTA5 label table were mapped to '
            'ignore (255):\n  raw id 34: 1 pixels in 1 file(s), e.g. '
            'labels/00001.png\n  raw id 250: 4 pixels in 2 file(s), e.g. '
            'labels/00001.png, labels/00002.png') in capsys.readouterr().err


def test_all_ignore_label_fails_unless_allowed(tmp_path, capsys):
    good = np.full((4, 4), 7, np.uint8)
    root = write_gta5(tmp_path / 'gta5', [good, np.full((4, 4), 250,
                                                        np.uint8)])
    with pytest.raises(AllIgnoreLabelError) as err:
        convert_gta5(root)
    text = str(err.value)
    assert f'1 label file(s) under {root} would become all-ignore' in text
    assert 'labels/00002.png' in text and 'raw id 250: 16 pixels' in text
    assert not osp.exists(osp.join(root, 'class_stats.json'))
    assert not osp.exists(osp.join(root, 'labels',
                                   '00002_labelTrainIds.png'))
    with pytest.raises(SystemExit, match='--allow-all-ignore'):
        converter_cli('gta5', [root])
    result = converter_cli('gta5', [root, '--allow-all-ignore'])
    assert result['num_files'] == 2
    out = cv2.imread(osp.join(root, 'labels', '00002_labelTrainIds.png'),
                     cv2.IMREAD_UNCHANGED)
    assert (out == 255).all()


def test_synthia_and_cityscapes_unknown_ids(tmp_path):
    syn = tmp_path / 'synthia'
    for sub in ('RGB', 'GT/LABELS', 'Depth/Depth'):
        os.makedirs(syn / sub)
    raw = np.full((2, 3), 3, np.uint16)
    raw[0, 0] = 23  # first id after the 23 SYNTHIA classes
    cv2.imwrite(str(syn / 'RGB' / '0000001.png'), np.zeros((2, 3, 3)))
    cv2.imwrite(str(syn / 'GT' / 'LABELS' / '0000001.png'),
                np.stack([raw * 0, raw * 0, raw], 2))
    assert convert_synthia(str(syn))['unknown_ids'] == {
        23: dict(pixels=1, files=1, examples=['GT/LABELS/0000001.png'])}
    cs = tmp_path / 'cs' / 'gtFine' / 'train' / 'ulm'
    os.makedirs(cs)
    cv2.imwrite(str(cs / 'ulm_000000_000019_gtFine_labelIds.png'),
                np.full((2, 2), 255, np.uint8))
    with pytest.raises(AllIgnoreLabelError, match='raw id 255: 4 pixels'):
        convert_cityscapes(str(tmp_path / 'cs'))


# ------------------------------------------------------------------ configs
def test_misspelt_top_level_key_is_refused(tmp_path):
    from mmda.apis import load_config
    cfg = tmp_path / 'typo.py'
    cfg.write_text(f'_base_ = [{SOURCE_ONLY!r}]\n'
                   "trian_cfg = dict(type='IterBasedTrainLoop', "
                   'max_iters=10, val_interval=10)\n')
    with pytest.raises(KeyError) as err:
        load_config(str(cfg))
    assert (f"{cfg}: unknown top-level key 'trian_cfg' (did you mean "
            'train_cfg?)') in str(err.value)
    assert "config_variables = ['trian_cfg']" in str(err.value)
    # declared on purpose: accepted
    with open(cfg, 'a') as f:
        f.write("config_variables = ['trian_cfg']\n")
    assert load_config(str(cfg)).train_cfg.max_iters != 10
    # config variables that are not near a Runner key are free
    cfg.write_text(f'_base_ = [{SOURCE_ONLY!r}]\ncrop = (64, 64)\n')
    assert load_config(str(cfg)).crop == (64, 64)


def test_every_shipped_config_passes_the_key_check():
    import glob

    from mmengine.config import Config

    from mmda.apis.config_loading import check_top_level_keys
    configs = [
        f for f in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                             recursive=True) if '_base_' not in f
    ]
    assert configs
    for config in configs:
        check_top_level_keys(Config.fromfile(config), config)
