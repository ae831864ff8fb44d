"""Infinite sampler of joint samples of named streams ((source, target)
pairs and more) with class-aware source sampling."""
import os.path as osp
from typing import Iterator, Optional

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmseg.registry import DATA_SAMPLERS
from torch.utils.data import Sampler

from ...utils.keyed_randomness import SeededIndex, sample_seed
from ..class_stats import DEFAULT_STATS_FILE
from ..multi_stream_dataset import MultiStreamDataset
from .class_sampling import (ClassIndex, block_rng, class_balanced_block,
                             rare_class_block, uniform_block)

#: Block generators of stream k (in the dataset's order) use stream id k.
_SOURCE_STREAM = 0


class _BlockStream:
    """Random access into an infinite stream made of fixed-size blocks."""

    def __init__(self, block_fn, block_size: int) -> None:
        self.block_fn, self.block_size = block_fn, block_size
        self._k, self._block = -1, None

    def __getitem__(self, n: int) -> int:
        k, off = divmod(n, self.block_size)
        if k != self._k:
            self._block, self._k = self.block_fn(k), k
        return int(self._block[off])


@DATA_SAMPLERS.register_module()
class TwoDomainInfiniteSampler(Sampler):
    """Infinite, deterministic, DDP-aware sampler for iteration-based
    training, on a :class:`~mmda.datasets.TwoDomainDataset`, any
    :class:`~mmda.datasets.MultiStreamDataset` or a plain dataset.

    One global stream of samples is defined by ``seed`` alone; rank ``r`` of
    ``W`` takes elements ``r, r + W, r + 2W, ...`` (like mmengine's
    ``InfiniteSampler``), so 2 ranks × batch ``b`` see the same samples as
    1 rank × batch ``2b``. Element ``n`` of the stream is the pair
    ``(s_n, t_n)`` of the ``n``-th source and target draws, yielded as the
    pair index ``s_n * len(target) + t_n`` (or ``s_n`` on a plain dataset,
    e.g. for source-only training with class balancing). On a dataset of
    more streams, element ``n`` holds the ``n``-th draw of every drawn
    stream, joined by the dataset's :meth:`~mmda.datasets.
    MultiStreamDataset.join_index` (views follow their stream).

    Source sampling (``source_sampling``):

    * ``'uniform'``: shuffled epochs over the source (``shuffle=False``:
      in order);
    * ``'class_balanced'`` (RIPU): sub-epochs of ``subepoch_size`` draws;
      each draw picks a class with weight ``1 / log(1.01 + f_c)`` and then
      the next image of a shuffled cycle through the images containing it.
      ``cb_frequency='running'`` (default, RIPU's released code): ``f_c`` is
      the share of class ``c`` among the classes of the images drawn so far
      in the sub-epoch; ``'pixel'``: the static class pixel frequency of
      the statistics file;
    * ``'rare_class'`` (DAFormer): i.i.d. draws of a class with
      ``p_c ∝ exp((1 - f_c) / T)``, ``T = rcs_temperature``, ``f_c`` the
      class pixel frequency, then a uniform image among those with more than
      ``min_pixels`` pixels of it.

    Class frequencies come from the source's statistics file
    (:mod:`mmda.datasets.class_stats`), restricted to the dataset's classes
    (a 16-class dataset samples its 16 classes). Classes without any image
    are never drawn. The first stream (the source) is sampled this way;
    the target and every further drawn stream are always drawn in shuffled
    epochs.

    Each block of the stream (a source epoch or sub-epoch, a target epoch)
    has its own generator derived from ``(seed, stream number, block
    number)`` (the source is stream 0, the target 1, ...), so
    :meth:`set_position` jumps to any position without replaying the stream
    (only the current block is generated).

    Indices are yielded as :class:`~mmda.utils.SeededIndex`: element ``n``
    also carries the seed ``sample_seed(seed, n)`` under which the mmda
    datasets run its augmentations (:mod:`mmda.utils.keyed_randomness`), so
    a sample's random flips depend on its stream position only, not on the
    rank, the dataloader worker or whether the run was resumed.

    Args:
        dataset: :class:`MultiStreamDataset` (e.g. ``TwoDomainDataset``)
            or any sized dataset.
        shuffle (bool): shuffle the uniform streams. Defaults to True.
        seed (int, optional): seed of the stream; None draws one random
            seed shared by all ranks.
        source_sampling (str): ``'uniform'``, ``'class_balanced'`` or
            ``'rare_class'``.
        class_stats_file (str, optional): statistics file of the source;
            relative paths are taken from the source ``data_root``.
            Defaults to the source dataset's ``class_stats_path()``, else
            ``<source data_root>/class_stats.json``.
        subepoch_size (int): block size of the class-aware streams.
            Defaults to 3000 (RIPU's sub-epoch).
        cb_frequency (str): ``'running'`` or ``'pixel'`` (see above).
        rcs_temperature (float): DAFormer's T. Defaults to 0.01.
        min_pixels (int, optional): an image enters a class's list when it
            has more than this many pixels of the class. Defaults to 0
            (any) for ``class_balanced`` and 3000 (DAFormer) for
            ``rare_class``.
        start_position (int): initial position, see :meth:`set_position`.
    """

    MODES = ('uniform', 'class_balanced', 'rare_class')

    def __init__(self,
                 dataset,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 source_sampling: str = 'uniform',
                 class_stats_file: Optional[str] = None,
                 subepoch_size: int = 3000,
                 cb_frequency: str = 'running',
                 rcs_temperature: float = 0.01,
                 min_pixels: Optional[int] = None,
                 start_position: int = 0) -> None:
        if source_sampling not in self.MODES:
            raise ValueError(f'source_sampling must be one of {self.MODES}, '
                             f'got {source_sampling!r}')
        if cb_frequency not in ('running', 'pixel'):
            raise ValueError("cb_frequency must be 'running' or 'pixel', got "
                             f'{cb_frequency!r}')
        if subepoch_size <= 0:
            raise ValueError(f'subepoch_size must be > 0, got '
                             f'{subepoch_size}')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.source_sampling = source_sampling
        self.subepoch_size = int(subepoch_size)
        self.cb_frequency = cb_frequency
        self.rcs_temperature = rcs_temperature
        if min_pixels is None:
            min_pixels = 3000 if source_sampling == 'rare_class' else 0
        self.min_pixels = int(min_pixels)

        if hasattr(dataset, 'full_init'):
            dataset.full_init()
        if isinstance(dataset, MultiStreamDataset):
            drawn = [dataset.datasets[n] for n in dataset.drawn_streams]
            self.source = drawn[0]
            #: lengths of the streams after the source (target, ...)
            self.other_lengths = dataset.stream_lengths()[1:]
        else:
            self.source, self.other_lengths = dataset, ()
        self.num_source = len(self.source)
        if self.num_source == 0:
            raise ValueError('TwoDomainInfiniteSampler: empty dataset')
        self.size = len(dataset)

        self.class_index = None
        self.class_stats_file = None
        if source_sampling != 'uniform':
            self.class_stats_file = self._stats_path(class_stats_file)
            if not osp.isfile(self.class_stats_file):
                conv = getattr(self.source, 'CONVERTER', '') or '<dataset>'
                raise FileNotFoundError(
                    f'class statistics file {self.class_stats_file} not '
                    f'found (needed by source_sampling={source_sampling!r}). '
                    f'It is written by the dataset converter: python tools/'
                    f'dataset_converters/{conv}.py <data_root>; or set the '
                    'sampler\'s class_stats_file.')
            self.class_index = ClassIndex.from_dataset(
                self.source, self.class_stats_file, self.min_pixels)
        self.set_position(start_position)

    def _stats_path(self, path: Optional[str]) -> str:
        root = getattr(self.source, 'data_root', None) or ''
        if path:
            return path if osp.isabs(path) else osp.join(root, path)
        if hasattr(self.source, 'class_stats_path'):
            return self.source.class_stats_path()
        return osp.join(root, DEFAULT_STATS_FILE)

    # -------------------------------------------------------------- blocks
    def _source_block(self, k: int) -> np.ndarray:
        rng = block_rng(self.seed, _SOURCE_STREAM, k)
        if self.source_sampling == 'uniform':
            return uniform_block(self.num_source, rng, self.shuffle)
        if self.source_sampling == 'class_balanced':
            return class_balanced_block(self.class_index, self.subepoch_size,
                                        rng, self.cb_frequency)
        return rare_class_block(self.class_index, self.subepoch_size, rng,
                                self.rcs_temperature)

    def _uniform_stream(self, stream: int, size: int) -> _BlockStream:
        """Shuffled epochs of stream number ``stream`` (1: the target)."""
        return _BlockStream(
            lambda k: uniform_block(size, block_rng(self.seed, stream, k),
                                    self.shuffle), size)

    def _streams(self):
        src_bs = self.num_source if self.source_sampling == 'uniform' \
            else self.subepoch_size
        src = _BlockStream(self._source_block, src_bs)
        return [src] + [
            self._uniform_stream(stream, size)
            for stream, size in enumerate(self.other_lengths, start=1)
        ]

    def _element(self, streams, n: int) -> int:
        """Dataset index of element ``n``: the draws of every stream joined
        in mixed radix (``s * len(target) + t`` for two)."""
        index = streams[0][n]
        for stream, size in zip(streams[1:], self.other_lengths):
            index = index * size + stream[n]
        return index

    def global_indices(self, start: int, count: int) -> np.ndarray:
        """Elements ``start .. start + count - 1`` of the global stream
        (all ranks), as dataset indices."""
        streams = self._streams()
        return np.array(
            [self._element(streams, start + i) for i in range(count)],
            dtype=np.int64)

    # ------------------------------------------------------------ sampler
    def set_position(self, n: int) -> None:
        """Start (or continue) the global stream at element ``n``.

        ``n`` counts the samples consumed by all ranks together, i.e.
        ``iterations × batch size per rank × world size`` for a resumed run;
        the next sample of rank ``r`` is then global element ``n + r``.
        Equivalent to drawing ``n`` samples (over all ranks) and discarding
        them, at the cost of generating a single block.
        """
        if n < 0:
            raise ValueError(f'position must be >= 0, got {n}')
        self._position = int(n)

    @property
    def position(self) -> int:
        """Global position of the next element of rank 0 (see
        :meth:`set_position`)."""
        return self._position

    def __iter__(self) -> Iterator[int]:
        streams = self._streams()
        while True:
            n = self._position + self.rank
            self._position += self.world_size
            yield SeededIndex(
                self._element(streams, n), sample_seed(self.seed, n))

    def __len__(self) -> int:
        """Length of the dataset (as mmengine's ``InfiniteSampler``)."""
        return self.size

    def set_epoch(self, epoch: int) -> None:
        """Not used by iteration-based training."""
