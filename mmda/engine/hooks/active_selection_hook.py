import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.dist import all_gather_object, barrier, get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.utils import ProgressBar

from mmseg.registry import HOOKS, TASK_UTILS
from ...active import (pixel_annotate, pixels_per_round, region_annotate,
                       regions_per_round)
from ...active.annotation_exchange import AnnotationError
from ...active.label_ledger import (ACTIVE, LABELLED_IGNORE, UNTOUCHED,
                                    ActiveLabelLedger, decode_map,
                                    encode_map)
from ...active.visualize import draw_selection
from ...datasets.transforms import LoadActiveLabels
from ...utils.fault_injection import fault_point
from .resumable_checkpoint import save_resumable_checkpoint


def _iter_transforms(dataset):
    """Every transform of ``dataset``'s pipelines, through wrappers."""
    for child in ('source', 'target', 'dataset'):
        if hasattr(dataset, child):
            yield from _iter_transforms(getattr(dataset, child))
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


@HOOKS.register_module()
class ActiveSelectionHook(Hook):
    """RIPU's active-selection rounds: score the target, pick, annotate.

    At each iteration of ``select_iters`` every target-train image is
    scored at label resolution with the model in eval mode, the most
    informative regions (region-based annotating, RA) or pixels (pixel-based
    annotating, PA) are picked with :mod:`mmda.active`, an annotator labels
    them, and the :class:`~mmda.active.ActiveLabelLedger` records them.

    * **Budget**: RA labels ``budget_ratio`` of each image's pixels, split
      equally over the rounds; PA ``pixels_per_image`` pixels at the
      ``pa_reference_size`` resolution, rescaled to the label resolution.
      The ledger refuses any update that relabels a pixel and, in RA, one
      that exceeds the budget; the PA budget is applied by the selection
      (:meth:`select_pixels`).
    * **DDP**: images are split across ranks (``DefaultSampler`` without
      padding); the new maps are all-gathered so every rank ends the round
      with the same ledger.
    * **Persistence**: the ledger is saved into every checkpoint and
      published under ``<work_dir>/<ledger_dir>`` (atomically, see
      :mod:`mmda.active.label_ledger`), where the training pipeline's
      :class:`~mmda.datasets.transforms.LoadActiveLabels` reads it. A resumed
      run continues with the exact ledger of its checkpoint.
    * **Human annotation**: with an annotator that ``requires_pause``
      (:class:`~mmda.active.FileAnnotator`), a round exports its selection
      as annotation requests (``<work_dir>/annotation/round_<k>/``), saves
      ``iter_<k>_annotation.pth`` (with the pending selection) as the
      latest checkpoint and stops training. ``--resume`` then imports the
      labels (without scoring again), records the round and trains on.
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
        mode (str): ``'region'`` (RA) or ``'pixel'`` (PA).
        budget_ratio (float): RA budget, fraction of pixels per image.
        radius (int): RA region half-size K (regions are (2K+1)²,
            suppression windows (4K+1)²). Defaults to 1.
        normalizer (float, optional): RA entropy/impurity normaliser;
            ``None`` is ln C, ``math.log(19)`` reproduces the original on 16
            classes.
        pixels_per_image (int): PA budget at ``pa_reference_size``.
        pa_radius (int): PA window half-size. Defaults to 32 (65×65).
        pa_reference_size (tuple): (H, W) the PA budget refers to.
        annotator (dict): Annotator config (``TASK_UTILS``):
            ``SimulatedAnnotator`` (ground truth) or ``FileAnnotator``
            (people, stop and resume).
        ledger_dir (str): Ledger directory, relative to the work dir.
        num_vis (int): Images per round drawn into ``<ledger_dir>/vis``.
    """

    priority = 'NORMAL'  # before CheckpointHook: checkpoints hold the round

    def __init__(self,
                 dataloader: dict,
                 select_iters: Sequence[int],
                 mode: str = 'region',
                 budget_ratio: float = 0.022,
                 radius: int = 1,
                 normalizer: Optional[float] = None,
                 pixels_per_image: int = 40,
                 pa_radius: int = 32,
                 pa_reference_size: Tuple[int, int] = (640, 1280),
                 annotator: dict = dict(type='SimulatedAnnotator'),
                 ledger_dir: str = 'active_ledger',
                 num_vis: int = 4):
        if mode not in ('region', 'pixel'):
            raise ValueError(f"ActiveSelectionHook: mode must be 'region' or "
                             f"'pixel', got {mode!r}")
        if not select_iters or sorted(set(select_iters)) != list(
                select_iters):
            raise ValueError('ActiveSelectionHook: select_iters must be a '
                             f'non-empty increasing list, got {select_iters}')
        if mode == 'region' and not 0. < budget_ratio <= 1.:
            raise ValueError(f'ActiveSelectionHook: budget_ratio must be in '
                             f'(0, 1], got {budget_ratio}')
        self.dataloader_cfg = dict(dataloader)
        self.dataloader_cfg['sampler'] = dict(
            type='DefaultSampler', shuffle=False, round_up=False)
        self.select_iters = list(select_iters)
        self.mode = mode
        self.budget_ratio = budget_ratio
        self.radius = radius
        self.normalizer = normalizer
        self.pixels_per_image = pixels_per_image
        self.pa_radius = pa_radius
        self.pa_reference_size = tuple(pa_reference_size)
        self.annotator = TASK_UTILS.build(annotator)
        self.ledger_dir_name = ledger_dir
        self.num_vis = num_vis
        self._paths: Optional[dict] = None  # ledger key -> image path
        self.ledger: Optional[ActiveLabelLedger] = None
        self._checkpoint_state = None
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
        if self.mode == 'region':
            return ActiveLabelLedger(
                num_classes, budget_ratio=self.budget_ratio)
        # PA budgets depend on the image size: select_pixels applies them.
        return ActiveLabelLedger(num_classes)

    def _num_classes(self, runner) -> int:
        return len(self._get_dataloader(runner).dataset.metainfo['classes'])

    def _get_dataloader(self, runner):
        if self._dataloader is None:
            self._dataloader = runner.build_dataloader(
                self.dataloader_cfg, seed=runner.seed)
        return self._dataloader

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._checkpoint_state = checkpoint.get('active_ledger')
        self._checkpoint_pending = checkpoint.get('active_pending')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['active_ledger'] = self.ledger.state_dict()
        if self._pending is not None:
            checkpoint['active_pending'] = self._pending

    def before_train(self, runner) -> None:
        self.ledger_root = osp.join(runner.work_dir, self.ledger_dir_name)
        found = 0
        for transform in _iter_transforms(runner.train_dataloader.dataset):
            if isinstance(transform, LoadActiveLabels):
                transform.ledger_dir = self.ledger_root
                found += 1
        if not found:
            raise RuntimeError(
                'ActiveSelectionHook: the training target pipeline has no '
                'LoadActiveLabels transform, so the selected labels would '
                'never reach training')
        self.ledger = self._new_ledger(self._num_classes(runner))
        if runner.iter > 0:
            if self._checkpoint_state is None:
                raise RuntimeError(
                    f'resumed at iteration {runner.iter} from a checkpoint '
                    'without an active-label ledger: it was not written by '
                    'a run with ActiveSelectionHook')
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
            f'({self.ledger_root})')

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

    def _budget(self, shape: Tuple[int, int]) -> Tuple[int, int]:
        """(picks this round, pixels per pick) for an image of ``shape``."""
        height, width = shape
        if self.mode == 'region':
            return (regions_per_round(height, width, self.budget_ratio,
                                      self.num_rounds, self.radius),
                    (2 * self.radius + 1)**2)
        return (pixels_per_round(height, width, self.pixels_per_image,
                                 self.num_rounds, self.pa_reference_size), 1)

    def _pixel_budget(self, shape: Tuple[int, int]) -> int:
        if self.mode == 'region':
            return self.ledger.budget_of(shape)
        return self._budget(shape)[0] * self.num_rounds

    def select_image(self, key: str, logits: torch.Tensor,
                     data_sample) -> Tuple[np.ndarray, int]:
        """One image's round: the new ledger map and its new labels."""
        new, selected = self.select_pixels(key, logits)
        labels = self.annotator(key, torch.from_numpy(selected), data_sample)
        return _with_labels(new, selected, labels), int(selected.sum())

    def select_pixels(self, key: str,
                      logits: torch.Tensor) -> Tuple[np.ndarray, np.ndarray]:
        """One image's selection: its ledger map with the new active pixels
        (not labelled yet) and the boolean mask of the pixels to label."""
        shape = tuple(logits.shape[-2:])
        old = self.ledger.get(key, shape)  # all untouched if never picked
        picks, pick_area = self._budget(shape)
        left = self._pixel_budget(shape) - self.ledger.labelled_pixels(key)
        picks = max(0, min(picks, left // pick_area))
        active = torch.from_numpy(old != UNTOUCHED).to(logits.device)
        if self.mode == 'region':
            selected, active = region_annotate(logits, active, picks,
                                               self.radius, self.normalizer)
        else:
            selected, active = pixel_annotate(logits, active, picks,
                                              self.pa_radius)
        # a labelled window may reach into suppressed (active) pixels of
        # earlier picks, never into labelled ones
        selected = selected.cpu().numpy() & (old >= ACTIVE)
        new = old.copy()
        new[active.cpu().numpy() & (old == UNTOUCHED)] = ACTIVE
        return new, selected

    @torch.no_grad()
    def run_round(self, runner, iteration: int) -> None:
        """Score this rank's share of the target set, then merge."""
        rank, world_size = get_dist_info()
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        dataloader = self._get_dataloader(runner)
        round_no = self.ledger.num_rounds + 1
        runner.logger.info(
            f'active selection round {round_no}/{self.num_rounds} at iter '
            f'{iteration}: scoring {len(dataloader.dataset)} target images '
            f'on {world_size} rank(s)')
        bar = ProgressBar(len(dataloader.sampler)) if rank == 0 else None
        was_training = model.training
        model.eval()
        deferred = getattr(self.annotator, 'requires_pause', False)
        local: List[tuple] = []
        for data in dataloader:
            for sample in model.test_step(data):
                key = LoadActiveLabels.key_of(sample.img_path)
                if deferred:  # labelled later, by people
                    new_map, selected = self.select_pixels(
                        key, sample.seg_logits.data)
                    local.append((key, encode_map(new_map),
                                  encode_map(selected.astype(np.uint8)),
                                  sample.img_path))
                else:
                    new_map, count = self.select_image(
                        key, sample.seg_logits.data, sample)
                    local.append((key, encode_map(new_map), count))
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
                           [(key, decode_map(data, key))
                            for key, data, _ in merged])

    def _commit_round(self, runner, round_no: int, iteration: int,
                      maps: List[Tuple[str, np.ndarray]]) -> None:
        """Record the new maps of a round in the ledger and publish it."""
        rank = runner.rank
        dataloader = self._get_dataloader(runner)
        new_pixels = 0
        drawn = []
        for key, new_map in maps:
            if len(drawn) < self.num_vis:  # the old map, for the overlay
                old = self.ledger.get(key) if key in self.ledger else None
                drawn.append((key, old))
            new_pixels += self.ledger.update(key, new_map)
        record = self.ledger.close_round(iteration, new_pixels)
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
        """Export a round's selection and stop training after this
        iteration (the checkpoint is saved in :meth:`after_train`)."""
        requests = []
        for key, _, selected, img_path in merged:
            mask = decode_map(selected, key) > 0
            if mask.any():
                requests.append((key, img_path, mask))
        if not requests:  # budget spent: nothing to ask, no need to stop
            self._commit_round(runner, round_no, iteration,
                               [(key, decode_map(data, key))
                                for key, data, _, _ in merged])
            return
        self._pending = dict(
            round=round_no,
            iter=iteration,
            maps={key: new_map
                  for key, new_map, _, _ in merged},
            selected={key: selected
                      for key, _, selected, _ in merged})
        classes = self._get_dataloader(runner).dataset.metainfo['classes']
        if runner.rank == 0:
            self.annotator.export(runner.work_dir, round_no, requests,
                                  len(classes), classes)
        barrier()
        self._stop_for_annotation = True
        runner.logger.info(
            f'active selection round {round_no}/{self.num_rounds} at iter '
            f'{iteration}: {sum(int(m.sum()) for _, _, m in requests)} '
            f'pixels of {len(requests)} images to be labelled by people; '
            'training stops after this iteration')

    def after_train(self, runner) -> None:
        if not self._stop_for_annotation:
            return
        self._stop_for_annotation = False
        round_no = self._pending['round']
        path = save_resumable_checkpoint(
            runner, f'iter_{runner.iter}_annotation.pth',
            meta=dict(epoch=runner.epoch, iter=runner.iter))
        barrier()
        round_dir = self.annotator.round_dir(runner.work_dir, round_no)
        config = getattr(runner.cfg, 'filename', None) or 'CONFIG'
        runner.logger.info(
            f'Training stopped at iteration {runner.iter} for the human '
            f'annotation of active selection round {round_no}:\n'
            f'  to label: {round_dir}/masks/<key>.png (255 = label this '
            f'pixel), listed in {round_dir}/manifest.json\n'
            f'  labels go to: {round_dir}/labels/<key>.png, one per mask: '
            'single-channel uint8 class ids (trainIds), 255 = void, the size '
            'of the image (see labels/README.txt)\n'
            f'  check them: python tools/active_annotation.py check '
            f'{round_dir}\n'
            f'  then resume: python tools/train.py {config} --work-dir '
            f'{runner.work_dir} --resume (plus this run\'s other options)\n'
            f'  checkpoint: {path}')

    def _import_pending(self, runner) -> None:
        """Resume of a stopped round: import the people's labels, record
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
        if not getattr(self.annotator, 'requires_pause', False):
            raise RuntimeError(
                f'the checkpoint at iter {runner.iter} waits for the human '
                f'labels of round {round_no}, but the annotator is '
                f'{type(self.annotator).__name__}: resume with the '
                'FileAnnotator of the run that stopped')
        round_dir = self.annotator.round_dir(runner.work_dir, round_no)
        selected = {
            key: decode_map(data, key) > 0
            for key, data in pending['selected'].items()
        }
        requested = {k: m for k, m in selected.items() if m.any()}
        missing = self.annotator.pending(round_dir)
        if missing:
            raise AnnotationError(
                f'cannot resume: active selection round {round_no} waits '
                f'for its labels; {len(missing)} of {len(requested)} label '
                f'files are missing:\n  ' + '\n  '.join(missing) +
                f'\nlabel them (see {round_dir}/labels/README.txt), then '
                'resume again')
        labels = self.annotator.collect(round_dir, requested)
        runner.logger.info(f'active selection round {round_no}: importing '
                           f'the labels of {round_dir}')
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
