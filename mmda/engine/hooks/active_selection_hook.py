import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.dist import all_gather_object, barrier, get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from mmseg.registry import HOOKS, TASK_UTILS
from ...active.annotators import AnnotationRequest, BaseAnnotator
from ...active.label_ledger import (ACTIVE, LABELLED_IGNORE, UNTOUCHED,
                                    ActiveLabelLedger, decode_map,
                                    encode_map)
from ...active.round_stats import RoundStatistics
from ...active.strategies import BaseAcquisitionStrategy
from ...active.visualize import draw_selection
from ...datasets.transforms import LoadActiveLabels
from ...models.segmentors import deployable_segmentor
from ...models.utils import unwrap, without_test_flip
from ...utils.fault_injection import fault_point
from .resumable_checkpoint import save_resumable_checkpoint


def _iter_transforms(dataset, seen=None):
    """Every transform of ``dataset``'s pipelines, through wrappers and
    named streams (``source``/``target``/``dataset``, ``datasets``)."""
    seen = set() if seen is None else seen
    if id(dataset) in seen:
        return
    seen.add(id(dataset))
    children = [
        getattr(dataset, name) for name in ('source', 'target', 'dataset')
        if hasattr(dataset, name)
    ]
    streams = getattr(dataset, 'datasets', None)
    if isinstance(streams, dict):
        children += list(streams.values())
    elif isinstance(streams, (list, tuple)):
        children += list(streams)
    for child in children:
        yield from _iter_transforms(child, seen)
    pipeline = getattr(dataset, 'pipeline', None)
    for t in getattr(pipeline, 'transforms', []):
        yield t


def _with_labels(new_map: np.ndarray, selected: np.ndarray,
                 labels: np.ndarray) -> np.ndarray:
    """``new_map`` with the annotator's ``labels`` (255: void, recorded as
    labelled-as-void) on the ``selected`` pixels."""
    labels = np.where(labels == 255, LABELLED_IGNORE, labels)
    new_map = new_map.copy()
    new_map[selected] = labels[selected]
    return new_map


#: The hook's original keys (RIPU's two modes), kept as a short form of
#: ``strategy``: key -> (mode, strategy argument).
LEGACY_KEYS = {
    'budget_ratio': ('region', 'budget_ratio'),
    'radius': ('region', 'radius'),
    'normalizer': ('region', 'normalizer'),
    'pixels_per_image': ('pixel', 'pixels_per_image'),
    'pa_radius': ('pixel', 'radius'),
    'pa_reference_size': ('pixel', 'reference_size'),
}
LEGACY_STRATEGIES = {
    'region': 'RegionImpurityUncertainty',
    'pixel': 'PixelImpurityUncertainty',
}


def strategy_of_legacy_keys(mode: Optional[str] = None, **keys) -> dict:
    """The strategy config that the hook's original keys stand for.

    ``mode='region'`` (the default) with ``budget_ratio``, ``radius`` and
    ``normalizer`` is :class:`~mmda.active.RegionImpurityUncertainty`
    (RIPU RA); ``mode='pixel'`` with ``pixels_per_image``, ``pa_radius`` and
    ``pa_reference_size`` is :class:`~mmda.active.PixelImpurityUncertainty`
    (RIPU PA, ``pa_radius`` -> ``radius``, ``pa_reference_size`` ->
    ``reference_size``). Keys left ``None`` take the strategy's defaults
    (RA 2.2 %, K = 1; PA 40 pixels at 640 x 1280, K = 32).
    """
    mode = 'region' if mode is None else mode
    if mode not in LEGACY_STRATEGIES:
        raise ValueError("ActiveSelectionHook: mode must be 'region' or "
                         f"'pixel', got {mode!r}")
    given = {k: v for k, v in keys.items() if v is not None}
    unknown = sorted(set(given) - set(LEGACY_KEYS))
    if unknown:
        raise TypeError(f'ActiveSelectionHook: unknown keys {unknown}')
    other = sorted(k for k in given if LEGACY_KEYS[k][0] != mode)
    if other:
        raise ValueError(
            f'ActiveSelectionHook: {", ".join(other)} do(es) not apply to '
            f'mode={mode!r}')
    cfg = dict(type=LEGACY_STRATEGIES[mode])
    cfg.update({LEGACY_KEYS[k][1]: v for k, v in given.items()})
    return cfg


