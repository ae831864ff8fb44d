"""Cost of one active selection round against one plain inference pass.

The physical floor of a selection round is one inference pass over the
target images: a round must predict every image once. This script runs, in
one process and side by side (interleaved, ``--repeats`` times, medians),

* the **inference pass** that ``tools/test.py`` runs (its ``TestLoop``
  without the metric): ``model.test_step`` on every batch of the round's own
  dataloader (same model, same images, same pipeline, same batches), and
* **one selection round**: ``ActiveSelectionHook.run_round`` on the same
  dataloader with a fresh ledger (inference, the strategy's scores, the
  greedy picks, the simulated annotator, the ledger maps, the merge of the
  ranks' maps, the ledger commit and its atomic publication on disk, and the
  round's overlays),

and prints the ratio round / inference and where the round's time goes. It
runs in one process with world size 1: the merge (``all_gather_object``)
is then a no-op, so the DDP all-gather itself is not timed. Two workloads:

(a) the embedded benchmark: the RIPU RA config's scoring dataloader over
    the 300 target-train images (256 x 128) with its small DeepLab-v2,
    randomly initialised (seeded), dataloader workers off so that loading
    is timed in this process (``--workers`` to change);
(b) synthetic 1024 x 2048 images: ``--synthetic-images`` random images
    with random 19-class ground truth at Cityscapes resolution through the
    same model: the inference pass produces 19 x 1024 x 2048 logits per
    image, and the round adds scoring, selection and the ledger on them.

Both rounds select at RA's budget of the config over 5 rounds (round 1).
The digest printed for (a) is the SHA-256 of the round's ledger maps: equal
digests mean identical picks and labels. Output also written to
``benchmarks/results/acquisition_cost.txt``::

    python benchmarks/acquisition_cost.py [--repeats 3] [--threads 1]
"""
import argparse
import contextlib
import hashlib
import os
import os.path as osp
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
RESULTS_DIR = osp.join(ROOT, 'benchmarks', 'results')
CONFIG = osp.join(ROOT, 'configs', 'ripu',
                  'ripu_ra-5_deeplabv2-small_sim2real-gta5-to-cityscapes.py')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument(
        '--data-parent', default=ROOT,
        help='directory holding data/sim2real (the configs\' data_root); '
        'the embedded benchmark is generated there when missing')
    parser.add_argument('--repeats', type=int, default=3,
                        help='interleaved (inference, round) pairs')
    parser.add_argument('--workers', type=int, default=0,
                        help='dataloader workers of both passes')
    parser.add_argument('--synthetic-images', type=int, default=2)
    parser.add_argument('--skip-synthetic', action='store_true')
    parser.add_argument(
        '--threads', type=int, default=1,
        help='torch CPU threads (0: its default); one by default, as the '
        'trainings run them')
    parser.add_argument('--out', default=osp.join(RESULTS_DIR,
                                                  'acquisition_cost.txt'))
    return parser.parse_args(argv)


class PhaseTimer:
    """Wall time per phase, from wrapped callables."""

    def __init__(self):
        self.seconds = defaultdict(float)
        self._wrapped = []

    def wrap(self, owner, name: str, phase: str) -> None:
        """Time every call of ``owner.name`` as ``phase``."""
        own = vars(owner).get(name, self)  # self: not set on owner itself
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - start

        setattr(owner, name, timed)
        self._wrapped.append((owner, name, own))

    def unwrap_all(self) -> None:
        for owner, name, own in reversed(self._wrapped):
            if own is self:
                delattr(owner, name)
            else:
                setattr(owner, name, own)
        self._wrapped = []


class TimedLoader:
    """A dataloader whose batch fetching (decoding, pipeline, collate) is
    timed as ``loading``."""

    def __init__(self, loader, timer: PhaseTimer):
        self.loader, self.timer = loader, timer
        self.dataset, self.sampler = loader.dataset, loader.sampler

    def __iter__(self):
        iterator = iter(self.loader)
        while True:
            start = time.perf_counter()
            try:
                batch = next(iterator)
            except StopIteration:
                return
            finally:
                self.timer.seconds['loading'] += time.perf_counter() - start
            yield batch


def inference_pass(model, loader) -> float:
    """What tools/test.py's TestLoop runs per batch, without the metric."""
    start = time.perf_counter()
    model.eval()
    with torch.no_grad():
        for data in loader:
            model.test_step(data)
    model.train()
    return time.perf_counter() - start


