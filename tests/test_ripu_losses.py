"""RIPU's training losses against their formulas, on hand-made tensors.

Negative learning (docs/methods.md#ripu): ``p = softmax``, ``m = [p < tau]``
(detached), ``L_nl = -sum m log(1 - p + 1e-6) / sum m``.
Local consistency: ``d = sum_c |p - mean_3x3(p)|`` (replicate padding),
averaged over the pixels whose 8-neighbour Laplacian of the label map is
non-zero (zero padding), label != 255 ('boundary', the released code), or
over the other labelled pixels ('interior', the paper's text).
"""
import math

import pytest
import torch

from mmda.models.losses.local_consistency_loss import (LocalConsistencyLoss,
                                                       label_boundary_mask,
                                                       local_consistency_loss)
from mmda.models.losses.negative_learning_loss import (NegativeLearningLoss,
                                                       negative_learning_loss)


pytestmark = pytest.mark.usefixtures('torch_one_thread')


def logits_of(prob):
    """N x C x H x W logits whose softmax is exactly ``prob`` (C x H x W)."""
    return torch.tensor(prob, dtype=torch.float64).log()[None]


# ----------------------------------------------------------------------------
# Negative learning
# ----------------------------------------------------------------------------
# Two pixels (H = 1, W = 2), three classes:
#   pixel 0: p = (0.60, 0.30, 0.10)   nothing below tau = 0.05
#   pixel 1: p = (0.96, 0.03, 0.01)   0.03 and 0.01 below tau = 0.05
NL_PROB = [[[0.60, 0.96]], [[0.30, 0.03]], [[0.10, 0.01]]]


def test_nl_softmax_of_the_toy_logits():
    prob = logits_of(NL_PROB).softmax(dim=1)
    assert torch.allclose(prob, torch.tensor(NL_PROB, dtype=torch.float64),
                          atol=1e-12)


def test_nl_default_tau():
    loss = negative_learning_loss(logits_of(NL_PROB))
    # two masked (pixel, class) pairs: p = 0.03 and p = 0.01
    expected = -(math.log(1 - 0.03 + 1e-6) + math.log(1 - 0.01 + 1e-6)) / 2
    assert expected == pytest.approx(0.0202537512, abs=1e-9)
    assert loss.item() == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize(
    'tau, expected',
    [
        # only p = 0.01 < 0.02
        (0.02, 0.0100493258),
        # p = 0.10, 0.03, 0.01 < 0.15 (0.30, 0.60, 0.96 are not)
        (0.15, 0.0486223023),
    ])
def test_nl_tau_mask(tau, expected):
    loss = negative_learning_loss(logits_of(NL_PROB), tau=tau)
    assert loss.item() == pytest.approx(expected, abs=1e-9)


def test_nl_no_pixel_below_tau_is_zero_with_gradient_path():
    # uniform over 3 classes: p = 1/3 everywhere, nothing below tau
    logits = torch.zeros(2, 3, 2, 2, requires_grad=True)
    loss = negative_learning_loss(logits)
    assert loss.item() == 0.
    loss.backward()
    assert logits.grad is not None
    assert torch.count_nonzero(logits.grad) == 0


def test_nl_gradient_with_detached_mask():
    logits = logits_of(NL_PROB).requires_grad_(True)
    negative_learning_loss(logits).backward()
    # the same formula with a constant mask, differentiated by autograd
    ref_logits = logits_of(NL_PROB).requires_grad_(True)
    prob = ref_logits.softmax(dim=1)
    mask = torch.tensor([[[0., 0.]], [[0., 1.]], [[0., 1.]]],
                        dtype=torch.float64)[None]
    (-(mask * (1 - prob + 1e-6).log()).sum() / 2).backward()
    assert torch.allclose(logits.grad, ref_logits.grad, atol=1e-12)
    # pixel 0 has no masked class: no gradient reaches it
    assert torch.all(logits.grad[..., 0] == 0)
    assert torch.all(logits.grad[..., 1] != 0)
    # minimising pushes the masked classes down, i.e. class 0 up
    assert logits.grad[0, 0, 0, 1] < 0
    assert logits.grad[0, 1, 0, 1] > 0 and logits.grad[0, 2, 0, 1] > 0


def test_nl_module():
    loss = NegativeLearningLoss(tau=0.05, loss_weight=2.0)
    assert loss.loss_name == 'loss_nl'
    assert loss(logits_of(NL_PROB)).item() == pytest.approx(
        2 * 0.0202537512, abs=1e-9)
    for tau in (0., 1., -0.1):
        with pytest.raises(ValueError, match='tau'):
            NegativeLearningLoss(tau=tau)


