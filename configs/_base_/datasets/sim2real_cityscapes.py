# Target-oracle training on the embedded benchmark: the labelled target train
# split (Cityscapes layout), validation on its val split.
_base_ = './sim2real_common.py'
train_dataloader = dict(dataset={{_base_.target_train_labelled}})
