"""Checkpoint-and-stop on a signal, and Slurm self-requeue.

A Slurm job is warned before its time limit with ``--signal=B:USR1@300``
(the batch scripts of ``slurm/`` forward it to every task) and is sent
SIGTERM when it is preempted or cancelled. :class:`PreemptionHook` turns
either signal into a clean stop at the end of the current iteration:

1. the signal handler (every rank, and the dataloader workers it forks)
   only records the signal;
2. after each iteration all ranks agree with one all-reduce (max) whether
   any rank was signalled, so they all stop after the *same* iteration;
3. a checkpoint of that iteration is written through the runner's
   ``CheckpointHook`` (same directory, file name and ``max_keep_ckpts``;
   ``last_checkpoint`` is updated, and every hook's
   ``before_save_checkpoint`` runs: RIPU's active-label ledger is in it),
   unless the ``CheckpointHook`` has just written it;
4. all ranks wait for it (barrier) and training stops (a validation due
   at that iteration is skipped: the job may be about to be killed);
5. for a requeue signal (SIGUSR1 by default) under Slurm, rank 0 runs
   ``scontrol requeue $SLURM_JOB_ID``: Slurm ends this run of the job and
   starts it again later, and the batch script adds ``--resume`` because
   ``last_checkpoint`` exists.

Signals are acted on between iterations: a selection round or a
validation in progress finishes first, so the warning must leave time for
them (the batch scripts ask for it 300 s, RIPU's 600 s, ahead). Signals
that arrive before ``before_run`` (process start-up) keep their default
action.

SIGTERM does not requeue by default: it is also what ``scancel`` sends, and
a preempted job submitted with ``--requeue`` is requeued by Slurm itself
(``PreemptMode=REQUEUE``). A ``kill -9`` (or a node failure) loses the
iterations since the last periodic checkpoint only.

``tools/train.py`` adds this hook to every run (:func:`add_preemption_hook`)
unless the config has one; ``dict(type='PreemptionHook', signals=[])``
in ``custom_hooks`` disables it. After a stop, the training tool exits with
:func:`exit_code`: 0 if the job was requeued, ``128 + signal`` otherwise
(e.g. 138 for SIGUSR1, 143 for SIGTERM: stopped, resumable with
``--resume``).
"""
import os
import signal
import subprocess
from typing import Optional, Sequence

import torch
from mmengine.dist import all_reduce, barrier, broadcast, get_dist_info
from mmengine.hooks import CheckpointHook, Hook

from mmseg.registry import HOOKS

from .resumable_checkpoint import save_resumable_checkpoint


def _signum(sig) -> int:
    if isinstance(sig, str):
        name = sig.upper()
        return int(getattr(signal, name if name.startswith('SIG') else
                           'SIG' + name))
    return int(sig)


