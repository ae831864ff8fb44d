"""IntraDA end to end in one command: stage 1 (AdvEnt), the entropy
ranking, stage 2 (AdvEnt on the easy / hard target splits)::

    python tools/intrada_pipeline.py STAGE1_CONFIG STAGE2_CONFIG
        [--work-dir DIR] [--lambda 0.67] [--normalize | --no-normalize]
        [--stage1-checkpoint CKPT] [--stage1-snapshot best|last] [--gpus N]
        [--stage1-options k=v ...] [--stage2-options k=v ...]

Everything goes under one directory (default ``work_dirs/intrada/<stage-2
config name>``)::

    DIR/stage1/         the AdvEnt run (tools/train.py)
    DIR/entropy_rank/   splits, pseudo-labels, manifest (tools/entropy_rank.py)
    DIR/stage2/         the IntraDA run, reading DIR/entropy_rank

Each step is an ordinary run of the tools in a fresh process. Finished steps
are skipped and an interrupted training resumes from its last checkpoint,
so running the same command again continues the pipeline. The ranking
uses stage 1's best checkpoint (``save_best``, as the official IntraDA
ranks with ADVENT's best snapshot; the last one when the run kept none,
or with ``--stage1-snapshot last``) and says which. With
``--stage1-checkpoint`` an AdvEnt model trained before is ranked instead of
training stage 1. ``--gpus N``
trains with ``tools/dist_train.sh`` (N processes). On Slurm the steps chain
as dependent jobs: ``slurm/intrada.sh``.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(0, ROOT)

from mmda.intrada import (DEFAULT_LAMBDA, easy_fraction_arg,  # noqa: E402
                          load_manifest, manifest_path)
from mmda.utils.checkpoint_files import (SNAPSHOTS,  # noqa: E402
                                         best_checkpoints, select_snapshot)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='IntraDA in one command')
    parser.add_argument('stage1_config', help='AdvEnt (stage 1) config')
    parser.add_argument('stage2_config', help='IntraDA (stage 2) config')
    parser.add_argument('--work-dir', help='directory of the whole pipeline')
    parser.add_argument(
        '--lambda',
        dest='easy_fraction',
        type=easy_fraction_arg,
        default=DEFAULT_LAMBDA,
        help='easy fraction of the ranking (default 0.67)')
    parser.add_argument(
        '--normalize',
        action=argparse.BooleanOptionalAction,
        default=False,
        help='rare-class normalisation of the ranking (default: off)')
    parser.add_argument(
        '--stage1-checkpoint',
        help='an AdvEnt checkpoint trained before: skip stage 1 and rank '
        'with it')
    parser.add_argument(
        '--stage1-snapshot',
        choices=SNAPSHOTS,
        default='best',
        help='the stage-1 checkpoint to rank with: the best one (save_best; '
        'the last one when the run kept none) or the last one (default: '
        'best)')
    parser.add_argument(
        '--gpus',
        type=int,
        default=1,
        help='processes per training (>1: tools/dist_train.sh)')
    parser.add_argument(
        '--stage1-options',
        nargs='+',
        default=[],
        help='--cfg-options of stage 1 (and of the ranking)')
    parser.add_argument(
        '--stage2-options', nargs='+', default=[],
        help='--cfg-options of stage 2')
    return parser.parse_args(argv)


def run(cmd):
    print('[intrada] ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=os.getcwd())


def final_checkpoint(config: str, work_dir: str, options) -> str:
    """Path of the checkpoint the finished run leaves (iter_<max_iters>)."""
    from mmda.apis import load_config, parse_cfg_options
    cfg = load_config(config, parse_cfg_options(options), work_dir)
    return osp.join(work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')


def train(config: str, work_dir: str, options, gpus: int) -> str:
    """Train (or resume, or skip when finished); return the final
    checkpoint."""
    ckpt = final_checkpoint(config, work_dir, options)
    if osp.isfile(ckpt):
        print(f'[intrada] {work_dir}: finished ({ckpt}), skipped',
              flush=True)
        return ckpt
    args = [config, '--work-dir', work_dir]
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        args.append('--resume')
    if options:
        args += ['--cfg-options'] + list(options)
    if gpus > 1:
        run(['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), args[0],
             str(gpus)] + args[1:])
    else:
        run([sys.executable, osp.join(ROOT, 'tools', 'train.py')] + args)
    if not osp.isfile(ckpt):
        raise RuntimeError(f'training {config} ended without {ckpt}')
    return ckpt


def check_ranking(manifest: dict, checkpoint: str, easy_fraction: float,
                  normalize: bool) -> None:
    """A finished ranking is reused only if it ranked this stage-1
    checkpoint with these settings; otherwise stop, naming the difference
    (stage 2 would silently train on another split)."""
    want = dict(checkpoint=osp.abspath(checkpoint),
                easy_fraction=easy_fraction, normalize=normalize)
    differ = {k: (manifest.get(k), v) for k, v in want.items()
              if manifest.get(k) != v}
    if differ:
        raise SystemExit(
            f'{manifest["root"]} holds a ranking made with ' + ', '.join(
                f'{k}={got!r}' for k, (got, _) in differ.items()) +
            ', this run asks for ' + ', '.join(
                f'{k}={v!r}' for k, (_, v) in differ.items()) +
            ': delete that directory or use another --work-dir')


def main(argv=None):
    args = parse_args(argv)
    name = osp.splitext(osp.basename(args.stage2_config))[0]
    work_dir = osp.abspath(args.work_dir or osp.join('work_dirs', 'intrada',
                                                     name))
    stage1_dir = osp.join(work_dir, 'stage1')
    rank_dir = osp.join(work_dir, 'entropy_rank')
    stage2_dir = osp.join(work_dir, 'stage2')

    if args.stage1_checkpoint:
        if not osp.isfile(args.stage1_checkpoint):
            raise FileNotFoundError(
                f'--stage1-checkpoint {args.stage1_checkpoint} not found')
        ckpt1 = osp.abspath(args.stage1_checkpoint)
        print(f'[intrada] stage 1: {ckpt1} (given)', flush=True)
    else:
        train(args.stage1_config, stage1_dir, args.stage1_options, args.gpus)
        ckpt1, which = select_snapshot(stage1_dir, args.stage1_snapshot)
        print(f'[intrada] stage 1: ranking with {which}', flush=True)
    if osp.isfile(manifest_path(rank_dir)):
        check_ranking(load_manifest(rank_dir), ckpt1, args.easy_fraction,
                      args.normalize)
        print(f'[intrada] {rank_dir}: ranked, skipped', flush=True)
    else:
        cmd = [
            sys.executable,
            osp.join(ROOT, 'tools', 'entropy_rank.py'), args.stage1_config,
            ckpt1, '--out-dir', rank_dir, '--lambda',
            str(args.easy_fraction),
            '--normalize' if args.normalize else '--no-normalize'
        ]
        if args.stage1_options:
            cmd += ['--cfg-options'] + list(args.stage1_options)
        run(cmd)
    options = [
        f'train_dataloader.dataset.source.manifest={rank_dir}',
        f'train_dataloader.dataset.target.manifest={rank_dir}'
    ] + list(args.stage2_options)
    ckpt2 = train(args.stage2_config, stage2_dir, options, args.gpus)
    best2 = best_checkpoints(stage2_dir)
    print(f'[intrada] done: stage 1 {ckpt1}, ranking {rank_dir}, stage 2 '
          f'{ckpt2}' + (f' (best snapshot: {best2[0]})' if len(best2) == 1
                        else ''), flush=True)


if __name__ == '__main__':
    main()
