"""Tests of RIPU's acquisition functions (``mmda.active``)."""
import importlib
import math

import pytest
import torch
import torch.nn.functional as F

from mmda.active import (greedy_select_regions, pixel_annotate, pixel_scores,
                         pixels_per_round, region_annotate, region_impurity,
                         region_scores, regions_per_round, select_regions,
                         vectorised_select_regions)
from mmda.active.region_scores import (LOG_EPS, box_sum, class_argmax,
                                       pixel_entropy, window_pixel_count)

LN3, LN9 = math.log(3), math.log(9)


def _xlogx(d):
    """One term of the original's entropy, ``-d ln(d + 1e-6)``."""
    return -d * math.log(d + 1e-6)


def _binary_entropy(p):
    return _xlogx(p) + _xlogx(1 - p)


# A 2-class 3 x 3 image. Each pixel: (logit 0, logit 1), i.e. softmax
# (0.9, 0.1), (0.75, 0.25), (0.25, 0.75) or (0.1, 0.9):
#   predicted class    entropy ("A": p = 0.9, "B": p = 0.75)
#   0 0 1              A B B
#   0 1 1              B A B
#   0 0 0              A B B
TOY_LOGITS = torch.tensor([
    [(LN9, 0.), (LN3, 0.), (0., LN3)],
    [(LN3, 0.), (0., LN9), (0., LN3)],
    [(LN9, 0.), (LN3, 0.), (LN3, 0.)],
]).permute(2, 0, 1)
H_A, H_B = _binary_entropy(0.9), _binary_entropy(0.75)
# Counted by hand for the 3 x 3 window (radius 1) around each pixel: the
# number of in-image pixels n, of "A" pixels, and of pixels predicted 0.
TOY_WINDOWS = [
    [(4, 2, 3), (6, 2, 3), (4, 1, 1)],
    [(6, 3, 5), (9, 3, 6), (6, 1, 3)],
    [(4, 2, 3), (6, 2, 4), (4, 1, 2)],
]


def _toy_expected(norm):
    impurity, uncertainty = torch.zeros(3, 3), torch.zeros(3, 3)
    for i in range(3):
        for j in range(3):
            n, num_a, num_0 = TOY_WINDOWS[i][j]
            uncertainty[i, j] = (num_a * H_A + (n - num_a) * H_B) / n / norm
            impurity[i, j] = (_xlogx(num_0 / n) +
                              _xlogx((n - num_0) / n)) / norm
    return impurity, uncertainty


@pytest.mark.parametrize('normalizer', [None, math.log(19), 1.0])
def test_region_scores_by_hand(normalizer):
    impurity, uncertainty = _toy_expected(
        math.log(2) if normalizer is None else normalizer)
    score, got_impurity, got_uncertainty = region_scores(
        TOY_LOGITS, radius=1, normalizer=normalizer)
    for got in (score, got_impurity, got_uncertainty):
        assert got.shape == (3, 3) and got.dtype == torch.float32
    torch.testing.assert_close(got_impurity, impurity)
    torch.testing.assert_close(got_uncertainty, uncertainty)
    torch.testing.assert_close(score, impurity * uncertainty)


def test_region_scores_radius_zero_and_whole_image():
    # Radius 0: a single pixel is pure, -1 * ln(1 + 1e-6) / ln 2.
    _, impurity, uncertainty = region_scores(TOY_LOGITS, radius=0)
    torch.testing.assert_close(
        impurity, torch.full((3, 3), _xlogx(1.0) / math.log(2)))
    entropy = torch.tensor([[H_A, H_B, H_B], [H_B, H_A, H_B],
                            [H_A, H_B, H_B]]) / math.log(2)
    torch.testing.assert_close(uncertainty, entropy)
    # A window larger than the image covers all of it: 6 pixels predicted 0,
    # 3 predicted 1, 3 "A" pixels.
    _, impurity, uncertainty = region_scores(TOY_LOGITS, radius=5)
    torch.testing.assert_close(
        impurity,
        torch.full((3, 3), (_xlogx(6 / 9) + _xlogx(3 / 9)) / math.log(2)))
    torch.testing.assert_close(
        uncertainty, torch.full((3, 3),
                                (3 * H_A + 6 * H_B) / 9 / math.log(2)))


def test_region_scores_normalizer_follows_classes():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(16, 12, 10, generator=generator)
    default = region_scores(logits, radius=1)
    original = region_scores(logits, radius=1, normalizer=math.log(19))
    raw = region_scores(logits, radius=1, normalizer=1.0)
    ratio = math.log(19) / math.log(16)
    torch.testing.assert_close(default[1], original[1] * ratio)
    torch.testing.assert_close(default[2], original[2] * ratio)
    torch.testing.assert_close(default[0], raw[0] / math.log(16)**2)
    with pytest.raises(ValueError):
        region_scores(logits, radius=1, normalizer=0.)


