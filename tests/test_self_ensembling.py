"""SelfEnsembling segmentor and its consistency loss, on the small sim2real
config: exact loss values, what gets gradients, the ramp-up, the streams,
prediction/export of the student or the teacher."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope

from conftest import REPO, stream_batch
from mmda.models import (ConsistencyLoss, confidence_mask, consistency_loss,
                         deploy_prefix, deployable_segmentor, segmentor_cfg)
from mmda.models.segmentors import gaussian_rampup
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS

pytestmark = pytest.mark.usefixtures('torch_one_thread')

SE = osp.join(REPO, 'configs', 'self_ensembling',
              'self-ensembling_deeplabv2-small_sim2real-gta5-to-cityscapes.py')


def build(**overrides):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    cfg = Config.fromfile(SE)
    cfg.model.update(overrides)
    return cfg, MODELS.build(cfg.model)


def batch(streams=('source', 'target')):
    return stream_batch(streams, ('source', 'source_aug'), size=(32, 48))


def test_consistency_loss_exact_values():
    # one pixel, two classes: student p = (1/2, 1/2), teacher (3/4, 1/4)
    student = torch.zeros(1, 2, 1, 2)
    teacher = torch.tensor([math.log(3.), 0.]).view(1, 2, 1, 1).repeat(
        1, 1, 1, 2)
    teacher[..., 1] = 0.  # second pixel: teacher (1/2, 1/2) too
    # pixel 1: ((1/4)^2 + (1/4)^2) / 2 = 1/16; pixel 2: 0; mean 1/32
    assert consistency_loss(student, teacher).item() == pytest.approx(
        1 / 32, abs=1e-7)
    mask = torch.tensor([[[0., 1.]]])
    assert consistency_loss(student, teacher, mask).item() == 0.
    # the module: weight x ramp factor x loss; the confidence mask keeps
    # only pixels where the teacher's top probability >= the threshold
    loss = ConsistencyLoss(loss_weight=3., conf_thresh=0.7)
    assert confidence_mask(teacher, 0.7).tolist() == [[[1., 0.]]]
    assert loss(student, teacher, 0.5).item() == pytest.approx(
        3 * 0.5 / 32, abs=1e-7)
    with pytest.raises(ValueError, match='shape'):
        consistency_loss(student, teacher[..., :1])
    with pytest.raises(ValueError, match='conf_thresh'):
        ConsistencyLoss(conf_thresh=1.5)


def test_consistency_gradient_reaches_student_only():
    student = torch.randn(2, 5, 3, 3, requires_grad=True)
    teacher = torch.randn(2, 5, 3, 3, requires_grad=True)
    consistency_loss(student, teacher).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_gaussian_rampup():
    assert gaussian_rampup(0, 100) == pytest.approx(math.exp(-5.))
    assert gaussian_rampup(50, 100) == pytest.approx(math.exp(-1.25))
    assert gaussian_rampup(100, 100) == 1.
    assert gaussian_rampup(7, 0) == 1.


def test_model_is_student_plus_frozen_teacher():
    cfg, model = build()
    assert isinstance(model.student, EncoderDecoder)
    assert isinstance(model.teacher, EncoderDecoder)
    assert all(p.requires_grad for p in model.student.parameters())
    assert not any(p.requires_grad for p in model.teacher.parameters())
    assert model.student.decode_head.dropout.p == 0.1
    # state dict: student.* and teacher.*; the student loads into mmseg alone
    keys = model.state_dict().keys()
    assert {k.split('.')[0] for k in keys} == {'student', 'teacher'}
    plain = MODELS.build(segmentor_cfg(cfg.model))
    assert type(plain) is EncoderDecoder
    plain.load_state_dict(
        {k[len('student.'):]: v for k, v in model.state_dict().items()
         if k.startswith('student.')})
    assert deploy_prefix(cfg.model) == 'student.'
    assert deployable_segmentor(model) is model.student


def test_loss_terms_and_gradients():
    _, model = build(noise_std=0.)
    data = model.data_preprocessor(batch(('source', 'source_aug',
                                          'target')), True)
    inputs, samples = data['inputs'], data['data_samples']
    # the supervised terms are the student's own CE of each stream
    model.eval()
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {
        'source.decode.loss_ce', 'source.decode.acc_seg',
        'source_aug.decode.loss_ce', 'source_aug.decode.acc_seg',
        'target.loss_con', 'con_rampup'
    }
    for stream in ('source', 'source_aug'):
        want = model.student.loss(inputs[stream], samples[stream])
        torch.testing.assert_close(losses[f'{stream}.decode.loss_ce'],
                                   want['decode.loss_ce'])
    # teacher = student, no noise, no dropout: consistency exactly 0
    assert losses['target.loss_con'].item() == 0.
    # teacher differs: 3 x the mean squared softmax difference
    with torch.no_grad():
        for p in model.teacher.parameters():
            p.add_(0.05 * torch.randn_like(p))
    losses = model(inputs, samples, mode='loss')
    want = 3. * consistency_loss(
        model.student(inputs['target'], mode='tensor'),
        model.teacher(inputs['target'], mode='tensor'))
    torch.testing.assert_close(losses['target.loss_con'], want)
    assert losses['target.loss_con'].item() > 0
    # gradients: the student from every term, the teacher none
    model.student.zero_grad()
    losses['target.loss_con'].backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    grads = [p.grad for p in model.student.parameters()]
    assert all(g is not None for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0


def test_noise_is_independent_per_network():
    _, model = build(noise_std=0.5)
    model.eval()
    data = model.data_preprocessor(batch(), True)
    torch.manual_seed(0)
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    # teacher = student and no dropout: only the two noises differ
    assert losses['target.loss_con'].item() > 0
    x = torch.zeros(2, 3, 4, 4)
    n1, n2 = model.perturb(x), model.perturb(x)
    assert not torch.equal(n1, n2)
    assert n1.std().item() == pytest.approx(0.5, rel=0.3)


def test_rampup_follows_the_runner_iteration():
    _, model = build(rampup='gauss', rampup_iters=10)
    data = model.data_preprocessor(batch(), True)
    hub = MessageHub.get_current_instance()
    for iteration, want in ((0, math.exp(-5.)), (5, math.exp(-1.25)),
                            (10, 1.)):
        hub.update_info('iter', iteration)
        losses = model(data['inputs'], data['data_samples'], mode='loss')
        assert losses['con_rampup'].item() == pytest.approx(want)


def test_single_domain_batch_trains_the_student():
    _, model = build()
    data = model.data_preprocessor(batch(('source', )), True)
    source = data['inputs']['source']
    losses = model(source, data['data_samples']['source'], mode='loss')
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg'}


def test_stream_errors():
    _, model = build()
    data = model.data_preprocessor(batch(('source', 'target', 'extra')),
                                   True)
    with pytest.raises(KeyError, match="unknown \\['extra'\\]"):
        model(data['inputs'], data['data_samples'], mode='loss')
    data = model.data_preprocessor(batch(('source', 'source_aug')), True)
    with pytest.raises(KeyError, match="missing \\['target'\\]"):
        model(data['inputs'], data['data_samples'], mode='loss')


def test_predict_on_teacher():
    cfg, model = build(test_cfg=dict(predict_on='teacher'))
    with torch.no_grad():
        for p in model.teacher.parameters():
            p.add_(0.05 * torch.randn_like(p))
    model.eval()
    x = torch.randn(1, 3, 32, 48)
    torch.testing.assert_close(
        model(x, mode='tensor'), model.teacher(x, mode='tensor'))
    assert not torch.equal(
        model(x, mode='tensor'), model.student(x, mode='tensor'))
    assert deployable_segmentor(model) is model.teacher
    assert model.deploy_prefix == 'teacher.'
    assert deploy_prefix(cfg.model) == 'teacher.'
    with pytest.raises(ValueError, match='predict_on'):
        build(test_cfg=dict(predict_on='ema'))
    with pytest.raises(KeyError, match='mode'):
        build(test_cfg=dict(mode='whole'))


@pytest.mark.parametrize('kwargs,match', [
    (dict(rampup='sigmoid'), 'rampup'),
    (dict(rampup='gauss', rampup_iters=0), 'rampup_iters'),
    (dict(noise_std=-1.), 'noise_std'),
    (dict(supervised_streams=('source_aug', )), 'supervised_streams'),
])
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)
