"""Writing Runner checkpoints that survive a kill at any moment.

:func:`save_checkpoint_atomically` is how every mmda checkpoint is written
(by :class:`~mmda.engine.AtomicCheckpointHook`, the preemption stop and the
stop for human annotation):

1. the runner saves the checkpoint under a temporary name,
   ``<name>.tmp`` (a file, or a DeepSpeed directory that every rank writes
   its part of);
2. rank 0 fsyncs it and renames it into place (a DeepSpeed directory by
   an atomic exchange, :func:`~mmda.utils.atomic_write.publish_dir`);
3. rank 0 replaces ``last_checkpoint`` atomically, naming the checkpoint
   relative to the work dir (:mod:`mmda.utils.checkpoint_files`).

Older checkpoints are deleted by the caller only after that. A kill at any
point leaves the previous checkpoint, and ``last_checkpoint`` naming it, or
the new one: ``--resume`` finds an intact checkpoint either way.
"""
import os
import os.path as osp
import shutil
from typing import Optional

from mmengine.dist import barrier, get_rank

from ...utils.atomic_write import fsync_dir, fsync_tree, publish_dir
from ...utils.checkpoint_files import write_last_checkpoint
from ...utils.fault_injection import fault_point

#: suffix of a checkpoint being written (the same on every rank: DeepSpeed
#: checks that all ranks save under one tag)
TEMP_SUFFIX = '.tmp'


def remove_checkpoint(path: str) -> None:
    """Delete a checkpoint file or DeepSpeed directory; a directory is
    first renamed to a temporary name, so it is never seen half deleted."""
    if osp.isdir(path):
        doomed = path + TEMP_SUFFIX
        shutil.rmtree(doomed, ignore_errors=True)
        os.replace(path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
    elif osp.lexists(path):
        os.remove(path)


def save_checkpoint_atomically(runner,
                               out_dir: str,
                               filename: str,
                               resumable: bool = True,
                               fault_name: str = 'checkpoint',
                               **kwargs) -> str:
    """Save ``out_dir/filename`` with ``runner.save_checkpoint(out_dir,
    filename, **kwargs)`` through a temporary name, then point
    ``last_checkpoint`` at it (see the module docstring). Every rank calls
    it. Returns the checkpoint path.

    Args:
        resumable (bool): Point ``last_checkpoint`` at it. False for a
            checkpoint that is not resumed from (the best checkpoint of
            ``save_best``, written without the optimizer).
        fault_name (str): Prefix of its fault points
            (:mod:`mmda.utils.fault_injection`).
    """
    final = osp.join(out_dir, filename)
    tmp = final + TEMP_SUFFIX
    if get_rank() == 0:
        remove_checkpoint(tmp)  # a leftover of a killed save
    barrier()
    runner.save_checkpoint(out_dir, filename + TEMP_SUFFIX, **kwargs)
    barrier()  # every rank's part of a DeepSpeed checkpoint is written
    if get_rank() == 0:
        fault_point(f'{fault_name}.before_rename', partial_file=tmp)
        fsync_tree(tmp)
        if osp.isdir(tmp):
            publish_dir(tmp, final)
        else:
            os.replace(tmp, final)
            fsync_dir(out_dir)
        if resumable:
            fault_point(f'{fault_name}.before_last_checkpoint')
            write_last_checkpoint(runner.work_dir, final)
    barrier()
    local_rank = int(os.environ.get('LOCAL_RANK', 0))
    if get_rank() != 0 and local_rank == 0 and osp.isdir(tmp):
        publish_dir(tmp, final)  # this node's part, on a node-local disk
    barrier()
    return final


def save_resumable_checkpoint(runner,
                              filename: str,
                              meta: Optional[dict] = None) -> str:
    """Save ``work_dir/filename`` now and point ``last_checkpoint`` at it
    (what ``--resume`` loads), outside the CheckpointHook's schedule.

    Every rank joins the save (hooks and strategies may gather state).
    Returns the checkpoint path.
    """
    return save_checkpoint_atomically(
        runner, runner.work_dir, filename, meta=meta, by_epoch=False)
