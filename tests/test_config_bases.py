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

The methods do not depend on DeepLab's layout: every method's sim2real
experiment config with only its model base swapped for SegFormer's MiT-B0
(``configs/_base_/models/segformer_mit-b0_small*.py``, random init) resolves
to the same config but for the model, and trains a few iterations on the
tiny benchmark.
"""
import glob
import json
import os
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from conftest import (NO_WORKERS, load_checkpoint, logged_metric,
                      run_script_main)

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
    """The canonical resolved config of the config ``name`` (relative to
    configs/) as JSON text."""
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


def method_parts():
    """The ``<method>_*`` parts of every method base (what experiment
    configs take out of their bases with ``_base_.pop``)."""
    parts = set()
    for path in glob.glob(osp.join(CONFIG_DIR, '_base_', 'methods', '*.py')):
        method = osp.splitext(osp.basename(path))[0]
        keys = Config.fromfile(path, import_custom_modules=False).keys()
        parts |= {k for k in keys if k.startswith(method + '_')}
    return parts


def test_method_parts_do_not_leak_into_experiments():
    parts = method_parts()
    assert {'ripu_model', 'minent_model', 'advent_model',
            'intrada_train_dataset'} <= parts
    for name in experiment_configs():
        cfg = Config.fromfile(
            osp.join(CONFIG_DIR, name), import_custom_modules=False)
        left = sorted(parts & set(cfg.keys()))
        assert not left, (
            f'{name} leaves the method parts {left} in its resolved config: '
            'take them out of the bases with _base_.pop(...)')


# ------------------------------------------------ a transformer model base
#: method -> its sim2real experiment config (stage 2 names stage 1's)
MIT_METHODS = {
    'source-only':
    'baselines/source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py',
    'ripu': 'ripu/ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py',
    'minent': 'advent/minent_deeplabv2-small_sim2real-gta5-to-cityscapes.py',
    'advent': 'advent/advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py',
    'intrada':
    'intrada/intrada_deeplabv2-small_sim2real-gta5-to-cityscapes.py',
}
#: DeepLab model base -> the MiT-B0 one that replaces it
MIT_BASES = {
    'deeplabv2_small.py': 'segformer_mit-b0_small.py',
    'deeplabv2_small_multilevel.py': 'segformer_mit-b0_small_multilevel.py',
}
#: keys a model base sets (everything else must not change)
MODEL_BASE_KEYS = ('backbone', 'decode_head', 'auxiliary_head')
MIT_TINY = [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1'
] + NO_WORKERS


def mit_config(method, out_dir):
    """Write the method's sim2real config with its model base swapped for
    MiT-B0 (the one text change) into ``out_dir``; return its path. Other
    ``_base_`` paths are made absolute; IntraDA's stage-1 config is swapped
    the same way."""
    name = MIT_METHODS[method]
    with open(osp.join(CONFIG_DIR, name)) as f:
        text = f.read()
    swapped = [
        old for old in MIT_BASES if f"'../_base_/models/{old}'" in text
    ]
    if method == 'intrada':
        assert not swapped  # the model base is stage 1's
        stage1 = mit_config('advent', out_dir)
        old = "'../" + MIT_METHODS['advent'] + "'"
        assert text.count(old) == 1
        text = text.replace(old, repr(stage1))
    else:
        assert len(swapped) == 1, (name, swapped)
        old = f"'../_base_/models/{swapped[0]}'"
        assert text.count(old) == 1
        text = text.replace(
            old, repr(osp.join(CONFIG_DIR, '_base_', 'models',
                               MIT_BASES[swapped[0]])))
    text = text.replace("'../_base_/",
                        repr(osp.join(CONFIG_DIR, '_base_', ''))[:-1])
    path = osp.join(str(out_dir), f'{method}_mit-b0.py')
    with open(path, 'w') as f:
        f.write(text)
    return path


def without_model_base(cfg):
    """The resolved config minus what a model base sets."""
    d = cfg.to_dict()
    d.pop('norm_cfg')
    segmentor = d['model'].get('segmentor', d['model'])
    for key in MODEL_BASE_KEYS:
        segmentor.pop(key, None)
    return canonical(d)


@pytest.mark.parametrize('method', sorted(MIT_METHODS))
def test_mit_b0_swap_changes_only_the_model(method, tmp_path):
    path = mit_config(method, tmp_path)
    mit = Config.fromfile(path, import_custom_modules=False)
    deeplab = Config.fromfile(
        osp.join(CONFIG_DIR, MIT_METHODS[method]),
        import_custom_modules=False)
    assert without_model_base(mit) == without_model_base(deeplab)
    segmentor = mit.model.get('segmentor', mit.model)
    assert segmentor.backbone.type == 'MixVisionTransformer'
    assert segmentor.decode_head.type == 'SegformerHead'
    assert 'init_cfg' not in segmentor.backbone  # random init


def run_in(cwd, tool, argv):
    """The tool ``tool`` (a file under tools/) with ``argv`` in this
    process (no Python start-up per run), with ``cwd`` as the working
    directory (the configs' data root)."""
    saved = os.getcwd()
    os.chdir(str(cwd))
    try:
        run_script_main(tool, argv)
    finally:
        os.chdir(saved)


@pytest.fixture(scope='module')
def mit_runs(sim2real_tiny):
    """method -> work dir of its 2-iteration MiT-B0 run (trained once)."""
    runs = {}

    def train(method):
        if method in runs:
            return runs[method]
        out = sim2real_tiny / 'mit_b0' / method
        out.mkdir(parents=True)
        config = mit_config(method, out)
        # (one visualizer per run: the runs share this process)
        options = MIT_TINY + [f'visualizer.name=mit_b0_{method}']
        if method == 'ripu':  # a selection round inside the 2 iterations
            options += [
                'custom_hooks.0.select_iters=[1]',
                'custom_hooks.0.dataloader.num_workers=0'
            ]
        if method == 'intrada':  # rank with the AdvEnt run's model
            rank_dir = str(out / 'entropy_rank')
            run_in(sim2real_tiny, 'entropy_rank.py', [
                mit_config('advent', out),
                osp.join(train('advent'), 'iter_2.pth'), '--out-dir',
                rank_dir, '--cfg-options',
                'entropy_rank_dataloader.num_workers=0'
            ])
            options += [
                f'train_dataloader.dataset.{side}.manifest={rank_dir}'
                for side in ('source', 'target')
            ]
        run_in(sim2real_tiny, 'train.py',
               [config, '--work-dir',
                str(out / 'work'), '--cfg-options'] + options)
        runs[method] = str(out / 'work')
        return runs[method]

    return train


@pytest.mark.slow
@pytest.mark.parametrize('method', sorted(MIT_METHODS))
def test_every_method_trains_mit_b0(method, mit_runs):
    work_dir = mit_runs(method)
    ckpt = load_checkpoint(osp.join(work_dir, 'iter_2.pth'))
    prefix = 'segmentor.' if method in ('advent', 'intrada') else ''
    state = ckpt['state_dict']
    # MiT-B0's patch embedding and the all-MLP head were trained
    assert state[prefix + 'backbone.layers.0.0.projection.weight'].shape \
        == (32, 3, 7, 7)
    assert prefix + 'decode_head.fusion_conv.conv.weight' in state
    if method in ('minent', 'advent', 'intrada'):
        assert prefix + 'auxiliary_head.conv_seg.weight' in state
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.log')))
    with open(logs[-1]) as f:
        log = f.read()
    assert 0 <= logged_metric(log) <= 100  # validated after iteration 2
    if method == 'ripu':  # MiT-B0 scored the 8 target images, labelled
        assert 'active selection round 1/1 done' in log
        assert len(glob.glob(osp.join(work_dir, 'active_ledger',
                                      'round_001', '*.png'))) == 8


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
