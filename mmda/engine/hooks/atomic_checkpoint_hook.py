import os
import os.path as osp
import re

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmseg.registry import HOOKS
from ...utils.checkpoint_files import LAST_CHECKPOINT
from ...utils.fault_injection import fault_point
from .resumable_checkpoint import (TEMP_SUFFIX, remove_checkpoint,
                                   save_checkpoint_atomically)

#: message-hub key of the checkpoints due for deletion after a save
OUTDATED_KEY = 'outdated_ckpt_ids'


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` whose checkpoints survive a kill at any
    moment, also with ``max_keep_ckpts=1``.

    mmengine's hook deletes the oldest kept checkpoint *before* it writes
    the new one, writes the file in place and rewrites ``last_checkpoint``
    in place: a ``kill -9`` while saving can leave no checkpoint, a
    truncated one, or an empty ``last_checkpoint``. This hook

    1. writes the checkpoint under a temporary name and renames it into
       place (:func:`~mmda.engine.hooks.resumable_checkpoint.\
save_checkpoint_atomically`; DeepSpeed checkpoint directories too);
    2. then replaces ``last_checkpoint`` atomically, naming the checkpoint
       relative to the work dir;
    3. only then deletes the checkpoints beyond ``max_keep_ckpts`` (they are
       listed in the new checkpoint's message hub, so that a resume deletes
       them if a kill came first);
    4. at the start of training, deletes what an interrupted save left
       (``iter_N.pth.tmp``, ``last_checkpoint.tmp<pid>``).

    Arguments and behaviour otherwise are mmengine's ``CheckpointHook``'s
    (``interval``, ``by_epoch``, ``max_keep_ckpts``, ``save_last``,
    ``save_best``, ``filename_tmpl``, ...); ``tools/train.py`` puts it in
    place of a config's ``CheckpointHook``. Checkpoints on remote storage
    (``out_dir`` with a backend other than the local disk) and ``save_best``
    checkpoints (which are not resumed from) are written by mmengine's code
    as before.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self._is_local() and is_main_process():
            self._remove_interrupted_saves(runner)
            # outdated checkpoints that a kill kept from being deleted
            kept = set(getattr(self, 'keep_ckpt_ids', ()))
            for step in runner.message_hub.get_info(OUTDATED_KEY, []):
                path = osp.join(self.out_dir, self.filename_tmpl.format(step))
                if step not in kept and osp.exists(path):
                    remove_checkpoint(path)
                    runner.logger.info(f'removed {path}, beyond '
                                       f'max_keep_ckpts={self.max_keep_ckpts}')

    def _is_local(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    def _remove_interrupted_saves(self, runner) -> None:
        name = '(\\d+)'.join(
            re.escape(part) for part in self.filename_tmpl.split('{}'))
        partial = re.compile(f'^{name}{re.escape(TEMP_SUFFIX)}$')
        # (atomic_write.temp_path_for: <name>.tmp<pid>)
        last = re.compile(rf'^{LAST_CHECKPOINT}\.tmp\d+$')
        for directory, pattern in ((self.out_dir, partial),
                                   (runner.work_dir, last)):
            if not osp.isdir(directory):
                continue
            for entry in sorted(os.listdir(directory)):
                if pattern.match(entry):
                    path = osp.join(directory, entry)
                    remove_checkpoint(path)
                    runner.logger.info(
                        f'removed {path}, left by an interrupted checkpoint '
                        'save')

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not self._is_local():
            super()._save_checkpoint_with_step(runner, step, meta)
            return
        # the bookkeeping of CheckpointHook, deleting nothing yet
        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
            # (in the checkpoint: a resume deletes them if a kill did not)
            runner.message_hub.update_info(OUTDATED_KEY, outdated)
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        fault_point('checkpoint.before_save')
        save_checkpoint_atomically(
            runner,
            self.out_dir,
            filename,
            file_client_args=self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        fault_point('checkpoint.before_prune')
        for old_step in outdated:
            remove_checkpoint(
                osp.join(self.out_dir, self.filename_tmpl.format(old_step)))
        fault_point('checkpoint.done')
