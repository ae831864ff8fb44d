"""RIPU's DeepLab-v3+ as released (docs/methods.md#ripu): the backbone is
torchvision's ResNet-101 at output stride 8 (conv by conv), the head's
norms are frozen identities, and the registered FrozenBatchNorm2d never
changes in training.

The backbone comes from ``configs/_base_/models/deeplabv3plus_r101.py``
without its ImageNet file (nothing is loaded or downloaded).
"""
import math
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmda  # noqa: F401  (registers FrozenBatchNorm2d)
from mmda.models.layers import FrozenBatchNorm2d
from mmseg.models.decode_heads import DepthwiseSeparableASPPHead
from mmseg.registry import MODELS

pytestmark = pytest.mark.usefixtures('torch_one_thread')
REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODEL_BASE = osp.join(REPO, 'configs', '_base_', 'models',
                      'deeplabv3plus_r101.py')
#: torchvision's ResNet-101: blocks per stage
BLOCKS = (3, 4, 23, 3)


@pytest.fixture(scope='module')
def model_cfg():
    init_default_scope('mmseg')
    return Config.fromfile(MODEL_BASE).model


@pytest.fixture(scope='module')
def backbone(model_cfg):
    cfg = model_cfg.backbone.copy()
    cfg.pop('init_cfg')
    return MODELS.build(cfg)


def conv_geometry(module: nn.Module) -> dict:
    """Every conv of ``module``: name -> (in, out, kernel, stride,
    dilation, padding)."""
    return {
        name: (m.in_channels, m.out_channels, m.kernel_size, m.stride,
               m.dilation, m.padding)
        for name, m in module.named_modules() if isinstance(m, nn.Conv2d)
    }


def torchvision_geometry() -> dict:
    """The conv geometry of ``torchvision.models.resnet101(
    replace_stride_with_dilation=[False, True, True])``, by torchvision's
    own rule (``torchvision/models/resnet.py``, ``ResNet._make_layer``):
    the stride sits on the 3x3 conv (V1.5); a dilated stage multiplies the
    dilation by its stride and drops the stride, and its *first* block
    keeps the previous dilation; the downsample is a 1x1 conv with the
    block's stride."""
    convs = {'conv1': (3, 64, (7, 7), (2, 2), (1, 1), (3, 3))}
    inplanes, dilation = 64, 1
    for stage, (blocks, planes, stride, dilate) in enumerate(
            zip(BLOCKS, (64, 128, 256, 512), (1, 2, 2, 2),
                (False, False, True, True)), 1):
        previous = dilation
        if dilate:
            dilation, stride = dilation * stride, 1
        for block in range(blocks):
            d, s = (previous, stride) if block == 0 else (dilation, 1)
            prefix = f'layer{stage}.{block}.'
            convs[prefix + 'conv1'] = (inplanes, planes, (1, 1), (1, 1),
                                       (1, 1), (0, 0))
            convs[prefix + 'conv2'] = (planes, planes, (3, 3), (s, s),
                                       (d, d), (d, d))
            convs[prefix + 'conv3'] = (planes, planes * 4, (1, 1), (1, 1),
                                       (1, 1), (0, 0))
            if block == 0:  # inplanes != planes * 4 in every stage
                convs[prefix + 'downsample.0'] = (inplanes, planes * 4,
                                                  (1, 1), (s, s), (1, 1),
                                                  (0, 0))
            inplanes = planes * 4
    return convs


def test_backbone_is_torchvisions_resnet101_at_output_stride_8(backbone):
    """mmseg's ResNet (style pytorch, no deep stem) with strides 1,2,1,1,
    dilations 1,1,2,4 and contract_dilation: the first block of layer3
    runs at dilation 1 and of layer4 at 2, as torchvision's
    replace_stride_with_dilation; every conv matches."""
    assert conv_geometry(backbone) == torchvision_geometry()
    assert type(backbone).__name__ == 'ResNet'
    assert backbone.layer3[0].conv2.dilation == (1, 1)
    assert backbone.layer4[0].conv2.dilation == (2, 2)
    assert backbone.layer4[1].conv2.dilation == (4, 4)
    # output stride 8, all four stages out (layer1 is the low-level input)
    backbone.eval()  # (mmseg's ResNet.train returns None)
    with torch.no_grad():
        outs = backbone(torch.zeros(1, 3, 64, 64))
    assert [tuple(o.shape[1:]) for o in outs] == [(256, 16, 16),
                                                  (512, 8, 8),
                                                  (1024, 8, 8),
                                                  (2048, 8, 8)]


def test_backbone_keys_are_torchvisions(backbone):
    """The state dict has torchvision's keys (and shapes), so the ImageNet
    file of torchvision://resnet101 loads into it (fc aside)."""
    keys = {
        k for k in backbone.state_dict()
        if not k.endswith('num_batches_tracked')
    }
    want = set()
    for name in torchvision_geometry():
        bn = name.replace('conv', 'bn').replace('downsample.0',
                                                'downsample.1')
        want |= {name + '.weight'} | {
            f'{bn}.{p}'
            for p in ('weight', 'bias', 'running_mean', 'running_var')
        }
    assert keys == want


