"""Cityscapes result files (labelIds) and the official cityscapesScripts
evaluation through ``tools/test.py --cityscapes-format/--cityscapes-eval``.
"""
import glob
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from conftest import NO_WORKERS, REPO, logged_metric, run_tool_forked
from mmda.datasets.label_maps import CITYSCAPES_CLASSES, TRAIN_IDS_16
from mmda.datasets.label_spaces import classes_of
from mmda.evaluation.cityscapes_format import (VOID_LABEL_ID, result_path,
                                               to_label_ids)

SOURCE_ONLY = osp.join(
    REPO, 'configs', 'baselines',
    'source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
TRAIN = [
    'train_cfg.max_iters=6', 'train_cfg.val_interval=6',
    'default_hooks.checkpoint.interval=6', 'default_hooks.logger.interval=1'
] + NO_WORKERS


def test_label_ids_of_each_protocol():
    # the official labels.py: trainId -> labelId
    want19 = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
              31, 32, 33]
    pred = np.array([list(range(19)) + [255]])
    assert to_label_ids(pred, CITYSCAPES_CLASSES).tolist() == \
        [want19 + [VOID_LABEL_ID]]
    # 16 classes: no terrain (22), truck (27), train (31)
    got16 = to_label_ids(np.arange(16)[None], classes_of(16))[0].tolist()
    assert got16 == [7, 8, 11, 12, 13, 17, 19, 20, 21, 23, 24, 25, 26, 28,
                     32, 33]
    assert got16 == [want19[t] for t in TRAIN_IDS_16]
    # 13 classes: also no wall (12), fence (13), pole (17)
    got13 = to_label_ids(np.arange(14)[None], classes_of(13))[0].tolist()
    assert got13 == [7, 8, 11, 19, 20, 21, 23, 24, 25, 26, 28, 32, 33,
                     VOID_LABEL_ID]
    with pytest.raises(ValueError, match="'lane' .*not one of the 19"):
        to_label_ids(pred, ('road', 'lane'))


def test_result_path():
    assert result_path('/out', '/d/leftImg8bit/val/lindau/'
                       'lindau_000001_000019_leftImg8bit.png') == \
        '/out/lindau/lindau_000001_000019_leftImg8bit.png'


def _config(directory, name, body):
    path = directory / name
    path.write_text(f'_base_ = [{SOURCE_ONLY!r}]\n{body}')
    return str(path)


#: a native 16-class model (the SYNTHIA protocol) on the same data
CLASSES_16_BODY = '''
model = dict(decode_head=dict(num_classes=16))
train_dataloader = dict(dataset=dict(num_classes=16))
val_dataloader = dict(dataset=dict(num_classes=16))
test_dataloader = val_dataloader
'''


def _miou19(pred_dir, classes, gt_files):
    """mmda's own 19-class mIoU (:class:`DAIoUMetric`'s accumulation) of
    ``tools/test.py --out`` predictions (the model's class indices),
    mapped to the 19 trainIds."""
    from mmda.evaluation import DAIoUMetric
    to19 = np.full(256, 255, np.uint8)
    for i, name in enumerate(classes):
        to19[i] = CITYSCAPES_CLASSES.index(name)
    metric = DAIoUMetric()
    areas = []
    for gt_file in gt_files:
        stem = osp.basename(gt_file).replace('_gtFine_labelTrainIds.png',
                                             '_leftImg8bit.png')
        pred = np.array(Image.open(osp.join(pred_dir, stem)))
        import torch
        areas.append(
            metric.intersect_and_union(
                torch.from_numpy(to19[pred].astype(np.int64)),
                torch.from_numpy(np.array(Image.open(gt_file)).astype(
                    np.int64)), 19, 255))
    inter, union, _, _ = (sum(a) for a in zip(*areas))
    return float(np.nanmean((inter / union).numpy()) * 100)


