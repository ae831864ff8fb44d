"""The active-label ledger: which target pixels are labelled, and with what.

One uint8 map per touched target image, at label resolution:

* ``0 .. C-1``: labelled, with that class;
* :data:`LABELLED_IGNORE` (253): labelled by the annotator as void;
* :data:`ACTIVE` (254): suppressed by an earlier pick, not labelled;
* :data:`UNTOUCHED` (255).

Images never scored have no map (all untouched). Maps are held PNG-encoded
(a few KB each, even at 1024×2048), so the whole ledger fits in a checkpoint
and in memory on every rank.

On disk (``<work_dir>/active_ledger``) every round is written into a
directory ``round_<k>/`` (maps as ``<image stem>.png`` plus ``ledger.json``)
and published by atomically replacing the ``current`` symlink, so a crash or
a kill never leaves a half-written ledger behind: readers (the training
pipeline's :class:`~mmda.datasets.transforms.LoadActiveLabels`,
:meth:`ActiveLabelLedger.load`) see either the previous round or the new
one, and ``current`` always names a whole directory. The round directory
that ``current`` names is never renamed or rewritten in place: a resume that
republishes it first points ``current`` at a complete staged copy. Leftovers
of a crashed publish (hidden ``.round_*`` and ``.current.tmp*`` entries) are
removed by the next :meth:`ActiveLabelLedger.save`.
"""
import contextlib
import json
import os
import os.path as osp
import re
import shutil
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import cv2
import numpy as np

from ..utils.atomic_write import (fsync_dir, fsync_tree, publish_dir,
                                  temp_dir_for, writing_dir)
from ..utils.fault_injection import fault_point
from .budget import region_budget

LABELLED_IGNORE = 253
ACTIVE = 254
UNTOUCHED = 255
LEDGER_VERSION = 1
CURRENT_LINK = 'current'
INDEX_FILE = 'ledger.json'


class LedgerError(RuntimeError):
    """A ledger that is corrupt or does not match the data or the budget."""


def encode_map(ledger_map: np.ndarray) -> bytes:
    ok, buf = cv2.imencode('.png', ledger_map)
    if not ok:
        raise LedgerError('could not PNG-encode a ledger map')
    return buf.tobytes()


def decode_map(data: bytes, what: str) -> np.ndarray:
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None or arr.dtype != np.uint8 or arr.ndim != 2:
        raise LedgerError(f'corrupt ledger map for {what}')
    return arr


def ledger_map_to_labels(ledger_map: np.ndarray,
                         num_classes: Optional[int] = None,
                         ignore_index: int = 255) -> np.ndarray:
    """Training labels of a ledger map: classes kept, everything else
    (labelled-ignore, selected, untouched) ``ignore_index``.

    ``num_classes`` is accepted for symmetry with the ledger; the class ids
    of a validated map are all below :data:`LABELLED_IGNORE`.
    """
    labels = ledger_map.copy()
    labels[ledger_map >= LABELLED_IGNORE] = ignore_index
    return labels


