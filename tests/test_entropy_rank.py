"""IntraDA's entropy ranking: exact splits and factors, the ranking tool's
files, the split datasets, and the one-command pipeline."""
import json
import os
import os.path as osp
import runpy

import mmcv
import numpy as np
import pytest
import torch

from conftest import REPO, run_tool_forked
from mmda.datasets import EntropySplitDataset
from mmda.intrada import (RARE_CLASSES, image_entropy_score, load_manifest,
                          pseudo_label, rare_class_factor, rare_class_indices,
                          split_easy_hard)
from mmda.datasets.label_maps import CITYSCAPES_CLASSES
from mmda.datasets.label_spaces import classes_of

ADVENT = osp.join(REPO, 'configs', 'advent',
                  'advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
INTRADA = osp.join(REPO, 'configs', 'intrada',
                   'intrada_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
TINY = [
    'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False'
]


def test_split_sizes_and_order():
    scores = {'a': 0.5, 'b': 0.1, 'c': 0.9, 'd': 0.3, 'e': 0.3, 'f': 0.7}
    easy, hard = split_easy_hard(scores, 0.67)
    # int(6 * 0.67) = 4 easiest (ties by name: d before e)
    assert easy == ['b', 'd', 'e', 'a']
    assert hard == ['f', 'c']
    easy, hard = split_easy_hard(scores, 0.5)
    assert (easy, hard) == (['b', 'd', 'e'], ['a', 'f', 'c'])
    for bad in (0., 1., 1.5):
        with pytest.raises(ValueError, match='lambda'):
            split_easy_hard(scores, bad)
    with pytest.raises(ValueError, match='no images'):
        split_easy_hard({}, 0.5)


def test_rare_class_factor():
    assert rare_class_indices(CITYSCAPES_CLASSES) == [
        3, 4, 5, 6, 7, 9, 12, 14, 15, 16, 17]
    rare = rare_class_indices(CITYSCAPES_CLASSES)
    pred = torch.tensor([[0, 3, 3], [5, 10, 18]])
    # 2 of the 11 rare classes present: (11 - 2) / 11 + 0.5
    assert rare_class_factor(pred, rare) == pytest.approx(9 / 11 + 0.5)
    assert rare_class_factor(torch.zeros(2, 2, dtype=torch.long),
                             rare) == 1.5
    assert rare_class_factor(torch.tensor(rare), rare) == 0.5
    # the 16-class protocol has 8 of the rare classes (no terrain, truck,
    # train); the factor uses K = 8
    rare16 = rare_class_indices(classes_of(16))
    assert len(rare16) == 8
    assert rare_class_factor(torch.tensor(rare16[:2]), rare16) == \
        pytest.approx(6 / 8 + 0.5)
    # the paper's rare classes (trainIds 3-7, 9, 12, 14-17), by name
    assert RARE_CLASSES == ('wall', 'fence', 'pole', 'traffic light',
                            'traffic sign', 'terrain', 'rider', 'truck',
                            'bus', 'train', 'motorcycle')


def test_image_entropy_score():
    logits = torch.zeros(3, 19, 4, 4)
    logits[1, 2] = 50.  # confident: entropy ~0
    logits[2, :, :2] = torch.randn(19, 2, 4)
    scores = image_entropy_score(logits)
    assert scores[0].item() == pytest.approx(1.)
    assert scores[1].item() == pytest.approx(0., abs=1e-6)
    p = logits[2:].softmax(1)
    want = (-(p * torch.log2(p)).sum(1) / np.log2(19)).mean()
    assert scores[2].item() == pytest.approx(want.item(), rel=1e-5)


@pytest.fixture(scope='module')
def stage1(sim2real_tiny, tmp_path_factory):
    """A 2-iteration AdvEnt run (stage 1) on the tiny benchmark."""
    work_dir = tmp_path_factory.mktemp('stage1')
    run_tool_forked([
        osp.join(REPO, 'tools', 'train.py'), ADVENT, '--work-dir', work_dir,
        '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2'
    ] + TINY, cwd=sim2real_tiny)
    return work_dir / 'iter_2.pth'


def test_pseudo_label_is_the_argmax_at_the_test_size_upsampled():
    """IntraDA's pseudo-label: the argmax at the size the model saw (the
    official 1024x512), then nearest-neighbour upsampling to the label
    size; not the argmax of bilinearly upsampled scores, which here moves
    the class boundary."""
    logits = torch.tensor([[[10., 0.], [0., 0.]],
                           [[0., 1.], [1., 1.]]])[None]  # 1x2x2x2
    label = pseudo_label(logits, (4, 4))
    assert label.dtype == torch.int64
    assert label.tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 1, 1],
                              [1, 1, 1, 1]]
    bilinear = torch.nn.functional.interpolate(
        logits, size=(4, 4), mode='bilinear', align_corners=False)
    assert bilinear[0].argmax(0)[1, 2] == 0  # (the old way differs)
    # 512x1024 -> 1024x2048 (Cityscapes): each prediction pixel 2x2
    prediction = torch.randint(0, 19, (512, 1024))
    logits = torch.nn.functional.one_hot(prediction, 19).permute(
        2, 0, 1)[None].float()
    label = pseudo_label(logits, (1024, 2048))
    assert torch.equal(label, prediction.repeat_interleave(
        2, 0).repeat_interleave(2, 1))


