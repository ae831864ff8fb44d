"""Drawing selected regions over target images."""
import cv2
import numpy as np

from .label_ledger import ACTIVE, UNTOUCHED


def draw_selection(image_bgr: np.ndarray, ledger_map: np.ndarray,
                   new_labelled: np.ndarray) -> np.ndarray:
    """Overlay of one image's active-learning state.

    Pixels labelled in this round are red, pixels labelled in earlier rounds
    green, active (suppressed, unlabelled) pixels are tinted blue.

    Args:
        image_bgr (np.ndarray): H×W×3 image (BGR, uint8).
        ledger_map (np.ndarray): H×W ledger map after the round.
        new_labelled (np.ndarray): H×W bool, labelled in this round.
    """
    if image_bgr.shape[:2] != ledger_map.shape:
        image_bgr = cv2.resize(image_bgr, ledger_map.shape[::-1])
    out = image_bgr.astype(np.float32)
    active = ledger_map == ACTIVE
    out[active] = 0.6 * out[active] + 0.4 * np.array([255., 80., 0.])
    old_labelled = (ledger_map < ACTIVE) & ~new_labelled
    out[old_labelled] = (0, 200, 0)
    out[new_labelled] = (0, 0, 255)
    untouched = ledger_map == UNTOUCHED
    out[untouched] = image_bgr[untouched]
    return out.clip(0, 255).astype(np.uint8)
