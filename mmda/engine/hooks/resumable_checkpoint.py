import os.path as osp
from typing import Optional


def save_resumable_checkpoint(runner,
                              filename: str,
                              meta: Optional[dict] = None) -> str:
    """Save ``work_dir/filename`` now and point ``last_checkpoint`` at it
    (what ``--resume`` loads), outside the CheckpointHook's schedule.

    Every rank joins the save (hooks and strategies may gather state); rank
    0 writes ``last_checkpoint``. Returns the checkpoint path.
    """
    path = osp.join(runner.work_dir, filename)
    runner.save_checkpoint(
        runner.work_dir, filename, meta=meta, by_epoch=False)
    if runner.rank == 0:
        with open(osp.join(runner.work_dir, 'last_checkpoint'), 'w') as f:
            f.write(path)
    return path
