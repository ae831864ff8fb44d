# Source-only baseline, DeepLab-v2 ResNet-101: train on GTA5 (1280x720,
# batch 2, uniform sampling), evaluate on Cityscapes val (1280x640, scored
# at 1024x2048). Reported (RIPU's table, unverified): ~36.6 mIoU.
# Schedule of the RIPU recipe: SGD 2.5e-4 (classifier 10x), poly 0.9 over
# 62.5k iterations, stopped at 40k.
#
# ImageNet weights are NOT downloaded: place torchvision's ResNet-101
# weights at the path named in ../_base_/models/deeplabv2_r101.py
# (checkpoints/resnet101-63fe2227.pth, relative to the working directory).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/gta5.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_62k_stop40k.py',
]
