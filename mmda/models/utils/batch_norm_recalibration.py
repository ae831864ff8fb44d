"""Re-estimating the running statistics of a network's batch-norm layers on
new data: AdaBN (Li et al., "Revisiting Batch Normalization For Practical
Domain Adaptation", ICLR-W 2017, arXiv:1603.04779), which replaces the
source statistics of every BN layer by those of the target domain and
changes nothing else.

Used by ``tools/analysis_tools/recalibrate_bn.py``.
"""
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

#: The buffers of a batch-norm layer that a recalibration re-estimates.
STATISTICS = ('running_mean', 'running_var', 'num_batches_tracked')


def batch_norm_layers(network: nn.Module) -> List[Tuple[str, _BatchNorm]]:
    """``(name, layer)`` of every batch-norm layer of ``network`` that keeps
    running statistics: each ``torch.nn.modules.batchnorm._BatchNorm``
    (``BatchNorm1d/2d/3d``, ``SyncBatchNorm``) with
    ``track_running_stats``. mmda's ``FrozenBatchNorm2d`` is no
    ``_BatchNorm``: its statistics are fixed and not among these."""
    return [(name, module) for name, module in network.named_modules()
            if isinstance(module, _BatchNorm)
            and module.track_running_stats]


def _statistics(layer: _BatchNorm) -> Dict[str, Tensor]:
    return {key: getattr(layer, key).clone() for key in STATISTICS}


def _load_statistics(layer: _BatchNorm, saved: Dict[str, Tensor]) -> None:
    for key, value in saved.items():
        getattr(layer, key).copy_(value)


@torch.no_grad()
def recalibrate_batch_norm(network: nn.Module,
                           inputs: Iterable[Tensor],
                           forward: Optional[Callable] = None,
                           what: str = 'the network') -> dict:
    """Replace the running statistics of every batch-norm layer of
    ``network`` (:func:`batch_norm_layers`) by those of ``inputs`` (AdaBN).

    Each layer's statistics are reset and its ``momentum`` set to None,
    PyTorch's cumulative moving average: after ``n`` forward passes
    ``running_mean`` is the mean of the ``n`` batch means of the layer's
    input and ``running_var`` the mean of its ``n`` unbiased batch
    variances (per channel, over batch and spatial positions), and
    ``num_batches_tracked`` is ``n``. The pass runs without gradients with
    the whole network in eval mode except the batch-norm layers, so that
    dropout and other train-time behaviour are off: the statistics are
    those of the inputs the evaluated network sees. Afterwards every
    module's mode and every layer's momentum are as before.

    A layer that no forward pass reached (e.g. an auxiliary head the
    prediction does not run) keeps its statistics; a failure (an error in
    a forward pass, no input, non-finite statistics) restores all of them.

    Args:
        network (nn.Module): The network whose layers are recalibrated.
        inputs (Iterable[Tensor]): The batches, as ``forward`` takes them.
        forward (Callable, optional): ``forward(batch)`` runs the network
            (e.g. ``lambda x: segmentor(x, mode='tensor')``). Defaults to
            ``network`` itself.
        what (str): How errors name the network.

    Returns:
        dict: ``layers`` (names of the recalibrated layers), ``kept``
        (names of the layers no pass reached), ``batches`` and ``images``
        (the first dimension of the batches, summed).

    Raises:
        ValueError: when ``network`` has no batch-norm layer with running
            statistics, when ``inputs`` is empty, when no forward pass
            reaches a layer, or when a recalibrated statistic is not finite
            (naming the layer).
    """
    layers = batch_norm_layers(network)
    if not layers:
        raise ValueError(
            f'{what} ({type(network).__name__}) has no batch-norm layer '
            'with running statistics (torch _BatchNorm with '
            'track_running_stats; FrozenBatchNorm2d is fixed): nothing to '
            'recalibrate')
    forward = network if forward is None else forward
    modes = {module: module.training for module in network.modules()}
    saved = {layer: (_statistics(layer), layer.momentum)
             for _, layer in layers}
    calls = {layer: 0 for _, layer in layers}

    def count(layer, args):
        calls[layer] += 1

    hooks = [layer.register_forward_pre_hook(count) for _, layer in layers]
    batches = images = 0
    try:
        network.eval()
        for _, layer in layers:
            layer.reset_running_stats()
            layer.momentum = None
            layer.train()
        for batch in inputs:
            forward(batch)
            batches += 1
            images += len(batch)
        if not batches:
            raise ValueError(f'no input batch to recalibrate {what} on')
        if not any(calls.values()):
            raise ValueError(f'recalibrating {what}: the forward passes '
                             'reached none of its batch-norm layers')
        for name, layer in layers:
            if calls[layer] and not all(
                    torch.isfinite(getattr(layer, key)).all()
                    for key in ('running_mean', 'running_var')):
                raise ValueError(
                    f'recalibrating {what}: the statistics of {name} are '
                    f'not finite after {batches} batches')
    except BaseException:
        for layer, (statistics, _) in saved.items():
            _load_statistics(layer, statistics)
        raise
    finally:
        for hook in hooks:
            hook.remove()
        for layer, (_, momentum) in saved.items():
            layer.momentum = momentum
        for module, training in modes.items():
            module.training = training
    kept = [name for name, layer in layers if not calls[layer]]
    for name, layer in layers:
        if not calls[layer]:
            _load_statistics(layer, saved[layer][0])
    return dict(layers=[name for name, layer in layers if calls[layer]],
                kept=kept,
                batches=batches,
                images=images)