def test_entropy_rank_tool_writes_splits(sim2real_tiny, stage1, tmp_path,
                                         monkeypatch, capsys):
    out = tmp_path / 'rank'
    tool = osp.join(REPO, 'tools', 'entropy_rank.py')
    run_tool_forked([tool, ADVENT, stage1, '--out-dir', out, '--lambda',
                     '0.5', '--normalize'], cwd=sim2real_tiny)
    manifest = load_manifest(str(out))
    assert manifest['num_images'] == 8 and manifest['num_easy'] == 4
    assert manifest['normalize'] is True and manifest['easy_fraction'] == 0.5
    images = manifest['images']
    scores = [img['score'] for img in images]
    assert scores == sorted(scores)
    assert [img['split'] for img in images] == ['easy'] * 4 + ['hard'] * 4
    assert [('pseudo_label' in img) for img in images] == \
        [True] * 4 + [False] * 4
    # --normalize: the 11 rare classes, factors (11 - n) / 11 + 0.5
    assert manifest['rare_classes'] == list(RARE_CLASSES)
    factors = {(11 - n) / 11 + 0.5 for n in range(12)}
    for img in images:
        assert img['score'] == pytest.approx(img['entropy'] *
                                             img['rare_factor'])
        assert any(img['rare_factor'] == pytest.approx(f) for f in factors)
    lines = [
        line.strip() for line in open(out / 'easy_split.txt')
        if not line.startswith('#')
    ]
    assert lines == [img['stem'] for img in images[:4]]
    labels = sorted(
        osp.relpath(osp.join(d, f), out)
        for d, _, files in os.walk(out / 'pseudo_labels') for f in files)
    assert labels == sorted(img['pseudo_label'] for img in images[:4])
    img = mmcv.imread(images[0]['img_path'])
    label = mmcv.imread(str(out / images[0]['pseudo_label']), 'unchanged')
    assert label.shape == img.shape[:2] and label.max() < 19
    assert os.listdir(tmp_path) == ['rank']  # no temporary directory left

    easy = EntropySplitDataset(manifest=str(out), split='easy', pipeline=[])
    hard = EntropySplitDataset(
        manifest=str(out / 'manifest.json'), split='hard',
        with_labels=False, pipeline=[])
    infos = [easy.get_data_info(i) for i in range(len(easy))]
    assert [d['img_path'] for d in infos] == \
        [i['img_path'] for i in images[:4]]
    assert [d['seg_map_path'] for d in infos] == \
        [str(out / i['pseudo_label']) for i in images[:4]]
    assert len(hard) == 4 and 'seg_map_path' not in hard.get_data_info(0)
    with pytest.raises(ValueError, match='no pseudo-labels'):
        EntropySplitDataset(manifest=str(out), split='hard', pipeline=[])

    # the tool's refusals, in this process (no start-up per refusal)
    monkeypatch.chdir(sim2real_tiny)
    rank = runpy.run_path(tool)['main']
    # an existing ranking is never overwritten silently
    with pytest.raises(FileExistsError, match='exists'):
        rank([ADVENT, str(stage1), '--out-dir', str(out)])
    # flags are real booleans: "--normalize False" is an error
    capsys.readouterr()
    for argv, error in (([ADVENT, str(stage1), '--out-dir',
                          str(tmp_path / 'x'), '--normalize', 'False'],
                         'unrecognized arguments: False'),
                        ([ADVENT, str(stage1), '--lambda', '1.5'],
                         '--lambda must be in (0, 1)')):
        with pytest.raises(SystemExit) as exc:
            rank(argv)
        assert exc.value.code == 2
        assert error in capsys.readouterr().err
    assert os.listdir(tmp_path) == ['rank']


