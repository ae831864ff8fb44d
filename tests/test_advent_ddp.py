"""AdvEnt under DDP (2 processes, gloo): every trainable child is wrapped on
its own, a checkpoint loads into the wrapped children, and the segmentor's
and discriminator's gradients are identical on both ranks although each
rank trained on different images; resume restores the discriminator and
both optimizers exactly."""
import os.path as osp

import pytest
import torch

from conftest import REPO, run_tool, train_resumed_and_uninterrupted

pytestmark = pytest.mark.slow

ADVENT = osp.join(REPO, 'configs', 'advent',
                  'advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
TINY = [
    'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False'
]


def random_checkpoint(path):
    """A checkpoint of the AdvEnt model with weights no run starts from."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(123)
    model = MODELS.build(Config.fromfile(ADVENT).model)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_()
    state = model.state_dict()
    torch.save(dict(meta=dict(), state_dict=state), path)
    return state


def test_ddp_gradients_identical_across_ranks(sim2real_tiny, tmp_path):
    worker = osp.join(REPO, 'tests', 'ddp_advent_worker.py')
    saved = random_checkpoint(tmp_path / 'start.pth')
    run_tool([
        '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node',
        '2', worker, ADVENT, '--work-dir', tmp_path / 'wd', '--out',
        tmp_path / 'out', '--launcher', 'pytorch', '--load',
        tmp_path / 'start.pth', '--cfg-options'
    ] + TINY, cwd=sim2real_tiny)
    r0, r1 = (torch.load(tmp_path / 'out' / f'rank{r}.pt', weights_only=False)
              for r in (0, 1))
    assert r0['wrapper'] == 'MMSeparateDistributedDataParallel'
    assert r0['children'] == {
        'segmentor': 'MMDistributedDataParallel',
        'discriminator': 'MMDistributedDataParallel',
        'data_preprocessor': 'DADataPreprocessor'
    }
    # checkpoints of DDP runs load into the unwrapped model
    keys = r0['state_dict_keys']
    assert keys and not [k for k in keys if '.module.' in k]
    assert {k.split('.')[0] for k in keys} == {'segmentor', 'discriminator'}
    # ... and a checkpoint loads into the wrapped children, every tensor
    for loaded in (r0['loaded'], r1['loaded']):
        assert set(loaded) == set(saved)
        differ = [k for k, v in saved.items() if not torch.equal(loaded[k], v)]
        assert not differ, f'{len(differ)} tensors not loaded: {differ[:5]}'
    assert r0['inputs'] != r1['inputs'], 'ranks must see different images'
    for name in ('segmentor', 'discriminator'):
        g0, g1 = r0['grads'][name], r1['grads'][name]
        assert g0 and set(g0) == set(g1), name
        differ = [k for k in g0 if not torch.equal(g0[k], g1[k])]
        assert not differ, (name, differ[:5])
        assert any(g.abs().sum() > 0 for g in g0.values()), name
    differ = [
        k for k in r0['params']
        if not torch.equal(r0['params'][k], r1['params'][k])
    ]
    assert not differ, differ[:5]


def test_resume_restores_discriminator_and_optimizers(sim2real_tiny,
                                                      tmp_path):
    common = [
        'train_cfg.val_interval=1000', 'default_hooks.checkpoint.interval=2',
        'custom_hooks.0.log_interval=1'
    ] + TINY
    want, got = train_resumed_and_uninterrupted(ADVENT, sim2real_tiny,
                                                tmp_path, common)
    assert got['meta']['iter'] == 4
    assert any(k.startswith('discriminator.') for k in want['state_dict'])
    differ = [
        k for k, v in want['state_dict'].items()
        if not torch.equal(got['state_dict'][k], v)
    ]
    assert not differ, differ[:5]
    assert set(want['optimizer']) == {'segmentor', 'discriminator'}
    for name in ('segmentor', 'discriminator'):
        w, g = want['optimizer'][name], got['optimizer'][name]
        assert w['state'].keys() == g['state'].keys()
        assert w['state'], name
        for pid, state in w['state'].items():
            for key, value in state.items():
                if torch.is_tensor(value):
                    assert torch.equal(g['state'][pid][key], value), (
                        name, pid, key)
        assert [grp['lr'] for grp in w['param_groups']] == \
            [grp['lr'] for grp in g['param_groups']]
