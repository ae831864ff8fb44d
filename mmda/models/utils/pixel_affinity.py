"""Pixel affinities of PLCA (Kang et al., NeurIPS 2020), computed in row
blocks.

PLCA compares every pixel of one map with every pixel of another: cosine
similarity of layer-4 features, or the negative KL divergence of class
probabilities. Each row of such an N×M similarity matrix is turned into a
distribution by *contrast normalisation* (the row's mean and standard
deviation, detached, standardise it) and a softmax ("scoring" in the
official code, ``kgl-prml/Pixel-Level-Cycle-Association``,
``solver/loss.py``). Rows are independent, so everything here is computed
one block of rows at a time: a block of ``b`` rows needs ``b × M`` entries,
and under autograd each block is recomputed in the backward pass
(``torch.utils.checkpoint``) instead of holding its ``b × M`` matrices, so
forward plus backward peak at O(b·M + (N + M)·C), not O(N·M).
``block_rows=None`` is the dense computation (one block, no recomputation),
which the blocked one reproduces (``tests/test_plca_losses.py``).

Maps are passed as N×C row matrices (one row per pixel).
"""
from typing import Iterator, NamedTuple, Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

#: Added to the row standard deviation and inside the logarithms, as in the
#: official code.
EPS = 1e-10
METRICS = ('cos', 'kl')


class PixelEmbedding(NamedTuple):
    """A map prepared for one of the two similarities.

    The similarity of row ``i`` of ``a`` with row ``j`` of ``b`` is
    ``a.scale[i] · (a.query[i] · b.key[j]) · b.scale[j] + a.offset[i]``
    (a missing scale or offset is 1 or 0):

    * ``cos``: ``query = key = x``, ``scale = 1 / ‖x‖``, no offset (cosine
      similarity, without a normalised copy of the map);
    * ``kl``: ``query = p``, ``key = log(p + ε)``,
      ``offset = −Σ_c p log(p + ε)``, no scale, so that the similarity is
      ``−KL(p_i ‖ p_j) = Σ_c p_ic log(p_jc + ε) − Σ_c p_ic log(p_ic + ε)``.
    """
    query: Tensor
    key: Tensor
    offset: Optional[Tensor] = None
    scale: Optional[Tensor] = None


def check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f'metric must be one of {METRICS}, got {metric!r}')
    return metric


def embed_pixels(x: Tensor, metric: str) -> PixelEmbedding:
    """Prepare the N×C rows ``x`` (features for ``cos``, class
    probabilities for ``kl``) for :func:`similarity`."""
    if check_metric(metric) == 'cos':
        # as F.normalize: x / max(‖x‖, 1e-12)
        return PixelEmbedding(x, x, None,
                              1. / x.norm(dim=1).clamp(min=1e-12))
    log_x = torch.log(x + EPS)
    return PixelEmbedding(x, log_x, -(x * log_x).sum(dim=1))


def _optional_rows(t: Optional[Tensor], index) -> Optional[Tensor]:
    return None if t is None else t[index]


def take_rows(emb: PixelEmbedding, index) -> PixelEmbedding:
    """The embedding of a subset (slice or index tensor) of the rows."""
    return PixelEmbedding(*(_optional_rows(t, index) for t in emb))


def similarity(rows: PixelEmbedding, ref: PixelEmbedding) -> Tensor:
    """The similarity matrix of ``rows`` (n rows) against ``ref`` (m rows):
    cosine, or −KL(rows_i ‖ ref_j), n×m. Always in float32 or wider, also
    under mixed precision: the contrast normalisation spreads differences
    that half precision would round away."""
    dtype = torch.promote_types(rows.query.dtype, torch.float32)
    with torch.autocast(rows.query.device.type, enabled=False):
        query = rows.query.to(dtype)
        if rows.scale is not None:
            query = query * rows.scale.to(dtype)[:, None]
        sim = query @ ref.key.to(dtype).t()
        if ref.scale is not None:
            sim = sim * ref.scale.to(dtype)[None, :]
        if rows.offset is not None:
            sim = sim + rows.offset.to(dtype)[:, None]
    return sim


