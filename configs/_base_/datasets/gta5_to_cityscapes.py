# GTA5 -> Cityscapes, two-domain training: each iteration draws a labelled
# GTA5 batch and an unlabelled Cityscapes batch of `batch_size` images each
# (batch_size=2: 2 source + 2 target); validation on Cityscapes val
# (500 images, 19 classes).
_base_ = ['./cityscapes_da_common.py', './gta5_source.py']
train_dataloader = dict(
    dataset=dict(type='TwoDomainDataset', source={{_base_.source_train}},
                 target={{_base_.target_train}}))
