# DeepLab-v3+ ResNet-101-v1c (RIPU's V3+ setting): the dilated backbone of
# ./deeplabv2_r101.py (output stride 8, frozen BN) as ResNet-v1c with all
# four stages out, and the depthwise-separable ASPP decoder.
#
# ImageNet weights: put mmseg's resnet101_v1c ImageNet weights at
#   checkpoints/resnet101_v1c-e67eebb6.pth
# (the file behind open-mmlab://resnet101_v1c; nothing is downloaded here).
_base_ = './deeplabv2_r101.py'
model = dict(
    backbone=dict(
        type='ResNetV1c',
        out_indices=(0, 1, 2, 3),
        init_cfg=dict(checkpoint='checkpoints/resnet101_v1c-e67eebb6.pth')),
    decode_head=dict(
        _delete_=True,
        type='DepthwiseSeparableASPPHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        dilations=(1, 12, 24, 36),
        c1_in_channels=256,
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False,
        loss_decode={{_base_.model.decode_head.loss_decode}}))