def test_16_class_pseudo_labels_are_train_ids(tmp_path):
    """Pseudo-labels of a 16-class model are written as 19-class trainIds
    (like every label file) and come back through the dataset's label map
    as the model's own ids."""
    from mmda.datasets import protocol_to_train_id_lut, train_id_lut
    from mmda.datasets.transforms import LoadDAAnnotations
    from mmda.intrada.split_manifest import (MANIFEST_FORMAT,
                                             MANIFEST_VERSION)
    ids16 = np.arange(16, dtype=np.uint8)
    train_ids = protocol_to_train_id_lut(16)[ids16]
    # sky is 9 of 16 and trainId 10, car 12 and 13, bicycle 15 and 18
    assert (train_ids[9], train_ids[12], train_ids[15]) == (10, 13, 18)
    assert np.array_equal(train_id_lut(16)[train_ids], ids16)
    img = tmp_path / 'a.png'
    mmcv.imwrite(np.zeros((2, 8, 3), np.uint8), str(img))
    os.makedirs(tmp_path / 'pseudo_labels')
    mmcv.imwrite(np.stack([train_ids[:8], train_ids[8:]]),
                 str(tmp_path / 'pseudo_labels' / 'a.png'))
    (tmp_path / 'manifest.json').write_text(json.dumps(dict(
        format=MANIFEST_FORMAT, version=MANIFEST_VERSION, easy_fraction=0.5,
        normalize=False, classes=list(classes_of(16)),
        images=[dict(stem='a', img_path=str(img), split='easy',
                     pseudo_label='pseudo_labels/a.png')])))
    dataset = EntropySplitDataset(manifest=str(tmp_path), split='easy',
                                  pipeline=[])
    loaded = LoadDAAnnotations()(dataset.get_data_info(0))
    assert np.array_equal(loaded['gt_seg_map'], ids16.reshape(2, 8))


