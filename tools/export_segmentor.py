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
  ``tools/test.py`` or mmseg's own tools and APIs (``init_model``) load the
  weights strictly.
"""
import argparse
import inspect
import os
import os.path as osp
import sys

try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmda  # noqa: F401

from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS

from mmda.apis import load_segmentor_weights
from mmda.models import deploy_prefix, segmentor_cfg
from mmda.utils.atomic_write import atomic_torch_save


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
    os.makedirs(args.out_dir, exist_ok=True)
    atomic_torch_save(dict(meta=meta, state_dict=model.state_dict()),
                      osp.join(args.out_dir, 'segmentor.pth'))
    cfg.model = model_cfg
    for key in ('model_wrapper_cfg', 'entropy_rank_dataloader'):
        cfg.pop(key, None)
    cfg.dump(osp.join(args.out_dir, 'segmentor_config.py'))
    print(f'exported {len(model.state_dict())} tensors -> '
          f'{args.out_dir}/segmentor.pth '
          f'(+ segmentor_config.py)')


if __name__ == '__main__':
    main()
