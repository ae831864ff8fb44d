# TGCF-DA stage B, GTA5 -> Cityscapes: the labelled source is GTA5
# together with its TGCF-DA images (tools/tgcf_generate.py output in
# tgcf_root: the GTA5 layout, the same labels), the target as in
# ./gta5_to_cityscapes.py. The generated images join the source stream (a
# ConcatDataset, as SE-GAN appends them to its source list).
_base_ = ['./gta5_to_cityscapes.py']
tgcf_root = 'data/gta5_tgcf'
source_aug_train = dict(
    type='GTA5Dataset',
    data_root=tgcf_root,
    data_prefix=dict(img_path='images', seg_map_path='labels'),
    num_classes=19,
    pipeline={{_base_.source_pipeline}})
source_with_aug_train = dict(
    type='ConcatDataset',
    datasets=[{{_base_.source_train}}, source_aug_train])
train_dataloader = dict(
    dataset=dict(source=dict(_delete_=True, **source_with_aug_train)))
