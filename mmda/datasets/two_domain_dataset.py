"""A dataset of (source, target) pairs for two-domain training."""
import copy
from typing import Tuple, Union

from mmengine.dataset import BaseDataset
from mmengine.dataset.base_dataset import force_full_init
from mmseg.registry import DATASETS
from torch.utils.data import Dataset

from ..utils.keyed_randomness import derive_seed, seed_of, seeded_rngs


def _describe(ds) -> str:
    root = getattr(ds, 'data_root', None)
    return f'{type(ds).__name__}(data_root={root!r})'


@DATASETS.register_module()
class TwoDomainDataset(Dataset):
    """Pairs every source sample with every target sample.

    Index space: ``idx = s * len(target) + t`` gives
    ``{'source': source[s], 'target': target[t]}``, the outputs of each
    domain's own pipeline (the target pipeline may or may not load labels).
    ``len = len(source) * len(target)``. Drive it with
    ``TwoDomainInfiniteSampler``, which draws ``s`` and ``t`` independently
    (uniform, class-balanced or rare-class source sampling); mmengine's
    ``InfiniteSampler`` also works (uniform pairs).

    An index carrying a seed (:class:`~mmda.utils.SeededIndex`, yielded by
    ``TwoDomainInfiniteSampler``) runs the source and target pipelines
    under two seeds derived from it, whatever the domain datasets' classes.

    ``metainfo`` is the source's; the source and target class lists must
    agree. Initialisation is lazy like mmengine's dataset wrappers
    (``lazy_init``, ``full_init``).

    Args:
        source (dict | BaseDataset): source dataset or its config.
        target (dict | BaseDataset): target dataset or its config.
        lazy_init (bool): defer ``full_init`` (loading both file lists).
    """

    def __init__(self,
                 source: Union[dict, BaseDataset],
                 target: Union[dict, BaseDataset],
                 lazy_init: bool = False) -> None:
        self.source = self._build(source, 'source')
        self.target = self._build(target, 'target')
        src_cls = self.source.metainfo.get('classes')
        tgt_cls = self.target.metainfo.get('classes')
        if src_cls is None or tgt_cls is None or \
                tuple(src_cls) != tuple(tgt_cls):
            raise ValueError(
                'TwoDomainDataset: the source and target class lists differ: '
                f'source {_describe(self.source)} has {src_cls}, target '
                f'{_describe(self.target)} has {tgt_cls}. Use the same '
                'num_classes (protocol) for both domains.')
        self._metainfo = copy.deepcopy(self.source.metainfo)
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @staticmethod
    def _build(cfg, role: str):
        if isinstance(cfg, dict):
            return DATASETS.build(cfg)
        if isinstance(cfg, Dataset):
            return cfg
        raise TypeError(f'TwoDomainDataset: {role} must be a dataset or a '
                        f'config dict, got {type(cfg)}')

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        for ds in (self.source, self.target):
            if hasattr(ds, 'full_init'):
                ds.full_init()
        if len(self.source) == 0 or len(self.target) == 0:
            raise ValueError(
                f'TwoDomainDataset: empty domain (source '
                f'{_describe(self.source)}: {len(self.source)} samples, '
                f'target {_describe(self.target)}: {len(self.target)})')
        self._fully_initialized = True

    @force_full_init
    def split_index(self, idx: int) -> Tuple[int, int]:
        """Pair index -> (source index, target index)."""
        n = len(self)
        if idx < 0:
            idx += n
        if not 0 <= idx < n:
            raise IndexError(f'TwoDomainDataset index {idx} out of range '
                             f'[0, {n})')
        return divmod(idx, len(self.target))

    @force_full_init
    def pair_index(self, source_idx: int, target_idx: int) -> int:
        """(source index, target index) -> pair index."""
        return source_idx * len(self.target) + target_idx

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        s, t = self.split_index(idx)
        return dict(
            source=self.source.get_data_info(s),
            target=self.target.get_data_info(t))

    @force_full_init
    def __len__(self) -> int:
        return len(self.source) * len(self.target)

    def __getitem__(self, idx: int) -> dict:
        s, t = self.split_index(idx)
        seed = seed_of(idx)
        if seed is None:
            return dict(source=self.source[s], target=self.target[t])
        with seeded_rngs(derive_seed(seed, 0)):
            source = self.source[s]
        with seeded_rngs(derive_seed(seed, 1)):
            target = self.target[t]
        return dict(source=source, target=target)
