"""AdvEnt / MinEnt losses and the discriminators against their formulas."""
import math

import pytest
import torch
import torch.nn as nn

from mmda.models import (AdversarialLoss, EntropyLoss, FCDiscriminator,
                         MultiLevelDiscriminator, adversarial_bce_loss,
                         entropy_loss, normalized_entropy,
                         weighted_self_information)

pytestmark = pytest.mark.usefixtures('torch_one_thread')


def test_weighted_self_information_formula():
    probs = torch.tensor([0.5, 0.25, 0.25, 0.]).view(1, 4, 1, 1)
    got = weighted_self_information(probs).flatten().tolist()
    # -p log2 p / log2 C with C = 4: 0.5*1/2, 0.25*2/2, 0.25*2/2, 0
    assert got == pytest.approx([0.25, 0.25, 0.25, 0.], abs=1e-7)
    assert normalized_entropy(probs).item() == pytest.approx(0.75)


def test_weighted_self_information_bounds():
    uniform = torch.full((2, 19, 3, 5), 1 / 19)
    assert torch.allclose(normalized_entropy(uniform), torch.ones(2, 3, 5))
    one_hot = torch.zeros(1, 19, 2, 2)
    one_hot[:, 4] = 1
    assert normalized_entropy(one_hot).abs().max().item() == 0.
    with pytest.raises(ValueError, match='at least 2 classes'):
        weighted_self_information(torch.ones(1, 1, 2, 2))


def test_entropy_loss_is_mean_normalised_entropy():
    logits = torch.randn(2, 5, 4, 3)
    p = logits.softmax(1)
    want = (-(p * torch.log2(p)).sum(1) / math.log2(5)).mean()
    assert entropy_loss(logits).item() == pytest.approx(want.item(), rel=1e-6)
    assert entropy_loss(torch.zeros(1, 7, 2, 2)).item() == pytest.approx(1.)
    loss = EntropyLoss(loss_weight=0.001)
    assert loss(logits).item() == pytest.approx(0.001 * want.item(),
                                                rel=1e-6)
    assert loss.loss_name == 'loss_ent'


def test_adversarial_bce_against_formula():
    d = torch.tensor([[0., 2., -1.], [3., -0.5, 1.]])
    sig = torch.sigmoid(d)
    want_src = -torch.log(1 - sig).mean()  # label 0
    want_tgt = -torch.log(sig).mean()  # label 1
    assert adversarial_bce_loss(d, 0.).item() == pytest.approx(
        want_src.item(), rel=1e-6)
    assert adversarial_bce_loss(d, 1.).item() == pytest.approx(
        want_tgt.item(), rel=1e-6)
    assert AdversarialLoss(loss_weight=0.5)(d, 1.).item() == pytest.approx(
        0.5 * want_tgt.item(), rel=1e-6)
    # at d = 0 either label costs ln 2
    assert adversarial_bce_loss(torch.zeros(4), 1.).item() == pytest.approx(
        math.log(2))


def test_fc_discriminator_architecture():
    disc = FCDiscriminator(in_channels=19)
    convs = [m for m in disc.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [
        (19, 64), (64, 128), (128, 256), (256, 512), (512, 1)]
    assert all(c.kernel_size == (4, 4) and c.stride == (2, 2)
               and c.padding == (1, 1) for c in convs)
    acts = [m for m in disc.modules() if isinstance(m, nn.LeakyReLU)]
    assert len(acts) == 4 and all(a.negative_slope == 0.2 for a in acts)
    assert not any(isinstance(m, nn.modules.batchnorm._NormBase)
                   for m in disc.modules())
    # five stride-2 convolutions: 512 x 1024 -> 16 x 32 domain logits
    out = FCDiscriminator(3, channels=(4, 4, 4, 4))(torch.zeros(
        1, 3, 512, 1024))
    assert out.shape == (1, 1, 16, 32)


def test_multi_level_discriminator_levels():
    disc = MultiLevelDiscriminator(
        dict(
            main=dict(type='FCDiscriminator', in_channels=3, channels=(4, )),
            aux=dict(type='FCDiscriminator', in_channels=3, channels=(4, ))))
    out = disc(dict(main=torch.zeros(2, 3, 16, 16)))
    assert set(out) == {'main'} and out['main'].shape == (2, 1, 4, 4)
    with pytest.raises(KeyError, match='levels'):
        disc(dict(layer2=torch.zeros(1, 3, 8, 8)))
    with pytest.raises(ValueError, match='positive'):
        FCDiscriminator(3, channels=())
