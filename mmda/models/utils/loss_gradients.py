"""How much each term of a summed loss pulls on each part of a network:
the gradient of every term alone, per parameter group.

A method's loss is a weighted sum of terms (CE, an auxiliary depth loss,
adversarial terms); which term dominates a shared encoder's update, and
whether two terms pull it the same way, decides what an auxiliary task
adds. Used by ``tools/analysis_tools/gio_ada_loss_balance.py``.
"""
from typing import Dict, Sequence

import torch
from torch import Tensor, nn


def loss_gradients(losses: Dict[str, Tensor],
                   groups: Dict[str, Sequence[nn.Parameter]]
                   ) -> Dict[str, Dict[str, Tensor]]:
    """The gradient of each loss term alone on each parameter group.

    Args:
        losses (dict[str, Tensor]): Scalar loss terms sharing one graph.
        groups (dict[str, Sequence[Parameter]]): Named parameter groups.

    Returns:
        dict: ``{term: {group: flat gradient}}``, the gradients of the
        group's parameters concatenated in order (zeros for a parameter the
        term does not reach). The parameters' ``.grad`` are left as they
        were.

    Raises:
        ValueError: naming a term that is not a scalar, or a group without
            parameters that require gradients.
    """
    params = {}
    for name, group in groups.items():
        group = [p for p in group if p.requires_grad]
        if not group:
            raise ValueError(f'parameter group {name!r} has no parameters '
                             'that require gradients')
        params[name] = group
    flat_params = [p for group in params.values() for p in group]
    out = {}
    for term, loss in losses.items():
        if loss.dim() != 0:
            raise ValueError(f'loss term {term!r} is not a scalar: shape '
                             f'{tuple(loss.shape)}')
        grads = torch.autograd.grad(
            loss, flat_params, retain_graph=True, allow_unused=True)
        grads = [torch.zeros_like(p) if g is None else g
                 for p, g in zip(flat_params, grads)]
        out[term], start = {}, 0
        for name, group in params.items():
            chunk = grads[start:start + len(group)]
            out[term][name] = torch.cat([g.reshape(-1) for g in chunk])
            start += len(group)
    return out


def gradient_cosine(a: Tensor, b: Tensor) -> float:
    """Cosine of the angle between two flat gradients; 0 when either is 0
    (a term that does not reach the group neither helps nor opposes)."""
    norm = a.norm() * b.norm()
    if norm == 0:
        return 0.
    return float(torch.dot(a, b) / norm)
