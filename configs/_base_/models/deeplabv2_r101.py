# DeepLab-v2 ResNet-101 (AdvEnt / IntraDA / RIPU / PLCA): torchvision-style
# ResNet-101 with dilated layer3/layer4 (output stride 8), frozen BN, and the
# ASPP-sum classifier (dilations 6/12/18/24) on layer4.
#
# ImageNet weights: download torchvision's resnet101 weights yourself and
# put them at the path below (nothing is downloaded at run time):
#   checkpoints/resnet101-63fe2227.pth
_base_ = './encoder_decoder.py'
norm_cfg = dict(type='BN', requires_grad=False)
model = dict(
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=True,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet101-63fe2227.pth')),
    decode_head=dict(
        type='DeepLabV2Head',
        in_channels=2048,
        in_index=1,
        dilations=(6, 12, 18, 24),
        num_classes=19,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            avg_non_ignore=True,
            loss_weight=1.0)))
