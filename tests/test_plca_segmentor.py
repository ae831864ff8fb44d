"""The PLCA segmentor (docs/methods.md#plca): target-then-source forwards
with per-domain batch statistics, its losses against the loss modules on
the layer-4 features and logits, a gradient for every parameter, test-time
aggregation, and the plain EncoderDecoder it deploys as."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from mmseg.models.losses import LovaszLoss
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from conftest import NO_WORKERS, REPO, deepspeed_config, run_tool_forked
from mmda.models import (CycleAssociationLoss, ThresholdedLSRLoss,
                         prediction_mode)
from mmda.models.utils.pixel_affinity import spatial_aggregation_map

pytestmark = pytest.mark.usefixtures('torch_one_thread')

CONFIG = osp.join(REPO, 'configs', 'plca',
                  'plca_deeplabv2-small_sim2real-gta5-to-cityscapes.py')


def build(**overrides):
    init_default_scope('mmseg')
    cfg = Config.fromfile(CONFIG).model
    cfg.update(overrides)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def batch(seed=0):
    """2 source images of 64×96 (labelled, some pixels ignored) and 2
    target images of 64×64 (unlabelled)."""
    g = torch.Generator().manual_seed(seed)
    src = torch.randn(2, 3, 64, 96, generator=g)
    tgt = torch.randn(2, 3, 64, 64, generator=g)
    labels = torch.randint(0, 4, (2, 1, 64, 96), generator=g)
    labels[:, :, :8] = 255
    src_samples = []
    for y in labels:
        sample = SegDataSample(gt_sem_seg=PixelData(data=y))
        sample.set_metainfo(dict(img_shape=(64, 96), ori_shape=(64, 96)))
        src_samples.append(sample)
    tgt_samples = []
    for _ in range(2):
        sample = SegDataSample()
        sample.set_metainfo(
            dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64)))
        tgt_samples.append(sample)
    return (dict(source=src, target=tgt),
            dict(source=src_samples, target=tgt_samples), labels)


def test_target_then_source_with_per_domain_batch_statistics():
    model = build()
    model.train()
    bn = model.backbone.stem[1]  # the first BN of the stem
    seen = []
    bn.register_forward_hook(lambda m, inp, out: seen.append(
        (inp[0].shape[-1], inp[0].mean((0, 2, 3)).detach())))
    inputs, samples, _ = batch()
    model.loss(inputs, samples)
    # two forwards, the target (64 wide -> 32 after the stem conv) first
    assert [w for w, _ in seen] == [32, 48]
    # running mean after two updates (momentum 0.1, from 0): each domain's
    # own batch statistics
    (_, mean_t), (_, mean_s) = seen
    torch.testing.assert_close(bn.running_mean,
                               0.1 * mean_s + 0.9 * 0.1 * mean_t)


def test_losses_are_the_loss_modules_on_layer4_and_logits():
    model = build()
    model.train()
    inputs, samples, labels = batch()
    losses = model.loss(inputs, samples)
    assert set(losses) == {
        'src.loss_ce', 'src.acc_seg', 'src.loss_lovasz',
        'feat.loss_association', 'feat.pos_ratio', 'feat.cover_ratio',
        'out.loss_association', 'out.pos_ratio', 'out.cover_ratio',
        'src.loss_lsr', 'tgt.loss_lsr'
    }
    # recompute: layer 4 (the head's input, backbone out_indices[1]) and the
    # logits at output stride 8; the same batches give the same batch
    # statistics
    feats_t, feats_s = (model.extract_feat(inputs[k])
                        for k in ('target', 'source'))
    f_t, f_s = feats_t[1], feats_s[1]
    assert f_s.shape == (2, 128, 8, 12) and f_t.shape == (2, 128, 8, 8)
    logit_t, logit_s = (model.decode_head(x) for x in (feats_t, feats_s))
    y = F.interpolate(labels.float(), size=(8, 12), mode='nearest')[:,
                                                                    0].long()
    feat_loss = CycleAssociationLoss(metric='cos', loss_weight=0.1)
    out_loss = CycleAssociationLoss(metric='kl', loss_weight=0.1)
    want = {
        'feat.loss_association':
        feat_loss(f_s, f_t, y)['loss_association'],
        'out.loss_association':
        out_loss(F.softmax(logit_s, 1), F.softmax(logit_t, 1),
                 y)['loss_association'],
        'src.loss_lsr': ThresholdedLSRLoss(tau=10., loss_weight=0.01)(
            logit_s),
        'tgt.loss_lsr': ThresholdedLSRLoss(tau=10., loss_weight=0.01)(
            logit_t),
        'src.loss_lovasz': LovaszLoss(
            per_image=False, reduction='none', loss_weight=0.75)(
                F.interpolate(logit_s, size=(64, 96), mode='bilinear',
                              align_corners=False), labels[:, 0],
                ignore_index=255),
        'src.loss_ce': F.cross_entropy(
            F.interpolate(logit_s, size=(64, 96), mode='bilinear',
                          align_corners=False), labels[:, 0],
            ignore_index=255),
    }
    for key, value in want.items():
        torch.testing.assert_close(losses[key], value, msg=key)
    assert losses['feat.pos_ratio'] > 0
    assert 0 < losses['feat.cover_ratio'] <= 1


def test_every_parameter_gets_a_gradient_and_losses_switch_off():
    model = build()
    model.train()
    inputs, samples, _ = batch()
    losses = model.loss(inputs, samples)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing  # DDP without find_unused_parameters
    plain = build(feature_association=None, output_association=None,
                  lovasz_loss=None, lsr_loss=None)
    assert set(plain.loss(inputs, samples)) == {'src.loss_ce', 'src.acc_seg'}


def test_reduction_options_reach_the_association():
    model = build(association_reduction=dict(mode='downsample', scale=0.5))
    inputs, samples, _ = batch()
    seen = []
    model.feature_association.register_forward_hook(
        lambda m, inp, out: seen.append((inp[0].shape, inp[1].shape)))
    model.loss(inputs, samples)
    assert seen == [((2, 128, 4, 6), (2, 128, 4, 4))]
    with pytest.raises(ValueError, match='mode'):
        build(association_reduction=dict(mode='crop', scale=0.5))
    with pytest.raises(KeyError, match='association_reduction'):
        build(association_reduction=dict(mode='none', factor=0.5))


def test_test_time_aggregation_and_the_plain_segmentor():
    model = build(test_time_aggregation=dict(alpha=0.5, block_rows=7))
    model.eval()
    inputs, samples, _ = batch()
    x, metas = inputs['target'], [s.metainfo for s in samples['target']]
    with torch.no_grad():
        got = model.encode_decode(x, metas)
        feats = list(model.extract_feat(x))
        feats[1] = spatial_aggregation_map(feats[1], 'cos', 0.5)
        p = F.softmax(model.decode_head(feats), dim=1)
        p = spatial_aggregation_map(p, 'kl', 0.5)
        want = F.interpolate(p, size=(64, 64), mode='bilinear',
                             align_corners=False)
        torch.testing.assert_close(got, want, atol=1e-6, rtol=0)
        torch.testing.assert_close(got.sum(1), torch.ones(2, 64, 64))
        # the exported plain EncoderDecoder predicts without aggregation
        cfg = Config.fromfile(CONFIG).model
        for key in ('feature_association', 'output_association',
                    'lovasz_loss', 'lsr_loss', 'association_reduction',
                    'test_time_aggregation'):
            cfg.pop(key)
        cfg.type = 'EncoderDecoder'
        plain = MODELS.build(cfg)
        assert type(plain) is EncoderDecoder
        plain.load_state_dict(model.state_dict(), strict=True)
        plain.eval()
        without = build(test_time_aggregation=None)
        without.load_state_dict(model.state_dict())
        without.eval()
        torch.testing.assert_close(
            without.encode_decode(x, metas), plain.encode_decode(x, metas))
        assert not torch.allclose(plain.encode_decode(x, metas), got)
    assert 'with test-time aggregation (alpha 0.5' in prediction_mode(model)
    assert 'without test-time aggregation' in prediction_mode(without)
    assert prediction_mode(plain) == 'EncoderDecoder'


@pytest.mark.slow
def test_train_then_test_reports_the_aggregation(sim2real_tiny, tmp_path):
    """Two PLCA iterations on the tiny benchmark through tools/train.py,
    then tools/test.py with and without test-time aggregation."""
    work = tmp_path / 'wd'
    run_tool_forked([
        osp.join(REPO, 'tools', 'train.py'), CONFIG, '--work-dir', work,
        '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.logger.interval=1'
    ] + NO_WORKERS, cwd=sim2real_tiny)
    log = open(next(work.glob('*/*.log'))).read()
    assert 'feat.loss_association' in log and 'out.pos_ratio' in log
    ckpt = work / 'iter_2.pth'
    test = osp.join(REPO, 'tools', 'test.py')
    on = run_tool_forked([test, CONFIG, ckpt, '--work-dir', tmp_path / 't1',
                          '--cfg-options'] + NO_WORKERS, cwd=sim2real_tiny)
    assert 'prediction: PLCA with test-time aggregation' in on.stdout + \
        on.stderr
    off = run_tool_forked([
        test, CONFIG, ckpt, '--work-dir', tmp_path / 't2', '--cfg-options',
        'model.test_time_aggregation=None'
    ] + NO_WORKERS, cwd=sim2real_tiny)
    assert 'prediction: PLCA without test-time aggregation' in off.stdout + \
        off.stderr


@pytest.mark.slow
def test_trains_under_deepspeed(sim2real_tiny, tmp_path):
    """One optimizer: PLCA trains with the ZeRO-1 strategy (one process)."""
    config = deepspeed_config(tmp_path, CONFIG, 'deepspeed_zero1')
    proc = run_tool_forked([
        osp.join(REPO, 'tools', 'train.py'), config, '--work-dir',
        tmp_path / 'wd', '--cfg-options', 'train_cfg.max_iters=2',
        'train_cfg.val_interval=100', 'default_hooks.logger.interval=1'
    ] + NO_WORKERS, cwd=sim2real_tiny)
    log = proc.stdout + proc.stderr
    assert "type='MMDADeepSpeedStrategy'" in log
    assert log.count('feat.loss_association') >= 2
    assert osp.isdir(tmp_path / 'wd' / 'iter_2.pth')
