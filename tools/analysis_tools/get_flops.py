"""FLOPs and parameters of the deployable segmentor of an mmda config.

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W]

mmseg's ``get_flops.py`` procedure (mmengine's complexity analysis of one
random image through the data preprocessor and the segmentor in eval mode)
on the segmentor that is deployed (for AdvEnt the one inside the wrapper,
without discriminators), with mmda's registered parts. mmseg 1.2.2's own
script cannot run with mmengine 0.10.x: it passes ``input_shape`` and
``inputs`` together, which mmengine refuses; here only ``inputs`` go.
"""
import argparse

import torch
from mmengine.config import DictAction
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope

import mmseg_tools  # noqa: F401  (imports mmda)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs='+', default=[512, 1024],
                        help='input size (H W, or one side)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def complexity(model, shape) -> dict:
    """``flops`` and ``params`` (formatted as mmseg's tool prints them)
    of ``model`` on one random ``(3, H, W)`` image."""
    from mmengine.analysis import get_model_complexity_info
    from mmengine.analysis.print_helper import _format_size

    from mmseg.structures import SegDataSample
    model = revert_sync_batchnorm(model)
    model.eval()
    meta = dict(ori_shape=shape, pad_shape=shape, img_shape=shape)
    data = model.data_preprocessor({
        'inputs': [torch.rand((3, ) + tuple(shape))],
        'data_samples': [SegDataSample(metainfo=meta)]
    })
    outputs = get_model_complexity_info(
        model, inputs=data['inputs'], show_table=False, show_arch=False)
    return dict(flops=_format_size(outputs['flops']),
                params=_format_size(outputs['params']),
                shape=tuple(data['inputs'].shape[-2:]))


def main(argv=None):
    args = parse_args(argv)
    from mmda.apis import load_config
    from mmda.models.segmentors.deployable import deployable_segmentor
    from mmseg.registry import MODELS
    if len(args.shape) not in (1, 2):
        raise ValueError(f'--shape takes H W or one side, got {args.shape}')
    shape = tuple(args.shape) * (3 - len(args.shape))
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope('mmseg')
    model = deployable_segmentor(MODELS.build(cfg.model))
    result = complexity(model, shape[:2])
    print(f'Input shape: {result["shape"]}\nFlops: {result["flops"]}\n'
          f'Params: {result["params"]}')
    return result


if __name__ == '__main__':
    main()
