"""Human annotation through files (``mmda.active.annotation_exchange``,
``FileAnnotator``, ``tools/active_annotation.py``).

(a) export -> fill ``labels/`` -> import is exact; every validation error
    names its file; the FileAnnotator, the hook's pause / import logic
    (no training) and the command-line tool.
(b) End to end on the tiny sim2real benchmark: a FileAnnotator run stops at
    its selection iteration with the export, an incomplete ``labels/``
    refuses to resume, ``simulate`` fills it, and the resumed run ends with
    the ledger (and weights) of the SimulatedAnnotator run.
"""
import hashlib
import json
import os
import os.path as osp
import runpy

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmseg.registry import TASK_UTILS

from conftest import REPO, run_tool_forked
from mmda.active import AnnotationRequest, BaseAnnotator, FileAnnotator
from mmda.active.annotation_exchange import (AnnotationError, check_round,
                                             export_requests, import_labels,
                                             label_status, read_manifest)
from mmda.active.label_ledger import ActiveLabelLedger

TOOL = osp.join(REPO, 'tools', 'active_annotation.py')
NUM_CLASSES = 19
CLASSES = [f'class{i}' for i in range(NUM_CLASSES)]
# (key, (height, width)); the keys are Cityscapes image stems
IMAGES = [('aachen_000000_000019_leftImg8bit', (12, 20)),
          ('bochum_000001_000019_leftImg8bit', (16, 8)),
          ('bremen_000002_000019_leftImg8bit', (10, 10))]


def tool(argv):
    """Exit status of ``tools/active_annotation.py ARGV``, run in this
    process."""
    return runpy.run_path(TOOL)['main']([str(a) for a in argv])


def make_requests(tmp_path, seed=0):
    rng = np.random.default_rng(seed)
    requests = []
    for key, shape in IMAGES:
        mask = rng.random(shape) < 0.3
        mask[0, 0] = True  # never empty
        requests.append((key, str(tmp_path / 'images' / f'{key}.png'), mask))
    return requests


def annotate(round_dir, requests, seed=1):
    """Write labels for every request: random class ids or 255 inside the
    mask, values no label may hold (19, 200) outside. Returns the expected
    import."""
    rng = np.random.default_rng(seed)
    expected = {}
    for key, _, mask in requests:
        labels = rng.integers(0, NUM_CLASSES, mask.shape).astype(np.uint8)
        labels[rng.random(mask.shape) < 0.1] = 255
        labels[~mask] = rng.choice([19, 200], int((~mask).sum()))
        assert cv2.imwrite(osp.join(round_dir, 'labels', f'{key}.png'),
                           labels)
        expected[key] = np.where(mask, labels, 255).astype(np.uint8)
    return expected


@pytest.fixture
def exported(tmp_path):
    requests = make_requests(tmp_path)
    round_dir = export_requests(
        str(tmp_path / 'annotation'), 2, requests, NUM_CLASSES, CLASSES)
    return round_dir, requests


@pytest.fixture
def filled(exported):
    round_dir, requests = exported
    annotate(round_dir, requests)
    return round_dir, requests


# ----------------------------------------------------------------------------
# (a) the exchange
# ----------------------------------------------------------------------------
def test_export_layout_and_manifest(tmp_path, exported):
    round_dir, requests = exported
    assert round_dir == str(tmp_path / 'annotation' / 'round_002')
    # written atomically: nothing but the round is left in the root
    assert os.listdir(tmp_path / 'annotation') == ['round_002']
    assert sorted(os.listdir(round_dir)) == ['labels', 'manifest.json',
                                             'masks']
    assert os.listdir(osp.join(round_dir, 'labels')) == ['README.txt']
    readme = open(osp.join(round_dir, 'labels', 'README.txt')).read()
    assert 'labels/<key>.png' in readme and '255' in readme
    assert ' 18  class18' in readme
    manifest = read_manifest(round_dir)
    assert manifest['round'] == 2 and manifest['num_classes'] == NUM_CLASSES
    assert manifest['class_names'] == CLASSES
    assert [e['key'] for e in manifest['images']] == [k for k, _ in IMAGES]
    for entry, (key, image, mask) in zip(manifest['images'], requests):
        assert entry['image'] == image and osp.isabs(entry['image'])
        assert entry['mask'] == f'masks/{key}.png'
        assert (entry['height'], entry['width']) == mask.shape
        assert entry['num_pixels'] == mask.sum()
        path = osp.join(round_dir, entry['mask'])
        with open(path, 'rb') as f:
            assert entry['mask_sha256'] == hashlib.sha256(
                f.read()).hexdigest()
        png = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        assert png.dtype == np.uint8 and png.ndim == 2
        assert np.array_equal(png, mask.astype(np.uint8) * 255)
    status = label_status(round_dir)
    assert status['requested'] == 3 and status['labelled'] == 0
    assert status['missing'] == [
        osp.join(round_dir, 'labels', f'{k}.png') for k, _ in IMAGES
    ]


