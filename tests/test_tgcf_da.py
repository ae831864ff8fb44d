"""TGCF-DA stage A: AdaIN, the generator, the spectrally normalised
multi-scale PatchGAN, the LSGAN loss, the semantic constraint through the
frozen segmentor, one two-optimizer iteration; and the generation tool
(deterministic per seed, labels byte-identical)."""
import filecmp
import importlib.util
import json
import os
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import init_default_scope
from torch.nn.utils.spectral_norm import SpectralNorm

from conftest import REPO, run_script_main, stream_batch
from mmda.models import (LSGANLoss, MultiScalePatchDiscriminator,
                         TGCFGenerator, adaptive_instance_norm, lsgan_loss)
from mmseg.registry import MODELS

pytestmark = pytest.mark.usefixtures('torch_one_thread')

STAGE_A = osp.join(REPO, 'configs', 'tgcf',
                   'tgcf-da-generator_sim2real-gta5-to-cityscapes.py')
TINY_G = dict(base_channels=4, n_res=1)
TINY_D = dict(base_channels=4, n_layers=2)


def stage_a_cfg():
    cfg = Config.fromfile(STAGE_A)
    cfg.model.generator.update(TINY_G)
    cfg.model.discriminator.update(TINY_D)
    cfg.model.segmentor_checkpoint = None
    return cfg


def build_stage_a():
    init_default_scope('mmseg')
    torch.manual_seed(0)
    return MODELS.build(stage_a_cfg().model)


def two_domain_batch():
    return stream_batch(size=(32, 48))


def test_adain_carries_style_statistics():
    g = torch.Generator().manual_seed(0)
    content = torch.randn(2, 5, 9, 7, generator=g) * 3 + 1
    style = torch.randn(2, 5, 6, 11, generator=g) * torch.arange(
        1., 6.).view(1, 5, 1, 1) - 2
    out = adaptive_instance_norm(content, style)
    assert out.shape == content.shape
    torch.testing.assert_close(
        out.mean(dim=(2, 3)), style.mean(dim=(2, 3)), rtol=0, atol=1e-4)
    torch.testing.assert_close(
        out.flatten(2).std(dim=2), style.flatten(2).std(dim=2), rtol=0,
        atol=1e-4)
    # the content's spatial layout is kept: normalised maps are equal
    norm = (content - content.mean(dim=(2, 3), keepdim=True)) / \
        content.flatten(2).std(dim=2)[..., None, None]
    norm_out = (out - out.mean(dim=(2, 3), keepdim=True)) / \
        out.flatten(2).std(dim=2)[..., None, None]
    torch.testing.assert_close(norm_out, norm, rtol=0, atol=1e-4)
    with pytest.raises(ValueError, match='channels'):
        adaptive_instance_norm(content, style[:, :4])


def test_generator_shapes_and_spectral_norm():
    gen = TGCFGenerator(base_channels=4, n_downsample=2, n_res=1)
    out = gen(torch.randn(2, 3, 32, 48), torch.randn(2, 3, 24, 40))
    assert out.shape == (2, 3, 32, 48)
    assert out.abs().max() <= 1.
    convs = [m for m in gen.modules() if isinstance(m, nn.Conv2d)]
    assert convs and all(hasattr(m, 'weight_orig') for m in convs)
    with pytest.raises(ValueError, match='divisible by 4'):
        gen(torch.randn(1, 3, 30, 48), torch.randn(1, 3, 32, 48))
    with pytest.raises(ValueError, match='one target'):
        gen(torch.randn(2, 3, 32, 48), torch.randn(1, 3, 32, 48))


