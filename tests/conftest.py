"""Shared fixtures: a tiny embedded sim2real benchmark, generated once."""
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_tool(args, cwd, timeout=600, env=None):
    """Run ``python tools/...`` (or a script) and fail with its output."""
    proc = subprocess.run([sys.executable] + list(args),
                          cwd=cwd,
                          capture_output=True,
                          text=True,
                          timeout=timeout,
                          env=env)
    if proc.returncode != 0:
        raise AssertionError(f'{" ".join(map(str, args))} failed '
                             f'({proc.returncode}):\n{proc.stdout[-4000:]}\n'
                             f'{proc.stderr[-4000:]}')
    return proc


@pytest.fixture(scope='session')
def sim2real_tiny(tmp_path_factory):
    """A directory whose ``data/sim2real`` holds a tiny converted benchmark.

    Run tools with ``cwd`` set to it: the configs' relative ``data/sim2real``
    paths then resolve to the tiny data.
    """
    root = tmp_path_factory.mktemp('sim2real_tiny')
    data = root / 'data' / 'sim2real'
    run_tool([
        osp.join(REPO, 'tools', 'make_sim2real.py'),
        str(data), '--num-gta5', '8', '--num-synthia', '2',
        '--num-cityscapes-train', '8', '--num-cityscapes-val', '4'
    ], cwd=REPO)
    for name in ('gta5', 'synthia', 'cityscapes'):
        run_tool([
            osp.join(REPO, 'tools', 'dataset_converters', f'{name}.py'),
            str(data / name)
        ],
                 cwd=REPO)
    return root