def contrast_normalize(sim: Tensor) -> Tensor:
    """Standardise each row by its mean and (unbiased) standard deviation,
    both detached: ``(D_ij − μ_i) / (σ_i + ε)``. The softmax of the result
    is PLCA's scoring φ; σ plays the role of a per-row temperature."""
    mean = sim.mean(dim=1, keepdim=True).detach()
    std = sim.std(dim=1, keepdim=True).detach()
    return (sim - mean) / (std + EPS)


def scoring(sim: Tensor) -> Tensor:
    """PLCA's φ: the row softmax of the contrast-normalised similarities
    (each row sums to 1)."""
    return F.softmax(contrast_normalize(sim), dim=1)


def row_blocks(num_rows: int, block_rows: Optional[int]) -> Iterator[slice]:
    """Slices of ``block_rows`` rows covering ``range(num_rows)`` (one
    slice for ``block_rows=None``)."""
    if block_rows is not None and block_rows < 1:
        raise ValueError(f'block_rows must be a positive int or None, got '
                         f'{block_rows}')
    step = num_rows if not block_rows else block_rows
    for start in range(0, num_rows, max(step, 1)):
        yield slice(start, min(start + step, num_rows))


def blockwise(fn, num_rows: int, block_rows: Optional[int], *args):
    """``[fn(rows, *args) for rows in row_blocks(...)]``; under autograd a
    block of a several-block computation is checkpointed (recomputed in the
    backward pass), so the blocks' n×M intermediates are never held all at
    once."""
    blocks = list(row_blocks(num_rows, block_rows))
    if len(blocks) == 1 or not torch.is_grad_enabled():
        return [fn(rows, *args) for rows in blocks]
    return [
        checkpoint(fn, rows, *args, use_reentrant=False) for rows in blocks
    ]


def aggregation_weights(rows: PixelEmbedding, ref: PixelEmbedding,
                        metric: str) -> Tensor:
    """The weights ``W`` of :func:`spatial_aggregation` (rows of ``rows``
    against the pixels of ``ref``): ``φ(cos)`` for features, and
    ``softmax(−KL)`` without contrast normalisation for probabilities, as
    the official ``spatial_agg``. Each row sums to 1."""
    sim = similarity(rows, ref)
    if check_metric(metric) == 'cos':
        return scoring(sim)
    return F.softmax(sim, dim=1)


def _aggregate_rows(rows: slice, x: Tensor, emb: PixelEmbedding,
                    alpha: float, metric: str) -> Tensor:
    weights = aggregation_weights(take_rows(emb, rows), emb, metric)
    return (1. - alpha) * x[rows] + alpha * (weights @ x)


def spatial_aggregation(x: Tensor,
                        metric: str,
                        alpha: float = 0.5,
                        block_rows: Optional[int] = None) -> Tensor:
    """PLCA's spatial aggregation of one map, N×C rows:

    .. math::

        \\hat{x}_i = (1 - \\alpha)\\, x_i + \\alpha \\sum_j W_{ij} x_j

    with ``W = φ(cos(x, x))`` (contrast-normalised) for features and
    ``W = softmax_j(−KL(x_i ‖ x_j))`` (not normalised) for class
    probabilities, as the official ``spatial_agg``. ``W`` is row-stochastic,
    so aggregated probabilities still sum to 1. ``W`` keeps its graph (only
    the row statistics are detached): gradients reaching a few "seed"
    pixels diffuse to every similar pixel of the map.

    Args:
        x (Tensor): N×C map (target features or probabilities).
        metric (str): ``'cos'`` or ``'kl'``.
        alpha (float): Weight of the aggregated map, in (0, 1].
        block_rows (int, optional): Rows per block; None: dense.
    """
    if not 0. < alpha <= 1.:
        raise ValueError(f'alpha must be in (0, 1], got {alpha}')
    parts = blockwise(_aggregate_rows, x.shape[0], block_rows, x,
                      embed_pixels(x, metric), alpha, metric)
    return torch.cat(parts, dim=0)


def spatial_aggregation_map(x: Tensor,
                            metric: str,
                            alpha: float = 0.5,
                            block_rows: Optional[int] = None) -> Tensor:
    """:func:`spatial_aggregation` of each map of a B×C×H×W batch (pixels
    of one image only aggregate with pixels of the same image)."""
    b, c, h, w = x.shape
    rows = x.flatten(2).transpose(1, 2)
    out = [spatial_aggregation(r, metric, alpha, block_rows) for r in rows]
    return torch.stack(out).transpose(1, 2).reshape(b, c, h, w)