@contextlib.contextmanager
def quiet_progress():
    """The hook's progress bar goes to /dev/null while timing."""
    import mmengine.utils.progressbar as progressbar
    with open(os.devnull, 'w') as devnull:
        original = progressbar.ProgressBar.__init__

        def init(self, *args, **kwargs):
            kwargs['file'] = devnull
            original(self, *args, **kwargs)

        progressbar.ProgressBar.__init__ = init
        try:
            yield
        finally:
            progressbar.ProgressBar.__init__ = original


def selection_round(hook, runner, loader, work_dir: str) -> dict:
    """One round with a fresh ledger; its phases' seconds."""
    from mmda.active import label_ledger
    from mmda.active.strategies import base_strategy
    from mmda.engine.hooks import active_selection_hook as hook_module
    timer = PhaseTimer()
    hook.ledger = hook._new_ledger(hook.ledger.num_classes)
    hook.ledger_root = osp.join(work_dir, 'active_ledger')
    shutil.rmtree(hook.ledger_root, ignore_errors=True)
    hook._dataloader = TimedLoader(loader, timer)
    model = runner.model
    for owner, name, phase in (
            (model, 'test_step', 'inference'),
            (hook.strategy, 'score', 'scoring'),
            (base_strategy, 'select_regions', 'selection'),
            (hook, 'select_pixels', '_select_pixels'),
            (hook, 'select_image', '_select_image'),
            (hook_module, 'encode_map', 'ledger maps (PNG)'),
            (hook_module, 'decode_map', 'ledger maps (PNG)'),
            (hook.ledger, 'update', 'ledger update'),
            (label_ledger.ActiveLabelLedger, 'save', 'ledger publish'),
            (hook, '_draw', 'overlays')):
        timer.wrap(owner, name, phase)
    start = time.perf_counter()
    try:
        with quiet_progress():
            hook.run_round(runner, 1)
    finally:
        total = time.perf_counter() - start
        timer.unwrap_all()
        hook._dataloader = loader
    s = timer.seconds
    phases = {
        'loading (decode, pipeline, collate)': s['loading'],
        'inference (test_step)': s['inference'],
        'scoring (strategy.score)': s['scoring'],
        'selection (select_regions)': s['selection'],
        'ledger map, active mask (select_pixels rest)':
        s['_select_pixels'] - s['scoring'] - s['selection'],
        'annotator (simulated)': s['_select_image'] - s['_select_pixels'],
        'ledger maps (PNG encode/decode)': s['ledger maps (PNG)'],
        'ledger update (checks, PNG)': s['ledger update'],
        'ledger publish (disk)': s['ledger publish'],
        'overlays (disk)': s['overlays'],
    }
    phases['other'] = total - sum(phases.values())
    phases['total'] = total
    return phases


def ledger_digest(ledger) -> str:
    digest = hashlib.sha256()
    for key in ledger.keys:
        digest.update(key.encode())
        digest.update(ledger.get(key).tobytes())
    return digest.hexdigest()[:16]


def compare(hook, runner, loader, repeats: int, work_dir: str):
    """Interleaved (inference pass, round) pairs after a warm-up pair."""
    inference_pass(runner.model, loader)  # warm-up
    selection_round(hook, runner, loader, work_dir)
    inference, rounds = [], []
    for _ in range(repeats):
        inference.append(inference_pass(runner.model, loader))
        rounds.append(selection_round(hook, runner, loader, work_dir))
    ratios = [r['total'] / i for r, i in zip(rounds, inference)]
    phases = {
        name: statistics.median(r[name] for r in rounds)
        for name in rounds[0]
    }
    return statistics.median(inference), phases, statistics.median(ratios)


def format_block(title: str, inference: float, phases: dict, ratio: float,
                 images: int) -> list:
    lines = [
        title, '  inference pass (as tools/test.py runs it): '
        f'{inference:.3f} s ({images / inference:.1f} images/s)',
        f'  selection round: {phases["total"]:.3f} s',
        f'  ratio round / inference: {ratio:.2f} (median of the '
        'interleaved pairs\' ratios)', '  where the round\'s time goes '
        '(median seconds, share of the round):'
    ]
    for name, seconds in phases.items():
        if name != 'total':
            lines.append(f'    {name:<46} {seconds:8.3f}  '
                         f'{100 * seconds / phases["total"]:5.1f} %')
    return lines


