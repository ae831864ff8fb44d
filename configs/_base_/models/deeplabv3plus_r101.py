# DeepLab-v3+ ResNet-101 as RIPU releases it (docs/methods.md#ripu;
# BIT-DA/RIPU:core/models/build.py, classifier.py, layers.py): the backbone
# of ./deeplabv2_r101.py (torchvision-style ResNet-101 at output stride 8,
# frozen BN, torchvision's ImageNet weights) with all four stages out, and
# the depthwise-separable ASPP decoder:
# - ASPP dilations 1/6/12/18 (a 1x1 branch and three depthwise-separable
#   3x3 ones) plus the image-pooling branch, 512 channels, a 3x3
#   bottleneck; layer1's 256 channels reduced to 48 as the low-level
#   shortcut; two depthwise-separable 3x3 convs (512) and dropout 0.1
#   before the classifier;
# - every norm of the head a FrozenBatchNorm2d left at its initial buffers
#   with no eps: the identity, i.e. no normalisation in effect;
# - Kaiming-normal init (fan_in, gain sqrt 2) of every head conv and
#   PyTorch's default classifier bias: KaimingDepthwiseSeparableASPPHead,
#   mmseg's DepthwiseSeparableASPPHead with that init (the same forward;
#   exported as mmseg's head).
#
# ImageNet weights: download torchvision's resnet101 weights yourself (the
# file behind torchvision://resnet101) and put them at the path named in
# ./deeplabv2_r101.py (nothing is downloaded at run time):
#   checkpoints/resnet101-63fe2227.pth
_base_ = './deeplabv2_r101.py'
model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    decode_head=dict(
        _delete_=True,
        type='KaimingDepthwiseSeparableASPPHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        dilations=(1, 6, 12, 18),
        c1_in_channels=256,
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=dict(type='FrozenBatchNorm2d', eps=0.),
        align_corners=False,
        loss_decode={{_base_.model.decode_head.loss_decode}}))
