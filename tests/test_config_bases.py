"""The config bases: every experiment config under configs/ (``_base_``
excluded) resolves to exactly the config stored for it in
``tests/resolved_configs/<config>.json``.

The stored files were dumped before the experiment configs were rebuilt on
the per-method bases of ``configs/_base_/methods/``, so this test pins the
restructuring (and any later edit of a base) to the resolved configs. A
deliberate change to a recipe rewrites the stored file in the same commit:

    python tests/test_config_bases.py [CONFIG ...]   # all configs without

The stored form is canonical: keys sorted, tuples kept apart from lists
(``{"__tuple__": [...]}``), the repository path replaced by ``<repo>``.
"""
import glob
import json
import os
import os.path as osp
import sys

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(REPO, 'configs')
RESOLVED_DIR = osp.join(REPO, 'tests', 'resolved_configs')


def experiment_configs():
    """Every config under configs/ but the bases, relative to configs/."""
    return sorted(
        osp.relpath(p, CONFIG_DIR)
        for p in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
        if '_base_' not in osp.relpath(p, CONFIG_DIR).split(os.sep))


def canonical(node):
    """A JSON-able, order-independent form of a resolved config value."""
    if isinstance(node, dict):
        return {str(k): canonical(v) for k, v in node.items()}
    if isinstance(node, tuple):
        return {'__tuple__': [canonical(v) for v in node]}
    if isinstance(node, list):
        return [canonical(v) for v in node]
    if isinstance(node, str):
        return node.replace(REPO, '<repo>')
    if node is None or isinstance(node, (bool, int, float)):
        return node
    raise TypeError(f'unexpected value in a config: {node!r}')


def resolved(name):
    """The canonical resolved config of configs/NAME as JSON text."""
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, name), import_custom_modules=False)
    return json.dumps(
        canonical(cfg.to_dict()), indent=1, sort_keys=True) + '\n'


def stored_path(name):
    return osp.join(RESOLVED_DIR, name[:-len('.py')] + '.json')


def test_every_config_has_a_stored_resolution():
    names = experiment_configs()
    assert len(names) >= 28
    missing = [n for n in names if not osp.isfile(stored_path(n))]
    assert not missing, (
        f'no stored resolved config for {missing}: check the config, then '
        f'write it with python tests/test_config_bases.py {" ".join(missing)}')
    stale = sorted(
        osp.relpath(p, RESOLVED_DIR)
        for p in glob.glob(osp.join(RESOLVED_DIR, '**', '*.json'),
                           recursive=True)
        if osp.relpath(p, RESOLVED_DIR)[:-len('.json')] + '.py' not in names)
    assert not stale, f'stored resolved configs of no config: {stale}'


def _first_difference(want, got, where='cfg'):
    if type(want) is not type(got):
        return f'{where}: {want!r} -> {got!r}'
    if isinstance(want, dict):
        for key in sorted(set(want) | set(got)):
            if key not in got:
                return f'{where}.{key} removed (was {want[key]!r})'
            if key not in want:
                return f'{where}.{key} added: {got[key]!r}'
            diff = _first_difference(want[key], got[key], f'{where}.{key}')
            if diff:
                return diff
        return None
    if isinstance(want, list):
        if len(want) != len(got):
            return f'{where}: {len(want)} items -> {len(got)}'
        for i, (w, g) in enumerate(zip(want, got)):
            diff = _first_difference(w, g, f'{where}[{i}]')
            if diff:
                return diff
        return None
    return None if want == got else f'{where}: {want!r} -> {got!r}'


@pytest.mark.parametrize('name', experiment_configs())
def test_resolved_config_unchanged(name):
    path = stored_path(name)
    if not osp.isfile(path):
        pytest.fail(f'no stored resolved config for {name}')
    with open(path) as f:
        want = f.read()
    got = resolved(name)
    if got != want:
        diff = _first_difference(json.loads(want), json.loads(got))
        pytest.fail(f'{name} resolves differently from {path}: {diff}')


def write_stored(names):
    for name in names:
        path = stored_path(name)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(resolved(name))
        print(f'wrote {osp.relpath(path, REPO)}')


if __name__ == '__main__':
    write_stored(
        [osp.relpath(osp.abspath(n), CONFIG_DIR) if n.endswith('.py')
         and osp.exists(n) else n for n in sys.argv[1:]]
        or experiment_configs())