def test_rank_target_writes_train_ids_for_a_16_class_model(
        sim2real_tiny, tmp_path):
    """A 16-class stage-1 model that predicts "sky" (16-class id 9)
    everywhere: its pseudo-labels hold sky's trainId 10."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseg.registry import MODELS

    from mmda.intrada import rank_target
    cfg = Config.fromfile(ADVENT)
    seg = cfg.model.segmentor
    seg.decode_head.num_classes = seg.auxiliary_head.num_classes = 16
    seg.data_preprocessor = cfg.model.data_preprocessor
    init_default_scope('mmseg')
    model = MODELS.build(seg).eval()
    with torch.no_grad():
        for branch in model.decode_head.aspp_branches:
            branch.weight.zero_()
            branch.bias.zero_()
        model.decode_head.aspp_branches[0].bias[9] = 10.
    loader = cfg.entropy_rank_dataloader
    loader.num_workers = 0
    loader.dataset.num_classes = 16
    loader.dataset.data_root = str(
        sim2real_tiny / 'data' / 'sim2real' / 'cityscapes')
    manifest = rank_target(model, loader.to_dict(), str(tmp_path / 'rank'),
                           easy_fraction=0.5)
    assert manifest['classes'] == list(classes_of(16))
    for img in manifest['images'][:4]:
        label = mmcv.imread(str(tmp_path / 'rank' / img['pseudo_label']),
                            'unchanged')
        assert (label == 10).all(), np.unique(label)


def test_select_snapshot_best_else_last(tmp_path):
    """The stage-1 checkpoint IntraDA ranks with: the best one save_best
    kept, else the last one, each named; several best ones are refused."""
    from mmda.utils.checkpoint_files import select_snapshot
    (tmp_path / 'iter_4.pth').write_bytes(b'x')
    (tmp_path / 'last_checkpoint').write_text('iter_4.pth')
    last = str(tmp_path / 'iter_4.pth')
    path, which = select_snapshot(str(tmp_path))
    assert path == last
    assert which == (f'the last checkpoint {last}: {tmp_path} holds no best '
                     'checkpoint (the config sets no '
                     'default_hooks.checkpoint.save_best)')
    (tmp_path / 'best_mIoU_iter_2.pth').write_bytes(b'x')
    best = str(tmp_path / 'best_mIoU_iter_2.pth')
    assert select_snapshot(str(tmp_path)) == (
        best, f'the best snapshot {best} (kept by save_best)')
    assert select_snapshot(str(tmp_path), 'last')[0] == last
    (tmp_path / 'best_mIoU16_iter_4.pth').write_bytes(b'x')
    with pytest.raises(ValueError, match='several best checkpoints '
                       r'\(best_mIoU16_iter_4.pth, best_mIoU_iter_2.pth\)'):
        select_snapshot(str(tmp_path))
    with pytest.raises(ValueError, match="one of \\('best', 'last'\\)"):
        select_snapshot(str(tmp_path), 'first')
    with pytest.raises(FileNotFoundError, match='holds no checkpoint'):
        select_snapshot(str(tmp_path / 'empty'))


def test_missing_manifest_names_the_step(tmp_path):
    with pytest.raises(FileNotFoundError, match='tools/entropy_rank.py'):
        EntropySplitDataset(manifest=str(tmp_path / 'rank'), pipeline=[])
    (tmp_path / 'manifest.json').write_text(json.dumps({'format': 'x'}))
    with pytest.raises(ValueError, match='not an mmda entropy-ranking'):
        load_manifest(str(tmp_path))


@pytest.mark.slow
def test_intrada_pipeline_one_command(sim2real_tiny, tmp_path, monkeypatch,
                                      capsys):
    tool = osp.join(REPO, 'tools', 'intrada_pipeline.py')
    options = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2'] + TINY
    argv = [tool, ADVENT, INTRADA, '--work-dir', tmp_path / 'intrada',
            '--lambda', '0.75', '--stage1-options'] + options + [
                '--stage2-options'] + options
    out = run_tool_forked(argv, cwd=sim2real_tiny)
    root = tmp_path / 'intrada'
    for path in ('stage1/iter_2.pth', 'stage1/best_mIoU_iter_2.pth',
                 'entropy_rank/manifest.json', 'stage2/iter_2.pth'):
        assert (root / path).is_file(), path
    manifest = load_manifest(str(root / 'entropy_rank'))
    assert manifest['num_easy'] == 6 and manifest['normalize'] is False
    # ranked with stage 1's best checkpoint (save_best), and it says so
    best = str(root / 'stage1' / 'best_mIoU_iter_2.pth')
    assert manifest['checkpoint'] == best
    assert f'[intrada] stage 1: ranking with the best snapshot {best}' in \
        out.stdout
    log = open(next((root / 'stage2').glob('*/*.log'))).read()
    assert 'mIoU' in log
    # stage 2 trained on this ranking: 6 easy (source), 2 hard (target)
    from mmengine.config import Config
    stage2 = Config.fromfile(
        str(root / 'stage2' /
            'intrada_deeplabv2-small_sim2real-gta5-to-cityscapes.py'))
    for domain in ('source', 'target'):
        assert stage2.train_dataloader.dataset[domain].manifest == str(
            root / 'entropy_rank')
    # running it again continues the pipeline: every step is done (run in
    # this process: it starts no step, and prints each command it starts)
    monkeypatch.chdir(sim2real_tiny)
    pipeline = runpy.run_path(tool)['main']
    capsys.readouterr()
    pipeline([str(a) for a in argv[1:]])
    again = capsys.readouterr().out
    assert again.count('skipped') == 3, again
    assert 'tools/train.py' not in again.split('[intrada] done')[0]
    # ... but a ranking made with other settings is never reused silently
    other = [str(a) if a != '0.75' else '0.5' for a in argv[1:]]
    with pytest.raises(SystemExit) as exc:
        pipeline(other)
    assert 'easy_fraction=0.75, this run asks for easy_fraction=0.5' in \
        str(exc.value.code)


def test_export_segmentor_is_plain_mmseg(stage1, tmp_path):
    """The AdvEnt checkpoint's segmentor exports as EncoderDecoder weights
    and config that load strictly without the discriminator."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseg.models.segmentors import EncoderDecoder
    from mmseg.registry import MODELS
    run_tool_forked([osp.join(REPO, 'tools', 'export_segmentor.py'), ADVENT,
                     stage1, tmp_path])
    cfg = Config.fromfile(str(tmp_path / 'segmentor_config.py'))
    assert cfg.model.type == 'EncoderDecoder'
    assert cfg.model.data_preprocessor.type == 'SegDataPreProcessor'
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    assert type(model) is EncoderDecoder
    exported = torch.load(tmp_path / 'segmentor.pth', weights_only=True)
    model.load_state_dict(exported['state_dict'], strict=True)
    source = torch.load(stage1, weights_only=True)['state_dict']
    for key, value in exported['state_dict'].items():
        assert torch.equal(value, source['segmentor.' + key]), key
    assert len(exported['state_dict']) == sum(
        k.startswith('segmentor.') for k in source)
