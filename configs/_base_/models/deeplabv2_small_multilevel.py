# The small DeepLab-v2 of the embedded benchmark with AdvEnt's two levels:
# the main ASPP-sum classifier on layer4 and an auxiliary one on layer3
# (CE weight 0.1), as a MultiLevelEncoderDecoder (plain EncoderDecoder
# weights).
_base_ = './deeplabv2_small.py'
model = dict(
    type='MultiLevelEncoderDecoder',
    auxiliary_head=dict(
        type='DeepLabV2Head',
        in_channels=64,
        in_index=0,
        dilations=(1, 2, 3, 4),
        num_classes=19,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            avg_non_ignore=True,
            loss_weight=0.1)))