def test_spectral_norm_on_every_discriminator_conv():
    disc = MultiScalePatchDiscriminator(
        base_channels=4, n_layers=3, num_scales=3)
    convs = [m for m in disc.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 3 * 5  # n_layers + 2 per scale
    for conv in convs:
        assert any(isinstance(h, SpectralNorm)
                   for h in conv._forward_pre_hooks.values())
        assert hasattr(conv, 'weight_orig')
    outs = disc(torch.randn(1, 3, 128, 192))
    assert len(outs) == 3
    # each scale sees the image at half the previous resolution
    assert [o.shape[-1] for o in outs] == [22, 10, 4]


def test_lsgan_loss_values():
    scores = [torch.tensor([1., 0.]), torch.tensor([[2.]])]
    # real: 1/2 mean((s-1)^2) per scale: 1/2 * 1/2 + 1/2 * 1 = 0.75
    assert lsgan_loss(scores, real=True).item() == pytest.approx(0.75)
    # fake: 1/2 * 1/2 + 1/2 * 4 = 2.25
    assert lsgan_loss(scores, real=False).item() == pytest.approx(2.25)
    assert LSGANLoss(loss_weight=2.)(scores[0], True).item() == \
        pytest.approx(0.5)
    with pytest.raises(ValueError, match='no discriminator scores'):
        lsgan_loss([], True)


def test_semantic_loss_gradients_reach_generator_only():
    model = build_stage_a()
    assert not any(p.requires_grad for p in model.segmentor.parameters())
    data = model.data_preprocessor(two_domain_batch(), True)
    inputs, samples = data['inputs'], data['data_samples']
    generated = model.generator(inputs['source'], inputs['target'])
    losses = model.semantic_loss(generated, samples['source'])
    # lambda_sem x the segmentor's own CE of the generated images
    want = model.segmentor.loss(
        model.segmentor_input(generated), samples['source'])
    torch.testing.assert_close(losses['sem.decode.loss_ce'],
                               10. * want['decode.loss_ce'])
    losses['sem.decode.loss_ce'].backward()
    assert all(p.grad is None for p in model.segmentor.parameters())
    grads = [p.grad for p in model.generator.parameters() if p.requires_grad]
    assert grads and all(g is not None for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0


def test_segmentor_input_matches_its_preprocessor():
    model = build_stage_a()
    img = torch.randint(0, 256, (3, 32, 48), dtype=torch.uint8)
    gen_in = model.data_preprocessor(dict(inputs=[img]), False)['inputs']
    seg_in = model.segmentor.data_preprocessor(dict(inputs=[img]),
                                               False)['inputs']
    torch.testing.assert_close(
        model.segmentor_input(gen_in), seg_in, rtol=0, atol=1e-5)


def test_train_step_updates_generator_and_discriminator():
    model = build_stage_a()
    model.train()
    assert not model.segmentor.training
    wrappers = OptimWrapperDict(**{
        name: OptimWrapper(
            torch.optim.Adam(getattr(model, name).parameters(), lr=1e-3))
        for name in ('generator', 'discriminator')
    })
    before = {
        name: {k: v.clone()
               for k, v in getattr(model, name).state_dict().items()}
        for name in ('generator', 'discriminator', 'segmentor')
    }
    log = model.train_step(two_domain_batch(), wrappers)
    assert {'loss', 'sem.decode.loss_ce', 'gen.loss_gan', 'disc.loss_real',
            'disc.loss_fake'} <= set(log)
    for name, changed in (('generator', True), ('discriminator', True),
                          ('segmentor', False)):
        state = getattr(model, name).state_dict()
        same = all(torch.equal(v, state[k])
                   for k, v in before[name].items())
        assert same is not changed, name
    with pytest.raises(TypeError, match='one optimizer per child network'):
        model.train_step(two_domain_batch(), wrappers['generator'])


def test_stage_a_is_not_a_segmentor():
    model = build_stage_a()
    with pytest.raises(RuntimeError, match='tgcf_generate'):
        model(torch.zeros(1, 3, 32, 32), mode='predict')


def test_frozen_segmentor_checkpoint_is_loaded_and_kept(tmp_path):
    init_default_scope('mmseg')
    cfg = stage_a_cfg()
    seg = MODELS.build(cfg.model.segmentor)
    with torch.no_grad():
        for p in seg.parameters():
            p.normal_()
    torch.save(dict(state_dict=seg.state_dict()), tmp_path / 'src.pth')
    cfg.model.segmentor_checkpoint = str(tmp_path / 'src.pth')
    model = MODELS.build(cfg.model)
    model.init_weights()  # what the runner does before training
    for k, v in seg.state_dict().items():
        assert torch.equal(model.segmentor.state_dict()[k], v), k
    assert not any(p.requires_grad for p in model.segmentor.parameters())
    cfg.model.segmentor_checkpoint = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        MODELS.build(cfg.model).init_weights()


def generator_checkpoint(path, seed=0):
    init_default_scope('mmseg')
    torch.manual_seed(seed)
    gen = MODELS.build(stage_a_cfg().model.generator)
    torch.save(
        dict(state_dict={f'generator.{k}': v
                         for k, v in gen.state_dict().items()}), path)


def tool_module(name):
    """A script under ``tools/`` imported as a module."""
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tree(root):
    return sorted(
        osp.relpath(osp.join(d, f), root) for d, _, files in os.walk(root)
        for f in files)


@pytest.mark.slow
def test_generation_tool_deterministic_and_labels_identical(
        sim2real_tiny, tmp_path):
    ckpt = tmp_path / 'stage_a.pth'
    generator_checkpoint(ckpt)
    options = [
        '--cfg-options', 'model.generator.base_channels=4',
        'model.generator.n_res=1'
    ]
    outs = {}
    cwd = os.getcwd()
    os.chdir(sim2real_tiny)
    try:
        for name, seed in (('a', 3), ('b', 3), ('c', 4)):
            outs[name] = tmp_path / name
            run_script_main('tgcf_generate.py', [
                STAGE_A, ckpt, '--out', outs[name], '--seed', seed,
                '--batch-size', 3
            ] + options)
    finally:
        os.chdir(cwd)
    src = sim2real_tiny / 'data' / 'sim2real' / 'gta5'
    files = tree(outs['a'])
    images = [f for f in files if f.startswith('images/')]
    labels = [f for f in files if f.startswith('labels/')]
    assert len(images) == 8 and images == [
        f for f in tree(src) if f.startswith('images/')
    ]
    # every label file the dataset reads, byte for byte
    assert labels and all(f.endswith('_labelTrainIds.png') for f in labels)
    for rel in labels:
        assert filecmp.cmp(src / rel, outs['a'] / rel, shallow=False), rel
    # same seed: identical output; the images are not the sources
    assert files == tree(outs['b'])
    for rel in images:
        assert filecmp.cmp(outs['a'] / rel, outs['b'] / rel, shallow=False)
        assert not filecmp.cmp(src / rel, outs['a'] / rel, shallow=False)
    manifest = json.loads((outs['a'] / 'tgcf_manifest.json').read_text())
    assert manifest['seed'] == 3 and manifest['num_images'] == 8
    assert len(manifest['checkpoint_sha256']) == 64
    other = json.loads((outs['c'] / 'tgcf_manifest.json').read_text())
    assert [p['target'] for p in other['pairs']] != \
        [p['target'] for p in manifest['pairs']]
    # nothing left under a temporary name; an existing OUT needs --force
    assert sorted(os.listdir(tmp_path)) == ['a', 'b', 'c', 'stage_a.pth']
    with pytest.raises(SystemExit, match='--force'):
        tool_module('tgcf_generate').main(
            [STAGE_A, str(ckpt), '--out', str(outs['a'])])