def test_round_trip_is_exact(exported):
    round_dir, requests = exported
    expected = annotate(round_dir, requests)
    labels = import_labels(round_dir)
    assert sorted(labels) == sorted(expected)
    for key, want in expected.items():
        assert labels[key].dtype == np.uint8
        assert np.array_equal(labels[key], want)
    assert check_round(round_dir) == []
    assert label_status(round_dir)['missing'] == []


def test_export_never_overwrites_labels(tmp_path, exported):
    round_dir, requests = exported
    root = str(tmp_path / 'annotation')
    with pytest.raises(FileExistsError, match='round_002'):
        export_requests(root, 2, requests, NUM_CLASSES, CLASSES)
    # a stale export without labels may be replaced ...
    other = make_requests(tmp_path, seed=5)
    export_requests(root, 2, other, NUM_CLASSES, CLASSES, overwrite=True)
    assert read_manifest(round_dir)['images'][0]['num_pixels'] == \
        other[0][2].sum()
    # ... but not one that holds labels
    annotate(round_dir, other)
    with pytest.raises(FileExistsError, match='3 label file'):
        export_requests(root, 2, requests, NUM_CLASSES, CLASSES,
                        overwrite=True)
    assert os.listdir(root) == ['round_002']


def test_export_rejects_bad_requests(tmp_path):
    mask = np.ones((2, 2), bool)
    with pytest.raises(ValueError, match='duplicate'):
        export_requests(str(tmp_path), 1, [('a', 'a.png', mask)] * 2, 3)
    with pytest.raises(ValueError, match='invalid image key'):
        export_requests(str(tmp_path), 1, [('../a', 'a.png', mask)], 3)
    with pytest.raises(ValueError, match='class names'):
        export_requests(str(tmp_path), 1, [('a', 'a.png', mask)], 3, ['x'])


KEY = IMAGES[1][0]
LABEL = f'labels/{KEY}.png'


def _write(round_dir, rel, data):
    path = osp.join(round_dir, rel)
    if isinstance(data, bytes):
        with open(path, 'wb') as f:
            f.write(data)
    else:
        assert cv2.imwrite(path, data)


def _inside_value(round_dir, value):
    labels = cv2.imread(osp.join(round_dir, LABEL), cv2.IMREAD_UNCHANGED)
    mask = cv2.imread(osp.join(round_dir, 'masks', f'{KEY}.png'), 0) > 0
    labels[np.argwhere(mask)[0][0], np.argwhere(mask)[0][1]] = value
    _write(round_dir, LABEL, labels)


