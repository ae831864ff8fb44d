"""RIPU's acquisition scores: region impurity and prediction uncertainty.

RIPU (Xie et al., CVPR 2022) regards the ``(2K+1) x (2K+1)`` square centred
on every pixel as a candidate *region* and scores it with two terms computed
from the model's prediction on the (unlabelled) target image:

* **prediction uncertainty** ``U``: the mean per-pixel entropy of the softmax
  prediction over the region;
* **region impurity** ``P``: the entropy of the distribution of the predicted
  (arg-max) classes over the region, i.e. how many different classes the
  model believes the region contains.

The acquisition score of region-based annotating (RA) is ``P * U``
(:func:`region_scores`); pixel-based annotating (PA) multiplies the impurity
with the entropy of the centre pixel instead (:func:`pixel_scores`).

Regions are clipped to the image (zero padding): window statistics are
normalised by the number of in-image pixels of the window, which is also what
the original implementation does. Window sums are box filters computed from
integral images (cumulative sums) in float64, so their cost does not depend on
``K`` (pixel-based annotating uses ``K = 32``, a 65 x 65 window) and the class
counts stay exact integers. For small windows (RA's 3 x 3) the class counts
are exact uint8 sums of shifted maps and the impurity terms come from a table
of every (count, window size) pair, bit for bit the per-pixel values, so the
scores and picks are the same as with per-pixel logarithms.
"""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

#: The constant the original adds inside every logarithm.
LOG_EPS = 1e-6


def box_sum(x: Tensor, radius: int) -> Tensor:
    """Sum of ``x`` over the ``(2r+1) x (2r+1)`` window around every pixel.

    Pixels outside the image count as zero (zero padding). The sum is taken
    over the last two dimensions, one dimension at a time, as the difference
    of two entries of an integral image (cumulative sum), so its cost does not
    depend on the radius.

    Args:
        x (Tensor): ``(..., H, W)`` map; summed in float64.
        radius (int): Half-size ``r`` of the square window.

    Returns:
        Tensor: ``(..., H, W)`` float64 window sums.
    """
    if radius < 0:
        raise ValueError(f'radius must be non-negative, got {radius}')
    out = x.double()
    for dim, pad in ((-2, (0, 0, radius + 1, radius)),
                     (-1, (radius + 1, radius))):
        length = out.shape[dim]
        # prefix[i] = sum of the padded input before position i, so the window
        # of output pixel i, padded positions [i+1, i+2r+1], sums to
        # prefix[i + 2r + 1] - prefix[i].
        prefix = F.pad(out, pad).cumsum(dim)
        out = (prefix.narrow(dim, 2 * radius + 1, length) -
               prefix.narrow(dim, 0, length))
    return out


def window_pixel_count(height: int, width: int, radius: int,
                       device: torch.device) -> Tensor:
    """Number of in-image pixels of the window around every pixel.

    Returns:
        Tensor: ``(H, W)`` float64 counts, e.g. ``(r+1)^2`` at the corners.
    """
    sides = []
    for length in (height, width):
        centre = torch.arange(length, device=device)
        sides.append((centre + radius + 1).clamp(max=length) -
                     (centre - radius).clamp(min=0))
    return (sides[0][:, None] * sides[1][None, :]).double()


def _resolve_normalizer(num_classes: int,
                        normalizer: Optional[float]) -> float:
    """``ln C`` by default; any positive number otherwise."""
    if normalizer is None:
        if num_classes < 2:
            raise ValueError('the default normalizer ln C needs C >= 2 '
                             f'classes, got {num_classes}')
        return math.log(num_classes)
    if normalizer <= 0:
        raise ValueError(f'normalizer must be positive, got {normalizer}')
    return float(normalizer)


def _check_logits(logits: Tensor) -> None:
    if logits.dim() != 3 or not logits.is_floating_point():
        raise ValueError('logits must be a floating-point C x H x W tensor, '
                         f'got {tuple(logits.shape)} {logits.dtype}')


def _entropy(prob: Tensor, norm: float) -> Tensor:
    """Normalised entropy over the class dimension (dim 0) of ``prob``.

    ``-(prob * (prob + 1e-6).log()).sum(0) / norm`` with the element-wise
    steps in place in one temporary (the same operations, bit for bit;
    fresh ``C x H x W`` tensors for each step cost more than the steps).
    """
    terms = prob + LOG_EPS
    terms.log_()
    terms.mul_(prob)
    return -terms.sum(dim=0) / norm


#: Largest window area ``(2K+1)^2`` whose impurity terms are read from a
#: table of ``(count, window size)`` pairs (RA's 3 x 3 regions: 9); larger
#: windows (PA's 65 x 65) compute them per pixel.
_TABLE_MAX_AREA = 81

