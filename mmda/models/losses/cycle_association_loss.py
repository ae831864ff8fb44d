from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce, get_world_size
from torch import Tensor

from mmseg.registry import MODELS

from ..utils.pixel_affinity import (PixelEmbedding, blockwise, check_metric,
                                    contrast_normalize, embed_pixels,
                                    similarity, spatial_aggregation,
                                    take_rows)
from .weighted_loss import WeightedLoss


def _associate_rows(rows, src: PixelEmbedding, ref: PixelEmbedding,
                    index: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
    """For a block of rows: the index of the best-scored column and the
    log of its score, ``(argmax_j φ(D)_ij, log φ(D)_{i,argmax})``."""
    if index is not None:
        rows = index[rows]
    logits = contrast_normalize(similarity(take_rows(src, rows), ref))
    best = logits.argmax(dim=1)
    log_score = F.log_softmax(logits, dim=1).gather(1, best[:, None])[:, 0]
    return best, log_score


def associate(src: PixelEmbedding,
              ref: PixelEmbedding,
              block_rows: Optional[int],
              index: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """Top-1 association of the rows of ``src`` (all, or those at
    ``index``) with the rows of ``ref`` under PLCA's scoring φ:
    ``(j*, log φ(D)[i, j*])`` for each row ``i``. The indices carry no
    gradient; the log scores do."""
    num = src.query.shape[0] if index is None else index.numel()
    parts = blockwise(_associate_rows, num, block_rows, src, ref, index)
    return (torch.cat([p[0] for p in parts]),
            torch.cat([p[1] for p in parts]))


def cycle_association(x_s: Tensor,
                      x_t: Tensor,
                      labels: Tensor,
                      metric: str = 'cos',
                      spagg_alpha: Optional[float] = 0.5,
                      block_rows: Optional[int] = None,
                      ignore_index: int = 255) -> Dict[str, Tensor]:
    """PLCA's pixel-level cycle association of one source/target pair.

    With ``P_st = φ(D(x_s, x̂_t))`` and ``P_ts = φ(D(x̂_t, x_s))`` (rows
    contrast-normalised and softmaxed, ``x̂_t`` the spatially aggregated
    target), every source pixel ``i`` is associated with
    ``j* = argmax_j P_st[i, j]`` and back with
    ``i* = argmax_i' P_ts[j*, i']``. The cycle is *positive* when
    ``y_i ≠ ignore`` and ``y_{i*} = y_i``; positives contribute
    ``−log P_st[i, j*] − log P_ts[j*, i*]`` (the official
    ``BCE(P_st[i,j*] · P_ts[j*,i*], 1)``, in log-softmax form).

    Args:
        x_s (Tensor): N_s×C source rows (features or probabilities).
        x_t (Tensor): N_t×C target rows.
        labels (Tensor): N_s source labels at the map's resolution.
        metric (str): ``'cos'`` (features) or ``'kl'`` (probabilities).
        spagg_alpha (float, optional): α of the target's spatial
            aggregation; None or 0 turns it off.
        block_rows (int, optional): Rows per block; None: dense.
        ignore_index (int): Label of ignored source pixels.

    Returns:
        dict: ``loss_sum`` (sum over positives, attached to the graph even
        when there are none), ``num_pos``, ``num_valid`` (labelled source
        pixels), ``num_covered`` (distinct target pixels any source pixel
        associated with), ``num_target``.
    """
    if x_s.dim() != 2 or x_t.dim() != 2 or x_s.shape[1] != x_t.shape[1]:
        raise ValueError('cycle_association takes N_s×C and N_t×C rows with '
                         f'the same C, got {tuple(x_s.shape)} and '
                         f'{tuple(x_t.shape)}')
    if labels.shape != x_s.shape[:1]:
        raise ValueError(f'labels must have one entry per source row '
                         f'({x_s.shape[0]}), got {tuple(labels.shape)}')
    if spagg_alpha:
        x_t = spatial_aggregation(x_t, metric, spagg_alpha, block_rows)
    src, tgt = embed_pixels(x_s, metric), embed_pixels(x_t, metric)
    mid, log_st = associate(src, tgt, block_rows)
    # back from the target pixels that were reached (each once)
    reached, where = torch.unique(mid, return_inverse=True)
    back, log_ts = associate(tgt, src, block_rows, index=reached)
    end = back[where]
    valid = labels != ignore_index
    positive = valid & (labels[end] == labels)
    log_cycle = log_st + log_ts[where]
    loss_sum = -(log_cycle * positive).sum()
    return dict(
        loss_sum=loss_sum,
        num_pos=positive.sum(),
        num_valid=valid.sum(),
        num_covered=torch.tensor(reached.numel(), device=x_s.device),
        num_target=torch.tensor(x_t.shape[0], device=x_s.device))


@MODELS.register_module()
class CycleAssociationLoss(WeightedLoss):
    """PLCA's cycle association loss (Kang et al., "Pixel-Level Cycle
    Association: A New Perspective for Domain Adaptive Semantic
    Segmentation", NeurIPS 2020), at one level of the network.

    Source and target maps of a batch are associated pair by pair (the
    k-th source image with the k-th target image, see
    :func:`cycle_association`), and the loss is the mean over all positive
    cycles of the batch:

    .. math::

        L_{ass} = -\\frac{1}{|\\hat I_s|} \\sum_{i \\in \\hat I_s}
            \\left[\\log P_{st}(i, j^*) + \\log P_{ts}(j^*, i^*)\\right]

    The count of positives is summed over the ranks of a distributed run
    (one process sees the same mean as a single process on the global
    batch; the official code averages per GPU). With no positive cycle the
    loss is a zero attached to the graph (DDP-safe). Besides the loss it
    returns, for logging, ``pos_ratio`` (positive cycles / labelled source
    pixels) and ``cover_ratio`` (distinct target pixels reached / target
    pixels).

    The N_s×N_t similarities are computed in blocks of ``block_rows`` rows
    (:mod:`mmda.models.utils.pixel_affinity`): peak memory grows with
    ``block_rows × N``, not N².

    Args:
        metric (str): ``'cos'`` on features (the feature level) or ``'kl'``
            on softmax probabilities (the output level).
        spagg_alpha (float, optional): α of the spatial aggregation of the
            target map before association (0.5; None or 0: off).
        block_rows (int, optional): Rows per block (None: dense).
        ignore_index (int): Ignored source label. Defaults to 255.
        loss_weight (float): Weight (0.1 at both levels in PLCA).
        loss_name (str): Name of the loss in the logs.
    """

    def __init__(self,
                 metric: str = 'cos',
                 spagg_alpha: Optional[float] = 0.5,
                 block_rows: Optional[int] = 1024,
                 ignore_index: int = 255,
                 loss_weight: float = 0.1,
                 loss_name: str = 'loss_association'):
        super().__init__(loss_weight, loss_name)
        self.metric = check_metric(metric)
        if spagg_alpha and not 0. < spagg_alpha <= 1.:
            raise ValueError(f'spagg_alpha must be in (0, 1] or None, got '
                             f'{spagg_alpha}')
        self.spagg_alpha = spagg_alpha
        self.block_rows = block_rows
        self.ignore_index = ignore_index

    def forward(self, x_s: Tensor, x_t: Tensor,
                labels: Tensor) -> Dict[str, Tensor]:
        """Loss and ratios of a batch.

        Args:
            x_s (Tensor): B×C×H_s×W_s source maps.
            x_t (Tensor): B×C×H_t×W_t target maps.
            labels (Tensor): B×H_s×W_s source labels at map resolution.

        Returns:
            dict: ``{loss_name: loss, 'pos_ratio': ..., 'cover_ratio':
            ...}``.
        """
        if x_s.dim() != 4 or x_t.shape[:2] != x_s.shape[:2]:
            raise ValueError(f'{type(self).__name__} takes B×C×H×W source '
                             'and target maps with the same B and C, got '
                             f'{tuple(x_s.shape)} and {tuple(x_t.shape)}')
        if labels.shape != (x_s.shape[0], ) + x_s.shape[2:]:
            raise ValueError(f'labels must be B×H×W at the source map size '
                             f'{tuple(x_s.shape[2:])}, got '
                             f'{tuple(labels.shape)}')
        rows_s = x_s.flatten(2).transpose(1, 2)
        rows_t = x_t.flatten(2).transpose(1, 2)
        pairs = [
            cycle_association(s, t, y.flatten(), self.metric,
                              self.spagg_alpha, self.block_rows,
                              self.ignore_index)
            for s, t, y in zip(rows_s, rows_t, labels)
        ]
        total = {k: sum(p[k] for p in pairs) for k in pairs[0]}
        num_pos = total['num_pos'].detach().float()
        world = get_world_size()
        if world > 1:  # the mean over the positives of the global batch
            all_reduce(num_pos)
        loss = total['loss_sum'] * world / num_pos.clamp(min=1.)
        return {
            self.loss_name: self.loss_weight * loss,
            'pos_ratio': total['num_pos'].float() /
            total['num_valid'].clamp(min=1).float(),
            'cover_ratio': total['num_covered'].float() /
            total['num_target'].float()
        }