# name: (break the filled round, file named in the error, words of the error)
BREAKS = {
    'manifest missing':
    (lambda d: os.remove(osp.join(d, 'manifest.json')), 'manifest.json',
     'is missing'),
    'manifest corrupt': (lambda d: _write(d, 'manifest.json', b'{"round'),
                         'manifest.json', 'corrupt'),
    'manifest without images':
    (lambda d: _write(d, 'manifest.json', json.dumps(dict(version=1)).encode()
                      ), 'manifest.json', 'corrupt: no round'),
    'mask changed':
    (lambda d: _write(d, f'masks/{KEY}.png', np.zeros(IMAGES[1][1], np.uint8)),
     f'masks/{KEY}.png', 'sha256'),
    'label missing': (lambda d: os.remove(osp.join(d, LABEL)), LABEL,
                      '1 of 3 label file(s) missing'),
    'wrong size': (lambda d: _write(d, LABEL, np.zeros((16, 9), np.uint8)),
                   LABEL, '9x16 (width x height) but the image is 8x16'),
    'unreadable': (lambda d: _write(d, LABEL, b'not a png'), LABEL,
                   'unreadable'),
    'empty file': (lambda d: _write(d, LABEL, b''), LABEL, 'unreadable'),
    'multi-channel': (lambda d: _write(d, LABEL, np.zeros(
        IMAGES[1][1] + (3, ), np.uint8)), LABEL, '3 channels'),
    '16-bit': (lambda d: _write(d, LABEL, np.zeros(IMAGES[1][1], np.uint16)),
               LABEL, '8-bit'),
    'class id too large': (lambda d: _inside_value(d, NUM_CLASSES), LABEL,
                           'neither a class id'),
    'label 254': (lambda d: _inside_value(d, 254), LABEL,
                  'hold 254, which is neither a class id'),
    'extra label file':
    (lambda d: _write(d, 'labels/lindau_000000_000019_leftImg8bit.png',
                      np.zeros((4, 4), np.uint8)),
     'labels/lindau_000000_000019_leftImg8bit.png', 'unexpected file'),
    'label with another extension':
    (lambda d: _write(d, f'labels/{KEY}.jpg', np.zeros((4, 4), np.uint8)),
     f'labels/{KEY}.jpg', 'unexpected file'),
}


@pytest.mark.parametrize('case', sorted(BREAKS))
def test_validation_errors_name_the_file(filled, case, capsys):
    round_dir, _ = filled
    breaker, name, words = BREAKS[case]
    breaker(round_dir)
    with pytest.raises(AnnotationError) as info:
        import_labels(round_dir)
    message = str(info.value)
    assert osp.join(round_dir, name) in message, message
    assert words in message, message
    # the same problem through check_round and the command-line tool
    errors = check_round(round_dir)
    assert len(errors) == 1 and osp.join(round_dir, name) in errors[0]
    assert tool(['check', round_dir]) == 1
    assert words in capsys.readouterr().out


def test_all_problems_are_reported_at_once(filled):
    round_dir, _ = filled
    os.remove(osp.join(round_dir, LABEL))
    first = IMAGES[0][0]
    _write(round_dir, f'labels/{first}.png', b'junk')
    _write(round_dir, 'labels/stray.png', np.zeros((2, 2), np.uint8))
    errors = check_round(round_dir)
    assert len(errors) == 3
    joined = '\n'.join(errors)
    for name in (LABEL, f'labels/{first}.png', 'labels/stray.png'):
        assert osp.join(round_dir, name) in joined


# ----------------------------------------------------------------------------
# the annotator and the tool
# ----------------------------------------------------------------------------
def file_annotator(work_dir):
    """A FileAnnotator set up as the hook does before training."""
    init_default_scope('mmseg')
    annotator = TASK_UTILS.build(dict(type='FileAnnotator'))
    annotator.setup(str(work_dir), CLASSES)
    return annotator


def submit(annotator, round_no, requests):
    """Request ``requests`` (two batches, as the hook's scoring loop does)
    and submit the round; returns its directory."""
    picks = [AnnotationRequest(*r) for r in requests]
    annotator.request(round_no, picks[:1])
    annotator.request(round_no, picks[1:])
    annotator.submit(round_no)
    return annotator.round_dir(round_no)


