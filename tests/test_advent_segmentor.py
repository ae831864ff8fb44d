"""AdvEnt / MinEnt segmentors, the multi-optimizer constructor and the
adversarial discriminator hook, on the small sim2real configs."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapperDict
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from conftest import REPO
from mmda.engine import AdversarialDiscriminatorHook, \
    MultiOptimWrapperConstructor
from mmda.models import adversarial_bce_loss, weighted_self_information
from mmda.models.utils import (AdversarialSchedule,
                               current_adversarial_schedule,
                               publish_adversarial_schedule)
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

pytestmark = pytest.mark.usefixtures('torch_one_thread')

ADVENT = osp.join(REPO, 'configs', 'advent',
                  'advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
MINENT = osp.join(REPO, 'configs', 'advent',
                  'minent_deeplabv2-small_sim2real-gta5-to-cityscapes.py')


def two_domain_batch(seed=0, n=2, size=(64, 96)):
    g = torch.Generator().manual_seed(seed)
    batch = {}
    for domain in ('source', 'target'):
        inputs, samples = [], []
        for _ in range(n):
            inputs.append(
                torch.randint(0, 256, (3, ) + size, generator=g,
                              dtype=torch.uint8))
            sample = SegDataSample(
                metainfo=dict(img_shape=size, ori_shape=size))
            if domain == 'source':
                sample.gt_sem_seg = PixelData(data=torch.randint(
                    0, 19, (1, ) + size, generator=g))
            samples.append(sample)
        batch[domain] = dict(inputs=inputs, data_samples=samples)
    return batch


def build(config):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    cfg = Config.fromfile(config)
    return cfg, MODELS.build(cfg.model)


def set_iter(iteration):
    MessageHub.get_current_instance().update_info('iter', iteration)


def params(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def changed(before, module):
    return {
        k for k, v in module.named_parameters()
        if not torch.equal(before[k], v.detach())
    }


def test_multi_level_segmentor_is_plain_encoder_decoder():
    cfg, model = build(ADVENT)
    seg = model.segmentor
    plain_cfg = cfg.model.segmentor.copy()
    plain_cfg.type = 'EncoderDecoder'
    plain = MODELS.build(plain_cfg)
    assert type(plain) is EncoderDecoder
    plain.load_state_dict(seg.state_dict(), strict=True)
    x = torch.randn(1, 3, 64, 96)
    seg.eval(), plain.eval()
    levels = seg(x, mode='levels')
    assert list(levels) == ['main', 'aux']
    assert levels['main'].shape == levels['aux'].shape == (1, 19, 64, 96)
    # the main level is what mmseg predicts with
    with torch.no_grad():
        want = F.interpolate(plain(x, mode='tensor'), size=(64, 96),
                             mode='bilinear', align_corners=False)
    assert torch.allclose(levels['main'], want, atol=1e-6)


def test_multi_optim_wrapper_constructor():
    cfg, model = build(ADVENT)
    entries = dict(cfg.optim_wrapper)
    entries.pop('constructor')
    wrappers = MultiOptimWrapperConstructor(entries)(model)
    assert isinstance(wrappers, OptimWrapperDict)
    assert set(wrappers.keys()) == {'segmentor', 'discriminator'}
    seg_opt = wrappers['segmentor'].optimizer
    assert type(seg_opt).__name__ == 'SGD'
    head_ids = {
        id(p)
        for n, p in model.segmentor.named_parameters() if 'head' in n
    }
    for group in seg_opt.param_groups:
        ids = {id(p) for p in group['params']}
        want = 0.1 if ids <= head_ids else 0.01
        assert group['lr'] == pytest.approx(want)
    # exactly the classifiers (both heads) train at 10x
    assert {
        id(p)
        for group in seg_opt.param_groups
        if group['lr'] == pytest.approx(0.1) for p in group['params']
    } == head_ids
    disc_opt = wrappers['discriminator'].optimizer
    assert type(disc_opt).__name__ == 'Adam'
    assert disc_opt.param_groups[0]['betas'] == (0.9, 0.99)
    assert disc_opt.param_groups[0]['lr'] == pytest.approx(1e-4)

    with pytest.raises(KeyError, match=r"\['discriminator'\] .* no "
                       'optim_wrapper entry'):
        MultiOptimWrapperConstructor(
            dict(segmentor=entries['segmentor']))(model)
    with pytest.raises(KeyError, match="'generator'"):
        MultiOptimWrapperConstructor(
            dict(entries, generator=entries['segmentor']))(model)
    with pytest.raises(ValueError, match='child names'):
        MultiOptimWrapperConstructor(dict(entries['segmentor']))


def optim_wrappers(cfg, model):
    entries = dict(cfg.optim_wrapper)
    entries.pop('constructor')
    return MultiOptimWrapperConstructor(entries)(model)


def expected_adversarial_losses(model, batch):
    """The segmentor step's target adversarial losses (full weight), from
    the model before the step."""
    data = model.data_preprocessor(batch, True)
    with torch.no_grad():
        levels = model.segmentor(data['inputs']['target'], mode='levels')
        d_out = model.discriminator({
            k: weighted_self_information(v.softmax(1))
            for k, v in levels.items()
        })
    return {
        level: w * adversarial_bce_loss(d_out[level], 0.).item()
        for level, w in (('main', 0.01), ('aux', 0.002))
    }


def record_outputs(module):
    """Record every output of ``module``'s forward."""
    calls, forward = [], module.forward

    def recording(*args, **kwargs):
        out = forward(*args, **kwargs)
        calls.append({k: v.detach().clone() for k, v in out.items()})
        return out

    module.forward = recording
    return calls