# ----------------------------------------------------------------------------
# Local consistency
# ----------------------------------------------------------------------------
# Two classes on a 2 x 3 image, p(class 0) given (p(class 1) = 1 - p0):
#   0.8 0.2 0.5
#   0.2 0.2 0.8
# Replicate padding repeats the border rows/columns. The 3 x 3 window mean of
# p0 (9 values each, by hand):
#   row 0: rows (r0, r0, r1): column sums 1.8 1.8 | 0.6 | 1.8 1.8
#          -> (1.8 + 1.8 + 0.6) / 9 = (1.8 + 0.6 + 1.8) / 9
#             = (0.6 + 1.8 + 1.8) / 9 = 7/15
#   row 1: rows (r0, r1, r1): column sums 1.2 1.2 | 0.6 | 2.1 2.1
#          -> 3.0 / 9 = 5/15, 3.9 / 9 = 6.5/15, 4.8 / 9 = 8/15
# d = |p0 - mean0| + |p1 - mean1| = 2 |p0 - mean0|:
#   row 0: 2 * |12/15 - 7/15|, 2 * |3/15 - 7/15|, 2 * |7.5/15 - 7/15|
#        = 10/15, 8/15, 1/15
#   row 1: 2 * |3/15 - 5/15|, 2 * |3/15 - 6.5/15|, 2 * |12/15 - 8/15|
#        = 4/15, 7/15, 8/15
CR_P0 = [[0.8, 0.2, 0.5], [0.2, 0.2, 0.8]]
CR_D = torch.tensor([[10., 8., 1.], [4., 7., 8.]], dtype=torch.float64) / 15


def cr_logits():
    p0 = torch.tensor(CR_P0, dtype=torch.float64)
    return torch.stack([p0, 1 - p0]).log()[None]


def test_cr_window_mean_and_discrepancy():
    # label 0 everywhere has a zero Laplacian (zero padding, value 0): every
    # pixel is interior, none is boundary
    label = torch.zeros(1, 2, 3, dtype=torch.long)
    assert not label_boundary_mask(label).any()
    interior = local_consistency_loss(cr_logits(), label, 'interior')
    assert interior.item() == pytest.approx(CR_D.mean().item(), abs=1e-12)
    assert interior.item() == pytest.approx(38 / 90, abs=1e-12)
    assert local_consistency_loss(cr_logits(), label, 'boundary').item() == 0.


def test_cr_each_pixel_discrepancy():
    # one labelled pixel at a time (others 255, ignored): with label 0 at that
    # pixel and 255 elsewhere the Laplacian is non-zero there (255s around),
    # so 'boundary' averages over exactly that pixel
    for i in range(2):
        for j in range(3):
            label = torch.full((1, 2, 3), 255, dtype=torch.long)
            label[0, i, j] = 0
            loss = local_consistency_loss(cr_logits(), label, 'boundary')
            assert loss.item() == pytest.approx(CR_D[i, j].item(), abs=1e-12)


def test_cr_border_pixels_are_boundary_with_zero_padding():
    # a non-zero label on the image border differs from the zero padding
    label = torch.ones(1, 2, 3, dtype=torch.long)
    assert label_boundary_mask(label).all()
    assert local_consistency_loss(cr_logits(), label,
                                  'boundary').item() == pytest.approx(
                                      38 / 90, abs=1e-12)
    assert local_consistency_loss(cr_logits(), label, 'interior').item() == 0.


def test_cr_ignore_label_excluded():
    label = torch.ones(1, 2, 3, dtype=torch.long)
    label[0, 0, 2] = 255  # d = 1/15 there
    assert label_boundary_mask(label).tolist() == [[[True, True, False],
                                                    [True, True, True]]]
    loss = local_consistency_loss(cr_logits(), label, 'boundary')
    assert loss.item() == pytest.approx((38 - 1) / 15 / 5, abs=1e-12)
    # all ignored: nothing picked, 0
    label[:] = 255
    for region in ('boundary', 'interior'):
        assert local_consistency_loss(cr_logits(), label,
                                      region).item() == 0.


# A 6 x 7 label map: a class-2 block, two class-3 pixels in the bottom-left
# corner and an ignored pixel.
BOUNDARY_LABEL = [
    [0, 0, 0, 0, 0, 0, 0],
    [0, 2, 2, 2, 2, 0, 0],
    [0, 2, 2, 2, 2, 0, 0],
    [0, 2, 2, 2, 2, 0, 0],
    [0, 0, 0, 0, 0, 0, 255],
    [3, 3, 0, 0, 0, 0, 0],
]
# Worked out by hand: 8 * x - (sum of the in-image 8 neighbours) != 0.
# * 0-pixels: boundary iff some neighbour is non-zero (the block's ring, the
#   neighbours of the 3s and of the 255);
# * the two 2-pixels (2, 2) and (2, 3) have eight 2-neighbours: interior;
#   every other 2-pixel touches a 0;
# * the 3s lie on the border (fewer than 8 neighbours): boundary;
# * the 255 pixel is never selected.
BOUNDARY_MASK = [
    [1, 1, 1, 1, 1, 1, 0],
    [1, 1, 1, 1, 1, 1, 0],
    [1, 1, 0, 0, 1, 1, 0],
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 0],
    [1, 1, 1, 0, 0, 1, 1],
]


