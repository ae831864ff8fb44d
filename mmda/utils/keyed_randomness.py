"""Randomness as a pure function of a key, for runs that resume exactly.

mmengine seeds the process-global generators (``random``, ``numpy``,
``torch``) once per process and does not save their states in checkpoints;
dataloader workers are seeded once when they start. A resumed run therefore
draws other random numbers than the uninterrupted run would have drawn from
the same point on: random flips, crops and dropout masks differ, and so do
the final weights.

mmda instead derives the state of the generators from *what* is being
computed, never from how much was computed before in this process:

* a data sample's augmentations from ``(seed, position of the sample in the
  global sample stream)``: :class:`~mmda.datasets.TwoDomainInfiniteSampler`
  yields :class:`SeededIndex` objects (an ``int`` carrying the sample's
  seed) and the mmda datasets run the sample's pipeline under
  :func:`seeded_rngs`; the same sample gets the same flips on any rank, in
  any dataloader worker, with any number of workers, before or after a
  resume;
* an iteration's model randomness (dropout, random sampling in losses) from
  ``(seed, iteration, rank)``: :class:`~mmda.engine.SeekableIterBasedTrainLoop`
  calls :func:`seed_global_rngs` before every iteration.

Nothing has to be saved in checkpoints, and the result does not depend on
dataloader prefetching or worker scheduling.
"""
import random
from contextlib import contextmanager
from typing import Iterator, Optional

import numpy as np
import torch

#: Stream ids keep the seeds of different uses independent.
SAMPLE_STREAM = 0x5A
ITERATION_STREAM = 0x17


def derive_seed(*key: int) -> int:
    """A 64-bit seed from a tuple of non-negative integers (via numpy's
    ``SeedSequence``: well mixed, different keys give unrelated seeds)."""
    words = np.random.SeedSequence([int(k) for k in key]).generate_state(
        2, np.uint32)
    return int(words[0]) << 32 | int(words[1])


def seed_global_rngs(seed: int) -> None:
    """Seed ``random``, ``numpy``'s legacy global generator and torch (CPU
    and every CUDA device) from one 64-bit ``seed``."""
    seed = int(seed)
    random.seed(seed)
    np.random.seed([seed & 0xFFFFFFFF, seed >> 32])
    torch.manual_seed(seed)


@contextmanager
def seeded_rngs(seed: Optional[int]) -> Iterator[None]:
    """Run a block with the global generators seeded from ``seed``, then
    restore their previous states (so the block leaves no trace on the
    caller's random stream). ``seed=None`` runs the block unchanged."""
    if seed is None:
        yield
        return
    py_state = random.getstate()
    np_state = np.random.get_state()
    torch_state = torch.random.get_rng_state()
    seed_global_rngs(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.random.set_rng_state(torch_state)


class SeededIndex(int):
    """A dataset index that carries the seed of the sample's randomness.

    It is an ``int``, so any dataset can be indexed with it; datasets that
    know it (the mmda datasets) run the sample's pipeline under
    :func:`seeded_rngs` with :attr:`seed`. It survives pickling into
    dataloader workers.
    """

    def __new__(cls, index: int, seed: int) -> 'SeededIndex':
        obj = super().__new__(cls, index)
        obj.seed = int(seed)
        return obj

    def __reduce__(self):
        return SeededIndex, (int(self), self.seed)

    def __repr__(self) -> str:
        return f'SeededIndex({int(self)}, seed={self.seed})'


def seed_of(index) -> Optional[int]:
    """The sample seed carried by ``index``, or None for a plain int."""
    return getattr(index, 'seed', None)


def sample_seed(seed: int, position: int) -> int:
    """Seed of element ``position`` of a sample stream defined by ``seed``."""
    return derive_seed(seed, SAMPLE_STREAM, position)


def iteration_seed(seed: int, iteration: int, rank: int) -> int:
    """Seed of the model randomness of ``iteration`` on ``rank``."""
    return derive_seed(seed, ITERATION_STREAM, iteration, rank)
