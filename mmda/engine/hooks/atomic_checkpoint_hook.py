import os
import os.path as osp
import re

from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmseg.registry import HOOKS
from ...utils.checkpoint_compat import (deepspeed_globals,
                                        load_local_checkpoint)
from ...utils.checkpoint_files import DEEPSPEED_MODEL_STATES, LAST_CHECKPOINT
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
       (``iter_N.pth.tmp``, ``best_mIoU_iter_N.pth.tmp``,
       ``last_checkpoint.tmp<pid>``).

    The best checkpoint of ``save_best`` (``best_<key>_iter_N.pth``, no
    optimizer; its path and score are mmengine's ``best_ckpt`` and
    ``best_score`` in the message hub, which a checkpoint carries and
    ``--resume`` restores) is kept the same way. mmengine deletes the
    previous best before it writes the new one in place; this hook writes
    the new best under a temporary name and renames it, then saves the
    resumable checkpoint of that iteration again (its message hub now
    naming the new best), and only then deletes the previous best. A
    resumed run finds the best its checkpoint names; a best file that a
    kill left unrecorded is adopted when its own score beats the recorded
    one and it is not newer than the resumed iteration, and deleted
    otherwise, so one best checkpoint is left. (A kill during a validation,
    or before its best file was renamed into place, loses that
    validation's score: the resumed run goes on from the checkpoint saved
    before it, as mmengine does.)

    Arguments and behaviour otherwise are mmengine's ``CheckpointHook``'s
    (``interval``, ``by_epoch``, ``max_keep_ckpts``, ``save_last``,
    ``save_best``, ``rule``, ``filename_tmpl``, ...); ``tools/train.py``
    puts it in place of a config's ``CheckpointHook``. Checkpoints on
    remote storage (``out_dir`` with a backend other than the local disk)
    are written by mmengine's code as before.
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
        self._replaced_best = []  # deleted once a checkpoint records
        if self._is_local() and self.save_best is not None and (
                runner.epoch if self.by_epoch else runner.iter) > 0:
            # resumed: a new best re-saves the resumable checkpoint, as in
            # the uninterrupted run (mmengine forgets the last checkpoint)
            if self.last_ckpt is None:
                self.last_ckpt = runner.message_hub.get_info('last_ckpt')
            for key in self.key_indicators:
                self._reconcile_best(runner, key)

    def _is_local(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    def _name_pattern(self) -> str:
        """``filename_tmpl`` as a regular expression (the step a group)."""
        return '(\\d+)'.join(
            re.escape(part) for part in self.filename_tmpl.split('{}'))

    def _remove_interrupted_saves(self, runner) -> None:
        name = self._name_pattern()
        # the regular and the best checkpoints (best_<key>_iter_N.pth)
        partial = re.compile(
            f'^(?:best_.+_)?{name}{re.escape(TEMP_SUFFIX)}$')
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
            self._replaced_best = []
            return
        fault_point('checkpoint.before_prune')
        for old_step in outdated:
            remove_checkpoint(
                osp.join(self.out_dir, self.filename_tmpl.format(old_step)))
        self._remove_replaced_best(runner)
        fault_point('checkpoint.done')

    # ------------------------------------------------------ best checkpoint
    def _best_keys(self, key: str):
        """mmengine's message-hub keys of ``key``'s best score and path."""
        if len(self.key_indicators) == 1:
            return 'best_score', 'best_ckpt'
        return f'best_score_{key}', f'best_ckpt_{key}'

    def _set_best_path(self, key: str, path) -> None:
        if len(self.key_indicators) == 1:
            self.best_ckpt_path = path
        else:
            self.best_ckpt_path_dict[key] = path

    def _get_best_path(self, key: str):
        if len(self.key_indicators) == 1:
            return self.best_ckpt_path
        return self.best_ckpt_path_dict.get(key)

    def _reconcile_best(self, runner, key: str) -> None:
        """After a resume: keep the one best checkpoint of ``key`` (see the
        class docstring), adopting a best file a kill left unrecorded. Rank
        0 decides and deletes; every rank takes the same record."""
        score_key, ckpt_key = self._best_keys(key)
        recorded = self._get_best_path(key)
        if recorded and not osp.exists(recorded) and osp.exists(
                osp.join(self.out_dir, osp.basename(recorded))):
            # a moved or copied work dir: its own file
            recorded = osp.join(self.out_dir, osp.basename(recorded))
        adopted = [None]
        if is_main_process():
            adopted[0] = self._unrecorded_best(runner, key, recorded)
        broadcast_object_list(adopted)
        if adopted[0] is None:
            if recorded:
                runner.message_hub.update_info(ckpt_key, recorded)
                self._set_best_path(key, recorded)
            return
        path, score = adopted[0]
        runner.message_hub.update_info(score_key, score)
        runner.message_hub.update_info(ckpt_key, path)
        self._set_best_path(key, path)
        # the resumable checkpoint records it before the old best goes
        self._save_checkpoint_with_step(
            runner, runner.epoch if self.by_epoch else runner.iter,
            dict(epoch=runner.epoch, iter=runner.iter))
        if is_main_process():
            if recorded and osp.exists(recorded):
                remove_checkpoint(recorded)
            runner.logger.info(
                f'adopted {path} ({key} {score}) as the best checkpoint: a '
                'kill came before the resumed checkpoint recorded it')

    def _unrecorded_best(self, runner, key: str, recorded):
        """Delete the best files of ``key`` other than ``recorded`` but the
        one to adopt; return ``(path, score)`` of that one, or None."""
        current = runner.epoch if self.by_epoch else runner.iter
        score_key, _ = self._best_keys(key)
        recorded_score = runner.message_hub.get_info(score_key)
        recorded_name = osp.basename(recorded) if recorded else None
        prefix = f'best_{key}_'.replace('/', '_')
        pattern = re.compile(f'^{re.escape(prefix)}{self._name_pattern()}$')
        steps = {}
        for name in os.listdir(self.out_dir):
            match = pattern.match(name)
            if match:
                steps[name] = int(match.group(1))
        recorded_step = steps.pop(recorded_name, -1)
        adopt = None
        for name, step in sorted(steps.items(), key=lambda item: -item[1]):
            path = self.file_backend.join_path(self.out_dir, name)
            if adopt is None and recorded_step < step <= current:
                score = self._saved_best_score(path, score_key)
                if score is not None and (
                        recorded_score is None
                        or self.is_better_than[key](score, recorded_score)):
                    adopt = (path, score)
                    continue
            remove_checkpoint(path)
            runner.logger.info(
                f'removed {path}: a best checkpoint that a kill left behind '
                'and the resumed run does not keep')
        return adopt

    @staticmethod
    def _saved_best_score(path: str, score_key: str):
        """The best score a best checkpoint's own message hub records (None
        when it cannot be read); a DeepSpeed directory's is in its model
        states file."""
        allowed = []
        if osp.isdir(path):
            path = osp.join(path, DEEPSPEED_MODEL_STATES)
            allowed = deepspeed_globals()
        try:
            checkpoint = load_local_checkpoint(
                path, map_location='cpu', allowed=allowed)
            return checkpoint['message_hub']['runtime_info'][score_key]
        except Exception:  # unreadable: it is not kept
            return None

    def _save_best_checkpoint(self, runner, metrics) -> None:
        """mmengine's best-checkpoint logic, with the new best written
        atomically and the previous best deleted only after the resumable
        checkpoint records the new one (see the class docstring)."""
        if not self.save_best or not self._is_local():
            super()._save_best_checkpoint(runner, metrics)
            return
        if self.by_epoch:
            cur_type, cur_time = 'epoch', runner.epoch
        else:
            cur_type, cur_time = 'iter', runner.iter
        ckpt_filename = self.filename_tmpl.format(cur_time)
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        if 'auto' in self.key_indicators:
            self._init_rule(self.rules, [list(metrics.keys())[0]])
        updated, replaced = False, []
        for key, rule in zip(self.key_indicators, self.rules):
            score_key, ckpt_key = self._best_keys(key)
            score = metrics[key]
            best = runner.message_hub.get_info(
                score_key, self.init_value_map[rule])
            if score is None or not self.is_better_than[key](score, best):
                continue
            updated = True
            previous = self._get_best_path(key)
            name = f'best_{key}_{ckpt_filename}'.replace('/', '_')
            path = self.file_backend.join_path(self.out_dir, name)
            runner.message_hub.update_info(score_key, score)
            runner.message_hub.update_info(ckpt_key, path)
            self._set_best_path(key, path)
            save_checkpoint_atomically(
                runner,
                self.out_dir,
                name,
                resumable=False,
                fault_name='best_checkpoint',
                file_client_args=self.file_client_args,
                save_optimizer=False,
                save_param_scheduler=False,
                meta=meta,
                by_epoch=False,
                backend_args=self.backend_args)
            runner.logger.info(
                f'The best checkpoint with {score:0.4f} {key} at {cur_time} '
                f'{cur_type} is saved to {name}.')
            if previous and previous != path:
                replaced.append(previous)
        if not updated:
            return
        fault_point('best_checkpoint.before_record')
        self._replaced_best.extend(replaced)
        # the resumable checkpoint of this step again, its message hub now
        # naming the new best (as mmengine does), which deletes the previous
        # best; with no checkpoint yet, the first one will
        if self.last_ckpt is not None:
            self._save_checkpoint_with_step(runner, cur_time, meta)

    def _remove_replaced_best(self, runner) -> None:
        """Delete the previous best checkpoints (main process), now that a
        resumable checkpoint names the new best."""
        replaced = getattr(self, '_replaced_best', [])
        if not replaced:  # (nothing replaced since the last checkpoint)
            return
        fault_point('best_checkpoint.before_prune')
        for path in replaced:
            remove_checkpoint(path)
            runner.logger.info(
                f'The previous best checkpoint {path} is removed')
        replaced.clear()
