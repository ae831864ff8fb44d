"""IntraDA's entropy ranking (Pan et al., CVPR 2020), as pure functions.

Target-train images are ranked by the mean entropy of the stage-1 (AdvEnt)
prediction; the lowest-entropy fraction λ is the *easy* split (its
predictions become pseudo-labels), the rest the *hard* split.
"""
import argparse
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ..datasets.label_maps import CITYSCAPES_CLASSES, INTRADA_RARE_TRAIN_IDS
from ..models.losses import normalized_entropy

#: The rare classes of IntraDA's optional normalisation (by name, so that
#: they are found in the 16- and 13-class label spaces too).
RARE_CLASSES = tuple(CITYSCAPES_CLASSES[i] for i in INTRADA_RARE_TRAIN_IDS)
#: Easy fraction λ of the paper.
DEFAULT_LAMBDA = 0.67


def image_entropy_score(logits: Tensor) -> Tensor:
    """Mean normalised entropy (in [0, 1]) of each image's prediction.

    The original averages the weighted self-information maps over classes
    and pixels, i.e. this value divided by C: the same ranking.

    Args:
        logits (Tensor): N×C×H×W class scores.

    Returns:
        Tensor: N scores.
    """
    return normalized_entropy(F.softmax(logits.float(), dim=1)).flatten(
        1).mean(1)


def rare_class_indices(classes: Sequence[str]) -> List[int]:
    """Indices in ``classes`` of the rare classes it has (16- and 13-class
    label spaces lack some)."""
    return [i for i, name in enumerate(classes) if name in RARE_CLASSES]


def rare_class_factor(prediction: Tensor, rare_ids: Sequence[int]) -> float:
    """IntraDA's normalisation factor of one image,
    ``(K − n) / K + 0.5`` with ``K`` rare classes in the label space
    (11 for 19 classes) and ``n`` of them present in the predicted label
    map: images showing rare classes score lower, so they count as easier
    and enter the pseudo-labelled split.

    Args:
        prediction (Tensor): H×W predicted class ids.
        rare_ids (Sequence[int]): The rare class ids.
    """
    if not rare_ids:
        return 1.
    present = torch.unique(prediction).tolist()
    n = len(set(present) & set(int(i) for i in rare_ids))
    k = len(rare_ids)
    return (k - n) / k + 0.5


def check_easy_fraction(easy_fraction: float) -> None:
    """λ must be in (0, 1)."""
    if not 0. < easy_fraction < 1.:
        raise ValueError(
            f'the easy fraction lambda must be in (0, 1), got {easy_fraction}')


def check_split_sizes(num_images: int, easy_fraction: float) -> int:
    """The size ``int(N · λ)`` of the easy split; raises unless both
    splits get at least one image (stage 2 needs both)."""
    check_easy_fraction(easy_fraction)
    if not num_images:
        raise ValueError('no images to rank')
    if num_images < 2:
        raise ValueError(
            f'{num_images} image(s) to rank: the easy and the hard split '
            'need at least one image each')
    n_easy = int(num_images * easy_fraction)
    if not 0 < n_easy < num_images:
        smallest = 1 / num_images
        raise ValueError(
            f'lambda {easy_fraction} leaves the easy split empty with '
            f'{num_images} images (int({num_images} * {easy_fraction}) = '
            f'{n_easy}); with {num_images} images lambda must be at least '
            f'{smallest:.4g} and below 1')
    return n_easy


def pseudo_label(logits: Tensor, size: Tuple[int, int]) -> Tensor:
    """IntraDA's pseudo-label of one image: the plain arg-max (no
    threshold) of the prediction at the size the model saw (the stage-1
    test size, 1024×512 officially), upsampled to ``size`` (the label
    size) by nearest neighbour, as the released ``entropy.py`` labels at
    the test size and the stage-2 loader resizes labels.

    Args:
        logits (Tensor): 1×C×h×w class scores at the input size.
        size (tuple[int, int]): (H, W) of the label map.

    Returns:
        Tensor: H×W class ids (int64).
    """
    prediction = logits[0].argmax(0)
    return F.interpolate(
        prediction[None, None].float(), size=tuple(size),
        mode='nearest')[0, 0].long()


def split_easy_hard(scores: Dict[str, float],
                    easy_fraction: float = DEFAULT_LAMBDA
                    ) -> Tuple[List[str], List[str]]:
    """Rank images by score (lowest first; ties by name) and split: the
    first ``int(N · λ)`` are easy, the rest hard (as the original).

    Args:
        scores (dict[str, float]): image key → entropy score.
        easy_fraction (float): λ in (0, 1).

    Returns:
        tuple[list[str], list[str]]: easy keys, hard keys, each in rank
        order.
    """
    n_easy = check_split_sizes(len(scores), easy_fraction)
    ranked = sorted(scores, key=lambda k: (scores[k], k))
    return ranked[:n_easy], ranked[n_easy:]


def easy_fraction_arg(text: str) -> float:
    """``--lambda`` of the command-line tools: a float in (0, 1)."""
    try:
        value = float(text)
    except ValueError:
        value = float('nan')
    if not 0. < value < 1.:
        raise argparse.ArgumentTypeError(
            f'--lambda must be in (0, 1), got {text}')
    return value
