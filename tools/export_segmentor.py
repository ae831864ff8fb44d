"""Export the adapted segmentor of an mmda checkpoint as a plain mmseg
``EncoderDecoder`` checkpoint and config::

    python tools/export_segmentor.py CONFIG CHECKPOINT OUT_DIR

The config's model says where its deployable segmentor is (the method
interface: :func:`~mmda.models.segmentor_cfg` / :func:`~mmda.models.
deploy_prefix`): AdvEnt / IntraDA keep it under ``segmentor.`` beside the
discriminator; RIPU / MinEnt checkpoints are segmentor weights already. A
``SegmentorEnsemble`` has no single segmentor and is refused. ``OUT_DIR``
receives

* ``segmentor.pth``: ``{'meta': ..., 'state_dict': ...}`` with the keys of
  an ``EncoderDecoder`` (nothing else: no discriminator, no optimizer);
* ``segmentor_config.py``: the config with ``model`` as
  ``type='EncoderDecoder'`` (and the ordinary ``SegDataPreProcessor``), so
  ``tools/test.py`` loads the weights strictly (its datasets, transforms
  and metric are mmda's: it imports mmda);
* ``inference_config.py``: only the model and a test pipeline of mmseg's
  own transforms, for mmseg's ``init_model`` / ``inference_model``. It
  imports mmda (``custom_imports``) only when the model has mmda parts;
* ``export_info.json``: what each config needs to load, also printed.

Whether the model loads with mmseg alone depends on its parts: DeepLab-v3+
(``DepthwiseSeparableASPPHead``) is all mmseg's; DeepLab-v2's
``DeepLabV2Head`` is mmda's (mmseg 1.x has no DeepLab-v2 head), so such an
export needs ``import mmda`` (which ``inference_config.py``'s
``custom_imports`` does when mmda is installed). mmda's
``FrozenBatchNorm2d`` (RIPU's DeepLab-v3+ head) is exported as mmseg's
``BN`` with the same statistics and ``eps`` (the same function in eval
mode), and ``KaimingDepthwiseSeparableASPPHead`` (only its initialisation
differs) as mmseg's ``DepthwiseSeparableASPPHead``. A method's
horizontal-flip averaging (``test_cfg.flip``, RIPU) is no
``EncoderDecoder`` option: the export drops it and says so
(``tools/test.py --tta`` averages over the config's ``tta_pipeline``).
"""
import argparse
import inspect
import json
import os
import os.path as osp
import sys

try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmda  # noqa: F401

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import DATASETS, METRICS, MODELS, TRANSFORMS

from mmda.apis import load_segmentor_weights
from mmda.models import deploy_prefix, segmentor_cfg
from mmda.models.layers import FrozenBatchNorm2d
from mmda.utils.atomic_write import atomic_torch_save


#: mmda modules whose forward is an mmseg module's (only their training or
#: initialisation differs) -> that mmseg type, for the exported config
PLAIN_TYPES = {
    'KaimingDepthwiseSeparableASPPHead': 'DepthwiseSeparableASPPHead',
}


def plain_parts(node):
    """``node`` with mmseg's own types: every ``FrozenBatchNorm2d`` norm
    config as mmseg's ``BN`` (no gradient, the same ``eps``), every
    :data:`PLAIN_TYPES` type as its mmseg type."""
    if isinstance(node, dict):
        if node.get('type') == 'FrozenBatchNorm2d':
            return ConfigDict(
                type='BN', eps=node.get('eps', 0.), requires_grad=False)
        node = ConfigDict({k: plain_parts(v) for k, v in node.items()})
        if node.get('type') in PLAIN_TYPES:
            node.type = PLAIN_TYPES[node.type]
        return node
    if isinstance(node, (list, tuple)):
        return type(node)(plain_parts(v) for v in node)
    return node


def with_batch_norm_counters(model, state_dict: dict) -> dict:
    """``state_dict`` of ``model`` with the ``num_batches_tracked`` that
    ``BN`` has and ``FrozenBatchNorm2d`` lacks (0: unused in eval)."""
    state_dict = dict(state_dict)
    for name, module in model.named_modules():
        if isinstance(module, FrozenBatchNorm2d):
            state_dict[f'{name}.num_batches_tracked'] = torch.tensor(0)
    return state_dict


def segmentor_config(cfg: Config) -> ConfigDict:
    """The model config as a plain ``EncoderDecoder``."""
    model = segmentor_cfg(cfg.model).copy()
    model.type = 'EncoderDecoder'
    # drop the method's own arguments (losses, weights): keep only what
    # EncoderDecoder takes
    accepted = inspect.signature(EncoderDecoder.__init__).parameters
    for key in [k for k in model if k != 'type' and k not in accepted]:
        model.pop(key)
    preprocessor = cfg.model.get('data_preprocessor') or model.get(
        'data_preprocessor')
    if preprocessor is not None:
        preprocessor = preprocessor.copy()
        preprocessor.type = 'SegDataPreProcessor'
        model.data_preprocessor = preprocessor
    return model


