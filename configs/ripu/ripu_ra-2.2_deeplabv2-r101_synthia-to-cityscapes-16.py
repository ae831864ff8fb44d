# RIPU, region-based annotating (RA), 2.2 % of the target pixels,
# DeepLab-v2 ResNet-101, SYNTHIA -> Cityscapes in the 16-class protocol
# (native 16-class head, SYNTHIA and Cityscapes both mapped to 16 classes,
# as RIPU / ProDA / PLCA). Paper (Cityscapes val mIoU16): 70.1. Same
# setting: PA 66.1, RA 5 % with DeepLab-v3+ 71.4.
#
# Recipe as the GTA5 configs (docs/methods.md#ripu), with SYNTHIA at
# 1280x720 as released. The RA entropy / impurity normaliser defaults to
# ln C = ln 16; the original hard-codes ln 19 (see
# ../_base_/methods/ripu_synthia_to_cityscapes.py).
#
# ImageNet weights are NOT downloaded: place torchvision's ResNet-101
# weights at the path named in ../_base_/models/deeplabv2_r101.py
# (checkpoints/resnet101-63fe2227.pth, relative to the working directory).
# Data: data/synthia (SYNTHIA-RAND-CITYSCAPES), data/cityscapes.
_base_ = [
    '../_base_/models/deeplabv2_r101_16.py',
    '../_base_/methods/ripu_synthia_to_cityscapes.py',
]
model = _base_.pop('ripu_model')
