# Source-only baseline, DeepLab-v2 ResNet-101, 16-class protocol: train on
# SYNTHIA-RAND-CITYSCAPES (1280x760, batch 2, uniform sampling) with a
# native 16-class head, evaluate on Cityscapes val (16 classes; mIoU is
# mIoU16). No reference number in docs/methods.md#baselines.
# Schedule: poly over 62.5k iterations, stopped at 40k.
#
# ImageNet weights are NOT downloaded: place torchvision's ResNet-101
# weights at the path named in ../_base_/models/deeplabv2_r101.py
# (checkpoints/resnet101-63fe2227.pth, relative to the working directory).
_base_ = [
    '../_base_/models/deeplabv2_r101_16.py',
    '../_base_/datasets/synthia.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_62k_stop40k.py',
]
