# TGCF-DA stage B on the embedded benchmark: the labelled source is the
# GTA5-layout source together with its TGCF-DA images (written by
# tools/tgcf_generate.py into tgcf_root, the same layout, the same labels),
# the target as in ./sim2real_gta5_to_cityscapes.py.
#
# The generated images join the source stream (a ConcatDataset, as SE-GAN's
# gta5_dataset.py appends them to the source list): each source draw is a
# real or a generated image with equal chance per image. A named third
# stream ('source_aug', which SelfEnsembling also accepts) needs the
# N-stream dataset.
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
        type='TwoDomainDataset',
        source=source_with_aug_train,
        target={{_base_.target_train}}))