def test_file_annotator(tmp_path):
    annotator = file_annotator(tmp_path)
    assert isinstance(annotator, FileAnnotator)
    assert isinstance(annotator, BaseAnnotator) and annotator.requires_pause
    requests = make_requests(tmp_path)
    round_dir = submit(annotator, 1, requests)
    assert round_dir == str(tmp_path / 'annotation' / 'round_001')
    manifest = read_manifest(round_dir)
    assert [e['key'] for e in manifest['images']] == [k for k, _ in IMAGES]
    assert manifest['class_names'] == CLASSES
    assert len(annotator.pending(1)) == 3
    selected = {key: mask for key, _, mask in requests}
    with pytest.raises(AnnotationError, match='3 of 3 label files are '
                       'missing'):
        annotator.collect(1, selected)
    # re-submitting a round without labels replaces it (a rerun)
    round_dir = submit(annotator, 1, requests)
    expected = annotate(round_dir, requests)
    assert annotator.pending(1) == []
    labels = annotator.collect(1, selected)
    assert sorted(labels) == sorted(selected)
    assert all(np.array_equal(labels[k], v) for k, v in expected.items())
    # a round with labels is never replaced
    with pytest.raises(FileExistsError, match='holds 3 label file'):
        submit(annotator, 1, requests)
    # the exchange must hold exactly the selection being resumed
    other = dict(selected)
    other[KEY] = ~other[KEY]
    with pytest.raises(AnnotationError, match=f'masks/{KEY}.png is not'):
        annotator.collect(1, other)
    del other[KEY]
    with pytest.raises(AnnotationError, match='another run'):
        annotator.collect(1, other)
    with pytest.raises(AnnotationError, match='manifest.json is missing'):
        annotator.pending(9)
    # nothing requested: nothing written
    annotator.submit(2)
    assert not osp.exists(annotator.round_dir(2))
    instructions = annotator.instructions(1)
    assert f'{round_dir}/labels/<key>.png' in instructions
    assert f'active_annotation.py check {round_dir}' in instructions
    with pytest.raises(RuntimeError, match='setup'):
        FileAnnotator().round_dir(1)


def test_simulated_annotator():
    from mmengine.structures import PixelData

    from mmseg.structures import SegDataSample
    init_default_scope('mmseg')
    annotator = TASK_UTILS.build(dict(type='SimulatedAnnotator'))
    assert isinstance(annotator, BaseAnnotator)
    assert not annotator.requires_pause
    gt = np.arange(30, dtype=np.int64).reshape(5, 6) % NUM_CLASSES
    gt[0, 0] = 255
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
    mask = np.zeros((5, 6), bool)
    mask[0, :3] = mask[4, 5] = True
    annotator.request(1, [AnnotationRequest('a', 'a.png', mask, sample)])
    labels = annotator.collect(1, {'a': mask})
    want = np.full((5, 6), 255, np.uint8)
    want[mask] = gt[mask]
    assert labels['a'].dtype == np.uint8
    assert np.array_equal(labels['a'], want)
    # answered once; another selection or round was not requested
    with pytest.raises(KeyError, match='not requested'):
        annotator.collect(1, {'a': mask})
    annotator.request(2, [AnnotationRequest('a', 'a.png', mask, sample)])
    with pytest.raises(KeyError, match='not requested'):
        annotator.collect(2, {'a': ~mask})
    with pytest.raises(KeyError, match='LoadDAAnnotations'):
        annotator.request(1, [AnnotationRequest('b', 'b.png', mask,
                                                SegDataSample())])
    with pytest.raises(ValueError, match='after Resize'):
        annotator.request(1, [AnnotationRequest('b', 'b.png',
                                                np.zeros((2, 2), bool),
                                                sample)])


def write_cityscapes_gt(root, shapes, seed=2):
    """Cityscapes-layout trainId ground truth for ``shapes`` (key ->
    (H, W)); returns key -> gt."""
    rng = np.random.default_rng(seed)
    gts = {}
    for key, shape in shapes.items():
        city = key.split('_')[0]
        stem = key[:-len('_leftImg8bit')]
        folder = root / 'gtFine' / 'train' / city
        folder.mkdir(parents=True, exist_ok=True)
        gt = rng.integers(0, NUM_CLASSES, shape).astype(np.uint8)
        gt[0] = 255
        cv2.imwrite(str(folder / f'{stem}_gtFine_labelTrainIds.png'), gt)
        gts[key] = gt
    return gts


