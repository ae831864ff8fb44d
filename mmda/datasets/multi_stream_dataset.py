"""A dataset of named streams (source, target, a second target view, ...)
for domain-adaptation training."""
import copy
from typing import Dict, List, Tuple, Union

from mmengine.dataset import BaseDataset, Compose
from mmengine.dataset.base_dataset import force_full_init
from mmseg.registry import DATASETS
from torch.utils.data import Dataset

from ..utils.keyed_randomness import derive_seed, seed_of, seeded_rngs


def _describe(ds) -> str:
    root = getattr(ds, 'data_root', None)
    return f'{type(ds).__name__}(data_root={root!r})'


def _is_view(cfg) -> bool:
    return isinstance(cfg, dict) and 'view_of' in cfg


class _View:
    """A stream that re-runs its own pipeline on the sample drawn for
    another stream (``view_of``): e.g. the teacher's view of the student's
    target image."""

    def __init__(self, name: str, view_of: str, pipeline: list) -> None:
        self.name, self.view_of = name, view_of
        self.pipeline = Compose(pipeline)

    def get(self, parent, idx: int) -> dict:
        return self.pipeline(parent.get_data_info(idx))


@DATASETS.register_module()
class MultiStreamDataset(Dataset):
    """Joint samples of several named streams, e.g.
    ``{'source': ..., 'target': ..., 'source_aug': ...}``.

    Every stream is either

    * **drawn**: a dataset (or its config) with its own pipeline, sampled
      independently of the others; or
    * **a view**: ``dict(view_of=NAME, pipeline=[...])``, its own pipeline
      run on the very sample drawn for the drawn stream ``NAME`` (two views
      of one target image for a student and a teacher, say).

    Index space: the mixed-radix product of the drawn streams in the order
    given, ``idx = (...(i_0 * n_1 + i_1) * n_2 + ...) + i_k``, ``len =
    n_0 · n_1 ⋯``; :meth:`split_index` / :meth:`join_index` convert. For
    ``source`` and ``target`` this is :class:`TwoDomainDataset`'s
    ``s * len(target) + t``. Drive it with ``TwoDomainInfiniteSampler``,
    which draws the first stream with class-aware sampling and every other
    drawn stream in shuffled epochs.

    An index carrying a seed (:class:`~mmda.utils.SeededIndex`) runs stream
    number ``k`` (in the order given, views included) under the seed
    ``derive_seed(seed, k)``: each stream's augmentations are a function of
    the sample's stream position, so resumed runs repeat them exactly.

    ``metainfo`` is the first stream's; the class lists of all drawn
    streams must agree. Initialisation is lazy like mmengine's dataset
    wrappers (``lazy_init``, ``full_init``).

    Args:
        streams (dict[str, dict | BaseDataset]): stream name → dataset,
            dataset config or view ``dict(view_of=..., pipeline=...)``; the
            first must be drawn.
        lazy_init (bool): defer ``full_init`` (loading the file lists).
    """

    def __init__(self,
                 streams: Dict[str, Union[dict, BaseDataset]],
                 lazy_init: bool = False) -> None:
        if not isinstance(streams, dict) or not streams:
            raise ValueError(f'{self._owner}: streams must be a non-empty '
                             f'dict of name -> dataset, got {streams!r}')
        self.stream_names: List[str] = list(streams)
        first = self.stream_names[0]
        if _is_view(streams[first]):
            raise ValueError(f'{self._owner}: the first stream {first!r} '
                             'must be a dataset, not a view')
        self.datasets: Dict[str, Dataset] = {}
        self.views: Dict[str, _View] = {}
        for name, cfg in streams.items():
            if _is_view(cfg):
                self.views[name] = self._view(name, cfg)
            else:
                self.datasets[name] = self._build(cfg, name)
        for name, ds in self.datasets.items():
            self._check_classes(first, self.datasets[first], name, ds)
        self._metainfo = copy.deepcopy(self.datasets[first].metainfo)
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def _owner(self) -> str:
        return type(self).__name__

    def _view(self, name: str, cfg: dict) -> _View:
        extra = sorted(set(cfg) - {'view_of', 'pipeline'})
        parent = cfg['view_of']
        if extra or 'pipeline' not in cfg:
            raise KeyError(f'{self._owner}: view stream {name!r} takes '
                           "'view_of' and 'pipeline' only (got "
                           f'{sorted(cfg)})')
        if parent not in self.datasets:
            raise KeyError(f'{self._owner}: stream {name!r} is a view of '
                           f'{parent!r}, which is not a dataset stream given '
                           f'before it (dataset streams: '
                           f'{list(self.datasets)})')
        return _View(name, parent, cfg['pipeline'])

    def _build(self, cfg, name: str):
        if isinstance(cfg, dict):
            return DATASETS.build(cfg)
        if isinstance(cfg, Dataset):
            return cfg
        raise TypeError(f'{self._owner}: {name} must be a dataset or a '
                        f'config dict, got {type(cfg)}')

    def _check_classes(self, first: str, ref, name: str, ds) -> None:
        ref_cls = ref.metainfo.get('classes')
        cls = ds.metainfo.get('classes')
        if ref_cls is None or cls is None or tuple(ref_cls) != tuple(cls):
            raise ValueError(
                f'{self._owner}: the {first} and {name} class lists differ: '
                f'{first} {_describe(ref)} has {ref_cls}, {name} '
                f'{_describe(ds)} has {cls}. Use the same num_classes '
                '(protocol) for every stream.')

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    @property
    def drawn_streams(self) -> List[str]:
        """Names of the drawn (dataset) streams, in index order."""
        return [n for n in self.stream_names if n in self.datasets]

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        for ds in self.datasets.values():
            if hasattr(ds, 'full_init'):
                ds.full_init()
        empty = {n: _describe(d) for n, d in self.datasets.items()
                 if len(d) == 0}
        if empty:
            raise ValueError(f'{self._owner}: empty stream(s) {empty} '
                             '(no samples)')
        self._fully_initialized = True

    @force_full_init
    def stream_lengths(self) -> Tuple[int, ...]:
        """Lengths of the drawn streams, in index order."""
        return tuple(len(self.datasets[n]) for n in self.drawn_streams)

    @force_full_init
    def split_index(self, idx: int) -> Tuple[int, ...]:
        """Joint index -> one index per drawn stream."""
        n = len(self)
        if idx < 0:
            idx += n
        if not 0 <= idx < n:
            raise IndexError(f'{self._owner} index {idx} out of range '
                             f'[0, {n})')
        out = []
        for size in reversed(self.stream_lengths()):
            idx, i = divmod(int(idx), size)
            out.append(i)
        return tuple(reversed(out))

    @force_full_init
    def join_index(self, *indices: int) -> int:
        """One index per drawn stream -> joint index."""
        lengths = self.stream_lengths()
        if len(indices) != len(lengths):
            raise ValueError(f'{self._owner}: {len(lengths)} stream indices '
                             f'expected ({self.drawn_streams}), got '
                             f'{len(indices)}')
        idx = 0
        for i, size in zip(indices, lengths):
            idx = idx * size + int(i)
        return idx

    def _stream_indices(self, idx: int) -> Dict[str, int]:
        drawn = dict(zip(self.drawn_streams, self.split_index(idx)))
        return {
            n: drawn[self.views[n].view_of] if n in self.views else drawn[n]
            for n in self.stream_names
        }

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """Data info of every stream (a view: its stream's)."""
        out = {}
        for name, i in self._stream_indices(idx).items():
            ds = self.datasets[self.views[name].view_of] \
                if name in self.views else self.datasets[name]
            out[name] = ds.get_data_info(i)
        return out

    @force_full_init
    def __len__(self) -> int:
        total = 1
        for size in self.stream_lengths():
            total *= size
        return total

    def _get(self, name: str, i: int) -> dict:
        if name in self.views:
            view = self.views[name]
            return view.get(self.datasets[view.view_of], i)
        return self.datasets[name][i]

    def __getitem__(self, idx: int) -> dict:
        seed = seed_of(idx)
        out = {}
        for k, (name, i) in enumerate(self._stream_indices(idx).items()):
            # the stream's own seed: its flips depend on the position only
            with seeded_rngs(None if seed is None else derive_seed(seed, k)):
                out[name] = self._get(name, i)
        return out
