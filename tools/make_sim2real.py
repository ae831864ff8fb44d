"""Generate the procedural sim-to-real benchmark.

    python tools/make_sim2real.py OUT [--seed S] [--num-gta5 N]
        [--num-synthia N] [--num-cityscapes-train N]
        [--num-cityscapes-val N] [--workers N] [--gap G] [--overwrite]

Writes ``OUT/gta5``, ``OUT/synthia`` and ``OUT/cityscapes`` in the real
datasets' layouts (see ``mmda/sim2real``), plus ``OUT/README.txt`` and
``OUT/sim2real_meta.json``, and prints a one-line summary. ``OUT`` is
written under a temporary name and published in one rename: a refused
argument (``--seed`` below 0, ``--gap`` outside [0, 1.5], ``nan``, ``inf``)
or a failed run leaves nothing behind.

Works from a source checkout without installing mmda. The generator needs
only numpy and OpenCV: where importing the whole ``mmda`` package fails
because the OpenMMLab stack (mmcv, mmseg) is missing, the generator's own
modules are loaded alone.
"""
import argparse
import os.path as osp
import sys
import time
import types

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _import_sim2real():
    """Import :mod:`mmda.sim2real`, from the checkout if not installed."""
    try:
        import mmda  # noqa: F401
    except ModuleNotFoundError as e:
        if e.name != 'mmda':
            return _import_standalone()
        sys.path.insert(0, REPO_ROOT)
        try:
            import mmda  # noqa: F401,F811
        except ImportError:
            return _import_standalone()
    except ImportError:
        return _import_standalone()
    import mmda.sim2real
    return mmda.sim2real


def _import_standalone():
    """Load ``mmda.sim2real`` without running ``mmda/__init__.py`` (which
    registers models into mmseg and so needs mmcv)."""
    for name in [
            n for n in sys.modules if n == 'mmda' or n.startswith('mmda.')
    ]:
        del sys.modules[name]
    if REPO_ROOT not in sys.path:
        sys.path.insert(0, REPO_ROOT)
    for name, path in (('mmda', 'mmda'), ('mmda.datasets', 'mmda/datasets'),
                       ('mmda.utils', 'mmda/utils')):
        module = types.ModuleType(name)
        module.__path__ = [osp.join(REPO_ROOT, path)]
        sys.modules[name] = module
    import mmda.sim2real
    return mmda.sim2real


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate the procedural sim-to-real benchmark '
        '(GTA5 / SYNTHIA / Cityscapes layouts).')
    parser.add_argument('out', help='output directory')
    parser.add_argument('--seed', type=int, default=0,
                        help='non-negative integer (default 0)')
    parser.add_argument('--num-gta5', type=int, default=400)
    parser.add_argument('--num-synthia', type=int, default=300)
    parser.add_argument('--num-cityscapes-train', type=int, default=300)
    parser.add_argument('--num-cityscapes-val', type=int, default=100)
    parser.add_argument(
        '--workers', type=int, default=2,
        help='worker processes (output does not depend on '
        'it)')
    parser.add_argument(
        '--gap', type=float, default=1.0,
        help='strength of the target appearance gap, in [0, 1.5] '
        '(0 = target rendered like GTA5, 1 = default, above 1 '
        'extrapolates)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace a previously generated benchmark')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sim2real = _import_sim2real()
    start = time.perf_counter()
    try:
        meta = sim2real.generate_sim2real(
            args.out, seed=args.seed, num_gta5=args.num_gta5,
            num_synthia=args.num_synthia,
            num_cityscapes_train=args.num_cityscapes_train,
            num_cityscapes_val=args.num_cityscapes_val, gap=args.gap,
            workers=args.workers, overwrite=args.overwrite)
    except (ValueError, FileExistsError) as err:
        # checked before anything is written: nothing was
        sys.exit(f'make_sim2real.py: error: {err}')
    elapsed = time.perf_counter() - start
    counts = ', '.join(f'{k} {v["count"]}' for k, v in meta['splits'].items())
    total = sum(v['count'] for v in meta['splits'].values())
    print(f'sim2real v{meta["version"]} seed {meta["seed"]} gap '
          f'{meta["gap"]:g}: {counts} ({total} images) -> {args.out} in '
          f'{elapsed:.1f}s with {args.workers} worker(s)')


if __name__ == '__main__':
    main()