#: Classes whose window counts are computed together hold at most this many
#: pixels in all (four classes of a 128 x 256 map): larger temporary tensors
#: are slower on CPU (fresh memory each time).
_CLASS_CHUNK_PIXELS = 1 << 17


def class_argmax(x: Tensor) -> Tensor:
    """``x.argmax(dim=0)`` of a ``C x H x W`` tensor.

    The same indices (the first maximum; NaN counts as the maximum), from
    the maximum value ``m = x.amax(0)`` and the first class equal to it:
    ``C - max_c((x_c == m) (C - c))`` in uint8. Both reductions over the
    outer class dimension are vectorised, which ``torch.argmax``'s and
    ``torch.max``'s index reductions are not on CPU (6x faster on 19 x 128
    x 256 maps). Maps with NaN, or more than 255 classes, take
    ``torch.max``.
    """
    num_classes = x.shape[0]
    top = x.amax(dim=0)
    if num_classes > 255 or top.isnan().any():
        return x.max(dim=0).indices
    rank = torch.arange(num_classes, 0, -1, dtype=torch.uint8,
                        device=x.device)
    first = ((x == top) * rank[:, None, None]).amax(dim=0)
    return num_classes - first.long()


def _window_counts(mask: Tensor, radius: int) -> Tensor:
    """Exact :func:`box_sum` of a bool map with ``(2r+1)^2 < 256``, as
    uint8: shifted adds along each dimension (zero padding)."""
    out = mask.to(torch.uint8)
    for dim in (-2, -1):
        length = out.shape[dim]
        rows = out.clone()
        for shift in range(1, min(radius, length - 1) + 1):
            rows.narrow(dim, shift, length - shift).add_(
                out.narrow(dim, 0, length - shift))
            rows.narrow(dim, 0, length - shift).add_(
                out.narrow(dim, shift, length - shift))
        out = rows
    return out