@HOOKS.register_module()
class PreemptionHook(Hook):
    """Stop training cleanly on a signal: checkpoint, then requeue.

    Args:
        signals (Sequence[str | int]): signals that stop training.
            Defaults to SIGUSR1 (Slurm's time-limit warning in the mmda
            batch scripts) and SIGTERM (preemption, ``scancel``).
        requeue_signals (Sequence[str | int]): of those, the signals after
            which the job requeues itself. Defaults to SIGUSR1.
        requeue (bool, optional): whether to requeue at all; None (default)
            requeues when running inside a Slurm job (``SLURM_JOB_ID``).
        check_interval (int): agree on a stop every this many iterations
            (one all-reduce of two integers each time). Defaults to 1.
    """

    priority = 'LOWEST'  # after CheckpointHook and the method's hooks

    def __init__(self,
                 signals: Sequence = ('SIGUSR1', 'SIGTERM'),
                 requeue_signals: Sequence = ('SIGUSR1', ),
                 requeue: Optional[bool] = None,
                 check_interval: int = 1) -> None:
        if check_interval < 1:
            raise ValueError(f'PreemptionHook: check_interval must be >= 1, '
                             f'got {check_interval}')
        self.signals = [_signum(s) for s in signals]
        self.requeue_signals = [_signum(s) for s in requeue_signals]
        self.requeue = requeue
        self.check_interval = check_interval
        self._received = 0  # last signal number received by this process
        self._old_handlers = {}
        #: the agreed signal that stopped training (0: not stopped)
        self.stopped_by = 0
        #: whether Slurm accepted the requeue
        self.requeued = False

    # -------------------------------------------------------------- signals
    def _handle(self, signum, frame) -> None:
        self._received = signum

    def _install(self) -> None:
        for signum in self.signals:
            if signum not in self._old_handlers:
                self._old_handlers[signum] = signal.signal(
                    signum, self._handle)

    def _restore(self) -> None:
        for signum, handler in self._old_handlers.items():
            signal.signal(signum, handler)
        self._old_handlers = {}

    def before_run(self, runner) -> None:
        # before_run precedes the data workers of the train loop (they
        # inherit the handler: Slurm signals every process of a step)
        self._install()

    def after_run(self, runner) -> None:
        self._restore()

    # ------------------------------------------------------------ stopping
    def _agree(self) -> tuple:
        """(signal number, requeue?) agreed by all ranks (max over ranks)."""
        local = [
            self._received,
            int(self._received in self.requeue_signals)
        ]
        _, world_size = get_dist_info()
        if world_size == 1:
            return tuple(local)
        flags = torch.tensor(local, dtype=torch.int64)
        all_reduce(flags, op='max')
        return int(flags[0]), bool(flags[1])

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if not self.signals or (runner.iter + 1) % self.check_interval:
            return  # (no handlers: no rank can have received anything)
        signum, requeue = self._agree()
        if not signum:
            return
        step = runner.iter + 1
        runner.logger.warning(
            f'received {signal.Signals(signum).name}: saving a checkpoint of '
            f'iteration {step} and stopping')
        self._save_checkpoint(runner, step)
        barrier()
        runner.train_loop.stop_training = True
        self.stopped_by = signum
        if requeue and self._should_requeue():
            accepted = self._requeue(runner) if runner.rank == 0 else False
            self.requeued = self._from_rank0(accepted)

    def _save_checkpoint(self, runner, step: int) -> None:
        ckpt_hook = next(
            (h for h in runner.hooks if isinstance(h, CheckpointHook)), None)
        if ckpt_hook is None:
            save_resumable_checkpoint(runner, f'iter_{step}.pth')
            return
        path = ckpt_hook.file_backend.join_path(
            ckpt_hook.out_dir, ckpt_hook.filename_tmpl.format(step))
        if runner.message_hub.get_info('last_ckpt') == path:
            runner.logger.info(f'{path} was just saved')
            return
        runner.logger.info(f'Saving checkpoint at {step} iterations')
        ckpt_hook._save_checkpoint(runner)

    # ------------------------------------------------------------- requeue
    def _should_requeue(self) -> bool:
        if self.requeue is None:
            return 'SLURM_JOB_ID' in os.environ
        return self.requeue

    @staticmethod
    def _from_rank0(value: bool) -> bool:
        if get_dist_info()[1] == 1:
            return value
        flag = torch.tensor([int(value)], dtype=torch.int64)
        broadcast(flag, src=0)
        return bool(flag[0])

    def _requeue(self, runner) -> bool:
        """Ask Slurm to requeue this job (rank 0); True if accepted."""
        job_id = os.environ.get('SLURM_JOB_ID')
        if not job_id:
            runner.logger.error('requeue requested outside a Slurm job: '
                                'resume with --resume')
            return False
        try:
            proc = subprocess.run(['scontrol', 'requeue', job_id],
                                  capture_output=True,
                                  text=True,
                                  timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            runner.logger.error(f'scontrol requeue {job_id} failed: {err}')
            return False
        if proc.returncode != 0:
            runner.logger.error(
                f'scontrol requeue {job_id} failed ({proc.returncode}): '
                f'{proc.stderr.strip()} (was the job submitted with '
                '--requeue?); resubmit it to resume from the checkpoint')
            return False
        runner.logger.info(f'requeued Slurm job {job_id}: it resumes from '
                           'the checkpoint when it starts again')
        return True


def add_preemption_hook(cfg, **overrides) -> None:
    """Append a default :class:`PreemptionHook` to ``cfg.custom_hooks``
    unless the config already has one, and set ``overrides`` (e.g.
    ``signals=[]``) on it (in place)."""
    hooks = list(cfg.get('custom_hooks', None) or [])
    found = [
        h for h in hooks if h.get('type') in ('PreemptionHook', PreemptionHook)
    ]
    if not found:
        hooks.append(dict(type='PreemptionHook'))
        found = hooks[-1:]
    for hook in found:
        hook.update(overrides)
    cfg.custom_hooks = hooks


def exit_code(runner) -> int:
    """Exit status of a training tool after ``runner.train()``: 0 when the
    run finished or was requeued, ``128 + signal`` when a signal stopped it
    without a requeue."""
    for hook in runner.hooks:
        if isinstance(hook, PreemptionHook) and hook.stopped_by:
            return 0 if hook.requeued else 128 + hook.stopped_by
    return 0
