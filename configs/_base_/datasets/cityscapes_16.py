# Target-oracle training on the labelled Cityscapes train split in the
# 16-class SYNTHIA protocol (model num_classes=16), validation on
# Cityscapes val (16 classes; mIoU and mIoU13).
_base_ = './cityscapes_da_common_16.py'
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='TwoDomainInfiniteSampler', shuffle=True),
    dataset={{_base_.target_train_labelled}})