def test_tool_status_simulate_check(tmp_path, capsys):
    work_dir = tmp_path / 'work'
    requests = make_requests(tmp_path)
    round_dir = submit(file_annotator(work_dir), 1, requests)
    assert tool(['export-status', str(work_dir)]) == 0
    out = capsys.readouterr().out
    assert '3 images requested, 0 labelled (waiting for labels)' in out
    assert out.count('missing: ') == 3
    assert tool(['check', round_dir]) == 1
    assert '3 of 3 label file(s) missing' in capsys.readouterr().out

    gts = write_cityscapes_gt(tmp_path / 'cityscapes', dict(IMAGES))
    assert tool(['simulate', round_dir, tmp_path / 'cityscapes']) == 0
    assert 'wrote 3 label files' in capsys.readouterr().out
    labels = import_labels(round_dir)
    for key, _, mask in requests:
        assert np.array_equal(labels[key], np.where(mask, gts[key], 255))
    assert tool(['check', round_dir]) == 0
    assert 'OK, 3 label files' in capsys.readouterr().out
    assert tool(['export-status', str(work_dir)]) == 0
    assert '3 labelled (labelled, ready to resume)' in \
        capsys.readouterr().out
    # a published ledger with the round marks it imported
    ledger = ActiveLabelLedger(NUM_CLASSES)
    ledger.close_round(2, 0)
    ledger.save(str(work_dir / 'active_ledger'))
    assert tool(['export-status', str(work_dir)]) == 0
    assert 'imported into the ledger' in capsys.readouterr().out
    # no rounds at all
    assert tool(['export-status', str(tmp_path)]) == 1


def make_file_hook(tmp_path, budget_ratio=0.25):
    """An ActiveSelectionHook with a FileAnnotator, a fake runner and a
    fake scoring set, for the pause / resume logic without training."""
    from types import SimpleNamespace

    from mmengine.logging import MMLogger

    from mmda.engine.hooks.active_selection_hook import ActiveSelectionHook
    init_default_scope('mmseg')
    hook = ActiveSelectionHook(
        dataloader=dict(),
        select_iters=[3],
        budget_ratio=budget_ratio,
        annotator=dict(type='FileAnnotator'),
        num_vis=0)
    hook.ledger = ActiveLabelLedger(3, budget_ratio=budget_ratio)
    hook.ledger_root = str(tmp_path / 'active_ledger')
    hook._dataloader = SimpleNamespace(dataset=SimpleNamespace(
        metainfo=dict(classes=('a', 'b', 'c'))))
    hook.annotator.setup(str(tmp_path), ('a', 'b', 'c'))
    scalars = []  # what reaches the visualisation backends
    runner = SimpleNamespace(
        rank=0, iter=3, work_dir=str(tmp_path),
        logger=MMLogger.get_instance('test_annotation_exchange'),
        visualizer=SimpleNamespace(
            add_scalars=lambda values, step: scalars.append((step, values)),
            scalars=scalars))
    return hook, runner


