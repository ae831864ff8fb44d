# DeepLab-v2 ResNet-101 with PLCA's network choices (official
# kgl-prml/Pixel-Level-Cycle-Association model/resnet.py,
# model/segmentation/deeplabv2.py, tools/train.py): caffe-style bottlenecks
# (stride on the first 1x1 conv), dilated layer3/layer4 (output stride 8),
# *trainable* SyncBN (BN on CPU, mmda.utils), the ASPP-sum classifier
# without bias, and Caffe input normalisation (BGR 0-255 minus the Caffe
# ImageNet mean, std 1). Differences that remain: the stem max-pool rounds
# down (official: ceil_mode=True; the same 183x183 at a 730 crop), and the
# ImageNet weights.
#
# ImageNet weights: a caffe-style ResNet-101 in mmseg/mmdet key names
# (e.g. mmdet's resnet101_caffe, converted from Detectron) at the path
# below; nothing is downloaded at run time. The official Google-Drive file
# is not available offline.
#   checkpoints/resnet101_caffe.pth
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='DADataPreprocessor',
    mean=[104.008, 116.669, 122.679],
    std=[1., 1., 1.],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=8)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='caffe',
        contract_dilation=True,
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/resnet101_caffe.pth')),
    decode_head=dict(
        type='DeepLabV2Head',
        in_channels=2048,
        in_index=1,
        dilations=(6, 12, 18, 24),
        bias=False,
        num_classes=19,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            avg_non_ignore=True,
            loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
