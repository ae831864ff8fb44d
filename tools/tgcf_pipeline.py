"""TGCF-DA in one command: the generator stage, the generation of the
augmented source set, and the segmentation stage.

::

    python tools/tgcf_pipeline.py STAGE_A_CONFIG STAGE_B_CONFIG \\
        --work-dir DIR --segmentor-checkpoint SRC_ONLY.pth \\
        [--stage-a-work-dir DIR_A] [--generated-dir OUT] [--seed S] \\
        [--stage-a-options k=v ...] [--stage-b-options k=v ...]
    python tools/tgcf_pipeline.py STAGE_A_CONFIG STAGE_B_CONFIG \
        --print-stage-b-options [--generated-dir OUT]

1. ``DIR/stage_a``: ``tools/train.py STAGE_A_CONFIG`` with the frozen
   semantic-constraint segmentor from ``--segmentor-checkpoint`` (a
   source-only run);
2. ``tools/tgcf_generate.py`` writes G(x_s, x_t) of every source image into
   the generated directory (default: the ``tgcf_root`` that STAGE_B_CONFIG
   reads), with its manifest;
3. ``DIR/stage_b``: ``tools/train.py STAGE_B_CONFIG`` (TGCF-DA +
   self-ensembling, or TGCF-DA alone), reading the generated images.

Every step is resumable: a stage whose work dir has a checkpoint resumes
(a finished one ends at once), and a generated set whose manifest names the
same generator checkpoint (SHA-256) and seed is kept; another one is
replaced. A failed step stops the pipeline with its exit status.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

TOOLS = osp.join(REPO_ROOT, 'tools')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('stage_a_config')
    parser.add_argument('stage_b_config')
    parser.add_argument('--work-dir')
    parser.add_argument(
        '--segmentor-checkpoint',
        help='source-trained segmentor of the semantic constraint')
    parser.add_argument(
        '--generated-dir',
        help="where the augmented set goes (default: STAGE_B_CONFIG's "
        'tgcf_root)')
    parser.add_argument(
        '--stage-a-work-dir',
        help='work dir of stage A (default: WORK_DIR/stage_a; several '
        'stage-B runs can share one)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the style-image draw')
    parser.add_argument('--stage-a-options', nargs='+', default=[])
    parser.add_argument('--stage-b-options', nargs='+', default=[])
    parser.add_argument(
        '--print-stage-b-options',
        action='store_true',
        help='print the --cfg-options that point STAGE_B_CONFIG to the '
        'generated directory, one a line, and exit (slurm/tgcf.sh)')
    args = parser.parse_args(argv)
    if not args.print_stage_b_options:
        for name in ('work_dir', 'segmentor_checkpoint'):
            if getattr(args, name) is None:
                parser.error(f'--{name.replace("_", "-")} is required')
    return args


def run(cmd) -> None:
    print('[tgcf_pipeline] ' + ' '.join(map(str, cmd)), flush=True)
    proc = subprocess.run([sys.executable] + [str(c) for c in cmd])
    if proc.returncode:
        raise SystemExit(proc.returncode)


def train(config: str, work_dir: str, options) -> str:
    """Train (or resume) ``config`` in ``work_dir``; its final checkpoint."""
    cmd = [osp.join(TOOLS, 'train.py'), config, '--work-dir', work_dir]
    last = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(last):
        cmd.append('--resume')
    if options:
        cmd += ['--cfg-options'] + list(options)
    run(cmd)
    from mmda.utils.checkpoint_files import read_last_checkpoint
    checkpoint = read_last_checkpoint(work_dir)  # relative to work_dir
    if checkpoint is None:
        raise SystemExit(f'{work_dir}: training left no last_checkpoint')
    return checkpoint


def tgcf_roots(cfg) -> list:
    """Dotted ``--cfg-options`` keys of the train datasets whose
    ``data_root`` is the config's ``tgcf_root``."""
    if 'tgcf_root' not in cfg:
        raise KeyError(f'{cfg.filename} has no tgcf_root (not a TGCF-DA '
                       'stage-B config)')
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            if node.get('data_root') == cfg.tgcf_root:
                found.append('.'.join(path + ['data_root']))
            for key, value in node.items():
                walk(value, path + [str(key)])
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                walk(value, path + [str(i)])

    walk(cfg.train_dataloader, ['train_dataloader'])
    if not found:
        raise KeyError(f'{cfg.filename}: no train dataset reads tgcf_root '
                       f'{cfg.tgcf_root!r}')
    return found


def generated_is_current(out: str, checkpoint: str, seed: int) -> bool:
    from mmda.utils.file_hash import sha256_file
    manifest = osp.join(out, 'tgcf_manifest.json')
    if not osp.isfile(manifest):
        return False
    with open(manifest) as f:
        got = json.load(f)
    return got.get('seed') == seed and \
        got.get('checkpoint_sha256') == sha256_file(checkpoint)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config
    for path in (args.stage_a_config, args.stage_b_config,
                 args.segmentor_checkpoint):
        if path is not None and not osp.isfile(path):
            raise SystemExit(f'tgcf_pipeline: {path} not found')
    stage_b = Config.fromfile(args.stage_b_config)
    roots = tgcf_roots(stage_b)
    out = osp.abspath(args.generated_dir or stage_b.tgcf_root)
    if args.print_stage_b_options:
        print('\n'.join(f'{key}={out}' for key in roots))
        return
    os.makedirs(args.work_dir, exist_ok=True)

    ckpt = train(
        args.stage_a_config, args.stage_a_work_dir
        or osp.join(args.work_dir, 'stage_a'),
        [f'model.segmentor_checkpoint={args.segmentor_checkpoint}'] +
        args.stage_a_options)
    if generated_is_current(out, ckpt, args.seed):
        print(f'[tgcf_pipeline] {out} holds this generator\'s images '
              f'(seed {args.seed}): kept', flush=True)
    else:
        run([
            osp.join(TOOLS, 'tgcf_generate.py'), args.stage_a_config, ckpt,
            '--out', out, '--seed', args.seed, '--force'
        ] + (['--cfg-options'] + args.stage_a_options
             if args.stage_a_options else []))
    train(args.stage_b_config, osp.join(args.work_dir, 'stage_b'),
          [f'{key}={out}' for key in roots] + args.stage_b_options)
    print(f'[tgcf_pipeline] done: {osp.join(args.work_dir, "stage_b")}')


if __name__ == '__main__':
    main()
