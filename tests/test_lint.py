"""The code style the project keeps (flake8 with setup.cfg's settings)."""
import subprocess
import sys

from conftest import REPO

LINTED = ('mmda', 'tools', 'tests', 'benchmarks', 'configs', 'setup.py')


def test_flake8_is_clean():
    proc = subprocess.run([sys.executable, '-m', 'flake8', *LINTED],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