@pytest.mark.slow
@pytest.mark.parametrize('num_classes', [19, 16])
def test_cityscapes_eval_equals_mmda_miou(sim2real_tiny, tmp_path,
                                          num_classes):
    config = SOURCE_ONLY if num_classes == 19 else _config(
        tmp_path, 'source_only_16.py', CLASSES_16_BODY)
    work_dir = tmp_path / 'train'
    run_tool_forked([
        osp.join(REPO, 'tools', 'train.py'), config, '--work-dir',
        str(work_dir), '--cfg-options'
    ] + TRAIN, cwd=sim2real_tiny)
    cs_dir, out_dir = tmp_path / 'cityscapes_results', tmp_path / 'out'
    proc = run_tool_forked([
        osp.join(REPO, 'tools', 'test.py'), config,
        str(work_dir / 'iter_6.pth'), '--work-dir',
        str(tmp_path / 'test'), '--out',
        str(out_dir), '--cityscapes-format',
        str(cs_dir), '--cityscapes-eval', '--cfg-options'
    ] + NO_WORKERS, cwd=sim2real_tiny)
    text = proc.stdout + proc.stderr
    val = osp.join(sim2real_tiny, 'data', 'sim2real', 'cityscapes',
                   'gtFine', 'val')
    images = sorted(
        glob.glob(osp.join(val, '..', '..', 'leftImg8bit', 'val', '*',
                           '*_leftImg8bit.png')))
    written = sorted(glob.glob(str(cs_dir / '*' / '*_leftImg8bit.png')))
    assert [osp.relpath(p, cs_dir) for p in written] == [
        osp.join(osp.basename(osp.dirname(p)), osp.basename(p))
        for p in images
    ]
    allowed = {7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
               31, 32, 33}
    if num_classes == 16:
        allowed -= {22, 27, 31}  # terrain, truck, train: never predicted
    for path in written:
        arr = np.array(Image.open(path))
        assert arr.ndim == 2 and arr.dtype == np.uint8
        assert set(np.unique(arr)) <= allowed
    # the official tables were printed, and the score equals mmda's own
    assert 'classes          IoU      nIoU' in text
    assert 'Score Average' in text
    cs_miou = logged_metric(text, 'cityscapes/mIoU')
    classes = CITYSCAPES_CLASSES if num_classes == 19 else classes_of(16)
    gt_files = sorted(glob.glob(osp.join(val, '*',
                                         '*_gtFine_labelTrainIds.png')))
    mmda_miou19 = _miou19(str(out_dir), classes, gt_files)
    assert cs_miou == pytest.approx(mmda_miou19, abs=0.01)
    if num_classes == 19:  # the test run's own mIoU is the 19-class one
        assert logged_metric(text, 'mIoU') == pytest.approx(mmda_miou19,
                                                            abs=0.01)
    assert osp.isfile(cs_dir / 'resultPixelLevelSemanticLabeling.json')


SUBMISSION_BODY = '''
test_dataloader = dict(dataset=dict(
    with_labels=False,
    pipeline=[
        dict(type='LoadDAImageFromFile'),
        dict(type='Resize', scale=(256, 128), keep_ratio=True),
        dict(type='PackSegInputs'),
    ]))
'''


@pytest.mark.slow
def test_split_without_labels_writes_a_submission(sim2real_tiny, tmp_path):
    """A test split without ground truth: result files, no scores;
    --cityscapes-eval is refused with a clear message."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    config = _config(tmp_path, 'submission.py', SUBMISSION_BODY)
    model = MODELS.build(Config.fromfile(config).model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}},
               tmp_path / 'init.pth')
    cs_dir = tmp_path / 'submission'
    argv = [osp.join(REPO, 'tools', 'test.py'), config,
            str(tmp_path / 'init.pth'), '--work-dir', str(tmp_path / 'w'),
            '--cityscapes-format', str(cs_dir), '--cfg-options'] + NO_WORKERS
    proc = run_tool_forked(argv, cwd=sim2real_tiny)
    assert len(glob.glob(str(cs_dir / '*' / '*_leftImg8bit.png'))) == 4
    assert 'Cityscapes result files (4 images, labelIds)' in (
        proc.stdout + proc.stderr)
    bad = run_tool_forked(argv[:-1 - len(NO_WORKERS)] + ['--cityscapes-eval'],
                          cwd=sim2real_tiny, check=False)
    assert bad.returncode != 0
    assert '--cityscapes-eval needs ground truth' in bad.stderr