def test_region_scores_dtypes():
    generator = torch.Generator().manual_seed(1)
    logits = torch.randn(5, 9, 11, generator=generator)
    reference = region_scores(logits, radius=2)
    for dtype in (torch.float64, torch.float16, torch.bfloat16):
        converted = logits.to(dtype)
        expected = region_scores(converted.float(), radius=2)
        for got, want in zip(region_scores(converted, radius=2), expected):
            assert got.dtype == torch.float32  # computed in float32
            torch.testing.assert_close(got, want)
    for got, want in zip(region_scores(logits.double(), radius=2),
                         reference):
        torch.testing.assert_close(got, want)


def test_select_regions_by_hand():
    score = torch.tensor([[1., 5., 3., 5., 0., 2., 4.]])
    # Ties go to the smaller index: 5 at 1 (suppresses 0-2), 5 at 3
    # (suppresses 2-4), 4 at 6 (suppresses 5-6); then nothing is left.
    for select in (select_regions, greedy_select_regions):
        selected, active = select(score, 10, radius=0, mask_radius=1)
        assert selected[0].tolist() == [0, 1, 0, 1, 0, 0, 1]
        assert active.all()
        # An active pixel cannot be picked but suppresses nothing.
        active = torch.zeros_like(selected)
        active[0, 1] = True
        selected, new_active = select(score, 10, radius=1, mask_radius=1,
                                      active=active)
        # Picks 3, 6, then 0: labels [2, 4], [5, 6] and [0, 1].
        assert selected[0].tolist() == [1, 1, 1, 1, 1, 1, 1]
        assert new_active.all()
        selected, new_active = select(score, 2, radius=0, mask_radius=0,
                                      active=active)
        assert selected[0].tolist() == [0, 0, 0, 1, 0, 0, 1]
        assert new_active[0].tolist() == [0, 1, 0, 1, 0, 0, 1]


def _random_case(generator, kind):
    height, width = (int(v) for v in torch.randint(1, 48, (2, ),
                                                   generator=generator))
    if kind == 'uniform':
        score = torch.rand(height, width, generator=generator)
    elif kind == 'ties':
        score = torch.randint(0, 3, (height, width),
                              generator=generator).float()
    elif kind == 'constant':
        score = torch.zeros(height, width)
    elif kind == 'inf':
        score = torch.randint(0, 6, (height, width),
                              generator=generator).float()
        score[torch.rand(height, width, generator=generator) < 0.4] = \
            -math.inf
    elif kind == 'ramp':
        score = -(torch.arange(height)[:, None] +
                  torch.arange(width)[None, :]).float()
    else:  # smooth, float64
        noise = torch.rand(1, height, width, generator=generator,
                           dtype=torch.float64)
        score = F.avg_pool2d(noise, 3, 1, 1)[0]
    active = None
    if torch.rand(1, generator=generator) < 0.5:
        active = torch.rand(height, width, generator=generator) < float(
            torch.rand(1, generator=generator))
    radius, mask_radius = (int(v) for v in torch.randint(0, 5, (2, ),
                                                         generator=generator))
    num_regions = int(torch.randint(0, 250, (1, ), generator=generator))
    return score, num_regions, radius, mask_radius, active


@pytest.mark.parametrize(
    'seed, kind', list(enumerate(['uniform', 'ties', 'constant', 'inf',
                                  'ramp', 'smooth'])))
def test_select_regions_equals_greedy(seed, kind):
    generator = torch.Generator().manual_seed(seed)
    for _ in range(60):
        score, num_regions, radius, mask_radius, active = _random_case(
            generator, kind)
        given = None if active is None else active.clone()
        expected = greedy_select_regions(score, num_regions, radius,
                                         mask_radius, active)
        got = vectorised_select_regions(score, num_regions, radius,
                                        mask_radius, active)
        case = (tuple(score.shape), num_regions, radius, mask_radius)
        assert torch.equal(got[0], expected[0]), case
        assert torch.equal(got[1], expected[1]), case
        if active is not None:
            assert torch.equal(active, given)  # the input is not modified


def test_select_regions_large_maps():
    generator = torch.Generator().manual_seed(3)
    # Above 2^17 pixels the batch threshold is guessed from a strided sample
    # (every third pixel here): put the high scores on the sample only, so
    # that the guess is too high and has to be lowered.
    index = torch.arange(256 * 520).view(256, 520)
    adversarial = (index % 3 == 0).float() + 0.5 * torch.rand(
        256, 520, generator=generator)
    smooth = F.interpolate(
        torch.rand(1, 1, 16, 32, generator=generator), size=(256, 520),
        mode='bilinear')[0, 0]
    for score in (adversarial, smooth):
        for num_regions, radius, mask_radius in ((700, 1, 2), (9, 0, 32)):
            expected = greedy_select_regions(score, num_regions, radius,
                                             mask_radius)
            got = vectorised_select_regions(score, num_regions, radius,
                                            mask_radius)
            assert torch.equal(got[0], expected[0])
            assert torch.equal(got[1], expected[1])


