"""Baseline for RIPU RA: regions picked at random."""
import hashlib
from typing import Optional

import torch
from torch import Tensor

from mmseg.registry import TASK_UTILS
from ...utils.keyed_randomness import derive_seed
from .base_region_strategy import BaseRegionStrategy

#: Stream id of the region draws (see :mod:`mmda.utils.keyed_randomness`).
RANDOM_REGIONS_STREAM = 0x3A


def key_number(key: str) -> int:
    """A stable 64-bit number of an image key (first 8 bytes of its
    sha256; Python's ``hash`` of a string changes between processes)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], 'big')


def check_seed(seed, what: str) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f'RandomRegions: {what} must be a non-negative '
                         f'int, got {seed!r}')


@TASK_UTILS.register_module()
class RandomRegions(BaseRegionStrategy):
    """RIPU RA's regions and budget, centres drawn at random.

    Every pixel gets a uniform random score in [0, 1), drawn from a
    generator seeded with ``(seed, round, image key)``
    (:func:`~mmda.utils.derive_seed`), and the regions are picked greedily
    on it like RA's, with the same suppression: uniformly random regions
    that do not overlap earlier picks' windows. The draws depend on what is
    selected, never on what ran before in the process, so a resumed run,
    any number of DDP ranks and any dataloader order pick the same
    regions; another ``seed`` gives other regions.

    By default the draws follow the training run's seed
    (``randomness.seed``, given by the hook in ``before_train``), so the
    seeds of a results row label different regions and the row's spread
    includes the acquisition's own randomness; a fixed ``seed`` labels the
    same regions whatever the training seed.

    Args:
        budget_ratio (float): Labelled fraction of each image's pixels.
        radius (int): Region half-size ``K``. Defaults to 1.
        seed (int, optional): Seed of the draws. Defaults to None: the
            training run's seed (0 where the strategy is used without
            :class:`~mmda.engine.ActiveSelectionHook`).
    """

    def __init__(self,
                 budget_ratio: float = 0.022,
                 radius: int = 1,
                 seed: Optional[int] = None):
        super().__init__(budget_ratio, radius)
        if seed is not None:
            check_seed(seed, 'seed')
        self.follows_run_seed = seed is None
        self.seed = 0 if seed is None else seed

    def bind_run_seed(self, seed: int) -> None:
        if self.follows_run_seed:
            check_seed(seed, 'the run\'s seed (randomness.seed)')
            self.seed = seed

    def score(self, logits: Tensor, key: str, round_no: int) -> Tensor:
        generator = torch.Generator().manual_seed(
            derive_seed(self.seed, RANDOM_REGIONS_STREAM, round_no,
                        key_number(key)))
        # drawn on the CPU: the same regions on any device
        score = torch.rand(
            tuple(logits.shape[-2:]),
            generator=generator,
            dtype=torch.float64)
        return score.to(logits.device)

    def _arguments(self) -> dict:
        return dict(super()._arguments(), seed=self.seed)
