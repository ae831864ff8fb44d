# DeepLab-v2 ResNet-101 with AdvEnt's two levels: the ASPP-sum classifier
# (dilations 6/12/18/24) on layer4 (main) and another on layer3 (auxiliary,
# CE weight 0.1), as a MultiLevelEncoderDecoder (plain EncoderDecoder
# weights). ImageNet weights: see ./deeplabv2_r101.py.
_base_ = './deeplabv2_r101.py'
model = dict(
    type='MultiLevelEncoderDecoder',
    auxiliary_head=dict(
        type='DeepLabV2Head',
        in_channels=1024,
        in_index=0,
        dilations=(6, 12, 18, 24),
        num_classes=19,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            avg_non_ignore=True,
            loss_weight=0.1)))
