# RIPU, region-based annotating (RA), 5 % of the target pixels,
# DeepLab-v3+ ResNet-101, SYNTHIA -> Cityscapes (16 classes, native
# 16-class head). Paper (Cityscapes val mIoU16): 71.4.
# Recipe as ripu_ra-2.2_deeplabv2-r101_synthia-to-cityscapes-16.py; the RA
# normaliser defaults to ln 16 (the original: ln 19, see
# ../_base_/methods/ripu_synthia_to_cityscapes.py).
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
    '../_base_/methods/ripu_synthia_to_cityscapes.py',
]
model = _base_.pop('ripu_model')
model.decode_head.num_classes = 16
custom_hooks = [dict(_base_.custom_hooks[0], budget_ratio=0.05)]
