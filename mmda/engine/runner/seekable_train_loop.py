import logging
from typing import Dict, List, Optional, Tuple, Union

from mmengine.logging import print_log
from mmengine.runner.base_loop import BaseLoop
from mmengine.runner.loops import (IterBasedTrainLoop,
                                   _InfiniteDataloaderIterator)
from mmengine.runner.utils import calc_dynamic_intervals
from torch.utils.data import DataLoader

from mmseg.registry import LOOPS
from ...utils.fault_injection import fault_point
from ...utils.keyed_randomness import iteration_seed, seed_global_rngs


@LOOPS.register_module()
class SeekableIterBasedTrainLoop(IterBasedTrainLoop):
    """Iteration-based training whose data stream seeks instead of replaying.

    mmengine's :class:`IterBasedTrainLoop` starts its data iterator (and the
    worker processes) when the loop is built and, on resume, replays every
    already-trained batch through the data pipeline. This loop instead

    * starts the data iterator in :meth:`run`, after the ``before_run`` and
      ``before_train`` hooks, so hooks can configure the datasets (e.g. the
      active-label ledger directory) before workers fork;
    * on resume, moves a seekable sampler (one with ``set_position``, such as
      :class:`~mmda.datasets.TwoDomainInfiniteSampler`) straight to the
      position of iteration ``iter`` — no batch is decoded twice;
    * offers :meth:`request_data_reset`: before the next iteration, the
      prefetched batches are dropped and the stream restarts at that
      iteration. Hooks that change what the pipeline reads (a new selection
      round) call it so that every batch after the change sees the change,
      whatever the prefetch timing: runs are deterministic across resumes.
    * before every iteration, seeds the process-global generators from
      ``(seed, iteration, rank)`` (:mod:`mmda.utils.keyed_randomness`), so
      the model's randomness (dropout, ...) does not depend on how many
      iterations this process ran before: together with the sampler's
      per-sample seeds, a resumed run ends with the weights of the
      uninterrupted run;
    * does not validate after an iteration that stopped training
      (``stop_training``, set by e.g. a preemption hook that must exit
      before the job's time runs out).

    Samplers without ``set_position`` fall back to mmengine's replay.
    Arguments are those of :class:`IterBasedTrainLoop`.
    """

    def __init__(
            self,
            runner,
            dataloader: Union[DataLoader, Dict],
            max_iters: int,
            val_begin: int = 1,
            val_interval: int = 1000,
            dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        BaseLoop.__init__(self, runner, dataloader)
        self._max_iters = int(max_iters)
        if self._max_iters != max_iters:
            raise ValueError(f'max_iters must be an integer, got {max_iters}')
        self._max_epochs = 1
        self._epoch = 0
        self._iter = 0
        self.val_begin = val_begin
        self.val_interval = val_interval
        self.stop_training = False
        if hasattr(self.dataloader.dataset, 'metainfo'):
            self.runner.visualizer.dataset_meta = \
                self.dataloader.dataset.metainfo
        self.dataloader_iterator = None  # started in run()
        self._reset_pending = False
        self.dynamic_milestones, self.dynamic_intervals = \
            calc_dynamic_intervals(self.val_interval, dynamic_intervals)

    @property
    def samples_per_iter(self) -> int:
        """Samples drawn from the global stream per iteration (all ranks)."""
        return self.dataloader.batch_size * self.runner.world_size

    def reset_data_iterator(self) -> None:
        """(Re)start the data stream at the current iteration."""
        sampler = self.dataloader.sampler
        seekable = hasattr(sampler, 'set_position')
        if seekable:
            sampler.set_position(self._iter * self.samples_per_iter)
        self.dataloader_iterator = _InfiniteDataloaderIterator(
            self.dataloader)
        if not seekable and self._iter > 0:
            print_log(
                f'{type(sampler).__name__} cannot seek: replaying '
                f'{self._iter} batches to resume the data stream',
                logger='current',
                level=logging.WARNING)
            for _ in range(self._iter):
                next(self.dataloader_iterator)

    def request_data_reset(self) -> None:
        """Restart the data stream before the next iteration."""
        self._reset_pending = True

    def run(self):
        """Launch training."""
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        if self.dataloader_iterator is None:
            self.reset_data_iterator()
        while self._iter < self._max_iters and not self.stop_training:
            if self._reset_pending:
                self._reset_pending = False
                self.reset_data_iterator()
            self.runner.model.train()
            data_batch = next(self.dataloader_iterator)
            seed_global_rngs(
                iteration_seed(self.runner.seed, self._iter,
                               self.runner.rank))
            fault_point('train.iteration')
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None and not self.stop_training
                    and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0
                         or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model
