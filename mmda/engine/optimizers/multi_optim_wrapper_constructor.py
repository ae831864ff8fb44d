"""One optimizer wrapper per trainable child of a model."""
from collections import OrderedDict

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Builds an :class:`~mmengine.optim.OptimWrapperDict` with one wrapper
    per named child of the model (mmengine ships no such constructor).

    Adversarial methods train a segmentor and a discriminator with different
    optimizers (AdvEnt: SGD with the classifier at 10× lr for the
    segmentor, Adam for the discriminator)::

        optim_wrapper = dict(
            constructor='MultiOptimWrapperConstructor',
            segmentor=dict(
                type='OptimWrapper',
                optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9),
                paramwise_cfg=dict(custom_keys=dict(head=dict(lr_mult=10.)))),
            discriminator=dict(
                type='OptimWrapper',
                optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))

    Each entry is an ordinary single-optimizer wrapper config, built by
    :class:`~mmengine.optim.DefaultOptimWrapperConstructor` on the child of
    that name (``paramwise_cfg`` keys are relative to the child). Every child
    with trainable parameters must have an entry, so no parameter is left
    out of training silently; frozen children (an EMA teacher) must not.

    An entry set to ``None`` is left out: a config that removes a child
    (GIO-Ada's ablation without its depth head) removes its optimizer with
    ``optim_wrapper=dict(depth_head=None)``.

    A list ``param_scheduler`` then applies to every wrapper, a dict keyed
    like the wrappers to each its own (mmengine's ``Runner``).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg=None):
        if paramwise_cfg is not None:
            raise ValueError(
                'MultiOptimWrapperConstructor: put paramwise_cfg inside each '
                'optimizer wrapper entry (it is relative to that child), not '
                'at the top level of optim_wrapper')
        entries = {
            name: cfg
            for name, cfg in dict(optim_wrapper_cfg).items()
            if cfg is not None
        }
        if 'optimizer' in entries or 'type' in entries:
            raise ValueError(
                'MultiOptimWrapperConstructor: optim_wrapper must map child '
                'names to wrapper configs (e.g. segmentor=dict(...), '
                'discriminator=dict(...)); got top-level keys '
                f'{sorted(entries)}')
        for name, cfg in entries.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise ValueError(
                    f'MultiOptimWrapperConstructor: optim_wrapper.{name} must '
                    'be an optimizer wrapper config with an `optimizer`, got '
                    f'{cfg!r}')
        self.entries = entries

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        if is_model_wrapper(model):
            model = model.module
        children = dict(model.named_children())
        unknown = sorted(set(self.entries) - set(children))
        if unknown:
            raise KeyError(
                f'MultiOptimWrapperConstructor: optim_wrapper entries '
                f'{unknown} name no child of {type(model).__name__} '
                f'(children: {sorted(children)})')
        trainable = [
            name for name, child in children.items()
            if any(p.requires_grad for p in child.parameters())
        ]
        missing = sorted(set(trainable) - set(self.entries))
        if missing:
            raise KeyError(
                f'MultiOptimWrapperConstructor: the trainable children '
                f'{missing} of {type(model).__name__} have no optim_wrapper '
                'entry (their parameters would never be updated)')
        wrappers = OrderedDict()
        for name, cfg in self.entries.items():
            cfg = dict(cfg)
            paramwise_cfg = cfg.pop('paramwise_cfg', None)
            constructor = DefaultOptimWrapperConstructor(cfg, paramwise_cfg)
            wrappers[name] = constructor(children[name])
        return OptimWrapperDict(**wrappers)