def test_backbone_matches_torchvision_itself(backbone):
    """The same against torchvision's model where torchvision is installed
    (built without weights)."""
    torchvision = pytest.importorskip('torchvision')
    reference = torchvision.models.resnet101(
        weights=None, replace_stride_with_dilation=[False, True, True])
    geometry = conv_geometry(reference)
    assert conv_geometry(backbone) == geometry == torchvision_geometry()
    ref = {k: v.shape for k, v in reference.state_dict().items()
           if not k.startswith('fc.')}
    ours = {k: v.shape for k, v in backbone.state_dict().items()}
    assert ref == ours


def test_head_as_released(model_cfg):
    head = MODELS.build(model_cfg.decode_head)
    assert type(head).__name__ == 'KaimingDepthwiseSeparableASPPHead'
    assert isinstance(head, DepthwiseSeparableASPPHead)
    # branches: 1x1, then depthwise 3x3 at 6, 12, 18
    aspp = head.aspp_modules
    assert aspp[0].conv.kernel_size == (1, 1)
    dilations = [m.depthwise_conv.conv.dilation for m in list(aspp)[1:]]
    assert dilations == [(6, 6), (12, 12), (18, 18)]
    norms = [m for m in head.modules() if 'Norm' in type(m).__name__]
    assert norms and all(isinstance(m, FrozenBatchNorm2d) for m in norms)
    assert all(m.eps == 0 for m in norms)
    # the head's norms are identities: nothing to train in them
    assert not any(
        isinstance(m, nn.modules.batchnorm._BatchNorm)
        for m in head.modules())
    x = torch.randn(2, 512, 3, 5)
    assert torch.equal(norms[0](x[:, :norms[0].num_features]),
                       x[:, :norms[0].num_features])


def conv_spreads(head):
    """name -> (weight std / sqrt(2 / fan_in), fan_in) of every conv."""
    return {
        name: (m.weight.std().item() / math.sqrt(2 / m.weight[0].numel()),
               m.weight[0].numel())
        for name, m in head.named_modules() if isinstance(m, nn.Conv2d)
    }


def test_head_init_as_released(model_cfg):
    """Every conv Kaiming-normal in fan-in mode with gain sqrt 2 (the
    released head's init), including the two that mmcv's ConvModule
    re-initialises in fan-out mode in mmseg's head (sqrt 5 and
    sqrt(256 / 48) times wider); the classifier's bias is PyTorch's
    default, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), not 0."""
    torch.manual_seed(0)
    head = MODELS.build(model_cfg.decode_head)
    head.init_weights()
    spreads = conv_spreads(head)
    assert len(spreads) == 15
    for name, (ratio, fan_in) in spreads.items():
        # a std over n >= 4608 draws (seeded): sampling error about 1 %
        assert ratio == pytest.approx(1., abs=0.02), name
    bias = head.conv_seg.bias
    bound = 1 / math.sqrt(head.conv_seg.weight[0].numel())
    assert bias.abs().max() <= bound and bias.abs().min() > 0
    # mmseg's own head with the same layers initialises two convs wider
    plain_cfg = model_cfg.decode_head.copy()
    plain_cfg.type = 'DepthwiseSeparableASPPHead'
    plain = MODELS.build(plain_cfg)
    plain.init_weights()
    wider = conv_spreads(plain)
    assert wider['bottleneck.conv'][0] == pytest.approx(math.sqrt(5), rel=0.02)
    assert wider['c1_bottleneck.conv'][0] == pytest.approx(
        math.sqrt(256 / 48), rel=0.02)
    # the same forward: its weights load into mmseg's head
    plain.load_state_dict(head.state_dict(), strict=True)
    head.eval(), plain.eval()
    feats = [torch.randn(1, c, 8, 8) for c in (256, 512, 1024, 2048)]
    with torch.no_grad():
        assert torch.equal(head(feats), plain(feats))


def test_frozen_batch_norm_never_changes():
    """Buffers only: no parameters for an optimizer, the same in train and
    eval, untouched by forward passes; the BatchNorm formula once
    statistics are loaded."""
    init_default_scope('mmseg')
    from mmcv.cnn import build_norm_layer
    name, norm = build_norm_layer(dict(type='FrozenBatchNorm2d', eps=0.), 4)
    assert name == 'bn' and isinstance(norm, FrozenBatchNorm2d)
    assert list(norm.parameters()) == []
    before = {k: v.clone() for k, v in norm.state_dict().items()}
    assert set(before) == {'weight', 'bias', 'running_mean', 'running_var'}
    x = torch.randn(3, 4, 5, 6) * 7 + 2
    norm.train()
    assert torch.equal(norm(x), x)  # the identity at its defaults
    norm.eval()
    assert torch.equal(norm(x), x)
    for k, v in norm.state_dict().items():
        assert torch.equal(v, before[k]), k
    # with loaded statistics it is BatchNorm2d in eval mode
    stats = dict(weight=torch.tensor([1., 2., 3., 4.]),
                 bias=torch.tensor([0., -1., 1., 2.]),
                 running_mean=torch.tensor([0.5, 1., -1., 0.]),
                 running_var=torch.tensor([1., 4., 0.25, 2.]))
    frozen = FrozenBatchNorm2d(4, eps=1e-5)
    frozen.load_state_dict(stats)
    bn = nn.BatchNorm2d(4, eps=1e-5).eval()
    bn.load_state_dict(stats, strict=False)
    frozen.train()
    torch.testing.assert_close(frozen(x), bn(x))
    with pytest.raises(ValueError, match='eps must be >= 0'):
        FrozenBatchNorm2d(4, eps=-1.)
