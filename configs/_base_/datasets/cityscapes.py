# Target-oracle training on the labelled Cityscapes train split (2975
# images, batch 2, 1280x640), validation on Cityscapes val (19 classes).
_base_ = './cityscapes_da_common.py'
train_dataloader = dict(dataset={{_base_.target_train_labelled}})
