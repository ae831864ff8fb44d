"""Run a stage-1 model over the target-train split and write IntraDA's
entropy ranking (see :mod:`mmda.intrada.split_manifest`)."""
import json
import os
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.utils import ProgressBar

from ..datasets.converters import encode_png
from ..datasets.label_spaces import protocol_to_train_id_lut
from ..models.segmentors.deployable import deployable_segmentor
from ..models.utils import main_logits_at_input
from ..utils.atomic_write import writing_dir
from .entropy_ranking import (DEFAULT_LAMBDA, check_easy_fraction,
                              check_split_sizes, image_entropy_score,
                              pseudo_label, rare_class_factor,
                              rare_class_indices, split_easy_hard)
from .split_manifest import (MANIFEST_FORMAT, MANIFEST_NAME,
                             MANIFEST_VERSION, PSEUDO_LABEL_DIR,
                             PSEUDO_LABEL_SUFFIX, SPLIT_FILES)


def _stem(img_path: str, img_dir: str, img_suffix: str) -> str:
    rel = osp.relpath(img_path, img_dir)
    return rel[:-len(img_suffix)] if rel.endswith(img_suffix) else \
        osp.splitext(rel)[0]


@torch.no_grad()
def rank_target(model: BaseModel,
                dataloader_cfg: dict,
                out_dir: str,
                easy_fraction: float = DEFAULT_LAMBDA,
                normalize: bool = False,
                provenance: Optional[Dict] = None,
                overwrite: bool = False) -> Dict:
    """Rank the images of ``dataloader_cfg`` (the unaugmented target-train
    split) by the mean entropy of ``model``'s main prediction, and write
    the splits, the easy split's pseudo-labels (the argmax at the input
    size, upsampled by nearest neighbour to the original image size:
    :func:`~mmda.intrada.pseudo_label`; written as 19-class trainIds like
    every label file, whatever the model's label space) and the manifest
    into ``out_dir``.

    Args:
        model (BaseModel): The stage-1 model (with its data preprocessor),
            in eval mode on its device.
        dataloader_cfg (dict): Dataloader config of the split to rank.
        out_dir (str): The ranking directory (created whole).
        easy_fraction (float): λ, the easy fraction. Defaults to 0.67.
        normalize (bool): Multiply the scores by the rare-class factor.
        provenance (dict, optional): Extra manifest fields (config and
            checkpoint paths).
        overwrite (bool): Replace an existing ``out_dir``.

    Returns:
        dict: The manifest.
    """
    check_easy_fraction(easy_fraction)
    if osp.exists(out_dir) and not overwrite:
        raise FileExistsError(
            f'{out_dir} exists: a ranking is already there (pass --force / '
            'overwrite=True to replace it)')
    segmentor = deployable_segmentor(model)  # AdvEnt: its segmentor
    dataloader = Runner.build_dataloader(dataloader_cfg)
    dataset = dataloader.dataset
    # before scoring: a lambda that leaves a split empty is refused now
    check_split_sizes(len(dataset), easy_fraction)
    classes = list(dataset.metainfo['classes'])
    to_train_ids = torch.from_numpy(protocol_to_train_id_lut(len(classes)))
    rare_ids = rare_class_indices(classes) if normalize else []
    img_dir = dataset.data_prefix.get('img_path', '')
    img_suffix = getattr(dataset, 'img_suffix', '.png')

    records, labels = {}, {}  # labels: stem -> PNG bytes
    bar = ProgressBar(len(dataset))
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        logits = main_logits_at_input(segmentor, data['inputs'])
        for logit, sample in zip(logits, data['data_samples']):
            h, w = sample.img_shape
            logit = logit[None, :, :h, :w]
            entropy = float(image_entropy_score(logit)[0])
            factor = rare_class_factor(logit[0].argmax(0), rare_ids) \
                if normalize else 1.
            stem = _stem(sample.img_path, img_dir, img_suffix)
            if stem in records:
                raise ValueError(f'image {sample.img_path} listed twice')
            label = pseudo_label(logit, sample.ori_shape).cpu()
            labels[stem] = encode_png(to_train_ids[label].numpy(),
                                      f'the pseudo-label of {stem}')
            records[stem] = dict(
                stem=stem,
                img_path=osp.abspath(sample.img_path),
                score=entropy * factor,
                entropy=entropy,
                rare_factor=factor)
            bar.update()
    print(flush=True)

    easy, hard = split_easy_hard(
        {k: r['score'] for k, r in records.items()}, easy_fraction)
    with writing_dir(out_dir) as tmp_dir:
        images = []
        for rank, stem in enumerate(easy + hard):
            record = dict(records[stem], rank=rank)
            if rank < len(easy):  # only the easy split's labels are written
                label_path = osp.join(PSEUDO_LABEL_DIR,
                                      stem + PSEUDO_LABEL_SUFFIX)
                os.makedirs(osp.dirname(osp.join(tmp_dir, label_path)),
                            exist_ok=True)
                with open(osp.join(tmp_dir, label_path), 'wb') as f:
                    f.write(labels[stem])
                record.update(split='easy', pseudo_label=label_path)
            else:
                record['split'] = 'hard'
            images.append(record)
        for split, stems in (('easy', easy), ('hard', hard)):
            with open(osp.join(tmp_dir, SPLIT_FILES[split]), 'w') as f:
                f.write(f'# IntraDA {split} split: {len(stems)} of '
                        f'{len(records)} images, lowest entropy first\n')
                f.writelines(s + '\n' for s in stems)
        manifest = dict(
            format=MANIFEST_FORMAT,
            version=MANIFEST_VERSION,
            **(provenance or {}),
            easy_fraction=easy_fraction,
            normalize=bool(normalize),
            rare_classes=[classes[i] for i in rare_ids],
            classes=classes,
            num_images=len(records),
            num_easy=len(easy),
            images=images)
        with open(osp.join(tmp_dir, MANIFEST_NAME), 'w') as f:
            json.dump(manifest, f, indent=1)
    return manifest
