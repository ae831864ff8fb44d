# RIPU, region-based annotating (RA), 5 % of the target pixels,
# DeepLab-v3+ ResNet-101, GTA5 -> Cityscapes.
# Paper (Cityscapes val mIoU): 71.2.
# Recipe as ripu_ra-2.2_deeplabv2-r101_gta5-to-cityscapes.py (62.5k-horizon
# poly stopped at 40k, rounds at 10k-18k, radius 1, batch 2 + 2,
# class-balanced source sampling); the decoder takes the 10x lr.
#
# ImageNet weights are NOT downloaded: place mmseg's ResNet-101-v1c
# ImageNet weights at the path named in
# ../_base_/models/deeplabv3plus_r101.py
# (checkpoints/resnet101_v1c-e67eebb6.pth).
_base_ = [
    '../_base_/models/deeplabv3plus_r101.py',
    '../_base_/methods/ripu_gta5_to_cityscapes.py',
]
model = _base_.pop('ripu_model')
custom_hooks = [dict(_base_.custom_hooks[0], budget_ratio=0.05)]
