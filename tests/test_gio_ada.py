"""GIO-Ada (mmda.models.GIOAda) on tiny tensors: G's input, the depth
loss and its masks, the step order's gradient isolation, task-guided
translation, D_out's joint input, the SYNTHIA depth convention and the
deployable segmentor."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from mmseg.registry import MODELS, TRANSFORMS
from mmseg.structures import SegDataSample

import mmda  # noqa: F401
from mmda.models import (DepthLoss, GIOAda, ImageTransformNet, berhu,
                         depth_representation, deployable_segmentor)

pytestmark = pytest.mark.usefixtures('torch_one_thread')

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'gio_ada',
                  'gio-ada_deeplabv2-small_sim2real-synthia-to-cityscapes.py')
NODEPTH = osp.join(
    REPO, 'configs', 'gio_ada',
    'gio-ada-nodepth_deeplabv2-small_sim2real-synthia-to-cityscapes.py')
K = 19
H, W = 32, 48


def build(config=CONFIG, **model_options):
    init_default_scope('mmseg')
    cfg = Config.fromfile(config)
    cfg.merge_from_dict({f'model.{k}': v for k, v in model_options.items()})
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def optimizers(model):
    return OptimWrapperDict(**{
        name: OptimWrapper(
            torch.optim.SGD(getattr(model, name).parameters(), lr=0.01))
        for name in model.task_children + ['discriminator']
    })


def batch(with_depth=True, pad_bottom=0):
    """A raw two-domain batch (uint8 BGR images, as the loaders give)."""
    g = torch.Generator().manual_seed(1)
    out = {}
    for stream, n in (('source', 2), ('target', 2)):
        inputs, samples = [], []
        for _ in range(n):
            inputs.append(torch.randint(0, 256, (3, H, W), generator=g,
                                        dtype=torch.uint8))
            sample = SegDataSample()
            sample.set_metainfo(dict(img_shape=(H, W), ori_shape=(H, W)))
            if stream == 'source':
                label = torch.randint(0, K, (1, H, W), generator=g)
                label[:, :4] = 255
                sample.gt_sem_seg = PixelData(data=label)
                if with_depth:
                    depth = torch.rand(1, H, W, generator=g) * 50 + 1
                    depth[:, :3] = 0.  # sky: no depth
                    sample.gt_depth_map = PixelData(data=depth)
            samples.append(sample)
        out[stream] = dict(inputs=inputs, data_samples=samples)
    return out


def record_steps(optim_wrapper, model):
    """name -> {param name: grad or None} of every child at each wrapper's
    step, in call order."""
    log = []
    for name, wrapper in optim_wrapper.items():
        real = wrapper.step

        def step(_name=name, _real=real, **kwargs):
            log.append((_name, {
                child: {
                    k: None if p.grad is None else p.grad.clone()
                    for k, p in getattr(model, child).named_parameters()
                }
                for child in model.task_children + ['discriminator']
            }))
            return _real(**kwargs)

        wrapper.step = step
    return log


def nonzero(grads):
    return any(g is not None and g.abs().sum() > 0 for g in grads.values())


def test_generator_input_channels_and_one_hot():
    g = ImageTransformNet(num_classes=K, base_channels=4, n_res=1)
    assert g.in_channels == 3 + K + 1
    assert g.body[1].in_channels == 3 + K + 1
    assert ImageTransformNet(K, with_depth=False).in_channels == 3 + K
    images = torch.zeros(1, 3, 4, 4)
    labels = torch.tensor([[[0, 5, 255, 18]] * 4])
    depth = torch.full((1, 1, 4, 4), 0.25)
    x = g.encode_input(images, labels, depth)
    assert x.shape == (1, 3 + K + 1, 4, 4)
    one_hot = x[0, 3:3 + K, 0]
    assert one_hot[:, 0].tolist() == [1.] + [0.] * (K - 1)
    assert one_hot[5, 1] == 1 and one_hot[:, 1].sum() == 1
    assert one_hot[:, 2].sum() == 0  # ignore pixel: no class claimed
    assert one_hot[18, 3] == 1
    assert torch.equal(x[0, -1], depth[0, 0])
    # residual G starts as the identity translation
    img = torch.rand(1, 3, 8, 8) * 2 - 1
    lab = torch.zeros(1, 8, 8, dtype=torch.long)
    g.init_weights()
    assert torch.equal(g(img, lab, torch.zeros(1, 1, 8, 8)), img)
    with pytest.raises(ValueError, match='needs the depth channel'):
        g(img, lab)


def test_configs_channels():
    model = build()
    assert model.generator.in_channels == 3 + K + 1
    assert model.discriminator.levels['output'].layers[0].in_channels == K + 1
    assert model.with_depth and hasattr(model, 'depth_head')
    ablation = build(NODEPTH)
    assert ablation.generator.in_channels == 3 + K
    assert ablation.discriminator.levels['output'].layers[0].in_channels == K
    assert not ablation.with_depth and not hasattr(ablation, 'depth_head')
    assert ablation.task_children == ['generator', 'segmentor']
    with pytest.raises(ValueError, match='with_depth'):
        build(generator=dict(with_depth=False))
    with pytest.raises(ValueError, match='discriminator.output takes 20'):
        build(NODEPTH, discriminator=dict(
            discriminators=dict(output=dict(in_channels=K + 1))))


def test_depth_loss_values_and_mask():
    pred = torch.tensor([[[[1., 2.], [3., 100.]]]])
    target = torch.tensor([[[[2., 2.], [1., 0.]]]])
    valid = torch.tensor([[[[True, True], [True, False]]]])
    # L1 over the valid pixels only: (1 + 0 + 2) / 3
    assert DepthLoss('l1')(pred, target, valid).item() == pytest.approx(1.)
    # berHu: c = 0.2 * 2 = 0.4; |1| -> (1 + 0.16) / 0.8, 0 -> 0,
    # |2| -> (4 + 0.16) / 0.8
    want = ((1 + .16) / .8 + 0 + (4 + .16) / .8) / 3
    loss = DepthLoss('berhu', loss_weight=0.5)(pred, target, valid)
    assert loss.item() == pytest.approx(0.5 * want)
    assert torch.allclose(berhu(torch.tensor([-0.1, 1.])),
                          torch.tensor([0.1, (1 + .04) / .4]))
    # no valid pixel: zero, still a graph
    p = pred.clone().requires_grad_()
    zero = DepthLoss()(p, target, torch.zeros_like(valid))
    zero.backward()
    assert zero.item() == 0 and torch.equal(p.grad, torch.zeros_like(p))
    with pytest.raises(ValueError, match='mode'):
        DepthLoss('l2')
    # DADA's inverse depth: 65536 / (cm + 1) on metres
    assert depth_representation(torch.tensor([1.]), 'inverse').item() == \
        pytest.approx(65536 / 101)
    assert depth_representation(torch.tensor([np.e]), 'log').item() == \
        pytest.approx(1.)


def test_source_depth_masks_padding_and_sky():
    model = build()
    data = model.data_preprocessor(batch(), True)
    src, samples = data['inputs']['source'], data['data_samples']['source']
    depth, valid = model.source_depth(src, samples)
    assert torch.equal(valid, depth > 0)
    # padding (the preprocessor pads depth with 255) is masked too
    raw = batch()
    for s in raw['source']['data_samples']:
        s.set_metainfo(dict(img_padding_size=[0, 8, 0, 4]))
        s.gt_depth_map.data[:, -4:] = 255.
        s.gt_depth_map.data[:, :, -8:] = 255.
    samples = raw['source']['data_samples']
    depth, valid = model.source_depth(torch.zeros(2, 3, H, W), samples)
    assert not valid[:, :, :3].any()  # sky
    assert not valid[:, :, -4:].any() and not valid[..., -8:].any()
    assert valid[:, :, 3:-4, :-8].all()
    # ... and the loss does not see them
    pred = torch.zeros(2, 1, H, W)
    target = torch.where(valid, depth, torch.full_like(depth, 1e6))
    loss = DepthLoss('l1')(pred, target, valid)
    assert loss.item() == pytest.approx(depth[valid].mean().item(), rel=1e-6)
    # G's depth channel is 0 there, in [0, 1] elsewhere
    norm = model.normalise_depth(depth, valid)
    assert (norm[~valid] == 0).all()
    assert norm.amin() == 0 and norm.flatten(1).amax(1).tolist() == [1., 1.]


def test_discriminator_step_and_generator_step_isolated():
    model = build()
    optim = optimizers(model)
    log = record_steps(optim, model)
    model.train_step(batch(), optim)
    order = [name for name, _ in log]
    assert order == ['discriminator', 'generator', 'segmentor', 'depth_head']
    at_d = log[0][1]
    assert nonzero(at_d['discriminator'])
    for child in model.task_children:  # D step: nothing reaches G or T
        assert all(g is None for g in at_d[child].values()), child
    at_g = log[1][1]
    assert all(g is None for g in at_g['discriminator'].values())
    for child in model.task_children:
        assert nonzero(at_g[child]), child


def test_task_losses_reach_generator():
    model = build(adversarial_losses=dict(
        input=dict(loss_weight=0.), output=dict(loss_weight=0.)))
    optim = optimizers(model)
    log = record_steps(optim, model)
    out = model.train_step(batch(), optim)
    assert out['adv.input.loss_adv'] == 0 and out['adv.output.loss_adv'] == 0
    grads = dict(log)['generator']['generator']
    assert nonzero(grads), 'CE + depth give G no gradient'
    # the depth loss alone reaches G as well
    model = build(
        adversarial_losses=dict(input=dict(loss_weight=0.),
                                output=dict(loss_weight=0.)),
        segmentor=dict(decode_head=dict(loss_decode=dict(loss_weight=0.))))
    optim = optimizers(model)
    log = record_steps(optim, model)
    model.train_step(batch(), optim)
    assert nonzero(dict(log)['generator']['generator'])


def test_output_discriminator_sees_softmax_and_depth():
    model = build()
    seen = []
    model.discriminator.levels['output'].register_forward_pre_hook(
        lambda m, args: seen.append(args[0].detach().clone()))
    data = batch()
    # what T predicts on the target before the step changes it
    with torch.no_grad():
        target = model.data_preprocessor(data, True)['inputs']['target']
        logits, pred = model.task_outputs(target)
    model.train_step(data, optimizers(model))
    # D step: real (target), fake (source); G step: fake again
    assert [s.shape[1] for s in seen] == [K + 1] * 3
    real = seen[0]
    prob, depth = real[:, :K], real[:, K:]
    assert torch.allclose(prob.sum(1), torch.ones_like(prob[:, 0]))
    assert depth.amin() == 0
    assert depth.flatten(1).amax(1).tolist() == pytest.approx([1., 1.])
    # exactly softmax(T_seg) (+) normalised T_depth of the target images
    assert torch.allclose(prob, logits.softmax(1), atol=1e-6)
    assert torch.allclose(depth, model.normalise_depth(pred), atol=1e-6)
    # semantic-only ablation: softmax alone
    ablation, seen[:] = build(NODEPTH), []
    ablation.discriminator.levels['output'].register_forward_pre_hook(
        lambda m, args: seen.append(args[0].detach().clone()))
    ablation.train_step(batch(with_depth=False), optimizers(ablation))
    assert [s.shape[1] for s in seen] == [K] * 3


def test_two_domain_batch_and_optimizers_required():
    model = build()
    with pytest.raises(TypeError, match='generator'):
        model.train_step(batch(), OptimWrapperDict(
            segmentor=OptimWrapper(torch.optim.SGD(
                model.segmentor.parameters(), lr=0.1))))
    data = batch()
    data.pop('target')
    with pytest.raises(ValueError, match='two-domain'):
        model.train_step(data, optimizers(model))
    with pytest.raises(KeyError, match='gt_depth_map'):
        model.train_step(batch(with_depth=False), optimizers(model))


def test_deployable_is_plain_encoder_decoder():
    model = build()
    seg = deployable_segmentor(model)
    assert seg is model.segmentor and model.deploy_prefix == 'segmentor.'
    cfg = Config.fromfile(CONFIG).model.segmentor
    cfg.type = 'EncoderDecoder'
    plain = MODELS.build(cfg)
    assert set(plain.state_dict()) == set(seg.state_dict())
    plain.load_state_dict(seg.state_dict(), strict=True)
    assert not [k for k in model.state_dict()
                if k.startswith('segmentor.') and 'depth' in k]
    assert any(k.startswith('depth_head.') for k in model.state_dict())
    x = torch.randn(1, 3, H, W)
    plain.eval(), seg.eval()
    with torch.no_grad():
        assert torch.equal(plain(x), seg(x))
    assert isinstance(model, GIOAda)


def write_png(path, array):
    assert cv2.imwrite(str(path), array)


def test_load_depth_map_synthia_convention(tmp_path):
    raw = np.array([[100, 65535], [1000, 250]], np.uint16)
    load = TRANSFORMS.build(
        dict(type='LoadDepthMap', convention='synthia', scale=0.01,
             invalid_value=65535, check_size=False))
    write_png(tmp_path / 'one.png', raw)
    out = load(dict(depth_path=str(tmp_path / 'one.png')))
    assert out['gt_depth_map'].tolist() == [[1., 0.], [10., 2.5]]
    # equal colour channels: what DADA's grey read and the R channel agree on
    write_png(tmp_path / 'three.png', np.stack([raw] * 3, 2))
    out = load(dict(depth_path=str(tmp_path / 'three.png')))
    assert out['gt_depth_map'].tolist() == [[1., 0.], [10., 2.5]]
    write_png(tmp_path / 'mixed.png',
              np.stack([raw, raw // 2, raw], 2))
    with pytest.raises(ValueError, match='mixed.png.*differ'):
        load(dict(depth_path=str(tmp_path / 'mixed.png')))
    write_png(tmp_path / 'eight.png', (raw % 256).astype(np.uint8))
    with pytest.raises(ValueError, match='eight.png.*16-bit'):
        load(dict(depth_path=str(tmp_path / 'eight.png')))
    with pytest.raises(ValueError, match='convention'):
        TRANSFORMS.build(dict(type='LoadDepthMap', convention='kitti'))
