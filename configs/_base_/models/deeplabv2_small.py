# A small, randomly initialised DeepLab-v2 for the embedded sim2real
# benchmark and the tests: ResNet-18 at 1/4 width (16-32-64-128 channels),
# dilated layer3/layer4 (output stride 8), trainable BN, ASPP-sum classifier
# with dilations scaled to the small feature maps.
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='DADataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=8)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetV1c',
        depth=18,
        num_stages=4,
        stem_channels=16,
        base_channels=16,
        out_indices=(2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True),
    decode_head=dict(
        type='DeepLabV2Head',
        in_channels=128,
        in_index=1,
        dilations=(1, 2, 3, 4),
        num_classes=19,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            avg_non_ignore=True,
            loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
