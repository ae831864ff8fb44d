"""A dataset of (source, target) pairs for two-domain training."""
from typing import Union

from mmengine.dataset import BaseDataset
from mmengine.dataset.base_dataset import force_full_init
from mmseg.registry import DATASETS
from torch.utils.data import Dataset

from .multi_stream_dataset import MultiStreamDataset


@DATASETS.register_module()
class TwoDomainDataset(MultiStreamDataset):
    """Pairs every source sample with every target sample: the
    :class:`MultiStreamDataset` of the streams ``source`` and ``target``.

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
        super().__init__(
            streams=dict(source=source, target=target), lazy_init=lazy_init)

    @property
    def source(self) -> Dataset:
        return self.datasets['source']

    @property
    def target(self) -> Dataset:
        return self.datasets['target']

    @force_full_init
    def pair_index(self, source_idx: int, target_idx: int) -> int:
        """(source index, target index) -> pair index."""
        return self.join_index(source_idx, target_idx)
