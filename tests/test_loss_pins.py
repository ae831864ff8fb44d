"""The losses of RIPU, MinEnt and AdvEnt pinned on fixed inputs.

Every value below was computed by the code before its speed-ups
(benchmarks/train_throughput.py; docs/architecture.md): the loss
functions on fixed random maps, and one training step of each method on
the small sim2real configs from a seeded model and batch (the logged
losses, and a checksum of each optimizer step's weight update). A
change that alters what is computed fails here; one that only computes
the same numbers faster does not.

``python tests/test_loss_pins.py`` prints the current values in the form
of the ``PINS`` table (to re-pin after a change that is meant to alter
them).
"""
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from mmda.engine import MultiOptimWrapperConstructor
from mmda.models import (adversarial_bce_loss, entropy_loss,
                         local_consistency_loss, negative_learning_loss,
                         weighted_self_information)
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = {
    'ripu': 'configs/ripu/ripu_ra-5_deeplabv2-small_sim2real-gta5-to-'
    'cityscapes.py',
    'minent': 'configs/advent/minent_deeplabv2-small_sim2real-gta5-to-'
    'cityscapes.py',
    'advent': 'configs/advent/advent_deeplabv2-small_sim2real-gta5-to-'
    'cityscapes.py',
}

# name -> value; computed with the code before the speed-ups (see above)
PINS = {
    'fn.negative_learning': 0.006090804468840361,
    'fn.negative_learning.grad': -2.2816249241174503e-05,
    'fn.consistency.boundary': 1.338860034942627,
    'fn.consistency.boundary.grad': -0.0018823122533077382,
    'fn.consistency.interior': 1.3725683689117432,
    'fn.consistency.interior.grad': 0.0005654112056165371,
    'fn.entropy': 0.4216739535331726,
    'fn.entropy.grad': -0.0003152220110163961,
    'fn.self_information': 809.6140313876548,
    'fn.adversarial_bce': 2.885958194732666,
    'ripu.loss': 6.271215915679932,
    'ripu.src.loss_ce': 3.108262538909912,
    'ripu.src.acc_seg': 5.0,
    'ripu.src.loss_cr': 0.0008345794049091637,
    'ripu.tgt.loss_ce': 3.1305017471313477,
    'ripu.tgt.acc_seg': 5.655527114868164,
    'ripu.tgt.loss_nl': 0.0316169299185276,
    'ripu.update': -0.41856371524502817,
    'minent.loss': 3.420070171356201,
    'minent.src.decode.loss_ce': 3.108262538909912,
    'minent.src.decode.acc_seg': 5.0,
    'minent.src.aux.loss_ce': 0.3004413843154907,
    'minent.src.aux.acc_seg': 5.260416507720947,
    'minent.tgt.main.loss_ent': 0.009408305399119854,
    'minent.tgt.aux.loss_ent': 0.0019581157248467207,
    'minent.update': -0.20800631556477184,
    'advent.loss': 3.417017936706543,
    'advent.src.decode.loss_ce': 3.108262538909912,
    'advent.src.decode.acc_seg': 5.0,
    'advent.src.aux.loss_ce': 0.3004413843154907,
    'advent.src.aux.acc_seg': 5.260416507720947,
    'advent.tgt.main.loss_adv': 0.006922973785549402,
    'advent.tgt.aux.loss_adv': 0.001391182653605938,
    'advent.disc.main.loss_src': 0.34616321325302124,
    'advent.disc.aux.loss_src': 0.3478080630302429,
    'advent.disc.main.acc_src': 1.0,
    'advent.disc.aux.acc_src': 0.0,
    'advent.disc.main.loss_tgt': 0.3469988703727722,
    'advent.disc.aux.loss_tgt': 0.3453546464443207,
    'advent.disc.main.acc_tgt': 0.0,
    'advent.disc.aux.acc_tgt': 1.0,
    'advent.segmentor.update': -0.20168859378751355,
    'advent.discriminator.update': -0.05813653282025758,
}


def fixed_maps():
    """19-class logits (2×19×24×40) and labels with ignored pixels and
    region boundaries, and a fixed weighting of the gradients."""
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 19, 24, 40, generator=g) * 3
    label = torch.randint(0, 19, (2, 6, 10), generator=g)
    label = label.repeat_interleave(4, 1).repeat_interleave(4, 2)
    label[:, :5, :7] = 255
    weights = torch.rand(2, 19, 24, 40, generator=g)
    return logits, label, weights


def function_values() -> dict:
    logits, label, weights = fixed_maps()
    values = {}

    def pin(name, fn):
        x = logits.clone().requires_grad_()
        loss = fn(x)
        loss.backward()
        values[f'fn.{name}'] = loss.item()
        values[f'fn.{name}.grad'] = (x.grad.double() *
                                     weights.double()).sum().item()

    pin('negative_learning', negative_learning_loss)
    pin('consistency.boundary',
        lambda x: local_consistency_loss(x, label, 'boundary'))
    pin('consistency.interior',
        lambda x: local_consistency_loss(x, label, 'interior'))
    pin('entropy', entropy_loss)
    values['fn.self_information'] = weighted_self_information(
        logits.softmax(1)).double().sum().item()
    values['fn.adversarial_bce'] = (adversarial_bce_loss(logits[:, :1], 0.) +
                                    adversarial_bce_loss(logits[:, 1:2],
                                                         1.)).item()
    return values


