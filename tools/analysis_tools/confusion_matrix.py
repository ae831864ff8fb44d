"""Confusion matrix of a test run's predictions on an mmda config.

    python tools/test.py CONFIG CKPT --out preds/
    python tools/analysis_tools/confusion_matrix.py CONFIG preds/ out_dir/

Like mmseg's ``confusion_matrix.py`` (whose plot it draws), but the classes
are the dataset's own (19, 16 or 13: mmseg's tool reads the class-level
19), and each prediction is matched to its sample by file name, not by
sort order. Writes ``confusion_matrix.png``, ``confusion_matrix.csv``
(pixel counts, rows: ground truth, columns: prediction) and prints each
class's IoU from the matrix.
"""
import argparse
import csv
import os
import os.path as osp

import numpy as np
from mmengine.config import DictAction
from PIL import Image

from mmseg_tools import build_dataset, mmseg_tool


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('prediction_path',
                        help='PNGs of tools/test.py --out')
    parser.add_argument('save_dir')
    parser.add_argument('--split', default='test',
                        choices=['train', 'val', 'test'])
    parser.add_argument('--title', default='Normalized Confusion Matrix')
    parser.add_argument('--color-theme', default='winter')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def confusion_matrix(dataset, prediction_path: str) -> np.ndarray:
    """Pixel counts ``[gt, pred]`` over the dataset (ignore index left
    out)."""
    classes = dataset.metainfo['classes']
    n = len(classes)
    matrix = np.zeros((n, n), np.int64)
    for idx in range(len(dataset)):
        sample = dataset[idx]['data_samples']
        stem = osp.splitext(osp.basename(sample.img_path))[0]
        path = osp.join(prediction_path, stem + '.png')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'no prediction {path} for {sample.img_path} (write them '
                'with tools/test.py CONFIG CKPT --out DIR)')
        pred = np.array(Image.open(path)).astype(np.int64).ravel()
        gt = sample.gt_sem_seg.data.squeeze(0).numpy().astype(
            np.int64).ravel()
        if pred.shape != gt.shape:
            raise ValueError(f'{path}: {pred.size} pixels, its label has '
                             f'{gt.size}')
        keep = gt != dataset.ignore_index
        if np.any(pred[keep] >= n):
            raise ValueError(f'{path} holds class ids >= {n}: predictions '
                             'of another class list?')
        matrix += np.bincount(
            n * gt[keep] + pred[keep], minlength=n * n).reshape(n, n)
    return matrix


def main(argv=None):
    args = parse_args(argv)
    from mmda.apis import load_config
    cfg = load_config(args.config, args.cfg_options)
    dataset = build_dataset(cfg, args.split)
    classes = dataset.metainfo['classes']
    matrix = confusion_matrix(dataset, args.prediction_path)
    os.makedirs(args.save_dir, exist_ok=True)
    with open(osp.join(args.save_dir, 'confusion_matrix.csv'), 'w',
              newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['gt \\ pred'] + list(classes))
        for name, row in zip(classes, matrix):
            writer.writerow([name] + row.tolist())
    mmseg_tool('confusion_matrix').plot_confusion_matrix(
        matrix.astype(np.float64), classes, save_dir=args.save_dir,
        show=False, title=args.title, color_theme=args.color_theme)
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = np.diag(matrix) / (matrix.sum(0) + matrix.sum(1) -
                                 np.diag(matrix))
    for name, value in zip(classes, iou):
        print(f'{name:>15s} IoU {100 * value:6.2f}')
    print(f'mIoU: {100 * np.nanmean(iou):.2f}; written: '
          f'{args.save_dir}/confusion_matrix.png, confusion_matrix.csv')


if __name__ == '__main__':
    main()