def test_advent_train_step_losses_and_updates():
    cfg, model = build(ADVENT)
    wrappers = optim_wrappers(cfg, model)
    batch = two_domain_batch()
    set_iter(0)
    want = expected_adversarial_losses(model, batch)
    seg_before = params(model.segmentor)
    disc_before = params(model.discriminator)
    # calls: frozen on the target (segmentor step), then source and target
    d_calls = record_outputs(model.discriminator)
    log = model.train_step(batch, wrappers)
    assert set(log) >= {
        'loss', 'src.decode.loss_ce', 'src.aux.loss_ce', 'tgt.main.loss_adv',
        'tgt.aux.loss_adv', 'disc.main.loss_src', 'disc.main.loss_tgt',
        'disc.aux.loss_src', 'disc.aux.loss_tgt', 'disc.main.acc_src',
        'disc.main.acc_tgt'
    }
    assert log['tgt.main.loss_adv'].item() == pytest.approx(
        want['main'], rel=1e-4)
    assert log['tgt.aux.loss_adv'].item() == pytest.approx(
        want['aux'], rel=1e-4)
    assert log['loss'].item() == pytest.approx(
        sum(log[k].item() for k in ('src.decode.loss_ce', 'src.aux.loss_ce',
                                    'tgt.main.loss_adv',
                                    'tgt.aux.loss_adv')), rel=1e-5)
    assert len(d_calls) == 3
    for level in ('main', 'aux'):  # cells on the right side of 0
        assert log[f'disc.{level}.acc_src'].item() == pytest.approx(
            (d_calls[1][level] < 0).float().mean().item())
        assert log[f'disc.{level}.acc_tgt'].item() == pytest.approx(
            (d_calls[2][level] > 0).float().mean().item())
    assert changed(seg_before, model.segmentor) == set(seg_before)
    assert changed(disc_before, model.discriminator) == set(disc_before)
    # after the step the discriminators are trainable again
    assert all(p.requires_grad for p in model.discriminator.parameters())


def test_advent_schedule_skips_discriminator_and_warms_up():
    cfg, model = build(ADVENT)
    wrappers = optim_wrappers(cfg, model)
    set_iter(5)
    publish_adversarial_schedule(
        AdversarialSchedule(update_discriminator=False,
                            adversarial_weight=0.), 5)
    assert current_adversarial_schedule() == (False, 0.)
    disc_before = params(model.discriminator)
    log = model.train_step(two_domain_batch(), wrappers)
    assert not changed(disc_before, model.discriminator)
    assert all(p.grad is None or not p.grad.any()
               for p in model.discriminator.parameters())
    assert not any(k.startswith(('disc.', 'tgt.')) for k in log)
    # a schedule made for another iteration is stale: the recipe runs
    set_iter(6)
    assert current_adversarial_schedule() == AdversarialSchedule()


