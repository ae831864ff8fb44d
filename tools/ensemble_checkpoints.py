"""Gather the checkpoints of separately trained models into one checkpoint
of a ``SegmentorEnsemble`` config (AdvEnt+MinEnt)::

    python tools/ensemble_checkpoints.py CONFIG OUT NAME=CHECKPOINT ...

    # CONFIG: configs/advent/advent-minent-ensemble_*_gta5-to-cityscapes.py
    python tools/ensemble_checkpoints.py $CONFIG \\
        work_dirs/advent-minent/ensemble.pth \\
        advent=work_dirs/advent/iter_120000.pth \\
        minent=work_dirs/minent/iter_120000.pth
    python tools/test.py $CONFIG work_dirs/advent-minent/ensemble.pth

Each ``NAME`` is a member of the config's ``model.members``; every member
needs exactly one checkpoint. A checkpoint may come from any mmda method:
the segmentor of one that wraps it (AdvEnt / IntraDA) is taken from under
its registered deploy prefix (``segmentor.``, see
:func:`~mmda.models.checkpoint_deploy_prefix`). Each is loaded strictly
into its member, so a checkpoint of another architecture fails here, naming
the file, not at test time. ``OUT`` is written atomically.
"""
import argparse
import os.path as osp
import sys

try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmda  # noqa: F401

from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmseg.registry import MODELS

from mmda.apis import load_segmentor_weights
from mmda.models import member_segmentors
from mmda.utils.atomic_write import atomic_torch_save


def parse_members(pairs, config: str, members) -> dict:
    """``NAME=CHECKPOINT`` arguments → {name: checkpoint}, checked against
    the config's members."""
    checkpoints = {}
    for pair in pairs:
        name, sep, path = pair.partition('=')
        if not sep or not name or not path:
            raise ValueError(f'expected NAME=CHECKPOINT, got {pair!r}')
        if name in checkpoints:
            raise ValueError(f'member {name!r} given twice')
        checkpoints[name] = path
    unknown = sorted(set(checkpoints) - set(members))
    missing = sorted(set(members) - set(checkpoints))
    if unknown or missing:
        raise KeyError(f'{config} has the members {sorted(members)}: '
                       + (f'unknown {unknown} ' if unknown else '') +
                       (f'missing {missing}' if missing else ''))
    return checkpoints


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Gather member checkpoints into one checkpoint of a '
        'SegmentorEnsemble config')
    parser.add_argument('config', help='the ensemble config')
    parser.add_argument('out', help='the ensemble checkpoint to write')
    parser.add_argument(
        'members', nargs='+', metavar='NAME=CHECKPOINT',
        help='one checkpoint for each member of model.members')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if cfg.model.get('type') != 'SegmentorEnsemble':
        raise ValueError(f'{args.config}: model.type is '
                         f'{cfg.model.get("type")!r}, not SegmentorEnsemble')
    checkpoints = parse_members(args.members, args.config,
                                cfg.model.members)
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    for name, member in zip(model.members, member_segmentors(model)):
        load_segmentor_weights(member, checkpoints[name],
                               f'member {name!r} of {args.config}')
    meta = dict(
        ensemble_config=osp.abspath(args.config),
        members={n: osp.abspath(p)
                 for n, p in checkpoints.items()},
        weights=model.weights,
        fusion=model.fusion)
    atomic_torch_save(
        dict(meta=meta, state_dict=model.state_dict()), args.out)
    print(f'{len(checkpoints)} members -> {args.out}')


if __name__ == '__main__':
    main()
