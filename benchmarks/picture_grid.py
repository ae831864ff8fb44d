"""Pictures of the benchmark scripts: columns of equally sized images with
a title above each column's first image, written as one PNG."""
import os
import os.path as osp
from typing import List, Sequence, Tuple

import cv2
import numpy as np

#: (title, images): one column, images N×H×W×3 uint8 BGR (or a list)
Column = Tuple[str, Sequence[np.ndarray]]


def titled(image: np.ndarray, title: str) -> np.ndarray:
    """``image`` under an 18-pixel white bar carrying ``title``."""
    bar = np.full((18, image.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, title, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, image], 0)


def fit(image: np.ndarray, height: int) -> np.ndarray:
    """``image`` cut or padded (white, at the bottom) to ``height``."""
    out = np.full((height, image.shape[1], 3), 255, np.uint8)
    out[:min(height, image.shape[0])] = image[:height]
    return out


def grid(columns: List[Column], num: int) -> np.ndarray:
    """``num`` rows of the columns side by side, titles on the first."""
    height = max(images[i].shape[0] for _, images in columns
                 for i in range(num))
    rows = []
    for i in range(num):
        rows.append(
            np.concatenate([
                titled(fit(images[i], height), title)
                if i == 0 else fit(images[i], height)
                for title, images in columns
            ], 1))
    width = max(r.shape[1] for r in rows)
    return np.concatenate([
        np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)),
               constant_values=255) for r in rows
    ], 0)


def write_picture(path: str, picture: np.ndarray) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if not cv2.imwrite(path, picture):
        raise SystemExit(f'could not write {path}')
    print(f'wrote {path}')
