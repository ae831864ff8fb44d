"""The interface of acquisition strategies (what to label in a round)."""
from abc import ABCMeta, abstractmethod
from typing import Optional, Tuple

from torch import Tensor

from ..select_regions import select_regions


class BaseAcquisitionStrategy(metaclass=ABCMeta):
    """Scores one target image and picks what to label in a round.

    A strategy owns the three parts of an acquisition function that vary
    between RIPU's modes and their ablations:

    * the **score** of every pixel, the centre of a candidate pick
      (:meth:`score`);
    * the **pick shape**: each pick labels the ``(2 label_radius + 1)^2``
      window around its centre and suppresses the
      ``(2 mask_radius + 1)^2`` window (those pixels become *active*: never
      picked again, in this round or a later one);
    * the **budget**: picks per image and round
      (:meth:`picks_per_round`) and the pixels an image may have labelled
      in all (:meth:`image_budget`).

    Selection (:meth:`select`) is RIPU's greedy non-maximum suppression on
    the score, vectorised (:func:`~mmda.active.select_regions`): the
    highest-scoring centre first, ties to the smallest row-major index.
    :class:`~mmda.engine.ActiveSelectionHook` does the scheduling, the
    ledger and the annotation; it builds its strategy from ``TASK_UTILS``.

    Args:
        label_radius (int): Half-size of the labelled window of a pick.
        mask_radius (int): Half-size of the suppressed window of a pick.
    """

    def __init__(self, label_radius: int, mask_radius: int):
        for name, value in (('label_radius', label_radius),
                            ('mask_radius', mask_radius)):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f'{type(self).__name__}: {name} must be a '
                                 f'non-negative int, got {value!r}')
        self.label_radius = label_radius
        self.mask_radius = mask_radius

    # ------------------------------------------------------------ budget
    def ledger_budget(self, num_rounds: int) -> dict:
        """The budget arguments of the
        :class:`~mmda.active.ActiveLabelLedger` that enforces
        :meth:`image_budget` (for a budget that depends on the image
        size); empty when the selection applies the budget alone."""
        return dict()

    @abstractmethod
    def picks_per_round(self, shape: Tuple[int, int],
                        num_rounds: int) -> int:
        """Picks per image of ``shape`` (H, W) and round."""

    @abstractmethod
    def image_budget(self, shape: Tuple[int, int], num_rounds: int) -> int:
        """Pixels an image of ``shape`` may have labelled after all
        ``num_rounds`` rounds."""

    @property
    def pick_area(self) -> int:
        """Pixels labelled by one pick (away from the image border)."""
        return (2 * self.label_radius + 1)**2

    def num_picks(self, shape: Tuple[int, int], num_rounds: int,
                  labelled: int) -> int:
        """Picks of this round for an image with ``labelled`` pixels
        labelled already: the per-round count, capped so that whole picks
        stay within :meth:`image_budget` (a budget of every round's whole
        picks, as RA's, never caps a round)."""
        left = self.image_budget(shape, num_rounds) - labelled
        return max(0, min(self.picks_per_round(shape, num_rounds),
                          left // self.pick_area))

    # --------------------------------------------------------- selection
    @abstractmethod
    def score(self, logits: Tensor, key: str, round_no: int) -> Tensor:
        """``H x W`` score of every pixel as the centre of a pick.

        Args:
            logits (Tensor): ``C x H x W`` logits of one target image at
                label resolution.
            key (str): The image's ledger key (its file stem).
            round_no (int): The selection round, from 1.
        """

    def select(self, logits: Tensor, active: Optional[Tensor],
               num_picks: int, key: str,
               round_no: int) -> Tuple[Tensor, Tensor]:
        """One image's picks of a round.

        Args:
            logits (Tensor): ``C x H x W`` logits at label resolution.
            active (Tensor, optional): ``H x W`` bool mask of the pixels
                active from earlier rounds (labelled or suppressed): no
                pick is centred on them.
            num_picks (int): Picks to make, e.g. :meth:`num_picks`.
            key (str): The image's ledger key.
            round_no (int): The selection round, from 1.

        Returns:
            tuple[Tensor, Tensor]: ``selected`` (pixels to label now) and
            the updated ``active`` mask, both ``H x W`` bool.
        """
        score = self.score(logits, key, round_no)
        return select_regions(score, num_picks, self.label_radius,
                              self.mask_radius, active)

    def bind_run_seed(self, seed: int) -> None:
        """Take the training run's seed (``randomness.seed``, as the
        runner resolved it); :class:`~mmda.engine.ActiveSelectionHook`
        calls this in ``before_train``. Strategies with draws of their own
        that follow the run's seed by default override it; the others
        ignore it."""

    def config(self) -> dict:
        """The strategy's arguments with its type, as in a config; saved in
        checkpoints so that a resumed run can check it selects as before."""
        return dict(type=type(self).__name__, **self._arguments())

    @abstractmethod
    def _arguments(self) -> dict:
        """The constructor arguments of this strategy."""

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v!r}' for k, v in self._arguments().items())
        return f'{type(self).__name__}({args})'
