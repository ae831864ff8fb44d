# Target-oracle training on the embedded benchmark: the labelled target train
# split (Cityscapes layout), validation on its val split.
_base_ = './sim2real_common.py'
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='TwoDomainInfiniteSampler', shuffle=True),
    dataset={{_base_.target_train_labelled}})