def test_select_regions_equals_greedy_on_uniform_scores():
    """i.i.d. uniform scores (a local maximum every few pixels) at RA's
    2.2 % / 5-round budget, five rounds on one map, each starting from the
    previous round's active pixels: the same picks as the greedy loop."""
    generator = torch.Generator().manual_seed(17)
    height, width = 256, 512
    num_regions = regions_per_round(height, width, 0.022, 5, 1)
    assert num_regions == 65
    active_got = active_want = None
    for _ in range(5):
        score = torch.rand(height, width, generator=generator)
        want = greedy_select_regions(score, num_regions, 1, 2, active_want)
        got = vectorised_select_regions(score, num_regions, 1, 2,
                                        active_got)
        assert torch.equal(got[0], want[0])
        assert torch.equal(got[1], want[1])
        assert int(got[0].sum()) > 0
        active_got, active_want = got[1], want[1]


def _per_pixel_impurity(pred, num_classes, radius, norm, count):
    """The per-class computation of region impurity (every class, float64
    box sums and logarithms per pixel), the reference of the table."""
    impurity = torch.zeros_like(count)
    for c in range(num_classes):
        share = box_sum(pred == c, radius) / count
        impurity -= share * (share + LOG_EPS).log()
    return (impurity / norm).float()


@pytest.mark.parametrize('radius', [0, 1, 2, 4, 5])
def test_region_scores_equal_the_per_pixel_computation(radius):
    """Bit for bit, also on odd sizes and with classes absent from the
    map: the picks cannot change."""
    generator = torch.Generator().manual_seed(radius)
    for num_classes, height, width in ((19, 37, 53), (7, 64, 96),
                                       (3, 5, 11)):
        logits = F.interpolate(
            3 * torch.randn(1, num_classes, height // 4 + 1, width // 4 + 1,
                            generator=generator),
            size=(height, width), mode='bilinear')[0]
        norm = math.log(num_classes)
        prob = logits.softmax(dim=0)
        count = window_pixel_count(height, width, radius, logits.device)
        want = _per_pixel_impurity(prob.argmax(dim=0), num_classes, radius,
                                   norm, count)
        entropy = -(prob * (prob + LOG_EPS).log()).sum(dim=0) / norm
        score, impurity, uncertainty = region_scores(logits, radius)
        assert torch.equal(impurity, want)
        assert torch.equal(uncertainty,
                           (box_sum(entropy, radius) / count).float())
        assert torch.equal(score, want * uncertainty)
        assert torch.equal(pixel_entropy(logits), entropy)


def test_class_argmax_is_torch_argmax():
    generator = torch.Generator().manual_seed(0)
    x = torch.randint(0, 3, (6, 9, 10), generator=generator).float()  # ties
    assert torch.equal(class_argmax(x), x.argmax(dim=0))
    x[0, 2, 3] = x[5, 2, 3] = math.inf  # the first of two infinities
    x[:, 3, 4] = -math.inf  # all equal: class 0
    assert torch.equal(class_argmax(x), x.argmax(dim=0))
    assert class_argmax(x)[2, 3] == 0 and class_argmax(x)[3, 4] == 0
    x[2, 0, 0] = x[4, 1, 1] = math.nan  # NaN counts as the maximum
    assert torch.equal(class_argmax(x), x.argmax(dim=0))
    assert class_argmax(x)[0, 0] == 2
    many = torch.randint(0, 5, (300, 4, 5), generator=generator).float()
    assert torch.equal(class_argmax(many), many.argmax(dim=0))
    probs = torch.randn(19, 32, 64, generator=generator).softmax(dim=0)
    assert torch.equal(class_argmax(probs), probs.argmax(dim=0))


@pytest.mark.parametrize('select', [select_regions, vectorised_select_regions,
                                    greedy_select_regions])
def test_select_regions_validation(select):
    with pytest.raises(ValueError, match='NaN'):
        select(torch.tensor([[0., math.nan]]), 1, 0, 0)
    with pytest.raises(ValueError, match='active'):
        select(torch.zeros(2, 2), 1, 0, 0, torch.zeros(2, 2))
    with pytest.raises(ValueError, match='num_regions'):
        select(torch.zeros(2, 2), -1, 0, 0)
    selected, active = select(torch.zeros(2, 2), 0, 1, 2)
    assert not selected.any() and not active.any()


