"""AdvEnt+MinEnt: the test-time SegmentorEnsemble, the checkpoint-gathering
tool and the ensemble configs."""
import os
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from conftest import (NO_WORKERS, REPO, logged_metric, run_script_main,
                      run_tool_forked)

SIM2REAL = osp.join(
    REPO, 'configs', 'advent',
    'advent-minent-ensemble_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
MINENT = osp.join(REPO, 'configs', 'advent',
                  'minent_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
ADVENT = osp.join(REPO, 'configs', 'advent',
                  'advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
#: (a test-only config has no train_dataloader)
TEST_NO_WORKERS = [o for o in NO_WORKERS if o.startswith('test_dataloader.')]
REAL = [
    osp.join(REPO, 'configs', 'advent',
             f'advent-minent-ensemble_deeplabv2-r101_{name}.py')
    for name in ('gta5-to-cityscapes', 'synthia-to-cityscapes-16')
]


def member_cfg(num_classes=19):
    cfg = Config.fromfile(SIM2REAL).model.members.advent
    cfg.decode_head.num_classes = num_classes
    cfg.auxiliary_head.num_classes = num_classes
    return cfg


def random_member(seed, num_classes=19):
    """A randomly initialised member (same ``seed``, same weights)."""
    init_default_scope('mmseg')
    torch.manual_seed(seed)
    return MODELS.build(member_cfg(num_classes))


def build_ensemble(weights=None, fusion='logits', seeds=(0, 1)):
    init_default_scope('mmseg')
    model = MODELS.build(
        dict(type='SegmentorEnsemble',
             members=dict(advent=member_cfg(), minent=member_cfg()),
             weights=weights,
             fusion=fusion))
    for seed, member in zip(seeds, model.members.values()):
        member.load_state_dict(random_member(seed).state_dict())
    return model.eval()


def samples(shape):
    meta = dict(ori_shape=shape, img_shape=shape, pad_shape=shape,
                padding_size=[0, 0, 0, 0])
    return [SegDataSample(metainfo=meta)]


@pytest.mark.parametrize('fusion', ['logits', 'probs'])
def test_fused_scores_are_the_weighted_average(fusion):
    model = build_ensemble(weights=dict(advent=3., minent=1.), fusion=fusion)
    assert model.weights == dict(advent=0.75, minent=0.25)
    torch.manual_seed(2)
    inputs = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        out = model.predict(inputs, samples((64, 96)))[0]
        scores = {
            name: member.inference(inputs, [samples((64, 96))[0].metainfo])
            for name, member in model.members.items()
        }
    if fusion == 'probs':
        scores = {n: s.softmax(dim=1) for n, s in scores.items()}
    want = 0.75 * scores['advent'] + 0.25 * scores['minent']
    torch.testing.assert_close(out.seg_logits.data, want[0], rtol=0,
                               atol=1e-6)
    assert torch.equal(out.pred_sem_seg.data, want.argmax(dim=1))
    # the members disagree somewhere: the fusion is not one member
    assert not torch.equal(scores['advent'].argmax(1),
                           scores['minent'].argmax(1))


def test_identical_members_predict_like_one_member():
    model = build_ensemble(seeds=(5, 5))
    member = random_member(5).eval()
    torch.manual_seed(3)
    inputs = torch.randn(2, 3, 48, 64)
    batch = samples((48, 64)) * 2
    with torch.no_grad():
        fused = model.predict(inputs, [s.clone() for s in batch])
        single = member.predict(inputs, [s.clone() for s in batch])
    for f, s in zip(fused, single):
        assert torch.equal(f.seg_logits.data, s.seg_logits.data)
        assert torch.equal(f.pred_sem_seg.data, s.pred_sem_seg.data)


def test_predict_resizes_to_the_original_shape():
    model = build_ensemble()
    inputs = torch.randn(1, 3, 32, 64)
    sample = SegDataSample(
        metainfo=dict(ori_shape=(64, 128), img_shape=(32, 64),
                      pad_shape=(32, 64), padding_size=[0, 0, 0, 0]))
    sample.gt_sem_seg = PixelData(data=torch.zeros(1, 64, 128).long())
    with torch.no_grad():
        out = model.predict(inputs, [sample])[0]
    assert out.pred_sem_seg.data.shape == (1, 64, 128)
    assert out.seg_logits.data.shape == (19, 64, 128)


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(members={}), ValueError, 'non-empty'),
    (dict(weights=dict(advent=1.)), KeyError, 'weights name'),
    (dict(weights=dict(advent=1., minent=-1.)), ValueError, '>= 0'),
    (dict(weights=dict(advent=0., minent=0.)), ValueError, 'not all 0'),
    (dict(fusion='max'), ValueError, 'fusion'),
])
def test_bad_arguments_are_refused(kwargs, error, match):
    init_default_scope('mmseg')
    cfg = dict(type='SegmentorEnsemble',
               members=dict(advent=member_cfg(), minent=member_cfg()))
    cfg.update(kwargs)
    with pytest.raises(error, match=match):
        MODELS.build(cfg)


def test_training_the_ensemble_is_refused():
    model = build_ensemble()
    with pytest.raises(NotImplementedError, match='ensemble_checkpoints'):
        model.loss(torch.zeros(1, 3, 32, 32), samples((32, 32)))


@pytest.mark.parametrize('config', [SIM2REAL] + REAL)
def test_configs_build_a_test_only_ensemble(config):
    cfg = Config.fromfile(config)
    assert cfg.model.type == 'SegmentorEnsemble'
    assert cfg.model.weights == dict(advent=0.5, minent=0.5)
    assert cfg.model.fusion == 'logits'
    assert cfg.train_dataloader is None
    classes = 16 if 'synthia' in config else 19
    for member in cfg.model.members.values():
        assert member.type == 'MultiLevelEncoderDecoder'
        assert member.decode_head.num_classes == classes
        assert member.auxiliary_head.num_classes == classes
    assert cfg.test_dataloader.dataset.get('num_classes', 19) == classes
    assert set(cfg.default_hooks) == {'timer', 'logger', 'visualization'}


