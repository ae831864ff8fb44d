"""RIPU's pixel-based annotating (PA): pixel entropy x region impurity."""
from typing import Tuple

from torch import Tensor

from mmseg.registry import TASK_UTILS
from ..budget import pixels_per_round
from ..region_scores import pixel_scores
from .base_strategy import BaseAcquisitionStrategy


@TASK_UTILS.register_module()
class PixelImpurityUncertainty(BaseAcquisitionStrategy):
    """RIPU PA (Xie et al., CVPR 2022): single pixels, score = the pixel's
    prediction entropy x the region impurity of the ``(2K+1)^2`` window
    around it, both unnormalised (:func:`~mmda.active.pixel_scores`).

    Each picked pixel is labelled alone and suppresses its ``(2K+1)^2``
    window. The budget is ``pixels_per_image`` pixels at
    ``reference_size``, rescaled by area to the scored resolution and split
    over the rounds (:func:`~mmda.active.pixels_per_round`).

    Args:
        pixels_per_image (int): Pixels per image after all rounds, at
            ``reference_size``. Defaults to 40.
        radius (int): Half-size ``K`` of the impurity and suppression
            window. Defaults to 32 (65 x 65).
        reference_size (tuple[int, int]): (H, W) the budget refers to.
            Defaults to (640, 1280), RIPU's training size.
    """

    def __init__(self,
                 pixels_per_image: int = 40,
                 radius: int = 32,
                 reference_size: Tuple[int, int] = (640, 1280)):
        if isinstance(pixels_per_image, bool) or not isinstance(
                pixels_per_image, int) or pixels_per_image < 0:
            raise ValueError('PixelImpurityUncertainty: pixels_per_image '
                             'must be a non-negative int, got '
                             f'{pixels_per_image!r}')
        reference_size = tuple(reference_size)
        if len(reference_size) != 2 or min(reference_size) <= 0:
            raise ValueError('PixelImpurityUncertainty: reference_size must '
                             f'be a positive (H, W), got {reference_size}')
        super().__init__(label_radius=0, mask_radius=radius)
        self.pixels_per_image = pixels_per_image
        self.radius = radius
        self.reference_size = reference_size

    def picks_per_round(self, shape: Tuple[int, int],
                        num_rounds: int) -> int:
        return pixels_per_round(shape[0], shape[1], self.pixels_per_image,
                                num_rounds, self.reference_size)

    def image_budget(self, shape: Tuple[int, int], num_rounds: int) -> int:
        return self.picks_per_round(shape, num_rounds) * num_rounds

    def score(self, logits: Tensor, key: str, round_no: int) -> Tensor:
        return pixel_scores(logits, self.radius)[0]

    def _arguments(self) -> dict:
        return dict(
            pixels_per_image=self.pixels_per_image,
            radius=self.radius,
            reference_size=self.reference_size)
