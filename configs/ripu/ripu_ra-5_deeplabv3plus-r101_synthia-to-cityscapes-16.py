# RIPU, region-based annotating (RA), 5 % of the target pixels,
# DeepLab-v3+ ResNet-101, SYNTHIA -> Cityscapes (16 classes, native
# 16-class head). Paper (Cityscapes val mIoU16): 71.4.
# Recipe as ripu_ra-2.2_deeplabv2-r101_synthia-to-cityscapes-16.py; the RA
# normaliser defaults to ln 16 (the original: ln 19, see
# ../_base_/methods/ripu_synthia_to_cityscapes.py).
#
# ImageNet weights are NOT downloaded: place mmseg's ResNet-101-v1c
# ImageNet weights at the path named in
# ../_base_/models/deeplabv3plus_r101.py
# (checkpoints/resnet101_v1c-e67eebb6.pth).
_base_ = [
    '../_base_/models/deeplabv3plus_r101.py',
    '../_base_/methods/ripu_synthia_to_cityscapes.py',
]
model = _base_.pop('ripu_model')
model.decode_head = dict(num_classes=16)
custom_hooks = [dict(_base_.custom_hooks[0], budget_ratio=0.05)]
