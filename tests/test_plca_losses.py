"""PLCA's losses and pixel affinities on fixed tensors (docs/methods.md,
PLCA): scoring, the cycle association on a hand-built example, the empty
positive set, spatial aggregation, the thresholded LSR, the KL similarity,
the official reduction modes and blocked = dense."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmda.models import CycleAssociationLoss, ThresholdedLSRLoss
from mmda.models.losses import cycle_association, thresholded_lsr_loss
from mmda.models.utils.association_reduction import reduce_for_association
from mmda.models.utils.pixel_affinity import (aggregation_weights,
                                              embed_pixels, scoring,
                                              similarity, spatial_aggregation,
                                              spatial_aggregation_map)


def log_phi(row, j):
    """log of PLCA's scoring of entry j of a row, in plain Python: z-score
    with the unbiased standard deviation, then log-softmax."""
    n = len(row)
    mean = sum(row) / n
    std = math.sqrt(sum((v - mean)**2 for v in row) / (n - 1))
    z = [(v - mean) / (std + 1e-10) for v in row]
    return z[j] - math.log(sum(math.exp(v) for v in z))


# The hand-built example: 2×2 source and 2×2 target maps of 2-d features.
SOURCE = [(1., 0.), (0., 1.), (-1., 0.), (0., -1.)]
TARGET = [(1., 0.), (.8, .6), (-.6, .8), (0., -1.)]
# cosine similarities s_i · t_j (all vectors have unit length)
D_ST = [[1., .8, -.6, 0.], [0., .6, .8, -1.], [-1., -.8, .6, 0.],
        [0., -.6, -.8, 1.]]
D_TS = [list(col) for col in zip(*D_ST)]
# j*(i) = argmax_j D_ST[i]: 0, 2, 2, 3; i*(j) = argmax_i D_TS[j]:
# t0 -> s0, t2 -> s1, t3 -> s3.
# Cycles: s0 -> t0 -> s0, s1 -> t2 -> s1, s2 -> t2 -> s1, s3 -> t3 -> s3.


def as_map(vectors):
    """A 1×C×2×2 map of 4 pixel vectors (row-major)."""
    return torch.tensor(vectors, dtype=torch.float64).t().reshape(1, 2, 2, 2)


def test_scoring_rows_sum_to_one_and_ignore_row_shift_and_scale():
    torch.manual_seed(0)
    sim = torch.randn(5, 7, dtype=torch.float64)
    p = scoring(sim)
    torch.testing.assert_close(p.sum(1), torch.ones(5, dtype=torch.float64))
    shift = torch.randn(5, 1, dtype=torch.float64)
    scale = torch.rand(5, 1, dtype=torch.float64) * 10 + 0.1
    torch.testing.assert_close(scoring(sim * scale + shift), p)
    # ... but not to a per-column change
    assert not torch.allclose(scoring(sim + torch.arange(7.)), p)
    # the row statistics are detached: the gradient of a row's sum of
    # standardised values is 1/(σ+ε) per entry, not 0
    sim.requires_grad_(True)
    from mmda.models.utils.pixel_affinity import contrast_normalize
    contrast_normalize(sim).sum().backward()
    torch.testing.assert_close(
        sim.grad, (1. / (sim.detach().std(1, keepdim=True) + 1e-10)).expand(
            5, 7))


def test_hand_built_cycle_association_and_its_exact_loss():
    labels = torch.tensor([[[0, 1], [2, 255]]])
    x_s = as_map(SOURCE).requires_grad_(True)
    out = cycle_association(
        x_s[0].flatten(1).t(), as_map(TARGET)[0].flatten(1).t(),
        labels.flatten(), metric='cos', spagg_alpha=None)
    # positives: s0 (back to itself), s1 (back to itself); s2 lands on s1
    # of another class; s3 is ignored
    assert out['num_pos'].item() == 2
    assert out['num_valid'].item() == 3
    assert out['num_covered'].item() == 3  # t0, t2, t3
    expected_sum = -(log_phi(D_ST[0], 0) + log_phi(D_TS[0], 0) +
                     log_phi(D_ST[1], 2) + log_phi(D_TS[2], 1))
    assert out['loss_sum'].item() == pytest.approx(expected_sum, abs=1e-12)

    loss = CycleAssociationLoss(
        metric='cos', spagg_alpha=None, loss_weight=1.)
    res = loss(x_s, as_map(TARGET), labels)
    assert res['loss_association'].item() == pytest.approx(
        expected_sum / 2, abs=1e-12)
    assert res['pos_ratio'].item() == pytest.approx(2 / 3)
    assert res['cover_ratio'].item() == pytest.approx(3 / 4)
    res['loss_association'].backward()
    # s3 (ignored) still gets a gradient through the T->S softmax
    # denominators of the associated target pixels; s2 (negative) too
    assert x_s.grad.abs().sum() > 0


def test_loss_is_the_mean_over_all_positives_of_the_batch():
    torch.manual_seed(1)
    x_s, x_t = torch.randn(2, 4, 3, 3), torch.randn(2, 4, 3, 4)
    labels = torch.randint(0, 2, (2, 3, 3))
    loss = CycleAssociationLoss(metric='cos', loss_weight=0.1)
    pairs = [
        cycle_association(s.flatten(1).t(), t.flatten(1).t(), y.flatten())
        for s, t, y in zip(x_s, x_t, labels)
    ]
    num = sum(p['num_pos'] for p in pairs)
    assert num > 0
    want = 0.1 * sum(p['loss_sum'] for p in pairs) / num
    torch.testing.assert_close(
        loss(x_s, x_t, labels)['loss_association'], want)


def test_empty_positive_set_gives_an_attached_zero():
    # only s2 is labelled, and its cycle lands on s1
    labels = torch.tensor([[[255, 255], [2, 255]]])
    x_s = as_map(SOURCE).requires_grad_(True)
    x_t = as_map(TARGET).requires_grad_(True)
    res = CycleAssociationLoss(metric='cos', spagg_alpha=None)(x_s, x_t,
                                                               labels)
    loss = res['loss_association']
    assert loss.item() == 0. and res['pos_ratio'].item() == 0.
    assert loss.requires_grad  # a tensor in the graph, not a Python 0
    loss.backward()
    assert torch.equal(x_s.grad, torch.zeros_like(x_s))
    assert torch.equal(x_t.grad, torch.zeros_like(x_t))


@pytest.mark.parametrize('metric', ['cos', 'kl'])
def test_spatial_aggregation_is_row_stochastic(metric):
    torch.manual_seed(2)
    x = torch.randn(9, 5, dtype=torch.float64)
    if metric == 'kl':
        x = F.softmax(x, dim=1)
    emb = embed_pixels(x, metric)
    weights = aggregation_weights(emb, emb, metric)
    assert (weights > 0).all()
    torch.testing.assert_close(weights.sum(1),
                               torch.ones(9, dtype=torch.float64))
    for alpha in (0.5, 1.):
        torch.testing.assert_close(
            spatial_aggregation(x, metric, alpha),
            (1 - alpha) * x + alpha * weights @ x)
    if metric == 'kl':  # aggregated probabilities are probabilities
        agg = spatial_aggregation(x, metric, 0.5)
        torch.testing.assert_close(agg.sum(1),
                                   torch.ones(9, dtype=torch.float64))
        # the output level is not z-scored: W = softmax(-KL)
        torch.testing.assert_close(
            weights, F.softmax(similarity(embed_pixels(x, 'kl'),
                                          embed_pixels(x, 'kl')), dim=1))
    else:  # the feature level is: W = phi(cos)
        n = F.normalize(x, dim=1)
        torch.testing.assert_close(weights, scoring(n @ n.t()))


def test_thresholded_lsr_gradient_is_a_two_sided_pull_to_tau():
    torch.manual_seed(3)
    # confident and flat pixels: l on both sides of tau
    scale = torch.linspace(0.5, 20., 24, dtype=torch.float64)
    logits = torch.randn(2, 19, 3, 4, dtype=torch.float64) * scale.reshape(
        2, 1, 3, 4)
    logits.requires_grad_(True)
    tau = 10.
    thresholded_lsr_loss(logits, tau).backward()
    got = logits.grad.clone()
    logits.grad = None
    l_px = -F.log_softmax(logits, dim=1).mean(1)
    ((l_px - tau)**2 / (2 * tau)).mean().backward()
    torch.testing.assert_close(got, logits.grad)
    # pixels on both sides of tau exist in this example
    assert (l_px > tau).any() and (l_px < tau).any()
    # value: mean((l/tau - 1) * l)
    module = ThresholdedLSRLoss(tau=tau, loss_weight=0.01)
    torch.testing.assert_close(
        module(logits).detach(), 0.01 * ((l_px / tau - 1) * l_px).mean())
    # tau <= 0: plain mean of l
    torch.testing.assert_close(
        thresholded_lsr_loss(logits, 0.).detach(), l_px.mean())


def test_kl_similarity_is_asymmetric_with_a_zero_diagonal():
    p = torch.tensor([[.7, .2, .1], [.1, .1, .8], [1 / 3, 1 / 3, 1 / 3]],
                     dtype=torch.float64)
    emb = embed_pixels(p, 'kl')
    sim = similarity(emb, emb)
    torch.testing.assert_close(
        torch.diagonal(sim), torch.zeros(3, dtype=torch.float64),
        atol=1e-9, rtol=0)
    assert not torch.allclose(sim, sim.t())
    # -KL(p0 || p1) by hand
    kl01 = sum(a * math.log(a / b)
               for a, b in zip(p[0].tolist(), p[1].tolist()))
    assert sim[0, 1].item() == pytest.approx(-kl01, abs=1e-8)
    assert (sim <= 1e-9).all()


def test_reduction_modes_reproduce_the_official_shapes():
    # the released crop: 730 -> 92×92 layer-4 maps, SCALE_FACTOR 0.2
    feats, logits = torch.randn(2, 8, 92, 92), torch.randn(2, 19, 92, 92)
    labels = torch.randint(0, 19, (2, 1, 730, 730))
    f, p, y = reduce_for_association(feats, logits, labels, 'none', 1.)
    assert f.shape == (2, 8, 92, 92) and y.shape == (2, 92, 92)
    torch.testing.assert_close(p, F.softmax(logits, dim=1))
    g = torch.Generator().manual_seed(0)
    f, p, y = reduce_for_association(feats, logits, labels,
                                     'grid_subsample', 0.2, generator=g)
    # int(0.2 * 92) = 18 random rows × 18 random columns
    assert f.shape == (2, 8, 18, 18) and p.shape == (2, 19, 18, 18)
    assert y.shape == (2, 18, 18)
    # every kept pixel is a pixel of the full map (same grid for all three)
    flat = feats[0].flatten(1).t()
    kept = f[0].flatten(1).t()
    assert all((flat == v).all(1).any() for v in kept)
    f, p, y = reduce_for_association(feats, logits, labels, 'downsample',
                                     0.2)
    assert f.shape == (2, 8, 18, 18) and y.shape == (2, 18, 18)
    torch.testing.assert_close(
        f,
        F.interpolate(feats, scale_factor=0.2, mode='bilinear',
                      recompute_scale_factor=False, align_corners=False))
    # target maps: no labels
    assert reduce_for_association(feats, logits, None, 'downsample',
                                  0.5)[2] is None
    with pytest.raises(ValueError, match='mode'):
        reduce_for_association(feats, logits, None, 'crop', 0.5)
    with pytest.raises(ValueError, match='scale'):
        reduce_for_association(feats, logits, None, 'downsample', 1.5)


@pytest.mark.parametrize('metric', ['cos', 'kl'])
def test_blocked_and_dense_association_agree(metric):
    torch.manual_seed(4)
    x_s = torch.randn(2, 6, 5, 7)  # 35 source pixels
    x_t = torch.randn(2, 6, 4, 6)  # 24 target pixels
    if metric == 'kl':
        x_s, x_t = F.softmax(x_s * 3, 1), F.softmax(x_t * 3, 1)
    labels = torch.randint(0, 3, (2, 5, 7))
    labels[0, 0] = 255
    dense = CycleAssociationLoss(metric=metric, block_rows=None)
    blocked = CycleAssociationLoss(metric=metric, block_rows=4)
    with torch.no_grad():
        a, b = dense(x_s, x_t, labels), blocked(x_s, x_t, labels)
        assert a['pos_ratio'] > 0
        for k in a:
            torch.testing.assert_close(a[k], b[k], atol=1e-6, rtol=0)
        torch.testing.assert_close(
            spatial_aggregation_map(x_t, metric, 0.5, None),
            spatial_aggregation_map(x_t, metric, 0.5, 5),
            atol=1e-6, rtol=0)
    # and their gradients (the blocks are recomputed in backward)
    grads = []
    for loss in (dense, blocked):
        s, t = x_s.clone().requires_grad_(), x_t.clone().requires_grad_()
        loss(s, t, labels)['loss_association'].backward()
        grads.append((s.grad, t.grad))
    for g_dense, g_blocked in zip(*grads):
        assert g_dense.abs().sum() > 0
        # float32 rounding of differently ordered sums
        torch.testing.assert_close(g_dense, g_blocked, atol=1e-6, rtol=1e-5)


def test_bad_inputs_are_named():
    loss = CycleAssociationLoss()
    with pytest.raises(ValueError, match='labels'):
        loss(torch.randn(1, 4, 3, 3), torch.randn(1, 4, 3, 3),
             torch.zeros(1, 2, 2, dtype=torch.long))
    with pytest.raises(ValueError, match='same B and C'):
        loss(torch.randn(1, 4, 3, 3), torch.randn(1, 5, 3, 3),
             torch.zeros(1, 3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match='metric'):
        CycleAssociationLoss(metric='l2')
    with pytest.raises(ValueError, match='spagg_alpha'):
        CycleAssociationLoss(spagg_alpha=1.5)
