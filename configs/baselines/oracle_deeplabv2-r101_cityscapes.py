# Target-oracle baseline (fully supervised upper bound), DeepLab-v2
# ResNet-101: train on the labelled Cityscapes train split (1280x640,
# batch 2), evaluate on Cityscapes val, 19 classes. Reported (RIPU's table,
# unverified): ~65.1 mIoU. Same schedule as the RIPU configs (poly over
# 62.5k, stopped at 40k).
#
# ImageNet weights are NOT downloaded: place torchvision's ResNet-101
# weights at the path named in ../_base_/models/deeplabv2_r101.py
# (checkpoints/resnet101-63fe2227.pth, relative to the working directory).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_62k_stop40k.py',
]