def test_select_regions_runs_the_faster_one(monkeypatch):
    """The loop on small maps with few picks, the vectorised selection
    otherwise; the same picks either way."""
    # (mmda.active.select_regions is the function; the module by name)
    module = importlib.import_module('mmda.active.select_regions')
    calls = []
    for name in ('greedy_select_regions', 'vectorised_select_regions'):
        monkeypatch.setattr(
            module, name,
            lambda *args, _f=getattr(module, name), _n=name: calls.append(
                _n) or _f(*args))
    generator = torch.Generator().manual_seed(0)
    small = torch.rand(128, 256, generator=generator)
    large = torch.rand(512, 1024, generator=generator)
    want = [greedy_select_regions(small, 37, 1, 2),
            greedy_select_regions(large, 37, 1, 2)]
    got = [select_regions(small, 37, 1, 2), select_regions(large, 37, 1, 2)]
    assert calls == ['greedy_select_regions', 'vectorised_select_regions']
    for (a, b), (c, d) in zip(got, want):
        assert torch.equal(a, c) and torch.equal(b, d)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_matches_cpu():
    generator = torch.Generator().manual_seed(4)
    logits = F.interpolate(
        4 * torch.randn(1, 19, 16, 32, generator=generator),
        size=(256, 512), mode='bilinear')[0]
    for cpu, cuda in zip(region_scores(logits, 1),
                         region_scores(logits.cuda(), 1)):
        torch.testing.assert_close(cuda.cpu(), cpu)
    score = region_scores(logits, 1)[0]
    expected = greedy_select_regions(score, 300, 1, 2)
    got = select_regions(score.cuda(), 300, 1, 2)
    assert torch.equal(got[0].cpu(), expected[0])
    assert torch.equal(got[1].cpu(), expected[1])


def test_budgets():
    assert regions_per_round(1024, 2048, 0.022, 5, 1) == 1026
    assert regions_per_round(1024, 2048, 0.05, 5, 1) == 2331
    assert regions_per_round(3, 3, 1.0, 1, 1) == 1
    assert pixels_per_round(1024, 2048, 40, 5) == 21
    assert pixels_per_round(640, 1280, 40, 5) == 8
    assert pixels_per_round(640, 1280, 40, 1) == 40
    assert pixels_per_round(512, 1024, 40, 5) == 6  # ceil(5.12)
    with pytest.raises(ValueError):
        pixels_per_round(1024, 2048, 40, 0)


def test_region_annotate():
    generator = torch.Generator().manual_seed(5)
    logits = F.interpolate(
        3 * torch.randn(1, 7, 8, 12, generator=generator),
        size=(64, 96), mode='bilinear')[0]
    active = torch.rand(64, 96, generator=generator) < 0.1
    score = region_scores(logits, 1, math.log(19))[0]
    expected = greedy_select_regions(score, 40, 1, 2, active)
    got = region_annotate(logits, active, 40, normalizer=math.log(19))
    assert torch.equal(got[0], expected[0])
    assert torch.equal(got[1], expected[1])
    assert got[0].sum() <= 40 * 9 and got[0].any()


def test_pixel_annotate():
    # With K = 32 the window covers the whole toy image: the impurity is the
    # entropy of the global class histogram (6 x class 0, 3 x class 1), the
    # score follows the pixel entropy, and the first pick (the first "B"
    # pixel, index 1) suppresses everything.
    score, impurity, entropy = pixel_scores(TOY_LOGITS, 32)
    torch.testing.assert_close(
        impurity, torch.full((3, 3), _xlogx(6 / 9) + _xlogx(3 / 9)))
    torch.testing.assert_close(
        entropy,
        torch.tensor([[H_A, H_B, H_B], [H_B, H_A, H_B], [H_A, H_B, H_B]]))
    torch.testing.assert_close(score, impurity * entropy)
    selected, active = pixel_annotate(TOY_LOGITS, None, num_pixels=5)
    assert selected.flatten().nonzero().flatten().tolist() == [1]
    assert active.all()
    # A larger image: single pixels, 65 x 65 suppression.
    generator = torch.Generator().manual_seed(6)
    logits = F.interpolate(
        3 * torch.randn(1, 5, 8, 16, generator=generator),
        size=(160, 320), mode='bilinear')[0]
    score = pixel_scores(logits, 32)[0]
    torch.testing.assert_close(
        score,
        region_impurity(logits, 32, 1.0) *
        region_scores(logits, 0, 1.0)[2])
    expected = greedy_select_regions(score, 12, 0, 32)
    selected, active = pixel_annotate(logits, None, 12)
    assert torch.equal(selected, expected[0])
    assert torch.equal(active, expected[1])
    assert int(selected.sum()) == 12
