"""``docs/adding_a_method.md`` works as written.

The walk-through's files are extracted from its code blocks (``# file:
PATH`` as the first line) into a temporary tree beside the repository's
config bases, its classes are registered under the module names the page
gives them, and its experiment config trains two iterations on the tiny
embedded benchmark through ``mmda.apis.build_runner_from_args`` (what
``tools/train.py`` does).
"""
import glob
import json
import os
import os.path as osp
import re
import sys
from typing import List, Tuple

import pytest
import torch

from conftest import NO_WORKERS, REPO, load_checkpoint, run_tool

DOC = osp.join(REPO, 'docs', 'adding_a_method.md')
_BLOCK = re.compile(r'```python\n# (file|add to): (\S+)\n(.*?)```', re.S)
#: the config bases an experiment of the walk-through may ``_base_``
REPO_BASES = ('models', 'datasets', 'schedules', 'strategies',
              'default_runtime.py')

#: loads the walk-through's modules, then trains like tools/train.py
DRIVER = '''\
import importlib.util
import sys

import mmda  # noqa: F401  (mmda's registries)


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


config, work_dir, modules = sys.argv[1], sys.argv[2], sys.argv[3:]
for entry in modules:
    load(*entry.split('='))
from mmda.apis import build_runner_from_args  # noqa: E402
from mmda.apis import parse_cfg_options  # noqa: E402

runner = build_runner_from_args(
    config, work_dir=work_dir, cfg_options=parse_cfg_options(%r))
runner.train()
'''


def doc_blocks() -> List[Tuple[str, str, str]]:
    """``(kind, path, code)`` of the page's file and import blocks."""
    with open(DOC, encoding='utf-8') as f:
        return _BLOCK.findall(f.read())


def module_name(path: str) -> str:
    """A file's module name (``a/b/c.py`` -> ``a.b.c``)."""
    return osp.splitext(path)[0].replace('/', '.')


def load_module(name: str, path: str):
    import importlib.util
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def walkthrough(tmp_path_factory):
    """The walk-through's files in a tree whose ``configs/_base_`` also
    holds the repository's bases; ``(root, {path: code})``."""
    root = tmp_path_factory.mktemp('walkthrough')
    files = {path: code for kind, path, code in doc_blocks()
             if kind == 'file'}
    for path, code in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code)
    bases = root / 'configs' / '_base_'
    bases.mkdir(parents=True, exist_ok=True)
    for name in REPO_BASES:
        os.symlink(osp.join(REPO, 'configs', '_base_', name), bases / name)
    return root, files


def test_the_method_takes_at_most_four_new_files(walkthrough):
    _, files = walkthrough
    assert len(files) <= 4, sorted(files)
    kinds = {path.split('/')[0] for path in files}
    assert kinds == {'mmda', 'configs'}
    assert any(p.startswith(osp.join('configs', '_base_', 'methods'))
               for p in files)
    # every import the page adds to a package __init__ names what the
    # page's file of that package defines
    for kind, path, code in doc_blocks():
        if kind != 'add to':
            continue
        package = osp.dirname(path)
        for module, names in re.findall(r'from \.(\w+) import ([\w, ]+)',
                                        code):
            source = files[f'{package}/{module}.py']
            for name in names.split(','):
                assert re.search(
                    rf'^(def|class) {name.strip()}\b', source, re.M), name


def test_the_loss_of_the_page(walkthrough):
    root, files = walkthrough
    path = next(p for p in files if p.startswith('mmda/models/losses/'))
    module = load_module(module_name(path), str(root / path))
    # one pixel, two classes: p = (1/2, 1/2), q = (3/4, 1/4)
    logits = torch.zeros(1, 2, 1, 1, requires_grad=True)
    flipped = torch.tensor([3., 1.]).log().view(1, 2, 1, 1)
    flipped.requires_grad_(True)
    loss = module.FlipConsistencyLoss(loss_weight=2.0)
    value = loss(logits, flipped)
    assert loss.loss_name == 'loss_flip'
    assert value.item() == pytest.approx(2.0 * (0.25**2 + 0.25**2))
    value.backward()
    assert flipped.grad is None  # the mirrored prediction is the target
    assert logits.grad.abs().sum() > 0
    # a prediction that agrees with its mirror costs nothing
    same = torch.randn(2, 19, 4, 6)
    assert module.flip_consistency_loss(same, same.clone()).item() == 0.


@pytest.mark.slow
def test_the_walkthrough_trains_two_iterations(sim2real_tiny, walkthrough):
    root, files = walkthrough
    config = next(p for p in files if p.startswith('configs/')
                  and '/_base_/' not in p)
    modules = [f'{module_name(p)}={root / p}' for p in sorted(files)
               if p.startswith('mmda/')]
    options = [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1'
    ] + NO_WORKERS
    driver = root / 'train_walkthrough.py'
    driver.write_text(DRIVER % (options, ))
    work_dir = sim2real_tiny / 'work_dirs' / 'walkthrough'
    run_tool([driver, root / config, work_dir] + modules,
             cwd=sim2real_tiny, env=dict(os.environ, PYTHONPATH=REPO))

    # the method's losses were logged at every iteration
    scalars = sorted(glob.glob(str(work_dir / '*' / 'vis_data' /
                                   'scalars.json')))[-1]
    with open(scalars) as f:
        records = [json.loads(line) for line in f]
    trained = [r for r in records if 'tgt.loss_flip' in r]
    assert [r['iter'] for r in trained] == [1, 2]
    for r in trained:
        assert r['tgt.loss_flip'] > 0
        assert r['loss'] == pytest.approx(
            r['src.loss_ce'] + r['tgt.loss_flip'], abs=1e-3)
    assert 'mIoU' in records[-1]

    # the adapted model is a plain mmseg EncoderDecoder
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseg.registry import MODELS
    cfg = Config.fromfile(str(root / config))
    assert cfg.model.type == 'FlipConsistency'
    assert cfg.model.consistency_loss == dict(
        type='FlipConsistencyLoss', loss_weight=1.0)
    assert cfg.model.backbone.type == 'ResNetV1c'  # the network base's
    assert 'flip_consistency_model' not in cfg
    plain = dict(cfg.model, type='EncoderDecoder')
    plain.pop('consistency_loss')
    init_default_scope('mmseg')
    model = MODELS.build(plain)
    state = load_checkpoint(work_dir / 'iter_2.pth')['state_dict']
    model.load_state_dict(state, strict=True)