#: mmda transforms and their mmseg equivalents for inference (None: drop).
PLAIN_TRANSFORMS = {
    'LoadDAImageFromFile': 'LoadImageFromFile',
    'LoadDAAnnotations': None,  # inference reads no labels
}


def types_in(node):
    """Every ``type`` string of a nested config."""
    if isinstance(node, dict):
        if isinstance(node.get('type'), str):
            yield node['type']
        for value in node.values():
            yield from types_in(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from types_in(value)


def mmda_types(node, registries) -> list:
    """The ``type`` names of ``node`` that resolve to mmda classes in any of
    ``registries`` (what loading it needs mmda for), sorted."""
    found = set()
    for name in types_in(node):
        for registry in registries:
            cls = registry.get(name)
            if cls is not None:
                if cls.__module__.split('.')[0] == 'mmda':
                    found.add(name)
                break
    return sorted(found)


def plain_test_pipeline(pipeline) -> list:
    """The test pipeline with mmseg's transforms instead of mmda's."""
    out = []
    for step in pipeline or []:
        step = dict(step)
        if step.get('type') in PLAIN_TRANSFORMS:
            plain = PLAIN_TRANSFORMS[step['type']]
            if plain is None:
                continue
            step = dict(type=plain)
        out.append(step)
    return out


def inference_config(cfg: Config, model_cfg, needs_mmda: bool) -> Config:
    """The model and a plain test pipeline (see the module docstring)."""
    out = dict(
        default_scope='mmseg',
        model=model_cfg,
        test_pipeline=plain_test_pipeline(cfg.get('test_pipeline')))
    if needs_mmda:
        out['custom_imports'] = dict(
            imports=['mmda'], allow_failed_imports=False)
    return Config(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out_dir')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    init_default_scope('mmseg')
    model_cfg = segmentor_config(cfg)
    prefix = deploy_prefix(cfg.model)
    model = MODELS.build(model_cfg)
    # strict: fails on any mismatch, naming the checkpoint
    meta = load_segmentor_weights(model, args.checkpoint,
                                  f'the segmentor of {args.config}', prefix)
    meta = dict(meta, source_checkpoint=osp.abspath(args.checkpoint),
                source_config=osp.abspath(args.config))
    meta.pop('message_hub', None)
    # mmseg's own layers and options only
    state_dict = with_batch_norm_counters(model, model.state_dict())
    model_cfg = plain_parts(model_cfg)
    test_flip = bool((model_cfg.get('test_cfg') or {}).pop('flip', False))
    MODELS.build(model_cfg).load_state_dict(state_dict, strict=True)
    os.makedirs(args.out_dir, exist_ok=True)
    atomic_torch_save(dict(meta=meta, state_dict=state_dict),
                      osp.join(args.out_dir, 'segmentor.pth'))
    cfg.model = model_cfg
    for key in ('model_wrapper_cfg', 'entropy_rank_dataloader'):
        cfg.pop(key, None)
    cfg.dump(osp.join(args.out_dir, 'segmentor_config.py'))
    model_needs = mmda_types(model_cfg, [MODELS])
    infer = inference_config(cfg, model_cfg, bool(model_needs))
    infer.dump(osp.join(args.out_dir, 'inference_config.py'))
    info = dict(
        model_needs_mmda=model_needs,
        inference_config_needs_mmda=mmda_types(
            infer._cfg_dict.to_dict(), [MODELS, TRANSFORMS]),
        segmentor_config_needs_mmda=mmda_types(
            cfg._cfg_dict.to_dict(), [MODELS, TRANSFORMS, DATASETS,
                                      METRICS]),
        loads_with='mmda' if model_needs else 'mmseg alone',
        dropped_test_flip=test_flip)
    with open(osp.join(args.out_dir, 'export_info.json'), 'w') as f:
        json.dump(info, f, indent=1)
    print(f'exported {len(model.state_dict())} tensors -> '
          f'{args.out_dir}/segmentor.pth '
          f'(+ segmentor_config.py, inference_config.py)')
    if model_needs:
        print(f'the model needs mmda to load: {", ".join(model_needs)} '
              'are mmda classes; inference_config.py imports mmda '
              "(custom_imports), so install mmda where it is loaded")
    else:
        print('the model loads with mmseg alone: inference_config.py '
              "needs no mmda (mmseg's init_model / inference_model)")
    print('segmentor_config.py (tools/test.py) needs mmda for: '
          f'{", ".join(info["segmentor_config_needs_mmda"]) or "nothing"}')
    if test_flip:
        print('the method evaluates with horizontal-flip averaging '
              "(test_cfg.flip), which mmseg's EncoderDecoder does not do: "
              'the export predicts without it; tools/test.py --tta '
              "averages over the config's tta_pipeline (with a flip)")


if __name__ == '__main__':
    main()
