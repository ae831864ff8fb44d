# TGCF-DA stage B, SYNTHIA -> Cityscapes (16 classes): three named streams
# per iteration as the paper's mini-batch: `source` (SYNTHIA), `source_aug`
# (its TGCF-DA images, tools/tgcf_generate.py output in tgcf_root: the
# SYNTHIA layout, the same labels; drawn independently of `source`) and
# `target` (Cityscapes, as in ./synthia_to_cityscapes.py).
# `source_with_aug_train` (both labelled sets as one dataset, as SE-GAN
# appends the generated images to its source list) is for the configs
# without a target stream.
_base_ = ['./synthia_to_cityscapes.py']
tgcf_root = 'data/synthia_tgcf'
source_aug_train = dict(
    type='SynthiaDataset',
    data_root=tgcf_root,
    data_prefix=dict(img_path='RGB', seg_map_path='GT/LABELS'),
    num_classes=16,
    pipeline={{_base_.source_pipeline}})
source_with_aug_train = dict(
    type='ConcatDataset',
    datasets=[{{_base_.source_train}}, source_aug_train])
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='MultiStreamDataset',
        streams=dict(
            source={{_base_.source_train}},
            source_aug=source_aug_train,
            target={{_base_.target_train}})))
