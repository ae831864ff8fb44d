# Target-oracle training on the labelled Cityscapes train split in the
# 16-class SYNTHIA protocol (model num_classes=16), validation on
# Cityscapes val (16 classes; mIoU and mIoU13).
_base_ = './cityscapes_da_common_16.py'
train_dataloader = dict(dataset={{_base_.target_train_labelled}})