def two_domain_batch(size=(48, 80)):
    """Two source images with dense labels and two target images with
    sparse labels (RIPU's active labels; the other methods ignore them)."""
    g = torch.Generator().manual_seed(1)
    batch = {}
    for domain in ('source', 'target'):
        inputs, samples = [], []
        for _ in range(2):
            inputs.append(
                torch.randint(0, 256, (3, ) + size, generator=g,
                              dtype=torch.uint8))
            label = torch.randint(0, 19, (1, ) + size, generator=g)
            if domain == 'target':
                label[torch.rand(label.shape, generator=g) > 0.05] = 255
            sample = SegDataSample(
                metainfo=dict(img_shape=size, ori_shape=size))
            sample.gt_sem_seg = PixelData(data=label)
            samples.append(sample)
        batch[domain] = dict(inputs=inputs, data_samples=samples)
    return batch


def build(method):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(REPO, CONFIGS[method]))
    return cfg, MODELS.build(cfg.model)


def weights_of(module) -> torch.Tensor:
    return torch.cat([p.detach().double().flatten()
                      for p in module.parameters()])


class UpdateChecksum(float):
    """A checksum with the size of what it sums (``scale``)."""

    def __new__(cls, value: float, scale: float):
        self = super().__new__(cls, value)
        self.scale = scale
        return self

    def __repr__(self):
        return float.__repr__(self)


def update_checksum(before: torch.Tensor, module) -> UpdateChecksum:
    """Σ_i r_i · Δw_i over the flattened parameters, with fixed random
    r_i: the optimizer step's update, position by position. Its ``scale``
    is Σ_i r_i · |Δw_i|: the terms cancel, so the checksum is compared
    with a tolerance relative to the terms' size, not to the sum's."""
    delta = weights_of(module) - before
    r = torch.rand(delta.numel(), generator=torch.Generator().manual_seed(2),
                   dtype=torch.float64)
    return UpdateChecksum((delta * r).sum().item(),
                          (delta.abs() * r).sum().item())


def single_optimizer_step(method) -> dict:
    """One SGD step of RIPU or MinEnt: its logged values and the weights'
    checksum after the step."""
    cfg, model = build(method)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    before = weights_of(model)
    log = model.train_step(two_domain_batch(), wrapper)
    values = {f'{method}.{k}': v.item() for k, v in log.items()}
    values[f'{method}.update'] = update_checksum(before, model)
    return values


def advent_step() -> dict:
    """One AdvEnt iteration (segmentor and discriminator steps)."""
    cfg, model = build('advent')
    entries = dict(cfg.optim_wrapper)
    entries.pop('constructor')
    wrappers = MultiOptimWrapperConstructor(entries)(model)
    MessageHub.get_current_instance().update_info('iter', 0)
    before = {name: weights_of(getattr(model, name))
              for name in ('segmentor', 'discriminator')}
    log = model.train_step(two_domain_batch(), wrappers)
    values = {f'advent.{k}': v.item() for k, v in log.items()}
    for name, weights in before.items():
        values[f'advent.{name}.update'] = update_checksum(
            weights, getattr(model, name))
    return values


def all_values() -> dict:
    torch.set_num_threads(1)
    values = function_values()
    for method in ('ripu', 'minent'):
        values.update(single_optimizer_step(method))
    values.update(advent_step())
    return values


@pytest.mark.usefixtures('torch_one_thread')
@pytest.mark.parametrize('group', ['fn', 'ripu', 'minent', 'advent'])
def test_losses_unchanged(group):
    if group == 'fn':
        values = function_values()
    elif group == 'advent':
        values = advent_step()
    else:
        values = single_optimizer_step(group)
    pinned = {k: v for k, v in PINS.items() if k.startswith(f'{group}.')}
    assert set(values) == set(pinned)
    # function-level values are exact to float32 rounding; a training
    # step goes through oneDNN convolutions, whose kernels may differ
    # between CPUs in the last bits (an update checksum moved by 4e-6 of
    # its terms' size from one CPU to another)
    tol = dict(rtol=1e-6, atol=1e-9) if group == 'fn' else dict(
        rtol=1e-5, atol=1e-8)
    for key in sorted(pinned):
        value = values[key]
        key_tol = dict(rtol=0., atol=1e-5 * value.scale) if isinstance(
            value, UpdateChecksum) else tol
        torch.testing.assert_close(
            float(value), pinned[key], **key_tol,
            msg=lambda m, k=key: f'{k}: {m}')


if __name__ == '__main__':
    sys.path.insert(0, REPO)
    print('PINS = {')
    for key, value in all_values().items():
        print(f'    {key!r}: {value!r},')
    print('}')
