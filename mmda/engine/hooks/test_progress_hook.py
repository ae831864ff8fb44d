from typing import Optional

from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from mmseg.registry import HOOKS


@HOOKS.register_module()
class TestProgressHook(Hook):
    """A progress bar over the whole test set, drawn by rank 0.

    Under sharded evaluation every rank processes ``batch_size`` images per
    iteration, so the bar advances by ``batch_size × world_size`` images
    (capped at the set size).
    """

    priority = 'VERY_LOW'

    def __init__(self):
        self._bar: Optional[ProgressBar] = None
        self._done = 0
        self._total = 0

    def before_test_epoch(self, runner) -> None:
        rank, _ = get_dist_info()
        self._total = len(runner.test_dataloader.dataset)
        self._done = 0
        self._bar = ProgressBar(self._total) if rank == 0 else None

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None) -> None:
        if self._bar is None:
            return
        _, world_size = get_dist_info()
        step = min(len(outputs) * world_size, self._total - self._done)
        for _ in range(step):
            self._bar.update()
        self._done += step

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar = None
