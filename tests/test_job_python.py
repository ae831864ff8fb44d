"""The interpreter the job scripts run (slurm/lib/python.sh)."""
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
LIB = osp.join(REPO, 'slurm', 'lib', 'python.sh')


def resolve(root, python=None):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHON'}
    env['PYTHONPATH'] = REPO  # mmda importable from this checkout
    if python is not None:
        env['PYTHON'] = python
    return subprocess.run(
        ['bash', '-c', f'source {LIB}; resolve_python "$1" job.sh; '
         'echo "PYTHON=$PYTHON"', 'bash', str(root)],
        capture_output=True, text=True, env=env)


def test_prefers_the_repository_venv(tmp_path):
    os.makedirs(tmp_path / '.venv' / 'bin')
    venv_python = tmp_path / '.venv' / 'bin' / 'python'
    venv_python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    venv_python.chmod(0o755)
    out = resolve(tmp_path)
    assert out.returncode == 0, out.stderr
    venv_python = str(venv_python)
    assert out.stdout.splitlines()[-1] == f'PYTHON={venv_python}'
    import mmda
    import torch
    assert (f'[job.sh] python {venv_python} (mmda {mmda.__version__}, '
            f'torch {torch.__version__})') in out.stdout


def test_python_variable_wins(tmp_path):
    os.makedirs(tmp_path / '.venv' / 'bin')
    os.symlink('/bin/false', tmp_path / '.venv' / 'bin' / 'python')
    out = resolve(tmp_path, python=sys.executable)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == f'PYTHON={sys.executable}'


@pytest.mark.parametrize('script', [
    'tools/dist_train.sh', 'tools/dist_test.sh', 'slurm/train.sh'])
def test_stops_with_one_line_when_mmda_is_missing(tmp_path, script):
    # an interpreter without mmda (nor torch): the system's, with no path
    bare = tmp_path / 'python'
    bare.write_text('#!/bin/sh\nexec /usr/bin/env -i python3 -I "$@"\n')
    bare.chmod(0o755)
    env = dict(os.environ, PYTHON=str(bare), MMDA_ROOT=REPO)
    out = subprocess.run(['bash', osp.join(REPO, script), 'cfg.py', '1',
                          'ckpt'], capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert f'cannot import mmda with {bare}' in lines[0]
    assert 'tools/setup_env.sh' in lines[0]