def _impurity(pred: Tensor, num_classes: int, radius: int, norm: float,
              count: Tensor) -> Tensor:
    """Normalised entropy of the window histogram of the label map
    (``count``: in-image pixels per window).

    The entropy is accumulated class by class in float64; a class absent
    from the whole map adds exactly zero and is skipped. For windows of up
    to :data:`_TABLE_MAX_AREA` pixels the term ``d ln(d + 1e-6)`` of a class
    with ``k`` of the ``n`` pixels of a window (``d = k / n``) comes from a
    table of all ``(k, n)``, computed with the same float64 operations, so
    the result is bit for bit the per-pixel computation's.
    """
    impurity = torch.zeros_like(count)
    present = torch.bincount(pred.flatten(), minlength=num_classes) > 0
    classes = present.nonzero().flatten().tolist()
    area = (2 * radius + 1)**2
    if area <= _TABLE_MAX_AREA:
        values = torch.arange(area + 1, dtype=torch.float64,
                              device=count.device)
        share = values[None, :] / values[:, None].clamp(min=1)  # [n, k]
        table = (share * (share + LOG_EPS).log()).flatten()
        # the row of the window's pixel count n in the table
        row = (count.int() * (area + 1)).flatten()
        chunk = max(1, _CLASS_CHUNK_PIXELS // max(1, count.numel()))
        for start in range(0, len(classes), chunk):
            group = torch.tensor(classes[start:start + chunk],
                                 device=pred.device)
            k = _window_counts(pred[None] == group[:, None, None], radius)
            terms = table.index_select(0, (row + k.flatten(1)).flatten())
            for term in terms.view(len(group), *count.shape):
                impurity -= term
    else:
        # One class at a time keeps the memory at a few H x W maps.
        for c in classes:
            share = box_sum(pred == c, radius) / count
            impurity -= share * (share + LOG_EPS).log()
    return (impurity / norm).float()


def pixel_entropy(logits: Tensor,
                  normalizer: Optional[float] = None) -> Tensor:
    """Per-pixel prediction entropy ``-sum_c p_c ln(p_c + 1e-6) / norm``.

    This is the pixel-level *prediction uncertainty* of RIPU.

    Args:
        logits (Tensor): ``C x H x W`` logits of one image.
        normalizer (float, optional): Divisor of the entropy. Defaults to
            ``ln C``; ``math.log(19)`` reproduces the original for any ``C``;
            ``1.0`` gives the unnormalised entropy.

    Returns:
        Tensor: ``H x W`` float32 entropy.
    """
    _check_logits(logits)
    norm = _resolve_normalizer(logits.shape[0], normalizer)
    return _entropy(logits.float().softmax(dim=0), norm)


def region_impurity(logits: Tensor,
                    radius: int,
                    normalizer: Optional[float] = None) -> Tensor:
    """Region impurity: entropy of the predicted-class histogram per window.

    With ``d_c`` the share of the window's in-image pixels predicted (arg-max)
    as class ``c``, the impurity is ``-sum_c d_c ln(d_c + 1e-6) / norm``.

    Args:
        logits (Tensor): ``C x H x W`` logits of one image.
        radius (int): Region half-size ``K``.
        normalizer (float, optional): As in :func:`pixel_entropy`.

    Returns:
        Tensor: ``H x W`` float32 impurity.
    """
    _check_logits(logits)
    num_classes = logits.shape[0]
    norm = _resolve_normalizer(num_classes, normalizer)
    count = window_pixel_count(*logits.shape[1:], radius, logits.device)
    return _impurity(class_argmax(logits), num_classes, radius, norm,
                     count)


def region_uncertainty(logits: Tensor,
                       radius: int,
                       normalizer: Optional[float] = None) -> Tensor:
    """Prediction uncertainty: mean :func:`pixel_entropy` per window.

    The ``U`` of :func:`region_scores`, without the impurity (whose class
    histograms cost the most).

    Args:
        logits (Tensor): ``C x H x W`` logits of one image.
        radius (int): Region half-size ``K``.
        normalizer (float, optional): As in :func:`pixel_entropy`.

    Returns:
        Tensor: ``H x W`` float32 uncertainty.
    """
    entropy = pixel_entropy(logits, normalizer)
    count = window_pixel_count(*logits.shape[1:], radius, logits.device)
    return (box_sum(entropy, radius) / count).float()


def region_scores(logits: Tensor,
                  radius: int,
                  normalizer: Optional[float] = None
                  ) -> Tuple[Tensor, Tensor, Tensor]:
    """RIPU's region-based acquisition score of every ``(2K+1)^2`` region.

    For the window of half-size ``K`` around every pixel (clipped to the
    image):

    * prediction uncertainty ``U`` = mean of :func:`pixel_entropy` over the
      window's in-image pixels;
    * region impurity ``P`` = :func:`region_impurity`;
    * score = ``P * U``.

    Args:
        logits (Tensor): ``C x H x W`` logits of one image, any float dtype,
            any device (computed in float32, window sums in float64).
        radius (int): Region half-size ``K`` (RIPU: 1, i.e. 3 x 3 regions).
        normalizer (float, optional): Divisor of both entropies. Defaults to
            ``ln C``; ``math.log(19)`` reproduces the original code (which
            hard-codes it, also for 16 classes); ``1.0`` gives unnormalised
            scores.

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``H x W`` float32 ``score``,
        ``impurity`` and ``uncertainty``.
    """
    _check_logits(logits)
    num_classes, height, width = logits.shape
    norm = _resolve_normalizer(num_classes, normalizer)
    prob = logits.float().softmax(dim=0)
    entropy = _entropy(prob, norm)
    count = window_pixel_count(height, width, radius, logits.device)
    uncertainty = (box_sum(entropy, radius) / count).float()
    impurity = _impurity(class_argmax(prob), num_classes, radius, norm,
                         count)
    return impurity * uncertainty, impurity, uncertainty


def pixel_scores(logits: Tensor,
                 radius: int,
                 normalizer: Optional[float] = 1.0
                 ) -> Tuple[Tensor, Tensor, Tensor]:
    """RIPU's pixel-based acquisition score of every pixel.

    Pixel-based annotating labels single pixels: the prediction uncertainty
    is the entropy of the pixel itself, weighted by the region impurity of the
    ``(2K+1)^2`` window around it (the original uses ``K = 32`` and
    unnormalised entropies, hence the default ``normalizer=1.0``).

    Args:
        logits (Tensor): ``C x H x W`` logits of one image.
        radius (int): Half-size ``K`` of the impurity window.
        normalizer (float, optional): Divisor of both entropies; ``None``
            means ``ln C``. Defaults to 1.0 (unnormalised, as the original).

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``H x W`` float32 ``score``,
        ``impurity`` and per-pixel ``entropy``.
    """
    _check_logits(logits)
    num_classes = logits.shape[0]
    norm = _resolve_normalizer(num_classes, normalizer)
    prob = logits.float().softmax(dim=0)
    entropy = _entropy(prob, norm)
    count = window_pixel_count(*logits.shape[1:], radius, logits.device)
    impurity = _impurity(class_argmax(prob), num_classes, radius, norm,
                         count)
    return impurity * entropy, impurity, entropy
