from torch import Tensor

#: Added to the variance (Huang & Belongie's reference code,
#: ``naoto0804/pytorch-AdaIN`` ``function.py``).
ADAIN_EPS = 1e-5


def channel_mean_std(feat: Tensor, eps: float = ADAIN_EPS):
    """Channel-wise mean and std over the spatial positions of an N×C×H×W
    feature (unbiased variance + ``eps`` under the square root, as the
    reference code)."""
    if feat.dim() != 4:
        raise ValueError(
            f'channel_mean_std expects N×C×H×W, got {tuple(feat.shape)}')
    n, c = feat.shape[:2]
    flat = feat.reshape(n, c, -1)
    std = (flat.var(dim=2) + eps).sqrt().view(n, c, 1, 1)
    return flat.mean(dim=2).view(n, c, 1, 1), std


def adaptive_instance_norm(content: Tensor,
                           style: Tensor,
                           eps: float = ADAIN_EPS) -> Tensor:
    """AdaIN (Huang & Belongie, ICCV 2017), the join of TGCF-DA's two
    encoders:

    .. math::

        AdaIN(u, v) = \\sigma(v) \\frac{u - \\mu(u)}{\\sigma(u)} + \\mu(v)

    with channel-wise μ and σ over the spatial positions. The content
    ``u`` and the style ``v`` may differ in spatial size.

    Args:
        content (Tensor): N×C×H×W content feature u.
        style (Tensor): N×C×H'×W' style feature v.
    """
    if content.shape[:2] != style.shape[:2]:
        raise ValueError(
            'adaptive_instance_norm: content and style differ in batch or '
            f'channels: {tuple(content.shape)} vs {tuple(style.shape)}')
    c_mean, c_std = channel_mean_std(content, eps)
    s_mean, s_std = channel_mean_std(style, eps)
    return (content - c_mean) / c_std * s_std + s_mean