def test_hook_pause_and_import_without_training(tmp_path):
    from mmda.active.label_ledger import ACTIVE, LABELLED_IGNORE, encode_map
    hook, runner = make_file_hook(tmp_path)
    logits = torch.zeros(3, 12, 12)
    logits[:, 4:7, 4:7] = torch.randn(3, 3, 3, generator=torch.Generator(
    ).manual_seed(0))
    # the scoring loop's step: select, request (not answered yet)
    new_map, selected = hook.select_image('img', logits, None, 'img.png')
    assert selected.sum() > 0 and not np.any(new_map < ACTIVE)
    merged = [('img', encode_map(new_map),
               encode_map(selected.astype(np.uint8)))]
    hook._request_labels(runner, 1, 3, merged)
    # exported, nothing recorded, waiting
    assert hook._pending['round'] == 1 and hook._stop_for_annotation
    assert hook.ledger.num_rounds == 0
    round_dir = hook.annotator.round_dir(1)
    assert read_manifest(round_dir)['class_names'] == ['a', 'b', 'c']
    with pytest.raises(AnnotationError, match='1 of 1 label files'):
        hook._import_pending(runner)
    labels = np.full((12, 12), 7, np.uint8)  # outside the mask: not read
    labels[selected] = 1
    labels[np.argwhere(selected)[0][0], np.argwhere(selected)[0][1]] = 255
    cv2.imwrite(osp.join(round_dir, 'labels', 'img.png'), labels)
    # a checkpoint of another iteration does not fit the pending round
    runner.iter = 4
    with pytest.raises(RuntimeError, match='does not fit'):
        hook._import_pending(runner)
    runner.iter = 3
    hook._import_pending(runner)
    assert hook._pending is None and hook.ledger.num_rounds == 1
    want = new_map.copy()
    want[selected] = np.where(labels[selected] == 255, LABELLED_IGNORE, 1)
    assert np.array_equal(hook.ledger.get('img'), want)
    assert hook.ledger.rounds[0]['iter'] == 3
    assert ActiveLabelLedger.load(hook.ledger_root).state_dict() == \
        hook.ledger.state_dict()
    # the round's statistics reached the visualisation backends
    from scipy import ndimage
    n = int(selected.sum())
    regions = ndimage.label(selected, structure=np.ones((3, 3)))[1]
    assert regions >= 2  # several windows, some may touch
    ((step, stats), ) = runner.visualizer.scalars
    assert step == 3
    assert stats == {
        'active/round': 1,
        'active/new_pixels': n,
        'active/new_regions': regions,
        'active/images_with_new_labels': 1,
        'active/labelled_pixels': n,
        'active/labelled_share': 100.0 * n / 144,
        'active/new_labels.a': 0,
        'active/new_labels.b': n - 1,
        'active/new_labels.c': 0,
        'active/new_labels.ignore': 1,
    }


def test_hook_does_not_stop_when_nothing_is_selected(tmp_path):
    from mmda.active.label_ledger import UNTOUCHED, encode_map
    hook, runner = make_file_hook(tmp_path)
    empty = np.full((12, 12), UNTOUCHED, np.uint8)
    merged = [('img', encode_map(empty),
               encode_map(np.zeros((12, 12), np.uint8)))]
    hook._request_labels(runner, 1, 3, merged)
    assert hook._pending is None and not hook._stop_for_annotation
    assert hook.ledger.num_rounds == 1
    assert not osp.exists(tmp_path / 'annotation')


