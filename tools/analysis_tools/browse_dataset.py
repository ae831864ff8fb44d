"""Save (or show) the images of an mmda config's dataset with their labels
drawn over them, as the pipeline delivers them (augmented).

    python tools/analysis_tools/browse_dataset.py CONFIG --output-dir DIR \
        [--split train|val|test] [--stream source|target] [--num 10]

Like mmseg's ``browse_dataset.py``, which reads ``train_dataloader`` as one
dataset; mmda's two-domain training sets are browsed one stream at a time
(``--stream``, default target; an unlabelled stream is saved as plain
images), 16/13-class datasets with their own palette.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

from mmseg_tools import build_dataset


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--output-dir', required=True)
    parser.add_argument('--split', default='train',
                        choices=['train', 'val', 'test'])
    parser.add_argument('--stream', choices=['source', 'target'])
    parser.add_argument('--num', type=int, default=10,
                        help='images to draw (from the first)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import mmcv

    from mmda.apis import load_config
    from mmseg.visualization import SegLocalVisualizer
    cfg = load_config(args.config, args.cfg_options)
    dataset = build_dataset(cfg, args.split, args.stream)
    visualizer = SegLocalVisualizer.get_instance(
        'mmda_browse', vis_backends=[dict(type='LocalVisBackend')],
        save_dir=args.output_dir)
    visualizer.dataset_meta = dataset.metainfo
    os.makedirs(args.output_dir, exist_ok=True)
    count = min(args.num, len(dataset))
    written = []
    for idx in range(count):
        item = dataset[idx]
        sample = item['data_samples']
        image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1]
        name = osp.splitext(osp.basename(sample.img_path))[0]
        out = osp.join(args.output_dir, f'{idx:04d}_{name}.png')
        if 'gt_sem_seg' in sample:
            visualizer.add_datasample(
                name, image.copy(), data_sample=sample, draw_gt=True,
                draw_pred=False, show=False, out_file=out)
        else:  # an unlabelled stream (e.g. target images): the image
            mmcv.imwrite(image[..., ::-1].copy(), out)
        written.append(out)
    print(f'{len(written)} images with labels -> {args.output_dir}')
    return written


if __name__ == '__main__':
    main()
