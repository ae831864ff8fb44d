# TGCF-DA stage B on the embedded benchmark: three named streams per
# iteration, as the paper's mini-batch (Choi et al., ICCV 2019, Fig. 1):
# `source` (GTA5 layout, labelled), `source_aug` (its TGCF-DA images, written
# by tools/tgcf_generate.py into tgcf_root in the same layout with the same
# labels; drawn independently of `source`) and `target` (unlabelled), each
# `batch_size` images (2 + 2 + 2).
#
# `source_with_aug_train` (both labelled sets as one dataset, as SE-GAN's
# gta5_dataset.py appends the generated images to its source list) is for
# the configs without a target stream (TGCF-DA without self-ensembling).
_base_ = './sim2real_common.py'
tgcf_root = 'data/sim2real/gta5_tgcf'
source_aug_train = dict(
    type='GTA5Dataset',
    data_root=tgcf_root,
    data_prefix=dict(img_path='images', seg_map_path='labels'),
    pipeline={{_base_.source_pipeline}})
source_with_aug_train = dict(
    type='ConcatDataset',
    datasets=[{{_base_.source_train}}, source_aug_train])
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='TwoDomainInfiniteSampler', shuffle=True),
    dataset=dict(
        type='MultiStreamDataset',
        streams=dict(
            source={{_base_.source_train}},
            source_aug=source_aug_train,
            target={{_base_.target_train}})))
