"""GIO-Ada under DDP (2 processes, gloo) and on resume: each of the four
trainable children (generator, segmentor, depth head, discriminators) is
wrapped on its own and steps with the mean of the two ranks' gradients,
i.e. what one process computes on each rank's batch, averaged; resuming
from iteration 2 ends at iteration 4 bit for bit as the uninterrupted run.
"""
import os.path as osp

import pytest
import torch

from conftest import (REPO, run_tool, run_tool_forked,
                      train_resumed_and_uninterrupted)

pytestmark = pytest.mark.slow

GIO_ADA = osp.join(REPO, 'configs', 'gio_ada',
                   'gio-ada_deeplabv2-small_sim2real-synthia-to-cityscapes.py')
CHILDREN = ('generator', 'segmentor', 'depth_head', 'discriminator')
TINY = [
    'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False'
]


def random_checkpoint(path):
    """A checkpoint of the GIO-Ada model with weights no run starts from
    (G's output layer included, which starts at zero)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(123)
    model = MODELS.build(Config.fromfile(GIO_ADA).model)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.05)
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), path)


def test_ddp_gradients_equal_one_process(sim2real_tiny, tmp_path):
    """The discriminators' lr is 0 here so that the generator step of every
    run meets the same discriminators (an Adam step with lr 0 leaves them
    unchanged); their gradients are still computed and compared."""
    worker = osp.join(REPO, 'tests', 'ddp_advent_worker.py')
    random_checkpoint(tmp_path / 'start.pth')
    options = TINY + ['optim_wrapper.discriminator.optimizer.lr=0.']
    run_tool([
        '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node',
        '2', worker, GIO_ADA, '--work-dir', tmp_path / 'wd', '--out',
        tmp_path / 'ddp', '--launcher', 'pytorch', '--load',
        tmp_path / 'start.pth', '--save-batch', '--cfg-options'
    ] + options, cwd=sim2real_tiny)
    ddp = [torch.load(tmp_path / 'ddp' / f'rank{r}.pt', weights_only=False)
           for r in (0, 1)]
    assert ddp[0]['wrapper'] == 'MMSeparateDistributedDataParallel'
    assert ddp[0]['children']['segmentor'] == 'MMDistributedDataParallel'
    assert ddp[0]['inputs'] != ddp[1]['inputs'], 'ranks must differ'
    keys = ddp[0]['state_dict_keys']
    assert not [k for k in keys if '.module.' in k]
    assert {k.split('.')[0] for k in keys} == set(CHILDREN)
    single = []
    for rank in (0, 1):
        run_tool_forked([
            worker, GIO_ADA, '--work-dir', tmp_path / f'wd{rank}', '--out',
            tmp_path / f'one{rank}', '--load', tmp_path / 'start.pth',
            '--batch', tmp_path / 'ddp' / f'rank{rank}.batch',
            '--cfg-options'
        ] + options, cwd=sim2real_tiny)
        single.append(torch.load(tmp_path / f'one{rank}' / 'rank0.pt',
                                 weights_only=False))
    assert [s['inputs'] for s in single] == [d['inputs'] for d in ddp]
    for name in CHILDREN:
        g0, g1 = ddp[0]['grads'][name], ddp[1]['grads'][name]
        s0, s1 = single[0]['grads'][name], single[1]['grads'][name]
        assert g0 and set(g0) == set(g1) == set(s0) == set(s1), name
        for k in g0:
            assert torch.equal(g0[k], g1[k]), (name, k)  # in sync
            mean = (s0[k] + s1[k]) / 2
            assert torch.allclose(g0[k], mean, rtol=1e-4, atol=1e-7), (
                name, k, (g0[k] - mean).abs().max())
        assert any(g.abs().sum() > 0 for g in g0.values()), name


def test_resume_equals_uninterrupted_run(sim2real_tiny, tmp_path):
    common = [
        'train_cfg.val_interval=1000', 'default_hooks.checkpoint.interval=2',
        'custom_hooks.0.log_interval=1'
    ] + TINY
    want, got = train_resumed_and_uninterrupted(GIO_ADA, sim2real_tiny,
                                                tmp_path, common)
    assert got['meta']['iter'] == 4
    assert {k.split('.')[0] for k in want['state_dict']} == set(CHILDREN)
    assert set(got['state_dict']) == set(want['state_dict'])
    differ = [
        k for k, v in want['state_dict'].items()
        if not torch.equal(got['state_dict'][k], v)
    ]
    assert not differ, differ[:5]
    assert set(want['optimizer']) == set(CHILDREN)
    for name in CHILDREN:
        w, g = want['optimizer'][name], got['optimizer'][name]
        assert w['state'] and w['state'].keys() == g['state'].keys(), name
        for pid, state in w['state'].items():
            for key, value in state.items():
                if torch.is_tensor(value):
                    assert torch.equal(g['state'][pid][key], value), (
                        name, pid, key)
        assert [grp['lr'] for grp in w['param_groups']] == \
            [grp['lr'] for grp in g['param_groups']]
