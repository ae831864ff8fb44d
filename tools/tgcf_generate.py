"""Write the TGCF-DA augmented source set: G(x_s, x_t) for every source
image, in the source dataset's own layout.

For every image of the stage-A config's source dataset (its
``train_dataloader.dataset.source``), a target image x_t is drawn from the
target dataset with a seeded generator, the trained generator renders
x_g = G(x_s, x_t) at the training scale of the source pipeline, and x_g is
written, resized back to the source image's size, under the same relative
path in OUT. The source's label files (and any other per-sample files,
e.g. SYNTHIA depth) and the top-level files of the source root (class
statistics) are copied byte for byte, so OUT is a dataset of the source's
class (``GTA5Dataset``, ``SYNTHIADataset``) whose labels are the source
labels::

    python tools/tgcf_generate.py CONFIG CHECKPOINT --out DIR [--seed S]
        [--scale W H] [--batch-size N] [--force]

OUT is written under a temporary name and published in one rename (an
interrupted run leaves no partial OUT, and a rerun with ``--force`` replaces
an old one only when the new one is complete). ``OUT/tgcf_manifest.json``
records the generator checkpoint's SHA-256, the seed, the config and every
(source, target) pair. The output is deterministic per seed and checkpoint.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import mmcv  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

MANIFEST = 'tgcf_manifest.json'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='stage-A (TGCFDA) config')
    parser.add_argument('checkpoint', help='trained stage-A checkpoint')
    parser.add_argument('--out', required=True, help='output dataset root')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the target (style) image draw')
    parser.add_argument('--scale', type=int, nargs=2, metavar=('W', 'H'),
                        help='generation scale (default: the source '
                        "pipeline's Resize scale)")
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--force', action='store_true',
                        help='replace an existing OUT')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='config overrides (key=value)')
    return parser.parse_args(argv)


def pipeline_scale(pipeline) -> tuple:
    for step in pipeline:
        if step.get('type') == 'Resize':
            return tuple(step['scale'])
    raise KeyError('the source pipeline has no Resize: pass --scale W H')


def build_generator(cfg, checkpoint: str):
    """``(generator, data preprocessor)`` of the stage-A config, the
    generator with the checkpoint's weights (the frozen segmentor and the
    discriminator are not needed)."""
    from mmda.utils.checkpoint_compat import load_local_checkpoint
    from mmseg.registry import MODELS
    if 'generator' not in cfg.model or 'data_preprocessor' not in cfg.model:
        raise KeyError(f'{cfg.filename}: model has no generator / '
                       'data_preprocessor (not a TGCF-DA stage-A config)')
    generator = MODELS.build(cfg.model.generator)
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    ckpt = load_local_checkpoint(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    gen = {
        k[len('generator.'):]: v
        for k, v in state.items() if k.startswith('generator.')
    }
    if not gen:
        raise KeyError(f'{checkpoint} holds no generator.* weights (is it '
                       'a TGCF-DA stage-A checkpoint?)')
    try:
        generator.load_state_dict(gen, strict=True)
    except RuntimeError as e:
        raise RuntimeError(
            f'{checkpoint} does not fit the generator of {cfg.filename}: '
            f'{e}') from None
    return generator.eval(), preprocessor


def to_input(img_bgr: np.ndarray, scale, preprocessor) -> torch.Tensor:
    """An image as the stage-A data preprocessor feeds the generator."""
    img = mmcv.imrescale(img_bgr, scale, interpolation='bilinear')
    x = torch.from_numpy(np.ascontiguousarray(img[..., ::-1])).permute(
        2, 0, 1).float()
    return (x - preprocessor.mean) / preprocessor.std


def pad_to(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    return F.pad(x, (0, w - x.shape[-1], 0, h - x.shape[-2]))


@torch.no_grad()
def generate_all(generator, pre, source, target, scale, seed: int,
                 batch_size: int, tmp: str):
    """Writes every generated image under ``tmp``; returns the pairs."""
    divisor = generator.size_divisor
    rng = np.random.default_rng(seed)
    styles = rng.integers(0, len(target), size=len(source))
    pairs = []
    infos = [source.get_data_info(i) for i in range(len(source))]
    for start in range(0, len(infos), batch_size):
        chunk = infos[start:start + batch_size]
        imgs = [mmcv.imread(info['img_path']) for info in chunk]
        xs = [to_input(img, scale, pre) for img in imgs]
        xt = [
            to_input(
                mmcv.imread(target.get_data_info(int(t))['img_path']), scale,
                pre) for t in styles[start:start + len(chunk)]
        ]
        h = max(x.shape[1] for x in xs + xt)
        w = max(x.shape[2] for x in xs + xt)
        h, w = -(-h // divisor) * divisor, -(-w // divisor) * divisor
        out = generator(
            torch.stack([pad_to(x, h, w) for x in xs]),
            torch.stack([pad_to(x, h, w) for x in xt]))
        pixels = (out * pre.std + pre.mean).clamp(0, 255).round()
        for k, (info, img, x) in enumerate(zip(chunk, imgs, xs)):
            gen = pixels[k, :, :x.shape[1], :x.shape[2]]
            rgb = gen.permute(1, 2, 0).to(torch.uint8).numpy()
            bgr = mmcv.imresize(
                np.ascontiguousarray(rgb[..., ::-1]),
                (img.shape[1], img.shape[0]),
                interpolation='bilinear')
            rel = osp.relpath(info['img_path'], source.data_root)
            mmcv.imwrite(bgr, osp.join(tmp, rel))
            t_info = target.get_data_info(int(styles[start + k]))
            pairs.append(
                dict(source=rel,
                     target=osp.relpath(t_info['img_path'],
                                        target.data_root)))
    return pairs


def copy_labels(source, tmp: str) -> int:
    """Copies every per-sample file but the image (labels, depth) and the
    top-level files of the source root, byte for byte."""
    copied = 0
    for i in range(len(source)):
        info = source.get_data_info(i)
        for key, path in info.items():
            if key == 'img_path' or not key.endswith('_path') or \
                    not isinstance(path, str) or not osp.isfile(path):
                continue
            dst = osp.join(tmp, osp.relpath(path, source.data_root))
            os.makedirs(osp.dirname(dst), exist_ok=True)
            shutil.copyfile(path, dst)
            copied += 1
    for name in sorted(os.listdir(source.data_root)):
        path = osp.join(source.data_root, name)
        if osp.isfile(path):
            shutil.copyfile(path, osp.join(tmp, name))
    return copied


def main(argv=None):
    args = parse_args(argv)
    from mmda.apis import load_config, parse_cfg_options
    from mmda.utils.atomic_write import publish_dir, temp_dir_for
    from mmda.utils.file_hash import sha256_file
    from mmseg.registry import DATASETS

    out = osp.abspath(args.out)
    if osp.lexists(out) and not args.force:
        raise SystemExit(f'{out} exists: pass --force to replace it')
    cfg = load_config(args.config, parse_cfg_options(args.cfg_options))
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    import mmda  # noqa: F401 (registers the modules)
    train_set = cfg.train_dataloader.dataset
    for key in ('source', 'target'):
        if key not in train_set:
            raise KeyError(f'{args.config}: train_dataloader.dataset has no '
                           f'{key!r} (a stage-A config is two-domain)')
    source = DATASETS.build(train_set.source)
    target = DATASETS.build(train_set.target)
    source.full_init()
    target.full_init()
    scale = tuple(args.scale) if args.scale else pipeline_scale(
        train_set.source.pipeline)
    generator, pre = build_generator(cfg, args.checkpoint)

    tmp = temp_dir_for(out)
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        pairs = generate_all(generator, pre, source, target, scale,
                             args.seed, args.batch_size, tmp)
        copied = copy_labels(source, tmp)
        manifest = dict(
            config=osp.abspath(args.config),
            checkpoint=osp.abspath(args.checkpoint),
            checkpoint_sha256=sha256_file(args.checkpoint),
            seed=args.seed,
            scale=list(scale),
            source_root=osp.abspath(source.data_root),
            target_root=osp.abspath(target.data_root),
            dataset_type=type(source).__name__,
            num_images=len(pairs),
            num_label_files=copied,
            pairs=pairs)
        with open(osp.join(tmp, MANIFEST), 'w') as f:
            json.dump(manifest, f, indent=1)
        publish_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f'[tgcf_generate] {len(pairs)} images -> {out} (seed {args.seed})')


if __name__ == '__main__':
    main()