# ----------------------------------------------------------------------------
# (b) end to end: stop for annotation, label, resume
# ----------------------------------------------------------------------------
RA_CONFIG = osp.join(
    REPO, 'configs', 'ripu',
    'ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
E2E_OPTIONS = [
    'custom_hooks.0.select_iters=[2]',
    'train_cfg.max_iters=4',
    'train_cfg.val_interval=4',
    'default_hooks.logger.interval=1',
    'custom_hooks.0.dataloader.num_workers=0',
    # no random flips: numpy's global generator is in no checkpoint, and
    # the resumed run should reproduce the uninterrupted one bit for bit
    'train_dataloader.dataset.source.pipeline.3.prob=0.',
    'train_dataloader.dataset.target.pipeline.3.prob=0.',
] + [
    f'{loader}.{key}={value}'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for key, value in (('num_workers', 0), ('persistent_workers', False))
]
FILE_ANNOTATOR = ['custom_hooks.0.annotator.type=FileAnnotator']


def train_argv(work_dir, extra=(), resume=False):
    argv = [osp.join(REPO, 'tools', 'train.py'), RA_CONFIG, '--work-dir',
            str(work_dir)]
    if resume:
        argv.append('--resume')
    return argv + ['--cfg-options'] + E2E_OPTIONS + list(extra)


def load_ckpt(path):
    return torch.load(path, map_location='cpu', weights_only=True)


@pytest.mark.slow
def test_e2e_stop_label_resume_equals_simulated(sim2real_tiny):
    cwd = sim2real_tiny
    simulated = cwd / 'work_dirs' / 'ripu_ra_simulated_annotator'
    run_tool_forked(train_argv(simulated), cwd=cwd)

    # 1. the run stops after iteration 2 with the export
    work_dir = cwd / 'work_dirs' / 'ripu_ra_file_annotator'
    proc = run_tool_forked(train_argv(work_dir, FILE_ANNOTATOR), cwd=cwd)
    text = proc.stdout + proc.stderr
    round_dir = work_dir / 'annotation' / 'round_001'
    assert 'Training stopped at iteration 2 for the human annotation' in text
    assert f'{round_dir}/labels/<key>.png' in text and '--resume' in text
    assert 'Iter(train) [2/4]' in text and 'Iter(train) [3/4]' not in text
    ckpt_path = work_dir / 'iter_2_annotation.pth'
    # named relative to the work dir
    assert (work_dir / 'last_checkpoint').read_text() == ckpt_path.name
    assert not (work_dir / 'iter_4.pth').exists()
    ckpt = load_ckpt(ckpt_path)
    assert ckpt['meta']['iter'] == 2
    assert ckpt['active_ledger']['rounds'] == []  # nothing labelled yet
    assert ckpt['active_pending']['round'] == 1
    assert ckpt['active_pending']['iter'] == 2
    manifest = read_manifest(str(round_dir))
    assert len(manifest['images']) == 8
    want = ActiveLabelLedger.load(str(simulated / 'active_ledger'))
    assert sum(e['num_pixels'] for e in manifest['images']) == \
        want.rounds[0]['new_pixels']

    # 2. resuming before the labels are complete is a clear error
    assert tool(['simulate', round_dir,
                 cwd / 'data' / 'sim2real' / 'cityscapes']) == 0
    missing = sorted(n for n in os.listdir(round_dir / 'labels')
                     if n.endswith('.png'))[:2]
    for name in missing:
        os.remove(round_dir / 'labels' / name)
    failed = run_tool_forked(
        train_argv(work_dir, FILE_ANNOTATOR, resume=True), cwd=cwd,
        check=False)
    assert failed.returncode != 0
    assert '2 of 8 label files are missing' in failed.stderr
    for name in missing:
        assert str(round_dir / 'labels' / name) in failed.stderr
    assert not (work_dir / 'iter_4.pth').exists()

    # 3. label with the tool, check, resume: the round is imported, not
    # scored again, and training finishes
    proc = run_tool_forked([
        TOOL, 'simulate',
        str(round_dir), 'data/sim2real/cityscapes'
    ], cwd=cwd)
    assert 'wrote 8 label files' in proc.stdout
    proc = run_tool_forked([TOOL, 'check', str(round_dir)], cwd=cwd)
    assert 'OK, 8 label files' in proc.stdout
    proc = run_tool_forked(train_argv(work_dir, FILE_ANNOTATOR, resume=True),
                           cwd=cwd)
    text = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 2' in text
    assert 'importing the labels' in text
    assert 'target images on' not in text  # not scored again
    assert 'Iter(train) [4/4]' in text

    # the ledger of the SimulatedAnnotator run, on disk and in the
    # checkpoint; and (the data stream restarts at iteration 2 in both)
    # the same weights
    got = ActiveLabelLedger.load(str(work_dir / 'active_ledger'))
    assert got.rounds == want.rounds == [
        dict(round=1, iter=2, new_pixels=want.rounds[0]['new_pixels'],
             labelled_pixels=want.rounds[0]['new_pixels'])
    ]
    assert got.state_dict() == want.state_dict()
    final, reference = (load_ckpt(d / 'iter_4.pth')
                        for d in (work_dir, simulated))
    assert final['meta']['iter'] == 4
    assert final['active_ledger'] == reference['active_ledger']
    assert 'active_pending' not in final
    for k, v in reference['state_dict'].items():
        assert torch.equal(final['state_dict'][k], v), k
    proc = run_tool_forked([TOOL, 'export-status', str(work_dir)], cwd=cwd)
    assert '8 labelled (imported into the ledger)' in proc.stdout
