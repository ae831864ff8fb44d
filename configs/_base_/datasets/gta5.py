# GTA5 source-only training (batch 2), validation on Cityscapes val
# (19 classes).
_base_ = ['./cityscapes_da_common.py', './gta5_source.py']
train_dataloader = dict(dataset={{_base_.source_train}})
