"""The interface between the active-selection hook and who labels."""
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, NamedTuple, Optional, Sequence

import numpy as np


class AnnotationRequest(NamedTuple):
    """The pixels of one target image to be labelled in a round.

    Attributes:
        key (str): The image's ledger key (its file stem).
        img_path (str): Path of the image file.
        selected (np.ndarray): ``H x W`` bool mask of the pixels to label,
            at the label resolution the hook scored.
        data_sample (SegDataSample, optional): The scored data sample (with
            ``gt_sem_seg`` when the scoring pipeline loads annotations);
            ``None`` where the request is rebuilt from a checkpoint.
    """
    key: str
    img_path: str
    selected: np.ndarray
    data_sample: Optional[Any] = None


class BaseAnnotator(metaclass=ABCMeta):
    """Who labels the pixels an acquisition strategy picked.

    :class:`~mmda.engine.ActiveSelectionHook` talks to every annotator
    through this interface only. In round ``k``, on every rank:

    1. :meth:`request` any number of times, with that rank's picks (the
       hook asks as it scores, once per image with at least one selected
       pixel);
    2. annotators that answer at once (``requires_pause = False``, e.g.
       :class:`SimulatedAnnotator`) return the labels of those picks from
       :meth:`collect` right after each :meth:`request`;
    3. annotators that pause training (``requires_pause = True``, people:
       :class:`FileAnnotator`) get :meth:`submit` once after the last batch
       (a collective call: the requests of all ranks are handed over
       together); the run then stops, and the resumed run calls
       :meth:`collect` with the round's whole selection, read back from the
       checkpoint.

    Labels are uint8 maps of the image's label resolution: class ids on the
    requested pixels, 255 for a pixel the annotator calls void; other
    pixels are not read.
    """

    #: Whether the labels come back only in a later run (the hook then
    #: saves the pending round in a checkpoint and stops training).
    requires_pause = False

    def setup(self, work_dir: str, class_names: Sequence[str]) -> None:
        """Called by the hook before training: the run's work dir and the
        target classes (trainId order)."""
        self.work_dir = work_dir
        self.class_names = list(class_names)

    @abstractmethod
    def request(self, round_no: int,
                picks: Sequence[AnnotationRequest]) -> None:
        """Ask for the labels of ``picks`` in round ``round_no`` (from 1)."""

    def submit(self, round_no: int) -> None:
        """Hand the round's requests over (collective, pausing annotators
        only): called on every rank after the round's last
        :meth:`request`."""

    @abstractmethod
    def collect(self, round_no: int,
                selected: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        """The labels of the requested pixels of round ``round_no``.

        Args:
            round_no (int): The round, from 1.
            selected (dict): key -> bool ``H x W`` mask of the pixels that
                were requested.

        Returns:
            dict: key -> uint8 ``H x W`` labels, one per key of
            ``selected``.
        """

    def instructions(self, round_no: int) -> str:
        """What people do after the run stopped for round ``round_no``
        (pausing annotators)."""
        return ''