@HOOKS.register_module()
class ActiveSelectionHook(Hook):
    """Active-selection rounds (RIPU): score the target, pick, annotate.

    At each iteration of ``select_iters`` every target-train image is
    scored at label resolution with the model in eval mode; the acquisition
    ``strategy`` (``TASK_UTILS``, see :mod:`mmda.active.strategies`) picks
    the regions or pixels to label, the ``annotator`` (see
    :class:`~mmda.active.BaseAnnotator`) labels them, and the
    :class:`~mmda.active.ActiveLabelLedger` records them. The hook owns the
    scheduling, the ledger and its persistence, and the checks that the run
    can select at all; what is picked is the strategy's, who labels is the
    annotator's.

    * **Strategies**: ``RegionImpurityUncertainty`` (RIPU's region-based
      annotating, RA), ``PixelImpurityUncertainty`` (RIPU's pixel-based
      annotating, PA), and, at RA's budget and region shape, the ablations
      ``RandomRegions``, ``UncertaintyOnly`` and ``ImpurityOnly``. The
      original keys (``mode``, ``budget_ratio``, ``radius``, ``normalizer``,
      ``pixels_per_image``, ``pa_radius``, ``pa_reference_size``) remain a
      short form of RA and PA (:func:`strategy_of_legacy_keys`); give
      either them or ``strategy``.
      A strategy's own draws (``RandomRegions`` without a ``seed``)
      follow the run's ``randomness.seed``: the hook hands it to the
      strategy (``bind_run_seed``) in ``before_train``.
    * **Budget**: the strategy's; in RA ``budget_ratio`` of each image's
      pixels split equally over the rounds as released,
      ``ceil(H * W * budget_ratio / rounds / (2K+1)^2)`` regions every
      round (the last one not capped), in PA ``pixels_per_image`` pixels
      at a reference size. The ledger refuses any update that relabels a
      pixel and, for a budget that depends on the image size (RA and its
      ablations: every round's whole regions), one that exceeds it. A
      round that asks for more picks than unsuppressed centres remain
      labels what remains.
    * **Contract** (``before_train``): the model must have a deployable
      segmentor (:func:`~mmda.models.segmentors.deployable_segmentor`:
      the hook scores the target with it) predicting the scoring set's
      classes, and the training set's target pipeline must hold
      :class:`~mmda.datasets.transforms.LoadActiveLabels`; otherwise it
      stops with an error naming the hook and the model or dataset.
    * **DDP**: images are split across ranks (``DefaultSampler`` without
      padding); the new maps are all-gathered so every rank ends the round
      with the same ledger. Strategies depend only on the image and the
      round, so the picks do not depend on the number of ranks.
    * **Persistence**: the ledger (and the strategy's config) is saved into
      every checkpoint and published under ``<work_dir>/<ledger_dir>``
      (atomically, see :mod:`mmda.active.label_ledger`), where the training
      pipeline's :class:`~mmda.datasets.transforms.LoadActiveLabels` reads
      it. A resumed run continues with the exact ledger of its checkpoint,
      and refuses a strategy other than the checkpoint's.
    * **Human annotation**: with an annotator that ``requires_pause``
      (:class:`~mmda.active.FileAnnotator`), a round submits its selection
      as annotation requests, saves ``iter_<k>_annotation.pth`` (with the
      pending selection) as the latest checkpoint and stops training.
      ``--resume`` then collects the labels (without scoring again), records
      the round and trains on.
    * After a round the training data stream restarts at the next
      iteration (:class:`~mmda.engine.SeekableIterBasedTrainLoop`), so
      every later batch carries the new labels.

    Args:
        dataloader (dict): Dataloader config over the target-train images
            with a test pipeline that also loads the ground truth when the
            annotator is simulated (``LoadDAAnnotations`` after
            ``Resize``). Its sampler is replaced by a non-padding
            ``DefaultSampler``.
        select_iters (Sequence[int]): Iterations after which a round runs
            (RIPU: 10k, 12k, 14k, 16k, 18k).
        strategy (dict, optional): Acquisition strategy config
            (``TASK_UTILS``), e.g. ``dict(type='RegionImpurityUncertainty',
            budget_ratio=0.022, radius=1)``. Defaults to the one the legacy
            keys describe (RA 2.2 %).
        annotator (dict): Annotator config (``TASK_UTILS``):
            ``SimulatedAnnotator`` (ground truth) or ``FileAnnotator``
            (people, stop and resume).
        ledger_dir (str): Ledger directory, relative to the work dir.
        num_vis (int): Images per round drawn into ``<ledger_dir>/vis``.
        mode (str, optional): Legacy: ``'region'`` (RA) or ``'pixel'`` (PA).
        budget_ratio (float, optional): Legacy RA: labelled fraction of
            each image.
        radius (int, optional): Legacy RA: region half-size K.
        normalizer (float, optional): Legacy RA: entropy normaliser.
        pixels_per_image (int, optional): Legacy PA: pixel budget at
            ``pa_reference_size``.
        pa_radius (int, optional): Legacy PA: window half-size.
        pa_reference_size (tuple, optional): Legacy PA: (H, W) of the
            budget.
    """

    priority = 'NORMAL'  # before CheckpointHook: checkpoints hold the round

    def __init__(self,
                 dataloader: dict,
                 select_iters: Sequence[int],
                 strategy: Optional[dict] = None,
                 annotator: dict = dict(type='SimulatedAnnotator'),
                 ledger_dir: str = 'active_ledger',
                 num_vis: int = 4,
                 mode: Optional[str] = None,
                 budget_ratio: Optional[float] = None,
                 radius: Optional[int] = None,
                 normalizer: Optional[float] = None,
                 pixels_per_image: Optional[int] = None,
                 pa_radius: Optional[int] = None,
                 pa_reference_size: Optional[Tuple[int, int]] = None):
        if not select_iters or sorted(set(select_iters)) != list(
                select_iters):
            raise ValueError('ActiveSelectionHook: select_iters must be a '
                             f'non-empty increasing list, got {select_iters}')
        legacy = dict(
            budget_ratio=budget_ratio,
            radius=radius,
            normalizer=normalizer,
            pixels_per_image=pixels_per_image,
            pa_radius=pa_radius,
            pa_reference_size=pa_reference_size)
        if strategy is None:
            strategy = strategy_of_legacy_keys(mode, **legacy)
        elif mode is not None or any(v is not None
                                     for v in legacy.values()):
            given = ['mode'] * (mode is not None) + [
                k for k, v in legacy.items() if v is not None
            ]
            raise ValueError(
                'ActiveSelectionHook: give either strategy or the legacy '
                f'keys (mode, budget_ratio, ...), not both: got strategy '
                f'{strategy.get("type")!r} and {", ".join(given)}; move '
                'them into the strategy config')
        self.strategy = TASK_UTILS.build(strategy)
        if not isinstance(self.strategy, BaseAcquisitionStrategy):
            raise TypeError(
                f'ActiveSelectionHook: strategy {type(self.strategy).__name__}'
                ' is no acquisition strategy (BaseAcquisitionStrategy)')
        self.annotator = TASK_UTILS.build(annotator)
        if not isinstance(self.annotator, BaseAnnotator):
            raise TypeError(
                f'ActiveSelectionHook: annotator '
                f'{type(self.annotator).__name__} is no annotator '
                '(BaseAnnotator)')
        self.dataloader_cfg = dict(dataloader)
        self.dataloader_cfg['sampler'] = dict(
            type='DefaultSampler', shuffle=False, round_up=False)
        self.select_iters = list(select_iters)
        self.ledger_dir_name = ledger_dir
        self.num_vis = num_vis
        self._paths: Optional[dict] = None  # ledger key -> image path
        self.ledger: Optional[ActiveLabelLedger] = None
        self._checkpoint_state = None
        self._checkpoint_strategy = None
        self._dataloader = None
        # a round exported for human annotation, waiting for its labels:
        # dict(round, iter, maps={key: PNG}, selected={key: PNG})
        self._pending: Optional[dict] = None
        self._checkpoint_pending = None
        self._stop_for_annotation = False

    # ------------------------------------------------------------ set-up
    @property
    def num_rounds(self) -> int:
        return len(self.select_iters)

    def _new_ledger(self, num_classes: int) -> ActiveLabelLedger:
        # a budget that does not depend on the image size (PA) is applied
        # by the selection alone (select_pixels)
        return ActiveLabelLedger(
            num_classes, **self.strategy.ledger_budget(self.num_rounds))

    def _classes(self, runner) -> Sequence[str]:
        return self._get_dataloader(runner).dataset.metainfo['classes']

    def _get_dataloader(self, runner):
        if self._dataloader is None:
            self._dataloader = runner.build_dataloader(
                self.dataloader_cfg, seed=runner.seed)
        return self._dataloader

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._checkpoint_state = checkpoint.get('active_ledger')
        self._checkpoint_pending = checkpoint.get('active_pending')
        self._checkpoint_strategy = checkpoint.get('active_strategy')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['active_ledger'] = self.ledger.state_dict()
        checkpoint['active_strategy'] = self.strategy.config()
        if self._pending is not None:
            checkpoint['active_pending'] = self._pending

    def _check_model(self, runner, classes: Sequence[str]) -> None:
        """The contract with the model: one deployable segmentor (whose
        target predictions are scored) of the scoring set's classes."""
        model = unwrap(runner.model)
        try:
            segmentor = deployable_segmentor(model)
        except TypeError as err:
            raise TypeError(
                'ActiveSelectionHook needs a model with one deployable '
                'segmentor, whose predictions on the target it scores, but '
                f'the model is {type(model).__name__}: {err}') from err
        num_classes = getattr(
            getattr(segmentor, 'decode_head', None), 'num_classes', None)
        if num_classes is not None and num_classes != len(classes):
            scoring = self._get_dataloader(runner).dataset
            raise ValueError(
                f'ActiveSelectionHook: the model {type(model).__name__} '
                f'predicts {num_classes} classes but its scoring dataset '
                f'{type(scoring).__name__} has {len(classes)}: use the same '
                'num_classes (protocol) for both')

    def _connect_training_labels(self, runner) -> None:
        """The contract with the training set: point every
        LoadActiveLabels of its pipelines at the ledger; there must be
        one."""
        train_set = runner.train_dataloader.dataset
        found = 0
        for transform in _iter_transforms(train_set):
            if isinstance(transform, LoadActiveLabels):
                transform.ledger_dir = self.ledger_root
                found += 1
        if not found:
            raise RuntimeError(
                'ActiveSelectionHook: the training dataset '
                f'{type(train_set).__name__} has no LoadActiveLabels '
                'transform in its target pipeline, so the selected labels '
                'would never reach training (the model '
                f'{type(unwrap(runner.model)).__name__} would train without '
                'them)')

    def before_train(self, runner) -> None:
        self.ledger_root = osp.join(runner.work_dir, self.ledger_dir_name)
        # before the resume check: the checkpoint's strategy config holds
        # the seed its draws used
        self.strategy.bind_run_seed(runner.seed)
        classes = self._classes(runner)
        self._check_model(runner, classes)
        self._connect_training_labels(runner)
        self.annotator.setup(runner.work_dir, classes)
        self.ledger = self._new_ledger(len(classes))
        if runner.iter > 0:
            if self._checkpoint_state is None:
                raise RuntimeError(
                    f'resumed at iteration {runner.iter} from a checkpoint '
                    'without an active-label ledger: it was not written by '
                    'a run with ActiveSelectionHook')
            saved = self._checkpoint_strategy
            if saved is not None and saved != self.strategy.config():
                raise RuntimeError(
                    f'ActiveSelectionHook: the checkpoint at iter '
                    f'{runner.iter} selected with the strategy {saved}, the '
                    f'config says {self.strategy.config()}: resume with the '
                    'strategy of the run, or start a new run')
            self.ledger.load_state_dict(self._checkpoint_state,
                                        f'checkpoint at iter {runner.iter}')
            self.ledger.check_keys(
                self._image_paths(self._get_dataloader(runner).dataset),
                'the target training set')
            self._pending = self._checkpoint_pending
        if self._pending is not None:
            self._import_pending(runner)  # records and publishes the round
        else:
            self._publish(runner)
        runner.logger.info(
            f'active-label ledger: {self.ledger.num_rounds} of '
            f'{self.num_rounds} rounds done, '
            f'{self.ledger.labelled_pixels()} pixels labelled '
            f'({self.ledger_root}); strategy {self.strategy!r}')

    def _publish(self, runner) -> None:
        if runner.rank == 0:
            self.ledger.save(self.ledger_root)
        barrier()

    # ------------------------------------------------------------ rounds
    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        done_iters = runner.iter + 1
        if done_iters not in self.select_iters:
            return
        round_idx = self.select_iters.index(done_iters)
        if round_idx < self.ledger.num_rounds:
            return  # already done before a resume
        self.run_round(runner, done_iters)
        fault_point('selection.round_done')
        if self._pending is not None:  # waiting for human labels: stop
            runner.train_loop.stop_training = True
            return
        loop = runner.train_loop
        if hasattr(loop, 'request_data_reset'):
            loop.request_data_reset()
        else:
            print_log(
                'ActiveSelectionHook: the train loop cannot restart its data '
                'stream; use SeekableIterBasedTrainLoop so that prefetched '
                'batches carry the new labels',
                logger='current',
                level='WARNING')

    def _pixel_budget(self, shape: Tuple[int, int]) -> int:
        return self.strategy.image_budget(shape, self.num_rounds)

    def select_pixels(self, key: str,
                      logits: torch.Tensor) -> Tuple[np.ndarray, np.ndarray]:
        """One image's selection in the current round: its ledger map with
        the new active pixels (not labelled yet) and the boolean mask of
        the pixels to label."""
        shape = tuple(logits.shape[-2:])
        old = self.ledger.get(key, shape)  # all untouched if never picked
        picks = self.strategy.num_picks(shape, self.num_rounds,
                                        self.ledger.labelled_pixels(key))
        active = torch.from_numpy(old != UNTOUCHED).to(logits.device)
        selected, active = self.strategy.select(logits, active, picks, key,
                                                self.ledger.num_rounds + 1)
        # a labelled window may reach into suppressed (active) pixels of
        # earlier picks, never into labelled ones
        selected = selected.cpu().numpy() & (old >= ACTIVE)
        new = old.copy()
        new[active.cpu().numpy() & (old == UNTOUCHED)] = ACTIVE
        return new, selected

    def select_image(self,
                     key: str,
                     logits: torch.Tensor,
                     data_sample,
                     img_path: str = '') -> Tuple[np.ndarray, np.ndarray]:
        """One image's round: select, and request the labels of the
        selected pixels.

        Returns:
            tuple[np.ndarray, np.ndarray]: The new ledger map (with the
            labels when the annotator answers at once, else the selection
            as active pixels) and the selected mask.
        """
        new, selected = self.select_pixels(key, logits)
        if not selected.any():
            return new, selected
        round_no = self.ledger.num_rounds + 1
        self.annotator.request(
            round_no,
            [AnnotationRequest(key, img_path, selected, data_sample)])
        if not self.annotator.requires_pause:
            labels = self.annotator.collect(round_no, {key: selected})[key]
            new = _with_labels(new, selected, labels)
        return new, selected

    @torch.no_grad()
    def run_round(self, runner, iteration: int) -> None:
        """Score this rank's share of the target set, then merge."""
        rank, world_size = get_dist_info()
        model = unwrap(runner.model)
        dataloader = self._get_dataloader(runner)
        round_no = self.ledger.num_rounds + 1
        runner.logger.info(
            f'active selection round {round_no}/{self.num_rounds} at iter '
            f'{iteration}: scoring {len(dataloader.dataset)} target images '
            f'on {world_size} rank(s)')
        bar = ProgressBar(len(dataloader.sampler)) if rank == 0 else None
        was_training = model.training
        model.eval()
        deferred = self.annotator.requires_pause
        # the maps travel between ranks, and wait for people, as PNG; one
        # rank that commits at once keeps its arrays (no encode + decode)
        packed = deferred or world_size > 1
        local: List[tuple] = []
        for data in dataloader:
            with without_test_flip(model):  # scored as the original does
                samples = model.test_step(data)
            for sample in samples:
                key = LoadActiveLabels.key_of(sample.img_path)
                new_map, selected = self.select_image(
                    key, sample.seg_logits.data, sample, sample.img_path)
                local.append(
                    (key, encode_map(new_map) if packed else new_map,
                     encode_map(selected.astype(np.uint8)) if deferred else
                     None))
                if bar is not None:
                    bar.update()
                fault_point('selection.scoring')
        model.train(was_training)
        if bar is not None:
            bar.file.write('\n')

        merged = sorted(
            (item for part in all_gather_object(local) for item in part),
            key=lambda item: item[0])
        if deferred:
            self._request_labels(runner, round_no, iteration, merged)
            return
        self._commit_round(runner, round_no, iteration,
                           [(key, decode_map(data, key) if packed else data)
                            for key, data, _ in merged])

    def _commit_round(self, runner, round_no: int, iteration: int,
                      maps: List[Tuple[str, np.ndarray]]) -> None:
        """Record the new maps of a round in the ledger and publish it."""
        rank = runner.rank
        dataloader = self._get_dataloader(runner)
        new_pixels = 0
        drawn = []
        stats = RoundStatistics(self._classes(runner), round_no)
        for key, new_map in maps:
            old = self.ledger.get(key) if key in self.ledger else None
            if len(drawn) < self.num_vis:  # the old map, for the overlay
                drawn.append((key, old))
            if rank == 0:
                stats.add(old, new_map)
            new_pixels += self.ledger.update(key, new_map)
        record = self.ledger.close_round(iteration, new_pixels)
        if rank == 0:  # to every visualisation backend, as scalars
            runner.visualizer.add_scalars(stats.scalars(), step=iteration)
        self._publish(runner)
        if rank == 0 and self.num_vis > 0:
            self._draw(dataloader.dataset, drawn, round_no)
        total_budget = sum(
            self._pixel_budget(self.ledger.shape_of(k))
            for k in self.ledger.keys)
        runner.logger.info(
            f'active selection round {round_no}/{self.num_rounds} done: '
            f'{record["new_pixels"]} pixels labelled this round, '
            f'{record["labelled_pixels"]} in total, '
            f'{total_budget - record["labelled_pixels"]} left of the budget')

    # ------------------------------------------------ human annotation
    def _request_labels(self, runner, round_no: int, iteration: int,
                        merged: List[tuple]) -> None:
        """Submit a round's requests and stop training after this
        iteration (the checkpoint is saved in :meth:`after_train`);
        ``merged`` holds ``(key, new map, selected)`` PNGs of every image."""
        self.annotator.submit(round_no)
        num_pixels = [
            int((decode_map(selected, key) > 0).sum())
            for key, _, selected in merged
        ]
        if not any(num_pixels):  # budget spent: nothing asked, no stop
            self._commit_round(runner, round_no, iteration,
                               [(key, decode_map(data, key))
                                for key, data, _ in merged])
            return
        self._pending = dict(
            round=round_no,
            iter=iteration,
            maps={key: new_map
                  for key, new_map, _ in merged},
            selected={key: selected
                      for key, _, selected in merged})
        self._stop_for_annotation = True
        runner.logger.info(
            f'active selection round {round_no}/{self.num_rounds} at iter '
            f'{iteration}: {sum(num_pixels)} pixels of '
            f'{sum(n > 0 for n in num_pixels)} images to be labelled by '
            'people; training stops after this iteration')

    def after_train(self, runner) -> None:
        if not self._stop_for_annotation:
            return
        self._stop_for_annotation = False
        round_no = self._pending['round']
        path = save_resumable_checkpoint(
            runner, f'iter_{runner.iter}_annotation.pth',
            meta=dict(epoch=runner.epoch, iter=runner.iter))
        barrier()
        config = getattr(runner.cfg, 'filename', None) or 'CONFIG'
        runner.logger.info(
            f'Training stopped at iteration {runner.iter} for the human '
            f'annotation of active selection round {round_no}:\n' +
            self.annotator.instructions(round_no) +
            f'\n  then resume: python tools/train.py {config} --work-dir '
            f'{runner.work_dir} --resume (plus this run\'s other options)\n'
            f'  checkpoint: {path}')

    def _import_pending(self, runner) -> None:
        """Resume of a stopped round: collect the people's labels, record
        and publish the round."""
        pending = self._pending
        round_no, iteration = pending['round'], pending['iter']
        if (round_no != self.ledger.num_rounds + 1
                or iteration != runner.iter
                or self.select_iters[round_no - 1:round_no] != [iteration]):
            raise RuntimeError(
                f'the checkpoint at iter {runner.iter} waits for the labels '
                f'of round {round_no} (selected at iter {iteration}), which '
                f'does not fit select_iters={self.select_iters} and the '
                f'{self.ledger.num_rounds} rounds of its ledger')
        if not self.annotator.requires_pause:
            raise RuntimeError(
                f'the checkpoint at iter {runner.iter} waits for the human '
                f'labels of round {round_no}, but the annotator is '
                f'{type(self.annotator).__name__}: resume with the '
                'annotator of the run that stopped (e.g. FileAnnotator)')
        selected = {
            key: decode_map(data, key) > 0
            for key, data in pending['selected'].items()
        }
        requested = {k: m for k, m in selected.items() if m.any()}
        labels = self.annotator.collect(round_no, requested)
        runner.logger.info(f'active selection round {round_no}: importing '
                           'the labels of the annotator')
        maps = []
        for key in sorted(selected):
            new_map = decode_map(pending['maps'][key], key)
            if key in requested:
                new_map = _with_labels(new_map, requested[key], labels[key])
            maps.append((key, new_map))
        self._pending = None
        self._commit_round(runner, round_no, iteration, maps)

    def _image_paths(self, dataset) -> dict:
        """Ledger key -> image path of every image of the scored target
        set (read once)."""
        if self._paths is None:
            self._paths = {
                LoadActiveLabels.key_of(info['img_path']): info['img_path']
                for info in (dataset.get_data_info(i)
                             for i in range(len(dataset)))
            }
        return self._paths

    def _draw(self, dataset, drawn, round_no: int) -> None:
        out_dir = osp.join(self.ledger_root, 'vis', f'round_{round_no:03d}')
        os.makedirs(out_dir, exist_ok=True)
        paths = self._image_paths(dataset)
        for key, before in drawn:
            after = self.ledger.get(key)
            was = (before < ACTIVE) if before is not None else np.zeros_like(
                after, bool)
            image = cv2.imread(paths[key])
            cv2.imwrite(
                osp.join(out_dir, f'{key}.png'),
                draw_selection(image, after, (after < ACTIVE) & ~was))
