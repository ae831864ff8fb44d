# Source-only training on the embedded benchmark (GTA5 layout), validation
# on the target (Cityscapes layout) val split.
_base_ = './sim2real_common.py'
train_dataloader = dict(dataset={{_base_.source_train}})
