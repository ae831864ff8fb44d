# RIPU, region-based annotating (RA), 5 % of the target pixels,
# DeepLab-v3+ ResNet-101, GTA5 -> Cityscapes.
# Paper (Cityscapes val mIoU): 71.2.
# Recipe as ripu_ra-2.2_deeplabv2-r101_gta5-to-cityscapes.py (62.5k-horizon
# poly stopped at 40k, rounds at 10k-18k, radius 1, batch 2 + 2,
# class-balanced source sampling); the decoder takes the 10x lr.
#
# The network as released: torchvision-style ResNet-101 at output stride
# 8, ASPP 1/6/12/18, the head's norms frozen identities, Kaiming init
# (../_base_/models/deeplabv3plus_r101.py); flip-averaged evaluation.
#
# ImageNet weights are NOT downloaded: place torchvision's ResNet-101
# weights at the path named in ../_base_/models/deeplabv2_r101.py
# (checkpoints/resnet101-63fe2227.pth, relative to the working directory).
_base_ = [
    '../_base_/models/deeplabv3plus_r101.py',
    '../_base_/methods/ripu_gta5_to_cityscapes.py',
]
model = _base_.pop('ripu_model')
custom_hooks = [dict(_base_.custom_hooks[0], budget_ratio=0.05)]