class ActiveLabelLedger:
    """Per-image active/labelled state of active domain adaptation.

    Invariants checked on every update, so they hold across rounds, resumes
    and ranks: a labelled pixel is never relabelled or unlabelled, an active
    pixel never becomes untouched again, and no image exceeds its pixel
    budget.

    Args:
        num_classes (int): Number of classes of the segmentor.
        budget_ratio (float, optional): Labelled pixels per image, as a
            fraction of its pixels (region-based annotating).
        budget_pixels (int, optional): Labelled pixels per image, absolute
            (pixel-based annotating). At most one of the two.
        budget_regions (dict, optional): With ``budget_ratio``, RIPU RA's
            rule ``dict(num_rounds=R, radius=K)``: the budget is every
            round's whole regions (:func:`~mmda.active.budget.
            region_budget`), not ``floor(H * W * budget_ratio)``.
    """

    def __init__(self,
                 num_classes: int,
                 budget_ratio: Optional[float] = None,
                 budget_pixels: Optional[int] = None,
                 budget_regions: Optional[dict] = None):
        if num_classes >= LABELLED_IGNORE:
            raise ValueError(f'a ledger holds at most {LABELLED_IGNORE} '
                             f'classes, got {num_classes}')
        if budget_ratio is not None and budget_pixels is not None:
            raise ValueError('give budget_ratio or budget_pixels, not both')
        if budget_regions is not None:
            if budget_ratio is None:
                raise ValueError('budget_regions needs budget_ratio')
            if set(budget_regions) != {'num_rounds', 'radius'}:
                raise ValueError('budget_regions must be dict(num_rounds=R, '
                                 f'radius=K), got {budget_regions!r}')
            budget_regions = dict(budget_regions)
        self.num_classes = num_classes
        self.budget_ratio = budget_ratio
        self.budget_pixels = budget_pixels
        self.budget_regions = budget_regions
        self._maps: Dict[str, bytes] = {}
        self._labelled: Dict[str, int] = {}
        self._shapes: Dict[str, Tuple[int, int]] = {}
        self.rounds: List[dict] = []

    # ----------------------------------------------------------- queries
    @property
    def keys(self) -> List[str]:
        return sorted(self._maps)

    def __contains__(self, key: str) -> bool:
        return key in self._maps

    def shape_of(self, key: str) -> Tuple[int, int]:
        """(H, W) of the stored map of ``key`` (without decoding it)."""
        return self._shapes[key]

    @property
    def num_rounds(self) -> int:
        return len(self.rounds)

    def budget_of(self, shape: Tuple[int, int]) -> int:
        """Pixel budget of an image of ``shape`` (H, W)."""
        if self.budget_pixels is not None:
            return int(self.budget_pixels)
        if self.budget_regions is not None:
            return region_budget(shape[0], shape[1], self.budget_ratio,
                                 **self.budget_regions)
        if self.budget_ratio is not None:
            return int(np.floor(shape[0] * shape[1] * self.budget_ratio))
        return shape[0] * shape[1]

    def get(self, key: str, shape: Optional[Tuple[int, int]] = None
            ) -> np.ndarray:
        """The map of ``key`` (all untouched if never updated).

        ``shape`` is checked against the stored map when both exist.
        """
        if key not in self._maps:
            if shape is None:
                raise KeyError(f'ledger has no map for {key!r}; pass shape')
            return np.full(shape, UNTOUCHED, np.uint8)
        arr = decode_map(self._maps[key], key)
        if shape is not None and tuple(arr.shape) != tuple(shape):
            raise LedgerError(
                f'ledger map of {key!r} is {arr.shape[0]}x{arr.shape[1]} but '
                f'the image label is {shape[0]}x{shape[1]}: the ledger '
                'belongs to other data')
        return arr

    def labelled_pixels(self, key: Optional[str] = None) -> int:
        """Labelled pixels of one image, or of all images."""
        if key is not None:
            return self._labelled.get(key, 0)
        return sum(self._labelled.values())

    def budget_left(self, key: str, shape: Tuple[int, int]) -> int:
        return self.budget_of(shape) - self.labelled_pixels(key)

    # ----------------------------------------------------------- updates
    def update(self, key: str, new_map: np.ndarray) -> int:
        """Replace the map of ``key``; returns the newly labelled pixels.

        Raises:
            LedgerError: if the update relabels or forgets a pixel, or
                exceeds the image's budget.
        """
        new_map = np.ascontiguousarray(new_map, dtype=np.uint8)
        old = self.get(key, new_map.shape)
        labelled_before = old < ACTIVE
        labelled_after = new_map < ACTIVE
        if np.any(labelled_before & (new_map != old)):
            raise LedgerError(f'{key}: update changes already labelled '
                              'pixels (no pixel is labelled twice)')
        if np.any((old == ACTIVE) & (new_map == UNTOUCHED)):
            raise LedgerError(f'{key}: update releases active pixels')
        bad = (new_map >= self.num_classes) & (new_map < LABELLED_IGNORE)
        if np.any(bad):
            raise LedgerError(f'{key}: labels {np.unique(new_map[bad])} are '
                              f'outside the {self.num_classes} classes')
        count = int(labelled_after.sum())
        budget = self.budget_of(new_map.shape)
        if count > budget:
            raise LedgerError(f'{key}: {count} labelled pixels exceed the '
                              f'budget of {budget}')
        self._maps[key] = encode_map(new_map)
        self._labelled[key] = count
        self._shapes[key] = tuple(new_map.shape)
        return count - int(labelled_before.sum())

    def close_round(self, iteration: int, new_pixels: int) -> dict:
        """Record a finished selection round."""
        record = dict(
            round=self.num_rounds + 1,
            iter=int(iteration),
            new_pixels=int(new_pixels),
            labelled_pixels=self.labelled_pixels())
        self.rounds.append(record)
        return record

    # ------------------------------------------------- (de)serialisation
    def state_dict(self) -> dict:
        return dict(
            version=LEDGER_VERSION,
            num_classes=self.num_classes,
            budget_ratio=self.budget_ratio,
            budget_pixels=self.budget_pixels,
            budget_regions=self.budget_regions,
            rounds=list(self.rounds),
            maps=dict(self._maps))

    def load_state_dict(self, state: dict, what: str = 'checkpoint') -> None:
        """Restore from :meth:`state_dict`, validating everything."""
        if not isinstance(state, dict) or state.get(
                'version') != LEDGER_VERSION:
            raise LedgerError(f'active-label ledger in {what} has an unknown '
                              'format')
        for name in ('num_classes', 'budget_ratio', 'budget_pixels',
                     'budget_regions'):
            if state.get(name) != getattr(self, name):
                raise LedgerError(
                    f'active-label ledger in {what} has {name}='
                    f'{state.get(name)!r} but the config says '
                    f'{getattr(self, name)!r}')
        fresh = ActiveLabelLedger(self.num_classes, self.budget_ratio,
                                  self.budget_pixels, self.budget_regions)
        for key, data in state['maps'].items():
            fresh.update(key, decode_map(data, f'{key} in {what}'))
        fresh.rounds = [dict(r) for r in state['rounds']]
        self.__dict__.update(fresh.__dict__)

    def check_keys(self, valid_keys: Iterable[str], what: str) -> None:
        """Every map must belong to an image of ``valid_keys``."""
        unknown = sorted(set(self._maps) - set(valid_keys))
        if unknown:
            raise LedgerError(
                f'the active-label ledger has maps for {len(unknown)} images '
                f'that {what} does not have, e.g. {unknown[:3]}')

    def save(self, root: str) -> str:
        """Write the ledger as round directory and publish it atomically.

        Returns:
            str: The new round directory.
        """
        os.makedirs(root, exist_ok=True)
        name = f'round_{self.num_rounds:03d}'
        final = osp.join(root, name)
        remove_publish_leftovers(root)
        live = _current_target(root) == name
        with writing_dir(final) if not live else _staged(final) as tmp:
            for key, data in self._maps.items():
                with open(osp.join(tmp, f'{key}.png'), 'wb') as f:
                    f.write(data)
            index = dict(
                version=LEDGER_VERSION,
                num_classes=self.num_classes,
                budget_ratio=self.budget_ratio,
                budget_pixels=self.budget_pixels,
                budget_regions=self.budget_regions,
                rounds=self.rounds,
                labelled={k: self._labelled[k]
                          for k in sorted(self._labelled)})
            with open(osp.join(tmp, INDEX_FILE), 'w') as f:
                json.dump(index, f, indent=1)
            fault_point('ledger.written')
            if live:
                fsync_tree(tmp)
                # the live round is being rewritten (e.g. after a resume):
                # readers move to the complete staged copy first
                _point_current(root, osp.basename(tmp))
                fault_point('ledger.current_on_staged')
        fault_point('ledger.round_published')
        _point_current(root, name)
        remove_publish_leftovers(root)
        return final

    @classmethod
    def load(cls, root: str) -> 'ActiveLabelLedger':
        """Read the published round of a ledger directory."""
        index_file = osp.join(root, CURRENT_LINK, INDEX_FILE)
        if not osp.isfile(index_file):
            raise LedgerError(f'no active-label ledger at {root} '
                              f'({index_file} is missing)')
        try:
            with open(index_file) as f:
                index = json.load(f)
        except (OSError, ValueError) as err:
            raise LedgerError(f'corrupt ledger index {index_file}: {err}')
        if not isinstance(index, dict) or index.get(
                'version') != LEDGER_VERSION:
            raise LedgerError(f'ledger index {index_file} has an unknown '
                              'format')
        missing = [
            k for k in ('num_classes', 'budget_ratio', 'budget_pixels',
                        'rounds', 'labelled') if k not in index
        ]
        if missing:
            raise LedgerError(f'corrupt ledger index {index_file}: no '
                              f'{", ".join(missing)}')
        try:
            # (ledgers written before budget_regions have none)
            ledger = cls(index['num_classes'], index['budget_ratio'],
                         index['budget_pixels'],
                         index.get('budget_regions'))
        except (TypeError, ValueError) as err:
            raise LedgerError(
                f'corrupt ledger index {index_file}: {err}') from err
        round_dir = osp.dirname(index_file)
        for key, count in index['labelled'].items():
            path = osp.join(round_dir, f'{key}.png')
            if not osp.isfile(path):
                raise LedgerError(f'ledger map {path} listed in {index_file} '
                                  'is missing')
            with open(path, 'rb') as f:
                ledger_map = decode_map(f.read(), path)
            try:
                got = ledger.update(key, ledger_map)
            except LedgerError as err:
                raise LedgerError(f'ledger map {path} does not fit '
                                  f'{index_file}: {err}') from err
            if got != count:
                raise LedgerError(f'ledger map {path} has {got} labelled '
                                  f'pixels, {index_file} says {count}')
        ledger.rounds = index['rounds']
        return ledger