class SyntheticSet:
    """Random 1024 x 2048 target images with random 19-class ground truth,
    in the form the scoring dataloader yields (one image per batch)."""

    def __init__(self, classes, num_images: int, size=(1024, 2048)):
        from mmengine.structures import PixelData

        from mmseg.structures import SegDataSample
        self.metainfo = dict(classes=classes)
        generator = torch.Generator().manual_seed(0)
        self.batches = []
        for i in range(num_images):
            image = torch.randint(0, 256, (3, *size), generator=generator,
                                  dtype=torch.uint8)
            sample = SegDataSample()
            sample.set_metainfo(
                dict(img_path=f'synthetic/{i:03d}_leftImg8bit.png',
                     img_shape=size, ori_shape=size, pad_shape=size,
                     scale_factor=(1.0, 1.0), flip=False))
            sample.gt_sem_seg = PixelData(data=torch.randint(
                0, len(classes), (1, *size), generator=generator,
                dtype=torch.uint8).long())
            self.batches.append(dict(inputs=[image], data_samples=[sample]))
        self.dataset = self
        self.sampler = list(range(num_images))

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        return iter(self.batches)


def machine_lines(args) -> list:
    affinity = len(os.sched_getaffinity(0)) if hasattr(
        os, 'sched_getaffinity') else os.cpu_count()
    load = ', '.join(f'{v:.2f}' for v in os.getloadavg())
    return [
        f'machine: {platform.processor() or platform.machine()}, '
        f'{os.cpu_count()} cores ({affinity} usable), load average {load}',
        f'torch {torch.__version__}, torch threads '
        f'{torch.get_num_threads()} (interop '
        f'{torch.get_num_interop_threads()}), OMP_NUM_THREADS='
        f'{os.environ.get("OMP_NUM_THREADS", "unset")}, MKL_NUM_THREADS='
        f'{os.environ.get("MKL_NUM_THREADS", "unset")}, dataloader workers '
        f'{args.workers}',
        'one process, world size 1 (the round\'s all-gather is a no-op and '
        'not timed); inference and round interleaved, '
        f'{args.repeats} pairs after a warm-up pair, medians: the load of '
        'other jobs on the machine affects both sides alike',
    ]


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
    from sim2real_results import ensure_data
    from mmda.apis import build_runner_from_args
    from mmda.engine.hooks.active_selection_hook import ActiveSelectionHook
    data_dir = osp.join(args.data_parent, 'data', 'sim2real')
    ensure_data(data_dir, sys.executable)
    os.chdir(args.data_parent)  # the configs' relative data_root
    lines = machine_lines(args)
    with tempfile.TemporaryDirectory() as work_dir:
        runner = build_runner_from_args(
            args.config,
            work_dir=work_dir,
            cfg_options={
                'custom_hooks.0.dataloader.num_workers': args.workers,
                'train_dataloader.num_workers': 0,
                'train_dataloader.persistent_workers': False,
                'randomness.seed': 0,
            })
        hook, = (h for h in runner.hooks
                 if isinstance(h, ActiveSelectionHook))
        hook.before_train(runner)
        loader = hook._get_dataloader(runner)
        images = len(loader.dataset)
        lines.append(f'config: {osp.relpath(args.config, ROOT)}, strategy '
                     f'{hook.strategy!r}, {hook.num_rounds} rounds')
        inference, phases, ratio = compare(hook, runner, loader,
                                           args.repeats, work_dir)
        lines += format_block(
            f'(a) embedded benchmark: {images} target-train images, '
            f'{loader.batch_size} per batch, scored at label resolution '
            f'{tuple(hook.ledger.shape_of(hook.ledger.keys[0]))}',
            inference, phases, ratio, images)
        lines.append(f'  ledger digest after the round: '
                     f'{ledger_digest(hook.ledger)} '
                     f'({hook.ledger.labelled_pixels()} pixels labelled)')
        print('\n'.join(lines), flush=True)
        if not args.skip_synthetic:
            synthetic = SyntheticSet(loader.dataset.metainfo['classes'],
                                     args.synthetic_images)
            hook.num_vis = 0  # no image files to draw on
            inference, phases, ratio = compare(hook, runner, synthetic,
                                               args.repeats, work_dir)
            block = format_block(
                f'(b) synthetic: {args.synthetic_images} random images at '
                '1024 x 2048 with random ground truth, one per batch, '
                'through the same model (19 x 1024 x 2048 logits each); '
                'the round scores, selects and records at 1024 x 2048',
                inference, phases, ratio, args.synthetic_images)
            block.append(f'  ledger digest after the round: '
                         f'{ledger_digest(hook.ledger)} '
                         f'({hook.ledger.labelled_pixels()} pixels '
                         'labelled)')
            print('\n'.join(block), flush=True)
            lines += block
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
