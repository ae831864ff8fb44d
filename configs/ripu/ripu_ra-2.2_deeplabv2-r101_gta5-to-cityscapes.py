# RIPU (Xie et al., CVPR 2022), region-based annotating (RA), 2.2 % of the
# target pixels, DeepLab-v2 ResNet-101, GTA5 -> Cityscapes.
# Paper (Cityscapes val mIoU): 69.6. Same setting: PA 65.5, RA 5 % with
# DeepLab-v3+ 71.2; source-only DeepLab-v2 ~36.6, fully supervised ~65.1
# (unverified).
#
# The original recipe (docs/methods.md#ripu): SGD lr 2.5e-4 (classifier
# 10x), poly 0.9 over 62.5k iterations, stopped at 40k; batch 2 source +
# 2 target; GTA5 at 1280x720, Cityscapes at 1280x640, no crop/flip;
# class-balanced source sampling in 3000-image sub-epochs; loss
# CE(src) + CE(tgt labelled) + 0.1 L_cr(src) + 1.0 L_nl(tgt, tau 0.05);
# five selection rounds at 10k, 12k, 14k, 16k, 18k, regions of radius 1
# (3x3), scored at full label resolution (1024x2048); validation and test
# with horizontal-flip averaging, logits upsampled with align_corners=True.
#
# ImageNet weights are NOT downloaded: place torchvision's ResNet-101
# weights at the path named in ../_base_/models/deeplabv2_r101.py
# (checkpoints/resnet101-63fe2227.pth, relative to the working directory).
# Data: data/gta5, data/cityscapes (see ../_base_/datasets/).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/methods/ripu_gta5_to_cityscapes.py',
]
model = _base_.pop('ripu_model')
