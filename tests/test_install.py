"""The install: ranges in setup.cfg, exact pins in the constraints file."""
import configparser
import os
import os.path as osp
import subprocess
from importlib import metadata

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def constraints():
    pins = {}
    with open(osp.join(REPO, 'requirements', 'constraints.txt')) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line:
                name, version = line.split('==')
                pins[name] = version
    return pins


def test_this_environment_is_the_pinned_one():
    """The constraints file names what the suite runs on."""
    for name, version in constraints().items():
        installed = metadata.version(name).split('+')[0]
        assert installed == version, (name, installed, version)


def test_setup_cfg_states_ranges_not_pins():
    cfg = configparser.ConfigParser()
    cfg.read(osp.join(REPO, 'setup.cfg'))
    assert cfg['options']['python_requires'] == '>=3.10'
    requires = [r.strip() for r in
                cfg['options']['install_requires'].split('\n') if r.strip()]
    assert not [r for r in requires if '==' in r], requires
    torch = [r for r in requires if r.startswith('torch')]
    assert torch == ['torch>=2.1']
    extras = cfg['options.extras_require']
    assert 'deepspeed' in extras['deepspeed']
    assert 'ray[tune]' in extras['tune']


def test_setup_refuses_an_unknown_ops_flavour(tmp_path):
    env = dict(os.environ, MMDA_MMCV_OPS='gpu', MMDA_VENV=str(tmp_path / 'v'))
    out = subprocess.run(['bash', osp.join(REPO, 'tools', 'setup_env.sh')],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 2
    assert "MMDA_MMCV_OPS must be cpu or cuda, got 'gpu'" in out.stderr
    assert not (tmp_path / 'v').exists()  # refused before creating anything
