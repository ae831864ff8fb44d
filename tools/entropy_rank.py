"""IntraDA step 2: rank the target-train images by the entropy of a stage-1
model's prediction and write the easy / hard splits and the easy split's
pseudo-labels::

    python tools/entropy_rank.py CONFIG CHECKPOINT|WORK_DIR [--out-dir DIR]
        [--snapshot best|last] [--lambda 0.67] [--normalize | --no-normalize]
        [--force]

``CONFIG`` is the stage-1 config (its ``entropy_rank_dataloader`` is the
unaugmented target-train split); ``--out-dir`` defaults to
``<work dir of CONFIG>/entropy_rank``, where the stage-2 configs look for
it. Given the stage-1 run's work dir instead of a checkpoint, it ranks
with the run's best checkpoint (``save_best``; the official protocol
ranks with the best snapshot), else its last one, and says which
(``--snapshot last``: the last one). See
:mod:`mmda.intrada.split_manifest` for what is written.
"""
import argparse
import os.path as osp
import sys

try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmda  # noqa: F401

import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope

from mmda.apis import load_config
from mmda.intrada import DEFAULT_LAMBDA, easy_fraction_arg, rank_target
from mmda.utils import load_checkpoint_strict
from mmda.utils.checkpoint_files import SNAPSHOTS, select_snapshot
from mmseg.registry import MODELS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='IntraDA entropy ranking of the target-train split')
    parser.add_argument('config', help='stage-1 config file')
    parser.add_argument(
        'checkpoint',
        help='stage-1 checkpoint, or the work dir of the stage-1 run (its '
        'checkpoint chosen by --snapshot)')
    parser.add_argument(
        '--snapshot',
        choices=SNAPSHOTS,
        default='best',
        help='with a work dir: rank with its best checkpoint (save_best; '
        'its last when it kept none) or its last one (default: best)')
    parser.add_argument(
        '--out-dir',
        help='ranking directory (default: <work dir>/entropy_rank)')
    parser.add_argument(
        '--work-dir', help='work dir of the stage-1 run (for --out-dir)')
    parser.add_argument(
        '--lambda',
        dest='easy_fraction',
        type=easy_fraction_arg,
        default=DEFAULT_LAMBDA,
        help='fraction of the images in the easy split (default 0.67)')
    parser.add_argument(
        '--normalize',
        action=argparse.BooleanOptionalAction,
        default=False,
        help='multiply the entropy by the rare-class factor '
        '(K - n) / K + 0.5 (default: off)')
    parser.add_argument(
        '--force',
        action='store_true',
        help='replace an existing ranking directory')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    if 'entropy_rank_dataloader' not in cfg:
        raise KeyError(
            f'{args.config} has no entropy_rank_dataloader (the unaugmented '
            'target-train split to rank); add one as the configs in '
            'configs/advent/ do')
    if osp.isdir(args.checkpoint):
        args.checkpoint, which = select_snapshot(args.checkpoint,
                                                 args.snapshot)
        print(f'entropy ranking with {which}', flush=True)
    elif not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} not found')
    out_dir = args.out_dir or osp.join(cfg.work_dir, 'entropy_rank')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    # read safely; refused (naming the file) unless it fits the model
    load_checkpoint_strict(model, args.checkpoint,
                           f'the model of {args.config}')
    model.to('cuda' if torch.cuda.is_available() else 'cpu').eval()
    manifest = rank_target(
        model,
        cfg.entropy_rank_dataloader,
        out_dir,
        easy_fraction=args.easy_fraction,
        normalize=args.normalize,
        provenance=dict(
            config=osp.abspath(args.config),
            checkpoint=osp.abspath(args.checkpoint)),
        overwrite=args.force)
    print(f'entropy ranking: {manifest["num_easy"]} easy / '
          f'{manifest["num_images"] - manifest["num_easy"]} hard images '
          f'(lambda {args.easy_fraction}, normalize {args.normalize}) -> '
          f'{out_dir}')


if __name__ == '__main__':
    main()
