"""PreemptionHook in process, on a toy model: a signal during an iteration
stops training after it with a checkpoint written through the
CheckpointHook (other hooks' ``before_save_checkpoint`` included), the
handlers are restored, the exit status says what happened, and under Slurm
rank 0 requeues the job. Also: every tool run gets the hook once, and
sample seeds travel with dataset indices."""
import os
import os.path as osp
import pickle
import signal
import stat

import numpy as np
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

import mmda  # noqa: F401  (registers the hook and the loop)
from mmda.engine.hooks import PreemptionHook, add_preemption_hook, exit_code
from mmda.utils import SeededIndex, seed_of, seeded_rngs


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=out.pow(2).mean())
        return out


class SignalAt(Hook):
    """Sends ``signum`` to this process during iteration ``at`` (1-based)."""

    def __init__(self, at, signum):
        self.at, self.signum = at, signum

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at:
            os.kill(os.getpid(), self.signum)


class StampCheckpoint(Hook):
    """Stands for RIPU's ledger hook: adds an entry to every checkpoint."""

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint['stamp'] = runner.iter + 1


def make_runner(work_dir, name, hooks, checkpoint_interval=100):
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=dict(
            dataset=[dict(inputs=torch.full((2, ), float(i)))
                     for i in range(8)],
            sampler=dict(type='InfiniteSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate'),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(type='SeekableIterBasedTrainLoop', max_iters=6,
                       val_interval=100),
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook',
                by_epoch=False,
                interval=checkpoint_interval)),
        custom_hooks=hooks,
        default_scope='mmseg',
        log_level='WARNING')


def run(tmp_path, name, signum, at=2, checkpoint_interval=100):
    old = signal.getsignal(signum)
    hook = PreemptionHook()
    runner = make_runner(tmp_path / name, name,
                         [SignalAt(at, signum), StampCheckpoint(), hook],
                         checkpoint_interval)
    runner.train()
    assert signal.getsignal(signum) == old  # handlers restored
    return runner, hook


def checkpoint_of(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        path = f.read().strip()
    return path, torch.load(path, map_location='cpu', weights_only=False)


def test_sigusr1_checkpoints_and_stops_after_the_iteration(tmp_path,
                                                           monkeypatch):
    monkeypatch.delenv('SLURM_JOB_ID', raising=False)
    runner, hook = run(tmp_path, 'usr1', signal.SIGUSR1, at=2)
    assert runner.iter == 2  # iteration 2 finished, 3 never started
    path, ckpt = checkpoint_of(tmp_path / 'usr1')
    assert path == str(tmp_path / 'usr1' / 'iter_2.pth')
    assert ckpt['meta']['iter'] == 2 and ckpt['stamp'] == 2
    assert hook.stopped_by == signal.SIGUSR1 and not hook.requeued
    assert exit_code(runner) == 128 + signal.SIGUSR1  # not requeued


def test_sigterm_when_the_checkpoint_hook_just_saved(tmp_path, monkeypatch):
    monkeypatch.delenv('SLURM_JOB_ID', raising=False)
    runner, _ = run(tmp_path, 'term', signal.SIGTERM, at=3,
                    checkpoint_interval=3)
    assert runner.iter == 3
    path, ckpt = checkpoint_of(tmp_path / 'term')
    assert path.endswith('iter_3.pth') and ckpt['stamp'] == 3
    assert sorted(f for f in os.listdir(tmp_path / 'term')
                  if f.endswith('.pth')) == ['iter_3.pth']
    assert exit_code(runner) == 128 + signal.SIGTERM


def test_requeue_under_slurm(tmp_path, monkeypatch):
    """Rank 0 runs ``scontrol requeue $SLURM_JOB_ID`` after a SIGUSR1,
    not after a SIGTERM (scancel, or Slurm's own preemption requeue)."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    calls = tmp_path / 'scontrol_calls'
    fake = bin_dir / 'scontrol'
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv('PATH', f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')
    monkeypatch.setenv('SLURM_JOB_ID', '4242')

    runner, hook = run(tmp_path, 'slurm_usr1', signal.SIGUSR1)
    assert calls.read_text() == 'requeue 4242\n'
    assert hook.requeued and exit_code(runner) == 0

    calls.unlink()
    runner, hook = run(tmp_path, 'slurm_term', signal.SIGTERM)
    assert not calls.exists() and not hook.requeued
    assert exit_code(runner) == 128 + signal.SIGTERM


def test_every_run_gets_one_preemption_hook():
    cfg = Config(dict(custom_hooks=[dict(type='ActiveSelectionHook')]))
    add_preemption_hook(cfg)
    add_preemption_hook(cfg)
    assert [h['type'] for h in cfg.custom_hooks] == [
        'ActiveSelectionHook', 'PreemptionHook'
    ]
    cfg = Config(dict(custom_hooks=[dict(type='PreemptionHook', signals=[])]))
    add_preemption_hook(cfg)
    assert cfg.custom_hooks == [dict(type='PreemptionHook', signals=[])]
    cfg = Config(dict())
    add_preemption_hook(cfg)
    assert cfg.custom_hooks == [dict(type='PreemptionHook')]


def test_seeded_index_and_seeded_rngs():
    index = SeededIndex(7, seed=123)
    assert index == 7 and np.arange(10)[index] == 7
    assert list(range(10))[index] == 7
    back = pickle.loads(pickle.dumps(index))  # into dataloader workers
    assert back == 7 and seed_of(back) == 123 and seed_of(7) is None
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    with seeded_rngs(123):
        a = (np.random.rand(), torch.rand(1).item())
    # the caller's stream is untouched, the block is a function of the seed
    assert np.array_equal(np.random.get_state()[1], before)
    with seeded_rngs(123):
        assert (np.random.rand(), torch.rand(1).item()) == a
    with seeded_rngs(124):
        assert (np.random.rand(), torch.rand(1).item()) != a