def test_advent_adversarial_weight_scales_the_target_loss():
    cfg, model = build(ADVENT)
    wrappers = optim_wrappers(cfg, model)
    batch = two_domain_batch()
    want = expected_adversarial_losses(model, batch)
    set_iter(3)
    publish_adversarial_schedule(
        AdversarialSchedule(update_discriminator=True,
                            adversarial_weight=0.5), 3)
    log = model.train_step(batch, wrappers)
    for level in ('main', 'aux'):
        assert log[f'tgt.{level}.loss_adv'].item() == pytest.approx(
            0.5 * want[level], rel=1e-4)


def test_advent_refuses_single_optimizer_and_loss_mode():
    cfg, model = build(ADVENT)
    wrappers = optim_wrappers(cfg, model)
    with pytest.raises(TypeError, match='one optimizer per child'):
        model.train_step(two_domain_batch(), wrappers['segmentor'])
    with pytest.raises(RuntimeError, match='train_step'):
        model(torch.zeros(1, 3, 8, 8), mode='loss')


def test_advent_predicts_with_the_segmentor():
    cfg, model = build(ADVENT)
    model.eval()
    batch = two_domain_batch()['target']
    out = model.test_step(batch)
    assert len(out) == 2 and out[0].pred_sem_seg.data.shape == (1, 64, 96)
    want = model.segmentor.test_step(two_domain_batch()['target'])
    for got, ref in zip(out, want):
        assert torch.equal(got.pred_sem_seg.data, ref.pred_sem_seg.data)


def test_minent_losses():
    cfg, model = build(MINENT)
    batch = two_domain_batch()
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    assert set(losses) >= {
        'src.decode.loss_ce', 'src.aux.loss_ce', 'tgt.main.loss_ent',
        'tgt.aux.loss_ent'
    }
    with torch.no_grad():
        levels = model.level_logits(data['inputs']['target'])
    for level, weight in (('main', 0.01), ('aux', 0.002)):
        p = levels[level].softmax(1)
        want = weight * (-(p * torch.log2(p + 1e-30)).sum(1) /
                         torch.log2(torch.tensor(19.))).mean()
        assert losses[f'tgt.{level}.loss_ent'].item() == pytest.approx(
            want.item(), rel=1e-4)


def test_adversarial_discriminator_hook_schedule():
    hook = AdversarialDiscriminatorHook(
        update_interval=3, warmup_iters=2, ramp_iters=4)
    got = [hook.schedule(i) for i in range(8)]
    assert [s.update_discriminator for s in got] == [
        True, False, False, True, False, False, True, False]
    assert [s.adversarial_weight for s in got] == [
        0., 0., 0.25, 0.5, 0.75, 1., 1., 1.]
    assert AdversarialDiscriminatorHook().schedule(0) == (True, 1.)
    for bad in (dict(update_interval=0), dict(warmup_iters=-1),
                dict(ramp_iters=1.5)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            AdversarialDiscriminatorHook(**bad)


def test_adversarial_discriminator_hook_logs_window():
    hook = AdversarialDiscriminatorHook(log_interval=2, saturation_acc=0.9)
    lines, scalars = [], []
    runner = SimpleNamespace(
        iter=0,
        logger=SimpleNamespace(
            info=lines.append, warning=lambda m: lines.append('W ' + m)),
        visualizer=SimpleNamespace(
            add_scalars=lambda values, step: scalars.append((step, values))))
    for it, acc in ((0, 1.), (1, 0.96)):
        runner.iter = it
        hook.before_train_iter(runner, it)
        assert MessageHub.get_current_instance().get_info(
            'adversarial_schedule')['iter'] == it
        hook.after_train_iter(
            runner, it, outputs={
                'disc.main.acc_src': torch.tensor(acc),
                'disc.main.acc_tgt': torch.tensor(acc),
                'loss': torch.tensor(1.)
            })
    assert lines[0] == ('[discriminator] iter 2: 2/2 updates, accuracy '
                        'main.acc_src 0.980, main.acc_tgt 0.980, '
                        'adversarial weight 1')
    assert lines[1].startswith('W [discriminator] accuracy above 0.9')
    # the same window as scalars for the visualisation backends
    assert scalars == [(2, {
        'disc/main.acc_src': pytest.approx(0.98),
        'disc/main.acc_tgt': pytest.approx(0.98),
        'disc/adversarial_weight': 1.0,
        'disc/update_share': 1.0,
    })]
