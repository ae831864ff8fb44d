# SYNTHIA source-only training in the 16-class protocol (model
# num_classes=16), validation on Cityscapes val (16 classes).
_base_ = ['./cityscapes_da_common_16.py', './synthia_source.py']
train_dataloader = dict(dataset={{_base_.source_train}})
