# TGCF-DA stage B, SYNTHIA -> Cityscapes: the labelled source is SYNTHIA
# together with its TGCF-DA images (tools/tgcf_generate.py output in
# tgcf_root: the SYNTHIA layout, the same labels), the target as in
# ./synthia_to_cityscapes.py. The generated images join the source stream (a
# ConcatDataset, as SE-GAN appends them to its source list).
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
    dataset=dict(source=dict(_delete_=True, **source_with_aug_train)))
