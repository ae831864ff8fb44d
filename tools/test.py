"""Test (evaluate) a checkpoint with an mmda config.

Same flags as MMSegmentation's ``tools/test.py``::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out DIR]
        [--show-dir DIR] [--tta] [--cfg-options ...] [--launcher ...]
        [--cityscapes-format DIR [--cityscapes-eval]]

Prints a progress bar and the per-class IoU table; ``tools/dist_test.sh``
shards the test set over processes and gives exactly the single-process
result. The checkpoint is read safely and must fit the config's model
exactly (:class:`mmda.engine.MMDARunner`): a checkpoint of another model
exits non-zero naming the file, the mismatched keys and the model it seems
to be of.

``CHECKPOINT`` is a checkpoint of the config's method or, for a method that
wraps its segmentor (AdvEnt / IntraDA: the method interface's
``deploy_prefix``), plain segmentor weights (``tools/export_segmentor.py``'s
``segmentor.pth``, a source-only run): those are loaded strictly into the
deployable segmentor, which is what gets evaluated.
"""
import argparse
import os
import os.path as osp
import sys

try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmda  # noqa: F401

from mmengine.config import DictAction
from mmengine.model import BaseTTAModel
from mmengine.registry import init_default_scope

from mmda.apis import (build_runner, holds_plain_segmentor_weights,
                       load_config)
from mmda.engine.launch import init_distributed
from mmda.evaluation import add_cityscapes_format
from mmda.models import (BaseDAModel, deployable_segmentor,
                         model_class, prediction_mode)
from mmda.models.utils import unwrap
from mmda.utils import check_checkpoint_fits, load_local_checkpoint


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--out', help='directory to save the predicted label maps (PNG)')
    parser.add_argument(
        '--cityscapes-format',
        metavar='DIR',
        help='write the predictions as Cityscapes result files '
        '(DIR/<city>/<stem>_leftImg8bit.png holding labelIds; a test split '
        'without labels gives a test-server submission)')
    parser.add_argument(
        '--cityscapes-eval',
        action='store_true',
        help='score the --cityscapes-format files with the official '
        'cityscapesscripts pixel-level evaluation and print its tables')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where colour overlays of the predictions are saved')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--tta', action='store_true', help='test-time augmentation (flip)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config (KEY=VALUE; KEY must '
        'exist), or add new ones on purpose (+KEY=VALUE)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def trigger_visualization_hook(cfg, args):
    hooks = cfg.default_hooks
    if 'visualization' not in hooks:
        raise RuntimeError(
            '--show/--show-dir need a "visualization" entry in '
            'default_hooks (type="SegVisualizationHook")')
    vis = hooks['visualization']
    vis['draw'] = True
    vis['interval'] = 1  # every test image, not one in 50
    if args.show:
        vis['show'] = True
        vis['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = osp.abspath(args.show_dir)
    return cfg


def plain_segmentor_weights(model_cfg, checkpoint):
    """The state dict of ``checkpoint`` if it holds plain segmentor weights
    while ``model_cfg``'s method wraps its segmentor (no key under its
    deploy prefix), else None (the Runner loads the checkpoint)."""
    if not issubclass(model_class(model_cfg), BaseDAModel):
        return None
    ckpt = load_local_checkpoint(checkpoint, map_location='cpu')  # safe
    state = ckpt.get('state_dict', ckpt)
    return state if holds_plain_segmentor_weights(model_cfg, state) \
        else None


def load_into_segmentor(runner, state, checkpoint):
    """Load plain weights strictly into the model's deployable segmentor
    (through the test-time augmentation wrapper with ``--tta``)."""
    model = unwrap(runner.model)
    if isinstance(model, BaseTTAModel):
        model = model.module
    segmentor = deployable_segmentor(model)
    state = check_checkpoint_fits(segmentor, state, checkpoint,
                                  'the segmentor of the config',
                                  revise_keys=())
    segmentor.load_state_dict(state, strict=True)
    runner.logger.info(f'Loaded segmentor weights from {checkpoint}')


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint file not found: '
                                f'{args.checkpoint}')
    cfg = load_config(args.config, args.cfg_options, args.work_dir,
                      args.launcher)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    cfg.load_from = args.checkpoint
    plain = plain_segmentor_weights(cfg.model, args.checkpoint)
    if plain is not None:
        cfg.load_from = None  # loaded into the segmentor below
    cfg.default_hooks.setdefault('progress', dict(type='TestProgressHook'))
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise KeyError(f'--tta needs tta_model and tta_pipeline in '
                           f'{args.config}')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = osp.abspath(args.out)
        cfg.test_evaluator['keep_results'] = True
    if args.cityscapes_eval and not args.cityscapes_format:
        raise ValueError('--cityscapes-eval scores the files of '
                         '--cityscapes-format DIR: give both')
    if args.cityscapes_format:
        cfg = add_cityscapes_format(cfg, args.cityscapes_format,
                                    evaluate=args.cityscapes_eval)
    init_distributed(args.launcher)
    runner = build_runner(cfg)  # strict: a checkpoint must fit the model
    if plain is not None:
        load_into_segmentor(runner, plain, args.checkpoint)
    runner.logger.info(f'prediction: {prediction_mode(runner.model)}')
    runner.test()


if __name__ == '__main__':
    main()