# ------------------------------------------------- tools/ensemble_checkpoints
def save_member_checkpoints(tmp_path, num_classes=19):
    """An AdvEnt-style checkpoint (segmentor + discriminator) and a
    MinEnt-style one (segmentor weights), from two random models."""
    advent = random_member(0)
    minent = random_member(1, num_classes)
    advent_state = {f'segmentor.{k}': v for k, v in
                    advent.state_dict().items()}
    advent_state['discriminator.main.0.weight'] = torch.zeros(4, 19, 4, 4)
    paths = (str(tmp_path / 'advent.pth'), str(tmp_path / 'minent.pth'))
    torch.save(dict(meta=dict(iter=8), state_dict=advent_state), paths[0])
    torch.save(dict(meta=dict(iter=8), state_dict=minent.state_dict()),
               paths[1])
    return paths, advent.state_dict(), minent.state_dict()


def test_gathered_checkpoint_holds_each_member(tmp_path):
    (advent, minent), advent_w, minent_w = save_member_checkpoints(tmp_path)
    out = str(tmp_path / 'out' / 'ensemble.pth')
    run_script_main('ensemble_checkpoints.py',
                    [SIM2REAL, out, f'minent={minent}', f'advent={advent}'])
    ckpt = torch.load(out, weights_only=True)
    assert ckpt['meta']['members'] == dict(advent=advent, minent=minent)
    assert ckpt['meta']['weights'] == dict(advent=0.5, minent=0.5)
    state = ckpt['state_dict']
    assert len(state) == len(advent_w) + len(minent_w)
    for prefix, weights in (('members.advent.', advent_w),
                            ('members.minent.', minent_w)):
        for key, value in weights.items():
            assert torch.equal(state[prefix + key], value), key
    assert not any('discriminator' in k for k in state)
    init_default_scope('mmseg')
    model = MODELS.build(Config.fromfile(SIM2REAL).model)
    model.load_state_dict(state, strict=True)
    assert os.listdir(tmp_path / 'out') == ['ensemble.pth']  # no temp file


@pytest.mark.parametrize('members, error, match', [
    (['advent={advent}'], KeyError, r"missing \['minent'\]"),
    (['advent={advent}', 'minent={minent}', 'mean={minent}'], KeyError,
     r"unknown \['mean'\]"),
    (['advent={advent}', 'advent={minent}'], ValueError, 'twice'),
    (['advent', 'minent={minent}'], ValueError, 'NAME=CHECKPOINT'),
    (['advent={advent}', 'minent={tmp}/nowhere.pth'], FileNotFoundError,
     'nowhere.pth'),
])
def test_bad_member_arguments_name_the_problem(tmp_path, members, error,
                                               match):
    (advent, minent), _, _ = save_member_checkpoints(tmp_path)
    argv = [SIM2REAL, str(tmp_path / 'ensemble.pth')] + [
        m.format(advent=advent, minent=minent, tmp=tmp_path)
        for m in members
    ]
    with pytest.raises(error, match=match):
        run_script_main('ensemble_checkpoints.py', argv)
    assert not osp.exists(tmp_path / 'ensemble.pth')


def test_checkpoint_of_another_architecture_names_the_file(tmp_path):
    (advent, minent), _, _ = save_member_checkpoints(tmp_path, num_classes=16)
    with pytest.raises(RuntimeError,
                       match=re.escape(f"{minent} does not fit member "
                                       "'minent'")):
        run_script_main('ensemble_checkpoints.py', [
            SIM2REAL, str(tmp_path / 'e.pth'), f'advent={advent}',
            f'minent={minent}'
        ])


def test_a_config_that_is_no_ensemble_is_refused(tmp_path):
    (advent, minent), _, _ = save_member_checkpoints(tmp_path)
    with pytest.raises(ValueError, match='not SegmentorEnsemble'):
        run_script_main('ensemble_checkpoints.py', [
            MINENT, str(tmp_path / 'e.pth'), f'advent={advent}',
            f'minent={minent}'
        ])


@pytest.mark.slow
def test_ensemble_of_one_model_twice_tests_like_the_model(
        sim2real_tiny, tmp_path):
    """tools/test.py on the ensemble config: with the same MinEnt weights as
    both members the fused scores are the model's own (0.5 a + 0.5 a = a),
    so the mIoU equals testing the MinEnt checkpoint directly, with and
    without flip test-time augmentation."""
    (_, minent), _, _ = save_member_checkpoints(tmp_path)
    ensemble = str(tmp_path / 'ensemble.pth')
    # gathered in this process, as the tests above gather
    run_script_main('ensemble_checkpoints.py',
                    [SIM2REAL, ensemble, f'advent={minent}',
                     f'minent={minent}'])
    results = {}
    for tta in ([], ['--tta']):
        for name, config, ckpt in (('single', MINENT, minent),
                                   ('ensemble', SIM2REAL, ensemble)):
            proc = run_tool_forked([
                osp.join(REPO, 'tools', 'test.py'), config, ckpt,
                '--work-dir', str(tmp_path / f'{name}{len(tta)}')
            ] + tta + ['--cfg-options'] + TEST_NO_WORKERS,
                                   cwd=sim2real_tiny)
            results[name, bool(tta)] = logged_metric(proc.stdout +
                                                     proc.stderr)
    for tta in (False, True):
        assert results['single', tta] > 0  # a real score, not 0 == 0
        assert results['ensemble', tta] == results['single', tta]
