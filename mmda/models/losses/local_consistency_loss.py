import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS

from .weighted_loss import WeightedLoss

# 8-neighbour Laplacian used to find where the label map changes.
_LAPLACIAN_8 = ((-1., -1., -1.), (-1., 8., -1.), (-1., -1., -1.))
#: where L_cr applies: the released code's boundary or the paper's interior
REGIONS = ('boundary', 'interior')


def _check_region(region: str, owner: str = 'local_consistency_loss'):
    if region not in REGIONS:
        raise ValueError(f"{owner}: region must be 'boundary' or "
                         f"'interior', got {region!r}")


def label_boundary_mask(label: Tensor, ignore_index: int = 255) -> Tensor:
    """Pixels whose 8-neighbour Laplacian of the label map is non-zero.

    The Laplacian is taken on the raw label values with zero padding (so
    labelled pixels on the image border count as boundary, as in RIPU's
    code); pixels labelled ``ignore_index`` are excluded.

    Args:
        label (Tensor): N×H×W (or N×1×H×W) integer label map.

    Returns:
        Tensor: N×H×W bool mask.
    """
    if label.dim() == 4:
        label = label.squeeze(1)
    kernel = label.new_tensor(_LAPLACIAN_8, dtype=torch.float32)[None, None]
    lap = F.conv2d(label[:, None].float(), kernel, padding=1)[:, 0]
    return (lap != 0) & (label != ignore_index)


def window_mean_3x3(prob: Tensor) -> Tensor:
    """Mean over the 3×3 window around each pixel, with replicate padding.

    The same numbers as ``F.avg_pool2d(F.pad(prob, (1, 1, 1, 1),
    'replicate'), 3, stride=1)`` (the nine values are added in the pooling
    kernel's order, row by row, then divided by 9), computed with nine
    shifted whole-tensor additions, which on CPU are faster than the
    pooling kernel and its backward.
    """
    padded = F.pad(prob, (1, 1, 1, 1), mode='replicate')
    height, width = prob.shape[-2:]
    total = None
    for dy in range(3):
        for dx in range(3):
            shifted = padded[..., dy:dy + height, dx:dx + width]
            total = shifted if total is None else total + shifted
    return total / 9


def local_consistency_loss(logits: Tensor,
                           label: Tensor,
                           region: str = 'boundary',
                           ignore_index: int = 255) -> Tensor:
    """RIPU's local consistency regulariser ``L_cr``.

    With ``p = softmax(logits)`` and ``p̄`` its mean over the 3×3 window
    around each pixel (replicate padding), the per-pixel discrepancy is
    ``d = Σ_c |p_c − p̄_c|``; the loss is the mean of ``d`` over the pixels
    picked by ``region``:

    * ``'boundary'`` (default, the released code): pixels where the
      8-neighbour Laplacian of the label map is non-zero, i.e. semantic
      boundaries (and the labelled image border);
    * ``'interior'`` (the paper's text): labelled pixels where it is zero.

    Ignored pixels never count. Returns 0 when no pixel is picked.

    Args:
        logits (Tensor): N×C×H×W class scores at label resolution.
        label (Tensor): N×H×W (or N×1×H×W) labels.
    """
    _check_region(region)
    if label.dim() == 4:
        label = label.squeeze(1)
    prob = F.softmax(logits, dim=1)
    discrepancy = (prob - window_mean_3x3(prob)).abs().sum(dim=1)
    boundary = label_boundary_mask(label, ignore_index)
    if region == 'boundary':
        mask = boundary
    else:
        mask = ~boundary & (label != ignore_index)
    mask = mask.to(discrepancy.dtype)
    return (discrepancy * mask).sum() / mask.sum().clamp(min=1.)


@MODELS.register_module()
class LocalConsistencyLoss(WeightedLoss):
    """Module form of :func:`local_consistency_loss`.

    Args:
        region (str): ``'boundary'`` (code) or ``'interior'`` (paper).
        loss_weight (float): Weight of the loss. Defaults to 0.1 (RIPU).
        ignore_index (int): Label to ignore. Defaults to 255.
        loss_name (str): Name under which the loss is logged.
    """

    def __init__(self,
                 region: str = 'boundary',
                 loss_weight: float = 0.1,
                 ignore_index: int = 255,
                 loss_name: str = 'loss_cr'):
        super().__init__(loss_weight, loss_name)
        _check_region(region, 'LocalConsistencyLoss')
        self.region = region
        self.ignore_index = ignore_index

    def forward(self, logits: Tensor, label: Tensor) -> Tensor:
        return self.loss_weight * local_consistency_loss(
            logits, label, self.region, self.ignore_index)