def read_published_map(root: str, key: str) -> Optional[np.ndarray]:
    """The published map of ``key`` in a ledger directory (None if the image
    is untouched or nothing is published yet)."""
    path = osp.join(root, CURRENT_LINK, f'{key}.png')
    if not osp.isfile(path):
        return None
    with open(path, 'rb') as f:
        return decode_map(f.read(), path)


def _current_target(root: str) -> Optional[str]:
    """The name ``root/current`` links to (None: no link)."""
    link = osp.join(root, CURRENT_LINK)
    return os.readlink(link) if osp.islink(link) else None


def _point_current(root: str, target: str) -> None:
    """Point ``root/current`` at ``target`` in one atomic step."""
    link = osp.join(root, CURRENT_LINK)
    link_tmp = osp.join(root, f'.{CURRENT_LINK}.tmp{os.getpid()}')
    if osp.lexists(link_tmp):
        os.remove(link_tmp)
    os.symlink(target, link_tmp)
    if osp.isdir(link) and not osp.islink(link):
        # a copy of the work dir that followed the link (shutil.copytree,
        # cloud sync) holds a directory: exchanged for the link
        publish_dir(link_tmp, link)
    else:
        os.replace(link_tmp, link)
    fsync_dir(root)


@contextlib.contextmanager
def _staged(final: str) -> Iterator[str]:
    """Like :func:`~mmda.utils.atomic_write.writing_dir` for the round that
    ``current`` names: the block writes a staged copy, which the caller
    points ``current`` at; the copy is then published under the round's
    name, which no reader uses meanwhile. The stage stays until
    :func:`remove_publish_leftovers`."""
    head, name = osp.split(final)
    stage = osp.join(head, f'.{name}.stage{os.getpid()}')
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(stage)
    try:
        yield stage
    except BaseException:
        if _current_target(head) != osp.basename(stage):  # (not in use)
            shutil.rmtree(stage, ignore_errors=True)
        raise
    tmp = temp_dir_for(final)
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(stage, tmp)
    fsync_tree(tmp)
    publish_dir(tmp, final)


_LEFTOVER = re.compile(r'^\.(round_\d+\.(tmp|old|stage)|'
                       rf'{CURRENT_LINK}\.tmp)\d+$')


def remove_publish_leftovers(root: str) -> List[str]:
    """Remove what crashed publishes left in ledger directory ``root``
    (except what ``current`` names); returns the removed paths."""
    if not osp.isdir(root):
        return []
    keep = _current_target(root)
    removed = []
    for name in os.listdir(root):
        if name == keep or not _LEFTOVER.match(name):
            continue
        path = osp.join(root, name)
        if osp.isdir(path) and not osp.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)
        removed.append(path)
    return removed