def test_boundary_mask_literal():
    label = torch.tensor(BOUNDARY_LABEL)[None]
    expected = torch.tensor(BOUNDARY_MASK, dtype=torch.bool)[None]
    assert torch.equal(label_boundary_mask(label), expected)
    # N x 1 x H x W labels give the same mask
    assert torch.equal(label_boundary_mask(label[:, None]), expected)
    # a batch of two: each image on its own
    batch = torch.stack([label[0], torch.zeros_like(label[0])])
    got = label_boundary_mask(batch)
    assert torch.equal(got[0], expected[0]) and not got[1].any()


def reference_discrepancy(logits):
    """``d`` of every pixel by explicit loops over the replicate-padded
    3 x 3 window (for image 0)."""
    prob = logits.softmax(dim=1)[0]
    height, width = prob.shape[1:]
    rows = []
    for i in range(height):
        row = []
        for j in range(width):
            win = [(min(max(r, 0), height - 1), min(max(c, 0), width - 1))
                   for r in (i - 1, i, i + 1) for c in (j - 1, j, j + 1)]
            mean = sum(prob[:, r, c] for r, c in win) / 9
            row.append((prob[:, i, j] - mean).abs().sum())
        rows.append(torch.stack(row))
    return torch.stack(rows)


def test_boundary_vs_interior_on_the_literal_map():
    label = torch.tensor(BOUNDARY_LABEL)[None]
    torch.manual_seed(0)
    logits = torch.randn(1, 4, 6, 7, dtype=torch.float64)
    d = reference_discrepancy(logits)
    boundary = torch.tensor(BOUNDARY_MASK, dtype=torch.bool)
    interior = ~boundary & (label[0] != 255)
    # 34 boundary pixels; interior: (2,2), (2,3), (0,6), (1,6), (2,6),
    # (5,3), (5,4)
    assert int(boundary.sum()) == 34 and int(interior.sum()) == 7
    assert local_consistency_loss(logits, label, 'boundary').item() == \
        pytest.approx(d[boundary].mean().item(), abs=1e-12)
    assert local_consistency_loss(logits, label, 'interior').item() == \
        pytest.approx(d[interior].mean().item(), abs=1e-12)


def test_cr_gradients_flow():
    label = torch.tensor(BOUNDARY_LABEL)[None]
    torch.manual_seed(1)
    logits = torch.randn(1, 3, 6, 7, dtype=torch.float64, requires_grad=True)
    local_consistency_loss(logits, label).backward()
    assert torch.isfinite(logits.grad).all()
    assert logits.grad.abs().sum() > 0
    ref_logits = logits.detach().clone().requires_grad_(True)
    boundary = torch.tensor(BOUNDARY_MASK, dtype=torch.bool)
    reference_discrepancy(ref_logits)[boundary].mean().backward()
    assert torch.allclose(logits.grad, ref_logits.grad, atol=1e-12)


def test_cr_gradient_stays_within_the_selected_windows():
    # one class-1 pixel in the middle of a 7 x 7 zero map: the boundary is
    # its 3 x 3 neighbourhood; d of those pixels reads the 3 x 3 windows
    # around them, so nothing outside the 5 x 5 block around the centre
    # gets a gradient
    label = torch.zeros(1, 7, 7, dtype=torch.long)
    label[0, 3, 3] = 1
    expected = torch.zeros(7, 7, dtype=torch.bool)
    expected[2:5, 2:5] = True
    assert torch.equal(label_boundary_mask(label)[0], expected)
    torch.manual_seed(2)
    logits = torch.randn(1, 3, 7, 7, dtype=torch.float64, requires_grad=True)
    local_consistency_loss(logits, label).backward()
    grad = logits.grad.abs().sum(dim=1)[0]
    window = torch.zeros(7, 7, dtype=torch.bool)
    window[1:6, 1:6] = True
    assert torch.all(grad[~window] == 0)
    assert torch.all(grad[2:5, 2:5] > 0)


def test_cr_module_and_errors():
    label = torch.ones(1, 2, 3, dtype=torch.long)
    module = LocalConsistencyLoss()
    assert module.loss_name == 'loss_cr' and module.loss_weight == 0.1
    assert module(cr_logits(), label).item() == pytest.approx(
        0.1 * 38 / 90, abs=1e-12)
    interior = LocalConsistencyLoss(region='interior', loss_weight=1.0)
    assert interior(cr_logits(), torch.zeros(1, 2, 3, dtype=torch.long)
                    ).item() == pytest.approx(38 / 90, abs=1e-12)
    with pytest.raises(ValueError, match='region'):
        LocalConsistencyLoss(region='inside')
    with pytest.raises(ValueError, match='region'):
        local_consistency_loss(cr_logits(), label, 'edges')
