"""The RIPU segmentor, the DeepLab-v2 head and the two-domain preprocessor.

The model is the small DeepLab-v2 of the RA config on tiny random inputs;
every loss is recomputed from the model's own upsampled logits.
"""
import copy
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmda.models.losses.local_consistency_loss import local_consistency_loss
from mmda.models.losses.negative_learning_loss import negative_learning_loss

pytestmark = pytest.mark.usefixtures('torch_one_thread')
REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
RA_CONFIG = osp.join(
    REPO_ROOT, 'configs', 'ripu',
    'ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
NUM_CLASSES = 19
SRC_HW, TGT_HW = (32, 48), (24, 40)  # multiples of size_divisor 8
ALL_KEYS = {
    'src.loss_ce', 'src.acc_seg', 'src.loss_cr', 'tgt.loss_ce',
    'tgt.acc_seg', 'tgt.loss_nl'
}


@pytest.fixture(scope='module')
def model_cfg():
    init_default_scope('mmseg')
    return Config.fromfile(RA_CONFIG).model


def build(model_cfg, **overrides):
    cfg = copy.deepcopy(model_cfg)
    cfg.update(overrides)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def ripu(model_cfg):
    return build(model_cfg)


def make_domain(gen, n, hw, labels='dense'):
    """Packed samples of one domain: uint8 images and, optionally, labels
    (``'dense'``: random classes with some 255; ``'sparse'``: 255 except a
    few labelled pixels; ``None``: no gt_sem_seg)."""
    inputs, samples = [], []
    for _ in range(n):
        inputs.append(torch.randint(0, 256, (3, *hw), generator=gen,
                                    dtype=torch.uint8))
        sample = SegDataSample()
        sample.set_metainfo(dict(img_shape=hw, ori_shape=hw))
        if labels is not None:
            gt = torch.randint(0, NUM_CLASSES, (1, *hw), generator=gen)
            if labels == 'dense':
                gt[:, :4, :] = 255
            else:
                keep = torch.zeros(1, *hw, dtype=torch.bool)
                keep[:, 3:6, 5:8] = True
                keep[:, 10:13, 20:23] = True
                gt[~keep] = 255
            sample.gt_sem_seg = PixelData(data=gt)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def two_domain_batch(target_labels='sparse', seed=0):
    gen = torch.Generator().manual_seed(seed)
    return dict(
        source=make_domain(gen, 2, SRC_HW, 'dense'),
        target=make_domain(gen, 2, TGT_HW, target_labels))


def upsampled(model, x):
    logits = model.decode_head(model.extract_feat(x))
    return F.interpolate(
        logits, size=x.shape[2:], mode='bilinear', align_corners=False)


def labels_of(samples):
    return torch.stack([s.gt_sem_seg.data[0] for s in samples])


def ce_on_labelled(logits, label):
    """Mean cross-entropy over the pixels whose label is not 255."""
    keep = label != 255
    nll = -logits.log_softmax(dim=1).gather(
        1, label.clamp(max=NUM_CLASSES - 1)[:, None])[:, 0]
    return nll[keep].mean()


def acc_on_labelled(logits, label):
    keep = label != 255
    return 100. * (logits.argmax(dim=1) == label)[keep].float().mean()


# ----------------------------------------------------------------------------
# DADataPreprocessor
# ----------------------------------------------------------------------------
def test_preprocessor_two_domains(ripu):
    batch = two_domain_batch()
    out = ripu.data_preprocessor(copy.deepcopy(batch), training=True)
    assert set(out) == {'inputs', 'data_samples'}
    assert set(out['inputs']) == {'source', 'target'}
    assert out['inputs']['source'].shape == (2, 3, *SRC_HW)
    assert out['inputs']['target'].shape == (2, 3, *TGT_HW)
    mean = torch.tensor([123.675, 116.28, 103.53])[:, None, None]
    std = torch.tensor([58.395, 57.12, 57.375])[:, None, None]
    for domain in ('source', 'target'):
        raw = batch[domain]['inputs'][1].float()
        expected = (raw[[2, 1, 0]] - mean) / std  # BGR -> RGB, normalise
        assert torch.allclose(out['inputs'][domain][1], expected, atol=1e-5)
        assert len(out['data_samples'][domain]) == 2


def test_preprocessor_pads_each_domain(ripu):
    gen = torch.Generator().manual_seed(3)
    batch = dict(
        source=make_domain(gen, 1, (30, 45), 'dense'),
        target=make_domain(gen, 1, (20, 33), None))
    out = ripu.data_preprocessor(batch, training=True)
    assert out['inputs']['source'].shape == (1, 3, 32, 48)
    assert out['inputs']['target'].shape == (1, 3, 24, 40)
    gt = out['data_samples']['source'][0].gt_sem_seg.data
    assert gt.shape == (1, 32, 48)
    assert torch.all(gt[:, 30:, :] == 255) and torch.all(gt[:, :, 45:] == 255)


def test_preprocessor_plain_batch_and_bad_keys(ripu):
    gen = torch.Generator().manual_seed(4)
    plain = make_domain(gen, 2, SRC_HW, 'dense')
    out = ripu.data_preprocessor(plain, training=False)
    assert isinstance(out['inputs'], torch.Tensor)
    assert out['inputs'].shape == (2, 3, *SRC_HW)
    with pytest.raises(KeyError, match='source'):
        ripu.data_preprocessor(
            dict(source=make_domain(gen, 1, SRC_HW), extra=None),
            training=True)


# ----------------------------------------------------------------------------
# RIPU.loss
# ----------------------------------------------------------------------------
def test_loss_keys_and_values(ripu):
    ripu.train()
    data = ripu.data_preprocessor(two_domain_batch(), training=True)
    losses = ripu.loss(data['inputs'], data['data_samples'])
    assert set(losses) == ALL_KEYS

    with torch.no_grad():
        src = upsampled(ripu, data['inputs']['source'])
        tgt = upsampled(ripu, data['inputs']['target'])
    assert src.shape == (2, NUM_CLASSES, *SRC_HW)
    assert tgt.shape == (2, NUM_CLASSES, *TGT_HW)
    src_label = labels_of(data['data_samples']['source'])
    tgt_label = labels_of(data['data_samples']['target'])
    # the target has 2 x 2 x 9 labelled pixels, the rest is 255
    assert int((tgt_label != 255).sum()) == 36

    def close(key, value, rel=1e-5):
        assert losses[key].item() == pytest.approx(float(value), rel=rel), key

    close('src.loss_ce', ce_on_labelled(src, src_label))
    close('src.acc_seg', acc_on_labelled(src, src_label))
    close('src.loss_cr', 0.1 * local_consistency_loss(src, src_label))
    close('tgt.loss_ce', ce_on_labelled(tgt, tgt_label))
    close('tgt.acc_seg', acc_on_labelled(tgt, tgt_label))
    close('tgt.loss_nl', negative_learning_loss(tgt))
    # the target CE is the mean over the 36 labelled pixels only, not over
    # all pixels (255 ignored, not counted in the denominator)
    all_pixels = ce_on_labelled(tgt, tgt_label) * 36 / tgt_label.numel()
    assert losses['tgt.loss_ce'].item() != pytest.approx(
        float(all_pixels), rel=1e-3)
    # upsampling first matters: the losses on the 1/8 logits differ
    with torch.no_grad():
        low = ripu.decode_head(ripu.extract_feat(data['inputs']['target']))
    assert low.shape[2:] == (TGT_HW[0] // 8, TGT_HW[1] // 8)
    assert losses['tgt.loss_nl'].item() != pytest.approx(
        negative_learning_loss(low).item(), rel=1e-3)

    # the total optimised by mmengine: every 'loss' key, not the accuracies
    total, log_vars = ripu.parse_losses(losses)
    expected = sum(losses[k] for k in ALL_KEYS if 'loss' in k)
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)
    assert set(log_vars) == ALL_KEYS | {'loss'}


def test_loss_without_target_labels(ripu):
    ripu.train()
    data = ripu.data_preprocessor(two_domain_batch(None), training=True)
    losses = ripu.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {
        'src.loss_ce', 'src.acc_seg', 'src.loss_cr', 'tgt.loss_nl'
    }
    with torch.no_grad():
        tgt = upsampled(ripu, data['inputs']['target'])
    assert losses['tgt.loss_nl'].item() == pytest.approx(
        negative_learning_loss(tgt).item(), rel=1e-5)


def test_target_loss_weight(model_cfg):
    model = build(model_cfg, target_loss_weight=0.25)
    model.train()
    data = model.data_preprocessor(two_domain_batch(), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    with torch.no_grad():
        tgt = upsampled(model, data['inputs']['target'])
    tgt_label = labels_of(data['data_samples']['target'])
    assert losses['tgt.loss_ce'].item() == pytest.approx(
        0.25 * ce_on_labelled(tgt, tgt_label).item(), rel=1e-5)
    # the accuracy is not weighted
    assert losses['tgt.acc_seg'].item() == pytest.approx(
        acc_on_labelled(tgt, tgt_label).item(), rel=1e-5)


def test_single_domain_batch_trains_as_encoder_decoder(ripu):
    ripu.train()
    gen = torch.Generator().manual_seed(5)
    data = ripu.data_preprocessor(
        make_domain(gen, 2, SRC_HW, 'dense'), training=True)
    losses = ripu.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg'}


def test_every_parameter_gets_a_gradient(model_cfg):
    model = build(model_cfg)
    model.train()
    data = model.data_preprocessor(two_domain_batch(), training=True)
    total, _ = model.parse_losses(
        model.loss(data['inputs'], data['data_samples']))
    total.backward()
    # DDP without find_unused_parameters needs every trainable parameter in
    # the graph
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
    # and mmengine's train_step runs on the two-domain batch
    # (the residual branches start at zero, as mmseg's ResNet zero-inits
    # their last BN: their first gradients are zero)
    grad_nonzero = {
        k for k, p in model.named_parameters() if p.grad.abs().sum() > 0
    }
    assert {'backbone.stem.0.weight', 'decode_head.aspp_branches.0.weight'
            } <= grad_nonzero
    model.zero_grad()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    log_vars = model.train_step(two_domain_batch(), optim)
    assert set(log_vars) == ALL_KEYS | {'loss'}
    for name, param in model.named_parameters():
        assert torch.equal(param, before[name]) == (name not in grad_nonzero)


# ----------------------------------------------------------------------------
# The adapted model is a plain mmseg EncoderDecoder
# ----------------------------------------------------------------------------
def test_state_dict_loads_into_encoder_decoder(model_cfg):
    ripu = build(model_cfg)
    ripu.train()
    optim = OptimWrapper(torch.optim.SGD(ripu.parameters(), lr=0.01))
    ripu.train_step(two_domain_batch(), optim)  # move BN statistics too

    plain_cfg = copy.deepcopy(model_cfg)
    for key in ('negative_loss', 'consistency_loss', 'target_loss_weight'):
        plain_cfg.pop(key)
    plain_cfg.type = 'EncoderDecoder'
    torch.manual_seed(1)  # a different init, overwritten by the load
    plain = MODELS.build(plain_cfg)
    assert type(plain) is EncoderDecoder
    state = ripu.state_dict()
    assert set(state) == set(plain.state_dict())
    result = plain.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys

    ripu.eval()
    plain.eval()
    gen = torch.Generator().manual_seed(6)
    batch = make_domain(gen, 2, TGT_HW, 'dense')
    with torch.no_grad():
        got = ripu.test_step(copy.deepcopy(batch))
        want = plain.test_step(copy.deepcopy(batch))
    for a, b in zip(got, want):
        assert torch.equal(a.seg_logits.data, b.seg_logits.data)
        assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)
    assert got[0].seg_logits.data.shape == (NUM_CLASSES, *TGT_HW)


# ----------------------------------------------------------------------------
# DeepLabV2Head
# ----------------------------------------------------------------------------
def test_deeplabv2_head_is_a_sum_of_branches():
    init_default_scope('mmseg')
    torch.manual_seed(0)
    head = MODELS.build(
        dict(
            type='DeepLabV2Head',
            in_channels=6,
            in_index=1,
            dilations=(1, 2, 3),
            num_classes=4,
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss')))
    assert not hasattr(head, 'conv_seg')
    assert not any(k.startswith('conv_seg') for k in head.state_dict())
    assert len(head.aspp_branches) == 3
    for branch, d in zip(head.aspp_branches, (1, 2, 3)):
        assert branch.dilation == (d, d) and branch.padding == (d, d)
        assert branch.kernel_size == (3, 3)
        assert branch.in_channels == 6 and branch.out_channels == 4
        assert torch.all(branch.bias == 0)

    feats = [torch.randn(2, 3, 5, 7), torch.randn(2, 6, 5, 7)]
    with torch.no_grad():
        out = head(feats)
        expected = sum(
            F.conv2d(feats[1], b.weight, b.bias, padding=d, dilation=d)
            for b, d in zip(head.aspp_branches, (1, 2, 3)))
    assert out.shape == (2, 4, 5, 7)
    assert torch.allclose(out, expected, atol=1e-6)


def test_deeplabv2_head_init(ripu):
    head = ripu.decode_head
    weights = torch.cat([b.weight.flatten() for b in head.aspp_branches])
    # N(0, 0.01): 4 x 19 x 128 x 9 = 87552 samples
    assert weights.numel() == 87552
    assert abs(weights.std().item() - 0.01) < 5e-4
    assert abs(weights.mean().item()) < 5e-4
    saved = copy.deepcopy(head.state_dict())
    head.init_weights()  # the runner calls it: must not re-initialise
    for k, v in head.state_dict().items():
        assert torch.equal(v, saved[k]), k


# ----------------------------------------------------------------------------
# Flip-averaged prediction (RIPU's evaluation, test_cfg.flip)
# ----------------------------------------------------------------------------
@pytest.mark.parametrize('align_corners', [False, True])
def test_flip_averaging_prediction(model_cfg, align_corners):
    """With test_cfg.flip the prediction is the mean of the softmax of the
    image and of the mirror image's scores flipped back, each cropped of
    its padding and upsampled to the label size (as BIT-DA/RIPU:test.py),
    computed here by hand on the small model."""
    from mmda.models.utils import without_test_flip
    head = dict(model_cfg.decode_head, align_corners=align_corners)
    model = build(model_cfg, decode_head=head,
                  test_cfg=dict(mode='whole', flip=True)).eval()
    assert model.align_corners is align_corners
    gen = torch.Generator().manual_seed(3)
    # 24 x 40 images padded on the right to 48, labels at 37 x 61
    x = torch.randn(2, 3, 24, 48, generator=gen)
    x[..., 40:] = 0.

    def samples():
        out = []
        for _ in range(2):
            s = SegDataSample()
            s.set_metainfo(dict(img_shape=(24, 40), pad_shape=(24, 48),
                                ori_shape=(37, 61),
                                padding_size=[0, 8, 0, 0]))
            out.append(s)
        return out

    def probs_by_hand(img, mirror):
        with torch.no_grad():
            logits = model.decode_head(model.extract_feat(img))
        logits = F.interpolate(logits, size=(24, 48), mode='bilinear',
                               align_corners=align_corners)
        if mirror:
            logits = logits.flip(-1)
        logits = F.interpolate(logits[..., :40], size=(37, 61),
                               mode='bilinear', align_corners=align_corners)
        return logits.softmax(dim=1)

    want = (probs_by_hand(x, False) + probs_by_hand(x.flip(-1), True)) / 2
    with torch.no_grad():
        got = model.predict(x, samples())
    for i, sample in enumerate(got):
        assert torch.equal(sample.pred_sem_seg.data[0], want[i].argmax(0))
        torch.testing.assert_close(sample.seg_logits.data.softmax(0),
                                   want[i])
        torch.testing.assert_close(sample.seg_logits.data.exp(), want[i])
    # the mirror image matters: the plain prediction differs
    plain = probs_by_hand(x, False)
    assert not torch.allclose(plain, want, atol=1e-3)
    # without_test_flip (the active-selection hook's scoring): mmseg's own
    # prediction, the flip back on afterwards
    with without_test_flip(model), torch.no_grad():
        unflipped = model.predict(x, samples())
    assert model.test_cfg.flip is True
    for i, sample in enumerate(unflipped):
        torch.testing.assert_close(sample.seg_logits.data.softmax(0),
                                   plain[i])
    assert 'horizontal-flip averaging' in model.prediction_mode()


def test_flip_option_is_checked(model_cfg):
    with pytest.raises(TypeError, match='test_cfg.flip must be True or'):
        build(model_cfg, test_cfg=dict(mode='whole', flip='yes'))
    plain = build(model_cfg)
    assert plain.prediction_mode() == 'RIPU'
